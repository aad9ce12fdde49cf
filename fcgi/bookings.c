/* Handlers of the booking resources: book or hold seats, confirm, cancel, read. */

#include "bookings.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "idempotency.h"
#include "json.h"
#include "jsoncanon.h"
#include "metrics.h"
#include "rfc3339.h"
#include "standing.h"
#include "token.h"

#define BOOKINGS_WHO_MAX (4 + 2 * DB_HASH_LEN + 1)

struct book_reply {
    int         status;
    const char *code;       /* NULL: success, and message is "message" */
    const char *message;
};

/* The members POST /book takes; any other is 400 unknown_field. */
static const char *const book_fields[] = {
    "show_id", "seat_count", "seats", "best_available", "hold", "customer",
    "standing", NULL,
};

/* The members "best_available" takes. */
static const char *const best_fields[] = {
    "together", "categories", "sections", "accessible", NULL,
};

/* "seats": at most this many labels in one request. */
#define BOOKINGS_LABELS_MAX 1000

#define KEY_REUSED { 422, "idempotency_key_reused", \
                     "this Idempotency-Key was used with a different request" }

/*
 * What each outcome answers, per operation. 503 and 500 are answered by
 * route_reply_db_failure(), which keeps libpq's text to the log.
 */
static const struct book_reply book_replies[][BOOK_RESULTS] = {
    [BOOK_OP_CREATE] = {
        [BOOK_OK]        = { 201, NULL, "Booking CONFIRMED" },
        [BOOK_SOLD_OUT]  = { 409, "sold_out",
                             "not enough seats are available for this show" },
        [BOOK_NOT_FOUND] = { 404, "show_not_found", "no show has this id" },
        [BOOK_STARTED]   = { 409, "show_started",
                             "this show has already started" },
        [BOOK_KEY_REUSED] = KEY_REUSED,
        [BOOK_HOLD_LIMIT] = { 409, "hold_limit",
                             "this client holds as many holds, or held "
                             "seats, as it may: confirm or cancel one first" },
        [BOOK_CUSTOMER_LIMIT] = { 409, "customer_limit",
                             "this customer has as many seats of this show "
                             "as one customer may have" },
        [BOOK_SEAT_LIMIT] = { 409, "seat_limit",
                             "more seats than one booking may have" },
        [BOOK_UNAUTHORIZED] = { 401, "unauthorized",
                             "this channel key is unknown or revoked" },
        [BOOK_SEATS_TAKEN] = { 409, "seats_taken",
                             "some of these seats are not free: \"seats\" "
                             "lists them" },
        [BOOK_NOT_SEATED] = { 400, "not_seated",
                             "this show is sold by count: book it with "
                             "seat_count, without seats" },
        [BOOK_UNKNOWN_SEATS] = { 400, "unknown_seat",
                             "a seat named in \"seats\" is not in this "
                             "show" },
        [BOOK_NOT_ADJACENT] = { 409, "not_enough_adjacent",
                             "seats are free, but no block of that many "
                             "together: ask with \"together\": false, or "
                             "for fewer" },
        [BOOK_UNKNOWN_CATEGORY] = { 400, "unknown_category",
                             "a category in \"best_available\" is not "
                             "one of this show's" },
        [BOOK_UNKNOWN_SECTION] = { 400, "unknown_section",
                             "no section in \"best_available\" is one of "
                             "this show's" },
        [BOOK_UNKNOWN_AREA] = { 400, "unknown_area",
                             "an area named in \"standing\" is not one of "
                             "this show's standing areas" },
        [BOOK_SEATS_REQUIRED] = { 400, "seats_required",
                             "this show is seated: name the seats to book "
                             "in \"seats\"" },
    },
    [BOOK_OP_CONFIRM] = {
        [BOOK_OK]        = { 200, NULL, "Booking CONFIRMED" },
        [BOOK_NOT_FOUND] = { 404, "booking_not_found", "no booking has this id" },
        [BOOK_EXPIRED]   = { 409, "hold_expired",
                             "the hold expired before it was confirmed" },
        [BOOK_FAILED]    = { 409, "booking_failed",
                             "this booking failed and cannot be confirmed" },
        [BOOK_CANCELLED] = { 409, "booking_cancelled",
                             "this booking was cancelled" },
        [BOOK_STARTED]   = { 409, "show_started",
                             "the show has started; the hold can no longer "
                             "be confirmed" },
        [BOOK_KEY_REUSED] = KEY_REUSED,
    },
    [BOOK_OP_CANCEL] = {
        [BOOK_OK]        = { 200, NULL, "Booking CANCELLED" },
        [BOOK_NOT_FOUND] = { 404, "booking_not_found", "no booking has this id" },
        [BOOK_EXPIRED]   = { 409, "hold_expired",
                             "the hold has already expired" },
        [BOOK_FAILED]    = { 409, "booking_failed",
                             "this booking failed; there is nothing to cancel" },
        [BOOK_STARTED]   = { 409, "show_started",
                             "the show has started; it can no longer be "
                             "cancelled" },
        [BOOK_KEY_REUSED] = KEY_REUSED,
    },
    [BOOK_OP_EXTEND] = {
        [BOOK_OK]        = { 200, NULL, "Hold extended" },
        [BOOK_NOT_FOUND] = { 404, "booking_not_found", "no booking has this id" },
        [BOOK_EXPIRED]   = { 409, "hold_expired",
                             "the hold has already expired" },
        [BOOK_STARTED]   = { 409, "show_started",
                             "the show has started; the hold can no longer "
                             "be extended" },
        [BOOK_FAILED]    = { 409, "booking_failed",
                             "this booking failed; there is nothing to "
                             "extend" },
        [BOOK_CANCELLED] = { 409, "booking_cancelled",
                             "this booking was cancelled" },
        [BOOK_NOT_A_HOLD] = { 409, "not_a_hold",
                             "this booking is confirmed, not held" },
        [BOOK_EXTEND_LIMIT] = { 409, "hold_extend_limit",
                             "this hold was extended as far, or as often, "
                             "as a hold may be" },
        [BOOK_KEY_REUSED] = KEY_REUSED,
    },
};

