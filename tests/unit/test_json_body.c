/* Unit tests of json_body_parse_or_reply: type, size, JSON, UTF-8, depth. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* The Makefile puts -Ifcgi first: json-c ships a json.h of its own. */
#include "json.h"
#include "request.h"
#include "unit.h"

/* A string literal as (pointer, length), so embedded NULs count. */
#define LIT(s) (s), (sizeof(s) - 1)

static json_object *parse_body(const char *content_type, const char *body,
    size_t len, struct response *res);
static void print_escaped(size_t i, const char *s);
static int count_parsed(const char *const *bodies, size_t n);
static size_t nested_body(char *buf, size_t size, int levels);

/* Run json_body_parse_or_reply on a POST with this type and body. */
static json_object *
parse_body(const char *content_type, const char *body, size_t len,
    struct response *res)
{
    struct request req;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/admin/show";
    req.query = "";
    req.request_id = "test";
    req.content_type = content_type;
    req.body = body;
    req.body_len = len;
    response_init(res);
    return json_body_parse_or_reply(&req, res);
}

/* Name bodies[i] on stderr, bytes outside printable ASCII as \\xNN. */
static void
print_escaped(size_t i, const char *s)
{
    char   out[256];
    size_t n = 0;

    for (; *s != '\0' && n < sizeof(out) - 5; s++) {
        if ((unsigned char) *s >= 0x20 && (unsigned char) *s < 0x7f)
            out[n++] = *s;
        else
            n += (size_t) snprintf(out + n, 5, "\\x%02x", (unsigned char) *s);
    }
    out[n] = '\0';
    print_error("accepted body #%zu: %s\n", i, out);
}

/*
 * How many of the NUL-terminated bodies[] parse; a rejected one must have
 * been answered 400 invalid_json. Each accepted one is named on stderr.
 */
static int
count_parsed(const char *const *bodies, size_t n)
{
    struct response res;
    json_object    *obj;
    size_t          i;
    int             parsed = 0;

    for (i = 0; i < n; i++) {
        obj = parse_body("application/json", bodies[i], strlen(bodies[i]),
            &res);
        if (obj != NULL) {
            print_escaped(i, bodies[i]);
            parsed++;
        } else {
            ASSERT_ERROR(&res, 400, "invalid_json", NULL);
        }
        json_object_put(obj);
        response_cleanup(&res);
    }
    return parsed;
}

/* 413 comes first: an oversized body is not read, whatever its type. */
static void
test_body_too_large(void **state)
{
    static const char *const types[] = {
        "application/json", NULL, "text/plain",
    };
    struct request  req;
    struct response res;
    size_t          i;

    (void) state;
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        memset(&req, 0, sizeof(req));
        req.content_type = types[i];
        req.body = "{}";
        req.body_len = 2;
        req.body_too_large = 1;
        response_init(&res);
        assert_null(json_body_parse_or_reply(&req, &res));
        ASSERT_ERROR(&res, 413, "body_too_large", NULL);
        response_cleanup(&res);
    }
}

static void
test_content_type(void **state)
{
    static const char *const bad[] = {
        "", "text/plain", "application/jsonx", "application/json-patch+json",
        "application/x-www-form-urlencoded", "application/jso",
        " application/json", "application/javascript", "json",
        "multipart/form-data; boundary=application/json",
    };
    static const char *const good[] = {
        "application/json", "application/json; charset=utf-8",
        "Application/JSON", "APPLICATION/JSON;charset=UTF-8",
        "application/json ; charset=utf-8", "application/json\t",
    };
    struct response res;
    json_object    *obj;
    size_t          i;

    (void) state;
    assert_null(parse_body(NULL, LIT("{}"), &res));
    ASSERT_ERROR(&res, 415, "unsupported_media_type", NULL);
    response_cleanup(&res);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(json_content_type_is_json(bad[i]));
        assert_null(parse_body(bad[i], LIT("{}"), &res));
        ASSERT_ERROR(&res, 415, "unsupported_media_type", NULL);
        response_cleanup(&res);
    }
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_true(json_content_type_is_json(good[i]));
        obj = parse_body(good[i], LIT("{\"a\":1}"), &res);
        assert_non_null(obj);
        assert_null(res.body);
        json_object_put(obj);
        response_cleanup(&res);
    }
}

