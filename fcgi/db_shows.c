/* Shows in the database: create, read one, read a page. */

#include "db.h"
#include "db_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Columns of a show: id, name, start (µs since epoch), total_seats,
 * booked_seats, available seats. A show's free seats are the sum over
 * its parts (show_parts).
 */
#define SHOW_FREE \
    " CROSS JOIN LATERAL (SELECT coalesce(sum(total - booked), 0) AS free" \
    "                     FROM show_parts WHERE show_id = s.id) f"

/*
 * One show's lapsed holds, as lapsed_hold_seats() counts them (the seats
 * they hold in the parts' counts, part_seats: a seat the admin blocked
 * and then sold is counted as blocked, not in the booking's part), written
 * out: a function around a subquery is never inlined, and calling it
 * cost a third of GET /shows/{id}.
 */
#define SHOW_COLUMNS \
    "SELECT s.id, s.name, epoch_us(s.start_time), s.total_seats," \
    "       s.total_seats - f.free, f.free + l.seats," \
    "       s.max_seats_per_customer" \
    " FROM shows s" SHOW_FREE \
    " CROSS JOIN LATERAL (SELECT coalesce(sum((SELECT sum(n)" \
    "                         FROM unnest(part_seats) n)), 0) AS seats" \
    "                     FROM bookings WHERE show_id = s.id" \
    "                      AND status = 'PENDING'" \
    "                      AND expires_at <= now()) l"

/*
 * A page of shows: the shows in (start_time, id) order, merged with
 * their parts read in the same order from show_parts' index on
 * (start_time, show_id) and summed as they stream by (migration 021),
 * not looked up one show at a time: each side stops after the page's
 * rows, since every show has parts. Lapsed holds come from one pass over
 * all lapsed holds (few, and indexed). $1 the page's rows; with
 * SHOW_PAGE_AFTER, $2 and $3 the cursor (start time in µs, id).
 */
#define SHOW_PAGE(after_s, after_p) \
    "WITH l AS MATERIALIZED (" \
    "  SELECT show_id, sum((SELECT sum(n) FROM unnest(part_seats) n))" \
    "         AS seats FROM bookings" \
    "   WHERE status = 'PENDING' AND expires_at <= now()" \
    "   GROUP BY show_id)" \
    "SELECT s.id, s.name, epoch_us(s.start_time), s.total_seats," \
    "       s.total_seats - f.free, f.free + coalesce(l.seats, 0)," \
    "       s.max_seats_per_customer" \
    " FROM (SELECT id, name, start_time, total_seats, max_seats_per_customer" \
    "         FROM shows" after_s \
    "        ORDER BY start_time, id LIMIT $1::int4) s" \
    " JOIN (SELECT start_time, show_id, sum(total - booked) AS free" \
    "         FROM show_parts" after_p \
    "        GROUP BY start_time, show_id" \
    "        ORDER BY start_time, show_id LIMIT $1::int4) f" \
    "   ON f.start_time = s.start_time AND f.show_id = s.id" \
    " LEFT JOIN l ON l.show_id = s.id" \
    " ORDER BY s.start_time, s.id"
#define SHOW_PAGE_AFTER(col) \
    " WHERE (start_time, " col ") > (from_epoch_us($2::int8), $3::int8)"

enum { SHOW_CREATE, SHOW_CREATE_SEATED, SHOW_SEAT_MAP, SHOW_GET,
       SHOW_LIST_FIRST, SHOW_LIST_AFTER };

const struct db_stmt db_stmts_shows[] = {
    /* show_create_keyed(): $1 is the Idempotency-Key or NULL, $2 and $3
     * the request line and body that fingerprint it. */
    [SHOW_CREATE] = { "show_create",
      "SELECT k.outcome, (k.r).id, (k.r).name, (k.r).start_us,"
      "       (k.r).total_seats, (k.r).booked_seats, (k.r).available_seats,"
      "       k.replayed"
      " FROM show_create_keyed($1::text, $2::text || E'\\n' || $3::text,"
      "                        $4::text,"            /* name */
      "                        $5::int8,"            /* start time */
      "                        $6::int4,"            /* total seats */
      "                        $7::int4) k", DB_ONCE }, /* cap per customer */
    /* the same for a seated show: $6 its normalized layout */
    [SHOW_CREATE_SEATED] = { "show_create_seated",
      "SELECT k.outcome, (k.r).id, (k.r).name, (k.r).start_us,"
      "       (k.r).total_seats, (k.r).booked_seats, (k.r).available_seats,"
      "       k.replayed"
      " FROM show_create_seated_keyed($1::text,"
      "                               $2::text || E'\\n' || $3::text,"
      "                               $4::text, $5::int8, $6::jsonb,"
      "                               $7::int4) k", DB_ONCE },
    /* a show's seat map: no row for an unknown show, a NULL layout for
     * one sold by count (seat_map(), sql/functions/60_seating.sql),
     * and its standing areas' places now (63_standing.sql) */
    [SHOW_SEAT_MAP] = { "show_seat_map",
      "SELECT m.layout::text, m.states, standing_map(s.id)::text"
      "  FROM shows s"
      "  LEFT JOIN LATERAL seat_map(s.id) m ON true"
      " WHERE s.id = $1::int8", DB_READ },
    [SHOW_GET] = { "show_get",
      SHOW_COLUMNS " WHERE s.id = $1::int8", DB_READ },
    [SHOW_LIST_FIRST] = { "show_list_first", SHOW_PAGE("", ""), DB_READ },
    [SHOW_LIST_AFTER] = { "show_list_after",
      SHOW_PAGE(SHOW_PAGE_AFTER("id"), SHOW_PAGE_AFTER("show_id")), DB_READ },
    { NULL, NULL, DB_ONCE }
};

