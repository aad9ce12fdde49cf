/* Admin routes of a seated show's seats: block, unblock, assign by hand. */

#include "seatadmin.h"

#include <stdlib.h>

#include "auth.h"
#include "bookings.h"
#include "idempotency.h"
#include "json.h"

/* The members each route takes; any other is 400 unknown_field. */
static const char *const block_fields[] = { "seats", "channel", NULL };
static const char *const unblock_fields[] = { "seats", NULL };
static const char *const assign_fields[] = {
    "seats", "customer", "hold", NULL,
};

struct seats_reply {
    int         status;
    const char *code;
    const char *field;
    const char *message;
};

/* What each outcome of blocking or unblocking answers. */
static const struct seats_reply seats_replies[SEATS_RESULTS] = {
    [SEATS_OK]              = { 200, NULL, NULL, NULL },
    [SEATS_NOT_FOUND]       = { 404, "not_found", NULL,
                                "no show has this id" },
    [SEATS_NOT_SEATED]      = { 404, "not_seated", NULL,
                                "this show is sold by count: it has no "
                                "seats to block" },
    [SEATS_UNKNOWN_SEATS]   = { 400, "unknown_seat", "seats",
                                "some seats named in \"seats\" are not in "
                                "this show: \"seats\" lists them" },
    [SEATS_TAKEN]           = { 409, "seats_taken", NULL,
                                "some of these seats are held or sold, and "
                                "a seat can be blocked only while it is "
                                "free: \"seats\" lists them; nothing was "
                                "blocked" },
    [SEATS_UNKNOWN_CHANNEL] = { 400, "unknown_channel", "channel",
                                "no channel with a live key has this id "
                                "(GET /admin/keys lists them)" },
};

static int seatadmin_add(const struct db_seat *seat, void *arg);
static int seatadmin_channel_or_reply(json_object *body, int64_t *channel,
    struct response *res);
static void seatadmin_change(struct handler_ctx *ctx, int block);
static void seatadmin_reply(struct handler_ctx *ctx, enum seats_result r,
    json_object *seats);
static const char *seatadmin_state_name(char state);

/* A state letter of the map, as a word. */
static const char *
seatadmin_state_name(char state)
{
    switch (state) {
    case 'f': return "free";
    case 'h': return "held";
    case 's': return "sold";
    case 'b': return "blocked";
    default:  return "unknown";
    }
}

/* One seat of the answer: {"label", "state", "channel"}. */
static int
seatadmin_add(const struct db_seat *seat, void *arg)
{
    json_object *o = json_object_new_object();

    json_put_new(o, "label", json_object_new_string(seat->label));
    json_put_new(o, "state", json_object_new_string(
        seatadmin_state_name(seat->state)));
    json_put_new(o, "channel", seat->channel_id > 0
        ? json_object_new_int64(seat->channel_id) : NULL);
    json_object_array_add(arg, o);
    return 0;
}

/*
 * The optional "channel" of a block: the id of the channel the seats are
 * kept for (a positive integer); absent or null: not for sale (0).
 * Returns 0, or -1 after answering.
 */
static int
seatadmin_channel_or_reply(json_object *body, int64_t *channel,
    struct response *res)
{
    json_object *v;

    *channel = 0;
    if (!json_object_object_get_ex(body, "channel", &v) || v == NULL)
        return 0;
    return json_field_int_or_reply(body, "channel", 1, INT64_MAX - 1,
                                   channel, res);
}

/*
 * Answer outcome r: 200 {"show_id", "seats": [{"label", "state",
 * "channel"}]} with every seat asked for as it is now; an error
 * otherwise, its "seats" the labels at fault (for unknown_seat and
 * seats_taken). Takes seats.
 */
