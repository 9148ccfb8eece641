-- 150_api_tokens: bearer tokens of the HTTP API (/api/v1, clinic/tokens.py, docs/API.md).
-- Design notes:
-- * Only the SHA-256 of a token is kept: the token is shown once, by `tokens add`. A token
--   holds 256 random bits, so a plain hash is enough (no salt or slow hash needed).
-- * A revoked token keeps its row (and its name) so the audit trail's names stay unique.
-- * Not clinical data: writes do not bump data_version. Times are UTC.

create table api_tokens (
    name varchar primary key,
    role varchar not null check (role in ('admin', 'manager', 'staff', 'auditor')),
    token_sha256 varchar not null unique,
    created_at timestamp not null,
    created_by varchar,
    revoked_at timestamp,
);
