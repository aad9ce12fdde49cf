/* The sweeper's statements: lapsed holds, old rows and keys, totals. */

#include "db.h"
#include "db_exec.h"

#include <stdio.h>
#include <string.h>

enum { HOLDS_EXPIRE, IDEM_PRUNE, FAILED_PRUNE, EXPIRE_TOTALS };

const struct db_stmt db_stmts_expire[] = {
    [HOLDS_EXPIRE] = { "holds_expire",
      "SELECT more, holds, seats FROM expire_holds($1::int4)", DB_RERUN },
    [IDEM_PRUNE] = { "idem_prune_v2",
      "SELECT old, refused FROM idem_prune_v2($1::int4, $2::int4)",
      DB_RERUN },
    [FAILED_PRUNE] = { "failed_prune",
      "SELECT failed_bookings_prune($1::int4, $2::int4)", DB_RERUN },
    [EXPIRE_TOTALS] = { "expire_totals",
      "SELECT holds FROM expire_totals", DB_READ },
    { NULL, NULL, DB_ONCE }
};

static PGresult *db_expire_exec(struct db *db, const struct db_stmt *stmt,
    int limit, int age, enum db_exec_status *st);

/* Run a clean-up statement: $1 the batch's limit, $2 the age kept. */
static PGresult *
db_expire_exec(struct db *db, const struct db_stmt *stmt, int limit, int age,
    enum db_exec_status *st)
{
    char        l[16], a[16];
    const char *params[] = { l, a };

    snprintf(l, sizeof(l), "%d", limit);
    snprintf(a, sizeof(a), "%d", age);
    return db_exec(db, stmt, 2, params, st);
}

/* The holds booking-expire has released, ever (sql/010_expire_totals.sql). */
enum db_status
db_expire_totals(struct db *db, int64_t *holds)
{
    enum db_exec_status st;
    PGresult           *res = db_exec(db,
        &db_stmts_expire[EXPIRE_TOTALS], 0, NULL, &st);

    if (res != NULL && PQntuples(res) == 1)
        *holds = db_int(res, 0, 0);
    else if (res != NULL)
        st = EXEC_ERROR;
    PQclear(res);
    return db_status_of(st);
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
    PGresult           *res = db_exec_int(db,
        &db_stmts_expire[HOLDS_EXPIRE], limit, &st);

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

/*
 * booking-expire's clean-up of idempotency keys, one batch: up to limit
 * keys, those older than 24 hours (*old) and then those of refused
 * requests older than refused_seconds (*refused). On failure neither
 * count is set.
 */
enum db_status
db_idem_prune(struct db *db, int limit, int refused_seconds, int64_t *old,
    int64_t *refused)
{
    enum db_exec_status st;
    PGresult           *res = db_expire_exec(db,
        &db_stmts_expire[IDEM_PRUNE], limit, refused_seconds, &st);

    if (res != NULL && PQntuples(res) == 1) {
        *old = db_int(res, 0, 0);
        *refused = db_int(res, 0, 1);
    } else if (res != NULL) {
        st = EXEC_ERROR;
    }
    PQclear(res);
    return db_status_of(st);
}

/*
 * One batch of FAILED bookings that ended more than days days ago, up
 * to limit, deleted by failed_bookings_prune() (which runs as the
 * tables' owner: booking_app may not DELETE bookings). *pruned is set
 * only on success.
 */
enum db_status
db_failed_prune(struct db *db, int limit, int days, int64_t *pruned)
{
    enum db_exec_status st;
    PGresult           *res = db_expire_exec(db,
        &db_stmts_expire[FAILED_PRUNE], limit, days, &st);

    if (res != NULL && PQntuples(res) == 1)
        *pruned = db_int(res, 0, 0);
    else if (res != NULL)
        st = EXEC_ERROR;
    PQclear(res);
    return db_status_of(st);
}
