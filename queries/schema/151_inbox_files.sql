-- 151_inbox_files: every file the drop folder (CLINIC_INBOX, clinic/inbox.py) took, by content.
-- Design notes:
-- * One row per file handled: the same content dropped twice has two rows, the second a
--   'duplicate' naming the import that already took it. The content hash (SHA-256, as
--   imports.file_sha256) is what "nothing is imported twice after a restart" reads.
-- * `seq` is given by the insert (the next after the largest, under the store's one writer):
--   no sequence object, which a rolled-back insert would leave advanced.
-- * Not clinical data: writes do not bump data_version. Times are UTC.

create table inbox_files (
    seq integer primary key,
    file_sha256 varchar not null,
    file_name varchar not null,
    kind varchar,                      -- appointments | side-effects | prices; null if unknown
    status varchar not null check (status in
        ('committed', 'rejected', 'unreadable', 'unknown kind', 'duplicate')),
    import_id integer,                 -- the import it made, or (duplicate) the one that took it
    problems integer not null default 0,
    moved_to varchar not null,         -- the file's path in done/ or failed/
    handled_at timestamp not null,
);
create index inbox_files_sha on inbox_files (file_sha256);
