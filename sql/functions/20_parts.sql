-- A show's seats in parts (show_parts) that are locked independently,
-- so that a show everyone wants is not one row every booking waits for.
-- Each part keeps the CHECK that nothing is oversold; a booking records
-- where its seats came from (bookings.parts, part_seats), so that a
-- cancel or an expiry gives them back to the same parts.
--
-- Lock order everywhere: parts in ascending order, then booking rows.

-- Parts of about 1000 seats, at most 16: a small show stays one row
-- (it sells out in moments anyway), a stadium gets 16.
CREATE OR REPLACE FUNCTION show_part_count(p_total integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN least(16, greatest(1, p_total / 1000));

CREATE OR REPLACE FUNCTION show_free_seats(p_show_id bigint) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN (SELECT coalesce(sum(total - booked), 0) FROM show_parts
             WHERE show_id = p_show_id);

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
