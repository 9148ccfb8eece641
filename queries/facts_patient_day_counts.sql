-- The new rows of `patient_day_counts`: for a whole rebuild ($everything) the counts of every
-- patient_days row; for a scoped refresh the stored counts plus the patients' rows as now written
-- (temp table facts_new_patient_days) minus their rows as they were (facts_old_patient_days),
-- both captured by clinic/facts.py while it replaced those patients' patient_days rows.
-- stored_rowid names the stored row each result replaces (null for a new pair); a result with no
-- patients left only deletes it (queries/facts_patient_day_counts_apply.sql).
-- Params: $everything (boolean).
-- Grain: one row per changed day and previous day.
with images as (
    select *, 1 as sign,
    from patient_days
    where $everything
    union all
    select *, 1 as sign,
    from facts_new_patient_days
    where not $everything
    union all
    select *, -1 as sign,
    from facts_old_patient_days
    where not $everything
),

-- Each patient day once per kind it is, under that kind's previous day.
keyed as (
    select appointment_date, prev_visit as prev_date, sign as visits, 0 as treated, 0 as repeats,
    from images
    union all
    select appointment_date, prev_treated as prev_date, 0 as visits, sign as treated, 0 as repeats,
    from images
    where treated
    union all
    select appointment_date, prev_repeat as prev_date, 0 as visits, 0 as treated, sign as repeats,
    from images
    where repeat
),

delta as (
    select
        appointment_date,
        date_trunc('month', appointment_date)::date as month,
        prev_date,
        sum(visits) as visits,
        sum(treated) as treated,
        sum(repeats) as repeats,
    from keyed
    group by appointment_date, prev_date
),

-- The stored rows of the same keys (prev_date may be null, hence `is not distinct from`).
stored as (
    select c.rowid as stored_rowid, c.*
    from patient_day_counts as c
    semi join delta as x
        on c.appointment_date = x.appointment_date and c.prev_date is not distinct from x.prev_date
),

final as (
    select
        appointment_date,
        month,
        prev_date,
        sum(visits)::bigint as visits,
        sum(treated)::bigint as treated,
        sum(repeats)::bigint as repeats,
        max(stored_rowid) as stored_rowid,
    from (select * from stored union all by name select * from delta)
    group by appointment_date, month, prev_date
)

select * from final;
