-- migrate: no-transaction
-- Nothing a stranger can grow without bound (issue 14): booking-expire
-- deletes FAILED bookings FAILED_RETENTION_DAYS after they ended, and
-- the idempotency keys of requests that changed nothing after a few
-- minutes (sql/functions/35_retention.sql). These are the indexes that
-- find both oldest first without reading what stays. Online: each is
-- built concurrently, after dropping whatever a failed build left, so
-- the file may be run again from any statement.
--
-- FAILED bookings by when they ended. status is already in the
-- predicates of the PENDING indexes, so this one makes no UPDATE of
-- bookings lose HOT; a sold-out attempt's INSERT adds one entry.
DROP INDEX CONCURRENTLY IF EXISTS bookings_failed_updated;
CREATE INDEX CONCURRENTLY bookings_failed_updated
    ON bookings (updated_at) WHERE status = 'FAILED';

-- Keys whose stored result names no booking and no show: the request
-- was refused (not_found, started, key_reused, the caps) and changed
-- nothing. Without it, each run would walk every effective key of the
-- last 24 hours to find them. The price: the UPDATE that stores a
-- keyed request's result now changes an indexed column (the
-- predicate's), so it is no longer a HOT update.
DROP INDEX CONCURRENTLY IF EXISTS idempotency_keys_refused;
CREATE INDEX CONCURRENTLY idempotency_keys_refused
    ON idempotency_keys (created_at)
    WHERE (booking).id IS NULL AND (show).id IS NULL;

-- failed_bookings_prune() is SECURITY DEFINER, and its REVOKE from
-- PUBLIC and GRANT to booking_app live beside it in
-- sql/functions/35_retention.sql, not here, for two reasons. The
-- function does not exist yet when this runs (the files are applied
-- after every migration). And a SECURITY DEFINER function can be
-- called by PUBLIC from the moment it is created, so the REVOKE must
-- commit with the CREATE: the files are applied in one transaction,
-- this migration statement by statement. Both grants are idempotent and
-- survive CREATE OR REPLACE, so applying the file again is harmless.
