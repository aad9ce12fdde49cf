#ifndef FCGI_BOOKINGS_H
#define FCGI_BOOKINGS_H

/* Handlers of the booking resources: book or hold seats, confirm, cancel, read. */

#include <stdint.h>

#include "json.h"
#include "route.h"

#define BOOKINGS_SEATS_MAX 1000000

void bookings_create(struct handler_ctx *ctx);
void bookings_confirm(struct handler_ctx *ctx);
void bookings_cancel(struct handler_ctx *ctx);
void bookings_extend(struct handler_ctx *ctx);
void bookings_get(struct handler_ctx *ctx);
void bookings_book(struct handler_ctx *ctx, json_object *body,
    struct db_owner *owner, const char *scope, int64_t show_id,
    int64_t seats, int hold);
int bookings_hold_or_reply(json_object *body, int *hold,
    struct response *res);
int bookings_labels_or_reply(json_object *body, char **labels, int64_t *n,
    struct response *res);

#endif
