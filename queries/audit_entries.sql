-- audit_entries: the audit trail for the Audit trail page, newest first.
-- params: $start, $end (UTC timestamps, [start, end), null = open), $user, $action
--         (null = any), $limit (most rows returned)
-- grain: one row per audit_log row
with

audit as (
    select * from audit_log
),

filtered as (
    select *
    from audit
    where ($start::timestamp is null or logged_at >= $start::timestamp)
        and ($end::timestamp is null or logged_at < $end::timestamp)
        and ($user::varchar is null or username = $user::varchar)
        and ($action::varchar is null or action = $action::varchar)
),

final as (
    select
        seq,
        logged_at,
        username,
        role,
        action,
        outcome,
        object,
        details,
    from filtered
    order by seq desc
    limit $limit
)

select * from final
