-- The league aggregates each area's clocks of a period: an index-only range scan per area, carrying every
-- column it reads, replaces 006's period-wide index (which made the query sort the whole period by area).
CREATE INDEX post_assignments_area_league_idx ON post_assignments (area_id, started_at)
    INCLUDE (post_id, acknowledged_at, resolved_at, ended_at, outcome, ack_due_at, resolve_due_at, reopened_at);
DROP INDEX post_assignments_league_idx;
