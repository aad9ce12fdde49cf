#ifndef FCGI_DB_LISTEN_H
#define FCGI_DB_LISTEN_H

/*
 * booking-events' side of the database layer: a connection that
 * LISTENs on seat_events (sql/functions/65_seat_events.sql), and the
 * notifications it brings, each a payload of JSON text.
 */

#include "db.h"

typedef void db_listen_fn(const char *payload, void *arg);

int db_listen_start(struct db *db);
int db_listen_read(struct db *db, db_listen_fn *fn, void *arg);

#endif
