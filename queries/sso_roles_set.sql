-- sso_roles_set: grant or change the role of one single-sign-on e-mail address.
-- $email (lower case), $role, $at (UTC). Grain: one row per e-mail address.
insert or replace into sso_roles (email, role, updated_at) values ($email, $role, $at)
