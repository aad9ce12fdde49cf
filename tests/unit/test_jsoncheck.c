/* Unit tests of jsoncheck_object: the strict grammar json-c does not enforce. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jsoncheck.h"

static int check(const char *s, size_t len, int depth, char *why);

static int
check(const char *s, size_t len, int depth, char *why)
{
    return jsoncheck_object(s, len, depth, why, JSONCHECK_WHY_MAX);
}

#define LIT(s) (s), (sizeof(s) - 1)
#define OK(s)  assert_int_equal(check((s), sizeof(s) - 1, 16, why), 0)
#define BAD(s) assert_int_equal(check((s), sizeof(s) - 1, 16, why), -1)

/* What json-c 0.16 accepts even in strict mode, and RFC 8259 does not. */
static void
test_lenient_forms_refused(void **state)
{
    char why[JSONCHECK_WHY_MAX];

    (void) state;
    BAD("{'a':1}");
    BAD("{\"a\":'x'}");
    BAD("{\"a\":NaN}");
    BAD("{\"a\":Infinity}");
    BAD("{\"a\":-Infinity}");
    BAD("{\"a\":01}");
    BAD("{\"a\":-01}");
    BAD("{\"a\":1.}");
    BAD("{\"a\":.5}");
    BAD("{\"a\":1e}");
    BAD("{\"a\":+1}");
    BAD("{\"a\":\"x\ty\"}");
    BAD("{\"a\":\"\\x41\"}");
    BAD("{\"a\":\"\\u12\"}");
    BAD("{\"a\":1,}");
    BAD("{,}");
    BAD("{\"a\" 1}");
    BAD("{\"a\":[1,]}");
    BAD("{\"a\":tru}");
    BAD("{\"a\":True}");
    BAD("{a:1}");
}

static void
test_valid_forms_accepted(void **state)
{
    char why[JSONCHECK_WHY_MAX];

    (void) state;
    OK("{}");
    OK(" \t\r\n{ } \n");
    OK("{\"a\":-0,\"b\":0.5,\"c\":1e10,\"d\":-2.5E-3,\"e\":10}");
    OK("{\"a\":[],\"b\":[1,[2,{}]],\"c\":{\"d\":null}}");
    OK("{\"a\":true,\"b\":false,\"c\":null}");
    OK("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}");
    OK("{\"caf\xc3\xa9\":\"\xe2\x82\xac \xf0\x9f\x8e\xad\"}");
    OK("{\"a\":\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"}");
}

static void
test_utf8(void **state)
{
    char why[JSONCHECK_WHY_MAX];

    (void) state;
    BAD("{\"a\":\"\xc0\xaf\"}");              /* overlong '/' */
    BAD("{\"a\":\"\xe0\x80\xaf\"}");          /* overlong, 3 bytes */
    BAD("{\"a\":\"\xf0\x80\x80\xaf\"}");      /* overlong, 4 bytes */
    BAD("{\"a\":\"\xed\xa0\x80\"}");          /* surrogate U+D800 */
    BAD("{\"a\":\"\xf4\x90\x80\x80\"}");      /* U+110000 */
    BAD("{\"a\":\"\xff\"}");
    BAD("{\"a\":\"\x80\"}");
    BAD("{\"a\":\"\xe2\x82\"}");              /* truncated */
    BAD("{\"a\":\"\xe2\x82");                 /* truncated at the end */
    BAD("{\"\xc3\":1}");
}

static void
test_shape_and_messages(void **state)
{
    char why[JSONCHECK_WHY_MAX];

    (void) state;
    assert_int_equal(check("", 0, 16, why), -1);
    assert_string_equal(why, "request body is empty");
    assert_int_equal(check("[1]", 3, 16, why), -1);
    assert_string_equal(why, "request body must be a JSON object (at byte 0)");
    assert_int_equal(check("5", 1, 16, why), -1);
    assert_string_equal(why, "request body must be a JSON object (at byte 0)");
    assert_int_equal(check("{} {}", 5, 16, why), -1);
    assert_string_equal(why, "request body has data after the JSON object "
        "(at byte 3)");
    assert_int_equal(check("{\"a\":", 5, 16, why), -1);
    assert_string_equal(why, "request body is truncated");
    assert_int_equal(check("{\"a\":[1 2]}", 11, 16, why), -1);
    assert_string_equal(why, "request body is not valid JSON (at byte 8)");
    assert_int_equal(check("{\"a\":1}\0", 8, 16, why), -1);
}

/*
 * json-c cuts an object key at \u0000 ("show_id\u0000x" becomes
 * show_id), so a key may not have one; a value may (its length is kept,
 * and the field readers refuse control characters themselves).
 */
static void
test_nul_escape_in_key(void **state)
{
    char why[JSONCHECK_WHY_MAX];

    (void) state;
    BAD("{\"show_id\\u0000x\":1}");
    BAD("{\"\\u0000\":1}");
    BAD("{\"a\":{\"b\\u0000\":1}}");
    assert_int_equal(check(LIT("{\"ab\\u0000\":1}"), 16, why), -1);
    assert_string_equal(why, "request body has \\u0000 in an object key "
        "(at byte 5)");
    OK("{\"a\":\"x\\u0000y\"}");
    OK("{\"a\\u0001\\u0100\\u1000\":1}");
    OK("{\"a\":[\"\\u0000\"]}");
}

/* depth levels of objects and arrays pass, one more does not. */
static void
test_depth(void **state)
{
    char   why[JSONCHECK_WHY_MAX], buf[256];
    size_t n = 0;
    int    i, depth = 4;

    (void) state;
    buf[n++] = '{';
    buf[n++] = '"';
    buf[n++] = 'a';
    buf[n++] = '"';
    buf[n++] = ':';
    for (i = 1; i < depth; i++)
        buf[n++] = '[';
    for (i = 1; i < depth; i++)
        buf[n++] = ']';
    buf[n++] = '}';
    assert_int_equal(check(buf, n, depth, why), 0);
    assert_int_equal(check(buf, n, depth - 1, why), -1);
    assert_string_equal(why, "request body is nested too deeply (at byte 7)");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lenient_forms_refused),
        cmocka_unit_test(test_valid_forms_accepted),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_shape_and_messages),
        cmocka_unit_test(test_nul_escape_in_key),
        cmocka_unit_test(test_depth),
    };

    return cmocka_run_group_tests_name("jsoncheck", tests, NULL, NULL);
}
