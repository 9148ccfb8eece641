-- ingest_duplicate_problems: one problem per key repeated in the file, on its first line, naming
-- the others ("also on line 4"; "also on lines 3, 4, 5, 6, 7 and 9,994 more").
-- $header: the file's column of the key; $label: what the key is ("appointment id"); $n: at most
-- this many. Input: ingest_dups. Grain: one row per repeated key.
insert into ingest_problems
select
    lines[1],
    -1,
    $header,
    label,
    $label || ' ' || label || ' also on line'
        || case when n > 2 then 's ' else ' ' end
        || array_to_string(lines[2:], ', ')
        || case when n > 6 then ' and ' || format('{:,}', n - 6) || ' more' else '' end,
from ingest_dups
order by lines[1]
limit $n
