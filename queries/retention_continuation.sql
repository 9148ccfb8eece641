-- Course continuation (docs/METRICS.md "Retention"): patients whose first completed treatment
-- session in the store is in scope and at least 120 days before $as_of, and those whose second
-- completed treatment session is dated 1 to 120 days after the first.
-- Params: $scope (applied to the first session: dates inclusive, site, clinician, funding; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql), $as_of,
--         $by: month (of the first session) | all.
-- Grain: one row per value of the $by key.
-- Reads patient_facts (first and second session per patient, over all data, so a date filter
-- never turns a repeat into a first).
with firsts as (
    select
        first_date as appointment_date,
        first_site as site,
        first_clinician as clinician,
        first_funding as funding,
        second_date,
    from patient_facts
),

cohort as (
    select appointment_date, second_date,
    from in_scope('firsts', $scope)
    where appointment_date + 120 <= $as_of
),

final as (
    select
        case when $by = 'month' then date_trunc('month', appointment_date) end as period,
        count(*) as eligible,
        count(*) filter (
            where second_date between appointment_date + 1 and appointment_date + 120
        ) as met,
    from cohort
    group by period
)

select coalesce(strftime(period, '%Y-%m'), 'all') as key, eligible, met,
from final
order by key;
