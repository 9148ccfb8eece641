-- 040_session_facts: the derived facts every metric reads, kept as tables instead of views.
-- Design notes:
-- * `treatment_sessions` (follow-up match, previous session, side-effect flags) and
--   `revenue_lines` (list price valid on the date) were views recomputed by every query: ~1-2 s
--   per metric at 1M sessions. They are now tables written by clinic/facts.py in the same
--   transaction as the import, undo or side-effect record that changed their inputs, for the
--   patients (and price-list items) that write touched; the old view names read the tables, so
--   every metric query keeps its text and its numbers.
-- * The definitions live in queries/facts_session_rows.sql and queries/facts_revenue_rows.sql
--   (010's views are history). The tables start empty and `facts_state` has no row (never
--   built): the first metric read, or the next write, rebuilds them whole (clinic.facts).
-- * `facts_state.version` is the data_version the facts match; store.writer() bumps data_version
--   on every commit, so a write that did not refresh the facts leaves them visibly behind and the
--   next read rebuilds them (clinic.facts.ensure).

-- One row per completed treatment session: the old view's columns, then socks_met (socks
-- bought at the session or a completed product sale to the same patient on the same day) and
-- review_covered / check_covered (a completed or booked follow-up inside the window).
create table session_facts as
select *, false as socks_met, false as review_covered, false as check_covered,
from treatment_sessions
with no data;

-- One row per revenue-earning appointment, as the old `revenue_lines` view defined it.
create table revenue_facts as
select *
from revenue_lines
with no data;

-- At most one row; none (a new or just-migrated store) means the facts were never built.
create table facts_state (
    version bigint not null,
);

create or replace view treatment_sessions as
select * exclude (socks_met, review_covered, check_covered)
from session_facts;

create or replace view revenue_lines as
select *
from revenue_facts;
