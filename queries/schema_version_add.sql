-- schema_version_add: record a migration as applied, in the transaction that applied it.
-- $version, $name (the file's stem). Grain: one row per migration.
insert into schema_version (version, name) values ($version, $name)
