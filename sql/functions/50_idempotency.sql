-- Idempotent retries (Idempotency-Key). The first request with a key is
-- executed, and its result is stored in the same transaction as its
-- effect; a replay of the same request returns that result unchanged;
-- the same key on a different request is refused (key_reused).
--
-- Concurrent requests with one key: the first INSERT of the key holds
-- its unique index entry until commit, so the others wait on it (up to
-- lock_timeout, then 503 and retry) and then read the stored result:
-- exactly one of them has an effect. The key is claimed before any part
-- of a show is locked, so that wait never holds a part.

-- Claim p_key for the request whose fingerprint is p_fp. fresh: ours to
-- execute (the caller stores the result before commit). Otherwise same
-- says whether it is the same request, and booking / show hold what the
-- first one stored.
CREATE OR REPLACE FUNCTION idem_claim(p_key text, p_request text,
                                      OUT fresh boolean, OUT same boolean,
                                      OUT booking booking_row,
                                      OUT show show_row)
LANGUAGE plpgsql AS $$
DECLARE
    v_fp bytea := sha256(convert_to(p_request, 'UTF8'));
    k    idempotency_keys;
BEGIN
    INSERT INTO idempotency_keys (key, fingerprint) VALUES (p_key, v_fp)
    ON CONFLICT (key) DO NOTHING;
    fresh := FOUND;
    same := true;
    IF NOT fresh THEN
        SELECT * INTO k FROM idempotency_keys WHERE key = p_key;
        same := k.fingerprint = v_fp;
        booking := k.booking;
        show := k.show;
    END IF;
END;
$$;

-- A booking operation (book, confirm, cancel) under an optional key.
-- p_op names it; p_request is the request's fingerprint text.
CREATE OR REPLACE FUNCTION booking_keyed(p_key text, p_request text,
                                         p_op text, p_id bigint,
                                         p_seat_count integer,
                                         p_hold_seconds integer)
RETURNS keyed_booking
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    r booking_row;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT * INTO c FROM idem_claim(p_key, p_request);
        IF NOT c.fresh AND c.same THEN
            RETURN ROW(c.booking, true)::keyed_booking;
        ELSIF NOT c.fresh THEN
            RETURN ROW(booking_none('key_reused'), false)::keyed_booking;
        END IF;
    END IF;
    r := CASE p_op
        WHEN 'book'    THEN book_seats(p_id, p_seat_count, p_hold_seconds)
        WHEN 'confirm' THEN confirm_booking(p_id)
        WHEN 'cancel'  THEN cancel_booking(p_id)
    END;
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys SET booking = r WHERE key = p_key;
    END IF;
    RETURN ROW(r, false)::keyed_booking;
END;
$$;

-- POST /admin/show under an optional key: the show and its parts.
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

-- booking-expire's clean-up: up to p_limit keys older than 24 hours.
CREATE OR REPLACE FUNCTION idem_prune(p_limit integer) RETURNS integer
LANGUAGE sql AS $$
    WITH old AS (
        DELETE FROM idempotency_keys
         WHERE key IN (SELECT key FROM idempotency_keys
                        WHERE created_at < now() - interval '24 hours'
                        ORDER BY created_at LIMIT p_limit)
        RETURNING 1)
    SELECT count(*)::integer FROM old;
$$;
