-- Side-effect report records for auditors, filtered, one page at a time.
-- Params: $start, $end (reported date, inclusive, null = open), $effect, $severity, $serious,
--         $clinician, $sclerosant, $form, $vein_type, $site (null = any), $text
--         (case-insensitive substring of notes), $limit (null = all), $offset.
-- Grain: one row per report, newest first; total_rows = how many reports match in all pages.
-- The session of a report is looked up in appointments (23M rows in a chain's decade) only for
-- the rows of the page, or for every candidate when a session filter asks for it: joining every
-- report to its session before paging cost 0.8 s at 10M sessions.
with candidates as not materialized (
    select
        e.*,
        coalesce(t.serious, false) or coalesce(e.medical_attention, false) as serious,
    from side_effects as e
    left join effect_terms as t on t.effect = e.effect
    where
        ($start::date is null or e.reported_date >= $start)
        and ($end::date is null or e.reported_date <= $end)
        and ($effect::varchar is null or e.effect = $effect)
        and ($severity::varchar is null or e.severity = $severity)
        -- contains() has no wildcards, so a % or _ typed by an auditor matches itself.
        and ($text::varchar is null or contains(lower(coalesce(e.notes, '')), lower($text)))
),

-- Two branches rather than one OR: the branch whose condition is false costs a cheap scan,
-- where an OR would build a hash table of every appointment.
matching as (
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
    semi join appointments as s
        on
            s.appointment_id = c.appointment_id
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

page as (
    select *, (select count(*) from matching) as total_rows,
    from matching
    order by reported_date desc, report_id
    limit $limit offset $offset
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
        s.appointment_date as session_date,
        s.clinician,
        s.site,
        s.vein_type,
        s.sclerosant,
        s.concentration_pct,
        s.form,
        s.volume_ml,
        s.treated_area,
        p.total_rows,
    from page as p
    left join appointments as s on s.appointment_id = p.appointment_id
)

select * from final order by reported_date desc, report_id;
