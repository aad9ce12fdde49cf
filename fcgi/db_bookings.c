/* Bookings in the database: the booking transactions, and reading one. */

#include "db.h"
#include "db_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_RETRIES 3    /* attempts on deadlock or serialization failure */

static void db_booking_seats(const PGresult *res, int col,
    struct db_booking *b);

/*
 * Columns of a booking (type booking_row): outcome, id, show_id,
 * seat_count, status, created, expires, reason.
 */
enum {
    BOOKING_CREATE, BOOKING_CONFIRM, BOOKING_CANCEL, BOOKING_EXTEND,
    BOOKING_GET
};

const struct db_stmt db_stmts_bookings[] = {
    /* booking_run() (sql/functions/50_idempotency.sql): $1 the
     * Idempotency-Key as stored or NULL, $2 as sent, $3 and $4 the
     * request line and body that fingerprint it. */
#define BOOKING_RUN(op) \
      "SELECT (k.r).*, k.replayed, k.token_box," \
      /* a channel's buyer, which the row type has no room for; a new */ \
      /* booking's is not yet visible here, and the request names it */ \
      "       (SELECT b.customer_ref FROM bookings b" \
      "         WHERE '" op "' <> 'book' AND b.id = (k.r).id)," \
      "       k.seat_labels::text, k.price," \
      "       seats_adjacent((k.r).show_id, k.seat_labels)," \
      "       k.standing::text" \
      " FROM booking_run($1::text, $2::text," \
      "                  $3::text || E'\\n' || $4::text, '" op "'," \
      "                  $5::int8,"   /* show id (book), booking id */ \
      "                  $6::int4,"   /* seat count (book) */ \
      "                  $7::int4,"   /* hold seconds, NULL: confirm */ \
      "                  $8::bytea,"  /* token hash: new, or presented */ \
      "                  $9::bytea,"  /* the new token, sealed, or NULL */ \
      "                  $10::bool,"  /* the admin asks */ \
      "                  $11::text,"  /* client, for its caps */ \
      "                  $12::text,"  /* customer, for the show's cap */ \
      "                  $13::int4,"  /* most live holds, NULL: none */ \
      "                  $14::int4,"  /* most held seats, NULL: none */ \
      "                  $15::bytea," /* a channel's key hash, or NULL */ \
      "                  $16::text,"  /* its reference for the buyer */ \
      "                  $17::int4,"  /* extend: how far, from the making */ \
      "                  $18::int4,"  /* and how many times */ \
      "                  $3::text || E'\\n' || $19::text," /* as the */ \
      /* previous release fingerprinted the request, for its keys */ \
      "                  $20::text[]," /* book: the seats chosen */ \
      "                  $21::jsonb," /* or best available */ \
      "                  $22::jsonb) k" /* standing places, or NULL */
    [BOOKING_CREATE] = { "booking_create", BOOKING_RUN("book"), DB_ONCE },
    /* confirm and cancel answer the same when repeated */
    [BOOKING_CONFIRM] = { "booking_confirm", BOOKING_RUN("confirm"),
      DB_RERUN },
    [BOOKING_CANCEL] = { "booking_cancel", BOOKING_RUN("cancel"),
      DB_RERUN },
    /* each extend uses one of the hold's extensions: never re-sent */
    [BOOKING_EXTEND] = { "booking_extend", BOOKING_RUN("extend"), DB_ONCE },
    /* one probe, whether the id is unknown or the token wrong */
    [BOOKING_GET] = { "booking_get",
      "SELECT (booking_view('ok', b)).*, b.customer_ref, i.labels::text,"
      "       i.price, seats_adjacent(b.show_id, i.labels), i.places::text"
      "  FROM bookings b"
      "  LEFT JOIN LATERAL booking_items(b.id) i"   /* as booking_run() */
      "         ON b.seats IS NOT NULL OR b.standing IS NOT NULL"
      " WHERE id = $1::int8"
      "   AND ($3::bool OR token_hash = $2::bytea"     /* admin, token */
      "        OR channel_id = (SELECT id FROM channels" /* or channel */
      "                          WHERE key_hash = $4::bytea"
      "                            AND revoked_at IS NULL))", DB_READ },
    { NULL, NULL, DB_ONCE }
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
    { "hold_limit", BOOK_HOLD_LIMIT },
    { "customer_limit", BOOK_CUSTOMER_LIMIT },
    { "seats_taken",    BOOK_SEATS_TAKEN },
    { "not_seated",     BOOK_NOT_SEATED },
    { "unknown_seats",  BOOK_UNKNOWN_SEATS },
    { "seats_required", BOOK_SEATS_REQUIRED },
    { "not_enough_adjacent", BOOK_NOT_ADJACENT },
    { "unknown_category", BOOK_UNKNOWN_CATEGORY },
    { "unknown_section", BOOK_UNKNOWN_SECTION },
    { "unknown_area", BOOK_UNKNOWN_AREA },
    { "seat_limit", BOOK_SEAT_LIMIT },
    { "unauthorized", BOOK_UNAUTHORIZED },
    { "extend_limit", BOOK_EXTEND_LIMIT },
    { "not_a_hold", BOOK_NOT_A_HOLD },
};

