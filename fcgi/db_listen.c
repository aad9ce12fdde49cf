/* LISTEN seat_events on a connection of its own, pass on what it hears, and look at lapsed holds (booking-events). */

#include "db_listen.h"
#include "db_exec.h"

#include <stdio.h>

/* The channel the triggers of migration 020 notify. */
static const char db_listen_sql[] = "LISTEN seat_events";

/* One batch of the seated holds that lapsed (sql/functions/65_seat_events.sql). */
static const char db_listen_lapsed_sql[] =
    "SELECT payload, until_us, until_id, wait_ms"
    "  FROM seat_events_lapsed($1::int8, $2::int8, $3::int4)";

static void db_listen_error(struct db *db, const char *call, int timed_out);

/* Keep why a statement of this file failed, as db.c keeps its own. */
static void
db_listen_error(struct db *db, const char *call, int timed_out)
{
    db_set_error(db, call, timed_out ? "no answer within REQUEST_DEADLINE_MS"
        : db->conn != NULL ? PQerrorMessage(db->conn) : NULL);
}

/*
 * Connect (db_connect(): the session settings, a server that takes
 * writes, where the triggers run) and LISTEN, all within
 * REQUEST_DEADLINE_MS. A LISTEN takes effect at once (outside a
 * transaction), and nothing committed before it is heard: the caller
 * tells the browsers to resynchronise after each start. Returns 0, or
 * -1 with db->err set and no connection kept.
 */
int
db_listen_start(struct db *db)
{
    PGresult *res = NULL;
    int       ok = 0, timed_out = 0;

    db_request_begin(db, db_now_ms() + db->cfg->deadline_ms);
    if (db_connect(db) < 0)
        goto out;
    if (PQsendQuery(db->conn, db_listen_sql)) {
        res = db_collect(db, &timed_out);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    }
    if (!ok)
        db_listen_error(db, "PQsendQuery(\"LISTEN seat_events\")", timed_out);

out:
    PQclear(res);
    db_request_begin(db, 0);
    if (!ok)
        db_cleanup(db);
    return ok ? 0 : -1;
}

/*
 * The connection's socket was readable: read what the server sent and
 * call fn with each notification's payload, in the order they came (the
 * order of their transactions' commits). Returns 0 while the connection
 * is up, or -1 once it ended (the server's last words, or the end of
 * the stream: a restart, a lost network), with db->err set and the
 * connection dropped.
 */
int
db_listen_read(struct db *db, db_listen_fn *fn, void *arg)
{
    PGnotify *n;
    int       up;

    up = PQconsumeInput(db->conn) != 0;
    while ((n = PQnotifies(db->conn)) != NULL) {
        fn(n->extra, arg);
        PQfreemem(n);
    }
    if (up && PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    db_set_error(db, "PQconsumeInput", PQerrorMessage(db->conn));
    db_cleanup(db);
    return -1;
}

/*
 * Look at the seated holds whose deadline passed since cur, by the
 * database's clock, at most limit of them, within REQUEST_DEADLINE_MS:
 * fn gets each show's payload (its seats free, or its resync), cur
 * moves past them, and *wait_ms is how long until the next look is due
 * (0: more are due now; -1: no seated hold is pending). A first look on
 * a connection (cur->started 0) announces nothing and starts from now.
 * Notifications that came with the answer wait in libpq: the caller
 * reads them next (db_listen_read()), since the socket will not wake
 * its poll() for them.
 *
 * Returns 0; 1 when the statement failed on a connection that is still
 * up (db->err set; the function missing, say); -1 when the connection
 * ended (db->err set, the connection dropped).
 */
int
db_listen_lapsed(struct db *db, struct db_lapse *cur, int limit,
    db_listen_fn *fn, void *arg, int64_t *wait_ms)
{
    char        after_us[24], after_id[24], max[16];
    const char *params[] = {
        cur->started ? after_us : NULL,     /* $1: the cursor's deadline */
        cur->started ? after_id : NULL,     /* $2: and id */
        max                                 /* $3: holds in the batch */
    };
    PGresult   *res = NULL;
    int         rc = 1, timed_out = 0, i;

    snprintf(after_us, sizeof(after_us), "%lld", (long long) cur->after_us);
    snprintf(after_id, sizeof(after_id), "%lld", (long long) cur->after_id);
    snprintf(max, sizeof(max), "%d", limit);
    db_request_begin(db, db_now_ms() + db->cfg->deadline_ms);
    if (PQsendQueryParams(db->conn, db_listen_lapsed_sql, 3, NULL, params,
                          NULL, NULL, 0))
        res = db_collect(db, &timed_out);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1) {
        db_listen_error(db, "PQsendQueryParams(\"seat_events_lapsed\")",
            timed_out);
        goto out;
    }
    for (i = 0; i < PQntuples(res); i++)
        if (!PQgetisnull(res, i, 0))
            fn(PQgetvalue(res, i, 0), arg);
    cur->started = 1;
    cur->after_us = db_int(res, 0, 1);
    cur->after_id = db_int(res, 0, 2);
    *wait_ms = PQgetisnull(res, 0, 3) ? -1 : db_int(res, 0, 3);
    rc = 0;

out:
    PQclear(res);
    db_request_begin(db, 0);
    if (rc != 0 && !db_connected(db)) {
        db_cleanup(db);
        rc = -1;
    }
    return rc;
}
