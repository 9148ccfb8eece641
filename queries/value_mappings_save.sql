-- value_mappings_save: save how one value of a source system reads (one of our words, or 'skip').
-- $source, $field, $value (as matched), $shown (as written), $term, $user, $at (UTC).
-- Grain: one row per source, field and value.
insert or replace into value_mappings (source, field, value, shown, term, saved_by, saved_at)
values ($source, $field, $value, $shown, $term, $user, $at)
