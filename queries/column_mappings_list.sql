-- column_mappings_list: the saved header corrections, of one source or of all ($source null).
-- $source. Grain: one row per source, kind and header.
select source, kind, header, canonical
from column_mappings
where $source is null or source = $source
order by source, kind, header
