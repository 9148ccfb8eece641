-- Which patients and days one import wrote: its current rows (import_id) and the row images it
-- replaced (*_history.replaced_by), so the same answer holds after the import and before its
-- undo. Side-effect reports count for the patient of the session they follow; a price-list row
-- for every day an appointment of its item was on (its list price may have changed).
-- Params: $kind (appointments | side-effects | prices), $import_id.
-- Grain: one row per patient (day null) or per day (patient_ref null).
with appointment_rows as (
    select patient_ref, appointment_date,
    from appointments
    where $kind = 'appointments' and import_id = $import_id
    union all
    select patient_ref, appointment_date,
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

price_days as (
    select a.appointment_date,
    from appointments as a
    where a.item in (select item from price_rows)
),

final as (
    select distinct patient_ref, null::date as day,
    from (select patient_ref from appointment_rows union all select patient_ref from report_patients)
    union all
    select distinct null::varchar as patient_ref, appointment_date as day,
    from (
        select appointment_date from appointment_rows
        union all
        select appointment_date from price_days
    )
)

select * from final;
