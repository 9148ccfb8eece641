-- notify_import_serious_events: the serious side-effect reports an import brought, for the
-- alert sent at once to managers and auditors: reports it created as serious, and reports it
-- changed from not serious to serious (the replaced row is in side_effects_history).
-- params: $import_id
-- grain: one row per report, by reported date then report id
with serious_terms as (
    select effect, serious from effect_terms
),

written as (
    select
        e.report_id,
        e.appointment_id,
        e.reported_date,
        e.onset_date,
        e.effect,
        e.severity,
        e.medical_attention,
        e.first_import_id = $import_id as new_report,
        coalesce(t.serious, false) or coalesce(e.medical_attention, false) as serious,
    from side_effects as e
    left join serious_terms as t on t.effect = e.effect
    where e.import_id = $import_id
),

replaced as (
    select
        h.report_id,
        coalesce(t.serious, false) or coalesce(h.medical_attention, false) as serious,
    from side_effects_history as h
    left join serious_terms as t on t.effect = h.effect
    where h.replaced_by = $import_id
),

-- The session each report follows, as the facts keep it (no scan of every appointment).
sessions as (
    select report_id, appointment_date, site, from report_facts
    union all
    select report_id, appointment_date, site, from other_report_facts
),

final as (
    select
        w.report_id,
        w.appointment_id,
        w.reported_date,
        w.onset_date,
        w.effect,
        w.severity,
        w.medical_attention,
        w.new_report,
        s.appointment_date as session_date,
        s.site,
    from written as w
    left join replaced as r on r.report_id = w.report_id
    left join sessions as s on s.report_id = w.report_id
    where w.serious and not coalesce(r.serious, false)
)

select * from final order by reported_date, report_id
