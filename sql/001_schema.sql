-- Shows and bookings. The CHECK on shows is the last line of defence:
-- whatever the C code does, PostgreSQL refuses a row that is oversold.

CREATE TABLE shows (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL
                 CHECK (btrim(name) <> '' AND char_length(name) <= 200),
    start_time   timestamptz NOT NULL,
    total_seats  integer NOT NULL CHECK (total_seats BETWEEN 1 AND 1000000),
    booked_seats integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT shows_not_oversold
        CHECK (booked_seats >= 0 AND booked_seats <= total_seats)
);

-- GET /shows pages with a keyset cursor on (start_time, id).
CREATE INDEX shows_start_time_id ON shows (start_time, id);

CREATE TABLE bookings (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    show_id    bigint NOT NULL REFERENCES shows (id),
    seat_count integer NOT NULL CHECK (seat_count > 0),
    status     text NOT NULL
               CHECK (status IN ('PENDING', 'CONFIRMED', 'FAILED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX bookings_show_id ON bookings (show_id);

-- Timestamps cross the wire as microseconds since the epoch, so that
-- the C side formats RFC 3339 itself and never parses PostgreSQL text.
CREATE FUNCTION epoch_us(t timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (extract(epoch FROM t) * 1000000)::bigint;

-- Exact for any timestamp PostgreSQL can hold: us < 2^53.
CREATE FUNCTION from_epoch_us(us bigint) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN to_timestamp(0) + us * interval '1 microsecond';
