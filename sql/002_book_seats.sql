-- The booking transaction, in one statement so that a worker needs one
-- round trip per booking (see README, "The booking transaction").
--
-- The UPDATE takes the show's row lock and checks capacity in the same
-- step: under READ COMMITTED a waiting UPDATE re-reads the row once the
-- lock holder commits, so the condition is always judged on the latest
-- count. Only when it matched are seats counted and a CONFIRMED booking
-- inserted; otherwise the attempt is recorded as FAILED (sold out), or
-- nothing is written (unknown show, show already started).

CREATE FUNCTION book_seats(p_show_id bigint, p_seat_count integer)
RETURNS TABLE (outcome text, booking_id bigint, booking_show_id bigint,
               booking_seat_count integer, booking_status text,
               booking_created_us bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_start timestamptz;
    v_status text := 'CONFIRMED';
    v_outcome text := 'ok';
BEGIN
    UPDATE shows s
       SET booked_seats = s.booked_seats + p_seat_count
     WHERE s.id = p_show_id
       AND s.start_time > now()
       AND s.total_seats - s.booked_seats >= p_seat_count;

    IF NOT FOUND THEN
        SELECT s.start_time INTO v_start FROM shows s WHERE s.id = p_show_id;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::bigint, NULL::bigint,
                                NULL::integer, NULL::text, NULL::bigint;
            RETURN;
        END IF;
        IF v_start <= now() THEN
            RETURN QUERY SELECT 'started'::text, NULL::bigint, NULL::bigint,
                                NULL::integer, NULL::text, NULL::bigint;
            RETURN;
        END IF;
        v_status := 'FAILED';
        v_outcome := 'sold_out';
    END IF;

    RETURN QUERY
        INSERT INTO bookings AS b (show_id, seat_count, status)
        VALUES (p_show_id, p_seat_count, v_status)
        RETURNING v_outcome, b.id, b.show_id, b.seat_count, b.status,
                  epoch_us(b.created_at);
END;
$$;
