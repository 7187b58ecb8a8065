-- Open311 GeoReport v2 (docs/open311.md): API keys for city systems and clients. A key acts as its account
-- (reports it creates are that account's); only its sha256 is stored, so a leaked table leaks no key.
CREATE TABLE api_keys (
    id          bigserial PRIMARY KEY,
    key_hash    bytea NOT NULL UNIQUE,
    name        text NOT NULL,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);
-- Open311 lists and the export walk posts by creation time.
CREATE INDEX posts_created_idx ON posts (created_at, id);
