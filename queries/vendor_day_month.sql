-- vendor_day_month: which order a file's slash dates are in (13/01 is day first, 01/13 month first).
-- Params: none. Input: vendor_dates (v: the text of the date column).
-- Grain: one row: dates whose first part is over 12, dates whose second part is over 12.
select
    count(*) filter (where try_cast(regexp_extract(v, '^\s*(\d{1,2})/', 1) as int) > 12)
        as day_first,
    count(*) filter (where try_cast(regexp_extract(v, '^\s*\d{1,2}/(\d{1,2})/', 1) as int) > 12)
        as month_first,
from vendor_dates
