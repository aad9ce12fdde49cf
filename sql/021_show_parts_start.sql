-- migrate: no-transaction
-- A page of shows without a probe per show (issue 18): each part carries
-- its show's start time, so that the parts of a page's shows are one
-- ordered range of an index on (start_time, show_id), summed as they
-- stream by and merged with the shows read in the same order. Before,
-- each show of a page looked up its parts in show_parts' primary key:
-- four fifths of the statement.
--
-- A show's start time never changes (no route updates it); if one ever
-- does, it must update its parts in the same transaction.
--
-- Online: a nullable column; a trigger that fills it for every part
-- inserted from now on (by this release's functions and the previous
-- one's alike); the parts already there backfilled in batches; a NOT
-- NULL check added NOT VALID and validated (SHARE UPDATE EXCLUSIVE: no
-- booking waits); the index built concurrently. Safe to run again from
-- any statement.
ALTER TABLE show_parts ADD COLUMN IF NOT EXISTS start_time timestamptz;

-- (The live definition is in functions/20_parts.sql.)
CREATE OR REPLACE FUNCTION show_parts_start_time() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT start_time INTO NEW.start_time FROM shows WHERE id = NEW.show_id;
    RETURN NEW;
END;
$$;
CREATE OR REPLACE TRIGGER show_parts_start_time
    BEFORE INSERT ON show_parts
    FOR EACH ROW EXECUTE FUNCTION show_parts_start_time();

-- In key order, a batch after the last: each batch locks its parts in
-- ascending order, as every booking does, so that the backfill cannot
-- deadlock with one, and reads on from where the last stopped rather
-- than from the start of the table.
DO $$
DECLARE
    v_show bigint := -1;
    v_part smallint := -1;
    n      integer;
BEGIN
    LOOP
        WITH batch AS (
            SELECT p.show_id, p.part FROM show_parts p
             WHERE (p.show_id, p.part) > (v_show, v_part)
             ORDER BY p.show_id, p.part LIMIT 2000
               FOR UPDATE
        ), done AS (
            UPDATE show_parts p SET start_time = s.start_time
              FROM batch b, shows s
             WHERE p.show_id = b.show_id AND p.part = b.part
               AND s.id = p.show_id AND p.start_time IS NULL
        )
        SELECT count(*),
               (array_agg(show_id ORDER BY show_id DESC, part DESC))[1],
               (array_agg(part ORDER BY show_id DESC, part DESC))[1]
          INTO n, v_show, v_part FROM batch;
        COMMIT;
        EXIT WHEN n = 0;
    END LOOP;
END;
$$;

ALTER TABLE show_parts DROP CONSTRAINT IF EXISTS show_parts_start_time_known;
ALTER TABLE show_parts ADD CONSTRAINT show_parts_start_time_known
    CHECK (start_time IS NOT NULL) NOT VALID;
ALTER TABLE show_parts VALIDATE CONSTRAINT show_parts_start_time_known;

DROP INDEX CONCURRENTLY IF EXISTS show_parts_start;
CREATE INDEX CONCURRENTLY show_parts_start
    ON show_parts (start_time, show_id);