static json_object *emit_booking(const struct db_booking *b);
static json_object *emit_area_names(const char *standing);
static void bookings_reply(struct handler_ctx *ctx, enum book_op op,
    enum book_result r, const struct db_booking *booking,
    const struct idempotency *idem, const char *token);
static void bookings_change(struct handler_ctx *ctx, enum book_op op);
static void bookings_count(struct handler_ctx *ctx, enum book_op op,
    enum book_result r, const struct db_booking *booking,
    const struct db_idem *idem);
static int bookings_token_new(const struct idempotency *idem,
    struct db_owner *owner, char *token);
static void bookings_token_replayed(const struct idempotency *idem,
    const struct db_owner *owner, char *token);
static void bookings_owner_name(const struct db_owner *owner, char *buf);
static int bookings_client_or_reply(struct handler_ctx *ctx,
    struct db_owner *owner, char *client, size_t size);
static int bookings_customer_or_reply(json_object *body,
    struct db_owner *owner, struct response *res);
static int bookings_label_ok(const char *s, size_t len);
static int bookings_names_or_reply(json_object *spec, const char *name,
    size_t max, struct response *res);
static int bookings_best_or_reply(json_object *body, int has_seats,
    int64_t seats, const char **best, struct response *res);
static int bookings_seats_or_reply(json_object *body, int64_t places,
    char **labels, int64_t *count, struct response *res);

static json_object *
emit_booking(const struct db_booking *b)
{
    json_object *o = json_object_new_object();
    char         ts[RFC3339_MAX];

    json_put_new(o, "id", json_object_new_int64(b->id));
    json_put_new(o, "show_id", json_object_new_int64(b->show_id));
    json_put_new(o, "seat_count",
        json_object_new_int64(b->seat_count));
    json_put_new(o, "status", json_object_new_string(b->status));
    rfc3339_format(b->created_us, ts, sizeof(ts));
    json_put_new(o, "created_at", json_object_new_string(ts));
    rfc3339_format(b->expires_us, ts, sizeof(ts));
    json_put_new(o, "expires_at",
        b->has_expires ? json_object_new_string(ts) : NULL);
    json_put_new(o, "reason", b->reason[0] != '\0'
        ? json_object_new_string(b->reason) : NULL);
    if (b->customer_ref[0] != '\0')
        json_put_new(o, "customer", json_object_new_string(b->customer_ref));
    if (b->seats != NULL) {
        json_put_new(o, "seats", json_tokener_parse(b->seats));
        json_put_new(o, "price", json_object_new_int64(b->price));
        json_put_new(o, "adjacent", json_object_new_boolean(b->adjacent));
    }
    if (b->standing != NULL)
        json_put_new(o, "standing", json_tokener_parse(b->standing));
    return o;
}

