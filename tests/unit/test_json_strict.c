/* Unit tests of strict bodies: unknown members, and the empty body of confirm and cancel. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* The Makefile puts -Ifcgi first: json-c ships a json.h of its own. */
#include "bookings.h"
#include "json.h"
#include "request.h"
#include "shows.h"
#include "unit.h"

/* A string literal as (pointer, length), so embedded NULs count. */
#define LIT(s) (s), (sizeof(s) - 1)
#define TOKEN  "s3cret-admin-token-0123456789"

static const char *const book_known[] = {
    "show_id", "seat_count", "hold", NULL,
};
static const char *const no_fields[] = { NULL };

static void request_fill(struct request *req, const char *path,
    const char *content_type, const char *body, size_t len);
static int known(const char *json, const char *const *names,
    struct response *res);
static int empty_body(const char *content_type, const char *body,
    size_t len, struct response *res);
static void handle(void (*handler)(struct handler_ctx *), const char *path,
    const char *content_type, const char *body, struct response *res);

static void
request_fill(struct request *req, const char *path, const char *content_type,
    const char *body, size_t len)
{
    memset(req, 0, sizeof(*req));
    req->method = "POST";
    req->path = path;
    req->query = "";
    req->request_id = "test";
    req->content_type = content_type;
    req->body = body;
    req->body_len = len;
}

/* json_fields_known_or_reply on the parsed json, with a fresh res. */
static int
known(const char *json, const char *const *names, struct response *res)
{
    json_object *obj = json_tokener_parse(json);
    int          rc;

    assert_non_null(obj);
    response_init(res);
    rc = json_fields_known_or_reply(obj, names, res);
    json_object_put(obj);
    return rc;
}

/* json_body_empty_or_reply on a POST with this type and body. */
static int
empty_body(const char *content_type, const char *body, size_t len,
    struct response *res)
{
    struct request req;

    request_fill(&req, "/bookings/1/confirm", content_type, body, len);
    response_init(res);
    return json_body_empty_or_reply(&req, res);
}

/*
 * Run a handler with no database (ctx.db is NULL): only for bodies it
 * must refuse before any database call, which would crash otherwise.
 * The request carries an Idempotency-Key and the admin token.
 */
static void
handle(void (*handler)(struct handler_ctx *), const char *path,
    const char *content_type, const char *body, struct response *res)
{
    static struct config cfg;
    struct request       req;
    struct handler_ctx   ctx;

    memset(&cfg, 0, sizeof(cfg));
    memcpy(cfg.admin_token, TOKEN, sizeof(TOKEN));
    cfg.admin_token_len = sizeof(TOKEN) - 1;
    cfg.hold_ttl_seconds = 120;
    request_fill(&req, path, content_type, body, strlen(body));
    req.authorization = "Bearer " TOKEN;
    req.idempotency_key = "unit-strict-1";
    memset(&ctx, 0, sizeof(ctx));
    ctx.req = &req;
    ctx.res = res;
    ctx.cfg = &cfg;
    ctx.id = 1;
    response_init(res);
    handler(&ctx);
}

/* Only known members, some or none of them: nothing is answered. */
static void
test_known_members_pass(void **state)
{
    static const char *const ok[] = {
        "{}", "{\"show_id\":1}", "{\"hold\":null,\"seat_count\":\"x\"}",
        "{\"show_id\":1,\"seat_count\":2,\"hold\":true}",
        "{\"show_id\":1,\"show_id\":2}",
    };
    struct response res;
    size_t          i;

    (void) state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (known(ok[i], book_known, &res) != 0)
            fail_msg("%s refused: %s", ok[i], body_get(&res, "message"));
        assert_int_equal(res.status, 500);
        assert_null(res.body);
        response_cleanup(&res);
    }
    assert_int_equal(known("{}", no_fields, &res), 0);
    assert_null(res.body);
    response_cleanup(&res);
}

