-- Course continuation (docs/METRICS.md "Retention"): patients whose first completed treatment
-- session in the store is in scope and at least 120 days before $as_of, and those whose second
-- completed treatment session is dated 1 to 120 days after the first.
-- Params: $scope (applied to the first session: dates inclusive, site, clinician, funding; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql), $as_of,
--         $by: month (of the first session) | all.
-- Grain: one row per value of the $by key.
-- A first session is a session_facts row without a previous session (over all data, so a date
-- filter never turns a repeat into a first); the second is the earliest of the other rows.
with firsts as (
    select patient_ref, appointment_date, month, site, clinician, funding,
    from session_facts
    where prev_session_date is null
),

cohort as (
    select patient_ref, appointment_date, month,
    from in_scope('firsts', $scope)
    where appointment_date + 120 <= $as_of
),

seconds as (
    select s.patient_ref, min(s.appointment_date) as second_date,
    from session_facts as s
    where s.prev_session_date is not null and s.patient_ref in (select patient_ref from cohort)
    group by s.patient_ref
),

final as (
    select
        case when $by = 'month' then c.month else 'all' end as key,
        count(*) as eligible,
        count(*) filter (
            where s.second_date between c.appointment_date + 1 and c.appointment_date + 120
        ) as met,
    from cohort as c
    left join seconds as s on s.patient_ref = c.patient_ref
    group by key
)

select * from final order by key;
