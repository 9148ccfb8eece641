-- Side-effect report records for auditors, filtered, one page at a time.
-- Params: $start, $end (reported date, inclusive, null = open), $effect, $severity, $serious,
--         $clinician, $sclerosant, $form, $vein_type, $site (null = any), $text
--         (case-insensitive substring of notes), $open_only (only reports without a resolved
--         date), $limit (null = all), $offset.
-- Grain: one row per report, newest first; total_rows = how many reports match in all pages.
-- A report's session details and dimensions come from the facts kept per report: report_facts
-- (every report of a completed treatment session) and other_report_facts (the rest, a
-- follow-up's, say). A chain's decade is 23M appointments: joining every report to them cost
-- 0.2-0.8 s and ~500 MB at 10M sessions, and this query reads none of them.
with candidates as not materialized (
    select
        e.rowid as report_row,
        e.*,
        coalesce(t.serious, false) or coalesce(e.medical_attention, false) as serious,
    from side_effects as e
    left join effect_terms as t on t.effect = e.effect
    where
        ($start::date is null or e.reported_date >= $start)
        and ($end::date is null or e.reported_date <= $end)
        and ($effect::varchar is null or e.effect = $effect)
        and ($severity::varchar is null or e.severity = $severity)
        and (not $open_only or e.resolved_date is null)
        -- ILIKE scans the notes a third faster than contains(lower()), but reads % and _ as
        -- wildcards: a text holding either goes to contains(), so what an auditor types matches
        -- itself. (DuckDB's LIKE has no escape character unless one is named.)
        and (
            $text::varchar is null
            or (not regexp_matches($text, '[%_]') and e.notes ilike '%' || $text || '%')
            or (
                regexp_matches($text, '[%_]')
                and contains(lower(coalesce(e.notes, '')), lower($text))
            )
        )
),

-- The dimensions of the appointment each report follows, for the session filters: kept by the
-- facts for reports of completed treatment sessions and for the others alike, so a filter
-- reads two tables the size of the reports instead of every appointment (at 10M sessions a
-- clinician's appointment ids were a ~750 MB hash table).
session_dimensions as not materialized (
    select report_id, clinician, site, sclerosant, form, vein_type,
    from report_facts
    union all
    select report_id, clinician, site, sclerosant, form, vein_type,
    from other_report_facts
),

-- Two branches rather than one OR: the branch whose condition is false costs a cheap scan,
-- where an OR would build a hash table of every report's dimensions.
matching as not materialized (
    select *
    from candidates
    where
        ($serious::boolean is null or serious = $serious)
        and $clinician::varchar is null
        and $sclerosant::varchar is null
        and $form::varchar is null
        and $vein_type::varchar is null
        and $site::varchar is null
    union all
    select c.*
    from candidates as c
    semi join session_dimensions as s
        on
            s.report_id = c.report_id
            and ($clinician::varchar is null or s.clinician = $clinician)
            and ($sclerosant::varchar is null or s.sclerosant = $sclerosant)
            and ($form::varchar is null or s.form = $form)
            and ($vein_type::varchar is null or s.vein_type = $vein_type)
            and ($site::varchar is null or s.site = $site)
    where
        ($serious::boolean is null or c.serious = $serious)
        and (
            $clinician::varchar is not null
            or $sclerosant::varchar is not null
            or $form::varchar is not null
            or $vein_type::varchar is not null
            or $site::varchar is not null
        )
),

-- Each matching report's row id and date, once (the notes filter runs once): the count and the
-- page come from these 12 bytes a report, and only the rows on or after the page's last day are
-- read whole (the notes of 1.6M reports would be ~1 GB in memory).
matching_keys as materialized (
    select report_row, reported_date,
    from matching
),

cut as (
    select
        sum(reports) as total_rows,
        -- The day the page's last report is on (every day when $limit is null).
        coalesce(
            max(reported_date) filter (where running >= coalesce($offset, 0) + $limit),
            min(reported_date)
        ) as first_day,
    from (
        select
            reported_date,
            reports,
            sum(reports) over (order by reported_date desc) as running,
        from (select reported_date, count(*) as reports from matching_keys group by reported_date)
    )
),

-- The page: the reports from the cut-off day on, ordered by date and id (two narrow columns).
page_keys as materialized (
    select e.rowid as report_row, e.reported_date, e.report_id,
    from side_effects as e
    where
        e.rowid in (
            select k.report_row
            from matching_keys as k, cut as c
            where k.reported_date >= c.first_day
        )
    order by e.reported_date desc, e.report_id
    limit $limit offset $offset
),

-- Whole rows for the page only: a short list of row ids lets the scan skip all but a few
-- vectors (the reports are not stored in date order, so a date range would not).
page as materialized (
    select
        e.*,
        coalesce(t.serious, false) or coalesce(e.medical_attention, false) as serious,
        cut.total_rows,
    from side_effects as e
    left join effect_terms as t on t.effect = e.effect
    cross join cut
    where e.rowid in (select report_row from page_keys)
),

-- report_facts copies each report's date and is stored in session order, which follows the
-- report dates closely: bounding the lookup by the page's dates skips most of it (140 -> 8 ms).
page_days as (
    select min(reported_date) as first_day, max(reported_date) as last_day,
    from page
),

page_facts as materialized (
    select f.*
    from report_facts as f, page_days as d
    where
        f.reported_date between d.first_day and d.last_day
        and f.report_id in (select report_id from page)
),

-- The page's reports of appointments that are not completed treatment sessions (a follow-up's,
-- say; usually none), with their appointment's details as the facts keep them.
page_others as (
    select *
    from other_report_facts
    where report_id in (select report_id from page)
),

final as (
    select
        p.report_id,
        p.reported_date,
        p.effect,
        p.serious,
        p.severity,
        p.medical_attention,
        p.onset_date,
        p.resolved_date,
        p.action,
        p.outcome,
        p.reported_by,
        p.notes,
        p.appointment_id,
        coalesce(f.appointment_date, o.appointment_date) as session_date,
        coalesce(f.clinician, o.clinician) as clinician,
        coalesce(f.site, o.site) as site,
        coalesce(f.vein_type, o.vein_type) as vein_type,
        coalesce(f.sclerosant, o.sclerosant) as sclerosant,
        coalesce(f.concentration_pct, o.concentration_pct) as concentration_pct,
        coalesce(f.form, o.form) as form,
        coalesce(f.volume_ml, o.volume_ml) as volume_ml,
        coalesce(f.treated_area, o.treated_area) as treated_area,
        p.total_rows,
    from page as p
    left join page_facts as f on f.report_id = p.report_id
    left join page_others as o on o.report_id = p.report_id
)

select * from final order by reported_date desc, report_id;
