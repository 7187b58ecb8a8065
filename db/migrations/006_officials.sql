-- Officials and accountability: who answers for which area, each post's hand-offs with their clocks, every
-- status step (the public timeline), and which escalation thresholds have fired.

-- An official acts for an area and everything below it (a camat sees the kelurahan of the kecamatan).
CREATE TABLE official_areas (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    area_id     bigint NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, area_id)
);
CREATE INDEX official_areas_area_idx ON official_areas (area_id);

-- One row per hand-off: the area that owns the post from started_at until ended_at. A forward ends the old
-- owner's row (outcome 'forwarded') and starts the new owner's; a reopen starts a fresh row for the same area.
-- The SLA in force when the clock started is copied in (ack_due_at, resolve_due_at): changing the
-- configuration never rewrites history, and Open311's expected_datetime is resolve_due_at.
CREATE TABLE post_assignments (
    id               bigserial PRIMARY KEY,
    post_id          bigint NOT NULL REFERENCES posts (id),
    area_id          bigint NOT NULL REFERENCES areas (id),
    category         text NOT NULL,
    started_at       timestamptz NOT NULL,
    ack_due_at       timestamptz NOT NULL,
    resolve_due_at   timestamptz NOT NULL,
    acknowledged_at  timestamptz,
    resolved_at      timestamptz,
    ended_at         timestamptz,
    outcome          text CHECK (outcome IN ('resolved', 'rejected', 'forwarded')),
    reopened_at      timestamptz,      -- the resolution or rejection was reopened by a citizen
    CHECK ((ended_at IS NULL) = (outcome IS NULL))
);
-- At most one running clock per post.
CREATE UNIQUE INDEX post_assignments_open_key ON post_assignments (post_id) WHERE ended_at IS NULL;
CREATE INDEX post_assignments_post_idx ON post_assignments (post_id, id);
-- The league reads one period of clocks: an index-only range scan carrying every column it aggregates.
CREATE INDEX post_assignments_league_idx ON post_assignments (started_at)
    INCLUDE (area_id, acknowledged_at, resolved_at, ended_at, outcome, ack_due_at, resolve_due_at, reopened_at,
             post_id);
-- The escalation sweep walks only running clocks.
CREATE INDEX post_assignments_running_idx ON post_assignments (started_at) WHERE ended_at IS NULL;

-- The timeline: every step after creation (status changes, reopens, escalations), append-only.
CREATE TABLE post_steps (
    id          bigserial PRIMARY KEY,
    post_id     bigint NOT NULL REFERENCES posts (id),
    kind        text NOT NULL CHECK (kind IN ('status', 'reopened', 'escalated')),
    actor_id    bigint REFERENCES users (id),
    from_status text,
    status      text NOT NULL,
    note        text,
    reason      text,
    photo       jsonb,              -- {"width","height","blurhash","variants"}: the resolution's proof
    proof_lat   double precision,   -- where the proof was taken (photo GPS or the device position)
    proof_lon   double precision,
    from_area   bigint REFERENCES areas (id),
    to_area     bigint REFERENCES areas (id),
    detail      jsonb,              -- escalations: {"level", "clock", "due_at"}
    created_at  timestamptz NOT NULL
);
CREATE INDEX post_steps_post_idx ON post_steps (post_id, id);

-- Each escalation threshold of each clock fires once.
CREATE TABLE post_escalations (
    assignment_id  bigint NOT NULL REFERENCES post_assignments (id),
    clock          text NOT NULL CHECK (clock IN ('ack', 'resolve')),
    level          smallint NOT NULL,
    area_id        bigint NOT NULL REFERENCES areas (id),
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (assignment_id, clock, level)
);
