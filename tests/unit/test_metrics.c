/* Unit tests of the metrics counters and of the Prometheus text they render. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

/* metrics.c's tables, as the exposition shows them. */
static const int statuses[METRICS_STATUSES - 1] = {
    200, 201, 400, 401, 403, 404, 405, 408, 409, 410, 413, 415, 422, 429,
    500, 503,
};
static const char *const les[METRICS_BUCKETS + 1] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "2.5", "5", "+Inf",
};

/* Every family, and its type; holds_expired only when known. */
static const struct {
    const char *name, *type;
} families[] = {
    { "booking_build_info", "gauge" },
    { "booking_http_requests_total", "counter" },
    { "booking_http_request_duration_seconds", "histogram" },
    { "booking_bookings_total", "counter" },
    { "booking_seats_sold_total", "counter" },
    { "booking_holds_total", "counter" },
    { "booking_holds_expired_total", "counter" },
    { "booking_db_errors_total", "counter" },
    { "booking_db_reconnects_total", "counter" },
    { "booking_auth_failures_total", "counter" },
    { "booking_auth_refused_total", "counter" },
    { "booking_worker_restarts_total", "counter" },
    { "booking_workers", "gauge" },
    { "booking_workers_database", "gauge" },
};

static const struct metrics_pool pool = { 7, 1, 2, 3, 4, 5, 6 };

static uint64_t cells_total(const struct metrics *m);
static char *render(const struct metrics *m, int64_t holds_expired);
static void check_families(const char *text, int with_expired);
static int bucket_values(const char *text, const char *route,
    uint64_t v[METRICS_BUCKETS + 1]);
static size_t count_prefix(const char *text, const char *prefix);

static uint64_t
cells_total(const struct metrics *m)
{
    uint64_t n = 0;
    int      r, s;

    for (r = 0; r < METRICS_ROUTES; r++)
        for (s = 0; s < METRICS_STATUSES; s++)
            n += m->requests[r][s];
    return n;
}

/* metrics_render of m into a new string, to be freed. */
static char *
render(const struct metrics *m, int64_t holds_expired)
{
    struct textbuf t = { NULL, 0, 0 };

    assert_int_equal(metrics_render(&t, m, &pool, holds_expired), 0);
    assert_non_null(t.buf);
    assert_int_equal(strlen(t.buf), t.len);
    return t.buf;
}

/*
 * Every family has # HELP then # TYPE, once, before its samples, and
 * every sample belongs to a family so declared.
 */
static void
check_families(const char *text, int with_expired)
{
    const char *line = text, *nl;
    char        name[128], type[32], declared[32][128], help[128] = "";
    char        types[32][32];
    int         ndeclared = 0, i, found;
    size_t      f, n;

    for (; *line != '\0'; line = nl + 1) {
        nl = strchr(line, '\n');
        assert_non_null(nl);
        if (strncmp(line, "# HELP ", 7) == 0) {
            assert_int_equal(sscanf(line + 7, "%127s", help), 1);
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) {
            assert_int_equal(sscanf(line + 7, "%127s %31s", name, type), 2);
            if (strcmp(help, name) != 0)
                fail_msg("# TYPE %s without its # HELP just before", name);
            for (i = 0; i < ndeclared; i++)
                if (strcmp(declared[i], name) == 0)
                    fail_msg("%s declared twice", name);
            assert_true(ndeclared < 32);
            strcpy(declared[ndeclared], name);
            strcpy(types[ndeclared++], type);
            continue;
        }
        assert_true(line[0] != '#');
        n = strcspn(line, "{ ");
        assert_true(n < sizeof(name));
        memcpy(name, line, n);
        name[n] = '\0';
        found = 0;
        for (i = 0; i < ndeclared && !found; i++) {
            size_t dl = strlen(declared[i]);

            if (strcmp(name, declared[i]) == 0)
                found = 1;
            else if (strcmp(types[i], "histogram") == 0
                && strncmp(name, declared[i], dl) == 0
                && (strcmp(name + dl, "_bucket") == 0
                    || strcmp(name + dl, "_sum") == 0
                    || strcmp(name + dl, "_count") == 0))
                found = 1;
        }
        if (!found)
            fail_msg("sample %s before or without its # TYPE", name);
    }
    for (f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        int want = with_expired
            || strcmp(families[f].name, "booking_holds_expired_total") != 0;

        found = 0;
        for (i = 0; i < ndeclared; i++)
            if (strcmp(declared[i], families[f].name) == 0) {
                found = 1;
                assert_string_equal(types[i], families[f].type);
            }
        if (found != want)
            fail_msg("family %s %s", families[f].name,
                want ? "missing" : "present");
    }
}

