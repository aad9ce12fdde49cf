-- migrate: no-transaction
-- Limits that no client can get round (issue 14), counted in the
-- database so that every worker agrees. Expand only, online: columns
-- without a rewrite, a constraint added NOT VALID then validated (a
-- SHARE UPDATE EXCLUSIVE lock, not an exclusive one), indexes built
-- concurrently; each statement may be run again after a failure.
--
-- bookings.client: who made the booking, for the per-client caps on
-- holds ("addr 192.0.2.1"; NULL for the admin, who has none).
-- bookings.customer: whose seats they are, for a show's cap per
-- customer (the address, for an anonymous client).
-- shows.max_seats_per_customer: that cap, NULL for none.
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS client text;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS customer text;
ALTER TABLE shows ADD COLUMN IF NOT EXISTS max_seats_per_customer integer;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conname = 'shows_max_seats_per_customer') THEN
        ALTER TABLE shows ADD CONSTRAINT shows_max_seats_per_customer
            CHECK (max_seats_per_customer > 0) NOT VALID;
    END IF;
END
$$;
ALTER TABLE shows VALIDATE CONSTRAINT shows_max_seats_per_customer;

-- A client's live holds; one customer's live seats of a show.
DROP INDEX CONCURRENTLY IF EXISTS bookings_client_pending;
CREATE INDEX CONCURRENTLY bookings_client_pending
    ON bookings (client, expires_at)
    WHERE status = 'PENDING' AND client IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS bookings_show_customer;
CREATE INDEX CONCURRENTLY bookings_show_customer
    ON bookings (show_id, customer)
    WHERE status IN ('PENDING', 'CONFIRMED') AND customer IS NOT NULL;

-- booking_run() gains the client, the customer and the caps; its first
-- signature never shipped, so it goes now (sql/functions/ defines the
-- new one, applied after this).
DROP FUNCTION IF EXISTS booking_run(text, text, text, text, bigint, integer,
    integer, bytea, bytea, boolean);