static const struct db_stmt *const db_book_stmts[] = {
    [BOOK_OP_CREATE]  = &db_stmts_bookings[BOOKING_CREATE],
    [BOOK_OP_CONFIRM] = &db_stmts_bookings[BOOKING_CONFIRM],
    [BOOK_OP_CANCEL]  = &db_stmts_bookings[BOOKING_CANCEL],
    [BOOK_OP_EXTEND]  = &db_stmts_bookings[BOOKING_EXTEND],
};

static void db_row_booking(const PGresult *res, int row,
    struct db_booking *out);

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

/*
 * Run one booking transaction, op (book, confirm, cancel), in one round
 * trip: book_seats(), confirm_booking() and cancel_booking() in
 * sql/functions/40_booking.sql hold the locking, booking_keyed() in
 * sql/functions/50_idempotency.sql the key. id is the show for a booking, else
 * the booking; seats and hold_seconds (0: confirm at once) are for
 * booking only. A deadlock or serialization failure is retried up to
 * DB_RETRIES times: the call is atomic, so a failed attempt left nothing
 * behind. *out is filled whenever the outcome names a booking, and
 * idem->replayed says whether it is the stored result of an earlier
 * request with the same key; owner says who asks (struct db_owner), and
 * after a replay holds the sealed token that the first request stored.
 */
/*
 * A seated booking's labels (a JSON array, column col), price, whether
 * its seats are next to each other, and its standing places (a JSON
 * object; the next three columns) into b; nothing for a booking by
 * count (NULLs).
 */
static void
db_booking_seats(const PGresult *res, int col, struct db_booking *b)
{
    b->seats = NULL;
    b->price = 0;
    b->adjacent = 0;
    b->standing = PQgetisnull(res, 0, col + 3) ? NULL
        : strdup(PQgetvalue(res, 0, col + 3));
    if (PQgetisnull(res, 0, col))
        return;
    b->seats = strdup(PQgetvalue(res, 0, col));
    b->price = PQgetisnull(res, 0, col + 1) ? 0 : db_int(res, 0, col + 1);
    b->adjacent = strcmp(PQgetvalue(res, 0, col + 2), "t") == 0;
}

/* Free what db_booking_run() and db_booking_get() gave b. */
void
db_booking_clear(struct db_booking *b)
{
    free(b->seats);
    free(b->standing);
    b->seats = NULL;
    b->standing = NULL;
}

enum book_result
db_booking_run(struct db *db, struct db_idem *idem, enum book_op op,
    int64_t id, int64_t seats, int hold_seconds, struct db_owner *owner,
    struct db_booking *out)
{
    char                sid[24], nseats[24], hold[16];
    char                hash[2 * DB_HASH_LEN + 3], box[2 * DB_BOX_MAX + 3];
    char                holds[16], held[16], chan[2 * DB_HASH_LEN + 3];
    char                maxs[16], maxn[16];
    /* the token hash: a new booking's, or the one presented */
    int                 token = op == BOOK_OP_CREATE
                                || (!owner->admin && !owner->channel);
    const char         *params[] = { idem->key, idem->legacy_key,
                                     idem->request, idem->body, sid, nseats,
                                     hold_seconds > 0 ? hold : NULL,
                                     token ? hash : NULL,
                                     owner->box_len > 0 ? box : NULL,
                                     owner->admin ? "t" : "f",
                                     owner->client, owner->customer,
                                     owner->max_live_holds > 0 ? holds : NULL,
                                     owner->max_held_seats > 0 ? held : NULL,
                                     owner->channel ? chan : NULL,
                                     owner->customer_ref, maxs, maxn,
                                     idem->legacy_body, owner->seats,
                                     owner->best, owner->standing };
    const struct db_stmt *stmt = db_book_stmts[op];
    enum db_exec_status st = EXEC_RETRY;
    enum book_result    ret = BOOK_DB_ERROR;
    PGresult           *res = NULL;
    const char         *outcome;
    size_t              i;
    int                 attempt;

