-- Blocking and unblocking seats (POST /admin/shows/{id}/seats/block,
-- unblock: seat_blocks, migration 019) announced on the live seat map as
-- the booking triggers of 020 announce bookings: one notification per
-- show per statement, each seat in the state it has after it
-- (seat_events_changed(), functions/65_seat_events.sql). A trigger is
-- created under a SHARE ROW EXCLUSIVE lock of seat_blocks, which only the
-- admin's seat routes write: booking-migrate's lock_timeout and retries
-- keep it short.
CREATE OR REPLACE TRIGGER seat_blocks_events_added
    AFTER INSERT ON seat_blocks
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION seat_events_changed();
CREATE OR REPLACE TRIGGER seat_blocks_events_removed
    AFTER DELETE ON seat_blocks
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION seat_events_changed();
