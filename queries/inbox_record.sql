-- inbox_record: record one file the drop folder handled (seq: the next after the largest).
-- $file_sha256, $file_name, $kind, $status, $import_id, $problems, $moved_to, $at: see the table.
-- Grain: writes one row.
insert into inbox_files
    (seq, file_sha256, file_name, kind, status, import_id, problems, moved_to, handled_at)
select
    coalesce(max(seq), 0) + 1, $file_sha256, $file_name, $kind, $status, $import_id, $problems,
    $moved_to, $at
from inbox_files
