-- value_mappings_list: the saved value mappings, of one source or of all ($source null).
-- $source. Grain: one row per source, field and value.
select source, field, shown as value, term, saved_by, saved_at
from value_mappings
where $source is null or source = $source
order by source, field, value
