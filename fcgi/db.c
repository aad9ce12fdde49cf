/* The worker's PostgreSQL connection, its prepared statements, and their results. */

#include "db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define DB_RETRIES 3    /* attempts on deadlock or serialization failure */

enum db_exec_status {
    EXEC_OK = 0,
    EXEC_RETRY,         /* deadlock or serialization failure: run again */
    EXEC_UNAVAILABLE,   /* not run, or rolled back: the outcome is known */
    EXEC_LOST,          /* the connection broke mid-call: outcome unknown */
    EXEC_ERROR
};

enum db_stmt_id {
    ST_PING, ST_SHOW_CREATE, ST_SHOW_GET, ST_SHOW_LIST_FIRST,
    ST_SHOW_LIST_AFTER, ST_BOOKING_CREATE, ST_BOOKING_CONFIRM,
    ST_BOOKING_CANCEL, ST_BOOKING_GET, ST_HOLDS_EXPIRE, ST_IDEM_PRUNE,
    ST_EXPIRE_TOTALS, ST_COUNT
};

/* What may be done when the connection broke under a statement. */
enum db_rerun {
    DB_ONCE = 0,        /* never re-sent: its outcome is unknown */
    DB_RERUN,           /* same answer if run twice: re-sent once */
    DB_READ             /* a read: re-sent, and if lost again nothing
                           was done (unavailable, not unknown) */
};

struct db_stmt {
    const char   *name;
    const char   *sql;
    enum db_rerun rerun;
};

/*
 * Every statement the worker runs, prepared once per connection. Columns
 * of a show: id, name, start (µs since epoch), total_seats, booked_seats,
 * available seats. Columns of a booking (type booking_row in
 * sql/004_hold_functions.sql): outcome, id, show_id, seat_count, status,
 * created, expires, reason.
 */
/* A show's free seats: the sum over its parts (sql/008_show_parts.sql). */
#define SHOW_FREE \
    " CROSS JOIN LATERAL (SELECT coalesce(sum(total - booked), 0) AS free" \
    "                     FROM show_parts WHERE show_id = s.id) f"

/*
 * One show's lapsed holds, as lapsed_hold_seats() counts them, written
 * out: a function around a subquery is never inlined, and calling it
 * cost a third of GET /shows/{id}.
 */
#define SHOW_COLUMNS \
    "SELECT s.id, s.name, epoch_us(s.start_time), s.total_seats," \
    "       s.total_seats - f.free, f.free + l.seats" \
    " FROM shows s" SHOW_FREE \
    " CROSS JOIN LATERAL (SELECT coalesce(sum(seat_count), 0) AS seats" \
    "                     FROM bookings WHERE show_id = s.id" \
    "                      AND status = 'PENDING'" \
    "                      AND expires_at <= now()) l"

/*
 * A page of shows takes its lapsed holds from one pass over all lapsed
 * holds (few, and indexed), not from a probe per show: a 1000-show page
 * costs a quarter of the time.
 */
#define SHOW_PAGE \
    "SELECT s.id, s.name, epoch_us(s.start_time), s.total_seats," \
    "       s.total_seats - f.free, f.free + coalesce(l.seats, 0)" \
    " FROM shows s" SHOW_FREE \
    " LEFT JOIN (SELECT show_id, sum(seat_count) AS seats" \
    "            FROM bookings WHERE status = 'PENDING'" \
    "             AND expires_at <= now()" \
    "            GROUP BY show_id) l ON l.show_id = s.id"

