-- Every target ever set, newest first, with whether it is the one in force for its measure.
-- Params: none.
-- Grain: one row per target set (a null value withdrew the measure's target).
with ranked as (
    select
        *,
        row_number() over (partition by measure order by set_at desc, target_id desc) = 1
            as latest,
    from targets
)

select
    measure,
    direction,
    value,
    set_by,
    set_at,
    latest and value is not null as in_force,
from ranked
order by set_at desc, target_id desc;
