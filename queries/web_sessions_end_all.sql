-- web_sessions_end_all: end every live web session of one account (disabled, password reset).
-- $name, $at (UTC). Grain: one row per session ended.
update web_sessions set revoked_at = $at
where username = $name and revoked_at is null
returning 1
