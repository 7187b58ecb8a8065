-- Web Push (docs/notifications.md): the browsers' push subscriptions, the reports people follow, and the
-- delivery ledger the notify worker fills from the outbox and drains to the push services.

-- One row per browser: the endpoint is the push service's URL for that browser, so it is unique; a second
-- sign-in on the same browser takes it over.
CREATE TABLE push_subscriptions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint    text NOT NULL UNIQUE,
    p256dh      text NOT NULL,
    auth        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);

CREATE TABLE follows (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    post_id     bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, post_id)
);
CREATE INDEX follows_post_idx ON follows (post_id);

-- One row per (event, recipient, subscription), written in the same transaction that moves the worker's
-- cursor past the event: the unique key is what makes a notification exist once, whatever restarts.
-- payload is what the recipient may see, rendered when the row is written (never more than their view).
CREATE TABLE push_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint NOT NULL,
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subscription_id bigint NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    post_id         bigint NOT NULL,
    urgency         text NOT NULL CHECK (urgency IN ('very-low', 'low', 'normal', 'high')),
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'dropped')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (event_id, user_id, subscription_id)
);
CREATE INDEX push_deliveries_due_idx ON push_deliveries (next_attempt_at) WHERE status = 'pending';
