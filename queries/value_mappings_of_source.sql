-- value_mappings_of_source: one source's value mappings, for rewriting its export.
-- $source. Grain: one row per field and value (as matched).
select field, value, term from value_mappings where source = $source
