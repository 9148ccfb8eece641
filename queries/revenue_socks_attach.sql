-- Socks attach rate: completed treatment sessions where compression was recorded as 'bought' or
-- the same patient has a completed product sale (any item of kind 'product', so a renamed sock
-- item needs no code change) on the same day.
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all).
-- Grain: one row.
with sessions as (
    select *
    from treatment_sessions
    where
    ($start::date is null or appointment_date >= $start)
    and ($end::date is null or appointment_date <= $end)
    and ($site::varchar is null or site = $site)
    and ($clinician::varchar is null or clinician = $clinician)
),

sales as (
    select distinct patient_ref, appointment_date,
    from appointments
    where kind = 'product' and status = 'completed'
),

final as (
    select
        count(*) as eligible,
        count(*) filter (
            where s.compression = 'bought' or p.patient_ref is not null
        ) as met,
    from sessions as s
    left join sales as p
        on p.patient_ref = s.patient_ref and p.appointment_date = s.appointment_date
)

select * from final;
