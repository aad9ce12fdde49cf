-- Blocked seats (docs/seating.md, "Blocked seats"): the admin blocks a
-- seated show's seats, not for sale or kept for one channel, and
-- unblocks them. What a blocked seat means to a buyer is seats_free()'s
-- to say (60_seating.sql); here are the changes and their counting.
--
-- A blocked seat that no booking has is taken in its part (booked),
-- as an assigned one is. Unblocked, it is free again, unless a booking
-- has it (a channel's sale of a seat kept for it, or the admin's): then
-- that booking counts it from now on, in its part_seats, and gives it
-- back when it ends, as it does its other seats. So a part's booked is
-- always its seats that are assigned or blocked, each once.

-- Count p_delta more (or fewer) taken seats in the parts of seats
-- p_seats (NULL: none), whose locks the caller holds.
CREATE OR REPLACE FUNCTION seats_count(p_show_id bigint, p_seats integer[],
        p_delta integer)
RETURNS void LANGUAGE sql AS $$
    UPDATE show_parts p SET booked = p.booked + p_delta * u.n
      FROM (SELECT part, count(*)::integer AS n FROM seats
             WHERE show_id = p_show_id AND seat = ANY (p_seats)
             GROUP BY part) u
     WHERE p.show_id = p_show_id AND p.part = u.part;
$$;

-- Seats p_seats, unblocked while a live booking has them, are counted
-- from now on by that booking (its part_seats), which gives them back
-- when it ends. The caller holds their parts' locks; the bookings'
-- rows are locked after them, as everywhere.
CREATE OR REPLACE FUNCTION seats_count_booked(p_show_id bigint,
        p_seats integer[])
RETURNS void LANGUAGE sql AS $$
    UPDATE bookings b
       SET part_seats = (SELECT array_agg(u.n + (
                                    SELECT count(*) FROM seats s
                                     WHERE s.show_id = b.show_id
                                       AND s.part = u.part
                                       AND s.seat = ANY (p_seats)
                                       AND s.seat = ANY (b.seats))::integer
                                    ORDER BY u.o)
                           FROM unnest(b.parts, b.part_seats)
                                WITH ORDINALITY u(part, n, o)),
           updated_at = now()
     WHERE b.id IN (SELECT a.booking_id FROM seat_assignments a
                     WHERE a.show_id = p_show_id AND a.seat = ANY (p_seats));
$$;

-- POST /admin/shows/{id}/seats/block and .../unblock: block (p_block)
-- the seats labelled p_labels, kept for channel p_channel_id (NULL: not
-- for sale), or unblock them; all or nothing. One row a seat asked
-- for, in seat order: the outcome (the same on every row), the seat's
-- label, its state now and the channel it is kept for. Outcomes: ok;
-- not_found and not_seated (one row, no seat); unknown_channel (no live
-- channel has that id; one row); unknown_seats (a row for each label
-- the show does not have, no state); seats_taken (blocking seats of
-- which these are held or sold: nothing changed). Blocking a blocked
-- seat keeps it for the channel now named; unblocking a seat that is
-- not blocked changes nothing.
--
-- Locks: the seats' parts in ascending order, holds that lapsed on the
-- seats ended whole (seats_lock(), as a booking of chosen seats does),
-- then the rows of the bookings whose counts change.
CREATE OR REPLACE FUNCTION seats_block(p_show_id bigint, p_labels text[],
        p_block boolean, p_channel_id bigint,
        OUT outcome text, OUT label text, OUT state text,
        OUT channel_id bigint)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
    v_refusal text := seated_show_refusal(p_show_id);
    v_seats   integer[];
    v_taken   integer[];
    v_changed integer[];
BEGIN
    IF v_refusal IN ('not_found', 'not_seated') THEN
        outcome := v_refusal;
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_block AND p_channel_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM channels c
                        WHERE c.id = p_channel_id AND c.revoked_at IS NULL)
    THEN
        outcome := 'unknown_channel';
        RETURN NEXT;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT 'unknown_seats', x, NULL::text, NULL::bigint
          FROM unnest(p_labels) WITH ORDINALITY u(x, o)
         WHERE NOT EXISTS (SELECT 1 FROM seats s
                            WHERE s.show_id = p_show_id AND s.label = u.x)
         ORDER BY u.o;
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT array_agg(s.seat ORDER BY s.seat) INTO v_seats
      FROM seats s WHERE s.show_id = p_show_id AND s.label = ANY (p_labels);
    PERFORM seats_lock(p_show_id, v_seats);

    IF p_block THEN
        SELECT array_agg(a.seat) INTO v_taken FROM seat_assignments a
         WHERE a.show_id = p_show_id AND a.seat = ANY (v_seats);
        IF v_taken IS NOT NULL THEN
            RETURN QUERY SELECT 'seats_taken', t.label, t.state, t.channel_id
                           FROM seats_states(p_show_id, v_taken) t
                          ORDER BY t.seat;
            RETURN;
        END IF;
        UPDATE seat_blocks k SET channel_id = p_channel_id
         WHERE k.show_id = p_show_id AND k.seat = ANY (v_seats);
        WITH added AS (
            INSERT INTO seat_blocks (show_id, seat, channel_id)
            SELECT p_show_id, x, p_channel_id FROM unnest(v_seats) x
            ON CONFLICT DO NOTHING
            RETURNING seat)
        SELECT array_agg(seat) INTO v_changed FROM added;
        PERFORM seats_count(p_show_id, v_changed, 1);
    ELSE
        WITH removed AS (
            DELETE FROM seat_blocks k
             WHERE k.show_id = p_show_id AND k.seat = ANY (v_seats)
            RETURNING k.seat)
        SELECT array_agg(seat) INTO v_changed FROM removed;
        SELECT array_agg(a.seat) INTO v_taken FROM seat_assignments a
         WHERE a.show_id = p_show_id AND a.seat = ANY (v_changed);
        PERFORM seats_count(p_show_id,
            (SELECT array_agg(x) FROM unnest(v_changed) x
              WHERE v_taken IS NULL OR NOT (x = ANY (v_taken))), -1);
        PERFORM seats_count_booked(p_show_id, v_taken);
    END IF;
    RETURN QUERY SELECT 'ok', t.label, t.state, t.channel_id
                   FROM seats_states(p_show_id, v_seats) t ORDER BY t.seat;
END;
$$;
