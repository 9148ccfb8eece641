-- Time to resolution per effect (docs/METRICS.md "Open complications"): of the reports of
-- sessions in scope, how many are resolved and open, and the median and longest days from
-- reported to resolved date of the resolved ones.
-- Params: $scope (the appointment each report follows: dates inclusive, site, clinician,
--         funding; see the macro in_scope, queries/schema/100_sessions_in_scope.sql).
-- Grain: one row per effect with at least one report, the slowest median first.
with dimensions as (
    select report_id, appointment_date, clinician, site, funding,
    from report_facts
    union all
    select report_id, appointment_date, clinician, site, null as funding,
    from other_report_facts
),

reports as (
    select
        e.effect,
        e.resolved_date is not null as resolved,
        e.resolved_date - e.reported_date as days,
    from side_effects as e
    inner join in_scope('dimensions', $scope) as d on d.report_id = e.report_id
),

final as (
    select
        effect,
        count(*) filter (where resolved) as resolved,
        count(*) filter (where not resolved) as still_open,
        median(days) filter (where resolved) as median_days,
        max(days) filter (where resolved) as longest_days,
    from reports
    group by effect
)

select * from final order by median_days desc nulls last, effect;
