-- facts_revenue_days_clear: remove the daily revenue sums of the days in the refresh scope
-- (they are summed again whole). Params: none. Grain: one row per day and dimension.
delete from revenue_days where appointment_date in (select day from facts_scope_days)
