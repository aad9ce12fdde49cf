-- Best available (docs/seating.md, "Best available"): the service picks
-- a seated booking's seats, then books them as book_seats_chosen()
-- (60_seating.sql) does. Lock order, as everywhere: parts in ascending
-- order when waiting, then booking rows.

-- Show p_show_id's rows as best available reads them (seat_rows,
-- migration 023), for those of its parts that have none yet: written
-- from the tables when the show's parts are made (seat_rows_created()),
-- or for a show made before 023 by the first best available that takes
-- the slow path (seats_search()), and kept by seat_rows_changed() from
-- then on. Each row's free places are seats_free()'s for a buyer who is
-- neither a channel nor the admin; its geometry the layout's, as
-- seats_create() computes seats.dist from it. The caller holds every
-- part of the show, or made it, so no seat changes meanwhile.
CREATE OR REPLACE FUNCTION seat_rows_build(p_show_id bigint)
RETURNS void LANGUAGE sql AS $$
    WITH st AS (        -- the seats, each with the places before it that
        SELECT s.part, s.row_first, s.pos, s.category,    -- are not seats
               s.accessible, split_part(s.label, '-', 1) AS section,
               repeat('|', s.pos - 1 - coalesce(lag(s.pos) OVER (
                   PARTITION BY s.row_first ORDER BY s.pos), -1)) AS gap,
               f.seat IS NOT NULL AS free
          FROM seats s
          LEFT JOIN seats_free(p_show_id, NULL, false, NULL, NULL) f
                 ON f.seat = s.seat
         WHERE s.show_id = p_show_id
           AND NOT EXISTS (SELECT 1 FROM seat_rows w
                            WHERE w.show_id = p_show_id AND w.part = s.part)
    ), w AS (
        SELECT t.part, t.row_first, min(t.section) AS section,
               min(t.category) AS category, array_agg(t.pos) AS places,
               CASE WHEN bool_or(t.accessible) THEN
                   string_agg(translate(t.gap, '|', '-')
                              || CASE WHEN t.accessible THEN 'a' ELSE '-' END,
                              '' ORDER BY t.pos) END AS acc,
               string_agg(t.gap || CASE WHEN t.free THEN '1' ELSE '0' END,
                          '' ORDER BY t.pos) AS free
          FROM st t GROUP BY t.part, t.row_first
    ), lay AS MATERIALIZED (     -- the layout read once, not a row
        SELECT (g.layout->'focal_point'->>'x')::double precision AS fx,
               (g.layout->'focal_point'->>'y')::double precision AS fy,
               g.layout->'sections' AS sections
          FROM show_seating g WHERE g.show_id = p_show_id
    ), geo AS (
        SELECT w.*, (r.rw->>'x')::double precision AS x,
               (r.rw->>'y')::double precision AS y, l.fx, l.fy
          FROM lay l, jsonb_array_elements(l.sections) s(sec),
               jsonb_array_elements(s.sec->'rows') r(rw), w
         WHERE w.row_first = (r.rw->>'first')::integer
    )
    INSERT INTO seat_rows (show_id, part, row_first, section, category, x,
                           y, fx, fy, near, acc, free)
    SELECT p_show_id, g.part, g.row_first, g.section, g.category, g.x, g.y,
           g.fx, g.fy,
           (SELECT min(power(g.x + p - g.fx, 2) + power(g.y - g.fy, 2))
              FROM unnest(g.places) p),
           g.acc, g.free
      FROM geo g
    ON CONFLICT DO NOTHING;
$$;

-- Statement trigger on show_parts, its rows of the statement as the
-- transition table "created": a seated show's rows written once its
-- parts are made (seats_create(); its parts have a rank, a general
-- admission show's and a standing area's none), in the transaction
-- that makes the show, so before anyone can book it. About a tenth of
-- a second for the 20 000 seats of make bench's hall.
CREATE OR REPLACE FUNCTION seat_rows_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM seat_rows_build(c.show_id)
       FROM (SELECT DISTINCT show_id FROM created
              WHERE rank IS NOT NULL) c;
    RETURN NULL;
