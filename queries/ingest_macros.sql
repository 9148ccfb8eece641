-- ingest_macros: the parsing rules every import shares (dates, money, numbers, vocabulary text).
-- Params: none. Creates temporary macros on the importing cursor only.
-- Dates are day-first (UK); US order such as 01/13/2025 never parses. UTC timestamps become the UK
-- local date, so a session at 23:30 UTC in summer lands on the next UK day.
create or replace temp macro ingest_blank(s) as nullif(trim(s), '');

create or replace temp macro ingest_norm(s) as
    trim(regexp_replace(lower(trim(s)), '[\s_\-]+', ' ', 'g'));

-- Look a value up in a map keyed by normalised text (m[ingest_norm(s)]): the value lower-cased
-- first, the full normal form only for the values that probe misses (coalesce evaluates lazily).
-- No trim() in the first probe: it copies every string (0.06-0.17 s of CPU in a 1M-row import),
-- and a padded value, which misses there, is found by the second probe anyway.
create or replace temp macro ingest_lookup(m, s) as coalesce(m[lower(s)], m[ingest_norm(s)]);

-- Each macro first tries the plain form most exports use, on the text as it is: trim() and
-- replace() copy every string, which on a million-row file costs more than the checks.
create or replace temp macro ingest_date(s) as (
    case
        when regexp_full_match(s, '\d{2}/\d{2}/\d{4}') then try_strptime(s, '%d/%m/%Y')::date
        when regexp_full_match(trim(s), '\d{1,2}/\d{1,2}/\d{4}')
            then try_strptime(trim(s), '%d/%m/%Y')::date
        when regexp_full_match(trim(s), '\d{4}-\d{1,2}-\d{1,2}')
            then try_strptime(trim(s), '%Y-%m-%d')::date
        when regexp_full_match(trim(s), '\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?')
            then try_cast(replace(trim(s), 'T', ' ') as timestamp)::date
        when regexp_full_match(
            trim(s), '\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)? ?(Z|[+-]\d{2}(:?\d{2})?)'
        )
            then (try_cast(trim(s) as timestamptz) at time zone 'Europe/London')::date
        when regexp_full_match(trim(s), '\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(:\d{2})?')
            then try_strptime(trim(s), ['%d/%m/%Y %H:%M', '%d/%m/%Y %H:%M:%S'])::date
    end
);

create or replace temp macro ingest_time(s) as (
    case
        when regexp_full_match(s, '\d{2}:\d{2}') then try_cast(s as time)
        when regexp_full_match(trim(s), '\d{1,2}[:.]\d{2}(:\d{2})?')
            then try_cast(replace(trim(s), '.', ':') as time)
    end
);

-- replace() rather than regexp_replace(): the money column is one of the hot paths of a big file.
create or replace temp macro ingest_money(s) as (
    case
        when regexp_full_match(s, '£?\d+(\.\d{1,2})?') then try_cast(ltrim(s, '£') as decimal(10, 2))
        when regexp_full_match(s, '£?\d{1,3}(,\d{3})+(\.\d{1,2})?')
            then try_cast(replace(ltrim(s, '£'), ',', '') as decimal(10, 2))
        when regexp_full_match(
            replace(replace(trim(s), '£', ''), ' ', ''), '-?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?'
        )
            then try_cast(
                replace(replace(replace(trim(s), '£', ''), ' ', ''), ',', '') as decimal(10, 2)
            )
    end
);

create or replace temp macro ingest_number(s) as (
    case
        when regexp_full_match(regexp_replace(trim(s), '\s*(mm|ml|%)$', '', 'i'), '-?\d+(\.\d+)?')
            then regexp_replace(trim(s), '\s*(mm|ml|%)$', '', 'i')::double
    end
);

create or replace temp macro ingest_minutes(s) as (
    case
        when regexp_full_match(lower(trim(s)), '\d+ *(m|min|mins|minute|minutes)?')
            then regexp_extract(trim(s), '\d+')::integer
        when regexp_full_match(
            lower(trim(s)), '\d+ *(h|hr|hrs|hour|hours)( *\d+ *(m|min|mins|minute|minutes)?)?'
        )
            then regexp_extract(trim(s), '\d+')::integer * 60
                + coalesce(
                    try_cast(
                        nullif(regexp_extract(lower(trim(s)), '[a-z] *(\d+)', 1), '') as integer
                    ),
                    0
                )
    end
);

-- E-mail addresses and UK telephone numbers in kept free text (side-effect notes, action,
-- outcome) become a placeholder on import: a note may carry someone's contact details. The same
-- patterns as clinic.ingest.header_words (EMAIL, UK_PHONE); a unit test keeps them equal.
create or replace temp macro ingest_mask(s) as regexp_replace(
    regexp_replace(s, '[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}', '[e-mail removed]', 'g'),
    '(\+44\s?\(?0?\)?\s?|\b0)(\d[\s\-]?){9,10}\b', '[phone removed]', 'g'
);