/* The names of a booking's standing object ({"Floor": 2}), as a list. */
static json_object *
emit_area_names(const char *standing)
{
    json_object *obj = json_tokener_parse(standing);
    json_object *names = json_object_new_array();

    if (json_object_is_type(obj, json_type_object)) {
        json_object_object_foreach(obj, name, v) {
            (void) v;
            json_object_array_add(names, json_object_new_string(name));
        }
    }
    json_object_put(obj);
    return names;
}

/*
 * Count the outcome for /metrics. A replay under an Idempotency-Key was
 * counted the first time; a bad request or an unknown show is not a
 * booking at all.
 */
static void
bookings_count(struct handler_ctx *ctx, enum book_op op, enum book_result r,
    const struct db_booking *booking, const struct db_idem *idem)
{
    if (idem->replayed)
        return;
    if (op == BOOK_OP_CREATE) {
        if (r == BOOK_OK)
            metrics_booking(ctx->metrics, booking->has_expires
                ? METRICS_HELD : METRICS_CONFIRMED, booking->seat_count);
        else if (r == BOOK_SOLD_OUT)
            metrics_booking(ctx->metrics, METRICS_SOLD_OUT, 0);
        else if (r == BOOK_UNAVAILABLE || r == BOOK_DB_ERROR)
            metrics_booking(ctx->metrics, METRICS_FAILED, 0);
        /* BOOK_UNKNOWN may have committed: its keyed retry is a replay,
         * so neither outcome can be counted honestly */
    } else if (r == BOOK_OK && op != BOOK_OP_EXTEND) {
        metrics_hold(ctx->metrics, op == BOOK_OP_CONFIRM, booking->seat_count);
    }
}

/*
 * Answer the outcome r of operation op: the booking on success, the error
 * shape otherwise, with the booking too when there is one (a FAILED
 * booking on sold out, the lapsed hold on a refused confirm).
 */
static void
bookings_reply(struct handler_ctx *ctx, enum book_op op, enum book_result r,
    const struct db_booking *booking, const struct idempotency *idem,
    const char *token)
{
    const struct book_reply *reply = &book_replies[op][r];
    json_object             *answer;
    int                      short_areas;

    idempotency_reply(ctx->res, idem);
    bookings_count(ctx, op, r, booking, &idem->db);
    if (r == BOOK_UNAVAILABLE || r == BOOK_UNKNOWN || r == BOOK_DB_ERROR
        || reply->status == 0) {
        route_reply_db_failure(ctx, r == BOOK_UNAVAILABLE ? DB_UNAVAILABLE
                                  : r == BOOK_UNKNOWN ? DB_UNKNOWN : DB_ERROR);
        return;
    }
    /* refused for its standing places: the areas short of them */
    short_areas = r == BOOK_SOLD_OUT && booking->standing != NULL;
    if (reply->code != NULL) {
        response_error(ctx->res, reply->status, reply->code,
            r == BOOK_SEATS_REQUIRED ? "seat_count"
            : r == BOOK_NOT_SEATED || r == BOOK_UNKNOWN_SEATS ? "seats"
            : r == BOOK_UNKNOWN_CATEGORY ? "best_available.categories"
            : r == BOOK_UNKNOWN_SECTION ? "best_available.sections"
            : r == BOOK_UNKNOWN_AREA || short_areas ? "standing"
            : NULL,
            short_areas ? "a standing area has fewer free places than "
                          "asked: \"standing\" lists it"
                        : reply->message);
        if (r == BOOK_SEATS_TAKEN && booking->seats != NULL)
            json_object_object_add(ctx->res->body, "seats",
                json_tokener_parse(booking->seats));
        if (short_areas)
            json_object_object_add(ctx->res->body, "standing",
                emit_area_names(booking->standing));
        if (reply->status == 401)
            response_header(ctx->res,
                "WWW-Authenticate: Bearer realm=\"booking\"");
        if (r != BOOK_NOT_FOUND && r != BOOK_KEY_REUSED && booking->id != 0) {
            json_object_object_add(ctx->res->body, "booking",
                emit_booking(booking));
            if (token[0] != '\0')
                json_object_object_add(ctx->res->body, "token",
                    json_object_new_string(token));
        }
        return;
    }
    answer = json_object_new_object();
    json_object_object_add(answer, "message", json_object_new_string(
        op == BOOK_OP_CREATE && booking->has_expires ? "Booking PENDING"
                                                     : reply->message));
    json_object_object_add(answer, "booking", emit_booking(booking));
    if (token[0] != '\0')
        json_object_object_add(answer, "token", json_object_new_string(token));
    response_json(ctx->res, reply->status, answer);
    if (op == BOOK_OP_CREATE)
        response_header(ctx->res, "Location: /bookings/%lld",
            (long long) booking->id);
}

