-- migrate: no-transaction
-- The seated holds still PENDING, by deadline (then id), for
-- booking-events, which announces each one's seats free at its deadline
-- (seat_events_lapsed() in sql/functions/65_seat_events.sql,
-- docs/events.md). bookings_pending_expires lists general admission's
-- holds too: finding the next seated deadline there would walk every
-- general admission hold before it, at every look. This one holds only
-- what the daemon asks for, and its (expires_at, id) order is the
-- daemon's cursor.
--
-- Online: built concurrently, after dropping what a failed build left,
-- so the file may run again from any statement. No UPDATE of bookings
-- loses HOT for it: status and expires_at are indexed already, and a
-- booking's seats are written once, when it is made.
DROP INDEX CONCURRENTLY IF EXISTS bookings_seated_pending;
CREATE INDEX CONCURRENTLY bookings_seated_pending
    ON bookings (expires_at, id)
    WHERE status = 'PENDING' AND seats IS NOT NULL;
