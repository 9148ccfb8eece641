-- imports_record: the imports row of one import attempt (committed, rejected or manual).
-- $id, $kind, $file, $sha, $user, $source, $started, $finished, $status, $read, $ins, $upd,
-- $same, $rej, $message: its columns. Grain: one row per import.
insert into imports (
    import_id, kind, file_name, file_sha256, user_name, source, started_at, finished_at, status,
    rows_read, inserted, updated, unchanged, rejected, message
)
values (
    $id, $kind, $file, $sha, $user, $source, $started, $finished, $status, $read, $ins, $upd,
    $same, $rej, $message
)
