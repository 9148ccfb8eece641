-- accounts_count_failure: one more failed login for an account; returns the failures so far.
-- $name. Grain: one row (failed_logins), none for an unknown name.
update accounts set failed_logins = failed_logins + 1 where username = $name
returning failed_logins
