#ifndef FCGI_AUTH_H
#define FCGI_AUTH_H

/* Who asks: the admin token, in constant time, and a booking's token. */

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "request.h"
#include "route.h"

#define AUTH_BOOKING_PREFIX "bk_"
#define AUTH_CHANNEL_PREFIX "key_"

int auth_bearer_ok(const char *authorization, const char *token,
    size_t token_len);
int auth_booking_or_reply(struct handler_ctx *ctx, struct db_owner *owner);
int auth_guard_or_reply(struct handler_ctx *ctx);
void auth_failed(struct handler_ctx *ctx);
int auth_channel_key(const char *authorization, struct db_owner *owner);
int auth_admin_or_reply(const struct request *req, const struct config *cfg,
    struct response *res);

#endif
