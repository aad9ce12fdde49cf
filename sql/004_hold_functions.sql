-- The booking transactions with holds, each one statement for the worker
-- (see README, "The booking transaction"). Lock order everywhere: the
-- show's row first, then booking rows, so that they cannot deadlock.
--
-- Every function returns an outcome and a booking row:
-- id, show_id, seat_count, status, created, expires, reason.
-- A hold that has lapsed but is still PENDING in the table is reported
-- as what it is: FAILED, reason expired (booking_view below).

DROP FUNCTION book_seats(bigint, integer);

CREATE TYPE booking_row AS (
    outcome     text,
    id          bigint,
    show_id     bigint,
    seat_count  integer,
    status      text,
    created_us  bigint,
    expires_us  bigint,
    reason      text
);

CREATE FUNCTION booking_view(p_outcome text, b bookings) RETURNS booking_row
    LANGUAGE sql STABLE
    RETURN ROW(p_outcome, b.id, b.show_id, b.seat_count,
               CASE WHEN b.status = 'PENDING' AND b.expires_at <= now()
                    THEN 'FAILED' ELSE b.status END,
               epoch_us(b.created_at), epoch_us(b.expires_at),
               CASE WHEN b.status = 'PENDING' AND b.expires_at <= now()
                    THEN 'expired' ELSE b.reason END)::booking_row;

CREATE FUNCTION booking_none(p_outcome text) RETURNS booking_row
    LANGUAGE sql IMMUTABLE
    RETURN ROW(p_outcome, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::booking_row;

-- Book p_seat_count seats: CONFIRMED at once, or PENDING for
-- p_hold_seconds when that is not NULL.
--
-- The UPDATE takes the show's row lock and checks capacity in one step:
-- under READ COMMITTED a waiting UPDATE re-reads the row once the lock
-- holder commits, so the condition is judged on the latest count. When
-- it does not match, the show is locked and examined: unknown (nothing
-- written), started (nothing written), or short of seats. Lapsed holds
-- still counted are then released, oldest first, until the booking fits
-- or none is left; if it still does not fit, the attempt is recorded
-- as FAILED, reason sold_out.
CREATE FUNCTION book_seats(p_show_id bigint, p_seat_count integer,
                           p_hold_seconds integer)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    v_show     shows;
    v_status   text := CASE WHEN p_hold_seconds IS NULL THEN 'CONFIRMED'
                            ELSE 'PENDING' END;
    v_expires  timestamptz := now() + p_hold_seconds * interval '1 second';
    v_reason   text;
    v_outcome  text := 'ok';
    v_released integer;
    v_booking  bookings;
BEGIN
    UPDATE shows s
       SET booked_seats = s.booked_seats + p_seat_count
     WHERE s.id = p_show_id
       AND s.start_time > now()
       AND s.total_seats - s.booked_seats >= p_seat_count;

    IF NOT FOUND THEN
        SELECT * INTO v_show FROM shows WHERE id = p_show_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN booking_none('not_found');
        END IF;
        IF v_show.start_time <= now() THEN
            RETURN booking_none('started');
        END IF;
        LOOP
            EXIT WHEN v_show.total_seats - v_show.booked_seats >= p_seat_count;
            SELECT holds INTO v_released
              FROM release_lapsed_holds(p_show_id, 100);
            EXIT WHEN v_released = 0;
            SELECT * INTO v_show FROM shows WHERE id = p_show_id;
        END LOOP;
        IF v_show.total_seats - v_show.booked_seats >= p_seat_count THEN
            UPDATE shows SET booked_seats = booked_seats + p_seat_count
             WHERE id = p_show_id;
        ELSE
            v_status := 'FAILED';
            v_reason := 'sold_out';
            v_outcome := 'sold_out';
            v_expires := NULL;
        END IF;
    END IF;

    INSERT INTO bookings (show_id, seat_count, status, expires_at, reason)
    VALUES (p_show_id, p_seat_count, v_status, v_expires, v_reason)
    RETURNING * INTO v_booking;
    RETURN booking_view(v_outcome, v_booking);
END;
$$;

-- Confirm a hold. Outcomes: ok (now CONFIRMED, or was already: safe to
-- retry), expired, failed, cancelled, not_found. Only the booking's row
-- is locked: a confirm never touches the seat count, so hot shows do not
-- serialise on it, and a lapsed hold is left for whoever releases it.
CREATE FUNCTION confirm_booking(p_id bigint) RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    b bookings;
BEGIN
    SELECT * INTO b FROM bookings WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN booking_none('not_found');
    END IF;
    IF b.status = 'PENDING' AND b.expires_at > now() THEN
        UPDATE bookings SET status = 'CONFIRMED', updated_at = now()
         WHERE id = p_id RETURNING * INTO b;
    END IF;
    RETURN booking_view(CASE
        WHEN b.status = 'CONFIRMED' THEN 'ok'
        WHEN b.status = 'CANCELLED' THEN 'cancelled'
        WHEN b.status = 'PENDING' OR b.reason = 'expired' THEN 'expired'
        ELSE 'failed' END, b);
END;
$$;

-- Cancel a PENDING or CONFIRMED booking and put its seats back on sale.
-- Outcomes: ok (now CANCELLED, or was already: the seats are released
-- only by the call that changed the status), expired, failed, started,
-- not_found. The show is locked before the booking, as everywhere.
CREATE FUNCTION cancel_booking(p_id bigint) RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    b      bookings;
    v_show shows;
BEGIN
    SELECT * INTO b FROM bookings WHERE id = p_id;
    IF NOT FOUND THEN
        RETURN booking_none('not_found');
    END IF;
    SELECT * INTO v_show FROM shows WHERE id = b.show_id FOR UPDATE;
    SELECT * INTO b FROM bookings WHERE id = p_id FOR UPDATE;

    IF b.status = 'CANCELLED' THEN
        RETURN booking_view('ok', b);
    END IF;
    IF b.status = 'PENDING' AND b.expires_at <= now() THEN
        PERFORM release_lapsed_holds(b.show_id, 2147483647);
        SELECT * INTO b FROM bookings WHERE id = p_id;
    END IF;
    IF b.status = 'FAILED' THEN
        RETURN booking_view(CASE WHEN b.reason = 'expired' THEN 'expired'
                                 ELSE 'failed' END, b);
    END IF;
    IF v_show.start_time <= now() THEN
        RETURN booking_view('started', b);
    END IF;

    UPDATE bookings
       SET status = 'CANCELLED', reason = 'cancelled', updated_at = now()
     WHERE id = p_id RETURNING * INTO b;
    UPDATE shows SET booked_seats = booked_seats - b.seat_count
     WHERE id = b.show_id;
    RETURN booking_view('ok', b);
END;
$$;

-- One batch of the sweeper: the show with the oldest lapsed hold is
-- locked and up to p_limit of its lapsed holds released. more is false
-- when no lapsed hold is left anywhere; booking-expire calls this until
-- then, each call its own short transaction.
CREATE FUNCTION expire_holds(p_limit integer, OUT more boolean,
                             OUT holds integer, OUT seats bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_show_id bigint;
BEGIN
    SELECT show_id INTO v_show_id FROM bookings
     WHERE status = 'PENDING' AND expires_at <= now()
     ORDER BY expires_at LIMIT 1;
    more := v_show_id IS NOT NULL;
    holds := 0;
    seats := 0;
    IF more THEN
        PERFORM 1 FROM shows WHERE id = v_show_id FOR UPDATE;
        SELECT r.holds, r.seats INTO holds, seats
          FROM release_lapsed_holds(v_show_id, p_limit) r;
    END IF;
END;
$$;
