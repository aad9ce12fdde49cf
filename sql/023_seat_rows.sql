-- migrate: no-transaction
-- Best available reads a row, not its seats (issue 16, docs/seating.md
-- "Best available"): each row of a seated show keeps its free places as
-- one string, so that picking the best block of a part reads its ten or
-- so rows rather than its thousand seats, their bookings and blocks.
-- Measured on make bench's hall: PostgreSQL's time per best-available
-- booking was mostly that read.
--
-- The string is what seats_free() says of the row for a buyer who is
-- neither a channel nor the admin, place by place; it is kept so by
-- triggers on seat_assignments and seat_blocks, in the transaction
-- that changes them, whatever function changes them (the live
-- definitions are in functions/62_best_available.sql). A show's rows
-- are written from the tables when its parts are made (a trigger on
-- show_parts), or, for a show made before this migration or by the
-- previous release's workers, by its first best available that takes
-- the slow path, every part locked: so nothing needs a backfill, and
-- nothing here scans a table.
--
-- Online: a new table and its key; each CREATE TRIGGER takes its
-- table's lock for an instant (under lock_timeout, retried by
-- booking-migrate), one statement at a time; every statement is safe
-- to run again (show_parts' trigger waits, as 020's do, for the
-- bookings under way: lock_timeout and booking-migrate's retries keep
-- that short). The functions are declared here with empty bodies only
-- so that the triggers can name them, as in 020: the live definitions
-- follow in the same run. Until then no row of seat_rows exists (only
-- the new functions write them), so the empty bodies miss nothing.

-- row_first: the row (its first seat, as seats.row_first); section: its
-- section's name (as its seats' labels begin); category: its seats'
-- (a row has one); x: the x of its place 0, y its y, fx and fy the
-- focal point's, all as seats_create() computes seats.dist from them;
-- near: the squared distance of its nearest seat; acc: 'a' at each
-- accessible place ('-' elsewhere), NULL for a row without one; free:
-- one character a place: '1' a free seat, '0' a seat assigned or
-- blocked, '|' no seat (an aisle, a missing number).
CREATE TABLE IF NOT EXISTS seat_rows (
    show_id   bigint NOT NULL REFERENCES shows (id),
    part      smallint NOT NULL,
    row_first integer NOT NULL,
    section   text NOT NULL,
    category  smallint NOT NULL,
    x         double precision NOT NULL,
    y         double precision NOT NULL,
    fx        double precision NOT NULL,
    fy        double precision NOT NULL,
    near      double precision NOT NULL,
    acc       text,
    free      text NOT NULL,
    PRIMARY KEY (show_id, part, row_first)
);

GRANT SELECT, INSERT, UPDATE ON seat_rows TO booking_app;

CREATE OR REPLACE FUNCTION seat_rows_changed() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$;
CREATE OR REPLACE FUNCTION seat_rows_created() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$;

-- A seated show's parts made: its rows written. (A general admission
-- show's parts have no rank: the call returns at once.)
CREATE OR REPLACE TRIGGER show_parts_seat_rows
    AFTER INSERT ON show_parts
    REFERENCING NEW TABLE AS created
    FOR EACH STATEMENT EXECUTE FUNCTION seat_rows_created();

-- Seats assigned or given back, blocked or unblocked: '0', taken, for
-- those assigned or blocked. (A block's change of channel changes
-- nothing a public buyer sees.)
CREATE OR REPLACE TRIGGER seat_assignments_rows_taken
    AFTER INSERT ON seat_assignments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION seat_rows_changed('0');
CREATE OR REPLACE TRIGGER seat_assignments_rows_freed
    AFTER DELETE ON seat_assignments
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION seat_rows_changed();
CREATE OR REPLACE TRIGGER seat_blocks_rows_blocked
    AFTER INSERT ON seat_blocks
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION seat_rows_changed('0');
CREATE OR REPLACE TRIGGER seat_blocks_rows_unblocked
    AFTER DELETE ON seat_blocks
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION seat_rows_changed();
