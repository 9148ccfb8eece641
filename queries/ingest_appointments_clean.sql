-- ingest_appointments_clean: each data row of an appointments export, typed and checked.
-- Params: $key (the pseudonymisation secret; the client id is stored only as a keyed hash).
-- Inputs: ingest_raw (r_<canonical column> as text, in file order) and ingest_vocab
-- (field, term, canonical); the price list (items view) for services.
-- Grain: one row per data row of the file; e_<column> holds the reason a value is rejected.
with

raw as (select * from ingest_raw),

vocab as (select * from ingest_vocab),

-- One row of lookup maps: a map lookup per row is far cheaper than seven hash joins carrying
-- every column of a million-row file.
maps as (
    select
        (select map(list(ingest_norm(item)), list(item)) from items) as items,
        -- Text values rather than {item, kind} structs: a struct lookup costs twice as much.
        (select map(list(item), list(kind)) from items) as item_kinds,
        (select map(list(term), list(canonical)) from vocab where field = 'status') as status,
        (select map(list(term), list(canonical)) from vocab where field = 'vein_type')
            as vein_type,
        (select map(list(term), list(canonical)) from vocab where field = 'sclerosant')
            as sclerosant,
        (select map(list(term), list(canonical)) from vocab where field = 'form') as form,
        (select map(list(term), list(canonical)) from vocab where field = 'compression')
            as compression,
        (select map(list(term), list(canonical)) from vocab where field = 'funding') as funding,
        -- yes/no words: the vocabulary's medical_attention list serves every yes/no column.
        (select map(list(term), list(canonical)) from vocab where field = 'medical_attention')
            as yes_no,
),

allowed as (
    select field, string_agg(distinct canonical, ', ' order by canonical) as terms
    from vocab
    group by field
),

typed as (
    select
        raw.*,
        ingest_blank(raw.r_appointment_id) as appointment_id,
        ingest_date(raw.r_date) as appointment_date,
        ingest_time(raw.r_start_time) as start_time,
        case
            when ingest_blank(raw.r_client_id) is not null
                then 'P' || left(sha256($key || ':' || upper(trim(raw.r_client_id))), 16)
        end as patient_ref,
        ingest_blank(raw.r_clinician) as clinician,
        ingest_lookup(maps.items, raw.r_service) as item,
        maps.item_kinds[item] as kind,
        ingest_lookup(maps.status, raw.r_status) as status,
        ingest_money(raw.r_price) as price_charged_gbp,
        coalesce(ingest_blank(raw.r_site), 'main') as site,
        ingest_lookup(maps.vein_type, raw.r_vein_type) as vein_type,
        ingest_number(raw.r_vein_diameter_mm) as vein_diameter_mm,
        ingest_lookup(maps.sclerosant, raw.r_sclerosant) as sclerosant,
        ingest_number(raw.r_concentration_pct) as concentration_pct,
        ingest_lookup(maps.form, raw.r_form) as form,
        ingest_number(raw.r_volume_ml) as volume_ml,
        ingest_blank(raw.r_treated_area) as treated_area,
        ingest_lookup(maps.compression, raw.r_compression) as compression,
        ingest_lookup(maps.funding, raw.r_funding) as funding,
        ingest_lookup(maps.yes_no, raw.r_late_cancellation)::boolean as late_cancellation,
    from raw
    cross join maps
),

-- Each check tests the typed value first: AND and CASE evaluate a later part only for the rows
-- the earlier parts leave, so the blank test runs for the few empty or bad values, not every row.
final as (
    select
        typed.*,
        case when appointment_id is null then 'the appointment id is empty' end
            as e_appointment_id,
        case
            when appointment_date is not null then null
            when ingest_blank(r_date) is null then 'the date is empty'
            else 'not a date: use 2025-04-03 or 03/04/2025 (day first, UK order)'
        end as e_date,
        case
            when start_time is null and ingest_blank(r_start_time) is not null
                then 'not a time: use 14:45'
        end as e_start_time,
        case when patient_ref is null then 'the client id is empty' end as e_client_id,
        case when clinician is null then 'the clinician is empty' end as e_clinician,
        case
            when item is not null then null
            when ingest_blank(r_service) is null then 'the service is empty'
            else 'unknown service ''' || trim(r_service)
                || ''': add it to the price list (import prices) first'
        end as e_service,
        case
            when status is not null then null
            when ingest_blank(r_status) is null then 'the status is empty'
            else 'unknown status ''' || trim(r_status) || ''': use one of '
                || (select terms from allowed where field = 'status')
        end as e_status,
        case
            when price_charged_gbp is null and ingest_blank(r_price) is not null
                then 'not an amount of money: use 120, 120.00, £120.00 or £1,234.50'
        end as e_price,
        cast(null as varchar) as e_site,
        case
            when vein_type is null and ingest_blank(r_vein_type) is not null
                then 'unknown vein type ''' || trim(r_vein_type) || ''': use one of '
                    || (select terms from allowed where field = 'vein_type')
        end as e_vein_type,
        case
            when vein_diameter_mm is null and ingest_blank(r_vein_diameter_mm) is not null
                then 'not a number of millimetres'
        end as e_vein_diameter_mm,
        case
            when sclerosant is null and ingest_blank(r_sclerosant) is not null
                then 'unknown sclerosant ''' || trim(r_sclerosant) || ''': use one of '
                    || (select terms from allowed where field = 'sclerosant')
        end as e_sclerosant,
        case
            when concentration_pct is null and ingest_blank(r_concentration_pct) is not null
                then 'not a percentage'
        end as e_concentration_pct,
        case
            when form is null and ingest_blank(r_form) is not null
                then 'unknown form ''' || trim(r_form) || ''': use one of '
                    || (select terms from allowed where field = 'form')
        end as e_form,
        case
            when volume_ml is null and ingest_blank(r_volume_ml) is not null
                then 'not a number of millilitres'
        end as e_volume_ml,
        cast(null as varchar) as e_treated_area,
        case
            when compression is null and ingest_blank(r_compression) is not null
                then 'unknown compression ''' || trim(r_compression) || ''': use one of '
                    || (select terms from allowed where field = 'compression')
                    || ' (or leave it empty)'
        end as e_compression,
        case
            when funding is null and ingest_blank(r_funding) is not null
                then 'unknown funding ''' || trim(r_funding) || ''': use one of '
                    || (select terms from allowed where field = 'funding')
        end as e_funding,
        case
            when late_cancellation is null and ingest_blank(r_late_cancellation) is not null
                then 'not yes or no: use yes/no, true/false or y/n'
        end as e_late_cancellation,
    from typed
)

-- The raw r_ columns stay in: the importer keeps them only for rejected values (v_<column>).
select * from final
