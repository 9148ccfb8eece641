-- import_rejects_add: keep the listed problems of a refused import (and the count of the rest).
-- $import_id; $line, $column, $value, $reason: parallel lists. Grain: one row per problem.
insert into import_rejects (import_id, line, "column", value, reason)
select $import_id, unnest($line), unnest($column), unnest($value), unnest($reason)
