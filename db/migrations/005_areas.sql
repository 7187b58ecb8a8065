-- Areas get what routing needs: depth in the tree, a bounding box, and an H3 cell index for point lookup.

ALTER TABLE areas
    ADD COLUMN depth      smallint NOT NULL DEFAULT 0,   -- 0 for a root (kota), parent's depth + 1 below
    ADD COLUMN min_lat    double precision,
    ADD COLUMN max_lat    double precision,
    ADD COLUMN min_lon    double precision,
    ADD COLUMN max_lon    double precision,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();  -- bumps when the geometry is replaced

CREATE INDEX areas_parent_idx ON areas (parent_id);
-- Import resolves a "parent" property by code or by name; codes are UNIQUE already (001).
CREATE INDEX areas_name_idx ON areas (lower(name));

-- Every H3 cell (res 9, or res 7 when all 49 of its res-9 children are inside) an area's polygon
-- touches. interior: the whole cell lies inside, so a point in it needs no exact test. A point is looked up
-- by its res-9 cell and that cell's res-7 parent: two index probes, then exact tests only on the few
-- boundary candidates. Cell ids encode their resolution, so one column holds both.
CREATE TABLE area_cells (
    cell      bigint NOT NULL,
    area_id   bigint NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
    interior  boolean NOT NULL,
    PRIMARY KEY (cell, area_id)
);
CREATE INDEX area_cells_area_idx ON area_cells (area_id);
