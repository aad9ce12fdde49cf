-- migrate: no-transaction
-- Reserved seating (issue 16, docs/seating.md): a seated show's layout,
-- one row per seat, and a seat's live booking. Expand only, online, each
-- statement safe to run again: new tables; on bookings and shows a
-- nullable column without a default (sql/README.md), a trigger, and the
-- reasons a booking may fail widened by a constraint added NOT VALID,
-- validated, then the old one dropped.
CREATE TABLE IF NOT EXISTS show_seating (
    show_id bigint PRIMARY KEY REFERENCES shows (id),
    layout  jsonb NOT NULL          -- normalized, never changed
);

-- seat: the seat's index in the show's order (docs/seating.md); part:
-- the show_parts row that counts it, whole rows to a part; row_first:
-- its row (the row's first seat); pos: its place in the row, an aisle
-- or a missing number counting one, so that two seats are next to each
-- other when their pos differ by 1; dist: from the focal point.
CREATE TABLE IF NOT EXISTS seats (
    show_id    bigint NOT NULL REFERENCES shows (id),
    seat       integer NOT NULL CHECK (seat >= 0),
    part       smallint NOT NULL,
    category   smallint NOT NULL,
    label      text NOT NULL,
    row_first  integer NOT NULL,
    pos        integer NOT NULL,
    dist       real NOT NULL,
    accessible boolean NOT NULL,
    PRIMARY KEY (show_id, seat),
    UNIQUE (show_id, label)
);

-- A seat's live booking: the primary key is what makes selling a seat
-- twice impossible, whatever the code above it does.
CREATE TABLE IF NOT EXISTS seat_assignments (
    show_id    bigint NOT NULL,
    seat       integer NOT NULL,
    booking_id bigint NOT NULL REFERENCES bookings (id),
    PRIMARY KEY (show_id, seat),
    FOREIGN KEY (show_id, seat) REFERENCES seats (show_id, seat)
);
CREATE INDEX IF NOT EXISTS seat_assignments_booking
    ON seat_assignments (booking_id);

-- The seats a seated booking took (kept after it ended, for its answer);
-- for a refused one (reason seats_taken), those that were not free.
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS seats integer[];

GRANT SELECT, INSERT ON show_seating, seats TO booking_app;
GRANT SELECT, INSERT, DELETE ON seat_assignments TO booking_app;

-- A seated show; NULL for general admission, as every show before.
ALTER TABLE shows ADD COLUMN IF NOT EXISTS seated boolean;
-- A seated show's part: its nearest seat's distance from the focal
-- point, the order in which best available tries the parts.
ALTER TABLE show_parts ADD COLUMN IF NOT EXISTS rank real;

-- A seated booking that ends (cancelled, lapsed, swept) gives its seats
-- back on every path that ends it, old functions included: the trigger
-- runs only for a booking with seats. (The live definition of the
-- function is in functions/60_seating.sql.)
CREATE OR REPLACE FUNCTION seats_release() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM seat_assignments WHERE booking_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER bookings_seats_release
    AFTER UPDATE OF status ON bookings
    FOR EACH ROW
    WHEN (NEW.seats IS NOT NULL AND OLD.status IN ('PENDING', 'CONFIRMED')
          AND NEW.status IN ('CANCELLED', 'FAILED'))
    EXECUTE FUNCTION seats_release();

-- A booking of chosen seats fails with reason seats_taken.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conname = 'bookings_reason') THEN
        ALTER TABLE bookings ADD CONSTRAINT bookings_reason
            CHECK (reason IN ('expired', 'cancelled', 'sold_out',
                              'seats_taken', 'not_enough_adjacent'))
            NOT VALID;
    END IF;
END
$$;
ALTER TABLE bookings VALIDATE CONSTRAINT bookings_reason;
ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_reason_check;
