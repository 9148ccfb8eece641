-- tokens_add: record a new API token by its hash.
-- $name, $role, $token_sha256, $created_by, $at: the token's name, role, hash, who made it, when (UTC).
-- Grain: writes one row.
insert into api_tokens (name, role, token_sha256, created_at, created_by)
values ($name, $role, $token_sha256, $at, $created_by)