/* The first unknown member in the body's order is named, exactly. */
static void
test_unknown_member_first_named(void **state)
{
    static const struct { const char *json, *field; } bad[] = {
        { "{\"show_id\":2,\"seat_count\":1,\"Hold\":true}", "Hold" },
        { "{\"show_id\":2,\"seat\":1}", "seat" },
        { "{\"zeta\":1,\"alpha\":2}", "zeta" },     /* body order */
        { "{\"alpha\":1,\"zeta\":2}", "alpha" },
        { "{\"SHOW_ID\":1,\"seat_count\":1}", "SHOW_ID" },
        { "{\"show_id \":1}", "show_id " },
        { "{\"x\":1,\"show_id\":1,\"x\":2}", "x" },
        { "{\"\":1}", "" },
        { "{\"show_id\":1,\"hold\":{\"nested\":1},\"y\":[]}", "y" },
        { "{\"h\\u00f6ld\":true}", "h\xc3\xb6ld" },
    };
    struct response res;
    char            quoted[64];
    size_t          i;

    (void) state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(known(bad[i].json, book_known, &res), -1);
        ASSERT_ERROR(&res, 400, "unknown_field", bad[i].field);
        snprintf(quoted, sizeof(quoted), "\"%s\"", bad[i].field);
        assert_non_null(strstr(body_get(&res, "message"), quoted));
        assert_non_null(strstr(body_get(&res, "message"),
            "show_id, seat_count, hold"));
        response_cleanup(&res);
    }
    assert_int_equal(known("{\"x\":1}", no_fields, &res), -1);
    ASSERT_ERROR(&res, 400, "unknown_field", "x");
    assert_non_null(strstr(body_get(&res, "message"), "takes none"));
    response_cleanup(&res);
}

/*
 * A long name is quoted whole in "field" but cut in the message, before
 * a character, never inside one: 30 three-byte characters are cut to 21
 * (63 bytes) and "...".
 */
static void
test_unknown_member_long_name(void **state)
{
    char            json[256], name[128], want[128];
    struct response res;
    const char     *msg;
    int             i;

    (void) state;
    name[0] = '\0';
    for (i = 0; i < 30; i++)
        strcat(name, "\xe2\x82\xac");                   /* U+20AC */
    snprintf(json, sizeof(json), "{\"%s\":1}", name);
    assert_int_equal(known(json, book_known, &res), -1);
    ASSERT_ERROR(&res, 400, "unknown_field", name);
    msg = body_get(&res, "message");
    snprintf(want, sizeof(want), "\"%.63s...\"", name);
    assert_non_null(strstr(msg, want));
    assert_true(strlen(msg) < 64 + 100);
    response_cleanup(&res);
}

/* No body at all is accepted whatever the Content-Type, and so is {}. */
static void
test_empty_body_accepted(void **state)
{
    static const char *const types[] = {
        NULL, "", "text/plain", "application/x-www-form-urlencoded",
        "application/json",
    };
    static const char *const empty_objects[] = {
        "{}", " {} ", "\r\n{\n}\t", "{ }",
    };
    struct response res;
    size_t          i;

    (void) state;
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        assert_int_equal(empty_body(types[i], "", 0, &res), 0);
        assert_null(res.body);
        response_cleanup(&res);
    }
    for (i = 0; i < sizeof(empty_objects) / sizeof(empty_objects[0]); i++) {
        if (empty_body("application/json; charset=utf-8", empty_objects[i],
                       strlen(empty_objects[i]), &res) != 0)
            fail_msg("%s refused: %s", empty_objects[i],
                body_get(&res, "message"));
        assert_null(res.body);
        response_cleanup(&res);
    }
}

