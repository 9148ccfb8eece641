-- value_mappings_remove: forget one saved value mapping; returns the rows removed (0 or 1).
-- $source, $field, $value (as matched).
-- Grain: one row per removed mapping.
delete from value_mappings
where source = $source and field = $field and value = $value
returning source
