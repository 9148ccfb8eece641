-- 030_store_meta: facts about the store itself, as key/value pairs.
-- ('demo', 'true') marks a store filled with synthetic data by `clinic init --demo`, so pages can
-- say so and nobody mistakes demo figures for the clinic's own.
create table store_meta (
    key varchar primary key,
    value varchar,
);
