-- pgbench script: make bench's floor-plpgsql, the booking of
-- floor-sql.sql as one small PL/pgSQL function (bench.floor_book(),
-- which run.sh makes in the bench's own database): what PL/pgSQL's own
-- way of running statements adds to the bare floor.
\set show random(:first, :first + :count - 1)
SELECT (b).* FROM bench.floor_book(:show, sha256(random()::text::bytea)) b;
