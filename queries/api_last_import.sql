-- api_last_import: the newest import, for GET /api/v1/health (clinic/web/api.py).
-- No parameters.
-- Grain: zero or one row.
select import_id, kind, file_name, status, started_at, finished_at
from imports
order by import_id desc
limit 1
