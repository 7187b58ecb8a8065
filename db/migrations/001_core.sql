-- warga core schema: accounts, areas, posts with photos, votes, comments, moderation, and the event outbox.

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    handle          text NOT NULL,
    password_hash   text NOT NULL,
    role            text NOT NULL DEFAULT 'citizen'
                    CHECK (role IN ('citizen', 'official', 'moderator', 'admin')),
    display_name    text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    suspended_until timestamptz,
    suspension_reason text
);
-- Handles are unique regardless of case: "Budi" and "budi" are the same person to a reader.
CREATE UNIQUE INDEX users_handle_key ON users (lower(handle));

-- Bearer tokens are stored as sha256 digests: a database leak does not leak live sessions.
CREATE TABLE tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX tokens_user_idx ON tokens (user_id);

-- Administrative areas (kota > kecamatan > kelurahan ...). Geometry is GeoJSON; the officials issue fills it.
CREATE TABLE areas (
    id          bigserial PRIMARY KEY,
    parent_id   bigint REFERENCES areas (id),
    level       text NOT NULL,
    name        text NOT NULL,
    code        text UNIQUE,
    geometry    jsonb,
    population  integer,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE posts (
    id            bigserial PRIMARY KEY,
    author_id     bigint NOT NULL REFERENCES users (id),
    text          text NOT NULL,
    category      text NOT NULL,
    -- The exact position, seen only by the author and the area's officials for sensitive categories.
    lat           double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon           double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    -- The public position (equal to the exact one unless the category is sensitive) and its H3 cells:
    -- every feed and live filter works on these, so a fuzzed post can never be located by its radius.
    pub_lat       double precision NOT NULL,
    pub_lon       double precision NOT NULL,
    cell9         bigint NOT NULL,
    cell7         bigint NOT NULL,
    status        text NOT NULL DEFAULT 'open',
    area_id       bigint REFERENCES areas (id),
    vote_count    integer NOT NULL DEFAULT 0,
    comment_count integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    hidden_at     timestamptz,
    hidden_reason text,
    held_at       timestamptz,      -- held for review (trust and safety); not public until released
    held_reason   text
);
-- The feed walks cells newest-first: (cell, id DESC) lets each cell be read in id order.
CREATE INDEX posts_cell9_idx ON posts (cell9, id DESC);
CREATE INDEX posts_cell7_idx ON posts (cell7, id DESC);
CREATE INDEX posts_author_idx ON posts (author_id, id DESC);
CREATE INDEX posts_area_idx ON posts (area_id, id DESC);

CREATE TABLE photos (
    id          bigserial PRIMARY KEY,
    post_id     bigint NOT NULL REFERENCES posts (id),
    position    smallint NOT NULL,
    sha256      text NOT NULL,
    width       integer NOT NULL,
    height      integer NOT NULL,
    blurhash    text,
    variants    jsonb NOT NULL,     -- {"thumb": {"key", "width", "height", "type"}, "display": {...}}
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (post_id, position)
);

CREATE TABLE votes (
    post_id     bigint NOT NULL REFERENCES posts (id),
    user_id     bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX votes_user_idx ON votes (user_id);

CREATE TABLE comments (
    id            bigserial PRIMARY KEY,
    post_id       bigint NOT NULL REFERENCES posts (id),
    author_id     bigint NOT NULL REFERENCES users (id),
    text          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    hidden_at     timestamptz,
    hidden_reason text
);
CREATE INDEX comments_post_idx ON comments (post_id, id DESC);

-- Append-only: what moderators (and automatic rules) did, to what, why, when.
CREATE TABLE moderation_log (
    id           bigserial PRIMARY KEY,
    actor_id     bigint REFERENCES users (id),
    action       text NOT NULL,
    target_type  text NOT NULL,
    target_id    bigint NOT NULL,
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION moderation_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'moderation_log is append-only';
END $$;
CREATE TRIGGER moderation_log_no_change BEFORE UPDATE OR DELETE ON moderation_log
    FOR EACH ROW EXECUTE FUNCTION moderation_log_append_only();

-- The outbox. A row is written in the same transaction as the change it describes; its id is the
-- event's sequence number. Writers take a transaction-scoped advisory lock right before inserting
-- (see db/events.py), so ids become visible in exactly commit order and "id > last" never skips.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    type        text NOT NULL,
    post_id     bigint,
    lat         double precision,   -- public position: what live channels route on
    lon         double precision,
    area_ids    bigint[] NOT NULL DEFAULT '{}',  -- the post's area and all its ancestors
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Small named counters: the relay's published position, the retention floor of the outbox.
CREATE TABLE relay_state (
    name    text PRIMARY KEY,
    value   bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO relay_state (name, value) VALUES ('published', 0), ('pruned_through', 0);
