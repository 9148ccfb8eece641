-- demo_appointments_export: the demo clinic's appointments as its booking system exports them.
-- Answers: the rows of the appointments CSV in vendor style: UK dates, pound amounts, status
-- and vocabulary synonyms, client names and e-mails the importer must drop.
-- Params: $seed.
-- Grain: one row per appointment, in the stored (date) order of demo_appointments: no ORDER BY,
-- so 10M-session exports stream instead of sorting gigabytes of formatted text.
with

appointments as (
    select * from demo_appointments
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
        case status
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
    from appointments
)

select * from final