END;
$$;

-- p_free with the place p_places[i] (from 0) marked substr(p_marks, i, 1).
CREATE OR REPLACE FUNCTION seat_rows_mark(p_free text, p_places integer[],
        p_marks text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v text := p_free;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(p_places), 0) LOOP
        v := overlay(v PLACING substr(p_marks, i, 1)
                     FROM p_places[i] + 1 FOR 1);
    END LOOP;
    RETURN v;
END;
$$;

-- Statement trigger on seat_assignments and seat_blocks, their rows of
-- the statement as the transition table "changed": each seat changed
-- is marked again in its row's string (when the row is written yet). A
-- seat assigned or blocked is taken (the trigger's argument, '0': no
-- buyer but a channel or the admin may have it); a seat given back or
-- unblocked is marked as seats_free() now says, asked of the tables
-- rather than inferred from the change, so that a seat given back while
-- blocked stays taken. The functions that change these tables hold the
-- seats' parts (docs/seating.md), so no two transactions mark one row
-- at once.
CREATE OR REPLACE FUNCTION seat_rows_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_NARGS > 0 THEN
        UPDATE seat_rows w
           SET free = seat_rows_mark(w.free, c.places, c.marks)
          FROM (SELECT s.show_id, s.part, s.row_first,
                       array_agg(s.pos) AS places,
                       repeat(TG_ARGV[0], count(*)::integer) AS marks
                  FROM changed ch
                  JOIN seats s ON s.show_id = ch.show_id AND s.seat = ch.seat
                 GROUP BY s.show_id, s.part, s.row_first) c
         WHERE w.show_id = c.show_id AND w.part = c.part
           AND w.row_first = c.row_first;
        RETURN NULL;
    END IF;
    UPDATE seat_rows w SET free = seat_rows_mark(w.free, c.places, c.marks)
      FROM (SELECT s.show_id, s.part, s.row_first,
                   array_agg(s.pos ORDER BY s.pos) AS places,
                   string_agg(CASE WHEN EXISTS (
                                  SELECT 1 FROM seats_free(s.show_id, NULL,
                                                           false, NULL, NULL) f
                                   WHERE f.seat = s.seat)
                              THEN '1' ELSE '0' END, '' ORDER BY s.pos)
                       AS marks
              FROM (SELECT DISTINCT show_id, seat FROM changed) ch
              JOIN seats s ON s.show_id = ch.show_id AND s.seat = ch.seat
             GROUP BY s.show_id, s.part, s.row_first) c
     WHERE w.show_id = c.show_id AND w.part = c.part
       AND w.row_first = c.row_first;
    RETURN NULL;
END;
$$;