static const struct db_stmt db_stmts[ST_COUNT] = {
    [ST_PING] = { "ping", "SELECT 1", DB_READ },
    /* Writes go through the *_keyed() functions of
     * sql/006_idempotency.sql: $1 is the Idempotency-Key or NULL, $2 and
     * $3 the request line and body that fingerprint it. */
    [ST_SHOW_CREATE] = { "show_create",
      "SELECT k.outcome, (k.r).id, (k.r).name, (k.r).start_us,"
      "       (k.r).total_seats, (k.r).booked_seats, (k.r).available_seats,"
      "       k.replayed"
      " FROM show_create_keyed($1::text, $2::text || E'\\n' || $3::text,"
      "                        $4::text,"            /* name */
      "                        $5::int8,"            /* start time */
      "                        $6::int4) k", DB_ONCE }, /* total seats */
    [ST_SHOW_GET] = { "show_get",
      SHOW_COLUMNS " WHERE s.id = $1::int8", DB_READ },
    [ST_SHOW_LIST_FIRST] = { "show_list_first",
      SHOW_PAGE " ORDER BY s.start_time, s.id LIMIT $1::int4", DB_READ },
    [ST_SHOW_LIST_AFTER] = { "show_list_after",
      SHOW_PAGE
      " WHERE (s.start_time, s.id) > (from_epoch_us($1::int8), $2::int8)"
      " ORDER BY s.start_time, s.id LIMIT $3::int4", DB_READ },
#define BOOKING_KEYED(op) \
      "SELECT (k.r).*, k.replayed" \
      " FROM booking_keyed($1::text, $2::text || E'\\n' || $3::text, '" op "'," \
      "                    $4::int8,"   /* show id (book), booking id */ \
      "                    $5::int4,"   /* seat count (book) */ \
      "                    $6::int4) k" /* hold seconds, NULL: confirm */
    [ST_BOOKING_CREATE] = { "booking_create", BOOKING_KEYED("book"), DB_ONCE },
    /* confirm and cancel answer the same when repeated */
    [ST_BOOKING_CONFIRM] = { "booking_confirm", BOOKING_KEYED("confirm"),
      DB_RERUN },
    [ST_BOOKING_CANCEL] = { "booking_cancel", BOOKING_KEYED("cancel"),
      DB_RERUN },
    [ST_BOOKING_GET] = { "booking_get",
      "SELECT (booking_view('ok', b)).* FROM bookings b WHERE id = $1::int8",
      DB_READ },
    [ST_HOLDS_EXPIRE] = { "holds_expire",
      "SELECT more, holds, seats FROM expire_holds($1::int4)", DB_RERUN },
    [ST_EXPIRE_TOTALS] = { "expire_totals",
      "SELECT holds FROM expire_totals", DB_READ },
    [ST_IDEM_PRUNE] = { "idem_prune", "SELECT idem_prune($1::int4)", DB_RERUN },
};

/* The outcome column of a booking_row, as the C enum. */
static const struct {
    const char      *name;
    enum book_result result;
} db_outcomes[] = {
    { "ok",        BOOK_OK },
    { "sold_out",  BOOK_SOLD_OUT },
    { "not_found", BOOK_NOT_FOUND },
    { "started",   BOOK_STARTED },
    { "expired",   BOOK_EXPIRED },
    { "failed",    BOOK_FAILED },
    { "cancelled", BOOK_CANCELLED },
    { "key_reused", BOOK_KEY_REUSED },
};

static const enum db_stmt_id db_book_stmts[] = {
    [BOOK_OP_CREATE]  = ST_BOOKING_CREATE,
    [BOOK_OP_CONFIRM] = ST_BOOKING_CONFIRM,
    [BOOK_OP_CANCEL]  = ST_BOOKING_CANCEL,
};

static int db_ready(struct db *db);
static int db_idle_ok(struct db *db);
static void db_notice(void *arg, const char *message);
static void db_drop(struct db *db);
static void db_set_error(struct db *db, const char *call, const char *msg);
static int db_session_set(struct db *db);
static enum db_exec_status db_classify(struct db *db, const char *stmt,
    PGresult *res);
static PGresult *db_exec(struct db *db, enum db_stmt_id id, int nparams,
    const char *const *params, enum db_exec_status *st);
static PGresult *db_exec_int(struct db *db, enum db_stmt_id id,
    int64_t arg, enum db_exec_status *st);
static PGresult *db_exec_keyed(struct db *db, enum db_stmt_id id,
    int keyed, int nparams, const char *const *params,
    enum db_exec_status *st);
static enum db_status db_status_of(enum db_exec_status st);
static int64_t db_int(const PGresult *res, int row, int col);
static void db_row_show(const PGresult *res, int row, struct db_show *out);
static void db_row_booking(const PGresult *res, int row,
    struct db_booking *out);


void
db_init(struct db *db, const struct config *cfg, const char *application_name)
{
    memset(db, 0, sizeof(*db));
    db->cfg = cfg;
    db->application_name = application_name;
}

void
db_cleanup(struct db *db)
{
    db_drop(db);
}

static void
db_drop(struct db *db)
{
    if (db->conn != NULL)
        PQfinish(db->conn);
    db->conn = NULL;
}

