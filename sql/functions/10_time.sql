-- Time across the wire: timestamps travel as microseconds since the
-- epoch, so that the C side formats RFC 3339 itself and never parses
-- PostgreSQL's text.

-- Declared STABLE, as extract(epoch FROM timestamptz) is: the planner
-- inlines only a function no more volatile than its body, and inlined
-- it costs nothing per row of a page of shows.
CREATE OR REPLACE FUNCTION epoch_us(t timestamptz) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (extract(epoch FROM t) * 1000000)::bigint;

-- Exact for any timestamp PostgreSQL can hold: whole seconds and the
-- remaining microseconds are each exact, where the whole count times an
-- interval would go through a double and round beyond 2^53 us.
CREATE OR REPLACE FUNCTION from_epoch_us(us bigint) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN to_timestamp(0) + (us / 1000000) * interval '1 second'
                           + (us % 1000000) * interval '1 microsecond';
