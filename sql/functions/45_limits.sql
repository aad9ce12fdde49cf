-- Limits that no client can get round, checked in the booking's own
-- transaction so that every worker agrees (README, "Limits").
--
-- Each cap is counted under a transaction-level advisory lock of what
-- it counts (one client's holds, or one shard of them; one customer's
-- seats of one show), so that two bookings that count the same holds
-- are judged one after the other and never both squeeze under the cap;
-- bookings of anyone else do not wait. Live means not lapsed at the
-- moment of the count (clock_timestamp(), after the lock): a lapsed
-- hold counts for nobody, swept or not; and holds are counted from the
-- bookings themselves, never from a counter.
--
-- Lock order, for every booking (no cycle, so no deadlock):
--   1. the client's lock (client_lock_key(client, NULL)): exclusive
--      where the client's holds are counted as one (K = 1), shared
--      where they are counted in K shards; so a booking counted whole
--      (the previous release's, or under other caps) and one counted in
--      shards never run at once;
--   2. with K shards, shard locks (client_lock_key(client, i)): tried
--      without waiting, one at a time, each given back before the next
--      is tried; or waited for, one only, holding no other; or all of
--      them, in ascending order (client_shards_rebalance());
--   3. the customer's lock (one customer's seats of one show);
--   4. the show's parts, in book_seats() (20_parts.sql, 40_booking.sql).
-- A booking never waits for a lock while holding another of the same
-- kind, except shard locks in ascending order; and nobody holding a
-- later kind waits for an earlier one. The idempotency key is claimed
-- before all of them (50_idempotency.sql).
--
-- Why shards: under one lock per client, a busy channel's holds are one
-- queue, each waiting for the one before to commit. With K shards, the
-- client's caps are split into quotas (client_hold_shards: quotas sum to
-- the caps), a hold takes any shard that nobody holds and has room for
-- it, and counts only that shard's live holds under that shard's lock.
-- Exact, because for every shard, live holds <= quota at all times (a
-- hold enters a shard only within its quota, and counts only fall), so
-- the client's live holds <= sum of quotas = caps. Quotas change only
-- under every shard's lock, after counting every shard: the budget not
-- in use is spread evenly again, and a hold that fits the caps but no
-- one shard gets the room it needs. Holds that name no shard (made
-- before this release, or counted whole) are shard -1: a quota of their
-- own, which no hold enters, and a shard's count checks them too.

-- How many shards a client's hold caps are counted in: 8 where the caps
-- leave each shard room for several holds (8 holds, 32 seats), else 1,
-- one lock as before. Only 1 or 8: a hold recorded in a shard that the
-- client's K no longer has would be counted by nobody's shard.
CREATE OR REPLACE FUNCTION client_shard_count(p_max_live_holds integer,
                                              p_max_held_seats integer)
RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN coalesce(p_max_live_holds, 64) >= 64
                     AND coalesce(p_max_held_seats, 256) >= 256
                THEN 8 ELSE 1 END;

-- The advisory lock key of p_client's holds (p_shard NULL: the whole
-- client, the key of the previous release) or of one shard of them.
CREATE OR REPLACE FUNCTION client_lock_key(p_client text, p_shard integer)
RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN hashtextextended('booking client ' || p_client
                            || coalesce(' shard ' || p_shard, ''), 0);

-- K = 1: may p_client hold p_seats more seats? Every live hold of the
-- client counted under its one exclusive lock, kept to commit.
CREATE OR REPLACE FUNCTION client_hold_fits_whole(p_client text,
        p_seats integer, p_max_live_holds integer, p_max_held_seats integer)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_holds integer;
    v_held  bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(client_lock_key(p_client, NULL));
    SELECT count(*), coalesce(sum(seat_count), 0) INTO v_holds, v_held
      FROM bookings
     WHERE client = p_client AND status = 'PENDING'
       AND expires_at > clock_timestamp();
    RETURN NOT (v_holds + 1 > p_max_live_holds
                OR v_held + p_seats > p_max_held_seats);
END;
$$;