-- The best p_count free seats together in part p_part: in one row, next
-- to each other (never across an aisle), at least p_accessible of them
-- accessible places; leaving no single seat alone where the row allows,
-- then taking as few accessible places beyond those asked for as it can
-- (they stay for who needs them), then leaving either side room for
-- whole blocks of the same size (so that pairs sold one after the other
-- fill a row), then nearest the focal point (the block's middle seat's
-- distance), then first in seat order; of the seats free to the buyer
-- (seats_free(): channel p_channel_id's kept seats are) of the
-- categories and sections asked (NULL: any). A seat a lapsed hold still
-- has is not free here (the slow path releases such holds). The seats,
-- or NULL. The caller holds the part's lock. The part's rows must be
-- written (seat_rows_build()): a show's are, all or none.
--
-- Its cost, the on-sale's hot path: the part's rows (seat_rows), one
-- string of free places each, nearest row first, not the part's
-- thousand seats and their bookings. A row's runs of free places are
-- found with strpos. Along a row the distance grows on either side of
-- the place nearest the focal point, so in a run without an accessible
-- place (none asked for) only the blocks nearest it of each kind can be
-- best: in a run whose length is a multiple of the block's, the blocks
-- leaving room either side start every p_count places and leave no
-- orphan, and the best is one of the two nearest; in another, no block
-- leaves room, two at most leave an orphan, and the best is within two
-- places of the nearest. A run with an accessible place has each of its
-- blocks looked at. Once a block of the best kind is found (no orphan,
-- no accessible place beyond those asked, room either side), a row
-- whose nearest seat is farther cannot beat it, and the search ends; a
-- run whose nearest place is farther is passed over.
CREATE OR REPLACE FUNCTION seats_best_block(p_show_id bigint,
        p_part smallint, p_count integer, p_accessible integer,
        p_channel_id bigint, p_categories smallint[], p_sections text[])
RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
    c        integer := p_count;
    h        integer := p_count / 2;    -- the middle seat, from the first
    r        record;
    v_kept_r integer[];     -- a channel's kept seats free to it: row,
    v_kept_p integer[];     -- place
    v_scan   text;          -- the row's places, '1' free, '0' not
    v_len    integer;
    v_dy2    float8;
    v_at     integer;       -- where the scan of the row goes on
    v_st     integer;       -- a run: its first place (from 1), length
    v_n      integer;
    v_lmax   integer;       -- a block starts at place v_st - 1 + l,
    v_lo     integer;       -- 0 <= l <= v_lmax; those looked at, v_lo
    v_hi     integer;       -- to v_hi
    v_accs   boolean;       -- the run has an accessible place
    t        float8;        -- l of the block centred on the focal point
    l        integer;
    a        integer;
    o        boolean;
    nr       boolean;
    d        float8;        -- a block's middle seat's squared distance,
    d2       float8;        -- as seats_create() computes seats.dist
    -- the best block yet: orphan, accessible places, no room, squared
    -- distance, row, first place; its row's places
    b_o      boolean;
    b_a      integer;
    b_nr     boolean;
    b_d      float8;
    b_row    integer;
    b_p      integer;
    b_free   text;
    v_top    boolean := false;  -- the best yet is of the best kind
    v_s0     integer;
    v_seats  integer[] := '{}';
BEGIN
    -- A channel also buys the seats kept for it: free to it, taken in the
    -- rows' strings.
    IF p_channel_id IS NOT NULL THEN
        SELECT array_agg(f.row_first), array_agg(f.pos)
          INTO v_kept_r, v_kept_p
          FROM seats_free(p_show_id, p_channel_id, false, p_categories,
                          p_sections) f
         WHERE f.part = p_part
           AND EXISTS (SELECT 1 FROM seat_blocks k
                        WHERE k.show_id = f.show_id AND k.seat = f.seat);
    END IF;
    -- rows nearest first; a row with no free seat is passed over (but
    -- for a channel, whose kept seats the strings count as taken)
    FOR r IN SELECT w.row_first, w.x, w.y, w.fx, w.fy, w.near, w.acc, w.free
               FROM seat_rows w
              WHERE w.show_id = p_show_id AND w.part = p_part
                AND (strpos(w.free, '1') > 0 OR p_channel_id IS NOT NULL)
                AND (p_categories IS NULL OR w.category = ANY (p_categories))
                AND (p_sections IS NULL OR w.section = ANY (p_sections))
              ORDER BY w.near, w.row_first LOOP
        -- nothing farther beats a block of the best kind
        EXIT WHEN v_top AND r.near > b_d;
        v_scan := translate(r.free, '|', '0');
        IF v_kept_r IS NOT NULL THEN
            FOR i IN 1 .. cardinality(v_kept_r) LOOP
                IF v_kept_r[i] = r.row_first THEN
                    v_scan := overlay(v_scan PLACING '1'
                                      FROM v_kept_p[i] + 1 FOR 1);
                END IF;
            END LOOP;
        END IF;
        v_len := length(v_scan);
        v_dy2 := power(r.y - r.fy, 2);
        v_at := 1;
        LOOP
            -- the next run of free places: v_n from v_st
            v_st := strpos(substr(v_scan, v_at), '1');
            EXIT WHEN v_st = 0;
            v_st := v_at + v_st - 1;
            v_n := strpos(substr(v_scan, v_st), '0');
            v_n := CASE WHEN v_n = 0 THEN v_len - v_st + 1 ELSE v_n - 1 END;
            v_at := v_st + v_n;
            CONTINUE WHEN v_n < c;
            v_lmax := v_n - c;
            v_accs := r.acc IS NOT NULL
                      AND strpos(substr(r.acc, v_st, v_n), 'a') > 0;
            CONTINUE WHEN NOT v_accs AND p_accessible > 0;
            -- the l of the block whose middle seat is nearest the focal
            -- point's x
            t := r.fx - r.x - (v_st - 1) - h;
            IF NOT v_accs AND c >= 2 AND v_n % c = 0 THEN
                -- of the best kind (p_accessible is 0): the nearer of
                -- the two nearest the focal point, every c places
                l := least(greatest(c * floor(t / c)::integer, 0), v_lmax);
                d := power(r.x + (v_st - 1 + l + h) - r.fx, 2) + v_dy2;
                IF l < v_lmax THEN
                    d2 := power(r.x + (v_st - 1 + l + c + h) - r.fx, 2)
                          + v_dy2;
                    IF d2 < d THEN
                        l := l + c;
                        d := d2;
                    END IF;
                END IF;
                IF NOT v_top
                   OR (d, r.row_first, v_st - 1 + l) < (b_d, b_row, b_p) THEN
                    b_o := false;
                    b_a := 0;
                    b_nr := false;
                    b_d := d;
                    b_row := r.row_first;
                    b_p := v_st - 1 + l;
                    b_free := r.free;
                    v_top := true;
                END IF;
                CONTINUE;
            END IF;
            -- nor does a run whose every middle seat is farther
            CONTINUE WHEN v_top
                AND power(r.x + least(greatest(round(r.fx - r.x)::integer,
                                               v_st - 1 + h),
                                      v_st - 1 + v_lmax + h)
                          - r.fx, 2) + v_dy2 > b_d;
            IF v_accs THEN
                v_lo := 0;
                v_hi := v_lmax;
            ELSE
                -- no block leaves room either side: the nearest that
                -- leaves no orphan (one of 2 places at most may) or the
                -- nearest, within 2 of it
                l := least(greatest(round(t)::integer, 0), v_lmax);
                v_lo := greatest(l - 2, 0);
                v_hi := least(l + 2, v_lmax);
            END IF;
            FOR l IN v_lo .. v_hi LOOP
                a := CASE WHEN v_accs
                          THEN c - length(replace(substr(r.acc, v_st + l, c),
                                                  'a', ''))
                          ELSE 0 END;
                CONTINUE WHEN a < p_accessible;
                o := l = 1 OR v_lmax - l = 1;
                nr := l % c <> 0 OR (v_lmax - l) % c <> 0;
                d := power(r.x + (v_st - 1 + l + h) - r.fx, 2) + v_dy2;
                IF b_row IS NULL
                   OR (o, a, nr, d, r.row_first, v_st - 1 + l)
                      < (b_o, b_a, b_nr, b_d, b_row, b_p) THEN
                    b_o := o;
                    b_a := a;
                    b_nr := nr;
                    b_d := d;
                    b_row := r.row_first;
                    b_p := v_st - 1 + l;
                    b_free := r.free;
                    v_top := NOT o AND a = p_accessible AND NOT nr;
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
    IF b_row IS NULL THEN
        RETURN NULL;
    END IF;
    -- the block's first seat: as many after the row's first as there
    -- are seats (not aisles) before its place
    v_s0 := b_row + length(replace(substr(b_free, 1, b_p), '|', ''));
    FOR i IN 0 .. c - 1 LOOP
        v_seats := v_seats || (v_s0 + i);
    END LOOP;
    RETURN v_seats;
END;
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

-- The parts of show p_show_id that may hold p_count seats for the
-- buyer, nearest seat first (rank): those with as many free by count,
-- or every part for a channel, whose kept seats the count leaves out.
-- Parts of seats only: a standing area's part (63_standing.sql) has no
-- seat, and no rank. (PL/pgSQL: every best available asks, and a SQL
-- function's body would be parsed and planned again each time.)
CREATE OR REPLACE FUNCTION seats_parts(p_show_id bigint, p_count integer,
        p_channel_id bigint)
RETURNS smallint[] LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(part ORDER BY rank, part), '{}')
              FROM show_parts
             WHERE show_id = p_show_id AND rank IS NOT NULL
               AND (total - booked >= p_count OR p_channel_id IS NOT NULL));
