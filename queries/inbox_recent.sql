-- inbox_recent: the newest files the drop folder handled, for the Upload page.
-- $row_limit: at most this many rows.
-- Grain: one row per file handled, newest first.
select
    handled_at,
    file_name,
    kind,
    status,
    import_id,
    problems,
from inbox_files
order by seq desc
limit $row_limit
