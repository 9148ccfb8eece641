-- The review call list: completed treatment sessions whose six-week review (day 35..56) or, for
-- varicose veins, two-week check (day 1..14) is due (window open on $as_of) or overdue (window
-- closed in the last 28 days) with no follow-up attended or booked inside the window
-- (review_covered / check_covered, computed at write time in queries/facts_session_rows.sql).
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all),
--         $as_of, $limit (rows returned, most overdue first; null = all).
-- Grain: one row per session per check; total_rows = rows before the limit.
with sessions as not materialized (
    select *
    from session_facts
    where
        -- Only sessions of the last 84 days can have a window open or closed in the last 28
        -- days (review: day 35..56 + 28; check: day 1..14): session_facts is stored in date
        -- order, so this range skips almost every row group of a decade of history.
        appointment_date between $as_of - 84 and $as_of - 1
        and ($start::date is null or appointment_date >= $start)
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

-- Not materialized: a count and a top-N over two cheap scans cost less than sorting a copy.
open_windows as not materialized (
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
        (select count(*) from open_windows) as total_rows,
    from open_windows as w
)

select * from final order by days_overdue desc, window_closes, patient_ref, "check"
limit $limit;
