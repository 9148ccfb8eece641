-- Serious side-effect reports (serious term or medical attention) of sessions in range.
-- report_facts links each report to the completed treatment session every complication rate
-- counts, so this list and the rates above it describe the same sessions.
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql),
--         $limit (rows returned, newest first; null = all).
-- Grain: one row per report; total_rows = rows before the limit.
-- Not materialized: a count and a top-N over two cheap scans cost less than sorting a copy.
with serious as not materialized (
    select
        report_id,
        reported_date,
        effect,
        severity,
        medical_attention,
        clinician,
        site,
        appointment_date as session_date,
        sclerosant,
        form,
        vein_type,
        outcome,
    from in_scope('report_facts', $scope)
    where is_serious
),

final as (
    select *, (select count(*) from serious) as total_rows,
    from serious
)

select * from final order by reported_date desc, report_id
limit $limit;