static void
test_body_empty_truncated_trailing(void **state)
{
    static const char *const bad[] = {
        "", " ", "\r\n", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":\"x",
        "{\"a\":1,", "}", "{}x", "{}{}", "{} 1", "{}/*c*/", "{}//c", "{},",
        "{\"a\":1,}", "{\"a\" 1}", "{a:1}",
    };

    (void) state;
    assert_int_equal(count_parsed(bad, sizeof(bad) / sizeof(bad[0])), 0);
}

static void
test_body_whitespace_around(void **state)
{
    struct response res;
    json_object    *obj, *v;

    (void) state;
    obj = parse_body("application/json", LIT(" \n{\"a\": 7} \t\r\n"), &res);
    assert_non_null(obj);
    assert_true(json_object_object_get_ex(obj, "a", &v));
    assert_int_equal(json_object_get_int64(v), 7);
    json_object_put(obj);
    response_cleanup(&res);
}

static void
test_body_not_an_object(void **state)
{
    static const char *const bad[] = {
        "[1]", "[]", "\"x\"", "123", "true", "null", "[{\"a\":1}]",
    };

    (void) state;
    assert_int_equal(count_parsed(bad, sizeof(bad) / sizeof(bad[0])), 0);
}

/* {"a":[[...1...]]}: an object and levels - 1 arrays, levels containers. */
static size_t
nested_body(char *buf, size_t size, int levels)
{
    size_t n = (size_t) snprintf(buf, size, "{\"a\":");
    int    i;

    for (i = 1; i < levels && n < size - 1; i++)
        buf[n++] = '[';
    buf[n++] = '1';
    for (i = 1; i < levels && n < size - 2; i++)
        buf[n++] = ']';
    buf[n++] = '}';
    buf[n] = '\0';
    return n;
}

/* One container more than JSON_DEPTH_MAX is refused, saying why. */
static void
test_body_too_deep(void **state)
{
    char            body[4096];
    struct response res;
    size_t          n;

    (void) state;
    n = nested_body(body, sizeof(body), JSON_DEPTH_MAX + 1);
    assert_null(parse_body("application/json", body, n, &res));
    ASSERT_ERROR(&res, 400, "invalid_json", NULL);
    assert_non_null(strstr(body_get(&res, "message"), "nested too deeply"));
    response_cleanup(&res);
    /* Far deeper input is refused without exhausting the stack. */
    memset(body, '[', 3000);
    body[3000] = '\0';
    assert_null(parse_body("application/json", body, 3000, &res));
    ASSERT_ERROR(&res, 400, "invalid_json", NULL);
    response_cleanup(&res);
}

/*
 * Up to JSON_DEPTH_MAX - 1 containers pass. Exactly JSON_DEPTH_MAX is left
 * out: json-c refuses it, which is right only if the leaf value counts as
 * a level, and the contract in json.c does not say.
 */
static void
test_body_nested_ok(void **state)
{
    char            body[256];
    struct response res;
    json_object    *obj;
    int             levels;
    size_t          n;

    (void) state;
    for (levels = 1; levels < JSON_DEPTH_MAX; levels++) {
        n = nested_body(body, sizeof(body), levels);
        obj = parse_body("application/json", body, n, &res);
        if (obj == NULL)
            fail_msg("%d containers refused: %s", levels,
                body_get(&res, "message"));
        json_object_put(obj);
        response_cleanup(&res);
    }
}

