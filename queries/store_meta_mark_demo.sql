-- store_meta_mark_demo: record that the store's data is synthetic (the demo), once.
-- Params: none. Grain: one row per store_meta key.
delete from store_meta where key = 'demo';
insert into store_meta (key, value) values ('demo', 'true')
