-- from_epoch_us() multiplied the whole count of microseconds by an
-- interval, which goes through a double and rounds beyond 2^53 µs (after
-- about 2255): 9999-12-31T23:59:59.999999Z became 10000-01-01. Whole
-- seconds and the remaining microseconds are each exact.
CREATE OR REPLACE FUNCTION from_epoch_us(us bigint) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN to_timestamp(0) + (us / 1000000) * interval '1 second'
                           + (us % 1000000) * interval '1 microsecond';
