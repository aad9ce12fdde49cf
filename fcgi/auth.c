/* Who asks: the admin token, in constant time, and a booking's token. */

#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "authfail.h"
#include "clock.h"
#include "idempotency.h"
#include "metrics.h"
#include "token.h"

static const char *auth_bearer_value(const char *authorization);
static uint64_t auth_client_hash(const struct handler_ctx *ctx,
    char *client, size_t size);

/* The credential of "Bearer <credential>" (any case, spaces after), or NULL. */
static const char *
auth_bearer_value(const char *authorization)
{
    const char *cand;

    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    for (cand = authorization + 7; *cand == ' '; cand++)
        ;
    return cand;
}

/*
 * Is authorization "Bearer <token>"? The comparison touches every byte of
 * the configured token whatever the candidate is, so its timing says
 * nothing about how much of a guess was right.
 */
int
auth_bearer_ok(const char *authorization, const char *token,
    size_t token_len)
{
    const char    *cand = auth_bearer_value(authorization);
    size_t         cand_len, i;
    unsigned char  diff;

    if (cand == NULL || token_len == 0)
        return 0;
    cand_len = strlen(cand);
    diff = cand_len != token_len;
    for (i = 0; i < token_len; i++)
        diff |= (unsigned char) token[i]
              ^ (unsigned char) (i < cand_len ? cand[i] : 0);
    return diff == 0;
}

/*
 * The admin routes: the admin token, or 401 with WWW-Authenticate (and a
 * log line saying who tried, never what they presented). Returns 0, or
 * -1 after answering.
 */
int
auth_admin_or_reply(const struct request *req, const struct config *cfg,
    struct response *res)
{
    if (auth_bearer_ok(req->authorization, cfg->admin_token,
                       cfg->admin_token_len))
        return 0;
    fprintf(stderr, "booking-fcgi: request_id=%s admin authentication "
        "failed from %.64s: %s\n", req->request_id,
        req->remote_addr != NULL ? req->remote_addr : "-",
        req->authorization == NULL ? "no Authorization header"
                                   : "wrong credentials");
    response_error(res, 401, "unauthorized", NULL,
        "a valid admin token is required: Authorization: Bearer <token>");
    response_header(res, "WWW-Authenticate: Bearer realm=\"booking\"");
    return -1;
}

/*
 * Is authorization "Bearer key_..." (well formed)? Then owner is that
 * channel, by its key's SHA-256, which the database looks up (a revoked
 * or unknown key is refused there). Returns 1 or 0.
 */
int
auth_channel_key(const char *authorization, struct db_owner *owner)
{
    const char *cand = auth_bearer_value(authorization);
    uint8_t     raw[TOKEN_RAW_LEN];

    if (cand == NULL || token_parse(AUTH_CHANNEL_PREFIX, cand, raw) < 0)
        return 0;
    owner->channel = 1;
    token_hash(cand, owner->channel_hash);
    return 1;
}

/*
 * The client's address as the anonymous caps and Idempotency-Keys count
 * it (an IPv6 one by its /64: idempotency_scope()), into client, and its
 * hash in the failed-authentication table.
 */
static uint64_t
auth_client_hash(const struct handler_ctx *ctx, char *client, size_t size)
{
    struct db_owner anonymous;

    memset(&anonymous, 0, sizeof(anonymous));
    idempotency_scope(ctx->req, &anonymous, client, size);
    return authfail_hash(ctx->authfail, client);
}

/*
 * Before a credential other than the admin token is checked (a channel's
 * key or a booking's token, against the database): has this client
 * address failed too often (AUTH_FAIL_BURST at once, AUTH_FAIL_RATE a
 * second)? Then 429 auth_rate_limited, with Retry-After the seconds
 * until one more try, rounded up, and the database is not asked. The
 * right credential is refused too while its address is over: it is not
 * known to be right before it is checked. Returns 0, or -1 after
 * answering.
 */
