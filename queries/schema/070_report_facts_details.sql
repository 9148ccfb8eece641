-- 070_report_facts_details: the rest of a session's clinical details in the session and report
-- facts, for the records page.
-- Design notes:
-- * The complication records joined every report to its appointment (23M rows in a chain's
--   decade) to show the session's dose, volume and area: 0.2-0.8 s and ~500 MB of the server's
--   memory at 10M sessions. session_facts and report_facts now carry those three columns too, so
--   the records page looks a page of reports up in report_facts and reads appointments only for
--   a report of an appointment that is not a completed treatment session (none on most pages).
-- * Existing stores: `facts_state` is emptied so the next read or write rebuilds every fact
--   table whole.

alter table session_facts add column concentration_pct double;
alter table session_facts add column volume_ml double;
alter table session_facts add column treated_area varchar;

alter table report_facts add column concentration_pct double;
alter table report_facts add column volume_ml double;
alter table report_facts add column treated_area varchar;

delete from facts_state;