static void
test_body_invalid_utf8(void **state)
{
    static const char *const bad[] = {
        "{\"a\":\"\xff\"}",                 /* never valid */
        "{\"a\":\"\xfe\"}",
        "{\"a\":\"\x80\"}",                 /* lone continuation byte */
        "{\"a\":\"\xc3\"}",                 /* truncated 2-byte sequence */
        "{\"a\":\"\xe2\x82\"}",             /* truncated 3-byte sequence */
        "{\"a\":\"\xf0\x9f\x98\"}",         /* truncated 4-byte sequence */
        "{\"a\":\"\xc3\xa9\xa9\"}",         /* one continuation too many */
        "{\"\xff\":1}",                     /* in a key */
    };

    (void) state;
    assert_int_equal(count_parsed(bad, sizeof(bad) / sizeof(bad[0])), 0);
}

/*
 * Well-formed-looking sequences that RFC 3629 still forbids: overlong
 * forms, UTF-16 surrogates, code points past U+10FFFF. PostgreSQL refuses
 * them (SQLSTATE 22021), so letting them through turns a 400 into a 500.
 */
static void
test_body_utf8_not_shortest_or_not_scalar(void **state)
{
    static const char *const bad[] = {
        "{\"a\":\"\xc0\xaf\"}",             /* overlong "/" */
        "{\"a\":\"\xc1\xbf\"}",             /* overlong U+007F */
        "{\"a\":\"\xe0\x80\xaf\"}",         /* overlong "/", 3 bytes */
        "{\"a\":\"\xf0\x80\x80\xaf\"}",     /* overlong "/", 4 bytes */
        "{\"a\":\"\xed\xa0\x80\"}",         /* surrogate U+D800 */
        "{\"a\":\"\xed\xbf\xbf\"}",         /* surrogate U+DFFF */
        "{\"a\":\"\xf4\x90\x80\x80\"}",     /* U+110000 */
    };

    (void) state;
    assert_int_equal(count_parsed(bad, sizeof(bad) / sizeof(bad[0])), 0);
}

static void
test_body_valid_utf8(void **state)
{
    struct response res;
    json_object    *obj, *v;

    (void) state;
    obj = parse_body("application/json",
        LIT("{\"a\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
            "\"b\":\"\\ud83d\\ude00\"}"), &res);
    assert_non_null(obj);
    assert_true(json_object_object_get_ex(obj, "a", &v));
    assert_string_equal(json_object_get_string(v),
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    assert_true(json_object_object_get_ex(obj, "b", &v));
    assert_string_equal(json_object_get_string(v), "\xf0\x9f\x98\x80");
    json_object_put(obj);
    response_cleanup(&res);
}

static void
test_body_embedded_nul(void **state)
{
    static const struct {
        const char *body;
        size_t      len;
    } bad[] = {
        { LIT("\0{}") }, { LIT("{\0}") }, { LIT("{\"a\":\"x\0y\"}") },
        { LIT("{\"a\":1\0}") }, { LIT("{}\0") }, { LIT("{} \0 ") },
    };
    struct response res;
    size_t          i;

    (void) state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse_body("application/json", bad[i].body, bad[i].len, &res))
            fail_msg("body %zu with a NUL byte was accepted", i);
        ASSERT_ERROR(&res, 400, "invalid_json", NULL);
        response_cleanup(&res);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_body_empty_truncated_trailing),
        cmocka_unit_test(test_body_whitespace_around),
        cmocka_unit_test(test_body_not_an_object),
        cmocka_unit_test(test_body_too_deep),
        cmocka_unit_test(test_body_nested_ok),
        cmocka_unit_test(test_body_invalid_utf8),
        cmocka_unit_test(test_body_utf8_not_shortest_or_not_scalar),
        cmocka_unit_test(test_body_valid_utf8),
        cmocka_unit_test(test_body_embedded_nul),
    };

    return cmocka_run_group_tests_name("json_body", tests, NULL, NULL);
}
