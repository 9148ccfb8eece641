-- 060_daily_rollups: the rates and revenue every page shows, summed per day and dimension.
-- Design notes:
-- * At 10M sessions, scanning session_facts (compliance ~0.2 s) or the 9M rows of
--   revenue_facts (revenue by type ~0.1 s, price realisation ~0.1 s) was most of a page's
--   time. Every date filter is by day and every other filter or grouping (site, clinician,
--   sclerosant, form, vein type, item, kind, status, funding, month) is a column here, so these
--   tables answer the same questions from one row per day and combination of dimensions (a few
--   hundred thousand rows for a decade of a chain) with exactly the same numbers.
-- * `session_days` sums session_facts; `revenue_days` replaces revenue_facts (a row-level copy
--   of most appointments that nothing else read and that cost an import ~0.7 s per million rows
--   to write). The row-level definition of a revenue line stays in queries/facts_revenue_days.sql.
-- * Both are written by clinic/facts.py in the same transaction as the write that changed their
--   inputs, for the days that write touched (queries/facts_session_days.sql,
--   facts_revenue_days.sql). Existing stores: `facts_state` is emptied so the next read or
--   write builds them whole.

-- One row per day and combination of session dimensions: counts of completed treatment
-- sessions and of each fact the rates need (queries/facts_session_rows.sql).
create table session_days (
    appointment_date date not null,
    month varchar not null,
    site varchar,
    clinician varchar,
    sclerosant varchar,
    form varchar,
    vein_type varchar,
    sessions bigint not null,
    review_met bigint not null,         -- six-week review attended (day 35..56)
    varicose bigint not null,           -- sessions for varicose veins (two-week check eligible)
    check_met bigint not null,          -- varicose and a check attended (day 1..14)
    repeats bigint not null,            -- not the patient's first session (spacing eligible)
    spacing_met bigint not null,        -- repeat and at least 28 days after the previous one
    compression_met bigint not null,
    events bigint not null,             -- sessions with any linked side-effect report
    serious_events bigint not null,     -- sessions with a serious report
    socks_met bigint not null,
);

-- One row per day and combination of revenue dimensions (docs/METRICS.md "Revenue").
create table revenue_days (
    appointment_date date not null,
    month varchar not null,
    site varchar,
    clinician varchar,
    item varchar,
    kind varchar,
    status varchar,
    funding varchar not null,
    lines bigint not null,              -- revenue-earning appointments
    revenue_gbp decimal(38, 2) not null,
    listed_lines bigint not null,       -- of which with a list price valid on the day
    listed_revenue_gbp decimal(38, 2) not null,
    list_gbp decimal(38, 2) not null,   -- the sum of those list prices
);

drop view revenue_lines;
drop table revenue_facts;

delete from facts_state;
