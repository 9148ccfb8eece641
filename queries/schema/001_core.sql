-- 001_core: the first schema of the clinic store.
-- Design notes:
-- * One `appointments` table holds treatment sessions, follow-up visits and product sales; `kind`
--   (copied from the price list at import) tells them apart, so every metric is one scan with a
--   filter instead of a union of three tables, and a new kind of item needs no new table.
-- * The source system's appointment id is the upsert key. It is not declared PRIMARY KEY: the
--   importer guarantees uniqueness under its write lock, and a 10M-row ART index would cost memory
--   and load time for no extra safety (see tests/unit/test_ingest.py for the uniqueness checks).
-- * `import_id` is the last import that wrote a row, `first_import_id` the one that created it;
--   `*_history` tables keep the row images an import replaced, so an import can be undone.
-- * Times are UTC; clinical dates are UK local dates.

create table schema_version (
    version integer primary key,
    name varchar not null,
    applied_at timestamp not null default (now() at time zone 'UTC'),
);

-- Bumped by every committed write; pages key their caches on it.
create table data_version (version bigint not null);
insert into data_version values (0);

create sequence import_id_seq start 1;

create table imports (
    import_id integer primary key,
    kind varchar not null,            -- appointments | side-effects | prices | manual
    file_name varchar,
    file_sha256 varchar,
    user_name varchar,
    source varchar,                   -- the column-mapping profile used, if any
    started_at timestamp not null,    -- UTC
    finished_at timestamp,            -- UTC
    status varchar not null,          -- committed | rejected | undone
    rows_read integer not null default 0,
    inserted integer not null default 0,
    updated integer not null default 0,
    unchanged integer not null default 0,
    rejected integer not null default 0,
    message varchar,
);

-- Problems found in rejected files: line as a spreadsheet shows it (header = 1).
create table import_rejects (
    import_id integer not null,
    line integer,
    "column" varchar,
    value varchar,
    reason varchar not null,
);

-- The price list with history: one row per item per date it took effect.
create table prices (
    item varchar not null,
    kind varchar not null check (kind in ('treatment', 'follow-up', 'product')),
    valid_from date not null,
    price_gbp decimal(10, 2) not null,
    duration_min integer,
    import_id integer not null,
    first_import_id integer not null,
);

-- Each item's current kind and duration: the latest price row decides.
create view items as
select item, kind, duration_min
from prices
qualify row_number() over (partition by item order by valid_from desc) = 1;

create table appointments (
    appointment_id varchar not null,
    appointment_date date not null,   -- UK local date
    start_time time,
    patient_ref varchar not null,     -- keyed hash of the client id, never the id itself
    clinician varchar not null,
    item varchar not null,
    kind varchar not null,            -- treatment | follow-up | product
    status varchar not null,          -- completed | cancelled | no-show | booked
    price_charged_gbp decimal(10, 2), -- null: the list price applies
    site varchar not null,
    vein_type varchar,                -- spider | reticular | varicose
    vein_diameter_mm double,
    sclerosant varchar,               -- polidocanol | sodium tetradecyl sulfate | hypertonic saline
    concentration_pct double,
    form varchar,                     -- liquid | foam
    volume_ml double,
    treated_area varchar,
    compression varchar,              -- bought | own | none
    funding varchar,                  -- self-pay | nhs | insurance
    import_id integer not null,
    first_import_id integer not null,
);

-- The clinic's vocabulary of side effects; `serious` ones need medical attention.
create table effect_terms (
    effect varchar primary key,
    serious boolean not null,
);
insert into effect_terms values
    ('bruising', false),
    ('hyperpigmentation', false),
    ('temporary swelling', false),
    ('telangiectatic matting', false),
    ('injection pain', false),
    ('localized hives', false),
    ('tape compression blister', false),
    ('tape compression folliculitis', false),
    ('recurrence', false),
    ('vasovagal reflex', false),
    ('localized hair growth', false),
    ('migraine headache', false),
    ('cutaneous necrosis', true),
    ('allergic reaction', true),
    ('superficial thrombophlebitis', true),
    ('arterial injection', true),
    ('deep vein thrombosis', true),
    ('pulmonary embolism', true),
    ('nerve damage', true),
    ('vein rupture with bleeding', true),
    ('inflammation near the groin', true),
    ('sudden leg swelling', true),
    ('injection site ulcer', true);

create table side_effects (
    report_id varchar not null,
    appointment_id varchar not null,  -- the treatment session it follows
    reported_date date not null,
    effect varchar not null,          -- a term of effect_terms
    severity varchar,                 -- mild | moderate | severe
    medical_attention boolean,
    onset_date date,
    resolved_date date,
    action varchar,
    outcome varchar,
    reported_by varchar,
    notes varchar,                    -- free text, shown as text only, never in the audit trail
    import_id integer not null,
    first_import_id integer not null,
);

-- Row images replaced by an import (`replaced_by`), for undo.
create table prices_history as select *, 0::integer as replaced_by from prices with no data;
create table appointments_history as select *, 0::integer as replaced_by from appointments with no data;
create table side_effects_history as select *, 0::integer as replaced_by from side_effects with no data;

-- Column-mapping corrections saved by staff for one source system.
create table column_mappings (
    source varchar not null,
    kind varchar not null,
    header varchar not null,          -- the header as normalised for matching
    canonical varchar,                -- null: ignore this column
    primary key (source, kind, header),
);

create table accounts (
    username varchar primary key,
    role varchar not null check (role in ('admin', 'manager', 'staff', 'auditor')),
    password_hash varchar,            -- Argon2id; null for single-sign-on accounts
    email varchar,
    disabled boolean not null default false,
    failed_logins integer not null default 0,
    locked_until timestamp,           -- UTC
    created_at timestamp not null default (now() at time zone 'UTC'),
);

-- Append-only: each row's hash chains to the previous one (see clinic/audit.py).
create table audit_log (
    seq bigint primary key,
    logged_at timestamp not null,     -- UTC
    username varchar,
    role varchar,
    action varchar not null,
    outcome varchar not null,
    object varchar,
    details varchar,                  -- JSON of identifiers and counts, never clinical free text
    prev_hash varchar not null,
    hash varchar not null,
);
