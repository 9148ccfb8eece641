-- Serious side-effect reports (serious term or medical attention) of sessions in range.
-- Sessions are the completed treatment sessions every complication rate counts (session_facts,
-- a small derived table), so this list and the rates above it describe the same sessions.
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all).
-- Grain: one row per report.
with reports as (
    select
        e.*,
        coalesce(t.serious, false) or coalesce(e.medical_attention, false) as is_serious,
    from side_effects as e
    left join effect_terms as t on t.effect = e.effect
),

final as (
    select
        r.report_id,
        r.reported_date,
        r.effect,
        r.severity,
        r.medical_attention,
        s.clinician,
        s.site,
        s.appointment_date as session_date,
        s.sclerosant,
        s.form,
        s.vein_type,
        r.outcome,
    from reports as r
    inner join treatment_sessions as s on s.appointment_id = r.appointment_id
    where
        r.is_serious
        and
        ($start::date is null or s.appointment_date >= $start)
        and ($end::date is null or s.appointment_date <= $end)
        and ($site::varchar is null or s.site = $site)
        and ($clinician::varchar is null or s.clinician = $clinician)
)

select * from final order by reported_date desc, report_id;
