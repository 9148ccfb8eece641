-- auth_users: the accounts for the Accounts page and `clinic users list`, never their hashes.
-- params: none
-- grain: one row per account
with

accounts_ as (
    select * from accounts
),

final as (
    select
        username,
        role,
        email,
        disabled,
        password_hash is null as sso_only,
        failed_logins,
        locked_until,
        created_at,
    from accounts_
    order by username
)

select * from final
