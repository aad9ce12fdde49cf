/* Who asks: the admin token, in constant time, and a booking's token. */

#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "token.h"

static const char *auth_bearer_value(const char *authorization);

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
 * The credential of a booking's routes (GET, confirm, cancel), into
 * owner: the admin token (owner->admin), a channel's key (the bookings
 * it made), or a booking token "bk_...", whose SHA-256 is what the
 * database compares. No Authorization header:
 * 401 with WWW-Authenticate. Any other credential: 404
 * booking_not_found, the answer that a wrong token and an unknown id
 * get too, so that a stranger learns nothing of which ids exist. The
 * token is never logged. Returns 0, or -1 after answering.
 */
int
auth_booking_or_reply(const struct request *req, const struct config *cfg,
    struct db_owner *owner, struct response *res)
{
    const char *cand = req->authorization;
    uint8_t     raw[TOKEN_RAW_LEN];

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
    if (auth_channel_key(cand, owner))
        return 0;
    cand = auth_bearer_value(cand);
    if (cand != NULL && token_parse(AUTH_BOOKING_PREFIX, cand, raw) == 0) {
        token_hash(cand, owner->token_hash);
        return 0;
    }
    response_error(res, 404, "booking_not_found", NULL,
        "no booking has this id");
    return -1;
}
