-- data_version_bump: one more change to the clinic's data (pages' caches are keyed on it), in
-- the transaction that makes the change. Params: none. Grain: the one row of data_version.
update data_version set version = version + 1
