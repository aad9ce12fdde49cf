/* The worker's PostgreSQL connection: connect, prepare, run, sort failures. */

#include "db.h"
#include "db_exec.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every statement the worker runs, prepared once per connection. */
static const struct db_stmt *const db_stmt_sets[] = {
    db_stmts_core, db_stmts_shows, db_stmts_bookings, db_stmts_channels,
    db_stmts_expire, db_stmts_seats,
};

const struct db_stmt db_stmts_core[] = {
    /* whether this server takes writes: a standby, or one made read-only */
    { "ping", "SELECT pg_catalog.pg_is_in_recovery()"
              " OR pg_catalog.current_setting('transaction_read_only')::bool",
      DB_READ },
    { NULL, NULL, DB_ONCE }
};

static int db_ready(struct db *db);
static int db_idle_ok(struct db *db);
static void db_notice(void *arg, const char *message);
static void db_drop(struct db *db);
static int db_session_set(struct db *db);
static int db_prepare(struct db *db, const struct db_stmt *stmt);
static int db_connect_poll(struct db *db);
static int db_reconnect(struct db *db);
static int64_t db_left(const struct db *db);
static int db_wait(struct db *db, short events, short *revents);
static void db_abandon(struct db *db);
static void *db_cancel_run(void *arg);
static int db_hexval(char c);
static enum db_exec_status db_classify(struct db *db, const char *stmt,
    PGresult *res);

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

void
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
 * can shadow our tables; the server's own timeouts, below the request's
 * deadline, so that a statement stuck on a lock is rolled back there (a
 * known outcome) rather than left running; and a check of the client's
 * socket every second while a statement runs, so that a statement whose
 * worker gave up on it at the deadline (and closed the connection) is
 * rolled back within a second instead of going on to commit.
 */
static int
db_session_set(struct db *db)
{
    char        stmt_ms[16], lock_ms[16];
    const char *params[] = { stmt_ms, lock_ms };
    PGresult   *res = NULL;
    int         ok = 0, timed_out = 0;

    snprintf(stmt_ms, sizeof(stmt_ms), "%d", db->cfg->statement_timeout_ms);
    snprintf(lock_ms, sizeof(lock_ms), "%d", db->cfg->lock_timeout_ms);
    if (PQsendQueryParams(db->conn,
            "SELECT pg_catalog.set_config('search_path', 'public', false),"
            "       pg_catalog.set_config('statement_timeout', $1, false),"
            "       pg_catalog.set_config('lock_timeout', $2, false),"
            "       pg_catalog.set_config('client_connection_check_interval',"
            "                             '1000', false)",
            2, NULL, params, NULL, NULL, 0)) {
        res = db_collect(db, &timed_out);
        ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    }
    if (!ok)
        db_set_error(db, "session settings", timed_out
            ? "the request's deadline passed" : PQerrorMessage(db->conn));
    PQclear(res);
    return ok ? 0 : -1;
}

/* The connection's socket, for a caller's poll(); -1 without one. */
int
db_socket(const struct db *db)
{
    return db_connected(db) ? PQsocket(db->conn) : -1;
}

/*
 * The idle connection's socket was readable: read what the server said
 * (a notice, a parameter's new value, or its last words before closing)
 * and drop the connection if it ended. Returns whether it is still up.
 */
int
db_idle_check(struct db *db)
{
    if (db->conn != NULL && !db_idle_ok(db))
        db_drop(db);
    return db_connected(db);
}

