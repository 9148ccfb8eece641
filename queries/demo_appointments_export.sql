-- demo_appointments_export: the demo clinic's appointments as its booking system exports them.
-- Answers: every appointment of the synthetic clinic: treatment sessions, sock sales on the
-- session day (compression bought), six-week reviews (~75% attended in the day 35-56 window,
-- some early, late, cancelled or missing) and two-week checks after ~70% of varicose sessions;
-- follow-ups after the export date are 'booked'; ~15% of completed treatments discounted.
-- Vendor style: UK dates, pound amounts, status and vocabulary synonyms, client names and
-- e-mails the importer must drop.
-- Params: $seed, $last_day (the export date).
-- Grain: one row per appointment; booking number = session_id * 4 + part (0 session, 1 socks,
-- 2 six-week review, 3 two-week check). No ORDER BY: rows stream out session by session, so a
-- 10M-session export never sorts gigabytes of text (small exports come out in booking order).
with

sessions as (
    select * from demo_sessions
),

parts as (
    -- Every session can bring up to four appointments; the draws decide which exist.
    select
        *,
        unnest([0, 1, 2, 3]) as part,
        demo_u($seed, session_id, 'review') as u_review,
        demo_u($seed, session_id, 'check') as u_check,
    from sessions
),

existing as (
    select *
    from parts
    where
        part = 0
        or (part = 1 and compression = 'bought' and status = 'completed')
        -- About 3% never book a review; from 0.27 on the review is attended in the window.
        or (part = 2 and status = 'completed' and (u_review < 0.24 or u_review >= 0.27))
        or (part = 3 and status = 'completed' and vein_type = 'varicose' and u_check < 0.76)
),

drawn as (
    select
        *,
        session_id * 4 + part as appointment_no,
        demo_u($seed, session_id, case part when 2 then 'review day' else 'check day' end)
            as u_day,
        demo_u($seed, session_id, case part when 2 then 'review slot' else 'check slot' end)
            as u_slot,
    from existing
),

all_rows as (
    select
        appointment_no,
        session_id,
        patient,
        case part
            when 2 then session_day + cast(
                case
                    when u_review < 0.11 then 40 + floor(u_day * 5)
                    when u_review < 0.18 then 25 + floor(u_day * 10)
                    when u_review < 0.24 then 57 + floor(u_day * 19)
                    else 36 + floor(u_day * 20)
                end as integer
            )
            when 3 then session_day + cast(
                case when u_check < 0.70 then 7 + floor(u_day * 8) else 15 + floor(u_day * 6) end
                as integer
            )
            else session_day
        end as day,
        case part
            when 0 then start_time
            when 1 then start_time + interval 30 minute
            else make_time(
                9 + cast(floor(u_slot * 8) as integer),
                15 * cast(floor(u_slot * 16) % 4 as integer),
                0
            )
        end as start_time,
        clinician,
        case part
            when 0 then item
            when 1 then 'Compression Socks'
            when 2 then '6 Week Review'
            else '2 Week Check'
        end as item,
        case
            when part = 0 then status
            when part = 2 and u_review < 0.08 then 'cancelled'
            when part = 2 and u_review < 0.11 then 'no-show'
            else 'completed'
        end as status,
        site,
        -- Clinical detail belongs to the treatment row only.
        case when part = 0 then vein_type end as vein_type,
        case when part = 0 then vein_diameter_mm end as vein_diameter_mm,
        case when part = 0 then sclerosant end as sclerosant,
        case when part = 0 then concentration_pct end as concentration_pct,
        case when part = 0 then form end as form,
        case when part = 0 then volume_ml end as volume_ml,
        case when part = 0 then treated_area end as treated_area,
        case when part = 0 then compression end as compression,
        funding,
    from drawn
),

listed as (
    select
        *,
        -- The latest price that took effect on or before the day (demo_list_prices.sql).
        list_last(
            list_filter(getvariable('demo_list_prices')[item], lambda p: p.valid_from <= day)
        ).price_gbp as list_price,
        case when day > cast($last_day as date) then 'booked' else status end
            as final_status,
        demo_u($seed, appointment_no, 'price') as u_price,
        demo_u($seed, appointment_no, 'discount') as u_discount,
        demo_u($seed, appointment_no, 'label') as u_label,
        demo_u($seed, appointment_no, 'format') as u_format,
    from all_rows
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
        'BK' || lpad(cast(appointment_no + 100000 as varchar), 9, '0') as "Booking ID",
        strftime(day, '%d/%m/%Y') as "Date",
        left(cast(start_time as varchar), 5) as "Time",
        'C' || lpad(cast(patient + 10000 as varchar), 7, '0') as "Customer ID",
        ['Olivia', 'Amelia', 'Grace', 'Sophie', 'Zoë', 'Siân', 'Ava', 'Emily', 'Isla', 'Hannah',
            'Fatima', 'Lucy', 'Ruth', 'Margaret', 'Helen', 'Sarah', 'Aoife', 'Renée', 'James',
            'David'][1 + cast(hash($seed, patient, 'first name') % 20 as integer)]
            || ' '
            || ['Smith', 'Jones', 'Williams', 'Brown', 'Taylor', 'Patel', 'Khan', 'Nowak', 'Müller',
                'O''Brien', 'Evans', 'Wilson', 'Murphy', 'Ahmed', 'Clarke', 'Walker'][
                1 + cast(hash($seed, patient, 'surname') % 16 as integer)]
            as "Client Name",
        'client' || cast(patient + 10000 as varchar) || '@example.co.uk' as "Email",
        clinician as "Therapist",
        item as "Treatment",
        case final_status
            when 'completed' then
                case when u_label < 0.80 then 'Completed' when u_label < 0.95 then 'Checked Out' else 'Arrived' end
            when 'cancelled' then case when u_label < 0.85 then 'Cancelled' else 'Late Cancellation' end
            when 'no-show' then case when u_label < 0.70 then 'No Show' else 'DNA' end
            else case when u_label < 0.60 then 'Booked' else 'Confirmed' end
        end as "Status",
        case
            when price_charged is null then null
            when u_format < 0.70 then printf('£%.2f', price_charged)
            else printf('%.2f', price_charged)
        end as "Amount",
        site as "Clinic",
        case vein_type
            when 'spider' then
                case when u_label < 0.70 then 'Spider' when u_label < 0.90 then 'Telangiectasia' else 'Thread' end
            when 'reticular' then 'Reticular'
            when 'varicose' then 'Varicose'
        end as "Vein Type",
        vein_diameter_mm as "Vein Diameter (mm)",
        case sclerosant
            when 'polidocanol' then
                case when u_format < 0.60 then 'Polidocanol' when u_format < 0.90 then 'Asclera' else 'Aethoxysklerol' end
            when 'sodium tetradecyl sulfate' then
                case when u_format < 0.50 then 'STS' when u_format < 0.80 then 'Sodium tetradecyl sulfate' else 'Fibrovein' end
            when 'hypertonic saline' then 'Hypertonic saline'
        end as "Sclerosant",
        concentration_pct as "Concentration (%)",
        form as "Form",
        volume_ml as "Volume (ml)",
        treated_area as "Area",
        case compression
            when 'bought' then case when u_label < 0.80 then 'Bought' else 'Purchased' end
            when 'own' then 'Own'
            when 'none' then 'None'
        end as "Compression Stockings",
        case funding when 'self-pay' then 'Self-pay' when 'nhs' then 'NHS' else 'Insurance' end
            as "Payment Type",
    from charged
)

select * from final