/* The optional "hold": a boolean; absent or null mean false. */
int
bookings_hold_or_reply(json_object *body, int *hold, struct response *res)
{
    json_object *v;

    *hold = 0;
    if (!json_object_object_get_ex(body, "hold", &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_boolean)) {
        response_error(res, 400, "invalid_type", "hold",
            "field \"hold\" must be true or false");
        return -1;
    }
    *hold = json_object_get_boolean(v);
    return 0;
}

/*
 * A new booking's token into token (TOKEN_MAX), and its hash into owner;
 * under an Idempotency-Key also the token sealed with the key's pad, for
 * a retry to open (the database keeps only that and the hash). Returns
 * 0, or -1 when no random bytes could be had.
 */
static int
bookings_token_new(const struct idempotency *idem, struct db_owner *owner,
    char *token)
{
    uint8_t raw[TOKEN_RAW_LEN];

    if (token_new(AUTH_BOOKING_PREFIX, token, TOKEN_MAX) < 0
        || token_parse(AUTH_BOOKING_PREFIX, token, raw) < 0)
        return -1;
    token_hash(token, owner->token_hash);
    owner->box_len = idem->db.key != NULL
        ? idempotency_seal(idem, raw, owner->box) : 0;
    return 0;
}

/*
 * After a replay, the token is the one the first request made: opened
 * from its sealed copy, or none for a booking stored without one (by
 * an older release), or sealed under another secret.
 */
static void
bookings_token_replayed(const struct idempotency *idem,
    const struct db_owner *owner, char *token)
{
    uint8_t raw[TOKEN_RAW_LEN];
    size_t  n = strlen(AUTH_BOOKING_PREFIX);

    if (!idem->db.replayed)
        return;
    token[0] = '\0';
    if (idempotency_open(idem, owner->box, owner->box_len, raw) < 0)
        return;
    memcpy(token, AUTH_BOOKING_PREFIX, n);
    if (token_b64url_encode(raw, sizeof(raw), token + n, TOKEN_MAX - n) < 0)
        token[0] = '\0';
}

/*
 * Who books. With the admin token: the admin, who has no caps. With a
 * channel's key: that channel, whose caps the database reads with the
 * key (an unknown or revoked key is 401 from there, which the caller
 * counts as a failed authentication). Without a credential: an
 * anonymous client, known by its address (client, of size bytes, "addr
 * 192.0.2.1"), which is also whose seats they are, with the caps of the
 * configuration. Any other credential: 401, counted. Any credential but
 * the admin token is first put to auth_guard_or_reply() (429). client
 * is also the namespace of the Idempotency-Key. Returns 0, or -1 after
 * answering.
 */
static int
bookings_client_or_reply(struct handler_ctx *ctx, struct db_owner *owner,
    char *client, size_t size)
{
    const struct config *cfg = ctx->cfg;
    const char          *auth = ctx->req->authorization;

    if (auth != NULL && auth_bearer_ok(auth, cfg->admin_token,
                                       cfg->admin_token_len)) {
        owner->admin = 1;
    } else if (auth != NULL && auth_guard_or_reply(ctx) < 0) {
        return -1;
    } else if (auth != NULL && !auth_channel_key(auth, owner)) {
        auth_failed(ctx);
        response_error(ctx->res, 401, "unauthorized", NULL,
            "book without a credential, with a channel's key, or with the "
            "admin token");
        response_header(ctx->res,
            "WWW-Authenticate: Bearer realm=\"booking\"");
        return -1;
    }
    idempotency_scope(ctx->req, owner, client, size);
    if (owner->admin || owner->channel)
        return 0;
    owner->client = owner->customer = client;
    owner->max_live_holds = cfg->max_live_holds;
    owner->max_held_seats = cfg->max_held_seats;
    return 0;
}

