-- Retention: what booking-expire deletes so that no stranger can grow
-- the database without bound (issue 14). Sold-out attempts and lapsed
-- holds end as FAILED rows, kept FAILED_RETENTION_DAYS; an
-- Idempotency-Key is kept 24 hours if its request changed something,
-- and only IDEMPOTENCY_REFUSED_RETENTION_SECONDS if it was refused.
-- Each call deletes at most p_limit rows, oldest first, in its own
-- short transaction; booking-expire calls again until a call deletes
-- less than that. The indexes that find the rows: sql/013_retention.sql.
--
-- Each DELETE takes its rows from an ARRAY() of the oldest ones, read
-- from those indexes, then finds them by primary key and by nothing
-- else, whatever the planner guesses (it guesses a handful of refused
-- keys, however many there are). "key IN (SELECT ... LIMIT n)" hashed
-- every refused key in each batch once PL/pgSQL kept a generic plan
-- (850 ms a batch of 1000 out of 20 000 such keys), and repeating the
-- conditions beside "key = ANY (...)" sent the DELETE down the partial
-- index, testing each refused key against the array (270 ms).

-- Delete up to p_limit FAILED bookings that ended (updated_at) more
-- than p_days days ago; returns how many. Nothing else: not a booking
-- in any other state, not a younger FAILED one.
--
-- booking_app may not DELETE from bookings (sql/007_app_role.sql) and
-- gets no such grant: this function runs as its owner, the migrating
-- role (SECURITY DEFINER), with a search_path that no caller can
-- change, and booking_app may only call it. p_days is at least 1, so
-- that even a stolen booking_app login cannot erase the last day's
-- failures, and p_limit at most 100000 (EXPIRE_BATCH's range), so that
-- one call stays one short transaction.
--
-- The rows are locked as they are chosen, and those another
-- transaction has locked (a late cancel or confirm of the booking, a
-- second booking-expire) are skipped, not waited for: the next run
-- takes them. A locked row cannot change before the DELETE (nothing
-- moves a booking out of FAILED anyway), so the DELETE need not test it
-- again.
CREATE OR REPLACE FUNCTION failed_bookings_prune(p_limit integer,
                                                 p_days integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_before timestamptz;
    v_n      integer;
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'failed_bookings_prune: p_limit % is not 1 to 100000',
            p_limit USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_days IS NULL OR p_days < 1 THEN
        RAISE EXCEPTION 'failed_bookings_prune: p_days % is less than 1',
            p_days USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_before := now() - p_days * interval '1 day';
    DELETE FROM bookings
     WHERE id = ANY (ARRAY(
               SELECT id FROM bookings
                WHERE status = 'FAILED' AND updated_at < v_before
                ORDER BY updated_at LIMIT p_limit
                  FOR UPDATE SKIP LOCKED));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;

-- Executable by booking_app alone. Here, not in a migration: see the end
-- of sql/013_retention.sql.
REVOKE ALL ON FUNCTION failed_bookings_prune(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION failed_bookings_prune(integer, integer)
    TO booking_app;

-- booking-expire's clean-up of idempotency keys, which replaces
-- idem_prune() (kept in 50_idempotency.sql for the previous release's
-- booking-expire until a later release drops it). Deletes up to
-- p_limit keys: first those older than 24 hours (old), then, in what
-- is left of p_limit, those of refused requests older than
-- p_refused_seconds (refused).
--
-- A refused request changed nothing: its stored result names no booking
-- and no show (booking_none(): not_found, started, key_reused,
-- hold_limit, customer_limit, ...). Forgetting its key early is safe: a
-- retry is executed again instead of replayed, as if it came first. A
-- key whose request did something (a booking, even a FAILED sold-out
-- one, a confirm, a cancel, a show) keeps the full 24 hours. A key
-- being claimed is not committed yet, so it is invisible here, and a
-- committed key never changes (its result is stored in the transaction
-- that claims it), so the DELETE need not test it again.
--
-- booking_app may delete keys (sql/007_app_role.sql), so this runs as
-- its caller.
CREATE OR REPLACE FUNCTION idem_prune_v2(p_limit integer,
                                         p_refused_seconds integer,
                                         OUT old integer,
                                         OUT refused integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_day     timestamptz := now() - interval '24 hours';
    v_refused timestamptz := now() - p_refused_seconds * interval '1 second';
BEGIN
    DELETE FROM idempotency_keys
     WHERE key = ANY (ARRAY(
               SELECT key FROM idempotency_keys
                WHERE created_at < v_day
                ORDER BY created_at LIMIT p_limit));
    GET DIAGNOSTICS old = ROW_COUNT;
    refused := 0;
    IF old < p_limit THEN
        DELETE FROM idempotency_keys
         WHERE key = ANY (ARRAY(
                   SELECT key FROM idempotency_keys
                    WHERE (booking).id IS NULL AND (show).id IS NULL
                      AND created_at < v_refused
                    ORDER BY created_at LIMIT p_limit - old));
        GET DIAGNOSTICS refused = ROW_COUNT;
    END IF;
END;
$$;
