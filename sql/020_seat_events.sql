-- migrate: no-transaction
-- The live seat map (issue 16, docs/events.md): the triggers that
-- announce a seated show's seat changes with NOTIFY seat_events, inside
-- the transaction that makes them. Online: no table is rewritten or
-- scanned; each CREATE TRIGGER takes its table's lock for an instant
-- (under lock_timeout, retried by booking-migrate), one statement at a
-- time so that no lock waits behind another; each statement is safe to
-- run again.
--
-- The functions are declared here with empty bodies only so that the
-- triggers can name them: their live definitions are in
-- functions/65_seat_events.sql, which booking-migrate applies in the
-- same run, right after (every file is applied again after a migration).
CREATE OR REPLACE FUNCTION seat_events_changed() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$;
CREATE OR REPLACE FUNCTION seat_events_confirmed() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$;

-- Seats assigned (held or sold, as their booking is) and given back.
-- General admission never touches seat_assignments.
CREATE OR REPLACE TRIGGER seat_assignments_events_taken
    AFTER INSERT ON seat_assignments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION seat_events_changed();
CREATE OR REPLACE TRIGGER seat_assignments_events_freed
    AFTER DELETE ON seat_assignments
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION seat_events_changed('f');

-- A seated hold confirmed: its seats sold. A row trigger with a WHEN
-- clause, not a statement trigger: a statement trigger on bookings
-- would be called (and fill its transition table) for every general
-- admission booking's update too.
CREATE OR REPLACE TRIGGER bookings_seat_events_confirmed
    AFTER UPDATE OF status ON bookings
    FOR EACH ROW
    WHEN (NEW.seats IS NOT NULL AND OLD.status = 'PENDING'
          AND NEW.status = 'CONFIRMED')
    EXECUTE FUNCTION seat_events_confirmed();
