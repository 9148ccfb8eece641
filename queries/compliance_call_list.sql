-- The review call list: completed treatment sessions whose six-week review (day 35..56) or, for
-- varicose veins, two-week check (day 1..14) is due (window open on $as_of) or overdue (window
-- closed in the last 28 days) with no follow-up attended or booked inside the window
-- (review_covered / check_covered, computed at write time in queries/facts_session_rows.sql).
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all),
--         $as_of.
-- Grain: one row per session per check.
with sessions as (
    select *
    from session_facts
    where
        ($start::date is null or appointment_date >= $start)
        and ($end::date is null or appointment_date <= $end)
        and ($site::varchar is null or site = $site)
        and ($clinician::varchar is null or clinician = $clinician)
),

windows as (
    select
        appointment_id,
        patient_ref,
        appointment_date as session_date,
        clinician,
        site,
        'review_6w' as "check",
        appointment_date + 35 as window_opens,
        appointment_date + 56 as window_closes,
    from sessions
    where not review_covered
    union all
    select
        appointment_id,
        patient_ref,
        appointment_date as session_date,
        clinician,
        site,
        'check_2w' as "check",
        appointment_date + 1 as window_opens,
        appointment_date + 14 as window_closes,
    from sessions
    where is_varicose and not check_covered
),

open_windows as (
    select *
    from windows
    where window_opens <= $as_of and $as_of - window_closes <= 28
),

final as (
    select
        w.patient_ref,
        w.appointment_id,
        w.session_date,
        w.clinician,
        w.site,
        w."check",
        w.window_opens,
        w.window_closes,
        case when w.window_closes >= $as_of then 'due' else 'overdue' end as status,
        greatest($as_of - w.window_closes, 0) as days_overdue,
    from open_windows as w
)

select * from final order by days_overdue desc, window_closes, patient_ref, "check";
