-- Socks attach rate: completed treatment sessions where compression was recorded as 'bought' or
-- the same patient has a completed product sale (any item of kind 'product', so a renamed sock
-- item needs no code change) on the same day (`socks_met`, computed at write time in
-- queries/facts_session_rows.sql).
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql).
-- Grain: one row.
with sessions as (
    select sessions, socks_met,
    from in_scope('session_days', $scope)
),

final as (
    select
        coalesce(sum(sessions), 0)::bigint as eligible,
        coalesce(sum(socks_met), 0)::bigint as met,
    from sessions
)

select * from final;
