-- Standing areas beside seats (docs/seating.md, "Standing areas"): each
-- area of a seated show is a part of its own (show_parts, total its
-- capacity, part 100 + its index in the layout's "standing", after the
-- seats' parts, which are 0 to 99), so that its places are locked,
-- counted, held, confirmed, given back on cancel and expiry, and swept,
-- by the parts and part_seats a booking records, as a seat's part is.
-- standing_areas (024) says which part is which area.
--
-- Lock order, as everywhere: parts in ascending order when waiting,
-- then booking rows; an area's part joins the parts of the seats booked
-- beside it (seats_lock()).

-- The areas of a new seated show from its normalized layout
-- (fcgi/seating.c): a part each, and its name, category and price.
CREATE OR REPLACE FUNCTION standing_create(p_show_id bigint, p_layout jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO show_parts (show_id, part, total)
    SELECT p_show_id, (99 + a.ord)::smallint, (a.v->>'capacity')::integer
      FROM jsonb_array_elements(p_layout->'standing') WITH ORDINALITY a(v, ord);
    INSERT INTO standing_areas (show_id, part, name, category, price)
    SELECT p_show_id, (99 + a.ord)::smallint, a.v->>'name',
           (a.v->>'category')::smallint,
           (p_layout->'categories'->((a.v->>'category')::integer)->>'price')
               ::bigint
      FROM jsonb_array_elements(p_layout->'standing') WITH ORDINALITY a(v, ord);
$$;

-- Show p_show_id's areas as the map shows them, in the layout's order:
-- [{"name", "capacity", "free"}], free exact at this moment (the places
-- of holds that lapsed are free, swept or not); NULL without areas.
-- (PL/pgSQL: every map asks, and its plan is kept for the session.)
CREATE OR REPLACE FUNCTION standing_map(p_show_id bigint)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_agg(jsonb_build_object('name', a.name,
                       'capacity', p.total,
                       'free', p.total - p.booked + coalesce(l.places, 0))
                       ORDER BY a.part)
              FROM standing_areas a
              JOIN show_parts p ON p.show_id = a.show_id AND p.part = a.part
              LEFT JOIN (SELECT u.part, sum(u.n) AS places
                           FROM bookings b, unnest(b.parts, b.part_seats)
                                            AS u(part, n)
                          WHERE b.show_id = p_show_id
                            AND b.status = 'PENDING'
                            AND b.expires_at <= now()
                          GROUP BY u.part) l ON l.part = a.part
             WHERE a.show_id = p_show_id);
END;
$$;

-- The standing places of booking p_id ({"Floor": 2}) and their price in
-- all (each its area's category price), for its answer; NULLs without.
CREATE OR REPLACE FUNCTION booking_standing(p_id bigint,
        OUT places jsonb, OUT price bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT b.standing,
           (SELECT sum(a.price * x.value::bigint)
              FROM jsonb_each_text(b.standing) x
              JOIN standing_areas a ON a.show_id = b.show_id
                                   AND a.name = x.key)
      INTO places, price
      FROM bookings b WHERE b.id = p_id;
END;
$$;

-- A booking's seats and places as its answer gives them: the seats'
-- labels (a JSON array, [] beside places alone), the places ({"Floor":
-- 2}) and the price of both in all; NULLs for a booking by count. Each
-- of the two reads only when the booking has what it reads. For
-- booking_run() and GET /bookings/{id} (fcgi/db_bookings.c).
CREATE OR REPLACE FUNCTION booking_items(p_id bigint, OUT labels jsonb,
        OUT price bigint, OUT places jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_seats    boolean;
    v_standing boolean;
    v_price    bigint;
BEGIN
    SELECT b.seats IS NOT NULL, b.standing IS NOT NULL
      INTO v_seats, v_standing FROM bookings b WHERE b.id = p_id;
    IF v_seats THEN
        SELECT s.labels, s.price INTO labels, price
          FROM booking_seats(p_id) s;                 -- 60_seating.sql
    END IF;
    IF v_standing THEN
        SELECT t.places, t.price INTO places, v_price
          FROM booking_standing(p_id) t;
        labels := coalesce(labels, '[]');
        price := coalesce(price, 0) + coalesce(v_price, 0);
    END IF;
END;
$$;

-- Book the seats labelled p_labels (NULL: none) and the standing places
-- p_standing ({"Floor": 2}: area name to count) of a seated show in one
-- booking, all or nothing: CONFIRMED, or PENDING for p_hold_seconds,
-- with the owners and caps of book_seats_chosen(), whose outcomes it
-- shares, and: unknown_area (a name the show has no area by); sold_out
-- (a FAILED booking whose standing lists the areas that lacked places,
-- with the places asked). Seats are judged first: a seat not free is
-- seats_taken whatever the areas hold.
--
-- Locks: the parts of the seats and of the areas, in ascending order,
-- lapsed holds on those seats, and on areas short of places, ended
-- first (seats_lock()); then the booking row. The booking records the
-- areas' parts and places after its seats' in parts and part_seats, so
-- that cancel, expiry and the sweeper give them back as they give
-- seats.
CREATE OR REPLACE FUNCTION book_standing(p_show_id bigint,
        p_labels text[], p_standing jsonb, p_hold_seconds integer,
        p_token_hash bytea, p_client text, p_customer text,
        p_channel_id bigint, p_customer_ref text, p_client_shard smallint,
        p_admin boolean)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    v_refusal text := seated_show_refusal(p_show_id);
    v_status  text := CASE WHEN p_hold_seconds IS NULL THEN 'CONFIRMED'
                           ELSE 'PENDING' END;
    v_seats   integer[] := '{}';
    v_taken   integer[];
    v_parts   smallint[];
    v_places  integer[];
    v_count   integer;
    v_short   jsonb;
    r         booking_row;
BEGIN
    IF v_refusal IS NOT NULL THEN
        RETURN booking_none(v_refusal);
    END IF;
    IF p_labels IS NOT NULL THEN
        SELECT coalesce(array_agg(seat ORDER BY seat), '{}') INTO v_seats
          FROM seats WHERE show_id = p_show_id AND label = ANY (p_labels);
        IF cardinality(v_seats) <> cardinality(p_labels) THEN
            RETURN booking_none('unknown_seats');
        END IF;
    END IF;
    SELECT array_agg(a.part ORDER BY a.part),
           array_agg(x.value::integer ORDER BY a.part)
      INTO v_parts, v_places
      FROM jsonb_each_text(p_standing) x
      JOIN standing_areas a ON a.show_id = p_show_id AND a.name = x.key;
    IF coalesce(cardinality(v_parts), 0)
       <> (SELECT count(*) FROM jsonb_object_keys(p_standing)) THEN
        RETURN booking_none('unknown_area');
    END IF;
    v_count := cardinality(v_seats)
               + coalesce((SELECT sum(n) FROM unnest(v_places) n), 0)::integer;

    PERFORM seats_lock(p_show_id, v_seats, v_parts, v_places);
    v_taken := seats_taken(p_show_id, v_seats, p_channel_id, p_admin);
    IF v_taken IS NOT NULL THEN
        RETURN seats_record(p_show_id, v_count, v_taken, false, 'FAILED',
                            p_hold_seconds, 'seats_taken', p_token_hash,
                            p_client, p_customer, p_channel_id,
                            p_customer_ref, p_client_shard);
    END IF;
    SELECT jsonb_object_agg(a.name, u.n) INTO v_short
      FROM unnest(v_parts, v_places) u(part, n)
      JOIN show_parts p ON p.show_id = p_show_id AND p.part = u.part
      JOIN standing_areas a ON a.show_id = p_show_id AND a.part = u.part
     WHERE p.total - p.booked < u.n;

    -- The booking of the seats (none, or all of them), then its places.
    -- Places alone leave bookings.seats NULL, not {}: what reads a
    -- booking's seats (the live map's events, 65_seat_events.sql) then
    -- passes it over as it passes over a booking by count.
    r := seats_record(p_show_id, v_count,
                      CASE WHEN v_short IS NULL
                           THEN nullif(v_seats, '{}') END,
                      v_short IS NULL,
                      CASE WHEN v_short IS NULL THEN v_status
                           ELSE 'FAILED' END,
                      p_hold_seconds,
                      CASE WHEN v_short IS NOT NULL THEN 'sold_out' END,
                      p_token_hash, p_client, p_customer, p_channel_id,
                      p_customer_ref, p_client_shard);
    IF v_short IS NOT NULL THEN
        UPDATE bookings SET standing = v_short WHERE id = r.id;
        RETURN r;
    END IF;
    UPDATE show_parts p SET booked = p.booked + u.n
      FROM unnest(v_parts, v_places) u(part, n)
     WHERE p.show_id = p_show_id AND p.part = u.part;
    UPDATE bookings
       SET parts = coalesce(parts, '{}') || v_parts,
           part_seats = coalesce(part_seats, '{}') || v_places,
           standing = p_standing
     WHERE id = r.id;
    RETURN r;
END;
$$;
