-- web_sessions_revoke: end one live web session (logout, idle, disabled or changed account).
-- $hash (token SHA-256), $at (UTC). Grain: one row (username, role) when the session was live,
-- none otherwise.
update web_sessions set revoked_at = $at
where token_sha256 = $hash and revoked_at is null
returning username, role
