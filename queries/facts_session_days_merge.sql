-- The new rows of `session_days` for the days and dimensions a scoped refresh changed: the
-- stored sums plus the counts of the patients' sessions as now written (temp table
-- facts_new_sessions) minus their counts as they were (facts_old_sessions), both captured by
-- clinic/facts.py while it replaced those patients' session_facts rows. Adding and subtracting
-- a few thousand rows is cheaper than re-summing whole days of a ten-million-session table.
-- stored_rowid names the stored row each result replaces (null for a new combination); a
-- result with no sessions left only deletes it.
-- Params: none.
-- Grain: one row per changed day and dimension combination.
with changes as (
    select *, 1 as sign,
    from facts_new_sessions
    union all
    select *, -1 as sign,
    from facts_old_sessions
),

delta as (
    select
        appointment_date,
        month,
        site,
        clinician,
        sclerosant,
        form,
        vein_type,
        funding,
        sum(sign) as sessions,
        sum(sign) filter (where review_met) as review_met,
        sum(sign) filter (where is_varicose) as varicose,
        sum(sign) filter (where is_varicose and check_met) as check_met,
        sum(sign) filter (where is_repeat) as repeats,
        sum(sign) filter (where is_repeat and spacing_met) as spacing_met,
        sum(sign) filter (where compression_met) as compression_met,
        sum(sign) filter (where has_event) as events,
        sum(sign) filter (where has_serious_event) as serious_events,
        sum(sign) filter (where socks_met) as socks_met,
    from changes
    group by all
),

-- The stored rows of the same keys (dimensions may be null, hence `is not distinct from`).
stored as (
    select d.rowid as stored_rowid, d.*
    from session_days as d
    semi join delta as x
        on
            d.appointment_date = x.appointment_date
            and d.site is not distinct from x.site
            and d.clinician is not distinct from x.clinician
            and d.sclerosant is not distinct from x.sclerosant
            and d.form is not distinct from x.form
            and d.vein_type is not distinct from x.vein_type
            and d.funding is not distinct from x.funding
),

final as (
    select
        appointment_date,
        month,
        site,
        clinician,
        sclerosant,
        form,
        vein_type,
        sum(sessions)::bigint as sessions,
        coalesce(sum(review_met), 0)::bigint as review_met,
        coalesce(sum(varicose), 0)::bigint as varicose,
        coalesce(sum(check_met), 0)::bigint as check_met,
        coalesce(sum(repeats), 0)::bigint as repeats,
        coalesce(sum(spacing_met), 0)::bigint as spacing_met,
        coalesce(sum(compression_met), 0)::bigint as compression_met,
        coalesce(sum(events), 0)::bigint as events,
        coalesce(sum(serious_events), 0)::bigint as serious_events,
        coalesce(sum(socks_met), 0)::bigint as socks_met,
        funding,
        max(stored_rowid) as stored_rowid,
    from (select * from stored union all by name select * from delta)
    group by appointment_date, month, site, clinician, sclerosant, form, vein_type, funding
)

select * from final;
