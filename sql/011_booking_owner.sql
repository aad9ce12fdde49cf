-- Bookings that belong to their buyer (issue 14). Expand only: the
-- previous release's workers keep running on this schema until they are
-- restarted, and nothing here rewrites a table or scans one under a lock.
--
-- bookings.token_hash: SHA-256 of the booking's secret token
-- ("bk_..."), which the buyer got once, when the booking was made. The
-- token itself is never stored: a dump of the database gives no one the
-- power to read, confirm or cancel a booking. Bookings made before this
-- migration have none; only the admin can touch those.
--
-- idempotency_keys.token_box: for a keyed booking, its token sealed with
-- a pad that only the client's own Idempotency-Key derives (the key is
-- stored hashed; see fcgi/idempotency.c), so that a retry gets the
-- token back and a dump does not.
ALTER TABLE bookings ADD COLUMN token_hash bytea;
ALTER TABLE idempotency_keys ADD COLUMN token_box bytea;
