-- inbox_record: record one file the drop folder handled.
-- $file_sha256, $file_name, $kind, $status, $import_id, $problems, $moved_to, $at: see the table.
-- Grain: writes one row.
insert into inbox_files
    (file_sha256, file_name, kind, status, import_id, problems, moved_to, handled_at)
values ($file_sha256, $file_name, $kind, $status, $import_id, $problems, $moved_to, $at)
