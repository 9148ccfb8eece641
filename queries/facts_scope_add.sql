-- facts_scope_add: add the patients and days of facts_import_scope (one import's, made by
-- facts_scope_of_import) to the refresh scope, then drop it.
-- Params: none. Grain: one row per patient in facts_scope_patients, per day in facts_scope_days.
insert into facts_scope_patients
select patient_ref from facts_import_scope where patient_ref is not null;
insert into facts_scope_days select day from facts_import_scope where day is not null;
drop table facts_import_scope
