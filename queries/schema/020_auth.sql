-- 020_auth: web sessions and single-sign-on roles (see clinic/auth.py).
-- Design notes:
-- * Only the SHA-256 of a session token is stored, so a copy of the database cannot be used to
--   log in. `role` is the role at login: a session whose account role changed since is revoked.
-- * Times are UTC.

create table web_sessions (
    token_sha256 varchar primary key,
    username varchar not null,
    role varchar not null,
    created_at timestamp not null,
    last_seen_at timestamp not null,
    revoked_at timestamp,
);

-- Roles granted to single-sign-on identities, by lower-cased e-mail address.
create table sso_roles (
    email varchar primary key,
    role varchar not null check (role in ('admin', 'manager', 'staff', 'auditor')),
    updated_at timestamp not null,
);
