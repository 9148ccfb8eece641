-- web_sessions_add: a new web session, kept only as the SHA-256 of its token.
-- $hash (token SHA-256), $name, $role (the account's role now), $at (UTC).
-- Grain: one row per web session.
insert into web_sessions (token_sha256, username, role, created_at, last_seen_at)
values ($hash, $name, $role, $at, $at)
