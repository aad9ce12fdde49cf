-- The booking transactions, each one statement for the worker (see
-- README, "The booking transaction"). Lock order everywhere: a show's
-- parts in ascending order, then booking rows, so that they cannot
-- deadlock. confirm takes only its booking's row.
--
-- Every function returns an outcome and a booking row:
-- id, show_id, seat_count, status, created, expires, reason.
-- A hold that has lapsed but is still PENDING in the table is reported
-- as what it is: FAILED, reason expired (booking_view below).

-- The booking as it stands at p_at: a hold lapsed by then is FAILED,
-- reason expired.
CREATE OR REPLACE FUNCTION booking_view(p_outcome text, b bookings,
                                        p_at timestamptz)
RETURNS booking_row
    LANGUAGE sql STABLE
    RETURN ROW(p_outcome, b.id, b.show_id, b.seat_count,
               CASE WHEN b.status = 'PENDING' AND b.expires_at <= p_at
                    THEN 'FAILED' ELSE b.status END,
               epoch_us(b.created_at), epoch_us(b.expires_at),
               CASE WHEN b.status = 'PENDING' AND b.expires_at <= p_at
                    THEN 'expired' ELSE b.reason END)::booking_row;

-- ... as the transaction began.
CREATE OR REPLACE FUNCTION booking_view(p_outcome text, b bookings)
RETURNS booking_row
    LANGUAGE sql STABLE
    RETURN booking_view(p_outcome, b, now());

