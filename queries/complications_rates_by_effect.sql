-- Complication rate per effect: reports of that effect linked to completed treatment sessions in
-- range, over all completed treatment sessions in range (docs/METRICS.md "Complications").
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql),
--         $serious (boolean: only serious reports = serious term or medical attention).
-- Grain: one row per effect with at least one report.
with eligible as (
    select coalesce(sum(sessions), 0)::bigint as sessions,
    from in_scope('session_days', $scope)
),

-- report_facts: one row per report of a completed treatment session, with that session's date.
reports as (
    select effect, is_serious,
    from in_scope('report_facts', $scope)
),

final as (
    select
        effect,
        (select sessions from eligible) as eligible,
        count(*) as events,
    from reports
    where not $serious or is_serious
    group by effect
)

select * from final order by events desc, effect;