static void
db_set_error(struct db *db, const char *call, const char *msg)
{
    size_t n;

    snprintf(db->err, sizeof(db->err), "%s failed: %s", call,
        msg != NULL ? msg : "(no message)");
    n = strlen(db->err);
    while (n > 0 && (db->err[n - 1] == '\n' || db->err[n - 1] == ' '))
        db->err[--n] = '\0';
    /* one log line per event: libpq's DETAIL/HINT lines joined */
    while (n-- > 0)
        if (db->err[n] == '\n')
            db->err[n] = ' ';
}

/*
 * Per-session settings: a pinned search_path, so that no other schema
 * can shadow our tables, and timeouts below nginx's fastcgi_read_timeout,
 * so that a statement stuck on a lock is rolled back and answered 503
 * (a known outcome) instead of committing after nginx gave up on it.
 */
static int
db_session_set(struct db *db)
{
    char        stmt_ms[16], lock_ms[16];
    const char *params[] = { stmt_ms, lock_ms };
    PGresult   *res;
    int         ok;

    snprintf(stmt_ms, sizeof(stmt_ms), "%d", db->cfg->statement_timeout_ms);
    snprintf(lock_ms, sizeof(lock_ms), "%d", db->cfg->lock_timeout_ms);
    res = PQexecParams(db->conn,
        "SELECT pg_catalog.set_config('search_path', 'public', false),"
        "       pg_catalog.set_config('statement_timeout', $1, false),"
        "       pg_catalog.set_config('lock_timeout', $2, false)",
        2, NULL, params, NULL, NULL, 0);
    ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        db_set_error(db, "session settings", PQerrorMessage(db->conn));
    PQclear(res);
    return ok ? 0 : -1;
}

/* Is the connection up, as far as we know without a round trip? */
int
db_connected(const struct db *db)
{
    return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

/*
 * Open the connection, set the session up and prepare every statement.
 * The URL's own settings win over our defaults (dbname comes last, and
 * expand_dbname lets it carry any keyword). TCP keepalives and a user
 * timeout notice a peer that vanished without closing. Returns 0, or -1
 * with db->err set and no connection kept.
 */
int
db_connect(struct db *db)
{
    char        timeout[16];
    const char *keys[] = { "application_name", "connect_timeout",
                           "keepalives", "keepalives_idle",
                           "keepalives_interval", "keepalives_count",
                           "tcp_user_timeout", "dbname", NULL };
    const char *vals[] = { db->application_name, timeout, "1", "10", "5",
                           "3", "20000", db->cfg->database_url, NULL };
    PGresult   *res;
    size_t      i;

    db_drop(db);
    db->sqlstate[0] = '\0';
    snprintf(timeout, sizeof(timeout), "%d", db->cfg->db_connect_timeout);
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        db_set_error(db, "PQconnectdbParams",
            db->conn != NULL ? PQerrorMessage(db->conn) : "out of memory");
        goto fail;
    }
    PQsetNoticeProcessor(db->conn, db_notice, db);
    if (db_session_set(db) < 0)
        goto fail;
    for (i = 0; i < ST_COUNT; i++) {
        res = PQprepare(db->conn, db_stmts[i].name, db_stmts[i].sql, 0, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            char call[64];
            snprintf(call, sizeof(call), "PQprepare(\"%s\")", db_stmts[i].name);
            db_set_error(db, call, PQerrorMessage(db->conn));
            PQclear(res);
            goto fail;
        }
        PQclear(res);
    }
    return 0;

fail:
    db_drop(db);
    return -1;
}

/*
 * Is the idle connection still good? A server that restarted or ended
 * our session has sent its last words and closed the socket while we
 * were idle: the socket is then readable, and reading it to the end
 * (twice: the message, then EOF) tells libpq so. The common case costs
 * one poll().
 */
static int
db_idle_ok(struct db *db)
{
    struct pollfd pfd = { PQsocket(db->conn), POLLIN, 0 };

    if (PQstatus(db->conn) != CONNECTION_OK)
        return 0;
    if (poll(&pfd, 1, 0) == 0)
        return 1;
    return PQconsumeInput(db->conn) != 0 && PQconsumeInput(db->conn) != 0
        && PQstatus(db->conn) == CONNECTION_OK;
}

/*
 * Make sure there is a working connection, so that a request is sent on
 * a fresh connection rather than into a dead one. After a failed
 * connect the next attempt waits a second, so that while PostgreSQL is
 * down every request is answered at once instead of waiting on
 * connect_timeout.
 */
