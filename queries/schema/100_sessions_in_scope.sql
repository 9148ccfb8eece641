-- 100_sessions_in_scope: one definition of the sessions (and revenue lines) a figure covers, and
-- the funding of each session in the facts, so that funding filters every figure.
-- Design notes:
-- * Every figure's query read its facts through the same block of four conditions on $start,
--   $end, $site and $clinician, copied a dozen times. `in_scope(facts, scope)` is that block,
--   once: `facts` names a table or a CTE with the session dimensions (session_facts,
--   session_days, report_facts, revenue_days), `scope` is the `$scope` struct a query is given
--   (clinic/scope.py: start, end, site, clinician, funding; a null field means all). A new
--   session filter is one more condition here (a `create or replace macro` in a migration), a
--   field of clinic.scope.Filters and a widget.
-- * The struct's fields fold to constants when the query is planned, so each condition reaches
--   the table scan as a plain filter (the date range still skips row groups), as the copied
--   block did (docs/PERFORMANCE.md).
-- * revenue_days has always kept funding ('not recorded' when empty); session_facts,
--   session_days and report_facts gain it the same way, and `facts_state` is emptied so the
--   next read or write rebuilds them whole.

create or replace macro in_scope(facts, scope) as table
select *
from query_table(facts)
where
    (scope['start'] is null or appointment_date >= scope['start'])
    and (scope['end'] is null or appointment_date <= scope['end'])
    and (scope['site'] is null or site = scope['site'])
    and (scope['clinician'] is null or clinician = scope['clinician'])
    and (scope['funding'] is null or funding = scope['funding']);

alter table session_facts add column funding varchar;
alter table session_days add column funding varchar;
alter table report_facts add column funding varchar;

-- The view keeps the columns it had (tests compare it with the facts).
create or replace view treatment_sessions as
select * exclude (socks_met, review_covered, check_covered, funding)
from session_facts;

delete from facts_state;
