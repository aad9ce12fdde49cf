-- A show's seats in parts (show_parts) that are locked independently,
-- so that a show everyone wants is not one row every booking waits for.
-- Each part keeps the CHECK that nothing is oversold; a booking records
-- where its seats came from (bookings.parts, part_seats), so that a
-- cancel or an expiry gives them back to the same parts.
--
-- Lock order everywhere: parts in ascending order, then booking rows;
-- and a booking that waits for a part holds no other part. See
-- 40_booking.sql, book_seats().

-- Parts of about 1000 seats, at most 16: a small show stays one row
-- (it sells out in moments anyway), a stadium gets 16.
CREATE OR REPLACE FUNCTION show_part_count(p_total integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN least(16, greatest(1, p_total / 1000));

-- Each part carries its show's start time (021), for the page of shows'
-- one ordered scan: set on every insert, whichever function inserts.
CREATE OR REPLACE FUNCTION show_parts_start_time() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT start_time INTO NEW.start_time FROM shows WHERE id = NEW.show_id;
    RETURN NEW;
END;
$$;

-- (PL/pgSQL, as lapsed_hold_seats(): its plan is kept for the session.)
CREATE OR REPLACE FUNCTION show_free_seats(p_show_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(sum(total - booked), 0) FROM show_parts
             WHERE show_id = p_show_id);
END;
$$;

-- Split p_total seats of a new show into its parts.
CREATE OR REPLACE FUNCTION show_parts_create(p_show_id bigint, p_total integer)
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
CREATE OR REPLACE FUNCTION show_parts_release(p_show_id bigint,
                                              p_parts smallint[],
                                              p_seats integer[])
RETURNS void LANGUAGE sql AS $$
    UPDATE show_parts p SET booked = p.booked - u.seats
      FROM unnest(p_parts, p_seats) AS u(part, seats)
     WHERE p.show_id = p_show_id AND p.part = u.part;
$$;

-- Lock every part of a show, in part order.
CREATE OR REPLACE FUNCTION show_parts_lock(p_show_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM show_parts WHERE show_id = p_show_id
     ORDER BY part FOR UPDATE;
END;
$$;

-- Take p_seats from one part with room that nobody holds, without
-- waiting: the part taken, or NULL. Each session starts looking at a
-- different part.
--
-- A row that FOR UPDATE locks and then finds changed by a commit since
-- the statement began is re-checked after the lock is taken; when it no
-- longer has room the scan goes on, but the lock stays. So a NULL may
-- come with parts locked that the booking does not use, and the
-- booking would then wait for another part holding them: two such
-- bookings can wait for each other. The body is a subtransaction (its
-- EXCEPTION clause) that is rolled back when nothing was taken, which
-- gives every such lock back before the caller waits for anything.
CREATE OR REPLACE FUNCTION show_parts_take_free(p_show_id bigint,
                                                p_seats integer)
RETURNS smallint LANGUAGE plpgsql AS $$
DECLARE
    v_part smallint;
BEGIN
    UPDATE show_parts p SET booked = p.booked + p_seats
     WHERE p.show_id = p_show_id
       AND p.part = (SELECT q.part FROM show_parts q
                      WHERE q.show_id = p_show_id
                        AND q.total - q.booked >= p_seats
                      ORDER BY (q.part + pg_backend_pid()) % 16
                      LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING p.part INTO v_part;
    IF v_part IS NULL THEN
        RAISE SQLSTATE 'BK001';
    END IF;
    RETURN v_part;
EXCEPTION WHEN SQLSTATE 'BK001' THEN
    RETURN NULL;
END;
$$;

-- Every part with room is busy: wait for exactly one of them (the one
-- this session prefers, chosen without a lock), not for the whole show,
-- and take p_seats from it if it still has room once its holder is
-- done: the part taken, or NULL. The wait holds no other part, and a
-- part found too full after the wait is given back (the subtransaction
-- is rolled back) before the caller goes on to lock the whole show.
CREATE OR REPLACE FUNCTION show_parts_take_waiting(p_show_id bigint,
                                                   p_seats integer)
RETURNS smallint LANGUAGE plpgsql AS $$
DECLARE
    v_part smallint;
    v_free integer;
BEGIN
    SELECT part INTO v_part FROM show_parts
     WHERE show_id = p_show_id AND total - booked >= p_seats
     ORDER BY (part + pg_backend_pid()) % 16 LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- Under READ COMMITTED the locked row is read as its holder left it.
    SELECT total - booked INTO v_free FROM show_parts
     WHERE show_id = p_show_id AND part = v_part FOR UPDATE;
    IF v_free < p_seats THEN
        RAISE SQLSTATE 'BK001';
    END IF;
    UPDATE show_parts SET booked = booked + p_seats
     WHERE show_id = p_show_id AND part = v_part;
    RETURN v_part;
EXCEPTION WHEN SQLSTATE 'BK001' THEN
    RETURN NULL;
END;
$$;

-- Seats taken per show, for readers and checks.
CREATE OR REPLACE VIEW show_seats AS
SELECT show_id, sum(total)::integer AS total_seats,
       sum(booked)::integer AS booked_seats
  FROM show_parts GROUP BY show_id;

-- A show with its seats taken. Its columns are named: a view's columns
-- can only be added at the end, and s.* would take in a new column of
-- shows before booked_seats.
CREATE OR REPLACE VIEW shows_counted AS
SELECT s.id, s.name, s.start_time, s.total_seats, s.created_at,
       v.booked_seats
  FROM shows s JOIN show_seats v ON v.show_id = s.id;
