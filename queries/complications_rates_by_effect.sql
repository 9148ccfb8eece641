-- Complication rate per effect: reports of that effect linked to completed treatment sessions in
-- range, over all completed treatment sessions in range (docs/METRICS.md "Complications").
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all),
--         $serious (boolean: only serious reports = serious term or medical attention).
-- Grain: one row per effect with at least one report.
with eligible as (
    select coalesce(sum(sessions), 0)::bigint as sessions,
    from session_days
    where
        ($start::date is null or appointment_date >= $start)
        and ($end::date is null or appointment_date <= $end)
        and ($site::varchar is null or site = $site)
        and ($clinician::varchar is null or clinician = $clinician)
),

-- report_facts: one row per report of a completed treatment session, with that session's date.
reports as (
    select effect, is_serious,
    from report_facts
    where
        ($start::date is null or appointment_date >= $start)
        and ($end::date is null or appointment_date <= $end)
        and ($site::varchar is null or site = $site)
        and ($clinician::varchar is null or clinician = $clinician)
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
