-- imports_recent: the import history shown on the Upload and Audit trail pages, newest first.
-- $user_name: only this user's imports, or null for everyone's; $row_limit: at most this many rows.
-- Grain: one row per import (one uploaded file or one manual entry).
with imports_seen as (
    select * from imports
),

final as (
    select
        import_id,
        kind,
        file_name,
        user_name,
        started_at,
        finished_at,
        status,
        rows_read,
        inserted,
        updated,
        unchanged,
        rejected,
        message,
    from imports_seen
    where $user_name is null or user_name = $user_name
    order by import_id desc
    limit $row_limit
)

select * from final
