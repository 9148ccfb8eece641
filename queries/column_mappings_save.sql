-- column_mappings_save: save one header correction of a source system (null canonical: ignore
-- the column). $source, $kind, $header (normalised), $canonical.
-- Grain: one row per source, kind and header.
insert or replace into column_mappings (source, kind, header, canonical)
values ($source, $kind, $header, $canonical)
