-- ingest_problems_listed: the first problems of an import by line, as it lists them.
-- $n: at most this many. Grain: one row per problem, by line then place on the line.
select line, "column", value, reason
from ingest_problems
order by line, pos
limit $n
