#ifndef FCGI_ROUTE_H
#define FCGI_ROUTE_H

/* The route table: method and path pattern to handler, 404 and 405 decided first. */

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "request.h"

struct authfail_table;
struct metrics;
struct textbuf;
struct scoreboard;

struct handler_ctx {
    const struct request *req;
    struct response      *res;
    struct db            *db;
    const struct config  *cfg;
    int64_t               id;      /* the {id} path segment, if any */
    int                   route;   /* enum metrics_route: set by dispatch */
    struct metrics       *metrics; /* this worker's counters; may be NULL */
    const struct scoreboard *board;    /* the pool's; may be NULL */
    struct textbuf       *text;    /* the worker's buffer for answers written
                                      by hand (textbuf.h); never NULL */
    /* failed authentications per address, the pool's; NULL: not counted */
    struct authfail_table *authfail;
};

typedef void route_handler_fn(struct handler_ctx *ctx);

void route_dispatch(struct handler_ctx *ctx);
int route_match(const char *pattern, const char *path, int64_t *id);
int route_parse_id(const char *s, size_t len, int64_t *out);
void route_reply_db_failure(struct handler_ctx *ctx, enum db_status st);

#endif
