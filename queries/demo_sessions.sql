-- demo_sessions: the demo clinic's treatment sessions with their clinical detail.
-- Answers: which treatment sessions the synthetic clinic had (and has booked), drawn from seeded
-- hash-based randomness: patients with 1-4 sessions mostly >= 28 days apart, first visits
-- busier in spring and quieter in August and December, two sites, five clinicians.
-- Params: $seed; $n_sessions (rows returned); $first_day, $last_day (the export date: sessions
--   up to 28 days after it are 'booked').
-- Grain: one row per treatment session; session_id = patient * 4 + seq - 1 (unique, stable).
-- Needs the demo_u macro (demo_random.sql).
with

days as (
    select cast(d as date) as day,
    -- Patients who started up to five months earlier are already mid-course on day one.
    from range(
        cast($first_day as timestamp) - interval 150 day,
        cast($last_day as timestamp) + interval 1 day,
        interval 1 day
    ) as t (d)
),

calendar as (
    -- Clinics are closed on Sundays and quieter on Saturdays.
    select
        day,
        case month(day)
            when 3 then 1.25 when 4 then 1.4 when 5 then 1.35 when 6 then 1.15
            when 8 then 0.5 when 12 then 0.55 when 1 then 0.9 else 1.0
        end * case dayofweek(day) when 0 then 0.0 when 6 then 0.6 else 1.0 end as weight,
    from days
),

cumulative as (
    select
        day,
        coalesce(
            sum(weight) over (order by day rows between unbounded preceding and 1 preceding), 0
        ) / sum(weight) over () as cum_lo,
    from calendar
    where weight > 0
),

patient_draws as (
    -- More patients than needed: early starters' first sessions fall before $first_day and
    -- late starters' last ones past the horizon; the surplus is trimmed in `kept`.
    select
        p as patient,
        demo_u($seed, p, 'sessions') as u_sessions,
        demo_u($seed, p, 'first') as u_first,
        demo_u($seed, p, 'site') as u_site,
        demo_u($seed, p, 'clinician') as u_clinician,
        demo_u($seed, p, 'main vein') as u_vein,
        demo_u($seed, p, 'funding') as u_funding,
    from range(cast(ceil($n_sessions * 0.8) as bigint) + 20) as t (p)
),

patients as (
    select
        patient,
        u_first,
        case
            when u_sessions < 0.40 then 1
            when u_sessions < 0.70 then 2
            when u_sessions < 0.90 then 3
            else 4
        end as planned_sessions,
        case when u_site < 0.58 then 'Ealing' else 'Chiswick' end as site,
        case
            when u_site < 0.58 then
                case
                    when u_clinician < 0.40 then 'Dr Amara Patel'
                    when u_clinician < 0.75 then 'Nurse Chloe Evans'
                    else 'Dr Ben Okafor'
                end
            else
                case when u_clinician < 0.55 then 'Dr Dariusz Kowalski' else 'Nurse Priya Shah' end
        end as usual_clinician,
        case
            when u_vein < 0.55 then 'spider'
            when u_vein < 0.80 then 'reticular'
            else 'varicose'
        end as main_vein_type,
        u_funding,
    from patient_draws
),

first_visits as (
    select
        patients.*,
        cumulative.day as first_day,
    from patients
    asof join cumulative
        on patients.u_first >= cumulative.cum_lo
),

dated as (
    -- A repeat session's gap is keyed by its own session id (see demo_gap).
    select
        first_visits.*,
        seq,
        patient * 4 + seq - 1 as session_id,
        first_day + cast(
            case seq
                when 1 then 0
                when 2 then demo_gap($seed, patient * 4 + 1)
                when 3 then demo_gap($seed, patient * 4 + 1) + demo_gap($seed, patient * 4 + 2)
                else demo_gap($seed, patient * 4 + 1) + demo_gap($seed, patient * 4 + 2)
                    + demo_gap($seed, patient * 4 + 3)
            end as integer
        ) as raw_day,
    from first_visits
    cross join range(1, 5) as s (seq)
    where seq <= planned_sessions
),

kept as (
    select
        *,
        raw_day + case when dayofweek(raw_day) = 0 then 1 else 0 end as session_day,
    from dated
    where raw_day between cast($first_day as date) and cast($last_day as date) + 27
    qualify row_number() over (order by patient, seq) <= $n_sessions
),

