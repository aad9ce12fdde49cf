-- pgbench script: make bench's ceiling, one POST /book of 1 seat as the
-- database sees it from booking-fcgi, on a random one of :count shows
-- with consecutive ids from :first (pgbench -D first=... -D count=...).
--
-- This is a template: tests/bench/run.sh replaces the BOOKING_CREATE
-- line with the statement booking-fcgi prepares (db_stmts[] in
-- fcgi/db.c, printed by a program compiled from that file, so it cannot
-- drift), its $n parameters bound as a request without Idempotency-Key
-- binds them: key, request line and body NULL, the show, 1 seat, and
-- NULL hold seconds (confirmed at once).
\set show random(:first, :first + :count - 1)
BOOKING_CREATE;