/* Is the connection up, as far as we know without a round trip? */
int
db_connected(const struct db *db)
{
    return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

/*
 * Open the connection, set the session up and prepare every statement,
 * all before the request's deadline and within DB_CONNECT_TIMEOUT. The
 * URL's own settings win over our defaults (dbname comes last, and
 * expand_dbname lets it carry any keyword): a server that takes writes
 * (so that a multi-host URL finds the primary, and a standby is never
 * kept), TCP keepalives and a user timeout that notice a peer that
 * vanished without closing. The connection is made without blocking
 * (libpq's connect_timeout is kept only by its blocking calls): the
 * hosts of a multi-host URL are tried in turn within the one budget, so
 * a host that drops packets (rather than refusing) takes all of it.
 * Returns 0, or -1 with db->err set and no connection kept.
 */
int
db_connect(struct db *db)
{
    const char *keys[] = { "application_name", "target_session_attrs",
                           "keepalives", "keepalives_idle",
                           "keepalives_interval", "keepalives_count",
                           "tcp_user_timeout", "dbname", NULL };
    const char *vals[] = { db->application_name, "read-write", "1", "10",
                           "5", "3", "20000", db->cfg->database_url, NULL };
    const struct db_stmt *stmt;
    int64_t     deadline = db->deadline;
    size_t      i;

    db_drop(db);
    db->sqlstate[0] = '\0';
    /* the connection's own budget, within the request's */
    if (db->deadline == 0
        || db->deadline > db_now_ms() + db->cfg->db_connect_timeout * 1000LL)
        db->deadline = db_now_ms() + db->cfg->db_connect_timeout * 1000LL;
    db->conn = PQconnectStartParams(keys, vals, 1);
    if (db->conn == NULL || db_connect_poll(db) < 0)
        goto fail;
    db->deadline = deadline;
    PQsetNoticeProcessor(db->conn, db_notice, db);
    if (PQsetnonblocking(db->conn, 1) != 0) {
        db_set_error(db, "PQsetnonblocking", PQerrorMessage(db->conn));
        goto fail;
    }
    if (db_session_set(db) < 0)
        goto fail;
    for (i = 0; i < sizeof(db_stmt_sets) / sizeof(db_stmt_sets[0]); i++)
        for (stmt = db_stmt_sets[i]; stmt->name != NULL; stmt++)
            if (db_prepare(db, stmt) < 0)
                goto fail;
    return 0;

fail:
    if (db->conn == NULL)
        db_set_error(db, "PQconnectStartParams", "out of memory");
    db->deadline = deadline;
    db_abandon(db);
    return -1;
}

/* Drive PQconnectPoll() to the end, or to db->deadline: 0 or -1. */
static int
db_connect_poll(struct db *db)
{
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    short                     revents;

    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED || PQstatus(db->conn) == CONNECTION_BAD) {
            db_set_error(db, "PQconnectPoll", PQerrorMessage(db->conn));
            return -1;
        }
        if (db_wait(db, st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
                    &revents) < 0) {
            snprintf(db->err, sizeof(db->err), "PQconnectPoll failed: no "
                "connection within DB_CONNECT_TIMEOUT or the request's "
                "deadline (host %s)", PQhost(db->conn) != NULL
                ? PQhost(db->conn) : "?");
            return -1;
        }
        st = PQconnectPoll(db->conn);
    }
    return 0;
}

static int
db_prepare(struct db *db, const struct db_stmt *stmt)
{
    PGresult *res = NULL;
    char      call[64];
    int       ok = 0, timed_out = 0;

    if (PQsendPrepare(db->conn, stmt->name, stmt->sql, 0, NULL)) {
        res = db_collect(db, &timed_out);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    }
    if (!ok) {
        snprintf(call, sizeof(call), "PQprepare(\"%s\")", stmt->name);
        db_set_error(db, call, timed_out
            ? "the request's deadline passed" : PQerrorMessage(db->conn));
    }
    PQclear(res);
    return ok ? 0 : -1;
}

/* Now, in milliseconds of CLOCK_MONOTONIC. */
int64_t
db_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before the deadline (INT_MAX without one). */
static int64_t
db_left(const struct db *db)
{
    int64_t left;

    if (db->deadline == 0)
        return INT_MAX;
    left = db->deadline - db_now_ms();
    return left > 0 ? left : 0;
}

/*
 * Wait for events on the connection's socket, at most until the
 * deadline: 0 with what happened in *revents, or -1 when the time ran out
 * (a signal does not end the wait early).
 */
static int
db_wait(struct db *db, short events, short *revents)
{
    struct pollfd pfd = { PQsocket(db->conn), events, 0 };
    int64_t       left;
    int           rc;

    do {
        left = db_left(db);
        if (left == 0)
            return -1;
        rc = poll(&pfd, 1, left >= INT_MAX ? -1 : (int) left);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0)
        return -1;
    *revents = rc > 0 ? pfd.revents : POLLERR;
    return 0;
}

/*
 * After a PQsend...(): send it all and read every result, waiting on the
 * socket ourselves with the time left, since a frozen server cannot keep
 * its own statement_timeout and its kernel goes on acknowledging what we
 * send. Returns the result that decides (an error after rows, as at a
 * commit that failed, wins), or NULL with *timed_out set when the
 * deadline passed: the connection is then abandoned (db_abandon).
 */
PGresult *
db_collect(struct db *db, int *timed_out)
{
    PGresult *res, *keep = NULL;
    short     revents;
    int       rc;

    *timed_out = 0;
    while ((rc = PQflush(db->conn)) == 1) {
        if (db_wait(db, POLLIN | POLLOUT, &revents) < 0)
            goto late;
        if ((revents & POLLIN) && !PQconsumeInput(db->conn))
            break;
    }
    for (;;) {
        while (PQisBusy(db->conn)) {
            if (db_wait(db, POLLIN, &revents) < 0)
                goto late;
            if (!PQconsumeInput(db->conn))
                break;
        }
        res = PQgetResult(db->conn);
        if (res == NULL)
            break;
        if (keep == NULL || PQresultStatus(res) == PGRES_FATAL_ERROR) {
            PQclear(keep);
            keep = res;
        } else {
            PQclear(res);
        }
        if (PQstatus(db->conn) != CONNECTION_OK)
            break;
    }
    return keep;

late:
    PQclear(keep);
    *timed_out = 1;
    db_abandon(db);
    return NULL;
}