/*
 * The 13 bucket values (+Inf last) of route's histogram, checking the
 * le labels in order. Returns how many bucket lines there were.
 */
static int
bucket_values(const char *text, const char *route,
    uint64_t v[METRICS_BUCKETS + 1])
{
    char        prefix[160];
    const char *p = text;
    int         n = 0;
    size_t      pl;

    snprintf(prefix, sizeof(prefix),
        "booking_http_request_duration_seconds_bucket{route=\"%s\",le=\"",
        route);
    pl = strlen(prefix);
    while ((p = strstr(p, prefix)) != NULL) {
        unsigned long long x;
        size_t             ll;

        assert_true(p == text || p[-1] == '\n');
        assert_true(n <= METRICS_BUCKETS);
        p += pl;
        ll = strlen(les[n]);
        if (strncmp(p, les[n], ll) != 0 || strncmp(p + ll, "\"} ", 3) != 0)
            fail_msg("bucket %d of %s is not le=\"%s\"", n, route, les[n]);
        assert_int_equal(sscanf(p + ll + 3, "%llu", &x), 1);
        v[n++] = x;
    }
    return n;
}

static size_t
count_prefix(const char *text, const char *prefix)
{
    const char *p = text;
    size_t      n = 0, pl = strlen(prefix);

    while ((p = strstr(p, prefix)) != NULL) {
        if (p == text || p[-1] == '\n')
            n++;
        p += pl;
    }
    return n;
}

/* Each status to its column, any other to "other"; bad routes to OTHER. */
static void
test_metrics_request_cells(void **state)
{
    static const int odd[] = { 0, -1, 100, 202, 302, 404 + 1000, 599 };
    static const int bad_routes[] = { -1, METRICS_ROUTES, 1000 };
    struct metrics   m;
    uint64_t         calls = 0;
    size_t           i;
    int              s;

    (void) state;
    memset(&m, 0xa5, sizeof(m));
    metrics_zero(&m);
    for (s = 0; s < METRICS_STATUSES - 1; s++) {
        metrics_request(&m, METRICS_ROUTE_SHOWS, statuses[s], 100);
        calls++;
        assert_int_equal(m.requests[METRICS_ROUTE_SHOWS][s], 1);
    }
    for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        metrics_request(&m, METRICS_ROUTE_BOOK, odd[i], 100);
        calls++;
        assert_int_equal(m.requests[METRICS_ROUTE_BOOK][METRICS_STATUSES - 1],
            i + 1);
    }
    for (i = 0; i < sizeof(bad_routes) / sizeof(bad_routes[0]); i++) {
        metrics_request(&m, bad_routes[i], 201, 100);
        calls++;
        assert_int_equal(m.requests[METRICS_ROUTE_OTHER][1], i + 1);
        assert_int_equal(m.duration_count[METRICS_ROUTE_OTHER], i + 1);
    }
    metrics_request(&m, METRICS_ROUTE_ADMIN_SHOW, 201, 100);
    calls++;
    assert_int_equal(m.requests[METRICS_ROUTE_ADMIN_SHOW][1], 1);
    metrics_request(&m, METRICS_ROUTE_OPENAPI, 200, 100);
    calls++;
    assert_int_equal(m.requests[METRICS_ROUTE_OPENAPI][0], 1);
    /* Nothing counted anywhere else. */
    assert_int_equal(cells_total(&m), calls);
    assert_int_equal(m.duration_count[METRICS_ROUTE_SHOWS],
        METRICS_STATUSES - 1);
    metrics_request(NULL, METRICS_ROUTE_BOOK, 200, 100);
}