static int
db_ready(struct db *db)
{
    time_t now;

    if (db->conn != NULL && db_idle_ok(db))
        return 0;
    db_drop(db);
    now = time(NULL);
    if (now < db->next_connect) {
        snprintf(db->err, sizeof(db->err), "database unavailable "
            "(next reconnect attempt in %llds)",
            (long long) (db->next_connect - now));
        return -1;
    }
    if (db_connect(db) < 0) {
        db->errors++;
        db->next_connect = time(NULL) + 1;
        return -1;
    }
    db->reconnects++;
    return 0;
}

/* Server notices (and its last words before it closes) as one log line. */
static void
db_notice(void *arg, const char *message)
{
    struct db *db = arg;
    char       line[DB_ERR_LEN];
    size_t     n;

    snprintf(line, sizeof(line), "%s", message);
    for (n = 0; line[n] != '\0'; n++)
        if (line[n] == '\n')
            line[n] = ' ';
    fprintf(stderr, "%s: postgres: %s\n", db->application_name, line);
}

/*
 * Sort a failed result into retry (deadlock, serialization), unavailable
 * (connection lost, server shutting down or overloaded, timeouts) or a
 * plain error. Keeps libpq's text and the SQLSTATE in db for the log.
 */
static enum db_exec_status
db_classify(struct db *db, const char *stmt, PGresult *res)
{
    const char *state = res != NULL
        ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char        call[64];

    db->errors++;
    snprintf(call, sizeof(call), "PQexecPrepared(\"%s\")", stmt);
    db_set_error(db, call, PQerrorMessage(db->conn));
    snprintf(db->sqlstate, sizeof(db->sqlstate), "%s",
        state != NULL ? state : "");

    if (PQstatus(db->conn) != CONNECTION_OK) {
        db_drop(db);
        return EXEC_LOST;
    }
    if (state == NULL)
        return EXEC_ERROR;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return EXEC_RETRY;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0
        || strncmp(state, "57P", 3) == 0 || strcmp(state, "57014") == 0
        || strcmp(state, "55P03") == 0)
        return EXEC_UNAVAILABLE;
    return EXEC_ERROR;
}

static PGresult *
db_exec(struct db *db, enum db_stmt_id id, int nparams,
    const char *const *params, enum db_exec_status *st)
{
    return db_exec_keyed(db, id, 0, nparams, params, st);
}

/* Run a statement whose one parameter is an integer (an id, a limit). */
static PGresult *
db_exec_int(struct db *db, enum db_stmt_id id, int64_t arg,
    enum db_exec_status *st)
{
    char        value[24];
    const char *params[] = { value };

    snprintf(value, sizeof(value), "%lld", (long long) arg);
    return db_exec(db, id, 1, params, st);
}

/*
 * Run a prepared statement that returns rows. Returns the result (caller
 * PQclears it) with *st = EXEC_OK, or NULL with *st saying why. When the
 * connection broke under a statement that may be re-run (it answers the
 * same twice, or it carries an idempotency key: keyed), it is sent once
 * more on a fresh connection; for any other, the outcome is unknown.
 */
static PGresult *
db_exec_keyed(struct db *db, enum db_stmt_id id, int keyed, int nparams,
    const char *const *params, enum db_exec_status *st)
{
    PGresult *res;
    int       tries = db_stmts[id].rerun || keyed ? 2 : 1;

    do {
        if (db_ready(db) < 0) {
            *st = EXEC_UNAVAILABLE;
            return NULL;
        }
        db->sqlstate[0] = '\0';
        res = PQexecPrepared(db->conn, db_stmts[id].name, nparams, params,
            NULL, NULL, 0);
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            *st = EXEC_OK;
            return res;
        }
        *st = db_classify(db, db_stmts[id].name, res);
        PQclear(res);
    } while (*st == EXEC_LOST && --tries > 0);
    /* a read lost twice changed nothing: 503 with Retry-After */
    if (*st == EXEC_LOST && db_stmts[id].rerun == DB_READ)
        *st = EXEC_UNAVAILABLE;
    return NULL;
}

