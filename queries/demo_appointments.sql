-- demo_appointments: the demo clinic's appointments, before an export formats them.
-- Answers: every appointment of the synthetic clinic: treatment sessions, sock sales on the
-- session day (compression bought), six-week reviews (~75% attended in the day 35-56 window,
-- some early, late, cancelled or missing) and two-week checks after ~70% of varicose sessions;
-- follow-ups after the export date are 'booked'; ~15% of completed treatments discounted.
-- Params: $seed, $last_day (the export date).
-- Grain: one row per appointment; appointment_no = session_id * 4 + (0 session, 1 socks,
-- 2 review, 3 check); rows in date order (the export keeps that order without sorting wide rows).
with

sessions as (
    select * from demo_sessions
),

price_list as (
    -- Each price with the day it stops applying, so a plain range join finds the list price.
    select
        *,
        lead(valid_from, 1, date '9999-12-31') over (partition by item order by valid_from)
            as valid_to,
    from demo_price_list
),

treatment_rows as (
    select
        session_id * 4 as appointment_no,
        session_id,
        patient,
        session_day as day,
        start_time,
        clinician,
        item,
        status,
        site,
        vein_type,
        vein_diameter_mm,
        sclerosant,
        concentration_pct,
        form,
        volume_ml,
        treated_area,
        compression,
        funding,
    from sessions
),

sock_rows as (
    select
        session_id * 4 + 1 as appointment_no,
        session_id,
        patient,
        session_day as day,
        start_time + interval 30 minute as start_time,
        clinician,
        'Compression Socks' as item,
        'completed' as status,
        site,
        funding,
    from sessions
    where compression = 'bought' and status = 'completed'
),

review_draws as (
    select
        *,
        demo_u($seed, session_id, 'review') as u_review,
        demo_u($seed, session_id, 'review day') as u_day,
        demo_u($seed, session_id, 'review slot') as u_slot,
    from sessions
    where status = 'completed'
),

review_rows as (
    select
        session_id * 4 + 2 as appointment_no,
        session_id,
        patient,
        session_day + cast(
            case
                when u_review < 0.11 then 40 + floor(u_day * 5)
                when u_review < 0.18 then 25 + floor(u_day * 10)
                when u_review < 0.24 then 57 + floor(u_day * 19)
                else 36 + floor(u_day * 20)
            end as integer
        ) as day,
        make_time(9 + cast(floor(u_slot * 8) as integer), 15 * cast(floor(u_slot * 16) % 4 as integer), 0)
            as start_time,
        clinician,
        '6 Week Review' as item,
        case
            when u_review < 0.08 then 'cancelled'
            when u_review < 0.11 then 'no-show'
            else 'completed'
        end as status,
        site,
        funding,
    from review_draws
    -- About 3% never book a review; from 0.27 on the review is attended in the window.
    where u_review < 0.24 or u_review >= 0.27
),

check_draws as (
    select
        *,
        demo_u($seed, session_id, 'check') as u_check,
        demo_u($seed, session_id, 'check day') as u_day,
        demo_u($seed, session_id, 'check slot') as u_slot,
    from sessions
    where status = 'completed' and vein_type = 'varicose'
),

check_rows as (
    select
        session_id * 4 + 3 as appointment_no,
        session_id,
        patient,
        session_day + cast(
            case when u_check < 0.70 then 7 + floor(u_day * 8) else 15 + floor(u_day * 6) end
            as integer
        ) as day,
        make_time(9 + cast(floor(u_slot * 8) as integer), 15 * cast(floor(u_slot * 16) % 4 as integer), 0)
            as start_time,
        clinician,
        '2 Week Check' as item,
        'completed' as status,
        site,
        funding,
    from check_draws
    where u_check < 0.76
),

all_rows as (
    select * from treatment_rows
    union all by name
    select * from sock_rows
    union all by name
    select * from review_rows
    union all by name
    select * from check_rows
),

listed as (
    select
        all_rows.*,
        price_list.price_gbp as list_price,
        case when all_rows.day > cast($last_day as date) then 'booked' else all_rows.status end
            as final_status,
        demo_u($seed, appointment_no, 'price') as u_price,
        demo_u($seed, appointment_no, 'discount') as u_discount,
        demo_u($seed, appointment_no, 'label') as u_label,
        demo_u($seed, appointment_no, 'format') as u_format,
    from all_rows
    join price_list
        on all_rows.item = price_list.item
        and all_rows.day >= price_list.valid_from
        and all_rows.day < price_list.valid_to
),

charged as (
    select
        *,
        -- ~15% of completed treatments are discounted; other rows leave the price blank
        -- (= list price) or repeat the list price, as receptionists do.
        case
            when final_status <> 'completed' then null
            when item in ('Single Session', 'Additional Session') and u_price < 0.15 then
                case
                    when u_discount < 0.45 then round(list_price * 0.9, 0)
                    when u_discount < 0.80 then list_price - 20
                    else list_price - 30
                end
            when u_price < 0.55 then null
            else list_price
        end as price_charged,
    from listed
),

final as (
    select
        appointment_no,
        session_id,
        patient,
        day,
        start_time,
        clinician,
        item,
        final_status as status,
        price_charged,
        site,
        vein_type,
        vein_diameter_mm,
        sclerosant,
        concentration_pct,
        form,
        volume_ml,
        treated_area,
        compression,
        funding,
        u_label,
        u_format,
    from charged
)

select * from final
order by day, start_time, appointment_no
