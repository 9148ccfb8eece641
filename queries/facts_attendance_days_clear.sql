-- facts_attendance_days_clear: remove the daily appointment counts of the days in the refresh
-- scope (they are counted again whole). Params: none. Grain: one row per day and dimension.
delete from attendance_days where appointment_date in (select day from facts_scope_days)