static enum db_status
db_status_of(enum db_exec_status st)
{
    switch (st) {
    case EXEC_OK:          return DB_OK;
    case EXEC_UNAVAILABLE: return DB_UNAVAILABLE;
    case EXEC_RETRY:       return DB_UNAVAILABLE;
    case EXEC_LOST:        return DB_UNKNOWN;
    default:               return DB_ERROR;
    }
}

/* Integer column of a row we asked for; PostgreSQL's text is trusted. */
static int64_t
db_int(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void
db_row_show(const PGresult *res, int row, struct db_show *out)
{
    out->id = db_int(res, row, 0);
    snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(res, row, 1));
    out->start_us = db_int(res, row, 2);
    out->total_seats = db_int(res, row, 3);
    out->booked_seats = db_int(res, row, 4);
    out->available_seats = db_int(res, row, 5);
}

static void
db_row_booking(const PGresult *res, int row, struct db_booking *out)
{
    out->id = db_int(res, row, 1);
    out->show_id = db_int(res, row, 2);
    out->seat_count = db_int(res, row, 3);
    snprintf(out->status, sizeof(out->status), "%s", PQgetvalue(res, row, 4));
    out->created_us = db_int(res, row, 5);
    out->has_expires = !PQgetisnull(res, row, 6);
    out->expires_us = out->has_expires ? db_int(res, row, 6) : 0;
    snprintf(out->reason, sizeof(out->reason), "%s", PQgetvalue(res, row, 7));
}

enum db_status
db_ping(struct db *db)
{
    enum db_exec_status st;
    PGresult           *res = db_exec(db, ST_PING, 0, NULL, &st);

    PQclear(res);
    return db_status_of(st);
}

/* The holds booking-expire has released, ever (sql/010_expire_totals.sql). */
enum db_status
db_expire_totals(struct db *db, int64_t *holds)
{
    enum db_exec_status st;
    PGresult           *res = db_exec(db, ST_EXPIRE_TOTALS, 0, NULL, &st);

    if (res != NULL && PQntuples(res) == 1)
        *holds = db_int(res, 0, 0);
    else if (res != NULL)
        st = EXEC_ERROR;
    PQclear(res);
    return db_status_of(st);
}

/*
 * Create a show, under idem's key when it has one. DB_KEY_REUSED when the
 * key came with another request; idem->replayed when *out is the stored
 * result of an earlier request with the key.
 */
enum db_status
db_show_create(struct db *db, struct db_idem *idem, const char *name,
    int64_t start_us, int64_t total_seats, struct db_show *out)
{
    char                start[24], total[24];
    const char         *params[] = { idem->key, idem->request, idem->body,
                                     name, start, total };
    enum db_exec_status st;
    PGresult           *res;

    snprintf(start, sizeof(start), "%lld", (long long) start_us);
    snprintf(total, sizeof(total), "%lld", (long long) total_seats);
    res = db_exec_keyed(db, ST_SHOW_CREATE, idem->key != NULL, 6, params,
        &st);
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
    snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(res, 0, 2));
    out->start_us = db_int(res, 0, 3);
    out->total_seats = db_int(res, 0, 4);
    out->booked_seats = db_int(res, 0, 5);
    out->available_seats = db_int(res, 0, 6);
    PQclear(res);
    return DB_OK;
}

enum db_status
db_show_get(struct db *db, int64_t id, struct db_show *out)
{
    enum db_exec_status st;
    enum db_status      ret;
    PGresult           *res = db_exec_int(db, ST_SHOW_GET, id, &st);

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
    const char         *params[] = { start, id, lim };
    enum db_exec_status st;
    struct db_show      show;
    PGresult           *res;
    int                 i;

    snprintf(start, sizeof(start), "%lld", (long long) after_start_us);
    snprintf(id, sizeof(id), "%lld", (long long) after_id);
    snprintf(lim, sizeof(lim), "%d", limit);
    if (has_cursor)
        res = db_exec(db, ST_SHOW_LIST_AFTER, 3, params, &st);
    else
        res = db_exec(db, ST_SHOW_LIST_FIRST, 1, params + 2, &st);
    for (i = 0; res != NULL && i < PQntuples(res); i++) {
        db_row_show(res, i, &show);
        if (fn(&show, arg) != 0)
            break;
    }
    PQclear(res);
    return db_status_of(st);
}

