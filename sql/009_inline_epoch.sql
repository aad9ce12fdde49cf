-- epoch_us() was declared IMMUTABLE over extract(epoch FROM timestamptz),
-- which PostgreSQL marks STABLE. The planner never inlines a function
-- whose body is more volatile than its declaration, so every call ran
-- as a separate SQL-function execution: half the time of a 1000-show
-- page, and most of GET /shows/{id}'s. Declared STABLE, it inlines into
-- the expression it sits in.
CREATE OR REPLACE FUNCTION epoch_us(t timestamptz) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (extract(epoch FROM t) * 1000000)::bigint;
