-- accounts_set_role: change an account's role (its open sessions end at their next request).
-- $name, $role. Grain: one row per account.
update accounts set role = $role where username = $name
