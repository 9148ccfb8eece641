-- demo_random: the uniform pseudo-random draw every demo_* query uses.
-- Answers: a number in [0, 1) determined by (seed, key, salt), so the same seed gives the same
-- clinic on every run and every machine with this DuckDB version, and rows draw independently
-- (no shared generator state, so DuckDB may compute them in parallel and in any order).
-- Params: none (creates the temp macro demo_u(seed, key, salt) on the generator's connection).
-- Grain: not a query; one macro.
create or replace temp macro demo_u(seed, k, salt) as
    (hash(seed, k, salt) % 1000000007) / 1000000007.0;
