-- tokens_list: the API tokens, for `tokens list` (never their hashes).
-- No parameters.
-- Grain: one row per token, oldest first.
select name, role, created_at, created_by, revoked_at
from api_tokens
order by created_at, name
