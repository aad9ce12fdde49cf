/* Channels in the database: create one with its key's hash, list, revoke. */

#include "db.h"
#include "db_exec.h"

#include <stdio.h>
#include <string.h>

/*
 * Columns of a channel: id, name, its three caps (NULL: none), created
 * and revoked (µs since the epoch; NULL: not revoked). Never the key.
 */
#define CHANNEL_COLUMNS \
    " id, name, max_seats_per_booking, max_live_holds, max_held_seats," \
    " epoch_us(created_at), epoch_us(revoked_at)"

enum { CHANNEL_CREATE, CHANNEL_LIST, CHANNEL_REVOKE };

const struct db_stmt db_stmts_channels[] = {
    [CHANNEL_CREATE] = { "channel_create",
      "INSERT INTO channels (name, key_hash, max_seats_per_booking,"
      "                      max_live_holds, max_held_seats)"
      " VALUES ($1::text,"          /* name */
      "         $2::bytea,"         /* SHA-256 of the key */
      "         $3::int4, $4::int4, $5::int4)" /* caps, NULL: none */
      " RETURNING" CHANNEL_COLUMNS, DB_ONCE },
    [CHANNEL_LIST] = { "channel_list",
      "SELECT" CHANNEL_COLUMNS " FROM channels ORDER BY id LIMIT $1::int4",
      DB_READ },
    /* revoking twice keeps the first moment: safe to re-send */
    [CHANNEL_REVOKE] = { "channel_revoke",
      "UPDATE channels SET revoked_at = coalesce(revoked_at, now())"
      " WHERE id = $1::int8 RETURNING" CHANNEL_COLUMNS, DB_RERUN },
    { NULL, NULL, DB_ONCE }
};

static void db_row_channel(const PGresult *res, int row,
    struct db_channel *out);
static int64_t db_cap(const PGresult *res, int row, int col);

static int64_t
db_cap(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : db_int(res, row, col);
}

static void
db_row_channel(const PGresult *res, int row, struct db_channel *out)
{
    out->id = db_int(res, row, 0);
    snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(res, row, 1));
    out->max_seats_per_booking = db_cap(res, row, 2);
    out->max_live_holds = db_cap(res, row, 3);
    out->max_held_seats = db_cap(res, row, 4);
    out->created_us = db_int(res, row, 5);
    out->revoked = !PQgetisnull(res, row, 6);
    out->revoked_us = out->revoked ? db_int(res, row, 6) : 0;
}

/*
 * A new channel named in->name with in's caps (0: none), whose key has
 * the SHA-256 key_hash; *out is the channel as stored.
 */
enum db_status
db_channel_create(struct db *db, const struct db_channel *in,
    const uint8_t key_hash[DB_HASH_LEN], struct db_channel *out)
{
    char                hash[2 * DB_HASH_LEN + 3], caps[3][24];
    const int64_t       capv[3] = { in->max_seats_per_booking,
                                    in->max_live_holds, in->max_held_seats };
    const char         *params[5] = { in->name, hash, NULL, NULL, NULL };
    enum db_exec_status st;
    enum db_status      ret;
    PGresult           *res;
    int                 i;

    db_hex(key_hash, DB_HASH_LEN, hash);
    for (i = 0; i < 3; i++) {
        snprintf(caps[i], sizeof(caps[i]), "%lld", (long long) capv[i]);
        params[2 + i] = capv[i] > 0 ? caps[i] : NULL;
    }
    res = db_exec(db, &db_stmts_channels[CHANNEL_CREATE], 5, params, &st);
    ret = db_status_of(st);
    if (res != NULL && PQntuples(res) == 1)
        db_row_channel(res, 0, out);
    else if (res != NULL)
        ret = DB_ERROR;
    PQclear(res);
    return ret;
}

/* Call fn for each channel, oldest first, up to limit. */
enum db_status
db_channel_list(struct db *db, int limit, db_channel_fn *fn, void *arg)
{
    struct db_channel   channel;
    enum db_exec_status st;
    PGresult           *res;
    int                 i;

    res = db_exec_int(db, &db_stmts_channels[CHANNEL_LIST], limit, &st);
    for (i = 0; res != NULL && i < PQntuples(res); i++) {
        db_row_channel(res, i, &channel);
        if (fn(&channel, arg) != 0)
            break;
    }
    PQclear(res);
    return db_status_of(st);
}

/*
 * Revoke channel id: its key opens nothing from the next request on, in
 * every worker (they look the key up each time). DB_NOT_FOUND when no
 * channel has that id.
 */
enum db_status
db_channel_revoke(struct db *db, int64_t id, struct db_channel *out)
{
    enum db_exec_status st;
    enum db_status      ret;
    PGresult           *res = db_exec_int(db,
        &db_stmts_channels[CHANNEL_REVOKE], id, &st);

    ret = db_status_of(st);
    if (res != NULL && PQntuples(res) == 1)
        db_row_channel(res, 0, out);
    else if (res != NULL)
        ret = DB_NOT_FOUND;
    PQclear(res);
    return ret;
}