/* A 3 ms request is in le=0.005 and wider, not in le=0.0025. */
static void
test_metrics_request_buckets(void **state)
{
    struct metrics m;
    uint64_t       v[METRICS_BUCKETS + 1];
    char          *text;
    int            b;

    (void) state;
    metrics_zero(&m);
    metrics_request(&m, METRICS_ROUTE_BOOK, 201, 3000);
    for (b = 0; b < METRICS_BUCKETS; b++)
        assert_int_equal(m.duration_bucket[METRICS_ROUTE_BOOK][b], b >= 2);
    assert_int_equal(m.duration_count[METRICS_ROUTE_BOOK], 1);
    assert_int_equal(m.duration_us[METRICS_ROUTE_BOOK], 3000);
    text = render(&m, -1);
    assert_int_equal(bucket_values(text, "/book", v), METRICS_BUCKETS + 1);
    assert_int_equal(v[1], 0);          /* le=0.0025 */
    for (b = 2; b <= METRICS_BUCKETS; b++)
        assert_int_equal(v[b], 1);
    assert_non_null(strstr(text,
        "\nbooking_http_request_duration_seconds_sum{route=\"/book\"} "
        "0.003000\n"));
    assert_non_null(strstr(text,
        "\nbooking_http_request_duration_seconds_count{route=\"/book\"} 1\n"));
    free(text);

    /* A bound is in its own bucket; past the widest, only in +Inf. */
    metrics_request(&m, METRICS_ROUTE_BOOK, 201, 2500);
    metrics_request(&m, METRICS_ROUTE_BOOK, 201, 1000);
    metrics_request(&m, METRICS_ROUTE_BOOK, 201, 5000001);
    metrics_request(&m, METRICS_ROUTE_BOOK, 201, -7);  /* clock stepped */
    assert_int_equal(m.duration_bucket[METRICS_ROUTE_BOOK][0], 2);
    assert_int_equal(m.duration_bucket[METRICS_ROUTE_BOOK][1], 3);
    assert_int_equal(m.duration_bucket[METRICS_ROUTE_BOOK][2], 4);
    assert_int_equal(m.duration_bucket[METRICS_ROUTE_BOOK][METRICS_BUCKETS - 1],
        4);
    assert_int_equal(m.duration_count[METRICS_ROUTE_BOOK], 5);
    assert_int_equal(m.duration_us[METRICS_ROUTE_BOOK],
        3000 + 2500 + 1000 + 5000001);
    assert_int_equal(m.requests[METRICS_ROUTE_BOOK][1], 5);
    text = render(&m, -1);
    assert_int_equal(bucket_values(text, "/book", v), METRICS_BUCKETS + 1);
    assert_int_equal(v[0], 2);
    assert_int_equal(v[1], 3);
    assert_int_equal(v[METRICS_BUCKETS - 1], 4);
    assert_int_equal(v[METRICS_BUCKETS], 5);
    free(text);
}

static void
test_metrics_booking_hold_db(void **state)
{
    struct metrics m, before;

    (void) state;
    metrics_zero(&m);
    metrics_booking(&m, METRICS_CONFIRMED, 3);
    metrics_booking(&m, METRICS_CONFIRMED, 2);
    metrics_booking(&m, METRICS_HELD, 4);
    metrics_booking(&m, METRICS_SOLD_OUT, 1);
    metrics_booking(&m, METRICS_FAILED, 6);
    metrics_booking(&m, METRICS_FAILED, 6);
    assert_int_equal(m.bookings[METRICS_CONFIRMED], 2);
    assert_int_equal(m.bookings[METRICS_HELD], 1);
    assert_int_equal(m.bookings[METRICS_SOLD_OUT], 1);
    assert_int_equal(m.bookings[METRICS_FAILED], 2);
    assert_int_equal(m.seats_sold, 5);  /* held seats are not sold yet */
    metrics_hold(&m, 1, 4);
    assert_int_equal(m.holds_confirmed, 1);
    assert_int_equal(m.seats_sold, 9);
    metrics_hold(&m, 0, 2);
    assert_int_equal(m.holds_cancelled, 1);
    assert_int_equal(m.holds_confirmed, 1);
    assert_int_equal(m.seats_sold, 9);
    metrics_db(&m, 11, 3);
    metrics_db(&m, 12, 4);              /* totals, not increments */
    assert_int_equal(m.db_errors, 12);
    assert_int_equal(m.db_reconnects, 4);

    /* Unknown outcomes and NULL count nothing. */
    before = m;
    metrics_booking(&m, -1, 5);
    metrics_booking(&m, METRICS_OUTCOMES, 5);
    metrics_booking(NULL, METRICS_CONFIRMED, 5);
    metrics_hold(NULL, 1, 5);
    metrics_db(NULL, 1, 1);
    assert_memory_equal(&m, &before, sizeof(m));
}

