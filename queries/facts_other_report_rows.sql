-- The rows of `other_report_facts` for every patient ($everything) or for the patients listed in
-- the temp table facts_scope_patients (created by clinic/facts.py): one row per side-effect
-- report of an appointment in the store that is not a completed treatment session (those are
-- in report_facts), with that appointment's details (the records page's filters and rows).
-- Params: $everything (boolean: all patients, else the scope table).
-- Grain: one row per such report.
with appointments_in_scope as (
    select
        appointment_id, patient_ref, appointment_date, clinician, site, sclerosant, form,
        vein_type, concentration_pct, volume_ml, treated_area,
    from appointments
    where $everything and not (kind = 'treatment' and status = 'completed')
    union all
    select
        appointment_id, patient_ref, appointment_date, clinician, site, sclerosant, form,
        vein_type, concentration_pct, volume_ml, treated_area,
    from appointments
    where
        not $everything
        and not (kind = 'treatment' and status = 'completed')
        and patient_ref in (select patient_ref from facts_scope_patients)
),

final as (
    select
        e.report_id,
        a.appointment_id,
        a.patient_ref,
        a.appointment_date,
        a.clinician,
        a.site,
        a.sclerosant,
        a.form,
        a.vein_type,
        a.concentration_pct,
        a.volume_ml,
        a.treated_area,
    from side_effects as e
    inner join appointments_in_scope as a on a.appointment_id = e.appointment_id
)

select * from final;
