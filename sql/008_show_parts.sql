-- A show's seats in parts that are locked independently, so that a show
-- everyone wants is not one row every booking waits for (its lock is
-- held through the commit's flush). A booking takes its seats from one
-- part that nobody else holds at that moment (FOR UPDATE SKIP LOCKED),
-- or, when all parts with room are busy, waits for one of them; only
-- when no single part has room does it lock every part of the show, in
-- part order, and take the seats across parts, or fail as sold out when
-- the whole show lacks them. So a busy or empty part never makes a
-- booking fail, and a booking larger than a part still succeeds.
--
-- show_parts holds the counts; shows.booked_seats goes. Each part keeps
-- the CHECK that nothing is oversold. A booking records where its seats
-- came from (parts, part_seats), so that a cancel or an expiry gives
-- them back to the same parts. Reserved seating extends this: a part of
-- one seat with an identity is a seat.
--
-- Lock order everywhere: parts in ascending order, then booking rows.
-- The fast path waits for no lock at all; confirm takes only its
-- booking's row.

CREATE TABLE show_parts (
    show_id bigint NOT NULL REFERENCES shows (id),
    part    smallint NOT NULL CHECK (part >= 0),
    total   integer NOT NULL CHECK (total > 0),
    booked  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (show_id, part),
    CONSTRAINT show_parts_not_oversold CHECK (booked >= 0 AND booked <= total)
);

-- Parts of about 1000 seats, at most 16: a small show stays one row
-- (it sells out in moments anyway), a stadium gets 16.
CREATE FUNCTION show_part_count(p_total integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN least(16, greatest(1, p_total / 1000));

ALTER TABLE bookings
    ADD COLUMN parts smallint[],
    ADD COLUMN part_seats integer[];

-- Shows created before: one part holding all their seats.
INSERT INTO show_parts (show_id, part, total, booked)
SELECT id, 0, total_seats, booked_seats FROM shows;
UPDATE bookings SET parts = '{0}', part_seats = ARRAY[seat_count]
 WHERE status IN ('PENDING', 'CONFIRMED');

-- Seats taken per show, for readers and checks (the old column).
CREATE VIEW show_seats AS
SELECT show_id, sum(total)::integer AS total_seats,
       sum(booked)::integer AS booked_seats
  FROM show_parts GROUP BY show_id;

CREATE FUNCTION show_free_seats(p_show_id bigint) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN (SELECT coalesce(sum(total - booked), 0) FROM show_parts
             WHERE show_id = p_show_id);

-- Split p_total seats of a new show into its parts.
CREATE FUNCTION show_parts_create(p_show_id bigint, p_total integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO show_parts (show_id, part, total)
    SELECT p_show_id, g,
           p_total / show_part_count(p_total)
           + (g < p_total % show_part_count(p_total))::integer
      FROM generate_series(0, show_part_count(p_total) - 1) g;
$$;

-- Give a booking's seats back to its parts. The caller holds those
-- parts' locks and has just moved the booking out of PENDING or
-- CONFIRMED, in this transaction.
CREATE FUNCTION show_parts_release(p_show_id bigint, p_parts smallint[],
                                   p_seats integer[])
RETURNS void LANGUAGE sql AS $$
    UPDATE show_parts p SET booked = p.booked - u.seats
      FROM unnest(p_parts, p_seats) AS u(part, seats)
     WHERE p.show_id = p_show_id AND p.part = u.part;
$$;

-- Lock every part of a show, in part order.
CREATE FUNCTION show_parts_lock(p_show_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM show_parts WHERE show_id = p_show_id
     ORDER BY part FOR UPDATE;
END;
$$;

-- Lapsed holds: released into their parts; the caller holds all the
-- show's part locks (show_parts_lock).
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
           AND b.status = 'PENDING'
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
           (SELECT coalesce(sum(seat_count), 0) FROM lapsed)
      INTO holds, seats;
END;
$$;

CREATE OR REPLACE FUNCTION book_seats(p_show_id bigint, p_seat_count integer,
                                      p_hold_seconds integer)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    v_start    timestamptz;
    v_status   text := CASE WHEN p_hold_seconds IS NULL THEN 'CONFIRMED'
                            ELSE 'PENDING' END;
    v_expires  timestamptz := now() + p_hold_seconds * interval '1 second';
    v_reason   text;
    v_outcome  text := 'ok';
    v_part     smallint;
    v_parts    smallint[];
    v_seats    integer[];
    v_free     bigint;
    v_left     integer := p_seat_count;
    v_take     integer;
    r          record;
    v_booking  bookings;
BEGIN
    SELECT start_time INTO v_start FROM shows WHERE id = p_show_id;
    IF NOT FOUND THEN
        RETURN booking_none('not_found');
    END IF;
    IF v_start <= now() THEN
        RETURN booking_none('started');
    END IF;

    -- Fast path: one part with room that nobody holds; each session
    -- starts looking at a different part.
    UPDATE show_parts p SET booked = p.booked + p_seat_count
     WHERE p.show_id = p_show_id
       AND p.part = (SELECT q.part FROM show_parts q
                      WHERE q.show_id = p_show_id
                        AND q.total - q.booked >= p_seat_count
                      ORDER BY (q.part + pg_backend_pid()) % 16
                      LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING p.part INTO v_part;

    -- Every part with room is busy: wait for one of them (the one this
    -- session prefers), not for the whole show. After the wait the row
    -- is re-checked; if it filled up meanwhile, the slow path decides.
    IF NOT FOUND THEN
        UPDATE show_parts p SET booked = p.booked + p_seat_count
         WHERE p.show_id = p_show_id
           AND p.part = (SELECT q.part FROM show_parts q
                          WHERE q.show_id = p_show_id
                            AND q.total - q.booked >= p_seat_count
                          ORDER BY (q.part + pg_backend_pid()) % 16
                          LIMIT 1 FOR UPDATE)
           AND p.total - p.booked >= p_seat_count
        RETURNING p.part INTO v_part;
    END IF;

    IF FOUND THEN
        v_parts := ARRAY[v_part];
        v_seats := ARRAY[p_seat_count];
    ELSIF show_free_seats(p_show_id) + lapsed_hold_seats(p_show_id)
          < p_seat_count THEN
        -- Sold out, seen in one consistent snapshot, without a lock: a
        -- storm of buyers for a full show does not queue on its parts.
        v_status := 'FAILED';
        v_reason := 'sold_out';
        v_outcome := 'sold_out';
        v_expires := NULL;
    ELSE
        -- Slow path: the whole show, locked and counted exactly.
        PERFORM show_parts_lock(p_show_id);
        v_free := show_free_seats(p_show_id);
        WHILE v_free < p_seat_count LOOP
            EXIT WHEN (SELECT holds FROM release_lapsed_holds(p_show_id, 100)) = 0;
            v_free := show_free_seats(p_show_id);
        END LOOP;
        IF v_free >= p_seat_count THEN
            FOR r IN SELECT part, total - booked AS free FROM show_parts
                      WHERE show_id = p_show_id AND total > booked
                      ORDER BY part LOOP
                v_take := least(r.free, v_left);
                UPDATE show_parts SET booked = booked + v_take
                 WHERE show_id = p_show_id AND part = r.part;
                v_parts := v_parts || r.part;
                v_seats := v_seats || v_take;
                v_left := v_left - v_take;
                EXIT WHEN v_left = 0;
            END LOOP;
        ELSE
            v_status := 'FAILED';
            v_reason := 'sold_out';
            v_outcome := 'sold_out';
            v_expires := NULL;
        END IF;
    END IF;

    INSERT INTO bookings (show_id, seat_count, status, expires_at, reason,
                          parts, part_seats)
    VALUES (p_show_id, p_seat_count, v_status, v_expires, v_reason,
            v_parts, v_seats)
    RETURNING * INTO v_booking;
    RETURN booking_view(v_outcome, v_booking);
END;
$$;

CREATE OR REPLACE FUNCTION cancel_booking(p_id bigint) RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    b       bookings;
    v_start timestamptz;
BEGIN
    SELECT * INTO b FROM bookings WHERE id = p_id;
    IF NOT FOUND THEN
        RETURN booking_none('not_found');
    END IF;
    -- Its parts (fixed once booked), in order, then the booking itself.
    PERFORM 1 FROM show_parts
      WHERE show_id = b.show_id AND part = ANY (b.parts)
      ORDER BY part FOR UPDATE;
    SELECT * INTO b FROM bookings WHERE id = p_id FOR UPDATE;
    SELECT start_time INTO v_start FROM shows WHERE id = b.show_id;

    IF b.status = 'CANCELLED' THEN
        RETURN booking_view('ok', b);
    END IF;
    IF b.status = 'PENDING' AND b.expires_at <= now() THEN
        UPDATE bookings
           SET status = 'FAILED', reason = 'expired', updated_at = now()
         WHERE id = p_id RETURNING * INTO b;
        PERFORM show_parts_release(b.show_id, b.parts, b.part_seats);
    END IF;
    IF b.status = 'FAILED' THEN
        RETURN booking_view(CASE WHEN b.reason = 'expired' THEN 'expired'
                                 ELSE 'failed' END, b);
    END IF;
    IF v_start <= now() THEN
        RETURN booking_view('started', b);
    END IF;

    UPDATE bookings
       SET status = 'CANCELLED', reason = 'cancelled', updated_at = now()
     WHERE id = p_id RETURNING * INTO b;
    PERFORM show_parts_release(b.show_id, b.parts, b.part_seats);
    RETURN booking_view('ok', b);
END;
$$;

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
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION show_create_keyed(p_key text, p_request text,
        p_name text, p_start_us bigint, p_total_seats integer)
RETURNS keyed_show
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    r show_row;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT * INTO c FROM idem_claim(p_key, p_request);
        IF NOT c.fresh AND c.same THEN
            RETURN ROW('ok', c.show, true)::keyed_show;
        ELSIF NOT c.fresh THEN
            RETURN ROW('key_reused', NULL, false)::keyed_show;
        END IF;
    END IF;
    INSERT INTO shows (name, start_time, total_seats)
    VALUES (p_name, from_epoch_us(p_start_us), p_total_seats)
    RETURNING id, name, epoch_us(start_time), total_seats, 0, total_seats
         INTO r;
    PERFORM show_parts_create(r.id, p_total_seats);
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys SET show = r WHERE key = p_key;
    END IF;
    RETURN ROW('ok', r, false)::keyed_show;
END;
$$;

ALTER TABLE shows DROP CONSTRAINT shows_not_oversold;
ALTER TABLE shows DROP COLUMN booked_seats;

-- A show with its seats taken, as the table had it before.
CREATE VIEW shows_counted AS
SELECT s.*, v.booked_seats FROM shows s JOIN show_seats v ON v.show_id = s.id;


-- booking_app reads and writes the parts as it did the shows' counts.
GRANT SELECT, INSERT, UPDATE ON show_parts TO booking_app;
GRANT SELECT ON show_seats, shows_counted TO booking_app;