-- Does a hold of p_seats fit shard p_shard of p_client? The caller holds
-- that shard's lock, so its quota and its live holds cannot grow
-- meanwhile. 'fits'; 'full'; or 'stale': no quotas split from these
-- caps, or more holds in shard -1 than its quota (made since the split
-- under the client's exclusive lock): the quotas must be split again.
CREATE OR REPLACE FUNCTION client_shard_fits(p_client text, p_shard integer,
        p_seats integer, p_max_live_holds integer, p_max_held_seats integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    q record;
    c record;
BEGIN
    SELECT count(*) AS n,
           bool_and(cap_holds IS NOT DISTINCT FROM p_max_live_holds
                    AND cap_seats IS NOT DISTINCT FROM p_max_held_seats) AS same,
           max(quota_holds) FILTER (WHERE shard = p_shard) AS holds,
           max(quota_seats) FILTER (WHERE shard = p_shard) AS seats,
           max(quota_holds) FILTER (WHERE shard = -1) AS pool_holds,
           max(quota_seats) FILTER (WHERE shard = -1) AS pool_seats
      INTO q FROM client_hold_shards
     WHERE client = p_client AND shard IN (-1, p_shard);
    IF q.n < 2 OR NOT q.same THEN
        RETURN 'stale';
    END IF;
    SELECT count(*) FILTER (WHERE client_shard = p_shard) AS holds,
           coalesce(sum(seat_count) FILTER (WHERE client_shard = p_shard), 0)
               AS seats,
           count(*) FILTER (WHERE client_shard IS NULL) AS pool_holds,
           coalesce(sum(seat_count) FILTER (WHERE client_shard IS NULL), 0)
               AS pool_seats
      INTO c FROM bookings
     WHERE client = p_client AND status = 'PENDING'
       AND (client_shard = p_shard OR client_shard IS NULL)
       AND expires_at > clock_timestamp();
    -- A NULL quota is no cap: the comparison is NULL, not true.
    IF c.pool_holds > q.pool_holds OR c.pool_seats > q.pool_seats THEN
        RETURN 'stale';
    END IF;
    IF (q.holds IS NULL OR c.holds + 1 <= q.holds)
       AND (q.seats IS NULL OR c.seats + p_seats <= q.seats) THEN
        RETURN 'fits';
    END IF;
    RETURN 'full';
END;
$$;

-- Take shard p_shard of p_client for a hold of p_seats: its lock, tried
-- (p_wait false: 'busy' if someone holds it) or waited for (p_wait
-- true), then client_shard_fits(). 'fits': the lock is kept to commit.
-- Otherwise 'busy', 'full' or 'stale', and the lock is given back: the
-- body is a subtransaction (its EXCEPTION clause), rolled back, which
-- releases the advisory lock taken in it, as show_parts_take_free()
-- gives back a part. So a booking that goes on to wait for another
-- shard holds none.
CREATE OR REPLACE FUNCTION client_shard_take(p_client text, p_shard integer,
        p_seats integer, p_max_live_holds integer, p_max_held_seats integer,
        p_wait boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_fit text;
BEGIN
    IF p_wait THEN
        PERFORM pg_advisory_xact_lock(client_lock_key(p_client, p_shard));
    ELSIF NOT pg_try_advisory_xact_lock(client_lock_key(p_client, p_shard)) THEN
        RETURN 'busy';
    END IF;
    v_fit := client_shard_fits(p_client, p_shard, p_seats, p_max_live_holds,
                               p_max_held_seats);
    IF v_fit <> 'fits' THEN
        RAISE SQLSTATE 'BK002' USING MESSAGE = v_fit;
    END IF;
    RETURN v_fit;
EXCEPTION WHEN SQLSTATE 'BK002' THEN
    RETURN SQLERRM;
END;
$$;

-- Split cap p_cap of one kind (holds or seats) into quotas for shards
-- -1 .. K-1, given what each holds live now (p_live, indexed from -1)
-- and p_add more that shard p_target is about to take: each shard keeps
-- what it holds (p_target with p_add), shard -1 exactly that, and what
-- is left of the cap is spread evenly over shards 0 .. K-1; so quotas
-- sum to the cap and none is below its shard's holds. Live holds
-- already past the cap (it was lowered): every shard 0, the cap on
-- shard -1, so that no shard takes a hold until the holds fall under
-- the cap and the quotas are split again. p_cap NULL: NULL quotas.
CREATE OR REPLACE FUNCTION client_quota_split(p_cap integer, p_live bigint[],
                                              p_target integer, p_add integer)
RETURNS integer[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_k     integer := array_upper(p_live, 1) + 1;
    v_q     integer[] := array_fill(NULL::integer, ARRAY[v_k + 1], ARRAY[-1]);
    v_free  bigint;
    i       integer;
BEGIN
    IF p_cap IS NULL THEN
        RETURN v_q;
    END IF;
    v_free := p_cap - p_add - (SELECT sum(x) FROM unnest(p_live) x);
    IF v_free < 0 THEN
        v_q := array_fill(0, ARRAY[v_k + 1], ARRAY[-1]);
        v_q[-1] := p_cap;
        RETURN v_q;
    END IF;
    v_q[-1] := p_live[-1];
    FOR i IN 0 .. v_k - 1 LOOP
        v_q[i] := p_live[i] + CASE WHEN i = p_target THEN p_add ELSE 0 END
                  + v_free / v_k + CASE WHEN i < v_free % v_k THEN 1 ELSE 0 END;
    END LOOP;
    RETURN v_q;
END;
$$;

-- The slow path: no shard took the hold (all full or busy, or the
-- quotas stale). Every shard's lock, in ascending order (the caller
-- holds none), then every live hold of p_client counted by shard. The
-- hold of p_seats goes to a shard whose quota it fits, from p_start on,
-- if the quotas are current; else, if the client's caps allow it, the
-- quotas are split again (client_quota_split) with room for it in
-- p_start. Returns the shard, or NULL: past the caps (stale quotas are
-- split again all the same, without it).
CREATE OR REPLACE FUNCTION client_shards_rebalance(p_client text,
        p_shards integer, p_start integer, p_seats integer,
        p_max_live_holds integer, p_max_held_seats integer)
RETURNS smallint LANGUAGE plpgsql AS $$
DECLARE
    v_lh    bigint[] := array_fill(0, ARRAY[p_shards + 1], ARRAY[-1]);
    v_ls    bigint[] := array_fill(0, ARRAY[p_shards + 1], ARRAY[-1]);
    v_qh    integer[] := array_fill(NULL::integer, ARRAY[p_shards + 1], ARRAY[-1]);
    v_qs    integer[] := array_fill(NULL::integer, ARRAY[p_shards + 1], ARRAY[-1]);
    v_rows  integer := 0;
    v_stale boolean := false;
    v_fits  boolean;
    v_shard integer;
    r       record;
    i       integer;
BEGIN
    FOR i IN 0 .. p_shards - 1 LOOP
        PERFORM pg_advisory_xact_lock(client_lock_key(p_client, i));
    END LOOP;
    FOR r IN SELECT CASE WHEN client_shard < p_shards THEN client_shard
                         ELSE -1 END AS shard,
                    count(*) AS holds, sum(seat_count) AS seats
               FROM bookings
              WHERE client = p_client AND status = 'PENDING'
                AND expires_at > clock_timestamp()
              GROUP BY 1 LOOP
        v_lh[r.shard] := r.holds;
        v_ls[r.shard] := r.seats;
    END LOOP;
    FOR r IN SELECT * FROM client_hold_shards
              WHERE client = p_client AND shard < p_shards LOOP
        v_qh[r.shard] := r.quota_holds;
        v_qs[r.shard] := r.quota_seats;
        v_rows := v_rows + 1;
        v_stale := v_stale
            OR r.cap_holds IS DISTINCT FROM p_max_live_holds
            OR r.cap_seats IS DISTINCT FROM p_max_held_seats;
    END LOOP;
    -- (a NULL quota is no cap: coalesce the NULL comparison to false)
    v_stale := v_stale OR v_rows <> p_shards + 1
        OR coalesce(v_lh[-1] > v_qh[-1] OR v_ls[-1] > v_qs[-1], false);
    IF NOT v_stale THEN
        FOR i IN 0 .. p_shards - 1 LOOP
            v_shard := (p_start + i) % p_shards;
            IF (v_qh[v_shard] IS NULL OR v_lh[v_shard] + 1 <= v_qh[v_shard])
               AND (v_qs[v_shard] IS NULL
                    OR v_ls[v_shard] + p_seats <= v_qs[v_shard]) THEN
                RETURN v_shard;
            END IF;
        END LOOP;
    END IF;
    v_fits := (p_max_live_holds IS NULL
               OR (SELECT sum(x) FROM unnest(v_lh) x) + 1 <= p_max_live_holds)
          AND (p_max_held_seats IS NULL
               OR (SELECT sum(x) FROM unnest(v_ls) x) + p_seats
                  <= p_max_held_seats);
    IF NOT v_fits AND NOT v_stale THEN
        RETURN NULL;
    END IF;
    v_shard := CASE WHEN v_fits THEN p_start END;
    v_qh := client_quota_split(p_max_live_holds, v_lh, v_shard,
                               CASE WHEN v_fits THEN 1 ELSE 0 END);
    v_qs := client_quota_split(p_max_held_seats, v_ls, v_shard,
                               CASE WHEN v_fits THEN p_seats ELSE 0 END);
    INSERT INTO client_hold_shards AS s (client, shard, cap_holds, cap_seats,
                                         quota_holds, quota_seats)
    SELECT p_client, g, p_max_live_holds, p_max_held_seats, v_qh[g], v_qs[g]
      FROM generate_series(-1, p_shards - 1) g
    ON CONFLICT (client, shard) DO UPDATE
       SET cap_holds = excluded.cap_holds, cap_seats = excluded.cap_seats,
           quota_holds = excluded.quota_holds,
           quota_seats = excluded.quota_seats, split_at = now();
    RETURN v_shard;
END;
$$;

-- May p_client hold p_seats more seats under its caps, counted in
-- p_shards shards (client_shard_count())? ok, and the shard the hold is
-- counted in (NULL: counted whole, K = 1), whose lock is held to
-- commit. A shard that nobody holds and that has room, from a random
-- one on; else, if one was busy, that one waited for (holding no
-- other); else client_shards_rebalance().
CREATE OR REPLACE FUNCTION client_hold_take(p_client text, p_seats integer,
        p_max_live_holds integer, p_max_held_seats integer, p_shards integer,
        OUT ok boolean, OUT shard smallint)
LANGUAGE plpgsql AS $$
DECLARE
    v_start integer;
    v_busy  integer;
    v_got   text;
    i       integer;
BEGIN
    IF p_shards <= 1 THEN
        ok := client_hold_fits_whole(p_client, p_seats, p_max_live_holds,
                                     p_max_held_seats);
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(client_lock_key(p_client, NULL));
    v_start := floor(random() * p_shards)::integer;
    FOR i IN 0 .. p_shards - 1 LOOP
        v_got := client_shard_take(p_client, (v_start + i) % p_shards,
                                   p_seats, p_max_live_holds,
                                   p_max_held_seats, false);
        IF v_got = 'fits' THEN
            ok := true;
            shard := (v_start + i) % p_shards;
            RETURN;
        END IF;
        EXIT WHEN v_got = 'stale';
        IF v_got = 'busy' AND v_busy IS NULL THEN
            v_busy := (v_start + i) % p_shards;
        END IF;
    END LOOP;
    IF v_got <> 'stale' AND v_busy IS NOT NULL
       AND client_shard_take(p_client, v_busy, p_seats, p_max_live_holds,
                             p_max_held_seats, true) = 'fits' THEN
        ok := true;
        shard := v_busy;
        RETURN;
    END IF;
    shard := client_shards_rebalance(p_client, p_shards, v_start, p_seats,
                                     p_max_live_holds, p_max_held_seats);
    ok := shard IS NOT NULL;
END;
$$;

-- May p_client hold p_seat_count more seats (a hold: p_hold_seconds not
-- NULL), and may p_customer have them of show p_show_id? outcome 'ok',
-- or the one that refuses: 'hold_limit' (p_max_live_holds live holds,
-- or p_max_held_seats held seats, already), 'customer_limit' (the
-- show's max_seats_per_customer). A NULL cap, client or customer is no
-- cap. client_shard: the shard the hold is counted in, for book_seats()
-- to record (NULL: none). p_shards: how many shards the client's holds
-- are counted in (client_shard_count(), or 1).
CREATE OR REPLACE FUNCTION booking_limits(p_show_id bigint,
        p_seat_count integer, p_hold_seconds integer, p_client text,
        p_customer text, p_max_live_holds integer, p_max_held_seats integer,
        p_shards integer, OUT outcome text, OUT client_shard smallint)
LANGUAGE plpgsql AS $$
DECLARE
    v_ok    boolean;
    v_cap   integer;
    v_mine  bigint;
BEGIN
    outcome := 'ok';
    IF p_hold_seconds IS NOT NULL AND p_client IS NOT NULL
       AND (p_max_live_holds IS NOT NULL OR p_max_held_seats IS NOT NULL) THEN
        SELECT t.ok, t.shard INTO v_ok, client_shard
          FROM client_hold_take(p_client, p_seat_count, p_max_live_holds,
                                p_max_held_seats, p_shards) t;
        IF NOT v_ok THEN
            outcome := 'hold_limit';
            RETURN;
        END IF;
    END IF;
    SELECT max_seats_per_customer INTO v_cap FROM shows WHERE id = p_show_id;
    IF v_cap IS NOT NULL AND p_customer IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(
            'booking customer ' || p_show_id || ' ' || p_customer, 0));
        SELECT coalesce(sum(seat_count), 0) INTO v_mine FROM bookings
         WHERE show_id = p_show_id AND customer = p_customer
           AND (status = 'CONFIRMED'
                OR (status = 'PENDING' AND expires_at > clock_timestamp()));
        IF v_mine + p_seat_count > v_cap THEN
            outcome := 'customer_limit';
        END IF;
    END IF;
END;
$$;

-- The previous release's signature, for its booking_run() until its
-- workers are restarted: the client's holds counted whole, under its
-- exclusive lock (which excludes every booking counted in shards), and
-- recorded by the previous book_seats() without a shard (shard -1).
CREATE OR REPLACE FUNCTION booking_limits(p_show_id bigint,
        p_seat_count integer, p_hold_seconds integer, p_client text,
        p_customer text, p_max_live_holds integer, p_max_held_seats integer)
RETURNS text
    LANGUAGE sql
    RETURN (SELECT outcome FROM booking_limits(p_show_id, p_seat_count,
                                               p_hold_seconds, p_client,
                                               p_customer, p_max_live_holds,
                                               p_max_held_seats, 1));
