#ifndef FCGI_DB_EXEC_H
#define FCGI_DB_EXEC_H

/*
 * Inside the database layer: how db.c and the resource files (db_shows.c,
 * db_bookings.c, db_channels.c, db_expire.c, db_seats.c) declare and run
 * their statements. Only
 * those files include this header, and with it libpq-fe.h; everyone
 * else uses db.h.
 */

#include <stdint.h>

#include <libpq-fe.h>

#include "db.h"

enum db_exec_status {
    EXEC_OK = 0,
    EXEC_RETRY,         /* deadlock or serialization failure: run again */
    EXEC_UNAVAILABLE,   /* not run, or rolled back: the outcome is known */
    EXEC_LOST,          /* the connection broke mid-call: outcome unknown */
    EXEC_ERROR
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
 * Each resource's statements, an array ending with a NULL name, prepared
 * once per connection by db_connect().
 */
extern const struct db_stmt db_stmts_core[];
extern const struct db_stmt db_stmts_shows[];
extern const struct db_stmt db_stmts_bookings[];
extern const struct db_stmt db_stmts_expire[];
extern const struct db_stmt db_stmts_channels[];
extern const struct db_stmt db_stmts_seats[];

PGresult *db_exec(struct db *db, const struct db_stmt *stmt, int nparams,
    const char *const *params, enum db_exec_status *st);
PGresult *db_exec_int(struct db *db, const struct db_stmt *stmt,
    int64_t arg, enum db_exec_status *st);
PGresult *db_exec_keyed(struct db *db, const struct db_stmt *stmt,
    int keyed, int nparams, const char *const *params,
    enum db_exec_status *st);
enum db_status db_status_of(enum db_exec_status st);
/* For a statement that cannot be prepared (LISTEN, db_listen.c): the
 * results of what was sent, and the error kept as db.c keeps its own. */
PGresult *db_collect(struct db *db, int *timed_out);
void db_set_error(struct db *db, const char *call, const char *msg);
int64_t db_int(const PGresult *res, int row, int col);
void db_copy_text(const PGresult *res, int row, int col, char *buf,
    size_t size);
void db_hex(const uint8_t *in, size_t len, char *out);
int db_unhex(const char *in, uint8_t *out, size_t len);
size_t db_unhex_any(const char *in, uint8_t *out, size_t max);

#endif