/*
 * The optional "customer": a channel's own reference for the buyer,
 * 1 to 200 characters, which its cap per customer counts by. Only a
 * channel names its customer. Returns 0, or -1 after answering.
 */
static int
bookings_customer_or_reply(json_object *body, struct db_owner *owner,
    struct response *res)
{
    json_object *v;

    if (!json_object_object_get_ex(body, "customer", &v) || v == NULL)
        return 0;
    if (!owner->channel) {
        response_error(res, 400, "invalid_value", "customer",
            "only a channel (with its key) names its customer");
        return -1;
    }
    return json_field_string_or_reply(body, "customer", 200,
        &owner->customer_ref, res);
}

/*
 * POST /book {"show_id","seat_count"[,"hold"]} -> 201 CONFIRMED, or
 * PENDING until expires_at with "hold": true; 409 with the FAILED
 * booking recorded when the seats are not there. Either way the answer
 * carries the booking's token, once: only its holder (or the admin) may
 * read, confirm or cancel it. Any other member is 400 unknown_field,
 * checked before the members above. An anonymous client may book at
 * most MAX_SEATS_PER_BOOKING seats at once (409 seat_limit) and hold at
 * most MAX_LIVE_HOLDS holds of MAX_HELD_SEATS seats (409 hold_limit);
 * a show may cap each customer's seats (409 customer_limit).
 */
void
bookings_create(struct handler_ctx *ctx)
{
    struct db_owner    owner = { 0 };
    char               scope[IDEMPOTENCY_SCOPE_MAX];
    char              *labels = NULL;
    const char        *best = NULL, *standing = NULL;
    json_object       *body;
    int64_t            show_id, seats, places;
    int                hold;

    if (bookings_client_or_reply(ctx, &owner, scope, sizeof(scope)) < 0
        || (body = json_body_parse_or_reply(ctx->req, ctx->res)) == NULL)
        return;
    if (json_fields_known_or_reply(body, book_fields, ctx->res) < 0
        || json_field_int_or_reply(body, "show_id", 1, INT64_MAX - 1,
                                   &show_id, ctx->res) < 0
        || standing_places_or_reply(body, &standing, &places, ctx->res) < 0
        || bookings_seats_or_reply(body, places, &labels, &seats,
                                   ctx->res) < 0
        || bookings_best_or_reply(body, labels != NULL || standing != NULL,
                                  seats, &best, ctx->res) < 0
        || bookings_hold_or_reply(body, &hold, ctx->res) < 0
        || bookings_customer_or_reply(body, &owner, ctx->res) < 0)
        goto out;
    owner.seats = labels;
    owner.best = best;
    owner.standing = standing;
    bookings_book(ctx, body, &owner, scope, show_id, seats, hold);

out:
    free(labels);
    json_object_put(body);
}

/*
 * Book seats seats of show show_id for owner (who asks; owner->seats or
 * owner->best say which seats, for a seated show), held when hold, and
 * answer: the booking transaction under the request's Idempotency-Key,
 * scoped to scope, with body (parsed, checked) as its fingerprint, so
 * that POST /book and the admin's assignment (seatadmin.c) are one path.
 * An anonymous client's MAX_SEATS_PER_BOOKING is checked here.
 */
