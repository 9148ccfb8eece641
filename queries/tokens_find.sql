-- tokens_find: the live token whose SHA-256 is $token_sha256 (an API request's bearer token).
-- $token_sha256: hex SHA-256 of the token presented.
-- Grain: zero or one row.
select name, role
from api_tokens
where token_sha256 = $token_sha256 and revoked_at is null
