/* Handlers of the booking resources: book seats, read a booking. */

#include "bookings.h"

#include <stdio.h>

#include "json.h"
#include "rfc3339.h"

/* What each outcome of the booking transaction answers. */
static const struct {
    int         status;
    const char *code;       /* NULL: success, with message as "message" */
    const char *message;
} book_replies[] = {
    [BOOK_OK]          = { 201, NULL, "Booking CONFIRMED" },
    [BOOK_SOLD_OUT]    = { 409, "sold_out",
                           "not enough seats are available for this show" },
    [BOOK_NOT_FOUND]   = { 404, "show_not_found", "no show has this id" },
    [BOOK_STARTED]     = { 409, "show_started",
                           "this show has already started" },
    [BOOK_UNAVAILABLE] = { 503, NULL, NULL },
    [BOOK_DB_ERROR]    = { 500, NULL, NULL },
};

static json_object *emit_booking(const struct db_booking *b);

static json_object *
emit_booking(const struct db_booking *b)
{
    json_object *o = json_object_new_object();
    char         created[RFC3339_MAX];

    rfc3339_format(b->created_us, created, sizeof(created));
    json_object_object_add(o, "id", json_object_new_int64(b->id));
    json_object_object_add(o, "show_id", json_object_new_int64(b->show_id));
    json_object_object_add(o, "seat_count",
        json_object_new_int64(b->seat_count));
    json_object_object_add(o, "status", json_object_new_string(b->status));
    json_object_object_add(o, "created_at", json_object_new_string(created));
    return o;
}

/*
 * POST /book {"show_id","seat_count"} -> 201 CONFIRMED, or 409 with the
 * FAILED booking recorded when the seats are not there.
 */
void
bookings_create(struct handler_ctx *ctx)
{
    struct response   *res = ctx->res;
    json_object       *body, *answer;
    struct db_booking  booking;
    int64_t            show_id, seats;
    enum book_result   r;

    if ((body = json_body_parse_or_reply(ctx->req, res)) == NULL)
        return;
    if (json_field_int_or_reply(body, "show_id", 1, INT64_MAX - 1, &show_id,
                                res) < 0
        || json_field_int_or_reply(body, "seat_count", 1, BOOKINGS_SEATS_MAX,
                                   &seats, res) < 0)
        goto out;

    r = db_booking_create(ctx->db, show_id, seats, &booking);
    if (r == BOOK_UNAVAILABLE || r == BOOK_DB_ERROR) {
        route_reply_db_failure(ctx,
            r == BOOK_UNAVAILABLE ? DB_UNAVAILABLE : DB_ERROR);
        goto out;
    }
    if (book_replies[r].code != NULL) {
        response_error(res, book_replies[r].status, book_replies[r].code,
            NULL, book_replies[r].message);
        if (r == BOOK_SOLD_OUT)
            json_object_object_add(res->body, "booking",
                emit_booking(&booking));
        goto out;
    }
    answer = json_object_new_object();
    json_object_object_add(answer, "message",
        json_object_new_string(book_replies[r].message));
    json_object_object_add(answer, "booking", emit_booking(&booking));
    response_json(res, book_replies[r].status, answer);
    response_header(res, "Location: /bookings/%lld", (long long) booking.id);

out:
    json_object_put(body);
}

/* GET /bookings/{id} -> 200 {"booking":{...}} or 404. */
void
bookings_get(struct handler_ctx *ctx)
{
    struct db_booking booking;
    json_object      *answer;
    enum db_status    st = db_booking_get(ctx->db, ctx->id, &booking);

    if (st == DB_NOT_FOUND) {
        response_error(ctx->res, 404, "booking_not_found", NULL,
            "no booking has this id");
        return;
    }
    if (st != DB_OK) {
        route_reply_db_failure(ctx, st);
        return;
    }
    answer = json_object_new_object();
    json_object_object_add(answer, "booking", emit_booking(&booking));
    response_json(ctx->res, 200, answer);
}