void
bookings_book(struct handler_ctx *ctx, json_object *body,
    struct db_owner *owner, const char *scope, int64_t show_id,
    int64_t seats, int hold)
{
    struct db_booking  booking = { 0 };
    struct idempotency idem;
    char               token[TOKEN_MAX];
    char              *canon;
    enum book_result   r;

    /* a retry is the same request if its body holds the same values */
    if ((canon = json_canonical(body)) == NULL) {
        route_reply_db_failure(ctx, DB_ERROR);
        return;
    }
    if (idempotency_key_or_reply(ctx->req, scope,
            ctx->cfg->secret_key, canon, &idem, ctx->res) < 0)
        goto out;
    idem.db.legacy_body = ctx->req->body;
    if (!owner->admin && !owner->channel
        && ctx->cfg->max_seats_per_booking > 0
        && seats > ctx->cfg->max_seats_per_booking) {
        bookings_reply(ctx, BOOK_OP_CREATE, BOOK_SEAT_LIMIT, &booking, &idem,
            "");
        goto out;
    }
    if (bookings_token_new(&idem, owner, token) < 0) {
        fprintf(stderr, "booking-fcgi: request_id=%s getrandom() failed: "
            "%s\n", ctx->req->request_id, strerror(errno));
        route_reply_db_failure(ctx, DB_ERROR);
        goto out;
    }
    r = db_booking_run(ctx->db, &idem.db, BOOK_OP_CREATE, show_id, seats,
        hold ? ctx->cfg->hold_ttl_seconds : 0, owner, &booking);
    if (r == BOOK_UNAUTHORIZED)
        auth_failed(ctx);
    bookings_token_replayed(&idem, owner, token);
    /* the request's own: a replay's body names the same */
    if (owner->customer_ref != NULL && booking.id != 0)
        snprintf(booking.customer_ref, sizeof(booking.customer_ref), "%s",
            owner->customer_ref);
    bookings_reply(ctx, BOOK_OP_CREATE, r, &booking, &idem, token);

out:
    db_booking_clear(&booking);
    free(canon);
}

/*
 * An array member "name" of 1 to max strings of 1 to 40 characters, if
 * present. Returns 0, or -1 after answering (field "best_available.name").
 */
static int
bookings_names_or_reply(json_object *spec, const char *name, size_t max,
    struct response *res)
{
    json_object *arr, *v;
    char         field[64];
    size_t       i, n;

    if (!json_object_object_get_ex(spec, name, &arr) || arr == NULL)
        return 0;
    snprintf(field, sizeof(field), "best_available.%s", name);
    if (!json_object_is_type(arr, json_type_array)
        || (n = json_object_array_length(arr)) == 0 || n > max) {
        response_error(res, 400, "invalid_value", field,
            "it must be an array of names");
        return -1;
    }
    for (i = 0; i < n; i++) {
        v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string)
            || json_object_get_string_len(v) < 1
            || json_object_get_string_len(v) > 40) {
            response_error(res, 400, "invalid_value", field,
                "each name must be a string of 1 to 40 characters");
            return -1;
        }
    }
    return 0;
}

/*
 * The optional "best_available": {"together" (a boolean, default true),
 * "categories" (names), "sections" (names), "accessible" (how many of
 * the seats must be accessible places: 0 to seats)}, the service
 * choosing seats seats of a seated show; not beside "seats". *best
 * points into body (its JSON text), NULL when absent. Returns 0, or -1
 * after answering.
 */
static int
bookings_best_or_reply(json_object *body, int has_seats, int64_t seats,
    const char **best, struct response *res)
{
    json_object *spec, *v;

    *best = NULL;
    if (!json_object_object_get_ex(body, "best_available", &spec)
        || spec == NULL)
        return 0;
    if (has_seats) {
        response_error(res, 400, "invalid_value", "best_available",
            "give \"seats\" (and \"standing\") or \"best_available\", "
            "not both");
        return -1;
    }
    if (!json_object_is_type(spec, json_type_object)) {
        response_error(res, 400, "invalid_type", "best_available",
            "field \"best_available\" must be an object");
        return -1;
    }
    /* a seated booking lists its seats: as many as "seats" may name */
    if (seats > BOOKINGS_LABELS_MAX) {
        response_error(res, 400, "invalid_value", "seat_count",
            "with \"best_available\", field \"seat_count\" must be from 1 "
            "to 1000: a seated booking has at most 1000 seats");
        return -1;
    }
    if (json_fields_known_or_reply(spec, best_fields, res) < 0
        || bookings_names_or_reply(spec, "categories", 32, res) < 0
        || bookings_names_or_reply(spec, "sections", 200, res) < 0)
        return -1;
    if (json_object_object_get_ex(spec, "together", &v) && v != NULL
        && !json_object_is_type(v, json_type_boolean)) {
        response_error(res, 400, "invalid_type", "best_available.together",
            "field \"together\" must be true or false");
        return -1;
    }
    if (json_object_object_get_ex(spec, "accessible", &v) && v != NULL
        && (!json_object_is_type(v, json_type_int)
            || json_object_get_int64(v) < 0
            || json_object_get_int64(v) > seats)) {
        response_error(res, 400, "invalid_value", "best_available.accessible",
            "field \"accessible\" must be a whole number from 0 to "
            "seat_count: how many of the seats must be accessible places");
        return -1;
    }
    *best = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN);
    return 0;
}

