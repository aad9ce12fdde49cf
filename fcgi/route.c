/* The route table: method and path pattern to handler, 404 and 405 decided first. */

#include "route.h"

#include <stdio.h>
#include <string.h>

#include "bookings.h"
#include "channels.h"
#include "health.h"
#include "metrics.h"
#include "observe.h"
#include "seatadmin.h"
#include "seatmap.h"
#include "shows.h"

struct route {
    const char       *method;
    const char       *pattern;    /* "{id}" matches one positive integer */
    route_handler_fn *handler;
    int               counted_as;     /* enum metrics_route */
};

static const struct route routes[] = {
    { "POST", "/admin/show",     shows_create,  METRICS_ROUTE_ADMIN_SHOW },
    { "GET",  "/shows",          shows_list,    METRICS_ROUTE_SHOWS },
    { "GET",  "/shows/{id}",     shows_get,     METRICS_ROUTE_SHOW },
    { "POST", "/book",           bookings_create, METRICS_ROUTE_BOOK },
    { "GET",  "/bookings/{id}",  bookings_get,  METRICS_ROUTE_BOOKING },
    { "POST", "/bookings/{id}/confirm", bookings_confirm,
      METRICS_ROUTE_CONFIRM },
    { "POST", "/bookings/{id}/cancel",  bookings_cancel,
      METRICS_ROUTE_CANCEL },
    { "POST", "/bookings/{id}/extend",  bookings_extend,
      METRICS_ROUTE_EXTEND },
    { "POST", "/admin/keys",     channels_create, METRICS_ROUTE_ADMIN_KEYS },
    { "GET",  "/admin/keys",     channels_list, METRICS_ROUTE_ADMIN_KEYS },
    { "DELETE", "/admin/keys/{id}", channels_revoke,
      METRICS_ROUTE_ADMIN_KEY },
    { "GET",  "/health",         health_get,    METRICS_ROUTE_HEALTH },
    { "GET",  "/metrics",        observe_metrics, METRICS_ROUTE_METRICS },
    { "GET",  "/openapi.json",   observe_openapi, METRICS_ROUTE_OPENAPI },
    { "GET",  "/shows/{id}/seats", seatmap_get, METRICS_ROUTE_SEATS },
    { "POST", "/admin/shows/{id}/seats/block", seatadmin_block,
      METRICS_ROUTE_SEATS_BLOCK },
    { "POST", "/admin/shows/{id}/seats/unblock", seatadmin_unblock,
      METRICS_ROUTE_SEATS_UNBLOCK },
    { "POST", "/admin/shows/{id}/seats/assign", seatadmin_assign,
      METRICS_ROUTE_SEATS_ASSIGN },
};

#define ROUTES_N (sizeof(routes) / sizeof(routes[0]))

/*
 * A path segment id: decimal digits without sign or leading zero, from 1
 * to INT64_MAX. Returns 0 and the value, or -1.
 */
int
route_parse_id(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    size_t  i;

    if (len == 0 || len > 19 || s[0] == '0')
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (INT64_MAX - (s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/*
 * Does path match pattern segment by segment? "{id}" takes a segment that
 * route_parse_id accepts and stores it in *id. Returns 1 or 0.
 */
int
route_match(const char *pattern, const char *path, int64_t *id)
{
    while (*pattern != '\0' && *path != '\0') {
        if (strncmp(pattern, "{id}", 4) == 0) {
            size_t len = strcspn(path, "/");
            if (route_parse_id(path, len, id) < 0)
                return 0;
            pattern += 4;
            path += len;
            continue;
        }
        if (*pattern++ != *path++)
            return 0;
    }
    return *pattern == '\0' && *path == '\0';
}

/*
 * Find the route for the request and run it. A known path with another
 * method gets 405 and an Allow header; HEAD is served as GET.
 */
void
route_dispatch(struct handler_ctx *ctx)
{
    const char *method = ctx->req->method;
    char        allow[64] = "";
    size_t      i;
    int64_t     id = 0;

    if (strcmp(method, "HEAD") == 0)
        method = "GET";
    ctx->route = METRICS_ROUTE_OTHER;
    for (i = 0; i < ROUTES_N; i++) {
        if (!route_match(routes[i].pattern, ctx->req->path, &id))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            ctx->id = id;
            ctx->route = routes[i].counted_as;
            routes[i].handler(ctx);
            return;
        }
        if (allow[0] != '\0')
            strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
        strncat(allow, routes[i].method, sizeof(allow) - strlen(allow) - 1);
        if (strcmp(routes[i].method, "GET") == 0)
            strncat(allow, ", HEAD", sizeof(allow) - strlen(allow) - 1);
    }
    if (allow[0] != '\0') {
        response_error(ctx->res, 405, "method_not_allowed", NULL,
            "this method is not allowed on this resource");
        response_header(ctx->res, "Allow: %s", allow);
        return;
    }
    response_error(ctx->res, 404, "not_found", NULL, "no such resource");
}

/*
 * Answer a database failure: 503 with Retry-After when PostgreSQL is
 * unreachable or overloaded (nothing was done), 503 outcome_unknown when
 * the connection broke during a write, else 500. Either way libpq's text goes to
 * the log with the request id, never to the client.
 */
void
route_reply_db_failure(struct handler_ctx *ctx, enum db_status st)
{
    fprintf(stderr, "booking-fcgi: request_id=%s %s%s%s\n",
        ctx->req->request_id, ctx->db->err,
        ctx->db->sqlstate[0] != '\0' ? " SQLSTATE " : "", ctx->db->sqlstate);
    if (st == DB_UNAVAILABLE) {
        response_error(ctx->res, 503, "database_unavailable", NULL,
            "the service is temporarily unavailable, retry shortly");
        response_header(ctx->res, "Retry-After: 1");
        return;
    }
    if (st == DB_READ_ONLY) {
        response_error(ctx->res, 503, "database_read_only", NULL,
            "the database takes no writes at the moment (a standby, or "
            "made read-only): retry shortly");
        response_header(ctx->res, "Retry-After: 1");
        return;
    }
    if (st == DB_UNKNOWN) {
        /* No Retry-After: a blind retry could do it twice. */
        response_error(ctx->res, 503, "outcome_unknown", NULL,
            "the database connection was lost while this request was "
            "being committed: it may or may not have taken effect");
        return;
    }
    response_error(ctx->res, 500, "internal_error", NULL,
        "an internal error occurred; it has been logged");
}