/*
 * Run one booking transaction, op (book, confirm, cancel), in one round
 * trip: book_seats(), confirm_booking() and cancel_booking() in
 * sql/004_hold_functions.sql hold the locking, booking_keyed() in
 * sql/006_idempotency.sql the key. id is the show for a booking, else
 * the booking; seats and hold_seconds (0: confirm at once) are for
 * booking only. A deadlock or serialization failure is retried up to
 * DB_RETRIES times: the call is atomic, so a failed attempt left nothing
 * behind. *out is filled whenever the outcome names a booking, and
 * idem->replayed says whether it is the stored result of an earlier
 * request with the same key.
 */
enum book_result
db_booking_run(struct db *db, struct db_idem *idem, enum book_op op,
    int64_t id, int64_t seats, int hold_seconds, struct db_booking *out)
{
    char                sid[24], nseats[24], hold[16];
    const char         *params[] = { idem->key, idem->request, idem->body,
                                     sid, nseats,
                                     hold_seconds > 0 ? hold : NULL };
    enum db_stmt_id     stmt = db_book_stmts[op];
    enum db_exec_status st = EXEC_RETRY;
    enum book_result    ret = BOOK_DB_ERROR;
    PGresult           *res = NULL;
    const char         *outcome;
    size_t              i;
    int                 attempt;

    snprintf(sid, sizeof(sid), "%lld", (long long) id);
    snprintf(nseats, sizeof(nseats), "%lld", (long long) seats);
    snprintf(hold, sizeof(hold), "%d", hold_seconds);
    for (attempt = 0; attempt < DB_RETRIES && st == EXEC_RETRY; attempt++)
        res = db_exec_keyed(db, stmt, idem->key != NULL, 6, params, &st);
    if (res == NULL) {
        ret = st == EXEC_ERROR ? BOOK_DB_ERROR
            : st == EXEC_LOST ? BOOK_UNKNOWN : BOOK_UNAVAILABLE;
        goto out;
    }
    if (PQntuples(res) != 1 || PQnfields(res) != 9) {
        snprintf(db->err, sizeof(db->err), "%s returned %d rows of %d "
            "columns", db_stmts[stmt].name, PQntuples(res), PQnfields(res));
        goto out;
    }
    outcome = PQgetvalue(res, 0, 0);
    for (i = 0; i < sizeof(db_outcomes) / sizeof(db_outcomes[0]); i++)
        if (strcmp(outcome, db_outcomes[i].name) == 0)
            ret = db_outcomes[i].result;
    if (ret == BOOK_DB_ERROR)
        snprintf(db->err, sizeof(db->err), "%s: unknown outcome \"%s\"",
            db_stmts[stmt].name, outcome);
    else if (!PQgetisnull(res, 0, 1))
        db_row_booking(res, 0, out);
    idem->replayed = strcmp(PQgetvalue(res, 0, 8), "t") == 0;

out:
    PQclear(res);
    return ret;
}

/*
 * One sweeper batch: release up to limit lapsed holds of one show.
 * *more is 0 once no lapsed hold is left.
 */
enum db_status
db_holds_expire(struct db *db, int limit, int *more, int64_t *holds,
    int64_t *seats)
{
    enum db_exec_status st;
    PGresult           *res = db_exec_int(db, ST_HOLDS_EXPIRE, limit, &st);

    if (res != NULL && PQntuples(res) == 1) {
        *more = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        *holds = db_int(res, 0, 1);
        *seats = db_int(res, 0, 2);
    } else if (res != NULL) {
        st = EXEC_ERROR;
    }
    PQclear(res);
    return db_status_of(st);
}

enum db_status
db_booking_get(struct db *db, int64_t id, struct db_booking *out)
{
    enum db_exec_status st;
    enum db_status      ret;
    PGresult           *res = db_exec_int(db, ST_BOOKING_GET, id, &st);

    ret = db_status_of(st);
    if (res != NULL && PQntuples(res) == 1)
        db_row_booking(res, 0, out);
    else if (res != NULL)
        ret = DB_NOT_FOUND;
    PQclear(res);
    return ret;
}

/* booking-expire's clean-up: delete up to limit keys older than 24 h. */
enum db_status
db_idem_prune(struct db *db, int limit, int64_t *pruned)
{
    enum db_exec_status st;
    PGresult           *res = db_exec_int(db, ST_IDEM_PRUNE, limit, &st);

    *pruned = res != NULL && PQntuples(res) == 1 ? db_int(res, 0, 0) : 0;
    PQclear(res);
    return db_status_of(st);
}
