-- accounts_lock: lock an account out until a time (too many failed logins); the count restarts.
-- $name, $until (UTC). Grain: one row per account.
update accounts set failed_logins = 0, locked_until = $until where username = $name