static void
test_metrics_add_zero(void **state)
{
    struct metrics a, b, zero;
    int            r, i;

    (void) state;
    memset(&zero, 0, sizeof(zero));
    memset(&a, 0xff, sizeof(a));
    metrics_zero(&a);
    assert_memory_equal(&a, &zero, sizeof(a));
    metrics_zero(&b);
    metrics_request(&a, METRICS_ROUTE_BOOK, 201, 3000);
    metrics_request(&b, METRICS_ROUTE_BOOK, 201, 20000);
    metrics_request(&b, METRICS_ROUTE_HEALTH, 503, 100);
    metrics_booking(&a, METRICS_CONFIRMED, 2);
    metrics_booking(&b, METRICS_CONFIRMED, 3);
    metrics_hold(&b, 0, 1);
    metrics_db(&a, 5, 1);
    metrics_db(&b, 7, 2);
    metrics_add(&a, &b);
    assert_int_equal(a.requests[METRICS_ROUTE_BOOK][1], 2);
    assert_int_equal(a.requests[METRICS_ROUTE_HEALTH][15], 1);
    assert_int_equal(a.duration_count[METRICS_ROUTE_BOOK], 2);
    assert_int_equal(a.duration_us[METRICS_ROUTE_BOOK], 23000);
    assert_int_equal(a.duration_bucket[METRICS_ROUTE_BOOK][2], 1);
    assert_int_equal(a.duration_bucket[METRICS_ROUTE_BOOK][4], 2);
    assert_int_equal(a.bookings[METRICS_CONFIRMED], 2);
    assert_int_equal(a.seats_sold, 5);
    assert_int_equal(a.holds_cancelled, 1);
    assert_int_equal(a.db_errors, 12);
    assert_int_equal(a.db_reconnects, 3);
    assert_int_equal(cells_total(&a), 3);
    /* b is read, not changed; adding to a zeroed sum copies it. */
    metrics_zero(&a);
    metrics_add(&a, &b);
    assert_memory_equal(&a, &b, sizeof(a));
    for (r = 0; r < 3; r++)
        metrics_add(&a, &b);
    for (i = 0; i < METRICS_BUCKETS; i++)
        assert_int_equal(a.duration_bucket[METRICS_ROUTE_BOOK][i],
            4 * b.duration_bucket[METRICS_ROUTE_BOOK][i]);
    assert_int_equal(a.seats_sold, 12);
    metrics_zero(&a);
    assert_memory_equal(&a, &zero, sizeof(a));
}