CREATE OR REPLACE FUNCTION booking_none(p_outcome text) RETURNS booking_row
    LANGUAGE sql IMMUTABLE
    RETURN ROW(p_outcome, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::booking_row;

-- Book p_seat_count seats: CONFIRMED at once, or PENDING for
-- p_hold_seconds when that is not NULL. The booking belongs to whoever
-- holds the token whose SHA-256 is p_token_hash, and to the channel
-- p_channel_id that made it (NULL: none) for its buyer p_customer_ref;
-- p_client made it, for p_customer (what the caps of 45_limits.sql
-- count; NULL: none); a hold is counted in shard p_client_shard of
-- p_client's caps (booking_limits(); NULL: none).
--
-- A booking takes its seats from one part that nobody else holds at
-- that moment (FOR UPDATE SKIP LOCKED), or, when all parts with room
-- are busy, waits for one of them; only when no single part has room
-- does it lock every part of the show, in part order, and take the
-- seats across parts, or fail as sold out when the whole show lacks
-- them. So a busy or empty part never makes a booking fail, and a
-- booking larger than a part still succeeds.
--
-- Why it cannot deadlock: every wait for a part is made holding no
-- other part (the first two steps give back any part they locked and
-- did not use, see show_parts_take_free), or, on the slow path, in
-- ascending part order; the idempotency key, the only other row a
-- booking may wait for, is claimed before any part (booking_keyed).
CREATE OR REPLACE FUNCTION book_seats(p_show_id bigint, p_seat_count integer,
                                      p_hold_seconds integer,
                                      p_token_hash bytea, p_client text,
                                      p_customer text, p_channel_id bigint,
                                      p_customer_ref text,
                                      p_client_shard smallint)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    v_start    timestamptz;
    v_status   text := CASE WHEN p_hold_seconds IS NULL THEN 'CONFIRMED'
                            ELSE 'PENDING' END;
    v_expires  timestamptz := now() + p_hold_seconds * interval '1 second';
    v_reason   text;
    v_outcome  text := 'ok';
    v_part     smallint;
    v_parts    smallint[];
    v_seats    integer[];
    v_free     bigint;
    v_left     integer := p_seat_count;
    v_take     integer;
    r          record;
    v_booking  bookings;
    v_seated   boolean;
BEGIN
    SELECT start_time, seated INTO v_start, v_seated
      FROM shows WHERE id = p_show_id;
    IF NOT FOUND THEN
        RETURN booking_none('not_found');
    END IF;
    -- a seated show is booked by its seats (book_seats_chosen)
    IF v_seated THEN
        RETURN booking_none('seats_required');
    END IF;
    IF v_start <= now() THEN
        RETURN booking_none('started');
    END IF;

    -- A part with room that nobody holds; else wait for one with room.
    v_part := show_parts_take_free(p_show_id, p_seat_count);
    IF v_part IS NULL THEN
        v_part := show_parts_take_waiting(p_show_id, p_seat_count);
    END IF;

    IF v_part IS NOT NULL THEN
        v_parts := ARRAY[v_part];
        v_seats := ARRAY[p_seat_count];
    ELSIF show_free_seats(p_show_id) + lapsed_hold_seats(p_show_id)
          < p_seat_count THEN
        -- Sold out, seen in one consistent snapshot, without a lock: a
        -- storm of buyers for a full show does not queue on its parts.
        v_status := 'FAILED';
        v_reason := 'sold_out';
        v_outcome := 'sold_out';
        v_expires := NULL;
    ELSE
        -- Slow path: the whole show, locked and counted exactly.
        PERFORM show_parts_lock(p_show_id);
        v_free := show_free_seats(p_show_id);
        WHILE v_free < p_seat_count LOOP
            EXIT WHEN (SELECT holds FROM release_lapsed_holds(p_show_id, 100)) = 0;
            v_free := show_free_seats(p_show_id);
        END LOOP;
        IF v_free >= p_seat_count THEN
            FOR r IN SELECT part, total - booked AS free FROM show_parts
                      WHERE show_id = p_show_id AND total > booked
                      ORDER BY part LOOP
                v_take := least(r.free, v_left);
                UPDATE show_parts SET booked = booked + v_take
                 WHERE show_id = p_show_id AND part = r.part;
                v_parts := v_parts || r.part;
                v_seats := v_seats || v_take;
                v_left := v_left - v_take;
                EXIT WHEN v_left = 0;
            END LOOP;
        ELSE
            v_status := 'FAILED';
            v_reason := 'sold_out';
            v_outcome := 'sold_out';
            v_expires := NULL;
        END IF;
    END IF;

    INSERT INTO bookings (show_id, seat_count, status, expires_at, reason,
                          parts, part_seats, token_hash, client, customer,
                          channel_id, customer_ref, client_shard)
    VALUES (p_show_id, p_seat_count, v_status, v_expires, v_reason,
            v_parts, v_seats, p_token_hash, p_client, p_customer,
            p_channel_id, p_customer_ref, p_client_shard)
    RETURNING * INTO v_booking;
    RETURN booking_view(v_outcome, v_booking);
END;
$$;

-- Does the caller own booking p_id? The admin owns every booking, a
-- channel (p_channel_id, from its key) the bookings it made; anyone
-- else must hold its token: the SHA-256 of the one presented is
-- p_token_hash. An unknown booking and one that is not the caller's
-- cost the same one index probe and look the same, so that ids cannot
-- be told apart by answer or by time. A token_hash never changes once
-- the booking is made, so no lock is needed: a stranger makes no one
-- wait.
-- (PL/pgSQL: a SQL function around a subquery is never inlined, and is
-- planned again on every call; PL/pgSQL keeps the plan.)
CREATE OR REPLACE FUNCTION booking_owned(p_id bigint, p_token_hash bytea,
                                         p_admin boolean, p_channel_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM bookings
                    WHERE id = p_id
                      AND (p_admin OR token_hash = p_token_hash
                           OR channel_id = p_channel_id));
END;
$$;

-- Confirm a hold, for its owner (booking_owned). Outcomes: ok (now
-- CONFIRMED, or was already: safe to retry), expired, started, failed,
-- cancelled, not_found (no such booking, or not the caller's). Only the
-- booking's row is locked: a confirm never touches the seat count, so
-- hot shows do not serialise on it, and a lapsed hold is left for
-- whoever releases it.
--
-- The hold's deadline and the show's start are judged at the moment
-- the row lock is held (clock_timestamp()), not when the statement
-- began (now()): a confirm that waited for the lock must not say yes to
-- a hold that lapsed, or a show that started, during the wait.
CREATE OR REPLACE FUNCTION confirm_booking(p_id bigint, p_token_hash bytea,
                                           p_admin boolean,
                                           p_channel_id bigint)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    b       bookings;
    v_now   timestamptz;
    v_start timestamptz;
BEGIN
    IF NOT booking_owned(p_id, p_token_hash, p_admin, p_channel_id) THEN
        RETURN booking_none('not_found');
    END IF;
    SELECT * INTO b FROM bookings WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN           -- pruned (booking-expire) meanwhile
        RETURN booking_none('not_found');
    END IF;
    v_now := clock_timestamp();
    IF b.status = 'PENDING' AND b.expires_at > v_now THEN
        SELECT start_time INTO v_start FROM shows WHERE id = b.show_id;
        IF v_start <= v_now THEN
            RETURN booking_view('started', b, v_now);
        END IF;
        UPDATE bookings SET status = 'CONFIRMED', updated_at = v_now
         WHERE id = p_id RETURNING * INTO b;
    END IF;
    RETURN booking_view(CASE
        WHEN b.status = 'CONFIRMED' THEN 'ok'
        WHEN b.status = 'CANCELLED' THEN 'cancelled'
        WHEN b.status = 'PENDING' OR b.reason = 'expired' THEN 'expired'
        ELSE 'failed' END, b, v_now);
END;
$$;

-- Cancel a PENDING or CONFIRMED booking and put its seats back on sale,
-- for its owner (as booking_owned says, on the row already read).
-- Outcomes: ok (now CANCELLED, or was already: the seats are released
-- only by the call that changed the status), expired, failed, started,
-- not_found (no such booking, or not the caller's). The booking's parts are locked before the booking, as
-- everywhere; the deadline and the start are judged once the locks are
-- held, as confirm does.
CREATE OR REPLACE FUNCTION cancel_booking(p_id bigint, p_token_hash bytea,
                                          p_admin boolean, p_channel_id bigint)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    b       bookings;
    v_start timestamptz;
    v_now   timestamptz;
BEGIN
    SELECT * INTO b FROM bookings WHERE id = p_id;
    -- IS NOT TRUE: a booking without a token (NULL) is the admin's.
    IF NOT FOUND OR (p_admin OR b.token_hash = p_token_hash
                     OR b.channel_id = p_channel_id) IS NOT TRUE THEN
        RETURN booking_none('not_found');
    END IF;
    -- Its parts (fixed once booked), in order, then the booking itself.
    PERFORM 1 FROM show_parts
      WHERE show_id = b.show_id AND part = ANY (b.parts)
      ORDER BY part FOR UPDATE;
    SELECT * INTO b FROM bookings WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN           -- pruned (booking-expire) meanwhile
        RETURN booking_none('not_found');
    END IF;
    SELECT start_time INTO v_start FROM shows WHERE id = b.show_id;
    v_now := clock_timestamp();

    IF b.status = 'CANCELLED' THEN
        RETURN booking_view('ok', b, v_now);
    END IF;
    IF b.status = 'PENDING' AND b.expires_at <= v_now THEN
        UPDATE bookings
           SET status = 'FAILED', reason = 'expired', updated_at = now()
         WHERE id = p_id RETURNING * INTO b;
        PERFORM show_parts_release(b.show_id, b.parts, b.part_seats);
    END IF;
    IF b.status = 'FAILED' THEN
        RETURN booking_view(CASE WHEN b.reason = 'expired' THEN 'expired'
                                 ELSE 'failed' END, b, v_now);
    END IF;
    IF v_start <= v_now THEN
        RETURN booking_view('started', b, v_now);
    END IF;

    UPDATE bookings
       SET status = 'CANCELLED', reason = 'cancelled', updated_at = now()
     WHERE id = p_id RETURNING * INTO b;
    PERFORM show_parts_release(b.show_id, b.parts, b.part_seats);
    RETURN booking_view('ok', b, v_now);
END;
$$;

-- Extend a hold, for its owner: its deadline moves to p_ttl_seconds
-- from now, but never past p_max_seconds after the hold was made, and
-- at most p_max_extends times (then 'extend_limit'), as a cart is
-- renewed while its buyer pays. Outcomes: ok, extend_limit, not_a_hold
-- (CONFIRMED), expired, started, failed, cancelled, not_found. Judged
-- under the booking's row lock at clock_timestamp(), as confirm is: a
-- hold that lapsed, even unswept, stays lapsed. Only the booking's row
-- is locked; the seats stay where they are.
CREATE OR REPLACE FUNCTION extend_hold(p_id bigint, p_token_hash bytea,
        p_admin boolean, p_channel_id bigint, p_ttl_seconds integer,
        p_max_seconds integer, p_max_extends integer)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    b       bookings;
    v_now   timestamptz;
    v_start timestamptz;
    v_last  timestamptz;
BEGIN
    IF NOT booking_owned(p_id, p_token_hash, p_admin, p_channel_id) THEN
        RETURN booking_none('not_found');
    END IF;
    SELECT * INTO b FROM bookings WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN           -- pruned (booking-expire) meanwhile
        RETURN booking_none('not_found');
    END IF;
    v_now := clock_timestamp();
    IF b.status = 'PENDING' AND b.expires_at <= v_now
       OR b.status = 'FAILED' AND b.reason = 'expired' THEN
        RETURN booking_view('expired', b, v_now);
    ELSIF b.status <> 'PENDING' THEN
        RETURN booking_view(CASE b.status WHEN 'CONFIRMED' THEN 'not_a_hold'
                                          WHEN 'CANCELLED' THEN 'cancelled'
                                          ELSE 'failed' END, b, v_now);
    END IF;
    SELECT start_time INTO v_start FROM shows WHERE id = b.show_id;
    IF v_start <= v_now THEN
        RETURN booking_view('started', b, v_now);
    END IF;
    v_last := b.created_at + p_max_seconds * interval '1 second';
    IF coalesce(b.extends, 0) >= p_max_extends OR b.expires_at >= v_last THEN
        RETURN booking_view('extend_limit', b, v_now);
    END IF;
    UPDATE bookings
       SET expires_at = least(v_now + p_ttl_seconds * interval '1 second',
                              v_last),
           extends = coalesce(extends, 0) + 1, updated_at = v_now
     WHERE id = p_id RETURNING * INTO b;
    RETURN booking_view('ok', b, v_now);
END;
$$;

-- The previous release's signature of this release's booking, for its
-- booking_run() until its workers are restarted: the hold in no shard,
-- as its booking_limits() counts it (45_limits.sql).
CREATE OR REPLACE FUNCTION book_seats(p_show_id bigint, p_seat_count integer,
                                      p_hold_seconds integer,
                                      p_token_hash bytea, p_client text,
                                      p_customer text, p_channel_id bigint,
                                      p_customer_ref text)
RETURNS booking_row
    LANGUAGE sql
    RETURN book_seats(p_show_id, p_seat_count, p_hold_seconds, p_token_hash,
                      p_client, p_customer, p_channel_id, p_customer_ref,
                      NULL::smallint);

-- The signatures of the releases before, which their workers call until they
-- are restarted onto this one (sql/README.md, expand then contract): a
-- booking without a token, and confirm and cancel by anyone, as they
-- were, but only of the bookings made without a token or a channel:
-- those made by this release are their owners' alone. A later release
-- drops them.
CREATE OR REPLACE FUNCTION book_seats(p_show_id bigint, p_seat_count integer,
                                      p_hold_seconds integer)
RETURNS booking_row
    LANGUAGE sql
    RETURN book_seats(p_show_id, p_seat_count, p_hold_seconds, NULL::bytea,
                      NULL, NULL, NULL, NULL);

-- A signature of this release's development, never shipped.
CREATE OR REPLACE FUNCTION book_seats(p_show_id bigint, p_seat_count integer,
                                      p_hold_seconds integer,
                                      p_token_hash bytea)
RETURNS booking_row
    LANGUAGE sql
    RETURN book_seats(p_show_id, p_seat_count, p_hold_seconds, p_token_hash,
                      NULL, NULL, NULL, NULL);

-- Was booking p_id made without a token and a channel (by the previous
-- release, or in this one by the previous release's workers)?
CREATE OR REPLACE FUNCTION booking_legacy(p_id bigint) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT 1 FROM bookings WHERE id = p_id
                      AND token_hash IS NULL AND channel_id IS NULL);

CREATE OR REPLACE FUNCTION confirm_booking(p_id bigint) RETURNS booking_row
    LANGUAGE sql
    RETURN CASE WHEN booking_legacy(p_id)
                THEN confirm_booking(p_id, NULL::bytea, true, NULL)
                ELSE booking_none('not_found') END;

CREATE OR REPLACE FUNCTION cancel_booking(p_id bigint) RETURNS booking_row
    LANGUAGE sql
    RETURN CASE WHEN booking_legacy(p_id)
                THEN cancel_booking(p_id, NULL::bytea, true, NULL)
                ELSE booking_none('not_found') END;
