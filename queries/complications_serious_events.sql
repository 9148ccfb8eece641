-- Serious side-effect reports (serious term or medical attention) of sessions in range.
-- report_facts links each report to the completed treatment session every complication rate
-- counts, so this list and the rates above it describe the same sessions.
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all),
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
    from report_facts
    where
        is_serious
        and ($start::date is null or appointment_date >= $start)
        and ($end::date is null or appointment_date <= $end)
        and ($site::varchar is null or site = $site)
        and ($clinician::varchar is null or clinician = $clinician)
),

final as (
    select *, (select count(*) from serious) as total_rows,
    from serious
)

select * from final order by reported_date desc, report_id
limit $limit;