static void
test_metrics_render(void **state)
{
    static const char head[] =
        "# HELP booking_build_info The running version.\n"
        "# TYPE booking_build_info gauge\n"
        "booking_build_info{version=\"" BOOKING_VERSION "\"} 1\n";
    struct metrics m;
    char          *text;
    uint64_t       v[METRICS_BUCKETS + 1];

    (void) state;
    metrics_zero(&m);
    text = render(&m, -1);
    assert_memory_equal(text, head, sizeof(head) - 1);
    check_families(text, 0);
    /* No request yet: no request cell, no histogram series. */
    assert_int_equal(count_prefix(text, "booking_http_requests_total{"), 0);
    assert_int_equal(count_prefix(text,
        "booking_http_request_duration_seconds_"), 0);
    /* The rest is there from the first scrape, at zero. */
    assert_non_null(strstr(text, "\nbooking_bookings_total{outcome=\"held\"} 0\n"));
    assert_non_null(strstr(text, "\nbooking_seats_sold_total 0\n"));
    assert_non_null(strstr(text, "\nbooking_workers{state=\"busy\"} 3\n"));
    assert_non_null(strstr(text,
        "\nbooking_workers_database{state=\"disconnected\"} 6\n"));
    assert_non_null(strstr(text, "\nbooking_worker_restarts_total 7\n"));
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(text);

    metrics_request(&m, METRICS_ROUTE_BOOK, 201, 3000);
    metrics_request(&m, METRICS_ROUTE_BOOK, 201, 3000);
    metrics_request(&m, METRICS_ROUTE_BOOK, 409, 3000);
    metrics_request(&m, METRICS_ROUTE_OTHER, 404, 10);
    metrics_request(&m, METRICS_ROUTE_HEALTH, 302, 10);
    metrics_booking(&m, METRICS_HELD, 2);
    metrics_hold(&m, 1, 2);
    metrics_db(&m, 4, 1);
    text = render(&m, -1);
    assert_memory_equal(text, head, sizeof(head) - 1);
    check_families(text, 0);
    assert_int_equal(count_prefix(text, "booking_http_requests_total{"), 4);
    assert_non_null(strstr(text, "\nbooking_http_requests_total{"
        "route=\"/book\",status=\"201\"} 2\n"));
    assert_non_null(strstr(text, "\nbooking_http_requests_total{"
        "route=\"/book\",status=\"409\"} 1\n"));
    assert_non_null(strstr(text, "\nbooking_http_requests_total{"
        "route=\"other\",status=\"404\"} 1\n"));
    assert_non_null(strstr(text, "\nbooking_http_requests_total{"
        "route=\"/health\",status=\"other\"} 1\n"));
    /* Histograms only for the routes that answered. */
    assert_int_equal(count_prefix(text,
        "booking_http_request_duration_seconds_count{"), 3);
    assert_int_equal(bucket_values(text, "/shows", v), 0);
    assert_int_equal(bucket_values(text, "/book", v), METRICS_BUCKETS + 1);
    assert_int_equal(v[METRICS_BUCKETS], 3);
    assert_non_null(strstr(text, "\nbooking_bookings_total{outcome=\"held\"} 1\n"));
    assert_non_null(strstr(text, "\nbooking_seats_sold_total 2\n"));
    assert_non_null(strstr(text,
        "\nbooking_holds_total{event=\"confirmed\"} 1\n"));
    assert_non_null(strstr(text, "\nbooking_db_errors_total 4\n"));
    assert_non_null(strstr(text, "\nbooking_db_reconnects_total 1\n"));
    free(text);
}

/* Buckets read mid-update are clamped: non-decreasing, none above +Inf. */
static void
test_metrics_render_torn(void **state)
{
    struct metrics m;
    uint64_t       v[METRICS_BUCKETS + 1];
    char          *text;
    int            b;

    (void) state;
    metrics_zero(&m);
    m.duration_bucket[METRICS_ROUTE_BOOK][0] = 5;
    m.duration_bucket[METRICS_ROUTE_BOOK][1] = 3;
    for (b = 2; b < METRICS_BUCKETS; b++)
        m.duration_bucket[METRICS_ROUTE_BOOK][b] = 4;
    m.duration_count[METRICS_ROUTE_BOOK] = 4;
    m.duration_us[METRICS_ROUTE_BOOK] = 4000;
    /* All above the count, and one dipping in the middle. */
    for (b = 0; b < METRICS_BUCKETS; b++)
        m.duration_bucket[METRICS_ROUTE_SHOWS][b] = 9;
    m.duration_bucket[METRICS_ROUTE_SHOWS][6] = 1;
    m.duration_count[METRICS_ROUTE_SHOWS] = 2;
    text = render(&m, -1);
    check_families(text, 0);

    assert_int_equal(bucket_values(text, "/book", v), METRICS_BUCKETS + 1);
    assert_int_equal(v[METRICS_BUCKETS], 4);
    for (b = 0; b < METRICS_BUCKETS; b++) {
        if (v[b] > v[b + 1])
            fail_msg("/book le=%s is %llu, above le=%s at %llu", les[b],
                (unsigned long long) v[b], les[b + 1],
                (unsigned long long) v[b + 1]);
        assert_true(v[b] <= v[METRICS_BUCKETS]);
    }
    assert_int_equal(v[0], 3);
    assert_int_equal(v[1], 3);

    assert_int_equal(bucket_values(text, "/shows", v), METRICS_BUCKETS + 1);
    assert_int_equal(v[METRICS_BUCKETS], 2);
    for (b = 0; b < METRICS_BUCKETS; b++) {
        if (v[b] > v[b + 1])
            fail_msg("/shows le=%s is %llu, above le=%s at %llu", les[b],
                (unsigned long long) v[b], les[b + 1],
                (unsigned long long) v[b + 1]);
        assert_int_equal(v[b], b <= 6 ? 1 : 2);
    }
    free(text);
}

