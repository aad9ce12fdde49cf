-- Blocked seats (issue 16, docs/seating.md "Blocked seats"): a seat not
-- for sale (channel_id NULL), or kept for one channel, which alone may
-- sell it. The admin blocks and unblocks seats, and assigns any seat by
-- hand. Expand only, online: a new table, nothing else changed.
--
-- A blocked seat that no booking has is counted as taken in its part
-- (show_parts.booked), as an assigned one is, so that what the list of
-- shows calls available is what a buyer can buy; the functions that
-- keep that count are in functions/60_seating.sql.
CREATE TABLE IF NOT EXISTS seat_blocks (
    show_id    bigint NOT NULL,
    seat       integer NOT NULL,
    channel_id bigint REFERENCES channels (id),
    blocked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (show_id, seat),
    FOREIGN KEY (show_id, seat) REFERENCES seats (show_id, seat)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON seat_blocks TO booking_app;
