-- The rows of `report_facts` for every patient ($everything) or for the scope patients, whose
-- session rows clinic/facts.py has just written and kept in the temp table facts_new_sessions:
-- one row per side-effect report of a completed treatment session, with the session's date and
-- dimensions. Reads session_facts, so clinic/facts.py writes those rows first. Reports of appointments that
-- are not completed treatment sessions are in no rate (docs/METRICS.md "Complications") and are
-- not here; the records page reads side_effects itself.
-- Params: $everything (boolean: all patients, else the scope table).
-- Grain: one row per linked report, in session date order.
with sessions as (
    select *
    from session_facts
    where $everything
    union all
    select *
    from facts_new_sessions
    where not $everything
),

final as (
    select
        e.report_id,
        e.reported_date,
        e.effect,
        e.severity,
        e.medical_attention,
        e.outcome,
        coalesce(t.serious, false) or coalesce(e.medical_attention, false) as is_serious,
        s.appointment_id,
        s.patient_ref,
        s.appointment_date,
        s.clinician,
        s.site,
        s.sclerosant,
        s.form,
        s.vein_type,
        s.concentration_pct,
        s.volume_ml,
        s.treated_area,
        s.funding,
    from side_effects as e
    inner join sessions as s on s.appointment_id = e.appointment_id
    left join effect_terms as t on t.effect = e.effect
)

select * from final order by appointment_date;
