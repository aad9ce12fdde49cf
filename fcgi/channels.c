/* Handlers of channel keys (admin): create one (its key shown once), list, revoke. */

#include "channels.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "json.h"
#include "rfc3339.h"
#include "token.h"

#define CHANNELS_LIST_MAX   1000
#define CHANNELS_CAP_MAX    1000000

/* The members POST /admin/keys takes, and those of its "limits". */
static const char *const channel_fields[] = { "name", "limits", NULL };
static const char *const limit_fields[] = {
    "max_seats_per_booking", "max_live_holds", "max_held_seats", NULL,
};

static json_object *emit_channel(const struct db_channel *c);
static int channels_add(const struct db_channel *c, void *arg);
static int channels_limits_or_reply(json_object *body, struct db_channel *c,
    struct response *res);

static json_object *
emit_channel(const struct db_channel *c)
{
    json_object *o = json_object_new_object(), *limits;
    const int64_t caps[] = { c->max_seats_per_booking, c->max_live_holds,
                             c->max_held_seats };
    char          ts[RFC3339_MAX];
    int           i;

    json_put_new(o, "id", json_object_new_int64(c->id));
    json_put_new(o, "name", json_object_new_string(c->name));
    limits = json_object_new_object();
    for (i = 0; i < 3; i++)
        json_object_object_add(limits, limit_fields[i], caps[i] > 0
            ? json_object_new_int64(caps[i]) : NULL);
    json_put_new(o, "limits", limits);
    rfc3339_format(c->created_us, ts, sizeof(ts));
    json_put_new(o, "created_at", json_object_new_string(ts));
    rfc3339_format(c->revoked_us, ts, sizeof(ts));
    json_put_new(o, "revoked_at",
        c->revoked ? json_object_new_string(ts) : NULL);
    return o;
}

/*
 * The optional "limits": {"max_seats_per_booking", "max_live_holds",
 * "max_held_seats"}, each 1 to 1000000, or absent or null for no cap.
 * Returns 0, or -1 after answering.
 */
static int
channels_limits_or_reply(json_object *body, struct db_channel *c,
    struct response *res)
{
    int64_t     *caps[] = { &c->max_seats_per_booking, &c->max_live_holds,
                            &c->max_held_seats };
    json_object *limits, *v;
    int          i;

    if (!json_object_object_get_ex(body, "limits", &limits) || limits == NULL)
        return 0;
    if (!json_object_is_type(limits, json_type_object)) {
        response_error(res, 400, "invalid_type", "limits",
            "field \"limits\" must be an object");
        return -1;
    }
    if (json_fields_known_or_reply(limits, limit_fields, res) < 0)
        return -1;
    for (i = 0; i < 3; i++)
        if (json_object_object_get_ex(limits, limit_fields[i], &v)
            && v != NULL
            && json_field_int_or_reply(limits, limit_fields[i], 1,
                                       CHANNELS_CAP_MAX, caps[i], res) < 0)
            return -1;
    return 0;
}

/*
 * POST /admin/keys {"name"[,"limits"]} -> 201 {"key":{...},"secret":
 * "key_..."}: a channel and its key, shown this once; the database keeps
 * only its SHA-256.
 */
void
channels_create(struct handler_ctx *ctx)
{
    struct db_channel in = { 0 }, out;
    struct response  *res = ctx->res;
    json_object      *body = NULL, *answer;
    const char       *name;
    char              secret[TOKEN_MAX];
    uint8_t           hash[TOKEN_HASH_LEN];
    enum db_status    st;

    if (auth_admin_or_reply(ctx->req, ctx->cfg, res) < 0
        || (body = json_body_parse_or_reply(ctx->req, res)) == NULL
        || json_fields_known_or_reply(body, channel_fields, res) < 0
        || json_field_string_or_reply(body, "name", 200, &name, res) < 0
        || channels_limits_or_reply(body, &in, res) < 0)
        goto out;
    snprintf(in.name, sizeof(in.name), "%s", name);
    if (token_new(AUTH_CHANNEL_PREFIX, secret, sizeof(secret)) < 0) {
        fprintf(stderr, "booking-fcgi: request_id=%s getrandom() failed: "
            "%s\n", ctx->req->request_id, strerror(errno));
        route_reply_db_failure(ctx, DB_ERROR);
        goto out;
    }
    token_hash(secret, hash);
    st = db_channel_create(ctx->db, &in, hash, &out);
    if (st != DB_OK) {
        route_reply_db_failure(ctx, st);
        goto out;
    }
    answer = json_object_new_object();
    json_object_object_add(answer, "message",
        json_object_new_string("Channel key created"));
    json_object_object_add(answer, "key", emit_channel(&out));
    json_object_object_add(answer, "secret", json_object_new_string(secret));
    response_json(res, 201, answer);
    response_header(res, "Location: /admin/keys/%lld", (long long) out.id);

out:
    json_object_put(body);
}

static int
channels_add(const struct db_channel *c, void *arg)
{
    json_object_array_add(arg, emit_channel(c));
    return 0;
}

/* GET /admin/keys -> 200 {"keys":[...]}: every channel, never a key. */
void
channels_list(struct handler_ctx *ctx)
{
    json_object   *keys, *answer;
    enum db_status st;

    if (auth_admin_or_reply(ctx->req, ctx->cfg, ctx->res) < 0)
        return;
    keys = json_object_new_array();
    st = db_channel_list(ctx->db, CHANNELS_LIST_MAX, channels_add, keys);
    if (st != DB_OK) {
        json_object_put(keys);
        route_reply_db_failure(ctx, st);
        return;
    }
    answer = json_object_new_object();
    json_object_object_add(answer, "keys", keys);
    response_json(ctx->res, 200, answer);
}

/*
 * DELETE /admin/keys/{id} -> 200 with the channel, revoked: from the next
 * request on, in every worker, its key books nothing (401) and opens
 * nothing (404); its bookings stay, the admin's to manage. Again 200.
 */
void
channels_revoke(struct handler_ctx *ctx)
{
    struct db_channel channel;
    json_object      *answer;
    enum db_status    st;

    if (auth_admin_or_reply(ctx->req, ctx->cfg, ctx->res) < 0)
        return;
    st = db_channel_revoke(ctx->db, ctx->id, &channel);
    if (st == DB_NOT_FOUND) {
        response_error(ctx->res, 404, "key_not_found", NULL,
            "no channel key has this id");
        return;
    }
    if (st != DB_OK) {
        route_reply_db_failure(ctx, st);
        return;
    }
    answer = json_object_new_object();
    json_object_object_add(answer, "message",
        json_object_new_string("Channel key revoked"));
    json_object_object_add(answer, "key", emit_channel(&channel));
    response_json(ctx->res, 200, answer);
}
