-- demo_side_effects_export: the demo clinic's side-effect reports as its records system exports
-- them.
-- Answers: the rows of the side-effects CSV, shaped like a real clinic's incident reports rather
-- than like the literature's rates. Guex et al. (Dermatol Surg 2005) recorded 49 incidents in
-- 12,173 sclerotherapy sessions within a month (0.4%); bruising and pigmentation are common but
-- seldom reported as incidents. So each completed treatment session draws each effect
-- independently at a reporting rate (about 2% of sessions report anything; bruising 0.4%,
-- hyperpigmentation 0.3%, matting 0.15%; superficial thrombophlebitis 0.12%, DVT, PE, necrosis,
-- allergy and ulcer 0.002-0.02%: a handful of serious events a year). $outlier_clinician (x2.5)
-- and $outlier_sclerosant (x2) report more often so the funnel plot shows an outlier. Minor
-- effects are mild or moderate and never need medical attention; serious ones always do.
-- Reports dated after the export date are not known yet. Effect names use the usual synonyms.
-- Params: $seed, $last_day (the export date), $outlier_clinician, $outlier_sclerosant.
-- Grain: one row per session per effect reported.
with

sessions as (
    select * from demo_sessions
    where status = 'completed'
),

effects as (
    -- effect, how it is written (two spellings), rate per session, report lag (days) and
    -- days to resolve; serious effects always need medical attention.
    select *
    from (
        values
            ('bruising', 'Bruising', 'bruise', 0.0040, 1, 6, 14, false),
            ('hyperpigmentation', 'Hyperpigmentation', 'dark spots', 0.0030, 21, 70, 120, false),
            ('telangiectatic matting', 'Telangiectatic matting', 'matting', 0.0015, 21, 70, 150,
                false),
            ('temporary swelling', 'Temporary swelling', 'swelling', 0.0012, 1, 4, 7, false),
            ('injection pain', 'Injection pain', 'pain', 0.0006, 0, 2, 3, false),
            ('localized hives', 'Localized hives', 'hives', 0.0004, 0, 2, 4, false),
            ('tape compression blister', 'Tape compression blister', 'blister', 0.0003, 1, 5, 10,
                false),
            ('tape compression folliculitis', 'Tape compression folliculitis', 'folliculitis',
                0.0002, 2, 8, 10, false),
            ('vasovagal reflex', 'Vasovagal reflex', 'fainting', 0.0004, 0, 1, 1, false),
            ('migraine headache', 'Migraine headache', 'migraine', 0.0004, 0, 2, 2, false),
            ('localized hair growth', 'Localized hair growth', 'hair growth', 0.0001, 30, 90, 180,
                false),
            ('recurrence', 'Recurrence', 'Recurrence', 0.0008, 60, 120, 0, false),
            ('superficial thrombophlebitis', 'Superficial thrombophlebitis', 'phlebitis', 0.0012,
                5, 21, 30, true),
            ('deep vein thrombosis', 'Deep vein thrombosis', 'DVT', 0.0001, 3, 21, 90, true),
            ('pulmonary embolism', 'Pulmonary embolism', 'PE', 0.00002, 3, 21, 120, true),
            ('cutaneous necrosis', 'Cutaneous necrosis', 'skin necrosis', 0.0002, 3, 14, 60, true),
            ('allergic reaction', 'Allergic reaction', 'allergy', 0.0001, 0, 1, 3, true),
            ('injection site ulcer', 'Injection site ulcer', 'ulcer', 0.0001, 5, 21, 60, true),
    ) as t (effect, label, synonym, rate, lag_min, lag_max, resolve_days, serious)
),

draws as (
    select
        sessions.*,
        effects.*,
        demo_u($seed, session_id, effect) as u_effect,
        -- Larger veins bruise and clot more; foam adds to thrombotic risk.
        rate
        * case when clinician = $outlier_clinician then 2.5 else 1.0 end
        * case when sclerosant = $outlier_sclerosant then 2.0 else 1.0 end
        * case
            when vein_type = 'varicose' and effect in ('bruising', 'superficial thrombophlebitis')
                then 1.5
            else 1.0
        end
        * case when form = 'foam' and serious then 1.5 else 1.0 end as session_rate,
    from sessions
    cross join effects
),

reported as (
    select
        *,
        session_day + lag_min + cast(
            floor(demo_u($seed, session_id, effect || ' lag') * (lag_max - lag_min + 1))
            as integer
        ) as reported_day,
        demo_u($seed, session_id, effect || ' detail') as u_detail,
        demo_u($seed, session_id, effect || ' severity') as u_severity,
        demo_u($seed, session_id, effect || ' text') as u_text,
    from draws
    where u_effect < session_rate
),

described as (
    select
        *,
        greatest(session_day, reported_day - cast(floor(u_detail * 4) as integer)) as onset_day,
        case
            when resolve_days > 0 and u_detail < 0.85
                then reported_day + cast(resolve_days * (0.5 + u_text) as integer)
        end as resolved_candidate,
        -- A reported minor effect is mild or moderate and never needed a doctor: a "severe
        -- bruise" sent to A&E would alarm a manager and is not what clinics report.
        case
            when serious then case when u_severity < 0.6 then 'moderate' else 'severe' end
            when u_severity < 0.75 then 'mild'
            else 'moderate'
        end as severity,
        serious as medical_attention,
    from reported
    where reported_day <= cast($last_day as date)
),

final as (
    select
        'BK' || lpad(cast(session_id * 4 + 100000 as varchar), 9, '0') as "Session ID",
        strftime(reported_day, '%Y-%m-%d') as "Report Date",
        case when u_text < 0.75 then label else synonym end as "Complication",
        severity as "Severity",
        case when medical_attention then 'Yes' else 'No' end as "Needs Medical Attention",
        strftime(onset_day, '%Y-%m-%d') as "Onset",
        case
            when resolved_candidate <= cast($last_day as date)
                then strftime(resolved_candidate, '%Y-%m-%d')
        end as "Resolved",
        case
            when effect = 'superficial thrombophlebitis' then
                ['Trapped blood drained at review', 'Referred to GP'][
                    1 + cast(floor(u_detail * 2) as integer)]
            when effect in ('deep vein thrombosis', 'pulmonary embolism') then
                ['Duplex ultrasound arranged', 'Referred to A&E'][
                    1 + cast(floor(u_detail * 2) as integer)]
            when effect = 'allergic reaction' then 'Antihistamine given, observed for an hour'
            when serious then 'Wound care, referred to GP'
            else
                ['Reassurance given', 'Compression advised', 'Review appointment offered',
                    'Photographed for records'][1 + cast(floor(u_detail * 4) as integer)]
        end as "Action",
        case
            when resolved_candidate <= cast($last_day as date) then 'Resolved'
            else 'Ongoing'
        end as "Outcome",
        case
            when u_text < 0.45 then 'Reception'
            when u_text < 0.80 then 'Clinician at review'
            else 'Patient e-mail'
        end as "Reported By",
        case
            when u_severity < 0.40 then null
            when u_severity < 0.60 then 'Patient phoned reception'
            when u_severity < 0.75 then 'Seen at follow-up'
            when u_severity < 0.90 then 'Advice leaflet given'
            else 'Will review at next session'
        end as "Notes",
        reported_day,
        session_id,
        effect,
    from described
)

select * exclude (reported_day, session_id, effect) from final
order by reported_day, session_id, effect
