-- Complication rate per effect: reports of that effect linked to completed treatment sessions in
-- range, over all completed treatment sessions in range (DOMAIN.md "Complication rate").
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all),
--         $serious (boolean: only serious reports = serious term or medical attention).
-- Grain: one row per effect with at least one report.
with sessions as (
    select appointment_id,
    from treatment_sessions
    where
    ($start::date is null or appointment_date >= $start)
    and ($end::date is null or appointment_date <= $end)
    and ($site::varchar is null or site = $site)
    and ($clinician::varchar is null or clinician = $clinician)
),

reports as (
    select
        e.effect,
        coalesce(t.serious, false) or coalesce(e.medical_attention, false) as is_serious,
    from side_effects as e
    inner join sessions as s on s.appointment_id = e.appointment_id
    left join effect_terms as t on t.effect = e.effect
),

final as (
    select
        effect,
        (select count(*) from sessions) as eligible,
        count(*) as events,
    from reports
    where not $serious or is_serious
    group by effect
)

select * from final order by events desc, effect;
