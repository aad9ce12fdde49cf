-- Standing areas beside seats (issue 16, docs/seating.md "Standing
-- areas"): each area of a seated show is a part of its own
-- (show_parts, total = capacity), locked, counted and given back as
-- every part is; this table says which part is which area. Expand only,
-- online, each statement safe to run again: a new table, and on
-- bookings a nullable column without a default (sql/README.md).
CREATE TABLE IF NOT EXISTS standing_areas (
    show_id  bigint NOT NULL,
    part     smallint NOT NULL,
    name     text NOT NULL,
    category smallint NOT NULL,   -- index into the layout's categories
    price    bigint NOT NULL,     -- its category's, each place
    PRIMARY KEY (show_id, part),
    UNIQUE (show_id, name),
    FOREIGN KEY (show_id, part) REFERENCES show_parts (show_id, part)
);

GRANT SELECT, INSERT ON standing_areas TO booking_app;

-- The standing places a booking asked for, {"Floor": 2} (kept after it
-- ended, for its answer); for one refused as sold_out, the areas that
-- lacked places. NULL: none asked.
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS standing jsonb;
