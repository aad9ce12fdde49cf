#ifndef FCGI_METRICS_H
#define FCGI_METRICS_H

/*
 * Prometheus counters. Each worker counts into its own block of the
 * shared scoreboard (one writer per block, no lock); GET /metrics, in
 * whichever worker answers it, adds up every block and the master's
 * block of workers that have exited, so the totals are the pool's.
 */

#include <stddef.h>
#include <stdint.h>

#include "textbuf.h"

/* The routes, as counted: the route table's order, then ours. */
enum metrics_route {
    METRICS_ROUTE_ADMIN_SHOW = 0,
    METRICS_ROUTE_SHOWS,
    METRICS_ROUTE_SHOW,
    METRICS_ROUTE_BOOK,
    METRICS_ROUTE_BOOKING,
    METRICS_ROUTE_CONFIRM,
    METRICS_ROUTE_CANCEL,
    METRICS_ROUTE_EXTEND,
    METRICS_ROUTE_ADMIN_KEYS,
    METRICS_ROUTE_ADMIN_KEY,
    METRICS_ROUTE_HEALTH,
    METRICS_ROUTE_METRICS,
    METRICS_ROUTE_OPENAPI,
    METRICS_ROUTE_SEATS,
    METRICS_ROUTE_SEATS_BLOCK,
    METRICS_ROUTE_SEATS_UNBLOCK,
    METRICS_ROUTE_SEATS_ASSIGN,
    METRICS_ROUTE_OTHER,        /* 404 and 405: no route matched */
    METRICS_ROUTES
};

#define METRICS_STATUSES  17    /* the statuses we answer, and "other" */
#define METRICS_BUCKETS   12    /* request-duration bounds, +Inf apart */

enum metrics_outcome {
    METRICS_CONFIRMED = 0,      /* booked at once */
    METRICS_HELD,               /* held, PENDING */
    METRICS_SOLD_OUT,
    METRICS_FAILED,             /* the database failed or was unreachable */
    METRICS_OUTCOMES
};

struct metrics {
    uint64_t requests[METRICS_ROUTES][METRICS_STATUSES];
    uint64_t duration_bucket[METRICS_ROUTES][METRICS_BUCKETS];
    uint64_t duration_count[METRICS_ROUTES];
    uint64_t duration_us[METRICS_ROUTES];
    uint64_t bookings[METRICS_OUTCOMES];
    uint64_t seats_sold;
    uint64_t holds_confirmed;
    uint64_t holds_cancelled;
    uint64_t db_errors;
    uint64_t db_reconnects;
    uint64_t auth_failures;     /* credentials counted as failed */
    uint64_t auth_refused;      /* tries refused for too many of them */
};

/* What the scoreboard knows of the pool, beside the counters. */
struct metrics_pool {
    uint64_t restarts;
    int      starting;
    int      idle;
    int      busy;
    int      leaving;
    int      db_connected;      /* workers with a working connection */
    int      db_disconnected;   /* and without */
};

void metrics_request(struct metrics *m, int route, int status,
    int64_t duration_us);
void metrics_booking(struct metrics *m, int outcome, int64_t seats);
void metrics_hold(struct metrics *m, int confirmed, int64_t seats);
void metrics_db(struct metrics *m, uint64_t errors, uint64_t reconnects);
void metrics_auth(struct metrics *m, int refused);
void metrics_add(struct metrics *sum, const struct metrics *m);
void metrics_zero(struct metrics *m);

/* The exposition text; expired holds come from the database (-1: unknown). */
int metrics_render(struct textbuf *out, const struct metrics *sum,
    const struct metrics_pool *pool, int64_t holds_expired);

#endif
