-- Which patients and price-list items one import wrote: its current rows (import_id) and the
-- row images it replaced (*_history.replaced_by), so the same answer holds after the import and
-- before its undo. Side-effect reports count for the patient of the session they follow.
-- Params: $kind (appointments | side-effects | prices), $import_id.
-- Grain: one row per patient (item null) or per item (patient_ref null).
with appointment_rows as (
    select patient_ref,
    from appointments
    where $kind = 'appointments' and import_id = $import_id
    union all
    select patient_ref,
    from appointments_history
    where $kind = 'appointments' and replaced_by = $import_id
),

report_rows as (
    select appointment_id,
    from side_effects
    where $kind = 'side-effects' and import_id = $import_id
    union all
    select appointment_id,
    from side_effects_history
    where $kind = 'side-effects' and replaced_by = $import_id
),

report_patients as (
    select a.patient_ref,
    from appointments as a
    where a.appointment_id in (select appointment_id from report_rows)
),

price_rows as (
    select item,
    from prices
    where $kind = 'prices' and import_id = $import_id
    union all
    select item,
    from prices_history
    where $kind = 'prices' and replaced_by = $import_id
),

final as (
    select distinct patient_ref, null::varchar as item,
    from (select patient_ref from appointment_rows union all select patient_ref from report_patients)
    union all
    select distinct null::varchar as patient_ref, item,
    from price_rows
)

select * from final;
