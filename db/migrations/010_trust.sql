-- Trust and safety: flags with weights and outcomes, idempotent creation, suspensions and their appeals,
-- merged duplicates, and the server's own secrets (the location-fuzzing key).

-- One flag per user per target. weight is fixed when the flag is made (account age and track record then);
-- outcome is set when a moderator resolves the queue item, and feeds the flagger's future weight.
CREATE TABLE flags (
    id           bigserial PRIMARY KEY,
    target_type  text NOT NULL CHECK (target_type IN ('post', 'comment')),
    target_id    bigint NOT NULL,
    post_id      bigint NOT NULL REFERENCES posts (id),  -- the post itself, or the comment's post
    user_id      bigint NOT NULL REFERENCES users (id),
    reason       text NOT NULL CHECK (reason IN ('spam', 'abuse', 'false', 'duplicate', 'personal_data')),
    note         text,
    weight       real NOT NULL,
    outcome      text CHECK (outcome IN ('upheld', 'rejected')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    UNIQUE (target_type, target_id, user_id)
);
CREATE INDEX flags_pending_idx ON flags (target_type, target_id) WHERE outcome IS NULL;
CREATE INDEX flags_user_idx ON flags (user_id) WHERE outcome IS NOT NULL;

-- A creating request's key and its stored answer. The primary key is the uniqueness guarantee: the row is
-- inserted in the same transaction as the post or comment, so racing retries wait for the first and then
-- read its answer.
CREATE TABLE idempotency_keys (
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key              text NOT NULL,
    request_hash     bytea NOT NULL,
    response_status  integer,
    response_body    jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

CREATE TABLE suspensions (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id),
    actor_id      bigint NOT NULL REFERENCES users (id),
    reason        text NOT NULL,
    starts_at     timestamptz NOT NULL DEFAULT now(),
    ends_at       timestamptz NOT NULL,
    hide_content  boolean NOT NULL DEFAULT false,
    lifted_at     timestamptz
);
CREATE INDEX suspensions_user_idx ON suspensions (user_id, id DESC);

-- One appeal per suspension (the unique key says so).
CREATE TABLE appeals (
    id             bigserial PRIMARY KEY,
    suspension_id  bigint NOT NULL UNIQUE REFERENCES suspensions (id),
    user_id        bigint NOT NULL REFERENCES users (id),
    text           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    decision       text CHECK (decision IN ('upheld', 'lifted')),
    decided_by     bigint REFERENCES users (id),
    decision_reason text,
    decided_at     timestamptz
);

-- A duplicate merged into its original: status 'merged', merged_into the original's id.
ALTER TABLE posts ADD COLUMN merged_into bigint REFERENCES posts (id);
-- (Duplicate suggestions read the fine-cell index, spam signals the author index: no new post indexes, so
-- creating a post costs what it did.)

-- Server secrets generated on first start and kept, so they survive restarts (e.g. 'fuzz').
CREATE TABLE server_secrets (
    name        text PRIMARY KEY,
    value       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
