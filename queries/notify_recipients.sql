-- notify_recipients: who can be sent the digest, the pack and alerts: enabled accounts with an
-- e-mail address (the role decides which parts each one receives: clinic/notify/recipients.py).
-- params: none
-- grain: one row per account with an e-mail address
with accounts_ as (
    select * from accounts
),

final as (
    select
        username,
        role,
        trim(email) as email,
    from accounts_
    where not disabled and email is not null and trim(email) like '%_@_%'
    order by role, username
)

select * from final
