-- 140_import_alerts: which imports' serious events have been e-mailed (clinic/notify/alerts.py).
-- Design notes:
-- * At most one alert per import: the row is claimed (status 'sending') before the mail goes,
--   so two processes, or a retry while one is sending, never send twice. A failed send is
--   marked 'failed' and may be tried again; a process that stopped between the server's
--   acceptance and the mark leaves 'sending', which is never retried (at most once, not at
--   least once).
-- * Not clinical data: writes do not bump data_version. Times are UTC.

create table import_alerts (
    import_id integer primary key,
    status varchar not null check (status in ('sending', 'sent', 'failed')),
    events integer not null,           -- serious reports the alert named
    recipients integer not null,       -- addresses it was sent to
    claimed_at timestamp not null,
    finished_at timestamp,
    message varchar,                   -- why a send failed, in a sentence
);
