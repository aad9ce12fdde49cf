-- Holds that lapse. A PENDING booking's seats stay counted in its parts
-- until whoever moves it out of PENDING first releases them in the same
-- transaction: a booking that needs the seats, a cancel, or the sweeper
-- (booking-expire). Readers add the lapsed seats back, so a lapsed hold
-- is free at once.

-- Seats of a show's holds that have lapsed but are still counted in its
-- parts: their part_seats, which a hold of blocked seats (the admin's,
-- or a channel's kept ones) leaves out, since a blocked seat is counted
-- taken whoever holds it; seat_count would offer those seats as free.
-- (PL/pgSQL: a SQL function around a subquery is planned again on every
-- call, and every refusal of a sold-out show calls this.)
CREATE OR REPLACE FUNCTION lapsed_hold_seats(p_show_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(sum((SELECT sum(n) FROM unnest(part_seats) n)), 0)
              FROM bookings
             WHERE show_id = p_show_id AND status = 'PENDING'
               AND expires_at <= now());
END;
$$;

-- Lapsed holds: released into their parts; the caller holds all the
-- show's part locks (show_parts_lock). p_limit bounds one call's work.
CREATE OR REPLACE FUNCTION release_lapsed_holds(p_show_id bigint,
        p_limit integer, OUT holds integer, OUT seats bigint)
LANGUAGE plpgsql AS $$
BEGIN
    WITH lapsed AS (
        UPDATE bookings b
           SET status = 'FAILED', reason = 'expired', updated_at = now()
         WHERE b.id IN (SELECT id FROM bookings
                         WHERE show_id = p_show_id AND status = 'PENDING'
                           AND expires_at <= now()
                         ORDER BY expires_at LIMIT p_limit)
           -- judged again on the locked row: an extend that committed
           -- while this waited for it moved the deadline
           AND b.status = 'PENDING' AND b.expires_at <= now()
        RETURNING b.seat_count, b.parts, b.part_seats),
    freed AS (
        SELECT u.part, sum(u.seats) AS seats
          FROM lapsed, unnest(lapsed.parts, lapsed.part_seats) AS u(part, seats)
         GROUP BY u.part),
    given AS (
        UPDATE show_parts p SET booked = p.booked - f.seats
          FROM freed f WHERE p.show_id = p_show_id AND p.part = f.part
        RETURNING 1)
    SELECT (SELECT count(*) FROM lapsed),
           (SELECT coalesce(sum(f.seats), 0) FROM freed f)
      INTO holds, seats;
END;
$$;

-- One batch of the sweeper: the show with the oldest lapsed hold is
-- locked and up to p_limit of its lapsed holds released. more is false
-- when no lapsed hold is left anywhere; booking-expire calls this until
-- then, each call its own short transaction. What it released is added
-- to expire_totals in the same transaction, for GET /metrics.
CREATE OR REPLACE FUNCTION expire_holds(p_limit integer, OUT more boolean,
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
        PERFORM show_parts_lock(v_show_id);
        SELECT r.holds, r.seats INTO holds, seats
          FROM release_lapsed_holds(v_show_id, p_limit) r;
        IF holds > 0 THEN
            UPDATE expire_totals t
               SET holds = t.holds + expire_holds.holds,
                   seats = t.seats + expire_holds.seats, runs = t.runs + 1;
        END IF;
    END IF;
END;
$$;
