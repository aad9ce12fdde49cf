-- Limits that no client can get round, checked in the booking's own
-- transaction so that every worker agrees (README, "Limits").
--
-- Each cap is counted under a transaction-level advisory lock of what
-- it counts (one client's holds; one customer's seats of one show), so
-- that two bookings of the same client or customer are judged one
-- after the other and never both squeeze under the cap; bookings of
-- anyone else do not wait. The locks are taken after the idempotency
-- key and before any part of the show, and always in this order
-- (client, then customer): no cycle with the part locks, which are
-- taken after them.

-- May p_client hold p_seat_count more seats (a hold: p_hold_seconds not
-- NULL), and may p_customer have them of show p_show_id? 'ok', or the
-- outcome that refuses: 'hold_limit' (p_max_live_holds live holds, or
-- p_max_held_seats held seats, already), 'customer_limit' (the show's
-- max_seats_per_customer). A NULL cap, client or customer is no cap.
-- Live means not lapsed at this moment (clock_timestamp(), after the
-- lock): a lapsed hold counts for nobody, swept or not.
CREATE OR REPLACE FUNCTION booking_limits(p_show_id bigint,
        p_seat_count integer, p_hold_seconds integer, p_client text,
        p_customer text, p_max_live_holds integer, p_max_held_seats integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_holds integer;
    v_held  bigint;
    v_cap   integer;
    v_mine  bigint;
BEGIN
    IF p_hold_seconds IS NOT NULL AND p_client IS NOT NULL
       AND (p_max_live_holds IS NOT NULL OR p_max_held_seats IS NOT NULL) THEN
        PERFORM pg_advisory_xact_lock(
            hashtextextended('booking client ' || p_client, 0));
        SELECT count(*), coalesce(sum(seat_count), 0) INTO v_holds, v_held
          FROM bookings
         WHERE client = p_client AND status = 'PENDING'
           AND expires_at > clock_timestamp();
        IF v_holds + 1 > p_max_live_holds
           OR v_held + p_seat_count > p_max_held_seats THEN
            RETURN 'hold_limit';
        END IF;
    END IF;
    SELECT max_seats_per_customer INTO v_cap FROM shows WHERE id = p_show_id;
    IF v_cap IS NOT NULL AND p_customer IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(
            'booking customer ' || p_show_id || ' ' || p_customer, 0));
        SELECT coalesce(sum(seat_count), 0) INTO v_mine FROM bookings
         WHERE show_id = p_show_id AND customer = p_customer
           AND (status = 'CONFIRMED'
                OR (status = 'PENDING' AND expires_at > clock_timestamp()));
        IF v_mine + p_seat_count > v_cap THEN
            RETURN 'customer_limit';
        END IF;
    END IF;
    RETURN 'ok';
END;
$$;
