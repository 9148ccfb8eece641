-- inbox_taken: the import that already committed this content from the drop folder, if any.
-- $file_sha256: the file's SHA-256; $user_name: the drop folder's user name ('inbox').
-- Grain: zero or one row (the first import that took it).
select import_id
from (
    select import_id from inbox_files where file_sha256 = $file_sha256 and status = 'committed'
    union all
    -- committed, but the server stopped before it recorded the file: the import row says so
    select import_id from imports
    where file_sha256 = $file_sha256 and user_name = $user_name and status = 'committed'
)
order by import_id
limit 1
