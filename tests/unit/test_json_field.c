/* Unit tests of json_field_int_or_reply and json_field_string_or_reply. */

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

static json_object *object_with(json_object *value);
static void expect_int_error(const char *const *bodies, size_t n,
    int64_t min, int64_t max, const char *code);

/* {"f": value}, taking ownership of value (which may be NULL for null). */
static json_object *
object_with(json_object *value)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "f", value);
    return o;
}

static void
test_field_int_ok(void **state)
{
    struct response res;
    json_object    *o;
    int64_t         n = 0;

    (void) state;
    response_init(&res);
    o = json_tokener_parse("{\"f\": 1, \"g\": 100, \"h\": -7, \"z\": -0}");
    assert_int_equal(json_field_int_or_reply(o, "f", 1, 100, &n, &res), 0);
    assert_int_equal(n, 1);
    assert_int_equal(json_field_int_or_reply(o, "g", 1, 100, &n, &res), 0);
    assert_int_equal(n, 100);
    assert_int_equal(json_field_int_or_reply(o, "h", -10, 10, &n, &res), 0);
    assert_int_equal(n, -7);
    assert_int_equal(json_field_int_or_reply(o, "z", 0, 10, &n, &res), 0);
    assert_int_equal(n, 0);
    assert_int_equal(res.status, 500);
    assert_null(res.body);
    json_object_put(o);
    o = object_with(json_object_new_int64(INT64_MAX - 1));
    assert_int_equal(json_field_int_or_reply(o, "f", INT64_MIN, INT64_MAX, &n,
        &res), 0);
    assert_int_equal(n, INT64_MAX - 1);
    json_object_put(o);
}

/* Each body's "f" is refused by json_field_int_or_reply with this code. */
static void
expect_int_error(const char *const *bodies, size_t n, int64_t min,
    int64_t max, const char *code)
{
    struct response res;
    json_object    *o;
    int64_t         v;
    size_t          i;

    for (i = 0; i < n; i++) {
        o = json_tokener_parse(bodies[i]);
        assert_non_null(o);
        response_init(&res);
        if (json_field_int_or_reply(o, "f", min, max, &v, &res) == 0)
            fail_msg("%s accepted as %lld", bodies[i], (long long) v);
        ASSERT_ERROR(&res, 400, code, "f");
        response_cleanup(&res);
        json_object_put(o);
    }
}

static void
test_field_int_errors(void **state)
{
    static const char *const missing[] = {
        "{}", "{\"g\":1}", "{\"F\":1}", "{\"f\":null}",
    };
    static const char *const type[] = {
        "{\"f\":\"5\"}", "{\"f\":true}", "{\"f\":false}", "{\"f\":2.5}",
        "{\"f\":2.0}", "{\"f\":1e2}", "{\"f\":1E2}", "{\"f\":-0.0}",
        "{\"f\":[1]}", "{\"f\":{}}", "{\"f\":\"\"}",
    };
    static const char *const range[] = {
        "{\"f\":0}", "{\"f\":101}", "{\"f\":-1}", "{\"f\":1000000}",
    };
    static const char *const huge[] = {
        "{\"f\":99999999999999999999}", "{\"f\":-99999999999999999999}",
        "{\"f\":9223372036854775808}", "{\"f\":-9223372036854775809}",
        "{\"f\":18446744073709551615}", "{\"f\":18446744073709551616}",
        "{\"f\":123456789012345678901234567890}",
    };

    (void) state;
    expect_int_error(missing, sizeof(missing) / sizeof(missing[0]), 1, 100,
        "missing_field");
    expect_int_error(type, sizeof(type) / sizeof(type[0]), 1, 100,
        "invalid_type");
    expect_int_error(range, sizeof(range) / sizeof(range[0]), 1, 100,
        "out_of_range");
    /* Saturated values are refused even when the range is all of int64. */
    expect_int_error(huge, sizeof(huge) / sizeof(huge[0]), INT64_MIN,
        INT64_MAX, "out_of_range");
    expect_int_error(huge, sizeof(huge) / sizeof(huge[0]), 1, 100,
        "out_of_range");
}

