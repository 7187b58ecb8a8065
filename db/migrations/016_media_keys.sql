-- Photos follow their post (docs/photos.md): GET /media/{key} looks up which post(s) a stored variant key
-- belongs to, in one indexed query, and serves it only to whom that post is visible. A key can belong to
-- several posts (content addressing stores the same bytes once) and to a resolution's proof photo
-- (post_steps.photo). photo_variant_keys: every variant's "key" in a photos.variants-shaped object
-- ({"display": {"key": ...}, "thumb": {"key": ...}}), whatever the variants are called.
CREATE FUNCTION photo_variant_keys(variants jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT coalesce(array_agg(v ->> 'key'), '{}') FROM pg_catalog.jsonb_each(variants) AS e(name, v) $$;

CREATE INDEX photos_variant_keys_idx ON photos USING gin (photo_variant_keys(variants));
CREATE INDEX post_steps_photo_keys_idx ON post_steps USING gin (photo_variant_keys(photo -> 'variants'))
    WHERE photo IS NOT NULL;
