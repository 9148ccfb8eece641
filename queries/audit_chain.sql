-- audit_chain: every audit row in sequence order, with the columns its hash covers.
-- params: none
-- grain: one row per audit_log row
with

audit as (
    select * from audit_log
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
        prev_hash,
        hash,
    from audit
    order by seq
)

select * from final
