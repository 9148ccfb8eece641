-- demo_random: the uniform pseudo-random draw every demo_* query uses.
-- Answers: a number in [0, 1) determined by (seed, key, salt), so the same seed gives the same
-- clinic on every run and every machine with this DuckDB version, and rows draw independently
-- (no shared generator state, so DuckDB may compute them in parallel and in any order).
-- Params: none (creates the temp macros demo_u(seed, key, salt) and demo_gap(seed, key) on the
-- generator's connection).
-- Grain: not a query; two macros.
create or replace temp macro demo_u(seed, k, salt) as
    (hash(seed, k, salt) % 1000000007) / 1000000007.0;

-- Days between a patient's sessions, keyed by the later session's id: most keep the 28-day gap
-- (28 + an exponential tail, mean ~6 weeks); about 6% come back early (14-27 days).
create or replace temp macro demo_gap(seed, k) as
    case
        when demo_u(seed, k, 'early') < 0.06 then 14 + floor(demo_u(seed, k, 'gap') * 14)
        else 28 + least(floor(-ln(greatest(demo_u(seed, k, 'gap'), 1e-9)) * 16), 110)
    end;
