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

-- The previous release's booking_run, for its workers until they are
-- restarted (a later release drops it): keys in clear, bookings without
-- a token, confirm and cancel by anyone.
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

-- A booking operation (book, confirm, cancel, extend) for its caller, under an
-- optional key; what the service calls.
--   p_key        the Idempotency-Key as the service stores it: hashed
--                with the client it belongs to, so that two clients'
--                equal keys never meet and a dump does not show them
--   p_legacy_key the key as the client sent it, which the previous
--                release stored in clear: a retry across an upgrade
--                finds what it stored (drop once no such key is left,
--                24 hours after the upgrade)
--   p_request    the request's fingerprint text: its line and its body
--                in canonical form (members in order, no spacing), so
--                that a retry that builds its body again is the same
--   p_legacy_request
--                the fingerprint text as the previous release made it
--                (the body's bytes), for a key it stored
--   p_token_hash book: SHA-256 of the new booking's token; confirm and
--                cancel: of the token the caller presented
--   p_token_box  book with a key: the new token sealed for a retry,
--                stored with the result and handed back on a replay
--   p_admin      the caller is the admin: confirm and cancel any
--                booking; book chosen seats, blocked ones too (assign
--                by hand, docs/seating.md)
--   p_client, p_customer, p_max_live_holds, p_max_held_seats
--                book: who books, for whom, and the client's caps on
--                holds (booking_limits(); NULL: none), for an anonymous
--                client or the admin
--   p_channel_hash, p_customer_ref
--                a channel's key (its SHA-256) instead: the channel
--                books with its own caps, for its buyer p_customer_ref
--                (NULL: no cap per customer), and owns what it booked
--   p_hold_max_seconds, p_hold_max_extends
--                extend: how far a hold may go from when it was made,
--                and how many times (p_hold_seconds is the step)
--   p_seats      book: the labels of the seats chosen (a seated show;
--                p_seat_count is their number), or NULL: by count
--   p_best       book: best available of p_seat_count seats of a seated
--                show ({"together","categories","sections"}), or NULL
--   p_standing   book: standing places ({"Floor": 2}), with p_seats or
--                alone (p_seat_count counts both), or NULL
-- replayed: r is the stored result of an earlier request with the key;
-- token_box is then what that request stored.
-- seat_labels, price, standing: a booking of seats or standing places
-- (made now or replayed), its seats' labels ([] for places alone), its
-- places, and its price in all; NULL for a booking by count.
--
-- One PL/pgSQL function, not one that wraps another: every layer costs
-- a booking its own executor run and the set-up of its expressions,
-- which PL/pgSQL makes again in every transaction (issue 18).
CREATE OR REPLACE FUNCTION booking_run(p_key text, p_legacy_key text,
        p_request text, p_op text, p_id bigint, p_seat_count integer,
        p_hold_seconds integer, p_token_hash bytea, p_token_box bytea,
        p_admin boolean, p_client text, p_customer text,
        p_max_live_holds integer, p_max_held_seats integer,
        p_channel_hash bytea, p_customer_ref text,
        p_hold_max_seconds integer, p_hold_max_extends integer,
        p_legacy_request text, p_seats text[], p_best jsonb,
        p_standing jsonb,
        OUT r booking_row, OUT replayed boolean, OUT token_box bytea,
        OUT seat_labels jsonb, OUT price bigint, OUT standing jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    c          record;
    k          idempotency_keys;
    ch         channels;
    v_limit    text := 'ok';
    v_client   text := p_client;
    v_customer text := p_customer;
    v_holds    integer := p_max_live_holds;
    v_held     integer := p_max_held_seats;
    v_shards   integer := 1;
    v_shard    smallint;
BEGIN
    replayed := false;
    -- A channel's key: looked up on every request, so that a revoked
    -- key stops at once; unknown or revoked, it books nothing (401) and
    -- owns nothing (404, as a wrong token).
    IF p_channel_hash IS NOT NULL THEN
        SELECT * INTO ch FROM channels
         WHERE key_hash = p_channel_hash AND revoked_at IS NULL;
        IF NOT FOUND THEN
            r := booking_none(CASE p_op WHEN 'book' THEN 'unauthorized'
                                        ELSE 'not_found' END);
            RETURN;
        END IF;
        v_client := 'channel ' || ch.id;
        v_customer := v_client || ' ' || p_customer_ref;
        v_holds := ch.max_live_holds;
        v_held := ch.max_held_seats;
        -- A channel's holds are counted in shards when its caps are
        -- large (45_limits.sql); an anonymous address's stay one queue,
        -- which is right for one buyer, and leave no rows behind.
        v_shards := client_shard_count(v_holds, v_held);
    END IF;
    -- A key the previous release stored in clear, for a booking only:
    -- confirm and cancel are safe to run again, and a key written as
    -- this release stores them ("k2:") is never looked up as sent, or
    -- a client could name another client's key.
    IF p_legacy_key IS NOT NULL AND p_op = 'book'
       AND p_legacy_key NOT LIKE 'k2:%' THEN
        SELECT * INTO k FROM idempotency_keys WHERE key = p_legacy_key;
        IF FOUND THEN
            IF k.fingerprint = sha256(convert_to(p_legacy_request, 'UTF8'))
            THEN
                r := k.booking;
                replayed := true;
            ELSE
                r := booking_none('key_reused');
                RETURN;
            END IF;
        END IF;
    END IF;
    IF p_key IS NOT NULL AND NOT replayed THEN
        SELECT * INTO c FROM idem_claim(p_key, p_request);
        IF NOT c.fresh AND c.same THEN
            r := c.booking;
            replayed := true;
            SELECT i.token_box INTO token_box FROM idempotency_keys i
             WHERE i.key = p_key;
        ELSIF NOT c.fresh THEN
            r := booking_none('key_reused');
            RETURN;
        END IF;
    END IF;
    IF NOT replayed THEN
        -- The caps (booking_limits()): a client's on its holds, the
        -- show's per customer. A booking that no cap can concern (no
        -- hold under caps, a show without its cap: most of an on-sale's
        -- bookings) skips the call.
        IF p_op = 'book' AND p_seat_count > ch.max_seats_per_booking THEN
            v_limit := 'seat_limit';
        ELSIF p_op = 'book'
              AND ((p_hold_seconds IS NOT NULL AND v_client IS NOT NULL
                    AND (v_holds IS NOT NULL OR v_held IS NOT NULL))
                   OR (v_customer IS NOT NULL
                       AND (SELECT max_seats_per_customer FROM shows
                             WHERE id = p_id) IS NOT NULL)) THEN
            SELECT l.outcome, l.client_shard INTO v_limit, v_shard
              FROM booking_limits(p_id, p_seat_count, p_hold_seconds,
                                  v_client, v_customer, v_holds, v_held,
                                  v_shards) l;
        END IF;
        r := CASE
            WHEN v_limit <> 'ok' THEN booking_none(v_limit)
            WHEN p_op = 'book' AND p_standing IS NOT NULL
                                  THEN book_standing(p_id, p_seats,
                                       p_standing, p_hold_seconds,
                                       p_token_hash, v_client, v_customer,
                                       ch.id, p_customer_ref, v_shard,
                                       p_admin)
            WHEN p_op = 'book' AND p_best IS NOT NULL
                                  THEN book_seats_best(p_id, p_seat_count,
                                       p_best, p_hold_seconds, p_token_hash,
                                       v_client, v_customer, ch.id,
                                       p_customer_ref, v_shard)
            WHEN p_op = 'book' AND p_seats IS NOT NULL
                                  THEN book_seats_chosen(p_id, p_seats,
                                       p_hold_seconds, p_token_hash,
                                       v_client, v_customer, ch.id,
                                       p_customer_ref, v_shard, p_admin)
            WHEN p_op = 'book'    THEN book_seats(p_id, p_seat_count,
                                       p_hold_seconds, p_token_hash,
                                       v_client, v_customer, ch.id,
                                       p_customer_ref, v_shard)
            WHEN p_op = 'confirm' THEN confirm_booking(p_id, p_token_hash,
                                       p_admin, ch.id)
            WHEN p_op = 'cancel'  THEN cancel_booking(p_id, p_token_hash,
                                       p_admin, ch.id)
            WHEN p_op = 'extend'  THEN extend_hold(p_id, p_token_hash,
                                       p_admin, ch.id, p_hold_seconds,
                                       p_hold_max_seconds,
                                       p_hold_max_extends)
        END;
        IF p_key IS NOT NULL THEN
            UPDATE idempotency_keys i SET booking = r,
                   token_box = p_token_box
             WHERE i.key = p_key;
        END IF;
    END IF;
    -- A booking by count (a show sold by count: a seated one refuses it)
    -- has no seats nor places to read: the hot path skips both reads.
    IF (r).id IS NOT NULL
       AND (p_op <> 'book' OR p_seats IS NOT NULL OR p_best IS NOT NULL
            OR p_standing IS NOT NULL) THEN
        SELECT i.labels, i.price, i.places INTO seat_labels, price, standing
          FROM booking_items((r).id) i;       -- 63_standing.sql
    END IF;
END;
$$;

-- The previous release's signature, for its workers until they are
-- replaced: no standing places.
CREATE OR REPLACE FUNCTION booking_run(p_key text, p_legacy_key text,
        p_request text, p_op text, p_id bigint, p_seat_count integer,
        p_hold_seconds integer, p_token_hash bytea, p_token_box bytea,
        p_admin boolean, p_client text, p_customer text,
        p_max_live_holds integer, p_max_held_seats integer,
        p_channel_hash bytea, p_customer_ref text,
        p_hold_max_seconds integer, p_hold_max_extends integer,
        p_legacy_request text, p_seats text[], p_best jsonb,
        OUT r booking_row, OUT replayed boolean, OUT token_box bytea,
        OUT seat_labels jsonb, OUT price bigint)
LANGUAGE sql AS $$
    SELECT k.r, k.replayed, k.token_box, k.seat_labels, k.price
      FROM booking_run(p_key, p_legacy_key, p_request, p_op, p_id,
                       p_seat_count, p_hold_seconds, p_token_hash,
                       p_token_box, p_admin, p_client, p_customer,
                       p_max_live_holds, p_max_held_seats, p_channel_hash,
                       p_customer_ref, p_hold_max_seconds,
                       p_hold_max_extends, p_legacy_request, p_seats,
                       p_best, NULL) k;
$$;

-- The signature of the release before, for its workers until they are
-- replaced: no seats.
CREATE OR REPLACE FUNCTION booking_run(p_key text, p_legacy_key text,
        p_request text, p_op text, p_id bigint, p_seat_count integer,
        p_hold_seconds integer, p_token_hash bytea, p_token_box bytea,
        p_admin boolean, p_client text, p_customer text,
        p_max_live_holds integer, p_max_held_seats integer,
        p_channel_hash bytea, p_customer_ref text,
        p_hold_max_seconds integer, p_hold_max_extends integer,
        p_legacy_request text,
        OUT r booking_row, OUT replayed boolean, OUT token_box bytea)
LANGUAGE sql AS $$
    SELECT k.r, k.replayed, k.token_box
      FROM booking_run(p_key, p_legacy_key, p_request, p_op, p_id,
                       p_seat_count, p_hold_seconds, p_token_hash,
                       p_token_box, p_admin, p_client, p_customer,
                       p_max_live_holds, p_max_held_seats, p_channel_hash,
                       p_customer_ref, p_hold_max_seconds,
                       p_hold_max_extends, p_legacy_request, NULL, NULL,
                       NULL) k;
$$;

-- booking_run_core(): only the previous release's booking_run() called
-- it, and the booking_run()s above no longer do. Kept for one release,
-- now around booking_run(), for a call that began under the previous
-- definition while this file was applied (a later release drops it);
-- the one without p_standing went before.
CREATE OR REPLACE FUNCTION booking_run_core(p_key text, p_legacy_key text,
        p_request text, p_op text, p_id bigint, p_seat_count integer,
        p_hold_seconds integer, p_token_hash bytea, p_token_box bytea,
        p_admin boolean, p_client text, p_customer text,
        p_max_live_holds integer, p_max_held_seats integer,
        p_channel_hash bytea, p_customer_ref text,
        p_hold_max_seconds integer, p_hold_max_extends integer,
        p_legacy_request text, p_seats text[], p_best jsonb,
        p_standing jsonb,
        OUT r booking_row, OUT replayed boolean, OUT token_box bytea)
LANGUAGE sql AS $$
    SELECT k.r, k.replayed, k.token_box
      FROM booking_run(p_key, p_legacy_key, p_request, p_op, p_id,
                       p_seat_count, p_hold_seconds, p_token_hash,
                       p_token_box, p_admin, p_client, p_customer,
                       p_max_live_holds, p_max_held_seats, p_channel_hash,
                       p_customer_ref, p_hold_max_seconds,
                       p_hold_max_extends, p_legacy_request, p_seats, p_best,
                       p_standing) k;
$$;
DROP FUNCTION IF EXISTS booking_run_core(text, text, text, text, bigint,
    integer, integer, bytea, bytea, boolean, text, text, integer, integer,
    bytea, text, integer, integer, text, text[], jsonb);

-- POST /admin/show under an optional key: the show and its parts, and
-- its cap of seats per customer (NULL: none); with p_layout, a seated
-- show and its seats (seats_create(), 60_seating.sql).
CREATE OR REPLACE FUNCTION show_create_any(p_key text, p_request text,
        p_name text, p_start_us bigint, p_total_seats integer,
        p_layout jsonb, p_max_seats_per_customer integer)
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
    INSERT INTO shows (name, start_time, total_seats, max_seats_per_customer,
                       seated)
    VALUES (p_name, from_epoch_us(p_start_us), p_total_seats,
            p_max_seats_per_customer, CASE WHEN p_layout IS NOT NULL
                                           THEN true END)
    RETURNING id, name, epoch_us(start_time), total_seats, 0, total_seats
         INTO r;
    IF p_layout IS NOT NULL THEN
        PERFORM seats_create(r.id, p_layout);
        PERFORM standing_create(r.id, p_layout);    -- 63_standing.sql
    ELSE
        PERFORM show_parts_create(r.id, p_total_seats);
    END IF;
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys SET show = r WHERE key = p_key;
    END IF;
    RETURN ROW('ok', r, false)::keyed_show;
END;
$$;

CREATE OR REPLACE FUNCTION show_create_keyed(p_key text, p_request text,
        p_name text, p_start_us bigint, p_total_seats integer,
        p_max_seats_per_customer integer)
RETURNS keyed_show LANGUAGE sql AS $$
    SELECT show_create_any(p_key, p_request, p_name, p_start_us,
                           p_total_seats, NULL, p_max_seats_per_customer);
$$;

-- The previous release's signature, for its workers during an upgrade.
CREATE OR REPLACE FUNCTION show_create_keyed(p_key text, p_request text,
        p_name text, p_start_us bigint, p_total_seats integer)
RETURNS keyed_show
    LANGUAGE sql
    RETURN show_create_keyed(p_key, p_request, p_name, p_start_us,
                             p_total_seats, NULL);

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
