-- The rows of `session_days` for every day ($everything) or for the days listed in the temp
-- table facts_scope_days (created by clinic/facts.py): session_facts summed per day and
-- combination of the dimensions pages filter or group by. Each count is the number of sessions
-- for which the fact holds, so any rate over any range of days and dimensions is a sum here.
-- Params: $everything (boolean: all days, else the scope table).
-- Grain: one row per day and dimension combination, in date order.
with sessions as (
    select *
    from session_facts
    where $everything
    union all
    select *
    from session_facts
    where not $everything and appointment_date in (select day from facts_scope_days)
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
        funding,
        count(*) as sessions,
        count(*) filter (where review_met) as review_met,
        count(*) filter (where is_varicose) as varicose,
        count(*) filter (where is_varicose and check_met) as check_met,
        count(*) filter (where is_repeat) as repeats,
        count(*) filter (where is_repeat and spacing_met) as spacing_met,
        count(*) filter (where compression_met) as compression_met,
        count(*) filter (where has_event) as events,
        count(*) filter (where has_serious_event) as serious_events,
        count(*) filter (where socks_met) as socks_met,
    from sessions
    group by all
)

select * from final order by appointment_date;