END;
$$;

-- Show p_show_id's rows in seat order, from the layout: each one's
-- first and last seat, section (by order), the x of its place 0, and
-- its part. Read once a search: a stadium's layout has 1000 rows.
CREATE OR REPLACE FUNCTION seats_rows(p_show_id bigint)
RETURNS seat_row[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(ROW((r.rw->>'first')::integer,
                         (r.rw->>'first')::integer + n.seats - 1,
                         s.ord::integer, (r.rw->>'x')::real,
                         t.part)::seat_row
                     ORDER BY (r.rw->>'first')::integer)
      FROM show_seating g,
           jsonb_array_elements(g.layout->'sections')
               WITH ORDINALITY s(sec, ord),
           jsonb_array_elements(s.sec->'rows') r(rw),
           LATERAL (SELECT sum((q->>1)::integer - (q->>0)::integer + 1)
                               ::integer AS seats
                      FROM jsonb_array_elements(r.rw->'seats') q) n,
           seats t
     WHERE g.show_id = p_show_id
       AND t.show_id = p_show_id AND t.seat = (r.rw->>'first')::integer;
$$;

-- Step 3 of best available (docs/seating.md): p_count free seats of one
-- part, whose rows p_rows are (in seat order), in k consecutive rows of
-- one section, the fewest rows first (k = 2, 3, ... p_count / 2), each
-- row's share a block of at least 2 seats beside each other, so that
-- nobody sits alone: q = p_count / k seats a row, q + 1 in as many rows
-- as p_count % k (the first rows, or the next ones when a row cannot
-- hold q + 1), each block overlapping the one in the row before by a
-- place at least. A stack's first block is its row's best: as many of
-- the p_accessible places still wanted as it can hold, then no orphan
-- left where it can, then nearest the focal point; each next block the
-- same, but nearest in line with the block before it before nearest
-- the focal point. Of the stacks of the fewest rows: the one leaving
-- fewest orphans, then the most in line, then nearest the focal point,
-- with p_accessible accessible places at least. The seats, or NULL.
--
-- Its cost: the part's free seats are read once, into arrays, and the
-- blocks are looked for in them; a run of rows whose longest runs of
-- free seats cannot hold the group is passed over unread.
CREATE OR REPLACE FUNCTION seats_stacked(p_show_id bigint,
        p_rows seat_row[], p_count integer, p_accessible integer,
        p_channel_id bigint, p_categories smallint[], p_sections text[])
RETURNS integer[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_rows  integer := coalesce(cardinality(p_rows), 0);
    -- the part's free seats in seat order: the seat, its place, where
    -- its run of free seats (in its row) starts and ends (indexes into
    -- these arrays); accessible places and distances before each (so
    -- that those of a block t .. t + m - 1 are f_acc[t + m] - f_acc[t])
    f_seat  integer[];
    f_pos   integer[];
    f_rs    integer[];
    f_re    integer[];
    f_acc   integer[];
    f_dist  float8[];
    -- each row's first and last index into them, and its longest run
    r_lo    integer[];
    r_hi    integer[];
    r_run   integer[];
    v_best  integer[];
    v_bscore float8[];      -- orphans, out of line, distance
    v_score float8[];
    v_seats integer[];
    v_q     integer;
    v_left  integer;
    v_need  integer;
    v_size  integer;
    v_px    float8;         -- the centre of the block in the row before
    v_pw    integer;        -- and its size
    v_x     float8;
    v_key   float8[];       -- a block's rank: -accessible, orphan, out
    v_bkey  float8[];       -- of line, distance
    v_bt    integer;
    v_bx    float8;
BEGIN
    IF v_rows < 2 THEN
        RETURN NULL;
    END IF;
    WITH f AS (
        SELECT s.seat, s.pos, s.dist, s.accessible, s.row_first,
               row_number() OVER (ORDER BY s.seat)::integer AS i,
               s.pos - row_number() OVER (PARTITION BY s.row_first
                                          ORDER BY s.pos) AS island
          FROM seats_free(p_show_id, p_channel_id, false, p_categories,
                          p_sections) s
         WHERE s.part = (p_rows[1]).part
    ), g AS (
        SELECT f.i, f.seat, f.pos,
               min(f.i) OVER w AS rs, max(f.i) OVER w AS re,
               sum(f.accessible::integer) OVER (ORDER BY f.i) AS ca,
               sum(f.dist::float8) OVER (ORDER BY f.i) AS cd
          FROM f WINDOW w AS (PARTITION BY f.row_first, f.island)
    )
    SELECT array_agg(g.seat ORDER BY g.i), array_agg(g.pos ORDER BY g.i),
           array_agg(g.rs ORDER BY g.i), array_agg(g.re ORDER BY g.i),
           0 || array_agg(g.ca::integer ORDER BY g.i),
           0 || array_agg(g.cd ORDER BY g.i)
      INTO f_seat, f_pos, f_rs, f_re, f_acc, f_dist
      FROM g;
    SELECT array_agg(coalesce(b.lo, 1) ORDER BY r.o),
           array_agg(coalesce(b.hi, 0) ORDER BY r.o),
           array_agg(coalesce(b.run, 0) ORDER BY r.o)
      INTO r_lo, r_hi, r_run
      FROM unnest(p_rows) WITH ORDINALITY r(first, last, section, x, part, o)
      LEFT JOIN LATERAL (
          SELECT min(u.i) AS lo, max(u.i) AS hi,
                 max(f_re[u.i] - f_rs[u.i] + 1) AS run
            FROM unnest(f_seat) WITH ORDINALITY u(seat, i)
           WHERE u.seat BETWEEN r.first AND r.last) b ON true;

    FOR k IN 2 .. p_count / 2 LOOP
        v_q := p_count / k;
        FOR i IN 1 .. v_rows - k + 1 LOOP
            -- one section, each row with a run of q, all of them with
            -- room for the group
            CONTINUE WHEN (p_rows[i + k - 1]).section <> (p_rows[i]).section
                OR (SELECT min(n) FROM unnest(r_run[i:i + k - 1]) n) < v_q
                OR (SELECT sum(least(n, v_q + 1))
                      FROM unnest(r_run[i:i + k - 1]) n) < p_count;
            v_seats := '{}';
            v_left := p_count;
            v_need := p_accessible;
            v_px := NULL;
            v_pw := 0;
            v_score := ARRAY[0, 0, 0];
            FOR j IN 0 .. k - 1 LOOP
                v_size := ceil(v_left::numeric / (k - j));
                LOOP
                    -- the best block of v_size in row i + j
                    v_bt := NULL;
                    FOR t IN r_lo[i + j] .. r_hi[i + j] - v_size + 1 LOOP
                        CONTINUE WHEN f_re[t] < t + v_size - 1;
                        v_x := (p_rows[i + j]).x
                               + (f_pos[t] + f_pos[t + v_size - 1]) / 2.0;
                        CONTINUE WHEN v_px IS NOT NULL
                            AND abs(v_x - v_px) > (v_size + v_pw) / 2.0 - 1;
                        v_key := ARRAY[
                            -least(f_acc[t + v_size] - f_acc[t], v_need),
                            (t - f_rs[t] = 1
                             OR f_re[t] - (t + v_size - 1) = 1)::integer,
                            coalesce(abs(v_x - v_px), 0),
                            f_dist[t + v_size] - f_dist[t]];
                        IF v_bt IS NULL OR v_key < v_bkey THEN
                            v_bt := t;
                            v_bkey := v_key;
                            v_bx := v_x;
                        END IF;
                    END LOOP;
                    -- q + 1 does not fit: q, if the rows left can take
                    -- the one more
                    EXIT WHEN v_bt IS NOT NULL OR v_size <= v_q
                        OR v_left - v_q > (k - j - 1) * (v_q + 1);
                    v_size := v_q;
                END LOOP;
                EXIT WHEN v_bt IS NULL;
                v_seats := v_seats || f_seat[v_bt:v_bt + v_size - 1];
                v_left := v_left - v_size;
                v_need := greatest(v_need - (f_acc[v_bt + v_size]
                                             - f_acc[v_bt]), 0);
                v_score := ARRAY[v_score[1] + v_bkey[2],
                                 v_score[2] + v_bkey[3],
                                 v_score[3] + v_bkey[4]];
                v_px := v_bx;
                v_pw := v_size;
            END LOOP;
            CONTINUE WHEN v_left > 0 OR v_need > 0;
            IF v_best IS NULL OR v_score < v_bscore THEN
                v_best := v_seats;
                v_bscore := v_score;
            END IF;
        END LOOP;
        IF v_best IS NOT NULL THEN
            RETURN (SELECT array_agg(x ORDER BY x) FROM unnest(v_best) x);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

-- Best available's exact search, every part of the show locked by the
-- caller (docs/seating.md, "Best available"): 1 and 2, the best block
-- in one row of any part (seats_best_block(): no orphan first); 3,
-- consecutive rows of one section in one part, nobody alone
-- (seats_stacked()); then, unless p_together, 4, the nearest seats of
-- one part, and 5, the nearest seats of the show, across parts and
-- sections. The parts by rank at each step. The seats, or NULL. First,
-- the rows of parts that have none are written (seat_rows_build(): the
-- first slow path of a show writes them all), so not STABLE.
CREATE OR REPLACE FUNCTION seats_search(p_show_id bigint, p_count integer,
        p_accessible integer, p_together boolean, p_channel_id bigint,
        p_categories smallint[], p_sections text[])
RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
    v_parts smallint[] := seats_parts(p_show_id, p_count, p_channel_id);
    v_part  smallint;
    v_rows  seat_row[];
    v       integer[];
BEGIN
    IF EXISTS (SELECT 1 FROM show_parts p
                WHERE p.show_id = p_show_id AND p.rank IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM seat_rows w
                                   WHERE w.show_id = p.show_id
                                     AND w.part = p.part)) THEN
        PERFORM seat_rows_build(p_show_id);
    END IF;
    -- too few accessible places free: no step can find them
    IF p_accessible > 0
       AND (SELECT count(*) FROM seats_free(p_show_id, p_channel_id, false,
                                            p_categories, p_sections) s
             WHERE s.accessible) < p_accessible THEN
        RETURN NULL;
    END IF;
    FOREACH v_part IN ARRAY v_parts LOOP
        v := seats_best_block(p_show_id, v_part, p_count, p_accessible,
                              p_channel_id, p_categories, p_sections);
        IF v IS NOT NULL THEN
            RETURN v;
        END IF;
    END LOOP;
    IF p_count >= 4 THEN
        v_rows := seats_rows(p_show_id);
    END IF;
    FOREACH v_part IN ARRAY v_parts LOOP
        EXIT WHEN p_count < 4;      -- 2 rows of 2 at least
        v := seats_stacked(p_show_id,
                           ARRAY(SELECT r FROM unnest(v_rows) r
                                  WHERE r.part = v_part ORDER BY r.first),
                           p_count, p_accessible, p_channel_id,
                           p_categories, p_sections);
        IF v IS NOT NULL THEN
            RETURN v;
        END IF;
    END LOOP;
    IF p_together THEN
        RETURN NULL;
    END IF;
    FOREACH v_part IN ARRAY v_parts LOOP
        v := seats_nearest(p_show_id, ARRAY[v_part], p_count, p_accessible,
                           p_channel_id, p_categories, p_sections);
        IF v IS NOT NULL THEN
            RETURN v;
        END IF;
    END LOOP;
    RETURN seats_nearest(p_show_id, NULL, p_count, p_accessible,
                         p_channel_id, p_categories, p_sections);
END;
$$;

-- The first part of show p_show_id by rank, not among p_tried, that
-- nobody holds and that has p_count free seats (every part, for a
-- channel, whose kept seats its count leaves out), taken without
-- waiting (SKIP LOCKED), and the best block in it (seats_best_block()):
-- part and seats, its lock kept. seats NULL when that part has no
-- block, its lock given back (the subtransaction is rolled back): the
-- caller tries the next. part NULL when no part is left to try. One
-- statement finds the part, however many rivals hold the parts before
-- it. A show made before migration 023 has no rows yet (seat_rows), so
-- no block here: the slow path writes them.
CREATE OR REPLACE FUNCTION seats_take_block(p_show_id bigint,
        p_tried smallint[], p_count integer, p_accessible integer,
        p_channel_id bigint, p_categories smallint[], p_sections text[],
        OUT part smallint, OUT seats integer[])
LANGUAGE plpgsql AS $$
BEGIN
    SELECT p.part INTO part FROM show_parts p
     WHERE p.show_id = p_show_id AND p.rank IS NOT NULL
       AND (p.total - p.booked >= p_count OR p_channel_id IS NOT NULL)
       AND NOT (p.part = ANY (p_tried))
     ORDER BY p.rank, p.part LIMIT 1
       FOR UPDATE SKIP LOCKED;
    IF part IS NULL THEN
        RETURN;
    END IF;
    seats := seats_best_block(p_show_id, part, p_count, p_accessible,
                              p_channel_id, p_categories, p_sections);
    IF seats IS NULL THEN
        RAISE SQLSTATE 'BK001';
    END IF;
EXCEPTION WHEN SQLSTATE 'BK001' THEN
    NULL;           -- the variables keep their values: part is set
END;
$$;

-- Best available: p_count seats chosen by the service (docs/seating.md,
-- "Best available"), then booked as book_seats_chosen() books them.
-- p_spec: {"together" (default true), "categories", "sections",
-- "accessible" (how many of the seats must be accessible places,
-- default 0)}.
--
-- Fast path: the parts in order of their rank, each taken only if
-- nobody holds it (SKIP LOCKED) and it has a block in one row: a
-- rival's part is passed over, never waited for, so a request does not
-- fail because a rival took its first choice. Slow path, holding no
-- part: every part locked in ascending order, lapsed holds released,
-- and the exact search of every step that together allows
-- (seats_search()). 409 not_enough_adjacent when seats remain but no
-- step finds them, sold_out when they do not (fewer free seats of those
-- asked, or fewer free accessible places than asked). A channel
-- (p_channel_id) is offered the seats kept for it too, so every part is
-- looked at for it: a part's count leaves its kept seats out.
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
    v_take     record;         -- seats_take_block(): part, seats
    v_tried    smallint[] := '{}';
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
        -- a name the layout lacks is the client's mistake, as a category
        -- is: answered at once, not searched for and refused as sold out
        IF NOT EXISTS (SELECT 1 FROM show_seating g,
                              jsonb_array_elements(g.layout->'sections') c
                        WHERE g.show_id = p_show_id
                          AND c->>'name' = ANY (v_secs)) THEN
            RETURN booking_none('unknown_section');
        END IF;
    END IF;

    LOOP
        v_take := seats_take_block(p_show_id, v_tried, p_count, v_acc,
                                   p_channel_id, v_cats, v_secs);
        v_seats := v_take.seats;
        EXIT WHEN v_take.part IS NULL OR v_seats IS NOT NULL;
        v_tried := v_tried || v_take.part;
    END LOOP;
    IF v_seats IS NULL THEN
        PERFORM show_parts_lock(p_show_id);
        LOOP
            EXIT WHEN (SELECT holds FROM release_lapsed_holds(p_show_id, 100)) = 0;
        END LOOP;
        v_seats := seats_search(p_show_id, p_count, v_acc, v_together,
                                p_channel_id, v_cats, v_secs);
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

-- seats_take_block() of the previous release, a part at a time: called
-- only by book_seats_best(), whose new definition replaces the old in
-- the same transaction, so no caller is left.
DROP FUNCTION IF EXISTS seats_take_block(bigint, smallint, integer,
    integer, bigint, smallint[], text[]);
