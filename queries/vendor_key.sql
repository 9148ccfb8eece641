-- vendor_key: a value as matched against mappings (lower case, letters and digits, one space
-- between words): the SQL twin of clinic.ingest.header_words.value_key; a unit test keeps them equal.
-- Params: none. Creates a temporary macro on the cursor.
create or replace temp macro vendor_key(s) as
    trim(regexp_replace(lower(s), '[^0-9a-z]+', ' ', 'g'))
