-- accounts_reset_password: a new password hash set by an administrator; clears a lockout.
-- $name, $hash (Argon2id). Grain: one row per account.
update accounts set password_hash = $hash, failed_logins = 0, locked_until = null
where username = $name
