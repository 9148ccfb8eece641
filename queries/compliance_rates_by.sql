-- Follow-up compliance counts of the four measures (DOMAIN.md "Metric definitions").
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all),
--         $as_of (the date the figures are for), $by: month | clinician | all.
-- Grain: one row per value of the $by key, eligible/met column pairs per measure.
-- Sessions after $as_of are not counted at all (they had not happened yet).
with sessions as (
    select *
    from treatment_sessions
    where
        appointment_date <= $as_of
        and
    ($start::date is null or appointment_date >= $start)
    and ($end::date is null or appointment_date <= $end)
    and ($site::varchar is null or site = $site)
    and ($clinician::varchar is null or clinician = $clinician)
),

keyed as (
    select
        case $by
            when 'month' then month
            when 'clinician' then clinician
            else 'all'
        end as key,
        *,
    from sessions
),

final as (
    select
        key,
        count(*) filter (where appointment_date + 56 <= $as_of) as review_6w_eligible,
        count(*) filter (where appointment_date + 56 <= $as_of and review_met) as review_6w_met,
        count(*) filter (where is_varicose and appointment_date + 14 <= $as_of)
            as check_2w_eligible,
        count(*) filter (where is_varicose and appointment_date + 14 <= $as_of and check_met)
            as check_2w_met,
        count(*) filter (where is_repeat) as spacing_eligible,
        count(*) filter (where is_repeat and spacing_met) as spacing_met,
        count(*) as compression_eligible,
        count(*) filter (where compression_met) as compression_met,
    from keyed
    group by key
)

select * from final order by key;