/* A seat's label: 1 to 96 of letters, digits, space, '.', '_', '-'. */
static int
bookings_label_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > 96)
        return 0;
    for (i = 0; i < len; i++)
        if (!isalnum((unsigned char) s[i]) && strchr(" ._-", s[i]) == NULL)
            return 0;
    return 1;
}

/*
 * "seats": 1 to BOOKINGS_LABELS_MAX distinct labels of a seated show's
 * seats, into *labels as a PostgreSQL array literal (malloc'd; each
 * label quoted, which its characters allow) and their number into *n.
 * Absent: 400 missing_field. Returns 0, or -1 after answering.
 */
int
bookings_labels_or_reply(json_object *body, char **labels, int64_t *n,
    struct response *res)
{
    json_object *arr, *v;
    size_t       i, j, len, size, used = 0, count;
    char        *buf;

    *labels = NULL;
    if (!json_object_object_get_ex(body, "seats", &arr) || arr == NULL) {
        response_error(res, 400, "missing_field", "seats",
            "field \"seats\" is required");
        return -1;
    }
    if (!json_object_is_type(arr, json_type_array)
        || (count = json_object_array_length(arr)) == 0
        || count > BOOKINGS_LABELS_MAX) {
        response_error(res, 400, "invalid_value", "seats",
            "field \"seats\" must be an array of 1 to 1000 seat labels");
        return -1;
    }
    for (i = 0; i < count; i++) {
        v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string)
            || !bookings_label_ok(json_object_get_string(v),
                                  (size_t) json_object_get_string_len(v))) {
            response_error(res, 400, "invalid_value", "seats",
                "each seat label must be 1 to 96 letters, digits, spaces, "
                "'.', '_' or '-'");
            return -1;
        }
        for (j = 0; j < i; j++)
            if (strcmp(json_object_get_string(v), json_object_get_string(
                    json_object_array_get_idx(arr, j))) == 0) {
                response_error(res, 400, "invalid_value", "seats",
                    "a seat is named twice in \"seats\"");
                return -1;
            }
    }
    size = count * (96 + 3) + 3;
    if ((buf = malloc(size)) == NULL) {
        response_error(res, 500, "internal_error", NULL,
            "an internal error occurred; it has been logged");
        return -1;
    }
    buf[used++] = '{';
    for (i = 0; i < count; i++) {
        v = json_object_array_get_idx(arr, i);
        len = (size_t) json_object_get_string_len(v);
        if (i > 0)
            buf[used++] = ',';
        buf[used++] = '"';
        memcpy(buf + used, json_object_get_string(v), len);
        used += len;
        buf[used++] = '"';
    }
    buf[used++] = '}';
    buf[used] = '\0';
    *labels = buf;
    *n = (int64_t) count;
    return 0;
}

/*
 * The seats asked for: "seat_count" (1 to BOOKINGS_SEATS_MAX) for a show
 * sold by count; or "seats" (bookings_labels_or_reply()), places
 * standing places beside them, or places alone, with "seat_count"
 * optional and then equal to their number in all. Returns 0, or -1
 * after answering.
 */
static int
bookings_seats_or_reply(json_object *body, int64_t places, char **labels,
    int64_t *count, struct response *res)
{
    json_object *v;
    int64_t      n = 0;

    *labels = NULL;
    if (json_object_object_get_ex(body, "seats", &v) && v != NULL) {
        if (bookings_labels_or_reply(body, labels, &n, res) < 0)
            return -1;
    } else if (places == 0) {
        return json_field_int_or_reply(body, "seat_count", 1,
                                       BOOKINGS_SEATS_MAX, count, res);
    }
    n += places;
    *count = n;
    if (!json_object_object_get_ex(body, "seat_count", &v) || v == NULL)
        return 0;
    if (json_field_int_or_reply(body, "seat_count", 1, BOOKINGS_SEATS_MAX,
                                count, res) < 0)
        goto fail;
    if (*count == n)
        return 0;
    response_error(res, 400, "invalid_value", "seat_count",
        "field \"seat_count\" must be the number of \"seats\" and "
        "standing places");
fail:
    free(*labels);
    *labels = NULL;
    return -1;
}

