-- ingest_vocabulary: the value vocabulary (clinic/data/vocabulary.json) as a temp table the
-- cleaning queries look terms up in.
-- $fields, $terms, $canonical: parallel lists, one entry per (field, term) of the file.
-- Grain: one row per field and normalised term (so a lookup never multiplies rows).
create or replace temp table ingest_vocab as
select field, term, any_value(canonical) as canonical
from (
    select
        unnest($fields)::varchar as field,
        ingest_norm(unnest($terms))::varchar as term,
        unnest($canonical)::varchar as canonical,
)
group by field, term
