/* Counting requests and bookings, and writing the Prometheus exposition text. */

#define _GNU_SOURCE

#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M_ADD(p, v)  __atomic_fetch_add((p), (uint64_t) (v), __ATOMIC_RELAXED)
#define M_STORE(p, v) __atomic_store_n((p), (uint64_t) (v), __ATOMIC_RELAXED)
#define M_LOAD(p)    __atomic_load_n((p), __ATOMIC_RELAXED)

static const char *const metrics_route_names[METRICS_ROUTES] = {
    "/admin/show", "/shows", "/shows/{id}", "/book", "/bookings/{id}",
    "/bookings/{id}/confirm", "/bookings/{id}/cancel",
    "/bookings/{id}/extend", "/admin/keys",
    "/admin/keys/{id}", "/health",
    "/metrics", "/openapi.json", "/shows/{id}/seats",
    "/admin/shows/{id}/seats/block", "/admin/shows/{id}/seats/unblock",
    "/admin/shows/{id}/seats/assign", "other",
};

/* Every status a worker answers; index METRICS_STATUSES - 1 is "other". */
static const int metrics_statuses[METRICS_STATUSES - 1] = {
    200, 201, 400, 401, 403, 404, 405, 408, 409, 410, 413, 415, 422, 429,
    500, 503,
};

/* Upper bounds in microseconds; +Inf is duration_count. */
static const int64_t metrics_bounds_us[METRICS_BUCKETS] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000,
};

static const char *const metrics_outcome_names[METRICS_OUTCOMES] = {
    "confirmed", "held", "sold_out", "failed",
};

void
metrics_request(struct metrics *m, int route, int status, int64_t duration_us)
{
    int i, s = METRICS_STATUSES - 1;

    if (m == NULL)
        return;
    if (route < 0 || route >= METRICS_ROUTES)
        route = METRICS_ROUTE_OTHER;
    for (i = 0; i < METRICS_STATUSES - 1; i++)
        if (metrics_statuses[i] == status)
            s = i;
    M_ADD(&m->requests[route][s], 1);
    /* Cumulative buckets, as the format wants them: the count first,
     * then the widest bucket down, so that a scrape reading the other
     * way round never sees a bucket above a wider one (the render
     * clamps too, for a reader that does not see writes in order). */
    M_ADD(&m->duration_count[route], 1);
    M_ADD(&m->duration_us[route], duration_us > 0 ? duration_us : 0);
    for (i = METRICS_BUCKETS - 1; i >= 0; i--)
        if (duration_us <= metrics_bounds_us[i])
            M_ADD(&m->duration_bucket[route][i], 1);
}

void
metrics_booking(struct metrics *m, int outcome, int64_t seats)
{
    if (m == NULL || outcome < 0 || outcome >= METRICS_OUTCOMES)
        return;
    M_ADD(&m->bookings[outcome], 1);
    if (outcome == METRICS_CONFIRMED)
        M_ADD(&m->seats_sold, seats);
}

/* A hold confirmed (its seats are sold now) or cancelled. */
void
metrics_hold(struct metrics *m, int confirmed, int64_t seats)
{
    if (m == NULL)
        return;
    if (confirmed) {
        M_ADD(&m->holds_confirmed, 1);
        M_ADD(&m->seats_sold, seats);
    } else {
        M_ADD(&m->holds_cancelled, 1);
    }
}

/* The connection's own totals, kept by db.c for this process's life. */
void
metrics_db(struct metrics *m, uint64_t errors, uint64_t reconnects)
{
    if (m == NULL)
        return;
    M_STORE(&m->db_errors, errors);
    M_STORE(&m->db_reconnects, reconnects);
}

/* A failed authentication counted, or a try refused for too many (429). */
void
metrics_auth(struct metrics *m, int refused)
{
    if (m == NULL)
        return;
    M_ADD(refused ? &m->auth_refused : &m->auth_failures, 1);
}

/*
 * sum += m, word by word, atomically each: m's worker may be counting,
 * and sum may be the retired block that scrapes read.
 */
void
metrics_add(struct metrics *sum, const struct metrics *m)
{
    const uint64_t *src = (const uint64_t *) m;
    uint64_t       *dst = (uint64_t *) sum;
    size_t          i, n = sizeof(*m) / sizeof(uint64_t);

    for (i = 0; i < n; i++)
        M_STORE(&dst[i], M_LOAD(&dst[i]) + M_LOAD(&src[i]));
}

void
metrics_zero(struct metrics *m)
{
    uint64_t *p = (uint64_t *) m;
    size_t    i, n = sizeof(*m) / sizeof(uint64_t);

    for (i = 0; i < n; i++)
        M_STORE(&p[i], 0);
}

#define P(...) do { if (textbuf_printf(t, __VA_ARGS__) < 0) return -1; } while (0)

/*
 * The exposition text (format 0.0.4) of the pool's totals. Series with
 * a zero count are left out for requests by status, not for the rest,
 * so that every name is there from the first scrape.
 */
