-- ingest_problems_table: the empty temp table an import's problems are collected in.
-- Params: none. Grain: one row per problem; `pos` orders problems of one line (-3 a broken
-- record, -2 the header, -1 a repeated key, then the columns in their canonical order).
create or replace temp table ingest_problems (
    line bigint,
    pos integer,
    "column" varchar,
    value varchar,
    reason varchar,
)
