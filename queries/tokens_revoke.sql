-- tokens_revoke: revoke the live token named $name; returns it when there was one.
-- $name: the token's name; $at: now (UTC).
-- Grain: zero or one row (the revoked token).
update api_tokens
set revoked_at = $at
where name = $name and revoked_at is null
returning name, role
