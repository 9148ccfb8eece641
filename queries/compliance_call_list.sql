-- The review call list: completed treatment sessions whose six-week review (day 35..56) or, for
-- varicose veins, two-week check (day 1..14) is due (window open on $as_of) or overdue (window
-- closed in the last 28 days) with no follow-up attended or booked inside the window
-- (review_covered / check_covered, computed at write time in queries/facts_session_rows.sql).
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql),
--         $as_of, $limit (rows returned, most overdue first; null = all).
-- Grain: one row per session per check; total_rows = rows before the limit.
with sessions as not materialized (
    select *
    from in_scope('session_facts', $scope)
),

-- A window is open or closed within the last 28 days exactly when its session falls in the
-- range each branch names (review: day 35..56, so sessions 35..84 days ago; check: day 1..14,
-- sessions 1..42 days ago). session_facts is stored in date order, so these ranges skip almost
-- every row group of a decade of history.
-- The list is ordered by window_closes (days_overdue only falls as it rises), so the dates alone
-- say how many windows close on each day and where the page ends: the wide rows (ids, names)
-- are then read only for the days up to that cut-off (at 10M sessions: 41 -> 12 ms).
open_days as (
    select appointment_date + 56 as window_closes,
    from sessions
    where not review_covered and appointment_date between $as_of - 84 and $as_of - 35
    union all
    select appointment_date + 14 as window_closes,
    from sessions
    where is_varicose and not check_covered and appointment_date between $as_of - 42 and $as_of - 1
),

cut as (
    select
        sum(windows) as total_rows,
        -- The day the $limit-th window closes on (every day when $limit is null).
        coalesce(min(window_closes) filter (where running >= $limit), max(window_closes))
            as last_closes,
    from (
        select window_closes, windows, sum(windows) over (order by window_closes) as running,
        from (select window_closes, count(*) as windows from open_days group by window_closes)
    )
),

windows as (
    select
        s.appointment_id,
        s.patient_ref,
        s.appointment_date as session_date,
        s.clinician,
        s.site,
        'review_6w' as "check",
        s.appointment_date + 35 as window_opens,
        s.appointment_date + 56 as window_closes,
    from sessions as s, cut
    where
        not s.review_covered
        and s.appointment_date between $as_of - 84 and least($as_of - 35, cut.last_closes - 56)
    union all
    select
        s.appointment_id,
        s.patient_ref,
        s.appointment_date as session_date,
        s.clinician,
        s.site,
        'check_2w' as "check",
        s.appointment_date + 1 as window_opens,
        s.appointment_date + 14 as window_closes,
    from sessions as s, cut
    where
        s.is_varicose
        and not s.check_covered
        and s.appointment_date between $as_of - 42 and least($as_of - 1, cut.last_closes - 14)
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
        (select total_rows from cut) as total_rows,
    from windows as w
)

select * from final order by days_overdue desc, window_closes, patient_ref, "check", appointment_id
limit $limit;