int
auth_guard_or_reply(struct handler_ctx *ctx)
{
    struct authfail_limit lim = { ctx->cfg->auth_fail_burst,
                                  ctx->cfg->auth_fail_rate };
    char                  client[IDEMPOTENCY_SCOPE_MAX];
    int64_t               wait;

    if (ctx->authfail == NULL || lim.burst <= 0 || lim.rate <= 0)
        return 0;
    wait = authfail_wait_ms(ctx->authfail,
        auth_client_hash(ctx, client, sizeof(client)), &lim, clock_now_ms());
    if (wait <= 0)
        return 0;
    metrics_auth(ctx->metrics, 1);
    response_error(ctx->res, 429, "auth_rate_limited", NULL,
        "too many failed authentications from this address: retry after "
        "the seconds in Retry-After");
    response_header(ctx->res, "Retry-After: %lld",
        (long long) ((wait + 999) / 1000));
    return -1;
}

/*
 * A credential that auth_guard_or_reply() let through failed: an unknown
 * or revoked channel key, or a 404 for a booking's token. Counted
 * against the client's address; the failure that spends its budget is
 * logged, with the address and never the credential.
 */
void
auth_failed(struct handler_ctx *ctx)
{
    struct authfail_limit lim = { ctx->cfg->auth_fail_burst,
                                  ctx->cfg->auth_fail_rate };
    char                  client[IDEMPOTENCY_SCOPE_MAX];

    if (ctx->authfail == NULL || lim.burst <= 0 || lim.rate <= 0)
        return;
    metrics_auth(ctx->metrics, 0);
    if (authfail_count(ctx->authfail,
            auth_client_hash(ctx, client, sizeof(client)), &lim,
            clock_now_ms()))
        fprintf(stderr, "booking-fcgi: request_id=%s %s: %d failed "
            "authentications (AUTH_FAIL_BURST), further tries answered "
            "429 auth_rate_limited until AUTH_FAIL_RATE=%d/s lets one "
            "through\n", ctx->req->request_id, client, lim.burst, lim.rate);
}

/*
 * The credential of a booking's routes (GET, confirm, cancel, extend),
 * into owner: the admin token (owner->admin), a channel's key (the
 * bookings it made), or a booking token "bk_...", whose SHA-256 is what
 * the database compares. No Authorization header: 401 with
 * WWW-Authenticate. Any credential but the admin token is first put to
 * auth_guard_or_reply() (429). One that is not a key or a token: 404
 * booking_not_found, counted as a failure, the answer that a wrong token
 * and an unknown id get too (the caller counts those), so that a
 * stranger learns nothing of which ids exist. The token is never
 * logged. Returns 0, or -1 after answering.
 */
int
auth_booking_or_reply(struct handler_ctx *ctx, struct db_owner *owner)
{
    const struct config *cfg = ctx->cfg;
    struct response     *res = ctx->res;
    const char          *cand = ctx->req->authorization;
    uint8_t              raw[TOKEN_RAW_LEN];

    memset(owner, 0, sizeof(*owner));
    if (cand == NULL) {
        response_error(res, 401, "unauthorized", NULL,
            "a booking is read, confirmed or cancelled with its token: "
            "Authorization: Bearer <token>");
        response_header(res, "WWW-Authenticate: Bearer realm=\"booking\"");
        return -1;
    }
    if (auth_bearer_ok(cand, cfg->admin_token, cfg->admin_token_len)) {
        owner->admin = 1;
        return 0;
    }
    if (auth_guard_or_reply(ctx) < 0)
        return -1;
    if (auth_channel_key(cand, owner))
        return 0;
    cand = auth_bearer_value(cand);
    if (cand != NULL && token_parse(AUTH_BOOKING_PREFIX, cand, raw) == 0) {
        token_hash(cand, owner->token_hash);
        return 0;
    }
    auth_failed(ctx);
    response_error(res, 404, "booking_not_found", NULL,
        "no booking has this id");
    return -1;
}
