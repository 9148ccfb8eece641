-- accounts_set_disabled: disable or enable an account; either way its lockout is cleared.
-- $name; $disabled: true to refuse its logins. Grain: one row per account.
update accounts set disabled = $disabled, failed_logins = 0, locked_until = null
where username = $name
