-- web_sessions_seen: mark a live web session used now (its idle time starts again).
-- $hash (token SHA-256), $at (UTC). Grain: one row per web session.
update web_sessions set last_seen_at = $at where token_sha256 = $hash
