-- The live seat map's announcements (docs/events.md): a change of a
-- seated show's seats is told with NOTIFY on channel seat_events, from
-- triggers inside the transaction that makes it, so that only what
-- commits is ever announced (PostgreSQL delivers a transaction's
-- notifications at its commit, and drops them at a rollback), in commit
-- order. booking-events relays each payload to the browsers (nchan).
--
-- Payload, one per show per statement: {"show":N,"h":[3,4],"s":[7]}:
-- the seats (indices in the map's seat order) that changed, grouped by
-- their new state (f free, h held, s sold, b blocked; a state with no
-- seat is left out); or {"show":N,"resync":true} when the list would
-- not fit in a notification (8000 bytes), telling the browsers to fetch
-- the map again.
--
-- The triggers (migration 020): on seat_assignments, statement-level,
-- reading the rows the statement inserted or deleted (transition
-- tables): one call and one notification per show however many seats;
-- on bookings, a row trigger whose WHEN clause lets only a seated
-- booking's confirm call it, so that general admission pays for none.

-- The payload for show p_show: seat p_seats[i] is now in state
-- substr(p_states, i, 1). Seats are listed in ascending order, states in
-- the order f, h, s, b. Over 7900 bytes (PostgreSQL refuses a payload of
-- 8000), the resync message instead; a list that cannot fit (each seat
-- takes 2 bytes at least) is not built at all.
CREATE OR REPLACE FUNCTION seat_events_payload(p_show bigint,
        p_seats integer[], p_states text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
-- PL/pgSQL, not SQL: every seated booking's trigger calls it, and a SQL
-- function's body would be parsed and planned on every call.
BEGIN
    RETURN (SELECT CASE WHEN cardinality(p_seats) <= 3950
                         AND octet_length(m.msg) <= 7900 THEN m.msg
                    ELSE '{"show":' || p_show || ',"resync":true}' END
          FROM (SELECT '{"show":' || p_show
                       || string_agg(',"' || g.state || '":[' || g.seats || ']',
                                     '' ORDER BY position(g.state IN 'fhsb'))
                       || '}' AS msg
                  FROM (SELECT substr(p_states, i, 1) AS state,
                               string_agg(p_seats[i]::text, ','
                                          ORDER BY p_seats[i]) AS seats
                          FROM generate_subscripts(p_seats, 1) i
                         WHERE cardinality(p_seats) <= 3950
                         GROUP BY 1) g) m);
END;
$$;

-- Statement trigger on a table of seats (show_id, seat): seat_assignments
-- (migration 020) and seat_blocks (025), its rows of the statement as the
-- transition table "changed" (REFERENCING NEW or OLD TABLE AS changed):
-- one notification per show. Each seat is announced in the state it has
-- now, as the map says it (seat_state(): held or sold by its booking,
-- else blocked, else free), read after the statement: a booking that
-- gives back a seat the admin had blocked and assigned announces it `b`,
-- not `f`; a block of a seat sold meanwhile stays `s`. (The argument
-- that 020 passes for deletes is no longer needed.)
CREATE OR REPLACE FUNCTION seat_events_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('seat_events', seat_events_payload(c.show_id,
                array_agg(c.seat ORDER BY c.seat),
                string_agg(seat_state(b.status, b.expires_at,
                                      k.seat IS NOT NULL), ''
                           ORDER BY c.seat)))
       FROM (SELECT DISTINCT show_id, seat FROM changed) c
       LEFT JOIN seat_assignments a ON a.show_id = c.show_id
                                   AND a.seat = c.seat
       LEFT JOIN bookings b ON b.id = a.booking_id
       LEFT JOIN seat_blocks k ON k.show_id = c.show_id AND k.seat = c.seat
      GROUP BY c.show_id;
    RETURN NULL;
END;
$$;

-- Row trigger on bookings, for a seated hold confirmed: its seats are
-- sold. (Its seats' release, when a booking ends, is announced by
-- seat_assignments' delete trigger.)
CREATE OR REPLACE FUNCTION seat_events_confirmed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('seat_events', seat_events_payload(NEW.show_id,
                NEW.seats, repeat('s', cardinality(NEW.seats))));
    RETURN NULL;
END;
$$;

-- Holds that lapse, for booking-events (fcgi/events_lapse.c): a hold's
-- seats are free at its deadline (seat_state()), but nothing commits
-- then, so no trigger can say so. The daemon asks here at each seated
-- hold's deadline and announces the answer: one batch of the seated
-- holds still PENDING whose deadline passed, by the database's clock,
-- after the cursor (p_after_us, p_after_id): every hold at or before
-- that (expires_at, id) was looked at already. Reads only; the sweeper
-- still releases them (and announces them free a second time).
--
-- One row per show of the batch (payload: its seats free, or a resync
-- past 7900 bytes, as seat_events_payload() makes it), or a single row
-- with a NULL payload when there is none; every row also carries the
-- cursor after the batch (until_us, until_id) and wait_ms: 0 when
-- p_limit holds came and more may wait, else the milliseconds until
-- the next seated hold's deadline (NULL: no hold). An extended hold is
-- looked at by its new deadline, a confirmed or cancelled one not at
-- all. p_after_us NULL starts from now, announcing nothing: the caller
-- has just told every browser to fetch its map again.
--
-- STABLE: every statement here reads the one snapshot of the call, so
-- the cursor and the payloads describe the same holds. Both reads use
-- the index bookings_seated_pending (migration 022).
CREATE OR REPLACE FUNCTION seat_events_lapsed(p_after_us bigint,
        p_after_id bigint, p_limit integer, OUT payload text,
        OUT until_us bigint, OUT until_id bigint, OUT wait_ms bigint)
RETURNS SETOF record LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_after timestamptz := from_epoch_us(p_after_us);
    v_n     integer := 0;
    v_last  bigint[];
BEGIN
    until_us := epoch_us(now());
    until_id := 9223372036854775807;    -- every hold due by now
    IF p_after_us IS NOT NULL THEN
        SELECT count(*), max(ARRAY[epoch_us(l.expires_at), l.id])
          INTO v_n, v_last
          FROM (SELECT b.expires_at, b.id FROM bookings b
                 WHERE b.status = 'PENDING' AND b.seats IS NOT NULL
                   AND (b.expires_at, b.id) > (v_after, p_after_id)
                   AND b.expires_at <= now()
                 ORDER BY b.expires_at, b.id LIMIT p_limit) l;
    END IF;
    IF v_n > 0 AND v_n >= p_limit THEN
        until_us := v_last[1];
        until_id := v_last[2];
        wait_ms := 0;
    ELSE
        SELECT ceil(extract(epoch FROM min(b.expires_at) - now()) * 1000)
          INTO wait_ms FROM bookings b
         WHERE b.status = 'PENDING' AND b.seats IS NOT NULL
           AND b.expires_at > now();
    END IF;
    IF v_n > 0 THEN
        RETURN QUERY
            SELECT seat_events_payload(b.show_id, array_agg(x.seat),
                       repeat('f', count(*)::integer)),
                   until_us, until_id, wait_ms
              FROM bookings b CROSS JOIN LATERAL unnest(b.seats) AS x(seat)
             WHERE b.status = 'PENDING' AND b.seats IS NOT NULL
               AND (b.expires_at, b.id) > (v_after, p_after_id)
               AND (b.expires_at, b.id)
                   <= (from_epoch_us(until_us), until_id)
               AND b.expires_at <= now()
             GROUP BY b.show_id;
    ELSE
        RETURN NEXT;
    END IF;
END;
$$;
