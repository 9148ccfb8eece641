-- accounts_unlock: clear an account's failure count and lockout (a successful login, or an
-- administrator's unlock). $name. Grain: one row per account.
update accounts set failed_logins = 0, locked_until = null where username = $name
