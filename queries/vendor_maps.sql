-- vendor_maps: one lookup map from "field:value" to our word, for the rewrite of an export.
-- Params: $f, $v, $t, $p (parallel lists: field, value as matched, our word or 'skip', priority;
-- 0 = saved for the source, 1 = the profile, 2 = our own vocabulary and price list).
-- Grain: one row (the map); a value known at several priorities keeps the lowest.
-- Values are matched by vendor_key (queries/vendor_key.sql), as header_words.value_key does.
create or replace temp table vendor_maps as
with
given as (
    select unnest($f) as field, unnest($v) as value, unnest($t) as term, unnest($p) as priority
),
best as (
    select field || ':' || value as k, arg_min(term, priority) as term
    from given
    group by field, value
)
select map(list(k), list(term)) as terms from best
