-- Distinct values for the filter widgets.
-- Sites, clinicians and fundings are those of completed treatment sessions and revenue lines, the clinical
-- values those of completed treatment sessions: the values any figure can be filtered by (a
-- clinician who only has bookings, cancellations or free follow-ups appears in no figure). Read
-- from the daily sums, a few hundred thousand rows, rather than every appointment (0.3-0.6 s at
-- 23M appointment rows).
-- Params: none.
-- Grain: one row per field per value.
with figure_values as (
    select 'sites' as field, site as value, from session_days
    union
    select 'sites', site, from revenue_days
    union
    select 'clinicians', clinician, from session_days
    union
    select 'clinicians', clinician, from revenue_days
    union
    select 'fundings', funding, from session_days
    union
    select 'fundings', funding, from revenue_days
    union
    select 'sclerosants', sclerosant, from session_days
    union
    select 'forms', form, from session_days
    union
    select 'vein_types', vein_type, from session_days
),

other_values as (
    select 'effects' as field, effect as value, from effect_terms
    union
    select 'severities', severity, from side_effects
    union
    select 'items', item, from prices
),

final as (
    select * from figure_values
    union
    select * from other_values
)

select * from final where value is not null order by field, value;
