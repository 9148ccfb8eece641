-- 090_import_ids_from_data: import ids no longer come from a sequence.
-- Design notes:
-- * DuckDB writes a sequence's nextval to its log only with a transaction that commits. The
--   importer drew an id in a first attempt that rolled back (the one-pass load meeting a problem)
--   and committed it in the staged retry; after a stop without a checkpoint (SIGTERM, kill -9,
--   power loss) the log replay left the sequence behind the largest import_id, and the next
--   import failed on a duplicate key. The importer now takes max(import_id) + 1 from `imports`
--   inside its own write transaction (clinic/ingest/load.py), so the sequence is dropped.
drop sequence if exists import_id_seq;
