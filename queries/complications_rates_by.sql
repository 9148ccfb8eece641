-- Complication rate: completed treatment sessions with at least one linked report (or, with
-- $serious, at least one serious report) over completed treatment sessions.
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql),
--         $serious (boolean), $by: clinician | sclerosant | form | vein_type | month | site | all.
-- Grain: one row per value of the $by key; an unrecorded value is 'not recorded'.
-- Reads session_days (session_facts summed per day and dimension, same numbers).
with sessions as (
    select *
    from in_scope('session_days', $scope)
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
        sessions,
        case when $serious then serious_events else events end as counted,
    from sessions
),

final as (
    select
        key,
        sum(sessions)::bigint as eligible,
        sum(counted)::bigint as events,
    from keyed
    group by key
)

select * from final order by key;
