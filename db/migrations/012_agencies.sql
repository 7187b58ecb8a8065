-- City agencies (dinas: water resources, roads, environment, transport, Satpol PP…): a report may be
-- forwarded to one. An agency is not a place: it owns a report without changing the report's area, so the
-- area's officials still hear of it and the agency can hand it back.
CREATE TABLE agencies (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    categories  text[] NOT NULL DEFAULT '{}',   -- the categories it usually handles (a hint for forwarding)
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE official_agencies (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    agency_id   bigint NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, agency_id)
);
CREATE INDEX official_agencies_agency_idx ON official_agencies (agency_id);

-- The owning agency, while one owns the report (area_id keeps the area it came from).
ALTER TABLE posts ADD COLUMN agency_id bigint REFERENCES agencies (id);
CREATE INDEX posts_agency_idx ON posts (agency_id, id) WHERE agency_id IS NOT NULL;

-- An agency's hand-off has its own clock: exactly one owner per clock, an area or an agency. Area clocks
-- keep area_id, so the area league and the escalation up the area tree never count an agency's time.
ALTER TABLE post_assignments ALTER COLUMN area_id DROP NOT NULL;
ALTER TABLE post_assignments ADD COLUMN agency_id bigint REFERENCES agencies (id);
ALTER TABLE post_assignments ADD CONSTRAINT post_assignments_one_owner
    CHECK ((area_id IS NULL) <> (agency_id IS NULL));
-- The agency league: each agency's clocks of one period.
CREATE INDEX post_assignments_agency_league_idx ON post_assignments (agency_id, started_at)
    INCLUDE (acknowledged_at, resolved_at, ended_at, outcome, ack_due_at, resolve_due_at, reopened_at, post_id)
    WHERE agency_id IS NOT NULL;

-- Forwards to and from agencies on the timeline.
ALTER TABLE post_steps ADD COLUMN from_agency bigint REFERENCES agencies (id);
ALTER TABLE post_steps ADD COLUMN to_agency bigint REFERENCES agencies (id);
