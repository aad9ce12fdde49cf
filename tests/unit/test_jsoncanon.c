/* Unit tests of canonical JSON: the same values give one text, different ones do not. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsoncanon.h"

static char *canon_of(const char *text);
static void assert_same(const char *a, const char *b);
static void assert_differ(const char *a, const char *b);

/* The canonical text of the JSON text (the caller frees it). */
static char *
canon_of(const char *text)
{
    json_object *o = json_tokener_parse(text);
    char        *c;

    assert_true(o != NULL || strcmp(text, "null") == 0);
    c = json_canonical(o);
    json_object_put(o);
    assert_non_null(c);
    return c;
}

static void
assert_same(const char *a, const char *b)
{
    char *ca = canon_of(a), *cb = canon_of(b);

    assert_string_equal(ca, cb);
    free(ca);
    free(cb);
}

static void
assert_differ(const char *a, const char *b)
{
    char *ca = canon_of(a), *cb = canon_of(b);

    assert_string_not_equal(ca, cb);
    free(ca);
    free(cb);
}

static void
test_order_and_spacing(void **state)
{
    char *c;

    (void) state;
    assert_same("{\"show_id\":2,\"seat_count\":1}",
        " { \"seat_count\" : 1 ,\n\t\"show_id\":2 } ");
    assert_same("{\"a\":{\"y\":[1,2],\"x\":null},\"b\":true}",
        "{\"b\":true,\"a\":{\"x\":null,\"y\":[1, 2]}}");
    c = canon_of("{\"show_id\":2, \"seat_count\":1, \"hold\":true}");
    assert_string_equal(c, "{\"hold\":true,\"seat_count\":1,\"show_id\":2}");
    free(c);
}

static void
test_escapes(void **state)
{
    (void) state;
    /* one string, spelled three ways */
    assert_same("{\"name\":\"Caf\\u00e9 / Bar\"}",
        "{\"name\":\"Café \\/ Bar\"}");
    assert_same("{\"name\":\"Café / Bar\"}", "{\"n\\u0061me\":\"Café / Bar\"}");
}

static void
test_values_differ(void **state)
{
    (void) state;
    assert_differ("{\"seat_count\":1}", "{\"seat_count\":2}");
    assert_differ("{\"hold\":false}", "{}");
    assert_differ("{\"a\":[1,2]}", "{\"a\":[2,1]}");
    assert_differ("{\"a\":\"1\"}", "{\"a\":1}");
    assert_differ("{\"a\":null}", "{}");
    /* a member name that contains what a separator would look like */
    assert_differ("{\"a\":1,\"b\":2}", "{\"a\\\":1,\\\"b\":2}");
}

static void
test_duplicates_last_wins(void **state)
{
    (void) state;
    assert_same("{\"a\":1,\"a\":2}", "{\"a\":2}");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_spacing),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_values_differ),
        cmocka_unit_test(test_duplicates_last_wins),
    };

    return cmocka_run_group_tests_name("jsoncanon", tests, NULL, NULL);
}
