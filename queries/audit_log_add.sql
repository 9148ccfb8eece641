-- audit_log_add: append one keyed row to the audit trail, chained to the row before it.
-- $seq, $at (UTC), $user, $role, $action, $outcome, $object, $details (JSON, never row
-- contents), $prev (the previous row's hash), $hash (this row's keyed hash).
-- Grain: one row per audited event.
insert into audit_log (
    seq, logged_at, username, role, action, outcome, object, details, prev_hash, hash
)
values ($seq, $at, $user, $role, $action, $outcome, $object, $details, $prev, $hash)
