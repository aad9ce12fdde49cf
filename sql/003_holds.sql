-- Holds: a booking may be PENDING until expires_at, then CONFIRMED by
-- the buyer, CANCELLED, or FAILED with reason 'expired'. reason records
-- why a booking ended: expired, cancelled or sold_out.
--
-- shows.booked_seats counts the seats of CONFIRMED and PENDING bookings,
-- including holds that have expired but not been swept yet: a hold's
-- seats are released in the same transaction that moves it out of
-- PENDING, by whoever does that first (a booking that needs the seats,
-- a confirm that finds it late, a cancel, or booking-expire), so they
-- are released exactly once. Readers add the expired-but-unswept seats
-- back (available_seats()), so a lapsed hold is free at once.

ALTER TABLE bookings
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN reason text
        CHECK (reason IN ('expired', 'cancelled', 'sold_out'));

ALTER TABLE bookings DROP CONSTRAINT bookings_status_check;
ALTER TABLE bookings ADD CONSTRAINT bookings_status_check
    CHECK (status IN ('PENDING', 'CONFIRMED', 'FAILED', 'CANCELLED'));

UPDATE bookings SET reason = 'sold_out' WHERE status = 'FAILED';

-- A PENDING booking always has a deadline.
ALTER TABLE bookings ADD CONSTRAINT bookings_pending_expires
    CHECK (status <> 'PENDING' OR expires_at IS NOT NULL);

-- Lazy expiry per show, and the sweeper's oldest-first scan.
CREATE INDEX bookings_pending_show ON bookings (show_id, expires_at)
    WHERE status = 'PENDING';
CREATE INDEX bookings_pending_expires ON bookings (expires_at)
    WHERE status = 'PENDING';

-- Seats of a show's holds that have lapsed but are still counted.
CREATE FUNCTION lapsed_hold_seats(p_show_id bigint) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN (SELECT coalesce(sum(seat_count), 0) FROM bookings
             WHERE show_id = p_show_id AND status = 'PENDING'
               AND expires_at <= now());

-- Move a show's lapsed holds to FAILED/expired and release their seats.
-- The caller holds the show's row lock, so the release and the count
-- change commit together; p_limit bounds the work of one call.
CREATE FUNCTION release_lapsed_holds(p_show_id bigint, p_limit integer,
                                     OUT holds integer, OUT seats bigint)
LANGUAGE plpgsql AS $$
BEGIN
    WITH lapsed AS (
        UPDATE bookings b
           SET status = 'FAILED', reason = 'expired', updated_at = now()
         WHERE b.id IN (SELECT id FROM bookings
                         WHERE show_id = p_show_id AND status = 'PENDING'
                           AND expires_at <= now()
                         ORDER BY expires_at LIMIT p_limit)
           AND b.status = 'PENDING'
        RETURNING b.seat_count)
    SELECT count(*), coalesce(sum(seat_count), 0) INTO holds, seats FROM lapsed;
    IF seats > 0 THEN
        UPDATE shows SET booked_seats = booked_seats - seats WHERE id = p_show_id;
    END IF;
END;
$$;
