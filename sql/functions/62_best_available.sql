-- Best available (docs/seating.md, "Best available"): the service picks
-- a seated booking's seats, then books them as book_seats_chosen()
-- (60_seating.sql) does. Lock order, as everywhere: parts in ascending
-- order when waiting, then booking rows.

-- The best p_count free seats together in part p_part: in one row, next
-- to each other (never across an aisle), at least p_accessible of them
-- accessible places; leaving no single seat alone where the row allows,
-- then taking as few accessible places beyond those asked for as it can
-- (they stay for who needs them), then leaving either side room for
-- whole blocks of the same size (so that pairs sold one after the other
-- fill a row), then nearest the focal point; of the seats free to the
-- buyer (seats_free(): channel p_channel_id's kept seats are) of the
-- categories and sections asked (NULL: any). A seat a lapsed hold still
-- has is not free here (the slow path releases such holds). The seats,
-- or NULL. A run without an accessible place costs no count of them.
CREATE OR REPLACE FUNCTION seats_best_block(p_show_id bigint,
        p_part smallint, p_count integer, p_accessible integer,
        p_channel_id bigint, p_categories smallint[], p_sections text[])
RETURNS integer[] LANGUAGE sql STABLE AS $$
    WITH free AS (
        SELECT s.seat, s.row_first, s.pos, s.dist, s.accessible,
               s.pos - row_number() OVER (PARTITION BY s.row_first
                                          ORDER BY s.pos) AS island
          FROM seats_free(p_show_id, p_channel_id, false, p_categories,
                          p_sections) s
         WHERE s.part = p_part
    ), runs AS (
        SELECT array_agg(seat ORDER BY pos) AS seats,
               array_agg(dist ORDER BY pos) AS dists,
               array_agg(accessible ORDER BY pos) AS accs,
               bool_or(accessible) AS any_acc, count(*)::integer AS n
          FROM free GROUP BY row_first, island
        HAVING count(*) >= p_count
    ), blocks AS (
        SELECT r.seats[k:k + p_count - 1] AS seats,
               CASE WHEN r.any_acc
                    THEN (SELECT count(*) FROM unnest(r.accs[k:k + p_count - 1]) a
                           WHERE a)::integer
                    ELSE 0 END AS acc,
               (k = 2 OR r.n - (k + p_count - 1) = 1) AS orphan,
               -- what is left either side fits more blocks of this size
               ((k - 1) % p_count <> 0
                OR (r.n - (k + p_count - 1)) % p_count <> 0) AS no_room,
               r.dists[k + p_count / 2] AS dist
          FROM runs r, generate_series(1, r.n - p_count + 1) k
    )
    SELECT b.seats FROM blocks b
     WHERE b.acc >= p_accessible
     ORDER BY b.orphan, b.acc, b.no_room, b.dist
     LIMIT 1;
$$;

-- The p_count free seats nearest the focal point, together or not, in
-- the parts p_parts (NULL: all): the p_accessible accessible places
-- nearest it, and the nearest others. NULL when there are not as many.
CREATE OR REPLACE FUNCTION seats_nearest(p_show_id bigint,
        p_parts smallint[], p_count integer, p_accessible integer,
        p_channel_id bigint, p_categories smallint[], p_sections text[])
RETURNS integer[] LANGUAGE sql STABLE AS $$
    WITH free AS (
        SELECT s.seat, s.dist, s.accessible
          FROM seats_free(p_show_id, p_channel_id, false, p_categories,
                          p_sections) s
         WHERE p_parts IS NULL OR s.part = ANY (p_parts)
    ), acc AS (
        SELECT seat FROM free WHERE accessible
         ORDER BY dist, seat LIMIT p_accessible
    ), rest AS (
        SELECT seat FROM free WHERE seat NOT IN (SELECT seat FROM acc)
         ORDER BY dist, seat LIMIT p_count - p_accessible
    )
    SELECT CASE WHEN count(*) = p_count
                     AND (SELECT count(*) FROM acc) = p_accessible
                THEN array_agg(seat ORDER BY seat) END
      FROM (SELECT seat FROM acc UNION ALL SELECT seat FROM rest) t;
$$;

-- Part p_part, if nobody holds it and it has p_count free seats (or
-- the buyer is a channel, whose kept seats its count leaves out), and
-- the best block in it: the seats, its lock kept; else NULL, with no
-- lock kept (the subtransaction is rolled back).
CREATE OR REPLACE FUNCTION seats_take_block(p_show_id bigint,
        p_part smallint, p_count integer, p_accessible integer,
        p_channel_id bigint, p_categories smallint[], p_sections text[])
RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
    v integer[];
BEGIN
    PERFORM 1 FROM show_parts
     WHERE show_id = p_show_id AND part = p_part
       AND (total - booked >= p_count OR p_channel_id IS NOT NULL)
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RAISE SQLSTATE 'BK001';
    END IF;
    v := seats_best_block(p_show_id, p_part, p_count, p_accessible,
                          p_channel_id, p_categories, p_sections);
    IF v IS NULL THEN
        RAISE SQLSTATE 'BK001';
    END IF;
    RETURN v;
EXCEPTION WHEN SQLSTATE 'BK001' THEN
    RETURN NULL;
END;
$$;

-- Best available: p_count seats chosen by the service (docs/seating.md,
-- "Best available"), then booked as book_seats_chosen() books them.
-- p_spec: {"together" (default true), "categories", "sections",
-- "accessible" (how many of the seats must be accessible places,
-- default 0)}.
--
-- Fast path: the parts in order of their rank, each taken only if
-- nobody holds it (SKIP LOCKED) and it has a block: a rival's part is
-- passed over, never waited for, so a request does not fail because a
-- rival took its first choice. Slow path, holding no part: every part
-- in ascending order, lapsed holds released, the best block of any
-- part by rank; then, unless together is false... the nearest seats in
-- one part, then anywhere. 409 not_enough_adjacent when seats remain but
-- no block fits, sold_out when they do not (fewer free seats of those
-- asked, or fewer free accessible places than asked). A channel (p_channel_id)
-- is offered the seats kept for it too, so every part is looked at for
-- it: a part's count leaves its kept seats out.
CREATE OR REPLACE FUNCTION book_seats_best(p_show_id bigint,
        p_count integer, p_spec jsonb, p_hold_seconds integer,
        p_token_hash bytea, p_client text, p_customer text,
        p_channel_id bigint, p_customer_ref text, p_client_shard smallint)
RETURNS booking_row
LANGUAGE plpgsql AS $$
DECLARE
    v_refusal  text;
    v_together boolean := coalesce((p_spec->>'together')::boolean, true);
    v_acc      integer := coalesce((p_spec->>'accessible')::integer, 0);
    v_cats     smallint[];
    v_secs     text[];
    v_part     smallint;
    v_seats    integer[];
    v_status   text := CASE WHEN p_hold_seconds IS NULL THEN 'CONFIRMED'
                            ELSE 'PENDING' END;
    v_reason   text;
    v_free     bigint;
    v_free_acc bigint;
BEGIN
    v_refusal := seated_show_refusal(p_show_id);
    IF v_refusal IS NOT NULL THEN
        RETURN booking_none(v_refusal);
    END IF;
    IF p_spec ? 'categories' THEN
        SELECT array_agg((c.ord - 1)::smallint) INTO v_cats
          FROM show_seating g,
               jsonb_array_elements(g.layout->'categories')
                   WITH ORDINALITY c(v, ord)
         WHERE g.show_id = p_show_id
           AND p_spec->'categories' ? (c.v->>'name');
        IF v_cats IS NULL THEN
            RETURN booking_none('unknown_category');
        END IF;
    END IF;
    IF p_spec ? 'sections' THEN
        SELECT array_agg(x) INTO v_secs
          FROM jsonb_array_elements_text(p_spec->'sections') x;
    END IF;

    FOR v_part IN SELECT part FROM show_parts
                   WHERE show_id = p_show_id
                     AND (total - booked >= p_count
                          OR p_channel_id IS NOT NULL)
                   ORDER BY rank, part LOOP
        v_seats := seats_take_block(p_show_id, v_part, p_count, v_acc,
                                    p_channel_id, v_cats, v_secs);
        EXIT WHEN v_seats IS NOT NULL;
    END LOOP;
    IF v_seats IS NULL THEN
        PERFORM show_parts_lock(p_show_id);
        LOOP
            EXIT WHEN (SELECT holds FROM release_lapsed_holds(p_show_id, 100)) = 0;
        END LOOP;
        FOR v_part IN SELECT part FROM show_parts
                       WHERE show_id = p_show_id
                         AND (total - booked >= p_count
                              OR p_channel_id IS NOT NULL)
                       ORDER BY rank, part LOOP
            v_seats := seats_best_block(p_show_id, v_part, p_count, v_acc,
                                        p_channel_id, v_cats, v_secs);
            EXIT WHEN v_seats IS NOT NULL;
        END LOOP;
        IF v_seats IS NULL AND NOT v_together THEN
            v_seats := seats_nearest(p_show_id, NULL, p_count, v_acc,
                                     p_channel_id, v_cats, v_secs);
        END IF;
    END IF;

    IF v_seats IS NULL THEN
        SELECT count(*), count(*) FILTER (WHERE accessible)
          INTO v_free, v_free_acc
          FROM seats_free(p_show_id, p_channel_id, false, v_cats, v_secs);
        v_status := 'FAILED';
        v_reason := CASE WHEN v_free >= p_count AND v_free_acc >= v_acc
                         THEN 'not_enough_adjacent' ELSE 'sold_out' END;
    END IF;
    RETURN seats_record(p_show_id, p_count, v_seats, v_seats IS NOT NULL,
                        v_status, p_hold_seconds, v_reason, p_token_hash,
                        p_client, p_customer, p_channel_id, p_customer_ref,
                        p_client_shard);
END;
$$;

-- Signatures of this release's development, never shipped and called
-- by no worker: one definition stays.
DROP FUNCTION IF EXISTS seats_best_block(bigint, smallint, integer,
    smallint[], text[]);
DROP FUNCTION IF EXISTS seats_nearest(bigint, smallint[], integer,
    smallint[], text[]);
DROP FUNCTION IF EXISTS seats_take_block(bigint, smallint, integer,
    smallint[], text[]);
