-- facts_patient_day_counts_apply: put the merged counts of facts_counts_merged (made from
-- facts_patient_day_counts) in place of the rows they replace; a pair left without patients goes.
-- Params: none. Grain: one row per day and previous day of patient_day_counts.
delete from patient_day_counts where rowid in (select stored_rowid from facts_counts_merged);
insert into patient_day_counts
select * exclude (stored_rowid) from facts_counts_merged
where visits > 0 or treated > 0 or repeats > 0
