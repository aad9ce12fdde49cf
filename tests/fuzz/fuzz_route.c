/* Fuzzes paths: route_parse_id, route_match on every pattern, 404/405. */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "route.h"

#include "fuzz.h"

/*
 * The patterns of the table in fcgi/route.c (it is static). Add a route
 * there, add its pattern here.
 */
static const char *const fuzz_patterns[] = {
    "/admin/show", "/shows", "/shows/{id}", "/book", "/bookings/{id}",
    "/bookings/{id}/confirm", "/bookings/{id}/cancel", "/health",
};

#define FUZZ_PATTERNS_N (sizeof(fuzz_patterns) / sizeof(fuzz_patterns[0]))

static void fuzz_route_id(const uint8_t *data, size_t size);
static int fuzz_route_match_any(const char *path);
static void fuzz_route_dispatch(const char *path, int matched);

/* An id that parses prints back as exactly the same digits. */
static void
fuzz_route_id(const uint8_t *data, size_t size)
{
    char    back[24];
    int64_t id;

    if (route_parse_id((const char *) data, size, &id) < 0)
        return;
    if (id < 1 || (size_t) snprintf(back, sizeof(back), "%" PRId64, id) != size
        || memcmp(back, data, size) != 0)
        abort();
}

/* Does path match some pattern? An {id} it takes is always positive. */
static int
fuzz_route_match_any(const char *path)
{
    int64_t id;
    size_t  i;
    int     matched = 0;

    for (i = 0; i < FUZZ_PATTERNS_N; i++) {
        id = 0;
        if (!route_match(fuzz_patterns[i], path, &id))
            continue;
        if (strstr(fuzz_patterns[i], "{id}") != NULL && id < 1)
            abort();
        matched = 1;
    }
    return matched;
}

/*
 * No route takes PUT, so route_dispatch answers 405 (a known path) or 404
 * and never reaches a handler or the database (db and cfg stay NULL).
 */
static void
fuzz_route_dispatch(const char *path, int matched)
{
    struct request     req;
    struct response    res;
    struct handler_ctx ctx;

    memset(&req, 0, sizeof(req));
    req.method = "PUT";
    req.path = path;
    req.query = "";
    req.request_id = "fuzz";
    req.body = "";
    response_init(&res);
    memset(&ctx, 0, sizeof(ctx));
    ctx.req = &req;
    ctx.res = &res;
    route_dispatch(&ctx);
    if (res.status != (matched ? 405 : 404) || res.nheaders != matched)
        abort();
    response_cleanup(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path;

    fuzz_route_id(data, size);
    path = fuzz_cstring_new(data, size);
    fuzz_route_dispatch(path, fuzz_route_match_any(path));
    free(path);
    return 0;
}
