-- Stopped courses (docs/METRICS.md "Stopped courses"): patients whose last completed treatment
-- session is 120 to 365 days before $as_of and who have no later appointment (a treatment
-- session or follow-up visit of any status, booked ones included).
-- Params: $scope (applied to that last session: dates inclusive, site, clinician, funding; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql), $as_of, $limit (rows,
--         null = all).
-- Grain: one row per patient, longest stopped first. The booking reference (appointment id) of
-- the last session identifies the patient to staff in the booking system; no name is stored,
-- and the pseudonymous patient reference is not shown.
-- "No later appointment" is the patient's latest treatment or follow-up date being that
-- session's date: two grouped scans and a join (a correlated NOT EXISTS cost ~50x).
with lasts as (
    select
        patient_ref,
        max(appointment_date) as appointment_date,
        arg_max(appointment_id, (appointment_date, appointment_id)) as booking_ref,
        arg_max(site, (appointment_date, appointment_id)) as site,
        arg_max(clinician, (appointment_date, appointment_id)) as clinician,
        arg_max(funding, (appointment_date, appointment_id)) as funding,
        count(*) as sessions,
    from session_facts
    group by patient_ref
    having max(appointment_date) between $as_of - 365 and $as_of - 120
),

latest as (
    select patient_ref, max(appointment_date) as latest_date,
    from appointments
    where kind in ('treatment', 'follow-up') and appointment_date >= $as_of - 365
    group by patient_ref
),

stopped as (
    select l.*,
    from in_scope('lasts', $scope) as l
    inner join latest as a on a.patient_ref = l.patient_ref
    where a.latest_date = l.appointment_date
),

final as (
    select
        booking_ref,
        appointment_date as last_session,
        ($as_of - appointment_date)::bigint as days_since,
        sessions,
        clinician,
        site,
        count(*) over () as total_rows,
    from stopped
)

select * from final order by last_session, booking_ref limit $limit;
