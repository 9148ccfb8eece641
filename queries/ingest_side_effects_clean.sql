-- ingest_side_effects_clean: each data row of a side-effects export, typed and checked.
-- Params: none. Inputs: ingest_raw (r_<canonical column> as text, in file order) and
-- ingest_vocab; effect_terms (the vocabulary) and appointments (treatment sessions).
-- Grain: one row per data row of the file; e_<column> holds the reason a value is rejected.
with

raw as (select * from ingest_raw),

vocab as (select * from ingest_vocab),

terms as (
    select term, any_value(canonical) as canonical
    from (
        select ingest_norm(effect) as term, effect as canonical from effect_terms
        union all
        select vocab.term, vocab.canonical
        from vocab
        join effect_terms on effect_terms.effect = vocab.canonical
        where vocab.field = 'effect'
    )
    group by term
),

sessions as (select distinct appointment_id from appointments where kind = 'treatment'),

allowed as (
    select field, string_agg(distinct canonical, ', ' order by canonical) as terms
    from vocab
    group by field
),

maps as (
    select
        (select map(list(term), list(canonical)) from terms) as effect,
        (select map(list(term), list(canonical)) from vocab where field = 'severity')
            as severity,
        (select map(list(term), list(canonical)) from vocab where field = 'medical_attention')
            as medical_attention,
),

typed as (
    select
        raw.*,
        ingest_blank(raw.r_appointment_id) as appointment_id,
        ingest_date(raw.r_reported_date) as reported_date,
        ingest_lookup(maps.effect, raw.r_effect) as effect,
        ingest_lookup(maps.severity, raw.r_severity) as severity,
        ingest_lookup(maps.medical_attention, raw.r_medical_attention)::boolean
            as medical_attention,
        ingest_date(raw.r_onset_date) as onset_date,
        ingest_date(raw.r_resolved_date) as resolved_date,
        ingest_mask(ingest_blank(raw.r_action)) as action,
        ingest_mask(ingest_blank(raw.r_outcome)) as outcome,
        ingest_blank(raw.r_reported_by) as reported_by,
        -- Free text kept exactly as given (auditors search it); only an empty cell is null.
        case when trim(raw.r_notes) <> '' then ingest_mask(raw.r_notes) end as notes,
        sessions.appointment_id is not null as session_known,
    from raw
    cross join maps
    left join sessions on sessions.appointment_id = ingest_blank(raw.r_appointment_id)
),

keyed as (
    select
        typed.*,
        coalesce(
            ingest_blank(r_report_id),
            'R' || left(sha256(appointment_id || '|' || effect || '|' || reported_date::varchar), 16)
        ) as report_id,
    from typed
),

final as (
    select
        keyed.*,
        cast(null as varchar) as e_report_id,
        case
            when appointment_id is null then 'the appointment id is empty'
            when not session_known
                then 'no treatment session ' || appointment_id
                    || ' in the store: import the appointments export first'
        end as e_appointment_id,
        case
            when ingest_blank(r_reported_date) is null then 'the reported date is empty'
            when reported_date is null
                then 'not a date: use 2025-04-03 or 03/04/2025 (day first, UK order)'
        end as e_reported_date,
        case
            when ingest_blank(r_effect) is null then 'the side effect is empty'
            when effect is null
                then 'unknown side effect ''' || trim(r_effect) || ''': use one of '
                    || (select string_agg(effect, ', ' order by effect) from effect_terms)
                    || ' or add a synonym to clinic/data/vocabulary.json'
        end as e_effect,
        case
            when severity is null and ingest_blank(r_severity) is not null
                then 'unknown severity ''' || trim(r_severity) || ''': use one of '
                    || (select terms from allowed where field = 'severity')
        end as e_severity,
        case
            when medical_attention is null and ingest_blank(r_medical_attention) is not null
                then 'not yes or no: use yes/no, true/false or y/n'
        end as e_medical_attention,
        case
            when onset_date is null and ingest_blank(r_onset_date) is not null
                then 'not a date: use 2025-04-03 or 03/04/2025 (day first, UK order)'
        end as e_onset_date,
        case
            when resolved_date is null and ingest_blank(r_resolved_date) is not null
                then 'not a date: use 2025-04-03 or 03/04/2025 (day first, UK order)'
        end as e_resolved_date,
        cast(null as varchar) as e_action,
        cast(null as varchar) as e_outcome,
        cast(null as varchar) as e_reported_by,
        cast(null as varchar) as e_notes,
    from keyed
)

-- The raw r_ columns stay in: the importer keeps them only for rejected values (v_<column>).
select * from final
