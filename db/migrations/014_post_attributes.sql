-- Category attributes and addresses (docs/open311.md). attributes: the answers to a category's extra
-- questions (feed/categories.py ATTRIBUTES), validated before they are stored, e.g. {"water_depth_cm": 40}.
-- address: the address the reporter typed (Open311 address_string); NULL = describe the post by its area.
-- position_approximate: the position was placed from that address (warga/geocode.py), not measured.
ALTER TABLE posts
    ADD COLUMN attributes           jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN address              text,
    ADD COLUMN position_approximate boolean NOT NULL DEFAULT false;
