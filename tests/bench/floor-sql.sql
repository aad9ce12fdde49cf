-- pgbench script: make bench's floor-sql, what a durable booking of 1
-- seat costs PostgreSQL before any logic: one statement that takes the
-- seat from the show's part and inserts the booking, no function, no
-- check of the show, no token, no answer but the id. The shows are
-- floor-sql's own (1 999 seats: one part, part 0, which a long run
-- does not fill; no room check). Not the service's
-- transaction: a bound under it (README, "What bounds a booking").
\set show random(:first, :first + :count - 1)
WITH u AS (UPDATE show_parts SET booked = booked + 1
            WHERE show_id = :show AND part = 0 RETURNING show_id)
INSERT INTO bookings (show_id, seat_count, status, parts, part_seats, token_hash)
SELECT show_id, 1, 'CONFIRMED', '{0}', '{1}', sha256(random()::text::bytea) FROM u
RETURNING id;
