-- The first and last appointment date in the store (for date pickers).
-- Params: none.
-- Grain: one row.
with final as (
    select min(appointment_date) as first_date, max(appointment_date) as last_date,
    from appointments
)

select * from final;