/* A body that is not JSON, or JSON but not {}, is answered as /book's. */
static void
test_empty_body_refused(void **state)
{
    static const char *const not_json_type[] = {
        NULL, "", "text/plain", "application/x-www-form-urlencoded",
        "application/jsonx",
    };
    static const char *const invalid[] = {
        " ", "x", "[]", "[{}]", "1", "null", "true", "\"\"", "{", "{}{}",
        "{} x", "{,}",
    };
    struct request  req;
    struct response res;
    size_t          i;

    (void) state;
    for (i = 0; i < sizeof(not_json_type) / sizeof(not_json_type[0]); i++) {
        assert_int_equal(empty_body(not_json_type[i], LIT("{}"), &res), -1);
        ASSERT_ERROR(&res, 415, "unsupported_media_type", NULL);
        response_cleanup(&res);
        assert_int_equal(empty_body(not_json_type[i], LIT("x"), &res), -1);
        ASSERT_ERROR(&res, 415, "unsupported_media_type", NULL);
        response_cleanup(&res);
    }
    for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        if (empty_body("application/json", invalid[i], strlen(invalid[i]),
                       &res) == 0)
            fail_msg("%s accepted", invalid[i]);
        ASSERT_ERROR(&res, 400, "invalid_json", NULL);
        response_cleanup(&res);
    }
    assert_int_equal(empty_body("application/json", LIT("{\"x\":1}"), &res),
        -1);
    ASSERT_ERROR(&res, 400, "unknown_field", "x");
    response_cleanup(&res);
    assert_int_equal(empty_body("application/json",
        LIT("{\"reason\":\"changed my mind\",\"x\":1}"), &res), -1);
    ASSERT_ERROR(&res, 400, "unknown_field", "reason");
    response_cleanup(&res);
    assert_int_equal(empty_body("application/json", LIT("{}\0"), &res), -1);
    ASSERT_ERROR(&res, 400, "invalid_json", NULL);
    response_cleanup(&res);
    /* 413 first, as for any body */
    request_fill(&req, "/bookings/1/cancel", "text/plain", "", 0);
    req.body_too_large = 1;
    response_init(&res);
    assert_int_equal(json_body_empty_or_reply(&req, &res), -1);
    ASSERT_ERROR(&res, 413, "body_too_large", NULL);
    response_cleanup(&res);
}

/*
 * The handlers refuse these bodies before the database is called (ctx.db
 * is NULL), so nothing is booked and no Idempotency-Key is stored. An
 * unknown member is named before a bad known one is looked at.
 */
static void
test_handlers_refuse_before_db(void **state)
{
    static const char future_show[] = "{\"name\":\"x\",\"start_time\":"
        "\"2089-06-01T20:00:00Z\",\"total_seats\":10,\"seats\":1}";
    struct response res;

    (void) state;
    handle(bookings_create, "/book", "application/json",
        "{\"show_id\":2,\"seat_count\":1,\"Hold\":true}", &res);
    ASSERT_ERROR(&res, 400, "unknown_field", "Hold");
    response_cleanup(&res);
    handle(bookings_create, "/book", "application/json",
        "{\"show_id\":\"2\",\"seat\":1}", &res);
    ASSERT_ERROR(&res, 400, "unknown_field", "seat");
    response_cleanup(&res);
    handle(shows_create, "/admin/show", "application/json", future_show,
        &res);
    ASSERT_ERROR(&res, 400, "unknown_field", "seats");
    response_cleanup(&res);
    handle(bookings_confirm, "/bookings/1/confirm", "text/plain", "{}", &res);
    ASSERT_ERROR(&res, 415, "unsupported_media_type", NULL);
    response_cleanup(&res);
    handle(bookings_confirm, "/bookings/1/confirm", "application/json",
        "{\"x\":1}", &res);
    ASSERT_ERROR(&res, 400, "unknown_field", "x");
    response_cleanup(&res);
    handle(bookings_cancel, "/bookings/1/cancel", "application/json", "[]",
        &res);
    ASSERT_ERROR(&res, 400, "invalid_json", NULL);
    response_cleanup(&res);
    handle(bookings_cancel, "/bookings/1/cancel", NULL, "x", &res);
    ASSERT_ERROR(&res, 415, "unsupported_media_type", NULL);
    response_cleanup(&res);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_members_pass),
        cmocka_unit_test(test_unknown_member_first_named),
        cmocka_unit_test(test_unknown_member_long_name),
        cmocka_unit_test(test_empty_body_accepted),
        cmocka_unit_test(test_empty_body_refused),
        cmocka_unit_test(test_handlers_refuse_before_db),
    };

    return cmocka_run_group_tests_name("json_strict", tests, NULL, NULL);
}