drawn as (
    select
        *,
        demo_u($seed, session_id, 'status') as u_status,
        demo_u($seed, session_id, 'swap') as u_swap,
        demo_u($seed, session_id, 'other') as u_other,
        demo_u($seed, session_id, 'vein') as u_vein,
        demo_u($seed, session_id, 'sclerosant') as u_sclerosant,
        demo_u($seed, session_id, 'form') as u_form,
        demo_u($seed, session_id, 'dose') as u_dose,
        demo_u($seed, session_id, 'diameter') as u_diameter,
        demo_u($seed, session_id, 'volume') as u_volume,
        demo_u($seed, session_id, 'area') as u_area,
        demo_u($seed, session_id, 'compression') as u_compression,
        demo_u($seed, session_id, 'slot') as u_slot,
    from kept
),

typed as (
    select
        *,
        -- After the main veins are done, later sessions often tidy up spider veins.
        case
            when seq > 1 and u_vein < 0.25 then 'spider' else main_vein_type
        end as vein_type,
        case
            when u_sclerosant < 0.68 then 'polidocanol'
            when u_sclerosant < 0.95 then 'sodium tetradecyl sulfate'
            else 'hypertonic saline'
        end as sclerosant,
        -- One clinician in ten covers for a colleague at the same site.
        case
            when u_swap >= 0.10 then usual_clinician
            when site = 'Ealing'
                then ['Dr Amara Patel', 'Nurse Chloe Evans', 'Dr Ben Okafor'][
                    1 + cast(floor(u_other * 3) as integer)]
            else ['Dr Dariusz Kowalski', 'Nurse Priya Shah'][
                1 + cast(floor(u_other * 2) as integer)]
        end as clinician,
    from drawn
),

final as (
    select
        session_id,
        patient,
        seq,
        session_day,
        make_time(
            9 + cast(floor(u_slot * 17) as integer) // 2,
            30 * (cast(floor(u_slot * 17) as integer) % 2),
            0
        ) as start_time,
        site,
        clinician,
        case when seq = 1 then 'Single Session' else 'Additional Session' end as item,
        case
            when session_day > cast($last_day as date) then 'booked'
            when u_status < 0.05 then 'cancelled'
            when u_status < 0.08 then 'no-show'
            else 'completed'
        end as status,
        vein_type,
        round(
            case vein_type
                when 'spider' then 0.2 + u_diameter * 0.8
                when 'reticular' then 1.0 + u_diameter * 2.0
                else 3.0 + u_diameter * 2.0
            end,
            1
        ) as vein_diameter_mm,
        sclerosant,
        case sclerosant
            when 'polidocanol' then
                case vein_type
                    when 'spider' then [0.25, 0.5][1 + cast(floor(u_dose * 2) as integer)]
                    when 'reticular' then [0.5, 1.0][1 + cast(floor(u_dose * 2) as integer)]
                    else [1.0, 2.0, 3.0][1 + cast(floor(u_dose * 3) as integer)]
                end
            when 'sodium tetradecyl sulfate' then
                case vein_type
                    when 'spider' then [0.1, 0.2][1 + cast(floor(u_dose * 2) as integer)]
                    when 'reticular' then [0.25, 0.5][1 + cast(floor(u_dose * 2) as integer)]
                    else [1.0, 3.0][1 + cast(floor(u_dose * 2) as integer)]
                end
            else [11.7, 23.4][1 + cast(floor(u_dose * 2) as integer)]
        end as concentration_pct,
        -- Foam for larger veins; hypertonic saline is never foamed.
        case
            when sclerosant = 'hypertonic saline' then 'liquid'
            when vein_type = 'varicose' and u_form < 0.70 then 'foam'
            when vein_type = 'reticular' and u_form < 0.25 then 'foam'
            when vein_type = 'spider' and u_form < 0.05 then 'foam'
            else 'liquid'
        end as form,
        round(
            case vein_type
                when 'spider' then 0.5 + u_volume * 2.5
                when 'reticular' then 1.0 + u_volume * 4.0
                else 2.0 + u_volume * 6.0
            end,
            1
        ) as volume_ml,
        case
            when u_area < 0.40 then 'left leg'
            when u_area < 0.75 then 'right leg'
            when u_area < 0.98 then 'both legs'
            else 'other'
        end as treated_area,
        case
            when u_compression < 0.10 then 'none'
            when u_compression < 0.55 then 'bought'
            else 'own'
        end as compression,
        case
            when vein_type = 'varicose' and u_funding < 0.15 then 'nhs'
            when vein_type = 'varicose' and u_funding < 0.30 then 'insurance'
            when u_funding < 0.01 then 'nhs'
            when u_funding < 0.07 then 'insurance'
            else 'self-pay'
        end as funding,
    from typed
)

select * from final
