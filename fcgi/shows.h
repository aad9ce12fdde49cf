#ifndef FCGI_SHOWS_H
#define FCGI_SHOWS_H

/* Handlers of the show resources: create (admin), list, get. */

#include "route.h"

#define SHOWS_NAME_MAX     200
#define SHOWS_SEATS_MAX    1000000
#define SHOWS_LIMIT_DEFAULT 100
#define SHOWS_LIMIT_MAX    1000

void shows_create(struct handler_ctx *ctx);
void shows_list(struct handler_ctx *ctx);
void shows_get(struct handler_ctx *ctx);
int shows_cursor_parse(const char *s, int64_t *start_us, int64_t *id);

#endif
