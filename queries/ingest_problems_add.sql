-- ingest_problems_add: add problems found in Python (the header, broken records) in one statement.
-- $pos: their place among a line's problems; $line, $column, $value, $reason: parallel lists.
-- Grain: one row per problem.
insert into ingest_problems (pos, line, "column", value, reason)
select $pos, unnest($line), unnest($column), unnest($value), unnest($reason)
