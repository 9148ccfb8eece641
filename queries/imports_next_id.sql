-- imports_next_id: the id of the next import, one past the largest recorded (read inside the
-- write transaction that uses it; docs/RELIABILITY.md says why not a sequence).
-- Params: none. Grain: one row.
select coalesce(max(import_id), 0) + 1 from imports
