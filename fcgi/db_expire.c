/* The sweeper's statements: lapsed holds, old idempotency keys, totals. */

#include "db.h"
#include "db_exec.h"

#include <string.h>

enum { HOLDS_EXPIRE, IDEM_PRUNE, EXPIRE_TOTALS };

const struct db_stmt db_stmts_expire[] = {
    [HOLDS_EXPIRE] = { "holds_expire",
      "SELECT more, holds, seats FROM expire_holds($1::int4)", DB_RERUN },
    [IDEM_PRUNE] = { "idem_prune", "SELECT idem_prune($1::int4)", DB_RERUN },
    [EXPIRE_TOTALS] = { "expire_totals",
      "SELECT holds FROM expire_totals", DB_READ },
    { NULL, NULL, DB_ONCE }
};

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

/* booking-expire's clean-up: delete up to limit keys older than 24 h. */
enum db_status
db_idem_prune(struct db *db, int limit, int64_t *pruned)
{
    enum db_exec_status st;
    PGresult           *res = db_exec_int(db,
        &db_stmts_expire[IDEM_PRUNE], limit, &st);

    *pruned = res != NULL && PQntuples(res) == 1 ? db_int(res, 0, 0) : 0;
    PQclear(res);
    return db_status_of(st);
}
