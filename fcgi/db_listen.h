#ifndef FCGI_DB_LISTEN_H
#define FCGI_DB_LISTEN_H

/*
 * booking-events' side of the database layer: a connection that
 * LISTENs on seat_events (sql/functions/65_seat_events.sql), the
 * notifications it brings, each a payload of JSON text, and the seated
 * holds that lapsed, looked at on the same connection.
 */

#include "db.h"

typedef void db_listen_fn(const char *payload, void *arg);

/*
 * Where the look at lapsed holds stands (seat_events_lapsed()): every
 * seated hold up to deadline after_us (microseconds since the epoch, by
 * the database's clock), then id after_id, was looked at. started is 0
 * on a new connection: the first look starts from the database's now.
 */
struct db_lapse {
    int     started;
    int64_t after_us;
    int64_t after_id;
};

int db_listen_start(struct db *db);
int db_listen_read(struct db *db, db_listen_fn *fn, void *arg);
int db_listen_lapsed(struct db *db, struct db_lapse *cur, int limit,
    db_listen_fn *fn, void *arg, int64_t *wait_ms);

#endif
