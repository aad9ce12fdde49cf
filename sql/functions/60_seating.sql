-- Reserved seating (docs/seating.md): a seated show's seats, its map,
-- and a booking of chosen seats. Selling a seat twice is impossible in
-- the schema itself: seat_assignments has one row per seat at most. The
-- parts (show_parts) stay the unit of locking and counting: whole rows
-- to a part, so that seats kept together never span two locks.
--
-- Lock order, as everywhere: parts in ascending order, then booking
-- rows.
--
-- A seat is taken (show_parts.booked counts it) while a booking has it
-- or it is blocked (seat_blocks, 019): counted once either way, so that
-- a part's total - booked is what a buyer can buy. A booking counts, in
-- its part_seats, only the seats it took that were not blocked: those
-- are what it gives back when it ends.

-- A seated show's layout, its seats and its parts, from the normalized
-- layout (fcgi/seating.c): seat i of the show is the ord-th seat (by
-- number) of the row whose first seat is first; a part is the rows
-- whose first seat falls in the same thousand. A seat's place in its
-- row counts one more for each aisle (gaps_after) and each missing
-- number (a range that starts after a break) before it, as its drawing
-- does; its distance is from the focal point; a part's rank is its
-- nearest seat's distance.
CREATE OR REPLACE FUNCTION seats_create(p_show_id bigint, p_layout jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO show_seating (show_id, layout) VALUES (p_show_id, p_layout);
    INSERT INTO seats (show_id, seat, part, category, label, row_first,
                       pos, dist, accessible)
    SELECT p_show_id, (r.rw->>'first')::integer + n.ord - 1,
           ((r.rw->>'first')::integer / 1000)::smallint,
           (r.rw->>'category')::smallint,
           (s.sec->>'name') || '-' || (r.rw->>'name') || '-' || n.num,
           (r.rw->>'first')::integer, n.pos,
           sqrt(power((r.rw->>'x')::double precision + n.pos
                      - (p_layout->'focal_point'->>'x')::double precision, 2)
                + power((r.rw->>'y')::double precision
                        - (p_layout->'focal_point'->>'y')::double precision, 2)),
           coalesce(r.rw->'accessible' @> to_jsonb(n.num), false)
      FROM jsonb_array_elements(p_layout->'sections') s(sec),
           jsonb_array_elements(s.sec->'rows') r(rw),
           LATERAL (
               SELECT g.num, g.ord,
                      (g.ord - 1 + g.rng - 1
                       + (SELECT count(*) FROM jsonb_array_elements(
                              coalesce(r.rw->'gaps_after', '[]')) a
                           WHERE a::integer < g.num))::integer AS pos
                 FROM (SELECT v.num, x.rng,
                              row_number() OVER (ORDER BY v.num) AS ord
                         FROM jsonb_array_elements(r.rw->'seats')
                              WITH ORDINALITY x(rg, rng),
                              generate_series((x.rg->>0)::integer,
                                              (x.rg->>1)::integer) v(num)) g
           ) n;
    INSERT INTO show_parts (show_id, part, total, rank)
    SELECT p_show_id, part, count(*), min(dist) FROM seats
     WHERE show_id = p_show_id GROUP BY part;
$$;

-- POST /admin/show with "seating", under an optional key: the show (its
-- total_seats the layout's seat count and its standing areas'
-- capacities), its seats and its parts
-- (show_create_any(), 50_idempotency.sql).
CREATE OR REPLACE FUNCTION show_create_seated_keyed(p_key text,
        p_request text, p_name text, p_start_us bigint, p_layout jsonb,
        p_max_seats_per_customer integer)
RETURNS keyed_show LANGUAGE sql AS $$
    SELECT show_create_any(p_key, p_request, p_name, p_start_us,
                           (p_layout->>'seat_count')::integer
                           + coalesce((SELECT sum((a->>'capacity')::integer)
                                         FROM jsonb_array_elements(
                                                  p_layout->'standing') a),
                                      0)::integer,
                           p_layout, p_max_seats_per_customer);
$$;

-- A seat's state as the map shows it: f free, h held, s sold; a hold
-- that lapsed is free at once, swept or not.
CREATE OR REPLACE FUNCTION seat_state(p_status text, p_expires timestamptz)
RETURNS text LANGUAGE sql STABLE
    RETURN CASE WHEN p_status = 'CONFIRMED' THEN 's'
                WHEN p_status = 'PENDING' AND p_expires > now() THEN 'h'
                ELSE 'f' END;

-- ... and b for a blocked seat that no booking has (p_blocked): a seat
-- kept for a channel and sold by it is sold.
CREATE OR REPLACE FUNCTION seat_state(p_status text, p_expires timestamptz,
        p_blocked boolean)
RETURNS text LANGUAGE sql STABLE
    RETURN CASE WHEN seat_state(p_status, p_expires) <> 'f'
                THEN seat_state(p_status, p_expires)
                WHEN p_blocked THEN 'b' ELSE 'f' END;

-- Seats p_seats of show p_show_id (NULL: all) with their states as the
-- map shows them (seat_state()) and the channel a blocked one is kept
-- for. Inlined into the queries that read it.
CREATE OR REPLACE FUNCTION seats_states(p_show_id bigint, p_seats integer[],
        OUT seat integer, OUT label text, OUT state text,
        OUT channel_id bigint)
RETURNS SETOF record LANGUAGE sql STABLE AS $$
    SELECT s.seat, s.label,
           seat_state(b.status, b.expires_at, k.seat IS NOT NULL),
           k.channel_id
      FROM seats s
      LEFT JOIN seat_assignments a ON a.show_id = s.show_id AND a.seat = s.seat
      LEFT JOIN bookings b ON b.id = a.booking_id
      LEFT JOIN seat_blocks k ON k.show_id = s.show_id AND k.seat = s.seat
     WHERE s.show_id = p_show_id
       AND (p_seats IS NULL OR s.seat = ANY (p_seats));
$$;

-- GET /shows/{id}/seats: the layout and one state a seat, in seat
-- order; no row for a show that is not seated.
CREATE OR REPLACE FUNCTION seat_map(p_show_id bigint,
        OUT layout jsonb, OUT states text)
RETURNS SETOF record LANGUAGE sql STABLE AS $$
    SELECT g.layout,
           (SELECT string_agg(t.state, '' ORDER BY t.seat)
              FROM seats_states(p_show_id, NULL) t)
      FROM show_seating g WHERE g.show_id = p_show_id;
$$;

-- The seats of booking p_id as labels, and their price in all (the
-- layout's categories), for its answer; NULLs for a booking by count.
-- PL/pgSQL, not SQL: every booking's answer calls it, and a SQL
-- function's body is parsed and planned again on every call (a third of
-- PostgreSQL's time for a booking by count), where PL/pgSQL keeps the
-- plan for the session.
CREATE OR REPLACE FUNCTION booking_seats(p_id bigint,
        OUT labels jsonb, OUT price bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT jsonb_agg(s.label ORDER BY s.seat),
           sum((g.layout->'categories'->s.category->>'price')::bigint)
      INTO labels, price
      FROM bookings b
      CROSS JOIN LATERAL unnest(b.seats) AS x(seat)
      JOIN seats s ON s.show_id = b.show_id AND s.seat = x.seat
      JOIN show_seating g ON g.show_id = b.show_id
     WHERE b.id = p_id;
END;
$$;

-- Are the seats labelled p_labels (a JSON array) of show p_show_id
-- next to each other: all in one row, their places consecutive (an
-- aisle between two breaks it)? NULL for no seats (a booking by count).
-- PL/pgSQL: every booking's answer asks (a booking by count too), and a
-- SQL function's body would be parsed and planned again each time.
CREATE OR REPLACE FUNCTION seats_adjacent(p_show_id bigint, p_labels jsonb)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_labels IS NULL THEN
        RETURN NULL;
    END IF;
    -- The labels as one array for the (show_id, label) index: joined
    -- row by row instead, PL/pgSQL's generic plan (from the sixth call)
    -- hashed them against every seat of the show, some 2 ms a booking
    -- on a hall of 20 000 (issue 18).
    RETURN (SELECT count(DISTINCT s.row_first) = 1
                   AND max(s.pos) - min(s.pos) = count(*) - 1
              FROM seats s
             WHERE s.show_id = p_show_id
               AND s.label = ANY (ARRAY(SELECT jsonb_array_elements_text(p_labels)))
            HAVING count(*) > 0);
END;
$$;

-- Why show p_show_id cannot be booked by its seats now: not_found,
-- not_seated (it is sold by count), started; NULL when it can.
-- (PL/pgSQL: a SQL function around a subquery is planned on every call.)
CREATE OR REPLACE FUNCTION seated_show_refusal(p_show_id bigint)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT CASE WHEN s.id IS NULL THEN 'not_found'
                        WHEN s.seated IS NOT TRUE THEN 'not_seated'
                        WHEN s.start_time <= now() THEN 'started' END
              FROM (VALUES (p_show_id)) k(id)
              LEFT JOIN shows s ON s.id = k.id);
END;
$$;

-- A seated booking recorded: when p_take, its seats p_seats assigned
-- to it and counted in their parts (whose locks the caller holds), and
-- it is CONFIRMED, or PENDING for p_hold_seconds; else it is FAILED
-- for p_reason, p_seats (if any) saying which seats were in the way.
-- A blocked seat it takes (its channel's, or the admin's) is counted
-- already: its parts list it, its part_seats do not.
CREATE OR REPLACE FUNCTION seats_record(p_show_id bigint, p_count integer,
        p_seats integer[], p_take boolean, p_status text,
        p_hold_seconds integer, p_reason text, p_token_hash bytea,
        p_client text, p_customer text, p_channel_id bigint,
        p_customer_ref text, p_client_shard smallint)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    v_parts   smallint[];
    v_counts  integer[];
    v_booking bookings;
BEGIN
    IF p_take THEN
        SELECT array_agg(part ORDER BY part), array_agg(n ORDER BY part)
          INTO v_parts, v_counts
          FROM (SELECT s.part, count(*) FILTER (WHERE k.seat IS NULL)
                                   ::integer AS n
                  FROM seats s
                  LEFT JOIN seat_blocks k
                         ON k.show_id = s.show_id AND k.seat = s.seat
                 WHERE s.show_id = p_show_id AND s.seat = ANY (p_seats)
                 GROUP BY s.part) t;
        UPDATE show_parts p SET booked = p.booked + u.n
          FROM unnest(v_parts, v_counts) AS u(part, n)
         WHERE p.show_id = p_show_id AND p.part = u.part;
    END IF;
    INSERT INTO bookings (show_id, seat_count, status, expires_at, reason,
                          parts, part_seats, token_hash, client, customer,
                          channel_id, customer_ref, client_shard, seats)
    VALUES (p_show_id, p_count, p_status,
            CASE WHEN p_status = 'PENDING'
                 THEN now() + p_hold_seconds * interval '1 second' END,
            p_reason, v_parts, v_counts, p_token_hash, p_client, p_customer,
            p_channel_id, p_customer_ref, p_client_shard, p_seats)
    RETURNING * INTO v_booking;
    IF p_take THEN
        INSERT INTO seat_assignments (show_id, seat, booking_id)
        SELECT p_show_id, x, v_booking.id FROM unnest(p_seats) x;
    END IF;
    RETURN booking_view(CASE WHEN p_take THEN 'ok' ELSE p_reason END,
                        v_booking);
END;
$$;

-- Lock the parts of show p_show_id's seats p_seats, in ascending order,
-- and end the holds that lapsed on those seats, so that what is not
-- free among them is held or sold now; the locks are kept to the end of
-- the transaction. A lapsed hold is ended whole, which needs the locks
-- of all its parts: when it has parts beyond those locked, the locks
-- are given back (the subtransaction is rolled back) and the larger
-- set is locked from the start, in ascending order. So every wait for a
-- part is made holding no part, or in ascending order, and no two
-- callers can wait for each other.
--
-- With standing areas (p_areas, their parts, and p_places, the places
-- wanted in each): their parts join the set, and an area with fewer
-- places than wanted has its lapsed holds ended the same way, so that
-- what it lacks then is held or sold now (docs/seating.md, "Standing
-- areas").
CREATE OR REPLACE FUNCTION seats_lock(p_show_id bigint, p_seats integer[],
        p_areas smallint[], p_places integer[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_lock     smallint[];
    v_more     smallint[];
    v_lapsed   bigint[];
    v_done     boolean := false;
    b          bookings;
BEGIN
    SELECT array_agg(DISTINCT part ORDER BY part) INTO v_lock
      FROM (SELECT part FROM seats
             WHERE show_id = p_show_id AND seat = ANY (p_seats)
            UNION ALL SELECT unnest(p_areas)) t;
    FOR attempt IN 1 .. 8 LOOP
        BEGIN
            PERFORM 1 FROM show_parts
              WHERE show_id = p_show_id AND part = ANY (v_lock)
              ORDER BY part FOR UPDATE;
            -- Holds that lapsed on these seats, and their parts.
            SELECT array_agg(DISTINCT b2.id) INTO v_lapsed
              FROM seat_assignments a JOIN bookings b2 ON b2.id = a.booking_id
             WHERE a.show_id = p_show_id AND a.seat = ANY (p_seats)
               AND b2.status = 'PENDING' AND b2.expires_at <= now();
            IF p_areas IS NOT NULL THEN
                SELECT v_lapsed || array_agg(b2.id) INTO v_lapsed
                  FROM bookings b2
                 WHERE b2.show_id = p_show_id AND b2.status = 'PENDING'
                   AND b2.expires_at <= now()
                   AND b2.parts && (SELECT array_agg(u.part)
                                      FROM unnest(p_areas, p_places) u(part, n)
                                      JOIN show_parts q
                                        ON q.show_id = p_show_id
                                       AND q.part = u.part
                                     WHERE q.total - q.booked < u.n);
            END IF;
            SELECT array_agg(DISTINCT p ORDER BY p) INTO v_more
              FROM bookings b2, unnest(b2.parts) p
             WHERE b2.id = ANY (v_lapsed) AND NOT (p = ANY (v_lock));
            IF v_more IS NOT NULL THEN
                SELECT array_agg(DISTINCT x ORDER BY x) INTO v_lock
                  FROM unnest(v_lock || v_more) x;
                RAISE SQLSTATE 'BK002';
            END IF;
            -- Ended whole; the trigger gives their seats back. The
            -- deadline is judged again on the locked row: a hold extended
            -- by a transaction that committed while this one waited for
            -- the row is alive, though the snapshot said lapsed.
            FOR b IN UPDATE bookings
                        SET status = 'FAILED', reason = 'expired',
                            updated_at = now()
                      WHERE id = ANY (v_lapsed) AND status = 'PENDING'
                        AND expires_at <= now()
                  RETURNING * LOOP
                PERFORM show_parts_release(b.show_id, b.parts, b.part_seats);
            END LOOP;
            v_done := true;
        EXCEPTION WHEN SQLSTATE 'BK002' THEN
            NULL;       -- every part given back: lock the larger set
        END;
        EXIT WHEN v_done;
    END LOOP;
    IF NOT v_done THEN
        RAISE EXCEPTION 'seats_lock: the parts to lock kept growing';
    END IF;
END;
$$;

-- ... seats only.
CREATE OR REPLACE FUNCTION seats_lock(p_show_id bigint, p_seats integer[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM seats_lock(p_show_id, p_seats, NULL, NULL);
END;
$$;

-- Of the seats p_seats of show p_show_id, those not free to the buyer
-- (seats_free(): channel p_channel_id's kept seats are, every blocked
-- seat is to the admin), ascending; NULL when all are free. Judged after
-- the caller has locked their parts (seats_lock()).
CREATE OR REPLACE FUNCTION seats_taken(p_show_id bigint, p_seats integer[],
        p_channel_id bigint, p_admin boolean)
RETURNS integer[] LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- One probe per seat asked (a scalar subquery, which the planner
    -- keeps per row): as one anti-join instead, the generic plan that
    -- PL/pgSQL keeps from the sixth call, made while a hall's
    -- assignments were few, went on hashing all of them, ~1 ms a
    -- booking once the hall filled (issue 18).
    RETURN (SELECT array_agg(x ORDER BY x)
              FROM unnest(p_seats) x
             WHERE (SELECT count(*)
                      FROM seats_free(p_show_id, p_channel_id, p_admin,
                                      NULL, NULL) f
                     WHERE f.seat = x) = 0);
END;
$$;

-- Book the seats labelled p_labels (all or nothing): CONFIRMED at once,
-- or PENDING for p_hold_seconds, as book_seats() does for a count, with
-- the same owners and caps. Outcomes besides book_seats()'s:
-- not_seated (a show sold by count), unknown_seats (a label the show
-- does not have), seats_taken (a FAILED booking whose seats are those
-- that were not free to this buyer, as seats_free() says: a channel
-- p_channel_id takes the seats kept for it, the admin (p_admin) any
-- blocked seat). The parts of the seats are locked and lapsed holds on
-- them ended first (seats_lock()).
CREATE OR REPLACE FUNCTION book_seats_chosen(p_show_id bigint,
        p_labels text[], p_hold_seconds integer, p_token_hash bytea,
        p_client text, p_customer text, p_channel_id bigint,
        p_customer_ref text, p_client_shard smallint, p_admin boolean)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    v_refusal  text;
    v_status   text := CASE WHEN p_hold_seconds IS NULL THEN 'CONFIRMED'
                            ELSE 'PENDING' END;
    v_reason   text;
    v_seats    integer[];
    v_taken    integer[];
BEGIN
    v_refusal := seated_show_refusal(p_show_id);
    IF v_refusal IS NOT NULL THEN
        RETURN booking_none(v_refusal);
    END IF;
    SELECT array_agg(seat ORDER BY seat) INTO v_seats
      FROM seats WHERE show_id = p_show_id AND label = ANY (p_labels);
    IF coalesce(cardinality(v_seats), 0) <> cardinality(p_labels) THEN
        RETURN booking_none('unknown_seats');
    END IF;
    PERFORM seats_lock(p_show_id, v_seats);
    v_taken := seats_taken(p_show_id, v_seats, p_channel_id, p_admin);
    IF v_taken IS NOT NULL THEN
        v_status := 'FAILED';
        v_reason := 'seats_taken';
    END IF;
    RETURN seats_record(p_show_id, cardinality(v_seats),
                        coalesce(v_taken, v_seats), v_taken IS NULL,
                        v_status, p_hold_seconds, v_reason, p_token_hash,
                        p_client, p_customer, p_channel_id, p_customer_ref,
                        p_client_shard);
END;
$$;

CREATE OR REPLACE FUNCTION seats_release() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM seat_assignments WHERE booking_id = NEW.id;
    RETURN NULL;
END;
$$;

-- A seated show's free seats for a buyer: the one definition of a free
-- seat. No booking has it (live, or a hold that lapsed but is not yet
-- ended: the callers that lock end those first), and it is not blocked,
-- or is kept for the buyer's channel p_channel_id (NULL: not a
-- channel), or the buyer is the admin (p_admin), whose own every
-- blocked seat is; of the categories and sections asked (NULL: any).
-- Inlined by the planner into each query that reads it.
CREATE OR REPLACE FUNCTION seats_free(p_show_id bigint, p_channel_id bigint,
        p_admin boolean, p_categories smallint[], p_sections text[])
RETURNS SETOF seats LANGUAGE sql STABLE AS $$
    SELECT s.* FROM seats s
     WHERE s.show_id = p_show_id
       AND (p_categories IS NULL OR s.category = ANY (p_categories))
       AND (p_sections IS NULL
            OR split_part(s.label, '-', 1) = ANY (p_sections))
       AND NOT EXISTS (SELECT 1 FROM seat_assignments a
                        WHERE a.show_id = s.show_id AND a.seat = s.seat)
       -- the buyer's conditions inside, so that the planner joins
       -- (anti) rather than probing the blocks for every seat
       AND NOT EXISTS (SELECT 1 FROM seat_blocks k
                        WHERE k.show_id = s.show_id AND k.seat = s.seat
                          AND NOT p_admin
                          AND (p_channel_id IS NULL
                               OR k.channel_id IS DISTINCT FROM
                                  p_channel_id));
$$;

-- Signatures of this release's development, never shipped and called
-- by no worker (workers call booking_run()): one definition stays.
DROP FUNCTION IF EXISTS seats_free(bigint, smallint[], text[]);
DROP FUNCTION IF EXISTS book_seats_chosen(bigint, text[], integer, bytea,
    text, text, bigint, text, smallint);
