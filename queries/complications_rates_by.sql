-- Complication rate: completed treatment sessions with at least one linked report (or, with
-- $serious, at least one serious report) over completed treatment sessions.
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all),
--         $serious (boolean), $by: clinician | sclerosant | form | vein_type | month | site | all.
-- Grain: one row per value of the $by key; an unrecorded value is 'not recorded'.
with sessions as (
    select *
    from treatment_sessions
    where
    ($start::date is null or appointment_date >= $start)
    and ($end::date is null or appointment_date <= $end)
    and ($site::varchar is null or site = $site)
    and ($clinician::varchar is null or clinician = $clinician)
),

keyed as (
    select
        case $by
            when 'clinician' then clinician
            when 'sclerosant' then coalesce(sclerosant, 'not recorded')
            when 'form' then coalesce(form, 'not recorded')
            when 'vein_type' then coalesce(vein_type, 'not recorded')
            when 'month' then month
            when 'site' then site
            else 'all'
        end as key,
        case when $serious then has_serious_event else has_event end as counted,
    from sessions
),

final as (
    select
        key,
        count(*) as eligible,
        count(*) filter (where counted) as events,
    from keyed
    group by key
)

select * from final order by key;
