/* A seated show's seats in the database: blocking and unblocking them (admin). */

#include "db.h"
#include "db_exec.h"

#include <stdio.h>
#include <string.h>

enum { SEATS_BLOCK };

const struct db_stmt db_stmts_seats[] = {
    /* seats_block() (sql/functions/61_seat_blocks.sql): one row a seat;
     * the same seats in the same state when run twice */
    [SEATS_BLOCK] = { "seats_block",
      "SELECT outcome, label, state, channel_id"
      " FROM seats_block($1::int8,"     /* the show */
      "                  $2::text[],"   /* the seats' labels */
      "                  $3::bool,"     /* block, or unblock */
      "                  $4::int8)",    /* kept for it; NULL: not for sale */
      DB_RERUN },
    { NULL, NULL, DB_ONCE }
};

/* The outcome column, as the C enum. */
static const char *const db_seats_outcomes[SEATS_RESULTS] = {
    [SEATS_OK]              = "ok",
    [SEATS_NOT_FOUND]       = "not_found",
    [SEATS_NOT_SEATED]      = "not_seated",
    [SEATS_UNKNOWN_SEATS]   = "unknown_seats",
    [SEATS_TAKEN]           = "seats_taken",
    [SEATS_UNKNOWN_CHANNEL] = "unknown_channel",
};

/*
 * Block (block != 0) the seats of show show_id labelled labels (a
 * PostgreSQL array literal), kept for channel channel_id (0: not for
 * sale), or unblock them: all or nothing, in one transaction. *result
 * says what came of it; fn is called for each seat the answer names,
 * in seat order: with SEATS_OK every seat asked for as it is now, with
 * SEATS_UNKNOWN_SEATS the labels the show lacks, with SEATS_TAKEN the
 * seats held or sold. Safe to run again (DB_RERUN): the seats end in
 * the same states.
 */
enum db_status
db_seats_block(struct db *db, int64_t show_id, const char *labels,
    int block, int64_t channel_id, enum seats_result *result,
    db_seat_fn *fn, void *arg)
{
    char                sid[24], chan[24];
    const char         *params[] = { sid, labels, block ? "t" : "f",
                                     channel_id > 0 ? chan : NULL };
    enum db_exec_status st;
    enum db_status      ret;
    struct db_seat      seat;
    PGresult           *res;
    int                 i, r;

    snprintf(sid, sizeof(sid), "%lld", (long long) show_id);
    snprintf(chan, sizeof(chan), "%lld", (long long) channel_id);
    res = db_exec(db, &db_stmts_seats[SEATS_BLOCK], 4, params, &st);
    ret = db_status_of(st);
    if (res == NULL)
        return ret;
    if (PQntuples(res) < 1 || PQnfields(res) != 4) {
        snprintf(db->err, sizeof(db->err), "seats_block returned %d rows "
            "of %d columns", PQntuples(res), PQnfields(res));
        PQclear(res);
        return DB_ERROR;
    }
    ret = DB_ERROR;
    for (r = 0; r < SEATS_RESULTS; r++)
        if (strcmp(PQgetvalue(res, 0, 0), db_seats_outcomes[r]) == 0) {
            *result = (enum seats_result) r;
            ret = DB_OK;
        }
    if (ret != DB_OK)
        snprintf(db->err, sizeof(db->err), "seats_block: unknown outcome "
            "\"%s\"", PQgetvalue(res, 0, 0));
    for (i = 0; ret == DB_OK && i < PQntuples(res); i++) {
        if (PQgetisnull(res, i, 1))
            continue;
        seat.label = PQgetvalue(res, i, 1);
        seat.state = PQgetisnull(res, i, 2) ? 0 : PQgetvalue(res, i, 2)[0];
        seat.channel_id = PQgetisnull(res, i, 3) ? 0 : db_int(res, i, 3);
        if (fn(&seat, arg) != 0)
            break;
    }
    PQclear(res);
    return ret;
}
