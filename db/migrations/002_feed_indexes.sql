-- The public nearby feed reads only visible posts (not deleted, held or hidden). Partial indexes holding
-- exactly those, with the columns the feed filters on, let the candidate scan run index-only: the heap
-- is touched for the (at most 100) posts actually returned, not for every post in the covered cells.
CREATE INDEX posts_public_cell9_idx ON posts (cell9, id DESC)
    INCLUDE (pub_lat, pub_lon, category, status)
    WHERE deleted_at IS NULL AND held_at IS NULL AND hidden_at IS NULL;
CREATE INDEX posts_public_cell7_idx ON posts (cell7, id DESC)
    INCLUDE (pub_lat, pub_lon, category, status)
    WHERE deleted_at IS NULL AND held_at IS NULL AND hidden_at IS NULL;