/*
 * Give up on the connection: ask the server to cancel what it runs, and
 * close it. PQcancel() opens a connection of its own and waits for the
 * server to close it, which a frozen server never does: it runs in a
 * thread of its own that nobody waits for, and that ends when the server
 * answers or the kernel gives up on the connection.
 */
static void
db_abandon(struct db *db)
{
    pthread_attr_t attr;
    pthread_t      tid;
    PGcancel      *cancel;

    if (db->conn == NULL)
        return;
    cancel = PQstatus(db->conn) == CONNECTION_OK
             && PQtransactionStatus(db->conn) == PQTRANS_ACTIVE
        ? PQgetCancel(db->conn) : NULL;
    if (cancel != NULL) {
        if (pthread_attr_init(&attr) != 0)
            PQfreeCancel(cancel);
        else {
            if (pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED)
                    != 0
                || pthread_create(&tid, &attr, db_cancel_run, cancel) != 0)
                PQfreeCancel(cancel);
            pthread_attr_destroy(&attr);
        }
    }
    db_drop(db);
}

static void *
db_cancel_run(void *arg)
{
    PGcancel *cancel = arg;
    char      err[256];

    (void) PQcancel(cancel, err, sizeof(err));
    PQfreeCancel(cancel);
    return NULL;
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
 * (server shutting down or overloaded, timeouts, a server that takes no
 * writes), lost (the connection broke: a write may have committed) or a
 * plain error. A server that takes no writes (a standby, or one made
 * read-only) has its connection dropped, so that the next request
 * connects to one that does. Keeps libpq's text and the SQLSTATE in db
 * for the log.
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
    if (strcmp(state, "25006") == 0 || strncmp(state, "57P", 3) == 0) {
        db_drop(db);
        return EXEC_UNAVAILABLE;
    }
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0
        || strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0)
        return EXEC_UNAVAILABLE;
    return EXEC_ERROR;
}

PGresult *
db_exec(struct db *db, const struct db_stmt *stmt, int nparams,
    const char *const *params, enum db_exec_status *st)
{
    return db_exec_keyed(db, stmt, 0, nparams, params, st);
}

/* Run a statement whose one parameter is an integer (an id, a limit). */
PGresult *
db_exec_int(struct db *db, const struct db_stmt *stmt, int64_t arg,
    enum db_exec_status *st)
{
    char        value[24];
    const char *params[] = { value };

    snprintf(value, sizeof(value), "%lld", (long long) arg);
    return db_exec(db, stmt, 1, params, st);
}

/*
 * Run a prepared statement that returns rows, before the deadline.
 * Returns the result (caller PQclears it) with *st = EXEC_OK, or NULL
 * with *st saying why. When the connection broke under a statement that
 * may be re-run (it answers the same twice, or it carries an idempotency
 * key: keyed), it is sent once more on a fresh connection. What is known
 * is never forgotten: once a write of this request may have reached the
 * server and its answer was lost (db->in_doubt), no later failure, to
 * reconnect or of a re-send, makes it "nothing was done"; a read is then
 * merely unavailable.
 */
PGresult *
db_exec_keyed(struct db *db, const struct db_stmt *stmt, int keyed,
    int nparams, const char *const *params, enum db_exec_status *st)
{
    PGresult *res;
    int       tries = stmt->rerun || keyed ? 2 : 1, timed_out;

    *st = EXEC_UNAVAILABLE;
    while (tries-- > 0) {
        if (db_ready(db) < 0 && !(db->in_doubt && db_reconnect(db) == 0))
            break;
        db->sqlstate[0] = '\0';
        if (db->deadline != 0 && db_left(db) == 0) {
            snprintf(db->err, sizeof(db->err), "\"%s\" not sent: the "
                "request's deadline had passed", stmt->name);
            *st = EXEC_UNAVAILABLE;
            break;
        }
        if (!PQsendQueryPrepared(db->conn, stmt->name, nparams, params,
                                 NULL, NULL, 0)) {
            /* not queued: none of it reached the server */
            db->errors++;
            db_set_error(db, "PQsendQueryPrepared", PQerrorMessage(db->conn));
            db_drop(db);
            *st = EXEC_UNAVAILABLE;
            break;
        }
        res = db_collect(db, &timed_out);
        if (timed_out) {
            db->errors++;
            snprintf(db->err, sizeof(db->err), "\"%s\": no answer before "
                "the request's deadline; cancelled, connection dropped",
                stmt->name);
            *st = EXEC_LOST;
            db->in_doubt = stmt->rerun != DB_READ;
            break;
        }
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            *st = EXEC_OK;
            return res;
        }
        *st = db_classify(db, stmt->name, res);
        PQclear(res);
        if (*st != EXEC_LOST)
            break;
        db->in_doubt = stmt->rerun != DB_READ;
    }
    if (db->in_doubt && stmt->rerun != DB_READ && *st != EXEC_RETRY)
        *st = EXEC_LOST;
    /* a read that was lost changed nothing: 503 with Retry-After */
    if (*st == EXEC_LOST && stmt->rerun == DB_READ)
        *st = EXEC_UNAVAILABLE;
    return NULL;
}

