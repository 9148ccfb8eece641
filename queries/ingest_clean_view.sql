-- ingest_clean_view: the cleaned data rows of the staged file, blank records left out.
-- Params: none. Input: ingest_cleaned (each row carries its `line`, numbered in the read).
-- Grain: one row per data row of the file.
create or replace temp view ingest_clean as
select * exclude (blank_record)
from ingest_cleaned
where not blank_record
