-- Sign-in throttling per account (feed/accounts.py, feed/ratelimit.py): attempts in a row on one handle,
-- known or not (so the answers never tell whether a handle exists), and until when it is refused. Keyed by
-- sha256(lower(handle)): a handle typed by mistake (or a password typed into the handle field) is not kept.
-- A success deletes the row; rows idle for a day are pruned.
CREATE TABLE sign_in_failures (
    handle_key    bytea PRIMARY KEY,
    failures      integer NOT NULL,
    last_at       timestamptz NOT NULL,
    blocked_until timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_last_at_idx ON sign_in_failures (last_at);
