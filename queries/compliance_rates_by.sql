-- Follow-up compliance counts of the four measures (docs/METRICS.md).
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql),
--         $as_of (the date the figures are for), $by: month | clinician | all.
-- Grain: one row per value of the $by key, eligible/met column pairs per measure.
-- Sessions after $as_of are not counted at all (they had not happened yet).
-- Reads session_days (session_facts summed per day and dimension, same numbers).
with sessions as (
    select *
    from in_scope('session_days', $scope)
    where
        appointment_date <= $as_of
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
        coalesce(sum(sessions) filter (where appointment_date + 56 <= $as_of), 0)::bigint
            as review_6w_eligible,
        coalesce(sum(review_met) filter (where appointment_date + 56 <= $as_of), 0)::bigint
            as review_6w_met,
        coalesce(sum(varicose) filter (where appointment_date + 14 <= $as_of), 0)::bigint
            as check_2w_eligible,
        coalesce(sum(check_met) filter (where appointment_date + 14 <= $as_of), 0)::bigint
            as check_2w_met,
        sum(repeats)::bigint as spacing_eligible,
        sum(spacing_met)::bigint as spacing_met,
        sum(sessions)::bigint as compression_eligible,
        sum(compression_met)::bigint as compression_met,
    from keyed
    group by key
)

select * from final order by key;
