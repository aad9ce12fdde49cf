/* Unit tests of path ids, the route table, query strings, cursors, auth. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "query.h"
#include "route.h"
#include "shows.h"

#define TOKEN "s3cret-admin-token-0123456789"

/* query_get(query, key) into a 64-byte buffer returns ret (and want). */
#define ASSERT_QUERY(query, key, ret, want) do {                         \
        char buf_[64];                                                   \
        assert_int_equal(query_get((query), (key), buf_, sizeof(buf_)),  \
            (ret));                                                      \
        if ((ret) == 1)                                                  \
            assert_string_equal(buf_, (want));                           \
    } while (0)

static int auth(const char *header);
static void dispatch(const char *method, const char *path,
    struct response *res);

static int
auth(const char *header)
{
    return auth_bearer_ok(header, TOKEN, strlen(TOKEN));
}

/* route_dispatch with no database: only for requests no handler takes. */
static void
dispatch(const char *method, const char *path, struct response *res)
{
    struct request     req;
    struct handler_ctx ctx;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.query = "";
    req.request_id = "test";
    memset(&ctx, 0, sizeof(ctx));
    ctx.req = &req;
    ctx.res = res;
    response_init(res);
    route_dispatch(&ctx);
}

static void
test_parse_id(void **state)
{
    static const char *const bad[] = {
        "", "0", "00", "01", "007", "+1", "-1", " 1", "1 ", "1a", "a", "1.0",
        "0x10", "1/", "9223372036854775808", "9999999999999999999",
        "10000000000000000000", "92233720368547758070",
    };
    int64_t id = 0;
    size_t  i;

    (void) state;
    assert_int_equal(route_parse_id("1", 1, &id), 0);
    assert_int_equal(id, 1);
    assert_int_equal(route_parse_id("42", 2, &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(route_parse_id("9223372036854775807", 19, &id), 0);
    assert_int_equal(id, INT64_MAX);
    assert_int_equal(route_parse_id("1000000000000000000", 19, &id), 0);
    assert_int_equal(id, 1000000000000000000LL);
    /* Only len bytes count: the rest of the path is not read. */
    assert_int_equal(route_parse_id("123/abc", 3, &id), 0);
    assert_int_equal(id, 123);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (route_parse_id(bad[i], strlen(bad[i]), &id) == 0)
            fail_msg("route_parse_id accepted \"%s\" as %lld", bad[i],
                (long long) id);
}

static void
test_route_match(void **state)
{
    static const char *const miss[] = {
        "/shows/", "/shows/1/", "/shows/abc", "/shows/0", "/shows/01",
        "/shows/-1", "/shows/+1", "/shows", "/showsx", "/showsx/1",
        "/shows/1/2", "/shows//1", "/shows/1a", "/Shows/1", "shows/1",
        "/shows/9223372036854775808", "", "/",
    };
    int64_t id = 0;
    size_t  i;

    (void) state;
    assert_int_equal(route_match("/shows", "/shows", &id), 1);
    assert_int_equal(route_match("/shows", "/shows/", &id), 0);
    assert_int_equal(route_match("/shows", "/showsx", &id), 0);
    assert_int_equal(route_match("/shows", "/show", &id), 0);
    assert_int_equal(route_match("/book", "/bookings/1", &id), 0);
    assert_int_equal(route_match("/shows/{id}", "/shows/42", &id), 1);
    assert_int_equal(id, 42);
    assert_int_equal(route_match("/bookings/{id}", "/bookings/7", &id), 1);
    assert_int_equal(id, 7);
    assert_int_equal(route_match("/shows/{id}", "/shows/9223372036854775807",
        &id), 1);
    assert_int_equal(id, INT64_MAX);
    /* {id} takes one segment, wherever it stands. */
    assert_int_equal(route_match("/shows/{id}/seats", "/shows/5/seats", &id),
        1);
    assert_int_equal(id, 5);
    assert_int_equal(route_match("/shows/{id}/seats", "/shows/5/6/seats",
        &id), 0);
    for (i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
        if (route_match("/shows/{id}", miss[i], &id))
            fail_msg("\"/shows/{id}\" matched \"%s\"", miss[i]);
}

/* 404 and 405 are settled from the table before any handler runs. */
static void
test_dispatch_404_405(void **state)
{
    struct response res;

    (void) state;
    dispatch("GET", "/nope", &res);
    assert_int_equal(res.status, 404);
    assert_int_equal(res.nheaders, 0);
    response_cleanup(&res);
    dispatch("GET", "/shows/0", &res);
    assert_int_equal(res.status, 404);
    response_cleanup(&res);
    dispatch("DELETE", "/shows", &res);
    assert_int_equal(res.status, 405);
    assert_int_equal(res.nheaders, 1);
    assert_string_equal(res.headers[0], "Allow: GET, HEAD");
    response_cleanup(&res);
    dispatch("POST", "/shows/5", &res);
    assert_int_equal(res.status, 405);
    assert_string_equal(res.headers[0], "Allow: GET, HEAD");
    response_cleanup(&res);
    dispatch("GET", "/admin/show", &res);
    assert_int_equal(res.status, 405);
    assert_string_equal(res.headers[0], "Allow: POST");
    response_cleanup(&res);
    dispatch("HEAD", "/book", &res);
    assert_int_equal(res.status, 405);
    assert_string_equal(res.headers[0], "Allow: POST");
    response_cleanup(&res);
}

static void
test_query_lookup(void **state)
{
    (void) state;
    ASSERT_QUERY("limit=5&cursor=abc", "limit", 1, "5");
    ASSERT_QUERY("limit=5&cursor=abc", "cursor", 1, "abc");
    ASSERT_QUERY("limit=1&limit=2", "limit", 1, "1");
    ASSERT_QUERY("a=1&&limit=3&", "limit", 1, "3");
    ASSERT_QUERY("cursor=a=b", "cursor", 1, "a=b");
    ASSERT_QUERY("", "limit", 0, "");
    ASSERT_QUERY(NULL, "limit", 0, "");
    ASSERT_QUERY("cursor=1", "limit", 0, "");
    ASSERT_QUERY("LIMIT=1", "limit", 0, "");
    ASSERT_QUERY("x=limit", "limit", 0, "");
    ASSERT_QUERY("&&&", "limit", 0, "");
    /* Present with no value is found, empty. */
    ASSERT_QUERY("limit=", "limit", 1, "");
    ASSERT_QUERY("limit", "limit", 1, "");
    ASSERT_QUERY("a=1&limit&b=2", "limit", 1, "");
}

static void
test_query_key_prefix(void **state)
{
    (void) state;
    ASSERT_QUERY("limitx=9&limit=3", "limit", 1, "3");
    ASSERT_QUERY("xlimit=9&limit=3", "limit", 1, "3");
    ASSERT_QUERY("lim=9&limit=3", "limit", 1, "3");
    ASSERT_QUERY("limit=3", "lim", 0, "");
    ASSERT_QUERY("limitx=9", "limit", 0, "");
    ASSERT_QUERY("limitx", "limit", 0, "");
    ASSERT_QUERY("a=1&ab=2", "ab", 1, "2");
    ASSERT_QUERY("ab=2&a=1", "a", 1, "1");
}

static void
test_query_decoding(void **state)
{
    (void) state;
    ASSERT_QUERY("q=a%20b", "q", 1, "a b");
    ASSERT_QUERY("q=a+b", "q", 1, "a b");
    ASSERT_QUERY("q=%41%62%7e%7E", "q", 1, "Ab~~");
    ASSERT_QUERY("q=%2B", "q", 1, "+");
    ASSERT_QUERY("q=%25", "q", 1, "%");
    ASSERT_QUERY("q=%2541", "q", 1, "%41");
    ASSERT_QUERY("q=%26x&y=1", "q", 1, "&x");
    ASSERT_QUERY("q=%C3%A9", "q", 1, "\xc3\xa9");
    ASSERT_QUERY("q=%ff", "q", 1, "\xff");
    /* Bad escapes and NUL make the value malformed, not absent. */
    ASSERT_QUERY("q=%4", "q", -1, "");
    ASSERT_QUERY("q=%", "q", -1, "");
    ASSERT_QUERY("q=a%", "q", -1, "");
    ASSERT_QUERY("q=%4&r=1", "q", -1, "");
    ASSERT_QUERY("q=%zz", "q", -1, "");
    ASSERT_QUERY("q=%4g", "q", -1, "");
    ASSERT_QUERY("q=%g4", "q", -1, "");
    ASSERT_QUERY("q=%%41", "q", -1, "");
    ASSERT_QUERY("q=% 1", "q", -1, "");
    ASSERT_QUERY("q=%00", "q", -1, "");
    ASSERT_QUERY("q=a%00b", "q", -1, "");
    ASSERT_QUERY("q=1&q=%zz", "q", 1, "1");
}

/* The value must fit with its NUL; the buffer is never overrun. */
static void
test_query_too_long(void **state)
{
    char buf[8];

    (void) state;
    memset(buf, 'X', sizeof(buf));
    assert_int_equal(query_get("q=abc", "q", buf, 4), 1);
    assert_string_equal(buf, "abc");
    assert_memory_equal(buf + 4, "XXXX", 4);
    memset(buf, 'X', sizeof(buf));
    assert_int_equal(query_get("q=abcd", "q", buf, 4), -1);
    assert_memory_equal(buf + 4, "XXXX", 4);
    /* The decoded length counts, not the escaped one. */
    assert_int_equal(query_get("q=%41%42%43", "q", buf, 4), 1);
    assert_string_equal(buf, "ABC");
    assert_int_equal(query_get("q=%41%42%43%44", "q", buf, 4), -1);
    assert_int_equal(query_get("q=", "q", buf, 1), 1);
    assert_string_equal(buf, "");
    assert_int_equal(query_get("q=a", "q", buf, 1), -1);
}

static void
test_cursor_parse(void **state)
{
    static const char *const bad[] = {
        "", "_", "_1", "1_", "1_0", "1_01", "1", "1-2", "1_2x", "abc_1",
        "1__2", "1_-2", "1_+2", "1_ 2", "1x_2", "1_9223372036854775808",
        "99999999999999999999_1", "-99999999999999999999_1",
        "9223372036854775807_3", "253402300800000000_3",
        "-62135596800000001_3", " 5_1", "+5_1",
    };
    int64_t start = 0, id = 0;
    size_t  i;

    (void) state;
    assert_int_equal(shows_cursor_parse("1774029600000000_42", &start, &id),
        0);
    assert_int_equal(start, 1774029600000000LL);
    assert_int_equal(id, 42);
    assert_int_equal(shows_cursor_parse("-1_1", &start, &id), 0);
    assert_int_equal(start, -1);
    assert_int_equal(id, 1);
    assert_int_equal(shows_cursor_parse("0_9223372036854775807", &start, &id),
        0);
    assert_int_equal(start, 0);
    assert_int_equal(id, INT64_MAX);
    /* the instant must be one a show can have: years 1..9999 */
    assert_int_equal(shows_cursor_parse("253402300799999999_3", &start, &id),
        0);
    assert_int_equal(start, 253402300799999999LL);
    assert_int_equal(shows_cursor_parse("-62135596800000000_3", &start, &id),
        0);
    assert_int_equal(start, -62135596800000000LL);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (shows_cursor_parse(bad[i], &start, &id) == 0)
            fail_msg("cursor \"%s\" accepted", bad[i]);
}

static void
test_auth_bearer(void **state)
{
    static const char *const bad[] = {
        "", "Bearer", "Bearer ", "Bearer  ", "Bearer wrong",
        "Bearer s3cret-admin-token-012345678",        /* one byte short */
        "Bearer s3cret-admin-token-01234567890",      /* one byte more */
        "Bearer s3cret-admin-token-0123456788",       /* last byte differs */
        "Bearer t3cret-admin-token-0123456789",       /* first byte differs */
        "Bearer S3CRET-ADMIN-TOKEN-0123456789",       /* token is exact */
        "Bearer " TOKEN " ", "Bearer " TOKEN "\n", "Bearer\t" TOKEN,
        "Bearer" TOKEN, " Bearer " TOKEN, "Basic " TOKEN, "Token " TOKEN,
        "Basic czNjcmV0OnBhc3M=", TOKEN, "Bearer " TOKEN TOKEN,
    };
    size_t i;

    (void) state;
    assert_int_equal(auth("Bearer " TOKEN), 1);
    assert_int_equal(auth("bearer " TOKEN), 1);
    assert_int_equal(auth("BEARER " TOKEN), 1);
    assert_int_equal(auth("Bearer   " TOKEN), 1);
    assert_int_equal(auth(NULL), 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (auth(bad[i]))
            fail_msg("accepted Authorization \"%s\"", bad[i]);
    /* Only token_len bytes of the token count; none means no access. */
    assert_int_equal(auth_bearer_ok("Bearer abc", "abcdef", 3), 1);
    assert_int_equal(auth_bearer_ok("Bearer abcdef", "abcdef", 3), 0);
    assert_int_equal(auth_bearer_ok("Bearer ", "", 0), 0);
    assert_int_equal(auth_bearer_ok("Bearer x", "x", 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_id),
        cmocka_unit_test(test_route_match),
        cmocka_unit_test(test_dispatch_404_405),
        cmocka_unit_test(test_query_lookup),
        cmocka_unit_test(test_query_key_prefix),
        cmocka_unit_test(test_query_decoding),
        cmocka_unit_test(test_query_too_long),
        cmocka_unit_test(test_cursor_parse),
        cmocka_unit_test(test_auth_bearer),
    };

    return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
