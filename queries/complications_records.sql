-- Side-effect report records for auditors, filtered, one page at a time.
-- Params: $start, $end (reported date, inclusive, null = open), $effect, $severity, $serious,
--         $clinician, $sclerosant, $form, $vein_type, $site (null = any), $text
--         (case-insensitive substring of notes), $limit (null = all), $offset.
-- Grain: one row per report, newest first; total_rows = how many reports match in all pages.
with reports as (
    select
        e.report_id,
        e.reported_date,
        e.effect,
        coalesce(t.serious, false) or coalesce(e.medical_attention, false) as serious,
        e.severity,
        e.medical_attention,
        e.onset_date,
        e.resolved_date,
        e.action,
        e.outcome,
        e.reported_by,
        e.notes,
        e.appointment_id,
        s.appointment_date as session_date,
        s.clinician,
        s.site,
        s.vein_type,
        s.sclerosant,
        s.concentration_pct,
        s.form,
        s.volume_ml,
        s.treated_area,
    from side_effects as e
    left join effect_terms as t on t.effect = e.effect
    left join appointments as s on s.appointment_id = e.appointment_id
),

final as (
    select *
    from reports as r
    where
        ($start::date is null or r.reported_date >= $start)
        and ($end::date is null or r.reported_date <= $end)
        and ($effect::varchar is null or r.effect = $effect)
        and ($severity::varchar is null or r.severity = $severity)
        and ($serious::boolean is null or r.serious = $serious)
        and ($clinician::varchar is null or r.clinician = $clinician)
        and ($sclerosant::varchar is null or r.sclerosant = $sclerosant)
        and ($form::varchar is null or r.form = $form)
        and ($vein_type::varchar is null or r.vein_type = $vein_type)
        and ($site::varchar is null or r.site = $site)
        -- contains() has no wildcards, so a % or _ typed by an auditor matches itself.
        and ($text::varchar is null or contains(lower(coalesce(r.notes, '')), lower($text)))
)

select *, count(*) over () as total_rows
from final
order by reported_date desc, report_id
limit $limit offset $offset;
