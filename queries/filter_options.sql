-- Distinct values for the filter widgets.
-- Params: none.
-- Grain: one row per field per value.
with appointment_values as (
    select 'sites' as field, site as value, from appointments
    union
    select 'clinicians', clinician, from appointments
    union
    select 'sclerosants', sclerosant, from appointments
    union
    select 'forms', form, from appointments
    union
    select 'vein_types', vein_type, from appointments
),

other_values as (
    select 'effects' as field, effect as value, from effect_terms
    union
    select 'severities', severity, from side_effects
    union
    select 'items', item, from prices
),

final as (
    select * from appointment_values
    union
    select * from other_values
)

select * from final where value is not null order by field, value;