/*
 * A write in doubt is re-sent on a new connection: a server that is
 * restarting refuses it for a moment, so try again every 100 ms, past
 * the once-a-second backoff, while the request's deadline leaves time;
 * the re-send answers what the first attempt did. 0 once connected.
 */
static int
db_reconnect(struct db *db)
{
    struct timespec pause = { 0, 100 * 1000 * 1000 };

    while (db->deadline != 0 && db_left(db) > 200) {
        nanosleep(&pause, NULL);
        if (db_connect(db) == 0) {
            db->reconnects++;
            return 0;
        }
        db->errors++;
    }
    return -1;
}

/*
 * A request begins: its deadline (CLOCK_MONOTONIC milliseconds, 0 for
 * none), and nothing of it in doubt yet.
 */
void
db_request_begin(struct db *db, int64_t deadline)
{
    db->deadline = deadline;
    db->in_doubt = 0;
}

enum db_status
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
int64_t
db_int(const PGresult *res, int row, int col)
{
    const char *s = PQgetvalue(res, row, col);
    uint64_t    v = 0;
    int         neg = *s == '-';

    /* PostgreSQL's own decimal text of an integer: digits, maybe a sign.
     * Read by hand: strtoll's locale and base handling were a tenth of a
     * page of shows in the worker. */
    for (s += neg; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t) (*s - '0');
    return neg ? (int64_t) (0 - v) : (int64_t) v;
}

/*
 * A text column into buf (size bytes, NUL-terminated), cut short if it
 * does not fit, without printf's parsing of a format.
 */
void
db_copy_text(const PGresult *res, int row, int col, char *buf, size_t size)
{
    size_t n = (size_t) PQgetlength(res, row, col);

    if (n >= size)
        n = size - 1;
    memcpy(buf, PQgetvalue(res, row, col), n);
    buf[n] = '\0';
}

/*
 * Does the connection answer, and does its server take writes? DB_OK,
 * DB_READ_ONLY (a standby, or a server made read-only: the connection is
 * dropped, so that the next request looks for one that takes writes),
 * or why not.
 */
enum db_status
db_ping(struct db *db)
{
    enum db_exec_status st;
    PGresult           *res = db_exec(db, &db_stmts_core[0], 0, NULL, &st);
    enum db_status      ret = db_status_of(st);

    if (res != NULL && strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
        snprintf(db->err, sizeof(db->err), "the server takes no writes "
            "(in recovery, or read-only)");
        db_drop(db);
        ret = DB_READ_ONLY;
    }
    PQclear(res);
    return ret;
}

/* bytea as PostgreSQL's text form takes it: "\x" and hex. */
void
db_hex(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t            i;

    *out++ = '\\';
    *out++ = 'x';
    for (i = 0; i < len; i++) {
        *out++ = digits[in[i] >> 4];
        *out++ = digits[in[i] & 0x0f];
    }
    *out = '\0';
}

/* The reverse, for exactly len bytes: 0, or -1 if in is anything else. */
int
db_unhex(const char *in, uint8_t *out, size_t len)
{
    size_t i;
    int    hi, lo;

    if (in[0] != '\\' || in[1] != 'x' || strlen(in) != 2 + 2 * len)
        return -1;
    for (i = 0, in += 2; i < len; i++, in += 2) {
        hi = db_hexval(in[0]);
        lo = db_hexval(in[1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t) (hi << 4 | lo);
    }
    return 0;
}

/* The reverse, for at most max bytes: how many, or 0 if in is anything else. */
size_t
db_unhex_any(const char *in, uint8_t *out, size_t max)
{
    size_t n = strlen(in);

    if (n < 2 || n % 2 != 0 || (n - 2) / 2 > max
        || db_unhex(in, out, (n - 2) / 2) < 0)
        return 0;
    return (n - 2) / 2;
}

static int
db_hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}