static void db_row_show(const PGresult *res, int row, struct db_show *out);

static void
db_row_show(const PGresult *res, int row, struct db_show *out)
{
    out->id = db_int(res, row, 0);
    db_copy_text(res, row, 1, out->name, sizeof(out->name));
    out->start_us = db_int(res, row, 2);
    out->total_seats = db_int(res, row, 3);
    out->booked_seats = db_int(res, row, 4);
    out->available_seats = db_int(res, row, 5);
    out->max_per_customer = PQgetisnull(res, row, 6) ? 0 : db_int(res, row, 6);
}

/*
 * Create a show, under idem's key when it has one. DB_KEY_REUSED when the
 * key came with another request; idem->replayed when *out is the stored
 * result of an earlier request with the key.
 */
enum db_status
db_show_create(struct db *db, struct db_idem *idem, const char *name,
    int64_t start_us, int64_t total_seats, const char *layout,
    int64_t max_per_customer, struct db_show *out)
{
    char                start[24], total[24], cap[24];
    const char         *params[] = { idem->key, idem->request, idem->body,
                                     name, start,
                                     layout != NULL ? layout : total,
                                     max_per_customer > 0 ? cap : NULL };
    enum db_exec_status st;
    PGresult           *res;

    snprintf(start, sizeof(start), "%lld", (long long) start_us);
    snprintf(total, sizeof(total), "%lld", (long long) total_seats);
    snprintf(cap, sizeof(cap), "%lld", (long long) max_per_customer);
    res = db_exec_keyed(db, &db_stmts_shows[layout != NULL
                                            ? SHOW_CREATE_SEATED
                                            : SHOW_CREATE],
        idem->key != NULL, 7, params, &st);
    if (res == NULL || PQntuples(res) != 1) {
        PQclear(res);
        return res != NULL ? DB_ERROR : db_status_of(st);
    }
    idem->replayed = strcmp(PQgetvalue(res, 0, 7), "t") == 0;
    if (strcmp(PQgetvalue(res, 0, 0), "key_reused") == 0) {
        PQclear(res);
        return DB_KEY_REUSED;
    }
    /* columns 1..6 are a show, as db_row_show() reads from 0 */
    out->id = db_int(res, 0, 1);
    db_copy_text(res, 0, 2, out->name, sizeof(out->name));
    out->start_us = db_int(res, 0, 3);
    out->total_seats = db_int(res, 0, 4);
    out->booked_seats = db_int(res, 0, 5);
    out->available_seats = db_int(res, 0, 6);
    out->max_per_customer = max_per_customer;   /* as the request said */
    PQclear(res);
    return DB_OK;
}

enum db_status
db_show_get(struct db *db, int64_t id, struct db_show *out)
{
    enum db_exec_status st;
    enum db_status      ret;
    PGresult           *res = db_exec_int(db, &db_stmts_shows[SHOW_GET], id,
        &st);

    ret = db_status_of(st);
    if (res != NULL && PQntuples(res) == 1)
        db_row_show(res, 0, out);
    else if (res != NULL)
        ret = DB_NOT_FOUND;
    PQclear(res);
    return ret;
}

/*
 * Call fn for up to limit shows in (start_time, id) order, starting after
 * the cursor when has_cursor. Stops early if fn returns non-zero.
 */
enum db_status
db_show_list(struct db *db, int has_cursor, int64_t after_start_us,
    int64_t after_id, int limit, db_show_fn *fn, void *arg)
{
    char                start[24], id[24], lim[16];
    const char         *params[] = { lim, start, id };
    enum db_exec_status st;
    struct db_show      show;
    PGresult           *res;
    int                 i;

    snprintf(lim, sizeof(lim), "%d", limit);
    snprintf(start, sizeof(start), "%lld", (long long) after_start_us);
    snprintf(id, sizeof(id), "%lld", (long long) after_id);
    if (has_cursor)
        res = db_exec(db, &db_stmts_shows[SHOW_LIST_AFTER], 3, params, &st);
    else
        res = db_exec(db, &db_stmts_shows[SHOW_LIST_FIRST], 1, params, &st);
    for (i = 0; res != NULL && i < PQntuples(res); i++) {
        db_row_show(res, i, &show);
        if (fn(&show, arg) != 0)
            break;
    }
    PQclear(res);
    return db_status_of(st);
}

/*
 * GET /shows/{id}/seats: the show's normalized layout, its seats'
 * states, and its standing areas with their free places now (a JSON
 * array, "[]" without areas; all three malloc'd, the caller frees
 * them). DB_NOT_FOUND for an unknown show; DB_OK with *layout NULL for
 * one sold by count.
 */
enum db_status
db_seat_map(struct db *db, int64_t id, char **layout, char **states,
    char **standing)
{
    enum db_exec_status st;
    enum db_status      ret;
    PGresult           *res;

    *layout = *states = *standing = NULL;
    res = db_exec_int(db, &db_stmts_shows[SHOW_SEAT_MAP], id, &st);
    ret = db_status_of(st);
    if (res != NULL && PQntuples(res) == 0)
        ret = DB_NOT_FOUND;
    else if (res != NULL && !PQgetisnull(res, 0, 0)) {
        *layout = strdup(PQgetvalue(res, 0, 0));
        *states = strdup(PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1));
        *standing = strdup(PQgetisnull(res, 0, 2) ? "[]"
                                                  : PQgetvalue(res, 0, 2));
        if (*layout == NULL || *states == NULL || *standing == NULL) {
            free(*layout);
            free(*states);
            free(*standing);
            *layout = *states = *standing = NULL;
            ret = DB_ERROR;
        }
    }
    PQclear(res);
    return ret;
}
