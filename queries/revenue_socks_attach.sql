-- Socks attach rate: completed treatment sessions where compression was recorded as 'bought' or
-- the same patient has a completed product sale (any item of kind 'product', so a renamed sock
-- item needs no code change) on the same day (`socks_met`, computed at write time in
-- queries/facts_session_rows.sql).
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all).
-- Grain: one row.
with sessions as (
    select sessions, socks_met,
    from session_days
    where
        ($start::date is null or appointment_date >= $start)
        and ($end::date is null or appointment_date <= $end)
        and ($site::varchar is null or site = $site)
        and ($clinician::varchar is null or clinician = $clinician)
),

final as (
    select
        coalesce(sum(sessions), 0)::bigint as eligible,
        coalesce(sum(socks_met), 0)::bigint as met,
    from sessions
)

select * from final;
