-- The rows of `session_facts` for every patient ($everything) or for the patients listed in the
-- temp table facts_scope_patients (created by clinic/facts.py): one row per completed treatment
-- session with the facts every rate needs (docs/METRICS.md).
-- review_met: a completed follow-up of the same patient on day 35..56; check_met: day 1..14;
-- prev_session_date: the patient's previous completed treatment session (over all data, so a
-- date filter does not turn a repeat session into a first one); has_event / has_serious_event:
-- at least one linked side-effect report (serious = serious term or medical attention);
-- socks_met: compression 'bought' or a completed product sale to the patient that day;
-- review_covered / check_covered: a completed or booked follow-up in the window (call list).
-- Every fact depends only on the patient's own rows, so a patient's rows are recomputed whole.
-- Params: $everything (boolean: all patients, else the scope table).
-- Grain: one row per completed treatment session, in date order.
with scope as (
    select patient_ref,
    from facts_scope_patients
),

-- Two branches rather than `$everything or patient_ref in (...)`: that OR costs a whole rebuild
-- about twice its time; a branch whose condition is false costs one cheap scan. Only the columns
-- used, and not materialized: copying whole appointment rows for three readers cost more than
-- scanning the table three times.
patient_rows as not materialized (
    select
        appointment_id,
        appointment_date,
        patient_ref,
        clinician,
        site,
        item,
        kind,
        status,
        vein_type,
        sclerosant,
        form,
        compression,
        concentration_pct,
        volume_ml,
        treated_area,
        funding,
    from appointments
    where $everything
    union all
    select
        appointment_id,
        appointment_date,
        patient_ref,
        clinician,
        site,
        item,
        kind,
        status,
        vein_type,
        sclerosant,
        form,
        compression,
        concentration_pct,
        volume_ml,
        treated_area,
        funding,
    from appointments
    where not $everything and patient_ref in (select patient_ref from scope)
),

sessions as (
    select
        appointment_id,
        appointment_date,
        patient_ref,
        clinician,
        site,
        item,
        vein_type,
        sclerosant,
        form,
        compression,
        concentration_pct,
        volume_ml,
        treated_area,
        coalesce(funding, 'not recorded') as funding,
        lag(appointment_date) over (
            partition by patient_ref order by appointment_date, appointment_id
        ) as prev_session_date,
    from patient_rows
    where kind = 'treatment' and status = 'completed'
),

visits as (
    select patient_ref, appointment_date as visit_date, status = 'completed' as attended,
    from patient_rows
    where kind = 'follow-up' and status in ('completed', 'booked')
),

sales as (
    select patient_ref, appointment_date,
    from patient_rows
    where kind = 'product' and status = 'completed'
),

followed as (
    select
        s.appointment_id,
        bool_or(v.attended and v.visit_date >= s.appointment_date + 35) as review_met,
        bool_or(v.attended and v.visit_date <= s.appointment_date + 14) as check_met,
        bool_or(v.visit_date >= s.appointment_date + 35) as review_covered,
        bool_or(v.visit_date <= s.appointment_date + 14) as check_covered,
    from sessions as s
    inner join visits as v
        on
            v.patient_ref = s.patient_ref
            and v.visit_date between s.appointment_date + 1 and s.appointment_date + 56
    group by s.appointment_id
),

reports as (
    select
        e.appointment_id,
        bool_or(coalesce(t.serious, false) or coalesce(e.medical_attention, false))
            as has_serious_event,
    from side_effects as e
    inner join sessions as s on s.appointment_id = e.appointment_id
    left join effect_terms as t on t.effect = e.effect
    group by e.appointment_id
),

final as (
    select
        s.*,
        strftime(s.appointment_date, '%Y-%m') as month,
        coalesce(f.review_met, false) as review_met,
        coalesce(f.check_met, false) as check_met,
        coalesce(s.vein_type = 'varicose', false) as is_varicose,
        s.prev_session_date is not null as is_repeat,
        coalesce(s.appointment_date - s.prev_session_date >= 28, false) as spacing_met,
        coalesce(s.compression in ('bought', 'own'), false) as compression_met,
        r.appointment_id is not null as has_event,
        coalesce(r.has_serious_event, false) as has_serious_event,
        -- EXISTS, not a left join: on rows written earlier in the same transaction DuckDB has no
        -- row counts and built the join's hash table on the 300,000 sessions instead (5x slower).
        coalesce(s.compression = 'bought', false) or exists (
            select 1
            from sales as p
            where p.patient_ref = s.patient_ref and p.appointment_date = s.appointment_date
        ) as socks_met,
        coalesce(f.review_covered, false) as review_covered,
        coalesce(f.check_covered, false) as check_covered,
    from sessions as s
    left join followed as f on f.appointment_id = s.appointment_id
    left join reports as r on r.appointment_id = s.appointment_id
)

select * from final order by appointment_date;
