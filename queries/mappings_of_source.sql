-- mappings_of_source: whether any header or value mapping is saved under a source name.
-- $source. Grain: at most one row.
select 1 from column_mappings where source = $source
union all
select 1 from value_mappings where source = $source
limit 1
