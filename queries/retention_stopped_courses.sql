-- Stopped courses (docs/METRICS.md "Stopped courses"): patients whose last completed treatment
-- session is 120 to 365 days before $as_of and who have no later appointment (a treatment
-- session or follow-up visit of any status, booked ones included).
-- Params: $scope (applied to that last session: dates inclusive, site, clinician, funding; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql), $as_of, $limit (rows,
--         null = all).
-- Grain: one row per patient, longest stopped first. The booking reference (appointment id) of
-- the last session identifies the patient to staff in the booking system; no name is stored,
-- and the pseudonymous patient reference is not shown.
-- Reads patient_facts: "no later appointment" is the patient's latest treatment or follow-up
-- date being that last session's date.
with lasts as (
    select
        last_booking_ref as booking_ref,
        last_date as appointment_date,
        last_site as site,
        last_clinician as clinician,
        last_funding as funding,
        sessions,
        latest_appointment_date,
    from patient_facts
    where last_date between $as_of - 365 and $as_of - 120
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
    from in_scope('lasts', $scope)
    where latest_appointment_date = appointment_date
)

select * from final order by last_session, booking_ref limit $limit;
