-- What booking-expire has done, for GET /metrics: the holds it released
-- and their seats, added in the same transaction that releases them, so
-- the count is exact and survives restarts of either program.

CREATE TABLE expire_totals (
    id     boolean PRIMARY KEY DEFAULT true CHECK (id),    -- one row
    holds  bigint NOT NULL DEFAULT 0,
    seats  bigint NOT NULL DEFAULT 0,
    runs   bigint NOT NULL DEFAULT 0           -- batches that released any
);
INSERT INTO expire_totals DEFAULT VALUES;

GRANT SELECT, UPDATE ON expire_totals TO booking_app;

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
