/* LISTEN seat_events on a connection of its own, and pass on what it hears (booking-events). */

#include "db_listen.h"
#include "db_exec.h"

/* The channel the triggers of migration 020 notify. */
static const char db_listen_sql[] = "LISTEN seat_events";

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
        db_set_error(db, "PQsendQuery(\"LISTEN seat_events\")", timed_out
            ? "no answer within REQUEST_DEADLINE_MS"
            : db->conn != NULL ? PQerrorMessage(db->conn) : NULL);

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