/*
 * Who asks, for a fingerprint (BOOKINGS_WHO_MAX bytes): "admin", "key "
 * and the hex of a channel key's hash, or the hex of the token's hash.
 */
static void
bookings_owner_name(const struct db_owner *owner, char *buf)
{
    const uint8_t *hash = owner->channel ? owner->channel_hash
                                         : owner->token_hash;
    size_t         i, n = owner->channel ? 4 : 0;

    if (owner->admin) {
        strcpy(buf, "admin");
        return;
    }
    memcpy(buf, "key ", n);
    for (i = 0; i < DB_HASH_LEN; i++)
        snprintf(buf + n + 2 * i, 3, "%02x", hash[i]);
}

/*
 * Confirm, cancel or extend ctx->id, for its owner: the holder of its
 * token, the channel that made it, or the admin (401 without a
 * credential, 404 for a wrong one, as for an unknown id, and counted
 * against the address as a failed authentication; 429 while it has
 * failed too often). The body must be empty or {} (else 415 or 400,
 * before anything is stored); both mean the same request, so the
 * Idempotency-Key fingerprint takes who asks instead of the body.
 */
static void
bookings_change(struct handler_ctx *ctx, enum book_op op)
{
    struct db_booking  booking = { 0 };
    struct db_owner    owner;
    struct idempotency idem;
    char               scope[IDEMPOTENCY_SCOPE_MAX];
    char               who[BOOKINGS_WHO_MAX];
    enum book_result   r;

    if (auth_booking_or_reply(ctx, &owner) < 0
        || json_body_empty_or_reply(ctx->req, ctx->res) < 0)
        return;
    idempotency_scope(ctx->req, &owner, scope, sizeof(scope));
    bookings_owner_name(&owner, who);
    if (idempotency_key_or_reply(ctx->req, scope,
            ctx->cfg->secret_key, who, &idem, ctx->res) < 0)
        return;
    idem.db.legacy_body = "";   /* the previous release's, for its keys */
    owner.hold_max_seconds = ctx->cfg->hold_max_seconds;
    owner.hold_max_extends = ctx->cfg->hold_max_extends;
    r = db_booking_run(ctx->db, &idem.db, op, ctx->id, 0,
        op == BOOK_OP_EXTEND ? ctx->cfg->hold_ttl_seconds : 0, &owner,
        &booking);
    /* a wrong token or an unknown id: the same failure from outside */
    if (r == BOOK_NOT_FOUND && !owner.admin)
        auth_failed(ctx);
    bookings_reply(ctx, op, r, &booking, &idem, "");
    db_booking_clear(&booking);
}

/* POST /bookings/{id}/confirm -> 200 CONFIRMED (again on a retry), or 409. */
void
bookings_confirm(struct handler_ctx *ctx)
{
    bookings_change(ctx, BOOK_OP_CONFIRM);
}

/* POST /bookings/{id}/cancel -> 200 CANCELLED (again on a retry), or 409. */
void
bookings_cancel(struct handler_ctx *ctx)
{
    bookings_change(ctx, BOOK_OP_CANCEL);
}

/*
 * POST /bookings/{id}/extend -> 200 with the hold's new expires_at,
 * HOLD_TTL_SECONDS from now but at most HOLD_MAX_SECONDS after it was
 * made, at most HOLD_MAX_EXTENDS times (then 409 hold_extend_limit).
 */
void
bookings_extend(struct handler_ctx *ctx)
{
    bookings_change(ctx, BOOK_OP_EXTEND);
}

/*
 * GET /bookings/{id} -> 200 {"booking":{...}}, for its owner: 401
 * without a credential, 404 for an unknown id or a wrong token alike
 * (counted as a failed authentication), 429 auth_rate_limited while
 * the address has failed too often.
 */
void
bookings_get(struct handler_ctx *ctx)
{
    struct db_booking booking = { 0 };
    struct db_owner   owner;
    json_object      *answer;
    enum db_status    st;

    if (auth_booking_or_reply(ctx, &owner) < 0)
        return;
    st = db_booking_get(ctx->db, ctx->id, &owner, &booking);

    if (st == DB_NOT_FOUND) {
        if (!owner.admin)
            auth_failed(ctx);
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
    db_booking_clear(&booking);
}