/* obj.f is refused by json_field_string_or_reply(max 200) with code. */
#define ASSERT_STRING_ERROR(obj, code) do {                              \
        struct response res_;                                            \
        const char     *s_ = NULL;                                       \
        json_object    *o_ = (obj);                                      \
        response_init(&res_);                                            \
        assert_int_equal(json_field_string_or_reply(o_, "f", 200, &s_,   \
            &res_), -1);                                                 \
        ASSERT_ERROR(&res_, 400, (code), "f");                           \
        response_cleanup(&res_);                                         \
        json_object_put(o_);                                             \
    } while (0)

/* obj.f is accepted by json_field_string_or_reply(max 200) as want. */
#define ASSERT_STRING_OK(obj, want) do {                                 \
        struct response res_;                                            \
        const char     *s_ = NULL;                                       \
        json_object    *o_ = (obj);                                      \
        response_init(&res_);                                            \
        assert_int_equal(json_field_string_or_reply(o_, "f", 200, &s_,   \
            &res_), 0);                                                  \
        assert_string_equal(s_, (want));                                 \
        assert_null(res_.body);                                          \
        json_object_put(o_);                                             \
    } while (0)

static void
test_field_string_ok(void **state)
{
    char   buf[1024];
    size_t i;

    (void) state;
    ASSERT_STRING_OK(object_with(json_object_new_string("Hamlet")), "Hamlet");
    ASSERT_STRING_OK(object_with(json_object_new_string(" a ")), " a ");
    /* 200 characters pass however many bytes each takes. */
    memset(buf, 'x', 200);
    buf[200] = '\0';
    ASSERT_STRING_OK(object_with(json_object_new_string(buf)), buf);
    for (i = 0; i < 200; i++)
        memcpy(buf + 2 * i, "\xc3\xa9", 2);
    buf[400] = '\0';
    ASSERT_STRING_OK(object_with(json_object_new_string(buf)), buf);
    for (i = 0; i < 200; i++)
        memcpy(buf + 4 * i, "\xf0\x9f\x98\x80", 4);
    buf[800] = '\0';
    ASSERT_STRING_OK(object_with(json_object_new_string(buf)), buf);
}

static void
test_field_string_errors(void **state)
{
    static const char *const ctl[] = {
        "a\nb", "a\tb", "\r", "\x1f", "x\x7f", "\x01name",
    };
    char   buf[1024];
    size_t i;

    (void) state;
    ASSERT_STRING_ERROR(json_object_new_object(), "missing_field");
    ASSERT_STRING_ERROR(object_with(NULL), "missing_field");
    ASSERT_STRING_ERROR(object_with(json_object_new_int(1)), "invalid_type");
    ASSERT_STRING_ERROR(object_with(json_object_new_boolean(1)),
        "invalid_type");
    ASSERT_STRING_ERROR(object_with(json_object_new_array()), "invalid_type");
    ASSERT_STRING_ERROR(object_with(json_object_new_object()),
        "invalid_type");
    ASSERT_STRING_ERROR(object_with(json_object_new_string("")),
        "invalid_value");
    ASSERT_STRING_ERROR(object_with(json_object_new_string(" ")),
        "invalid_value");
    ASSERT_STRING_ERROR(object_with(json_object_new_string("     ")),
        "invalid_value");
    for (i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
        ASSERT_STRING_ERROR(object_with(json_object_new_string(ctl[i])),
            "invalid_value");
    /* An embedded NUL is a control character too, not an end. */
    ASSERT_STRING_ERROR(object_with(json_object_new_string_len("ab\0cd", 5)),
        "invalid_value");
    ASSERT_STRING_ERROR(object_with(json_object_new_string_len("\0", 1)),
        "invalid_value");
    /* 201 characters are too many, in ASCII or not. */
    memset(buf, 'x', 201);
    buf[201] = '\0';
    ASSERT_STRING_ERROR(object_with(json_object_new_string(buf)),
        "invalid_value");
    for (i = 0; i < 201; i++)
        memcpy(buf + 2 * i, "\xc3\xa9", 2);
    buf[402] = '\0';
    ASSERT_STRING_ERROR(object_with(json_object_new_string(buf)),
        "invalid_value");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_int_ok),
        cmocka_unit_test(test_field_int_errors),
        cmocka_unit_test(test_field_string_ok),
        cmocka_unit_test(test_field_string_errors),
    };

    return cmocka_run_group_tests_name("json_field", tests, NULL, NULL);
}
