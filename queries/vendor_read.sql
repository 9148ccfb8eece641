-- vendor_read: every record of a booking system's export as text, numbered as a spreadsheet shows
-- it (the header is line 1), for the rewrite into our format (clinic/ingest/translate.py).
-- Params: $path (a UTF-8 CSV made by the reader), $delim, $columns (c0, c1 ... as VARCHAR).
-- Grain: one row per record of the file.
create or replace temp table vendor_raw as
select row_number() over () + 1 as line, *
from read_csv(
    $path, header = true, auto_detect = false, delim = $delim, quote = '"', escape = '"',
    columns = $columns, null_padding = true, max_line_size = 10000000
)
