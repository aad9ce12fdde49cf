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
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN cardinality(p_seats) <= 3950
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
                     GROUP BY 1) g) m;
$$;

-- Statement trigger on a table of seats (show_id, seat), its rows of
-- the statement as the transition table "changed" (REFERENCING NEW or
-- OLD TABLE AS changed): one notification per show. The seats' new
-- state is the trigger's argument ('f' for seat_assignments' deletes;
-- seat_blocks will use 'b' and 'f' the same way), or, without one, that
-- of each row's booking (changed.booking_id: held or sold, as the map
-- says it, seat_state()).
CREATE OR REPLACE FUNCTION seat_events_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_NARGS > 0 THEN
        PERFORM pg_notify('seat_events', seat_events_payload(c.show_id,
                    array_agg(c.seat), repeat(TG_ARGV[0], count(*)::integer)))
           FROM changed c GROUP BY c.show_id;
    ELSE
        PERFORM pg_notify('seat_events', seat_events_payload(c.show_id,
                    array_agg(c.seat ORDER BY c.seat),
                    string_agg(seat_state(b.status, b.expires_at), ''
                               ORDER BY c.seat)))
           FROM changed c JOIN bookings b ON b.id = c.booking_id
          GROUP BY c.show_id;
    END IF;
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
