-- make bench's checks after a seated scenario (tests/bench/seated.sh) on
-- the show :show, which only that scenario booked, never cancelling and
-- never holding: a seat, once taken, stays taken to the end.
--   psql -v show=ID -v op=best|pick -v created=N -v sold_out=N
--        -v not_adjacent=N -v seats_taken=N -f seated_check.sql
-- (the counts are the 201s and 409s the client saw). Prints one line a
-- check, "name violations", then "info sold seats free_pairs"; the
-- caller fails the run when any check's figure is not 0.
\set ON_ERROR_STOP 1
\pset tuples_only on
\pset format unaligned
\pset fieldsep ' '
-- one snapshot for every check, temp tables included
BEGIN ISOLATION LEVEL REPEATABLE READ;

CREATE TEMP TABLE live AS
    SELECT * FROM bookings
     WHERE show_id = :show AND status IN ('CONFIRMED', 'PENDING');
CREATE TEMP TABLE taken AS
    SELECT a.seat, a.booking_id, s.part, s.row_first, s.pos
      FROM seat_assignments a JOIN seats s USING (show_id, seat)
     WHERE a.show_id = :show;
CREATE TEMP TABLE free AS
    SELECT s.seat, s.row_first, s.pos FROM seats s
     WHERE s.show_id = :show
       AND NOT EXISTS (SELECT 1 FROM taken t WHERE t.seat = s.seat);
CREATE TEMP TABLE failed AS
    SELECT reason, seats FROM bookings
     WHERE show_id = :show AND status = 'FAILED';

-- Sold at most once: no seat in two live bookings; each live booking's
-- seats are exactly the seats assigned to it, as many as it counts; no
-- seat assigned to a booking that is not live.
SELECT 'seat_in_two_live_bookings', count(*) FROM (
    SELECT x FROM live, unnest(live.seats) x GROUP BY x HAVING count(*) > 1) d;
SELECT 'booking_seats_not_its_assignments', count(*) FROM live b
 WHERE b.seats IS NULL
    OR (SELECT array_agg(x ORDER BY x) FROM unnest(b.seats) x)
       IS DISTINCT FROM (SELECT array_agg(t.seat ORDER BY t.seat)
                           FROM taken t WHERE t.booking_id = b.id)
    OR b.seat_count <> cardinality(b.seats);
SELECT 'assignment_without_live_booking', count(*) FROM taken t
 WHERE NOT EXISTS (SELECT 1 FROM live b WHERE b.id = t.booking_id);

-- Counts exact: each part's booked is its seats assigned, within its
-- total; the live bookings' seats add up to the assignments.
SELECT 'part_booked_not_its_seats', count(*) FROM show_parts p
  LEFT JOIN (SELECT part, count(*) AS n FROM taken GROUP BY part) c USING (part)
 WHERE p.show_id = :show
   AND (p.booked <> coalesce(c.n, 0) OR p.booked > p.total);
SELECT 'booking_total_not_assignments',
       abs((SELECT coalesce(sum(seat_count), 0) FROM live)
           - (SELECT count(*) FROM taken));

-- Every answer the client saw is recorded: a 201 as a live booking, a
-- 409 as a FAILED booking with its reason (the database may have more:
-- answers in flight when wrk stopped).
SELECT 'acknowledged_not_recorded',
       greatest(:created - (SELECT count(*) FROM live), 0)
     + greatest(:sold_out - (SELECT count(*) FROM failed WHERE reason = 'sold_out'), 0)
     + greatest(:not_adjacent
                - (SELECT count(*) FROM failed WHERE reason = 'not_enough_adjacent'), 0)
     + greatest(:seats_taken - (SELECT count(*) FROM failed WHERE reason = 'seats_taken'), 0);

-- best: every booking 2 seats next to each other (one row, places 1
-- apart, so never across an aisle).
SELECT 'pair_not_together', count(*) FROM live b
 WHERE :'op' = 'best'
   AND (SELECT count(*) <> 2 OR count(DISTINCT row_first) <> 1
               OR max(pos) - min(pos) <> 1
          FROM taken t WHERE t.booking_id = b.id);

-- No false refusal. Seats only ever went from free to taken, so the
-- seats free at the end were free at every refusal. A 409 sold_out says
-- fewer than 2 seats were free: false if 2 are free now. A 409
-- not_enough_adjacent or sold_out to best available says no 2 free
-- seats together: false if a pair together is free now. A 409
-- seats_taken names seats that were not free: false if one is free now.
-- (Exact for what is left free; a refusal while a pair was free that a
-- rival then took is not seen here.)
CREATE TEMP TABLE free_pairs AS
    SELECT count(*) AS n FROM free a
      JOIN free b ON b.row_first = a.row_first AND b.pos = a.pos + 1;
SELECT 'false_sold_out', count(*) FROM failed
 WHERE reason = 'sold_out' AND (SELECT count(*) FROM free) >= 2;
SELECT 'false_not_adjacent', count(*) FROM failed
 WHERE :'op' = 'best' AND reason IN ('sold_out', 'not_enough_adjacent')
   AND (SELECT n FROM free_pairs) > 0;
SELECT 'false_seats_taken', count(*) FROM failed f, unnest(f.seats) x
 WHERE f.reason = 'seats_taken'
   AND EXISTS (SELECT 1 FROM free WHERE free.seat = x);

-- info: seats sold, seats in all, free pairs together left
SELECT 'info', (SELECT count(*) FROM taken),
       (SELECT count(*) FROM seats WHERE show_id = :show),
       (SELECT n FROM free_pairs);
COMMIT;
