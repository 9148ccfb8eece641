-- facts_mark: record that the facts match the data the current write transaction commits
-- (store.writer() bumps data_version by one on commit, so: version + 1).
-- Params: none. Grain: the one row of facts_state.
delete from facts_state;
insert into facts_state select version + 1 from data_version