int
metrics_render(struct textbuf *t, const struct metrics *m,
    const struct metrics_pool *pool, int64_t holds_expired)
{
    int r, s, b;

    t->len = 0;
    if (t->buf == NULL) {
        t->cap = 16384;
        if ((t->buf = malloc(t->cap)) == NULL)
            return -1;
    }
    t->buf[0] = '\0';

    P("# HELP booking_build_info The running version.\n"
      "# TYPE booking_build_info gauge\n"
      "booking_build_info{version=\"%s\"} 1\n", BOOKING_VERSION);

    P("# HELP booking_http_requests_total Requests answered by the workers, "
      "by route and status.\n# TYPE booking_http_requests_total counter\n");
    for (r = 0; r < METRICS_ROUTES; r++)
        for (s = 0; s < METRICS_STATUSES; s++) {
            if (m->requests[r][s] == 0)
                continue;
            if (s < METRICS_STATUSES - 1)
                P("booking_http_requests_total{route=\"%s\",status=\"%d\"} "
                  "%llu\n", metrics_route_names[r], metrics_statuses[s],
                  (unsigned long long) m->requests[r][s]);
            else
                P("booking_http_requests_total{route=\"%s\",status=\"other\"}"
                  " %llu\n", metrics_route_names[r],
                  (unsigned long long) m->requests[r][s]);
        }

    P("# HELP booking_http_request_duration_seconds Time from the request "
      "read to the answer written, in the worker.\n"
      "# TYPE booking_http_request_duration_seconds histogram\n");
    for (r = 0; r < METRICS_ROUTES; r++) {
        uint64_t le[METRICS_BUCKETS], above = m->duration_count[r];

        if (m->duration_count[r] == 0)
            continue;
        /* words read while a request was being counted: never let a
         * bucket exceed a wider one (the true values only grow, so the
         * clamped ones still never go back between scrapes) */
        for (b = METRICS_BUCKETS - 1; b >= 0; b--)
            above = le[b] = m->duration_bucket[r][b] < above
                          ? m->duration_bucket[r][b] : above;
        for (b = 0; b < METRICS_BUCKETS; b++)
            P("booking_http_request_duration_seconds_bucket{route=\"%s\","
              "le=\"%g\"} %llu\n", metrics_route_names[r],
              (double) metrics_bounds_us[b] / 1e6,
              (unsigned long long) le[b]);
        P("booking_http_request_duration_seconds_bucket{route=\"%s\","
          "le=\"+Inf\"} %llu\n", metrics_route_names[r],
          (unsigned long long) m->duration_count[r]);
        P("booking_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
          metrics_route_names[r], (double) m->duration_us[r] / 1e6);
        P("booking_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
          metrics_route_names[r], (unsigned long long) m->duration_count[r]);
    }

    P("# HELP booking_bookings_total POST /book outcomes (idempotent replays "
      "not counted again).\n# TYPE booking_bookings_total counter\n");
    for (s = 0; s < METRICS_OUTCOMES; s++)
        P("booking_bookings_total{outcome=\"%s\"} %llu\n",
          metrics_outcome_names[s], (unsigned long long) m->bookings[s]);
    P("# HELP booking_seats_sold_total Seats confirmed: booked at once, or "
      "held and then confirmed.\n# TYPE booking_seats_sold_total counter\n"
      "booking_seats_sold_total %llu\n", (unsigned long long) m->seats_sold);
    P("# HELP booking_holds_total Holds confirmed, and bookings cancelled, "
      "through the API.\n# TYPE booking_holds_total counter\n"
      "booking_holds_total{event=\"confirmed\"} %llu\n"
      "booking_holds_total{event=\"cancelled\"} %llu\n",
      (unsigned long long) m->holds_confirmed,
      (unsigned long long) m->holds_cancelled);
    /* the database's count, the same from every host: not to be summed
     * with the per-process counters above */
    if (holds_expired >= 0)
        P("# HELP booking_holds_expired_total Lapsed holds released by "
          "booking-expire, ever (from the database).\n"
          "# TYPE booking_holds_expired_total counter\n"
          "booking_holds_expired_total %lld\n", (long long) holds_expired);

    P("# HELP booking_db_errors_total Statements or connections that failed.\n"
      "# TYPE booking_db_errors_total counter\n"
      "booking_db_errors_total %llu\n"
      "# HELP booking_db_reconnects_total Connections made again after one "
      "was lost.\n# TYPE booking_db_reconnects_total counter\n"
      "booking_db_reconnects_total %llu\n",
      (unsigned long long) m->db_errors, (unsigned long long) m->db_reconnects);
    P("# HELP booking_auth_failures_total Channel keys and booking tokens "
      "that failed, counted against their client address.\n"
      "# TYPE booking_auth_failures_total counter\n"
      "booking_auth_failures_total %llu\n"
      "# HELP booking_auth_refused_total Tries answered 429 "
      "auth_rate_limited: their address had failed too often.\n"
      "# TYPE booking_auth_refused_total counter\n"
      "booking_auth_refused_total %llu\n",
      (unsigned long long) m->auth_failures,
      (unsigned long long) m->auth_refused);
    P("# HELP booking_worker_restarts_total Workers that exited unasked and "
      "were started again.\n# TYPE booking_worker_restarts_total counter\n"
      "booking_worker_restarts_total %llu\n"
      "# HELP booking_workers Worker processes by state.\n"
      "# TYPE booking_workers gauge\n"
      "booking_workers{state=\"starting\"} %d\n"
      "booking_workers{state=\"idle\"} %d\n"
      "booking_workers{state=\"busy\"} %d\n"
      "booking_workers{state=\"leaving\"} %d\n"
      "# HELP booking_workers_database Worker processes by database "
      "connection: one without leaves new requests to the others.\n"
      "# TYPE booking_workers_database gauge\n"
      "booking_workers_database{state=\"connected\"} %d\n"
      "booking_workers_database{state=\"disconnected\"} %d\n",
      (unsigned long long) pool->restarts, pool->starting, pool->idle,
      pool->busy, pool->leaving, pool->db_connected, pool->db_disconnected);
    return 0;
}
