-- notify_import_freshness: when each kind of export was last imported, as of a moment, and how
-- many imports of it finished since a period began (the digest's "data freshness": an export
-- imported after the period ended still brought the period's data).
-- params: $until (UTC timestamp: imports finished before it count; later ones did not exist
--         yet as of the digest's date), $since (UTC timestamp: the period's first moment).
-- grain: one row per kind of export (appointments, side-effects, prices), imported or not
with kinds as (
    select * from (values ('appointments'), ('side-effects'), ('prices')) as k (kind)
),

committed as (
    select kind, finished_at,
    from imports
    where status = 'committed' and finished_at is not null and finished_at < $until
),

final as (
    select
        k.kind,
        max(c.finished_at) as last_finished_at,
        count(c.finished_at) filter (where c.finished_at >= $since) as imports_since_start,
    from kinds as k
    left join committed as c on c.kind = k.kind
    group by k.kind
)

select * from final order by kind
