-- facts_session_days_apply: put the merged daily sums of facts_days_merged (made from
-- facts_session_days_merge) in place of the rows they replace; a day left without sessions goes.
-- Params: none. Grain: one row per day and dimension of session_days.
delete from session_days where rowid in (select stored_rowid from facts_days_merged);
insert into session_days
select * exclude (stored_rowid) from facts_days_merged where sessions > 0