static void
test_metrics_render_holds_expired(void **state)
{
    static const char *const name = "booking_holds_expired_total";
    struct metrics m;
    char          *text;

    (void) state;
    metrics_zero(&m);
    text = render(&m, -1);
    assert_null(strstr(text, name));
    free(text);
    text = render(&m, -5);
    assert_null(strstr(text, name));
    free(text);
    text = render(&m, 0);
    check_families(text, 1);
    assert_non_null(strstr(text, "\nbooking_holds_expired_total 0\n"));
    free(text);
    text = render(&m, 42);
    check_families(text, 1);
    assert_non_null(strstr(text, "\nbooking_holds_expired_total 42\n"));
    assert_int_equal(count_prefix(text, "booking_holds_expired_total "), 1);
    free(text);
}

/* A small first buffer grows; rendering again into it gives the same text. */
static void
test_metrics_render_grows(void **state)
{
    struct metrics      m;
    struct textbuf t;
    char               *first, *fresh;
    size_t              first_len;
    int                 r, s;

    (void) state;
    metrics_zero(&m);
    /* Every cell: more text than the default first allocation, too. */
    for (r = 0; r < METRICS_ROUTES; r++) {
        for (s = 0; s < METRICS_STATUSES - 1; s++)
            metrics_request(&m, r, statuses[s], 1000 * (r + 1) * (s + 1));
        metrics_request(&m, r, 299, 12345678);
    }
    t.cap = 8;
    t.len = 0;
    t.buf = malloc(t.cap);
    assert_non_null(t.buf);
    assert_int_equal(metrics_render(&t, &m, &pool, 3), 0);
    assert_true(t.cap > t.len);
    assert_int_equal(strlen(t.buf), t.len);
    assert_true(t.len > 16384);
    first_len = t.len;
    first = malloc(first_len + 1);
    assert_non_null(first);
    memcpy(first, t.buf, first_len + 1);
    check_families(first, 1);
    assert_int_equal(count_prefix(first, "booking_http_requests_total{"),
        METRICS_ROUTES * METRICS_STATUSES);

    /* Again into the grown buffer: the same text, from the start. */
    assert_int_equal(metrics_render(&t, &m, &pool, 3), 0);
    assert_int_equal(t.len, first_len);
    assert_string_equal(t.buf, first);

    /* And the same as from no buffer at all. */
    fresh = render(&m, 3);
    assert_string_equal(fresh, first);
    free(fresh);
    free(first);
    free(t.buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_request_cells),
        cmocka_unit_test(test_metrics_request_buckets),
        cmocka_unit_test(test_metrics_booking_hold_db),
        cmocka_unit_test(test_metrics_add_zero),
        cmocka_unit_test(test_metrics_render),
        cmocka_unit_test(test_metrics_render_torn),
        cmocka_unit_test(test_metrics_render_holds_expired),
        cmocka_unit_test(test_metrics_render_grows),
    };

    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
