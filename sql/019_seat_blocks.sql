-- migrate: no-transaction
-- Blocked seats (issue 16, docs/seating.md "Blocked seats"): a seat not
-- for sale (channel_id NULL), or kept for one channel, which alone may
-- sell it. The admin blocks and unblocks seats, and assigns any seat by
-- hand. Best available reads a part's seats, and its rows. Expand only,
-- online, each statement safe to run again: a new table, a new type, an
-- index built concurrently.
--
-- A blocked seat that no booking has is counted as taken in its part
-- (show_parts.booked), as an assigned one is, so that what the list of
-- shows calls available is what a buyer can buy; the functions that
-- keep that count are in functions/60_seating.sql and 61_seat_blocks.sql.
CREATE TABLE IF NOT EXISTS seat_blocks (
    show_id    bigint NOT NULL,
    seat       integer NOT NULL,
    channel_id bigint REFERENCES channels (id),
    blocked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (show_id, seat),
    FOREIGN KEY (show_id, seat) REFERENCES seats (show_id, seat)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON seat_blocks TO booking_app;

-- A row of a seated show as best available's steps across rows read it
-- (functions/62_best_available.sql): its first and last seat, its
-- section (by order), the x of its place 0, its part.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'seat_row') THEN
        CREATE TYPE seat_row AS (first integer, last integer,
                                 section integer, x real, part smallint);
    END IF;
END
$$;

-- A part's seats, without reading the show's others: best available
-- reads a part at a time, and a stadium has 50 parts of 1000 seats.
DROP INDEX CONCURRENTLY IF EXISTS seats_part;
CREATE INDEX CONCURRENTLY seats_part ON seats (show_id, part, seat);
