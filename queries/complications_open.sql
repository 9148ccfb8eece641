-- Open complications (docs/METRICS.md "Open complications"): side-effect reports without a
-- resolved date, reported on or before $as_of, serious ones first, then the longest open.
-- Params: $scope (the appointment each report follows: site, clinician, funding and dates; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql; the page passes no
--         dates, so a report stays on the list however long ago its session was),
--         $as_of, $limit (rows, null = all).
-- Grain: one row per open report; total_rows = how many are open in all.
-- Dimensions come from the facts kept per report (report_facts for reports of completed
-- treatment sessions, other_report_facts for the rest, whose funding is not kept: a funding
-- filter leaves those out).
with dimensions as (
    select report_id, appointment_date, clinician, site, funding,
    from report_facts
    union all
    select report_id, appointment_date, clinician, site, null as funding,
    from other_report_facts
),

open_reports as (
    select
        e.report_id,
        e.appointment_id as session_ref,
        e.effect,
        e.severity,
        coalesce(t.serious, false) or coalesce(e.medical_attention, false) as serious,
        e.reported_date,
        ($as_of - e.reported_date)::bigint as days_open,
        d.appointment_date as session_date,
        d.clinician,
        d.site,
    from side_effects as e
    inner join in_scope('dimensions', $scope) as d on d.report_id = e.report_id
    left join effect_terms as t on t.effect = e.effect
    where e.resolved_date is null and e.reported_date <= $as_of
),

final as (
    select *, count(*) over () as total_rows,
    from open_reports
)

select * from final
order by serious desc, days_open desc, report_id
limit $limit;