    snprintf(sid, sizeof(sid), "%lld", (long long) id);
    snprintf(nseats, sizeof(nseats), "%lld", (long long) seats);
    snprintf(hold, sizeof(hold), "%d", hold_seconds);
    snprintf(holds, sizeof(holds), "%d", owner->max_live_holds);
    snprintf(maxs, sizeof(maxs), "%d", owner->hold_max_seconds);
    snprintf(maxn, sizeof(maxn), "%d", owner->hold_max_extends);
    snprintf(held, sizeof(held), "%d", owner->max_held_seats);
    db_hex(owner->token_hash, DB_HASH_LEN, hash);
    db_hex(owner->box, owner->box_len, box);
    db_hex(owner->channel_hash, DB_HASH_LEN, chan);
    for (attempt = 0; attempt < DB_RETRIES && st == EXEC_RETRY; attempt++)
        res = db_exec_keyed(db, stmt, idem->key != NULL, 22, params, &st);
    if (res == NULL) {
        ret = st == EXEC_ERROR ? BOOK_DB_ERROR
            : st == EXEC_LOST ? BOOK_UNKNOWN : BOOK_UNAVAILABLE;
        goto out;
    }
    if (PQntuples(res) != 1 || PQnfields(res) != 15) {
        snprintf(db->err, sizeof(db->err), "%s returned %d rows of %d "
            "columns", stmt->name, PQntuples(res), PQnfields(res));
        goto out;
    }
    outcome = PQgetvalue(res, 0, 0);
    for (i = 0; i < sizeof(db_outcomes) / sizeof(db_outcomes[0]); i++)
        if (strcmp(outcome, db_outcomes[i].name) == 0)
            ret = db_outcomes[i].result;
    if (ret == BOOK_DB_ERROR)
        snprintf(db->err, sizeof(db->err), "%s: unknown outcome \"%s\"",
            stmt->name, outcome);
    else if (!PQgetisnull(res, 0, 1)) {
        db_row_booking(res, 0, out);
        snprintf(out->customer_ref, sizeof(out->customer_ref), "%s",
            PQgetvalue(res, 0, 10));    /* "" when NULL */
        db_booking_seats(res, 11, out);
    }
    idem->replayed = strcmp(PQgetvalue(res, 0, 8), "t") == 0;
    owner->box_len = 0;
    if (idem->replayed && !PQgetisnull(res, 0, 9))
        owner->box_len = db_unhex_any(PQgetvalue(res, 0, 9), owner->box,
                                      DB_BOX_MAX);

out:
    PQclear(res);
    return ret;
}

/*
 * GET /bookings/{id} for owner: the admin, or the holder of its token.
 * DB_NOT_FOUND for an unknown id and for one that is not the caller's
 * alike.
 */
enum db_status
db_booking_get(struct db *db, int64_t id, const struct db_owner *owner,
    struct db_booking *out)
{
    char                sid[24], hash[2 * DB_HASH_LEN + 3];
    char                chan[2 * DB_HASH_LEN + 3];
    const char         *params[] = { sid,
                                     owner->admin || owner->channel
                                        ? NULL : hash,
                                     owner->admin ? "t" : "f",
                                     owner->channel ? chan : NULL };
    enum db_exec_status st;
    enum db_status      ret;
    PGresult           *res;

    snprintf(sid, sizeof(sid), "%lld", (long long) id);
    db_hex(owner->token_hash, DB_HASH_LEN, hash);
    db_hex(owner->channel_hash, DB_HASH_LEN, chan);
    res = db_exec(db, &db_stmts_bookings[BOOKING_GET], 4, params, &st);
    ret = db_status_of(st);
    if (res != NULL && PQntuples(res) == 1) {
        db_row_booking(res, 0, out);
        snprintf(out->customer_ref, sizeof(out->customer_ref), "%s",
            PQgetvalue(res, 0, 8));     /* "" when NULL */
        db_booking_seats(res, 9, out);
    }
    else if (res != NULL)
        ret = DB_NOT_FOUND;
    PQclear(res);
    return ret;
}
