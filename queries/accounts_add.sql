-- accounts_add: a new local account (the caller has checked the name is free).
-- $name, $role, $hash (Argon2id), $email, $at (created, UTC). Grain: one row per account.
insert into accounts (username, role, password_hash, email, created_at)
values ($name, $role, $hash, $email, $at)