static void
seatadmin_reply(struct handler_ctx *ctx, enum seats_result r,
    json_object *seats)
{
    const struct seats_reply *reply = &seats_replies[r];
    json_object              *answer, *labels, *label;
    size_t                    i;

    if (r == SEATS_OK) {
        answer = json_object_new_object();
        json_object_object_add(answer, "show_id",
            json_object_new_int64(ctx->id));
        json_object_object_add(answer, "seats", seats);
        response_json(ctx->res, 200, answer);
        return;
    }
    response_error(ctx->res, reply->status, reply->code, reply->field,
        reply->message);
    if (r == SEATS_UNKNOWN_SEATS || r == SEATS_TAKEN) {
        labels = json_object_new_array();
        for (i = 0; i < json_object_array_length(seats); i++) {
            json_object_object_get_ex(json_object_array_get_idx(seats, i),
                "label", &label);
            json_object_array_add(labels, json_object_get(label));
        }
        json_object_object_add(ctx->res->body, "seats", labels);
    }
    json_object_put(seats);
}

/*
 * POST /admin/shows/{id}/seats/block {"seats"[,"channel"]} and .../unblock
 * {"seats"}, admin only: the seats blocked (not for sale, or kept for
 * the channel) or unblocked, all or nothing (sql/functions/
 * 61_seat_blocks.sql). Blocking or unblocking again changes nothing, so
 * a retry needs no Idempotency-Key.
 */
static void
seatadmin_change(struct handler_ctx *ctx, int block)
{
    struct response  *res = ctx->res;
    json_object      *body = NULL, *seats = NULL;
    char             *labels = NULL;
    int64_t           n, channel = 0;
    enum seats_result r = SEATS_OK;
    enum db_status    st;

    if (auth_admin_or_reply(ctx->req, ctx->cfg, res) < 0
        || (body = json_body_parse_or_reply(ctx->req, res)) == NULL
        || json_fields_known_or_reply(body,
               block ? block_fields : unblock_fields, res) < 0
        || bookings_labels_or_reply(body, &labels, &n, res) < 0
        || seatadmin_channel_or_reply(body, &channel, res) < 0)
        goto out;
    seats = json_object_new_array();
    st = db_seats_block(ctx->db, ctx->id, labels, block, channel, &r,
        seatadmin_add, seats);
    if (st != DB_OK) {
        route_reply_db_failure(ctx, st);
        goto out;
    }
    seatadmin_reply(ctx, r, seats);
    seats = NULL;

out:
    json_object_put(seats);
    free(labels);
    json_object_put(body);
}

void
seatadmin_block(struct handler_ctx *ctx)
{
    seatadmin_change(ctx, 1);
}

void
seatadmin_unblock(struct handler_ctx *ctx)
{
    seatadmin_change(ctx, 0);
}

/*
 * POST /admin/shows/{id}/seats/assign {"seats"[,"customer"][,"hold"]},
 * admin only: the admin books exactly those seats, blocked ones too
 * (every blocked seat is the admin's own), for "customer" (the admin's
 * reference for who gets them, 1 to 200 characters), held or confirmed:
 * the booking transaction of POST /book with "seats", under the same
 * Idempotency-Key handling (bookings_book()), and its answers: 201 with
 * the booking, its token, seats and price; 409 seats_taken naming the
 * seats held or sold, the booking recorded FAILED.
 */
void
seatadmin_assign(struct handler_ctx *ctx)
{
    struct response *res = ctx->res;
    struct db_owner  owner = { 0 };
    json_object     *body = NULL, *v;
    char             scope[IDEMPOTENCY_SCOPE_MAX];
    char            *labels = NULL;
    int64_t          n;
    int              hold;

    if (auth_admin_or_reply(ctx->req, ctx->cfg, res) < 0
        || (body = json_body_parse_or_reply(ctx->req, res)) == NULL
        || json_fields_known_or_reply(body, assign_fields, res) < 0
        || bookings_labels_or_reply(body, &labels, &n, res) < 0
        || bookings_hold_or_reply(body, &hold, res) < 0
        || (json_object_object_get_ex(body, "customer", &v) && v != NULL
            && json_field_string_or_reply(body, "customer", 200,
                                          &owner.customer_ref, res) < 0))
        goto out;
    owner.admin = 1;
    owner.seats = labels;
    idempotency_scope(ctx->req, &owner, scope, sizeof(scope));
    bookings_book(ctx, body, &owner, scope, ctx->id, n, hold);

out:
    free(labels);
    json_object_put(body);
}
