/* The worker's PostgreSQL connection: connect, prepare, run, sort failures. */

#include "db.h"
#include "db_exec.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every statement the worker runs, prepared once per connection. */
static const struct db_stmt *const db_stmt_sets[] = {
    db_stmts_core, db_stmts_shows, db_stmts_bookings, db_stmts_channels,
    db_stmts_expire,
};

const struct db_stmt db_stmts_core[] = {
    { "ping", "SELECT 1", DB_READ },
    { NULL, NULL, DB_ONCE }
};

static int db_ready(struct db *db);
static int db_idle_ok(struct db *db);
static void db_notice(void *arg, const char *message);
static void db_drop(struct db *db);
static void db_set_error(struct db *db, const char *call, const char *msg);
static int db_session_set(struct db *db);
static int db_prepare(struct db *db, const struct db_stmt *stmt);
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
    const struct db_stmt *stmt;
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
    for (i = 0; i < sizeof(db_stmt_sets) / sizeof(db_stmt_sets[0]); i++)
        for (stmt = db_stmt_sets[i]; stmt->name != NULL; stmt++)
            if (db_prepare(db, stmt) < 0)
                goto fail;
    return 0;

fail:
    db_drop(db);
    return -1;
}

static int
db_prepare(struct db *db, const struct db_stmt *stmt)
{
    PGresult *res = PQprepare(db->conn, stmt->name, stmt->sql, 0, NULL);
    char      call[64];
    int       ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    if (!ok) {
        snprintf(call, sizeof(call), "PQprepare(\"%s\")", stmt->name);
        db_set_error(db, call, PQerrorMessage(db->conn));
    }
    PQclear(res);
    return ok ? 0 : -1;
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
 * Run a prepared statement that returns rows. Returns the result (caller
 * PQclears it) with *st = EXEC_OK, or NULL with *st saying why. When the
 * connection broke under a statement that may be re-run (it answers the
 * same twice, or it carries an idempotency key: keyed), it is sent once
 * more on a fresh connection; for any other, the outcome is unknown.
 */
PGresult *
db_exec_keyed(struct db *db, const struct db_stmt *stmt, int keyed,
    int nparams, const char *const *params, enum db_exec_status *st)
{
    PGresult *res;
    int       tries = stmt->rerun || keyed ? 2 : 1;

    do {
        if (db_ready(db) < 0) {
            *st = EXEC_UNAVAILABLE;
            return NULL;
        }
        db->sqlstate[0] = '\0';
        res = PQexecPrepared(db->conn, stmt->name, nparams, params,
            NULL, NULL, 0);
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            *st = EXEC_OK;
            return res;
        }
        *st = db_classify(db, stmt->name, res);
        PQclear(res);
    } while (*st == EXEC_LOST && --tries > 0);
    /* a read lost twice changed nothing: 503 with Retry-After */
    if (*st == EXEC_LOST && stmt->rerun == DB_READ)
        *st = EXEC_UNAVAILABLE;
    return NULL;
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
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

enum db_status
db_ping(struct db *db)
{
    enum db_exec_status st;
    PGresult           *res = db_exec(db, &db_stmts_core[0], 0, NULL, &st);

    PQclear(res);
    return db_status_of(st);
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
