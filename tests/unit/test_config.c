/* Unit tests of config_parse_int: range, base, junk, and the error line. */

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"

#include "config.h"

static int parse_int_quietly(const char *value, long min, long max, int base,
    long *out, char *err, size_t errsize);

/* config_parse_int("TEST_VAR", ...) with its stderr line caught in err. */
static int
parse_int_quietly(const char *value, long min, long max, int base,
    long *out, char *err, size_t errsize)
{
    struct capture c;
    int            rc;

    capture_begin(&c);
    rc = config_parse_int("TEST_VAR", value, min, max, base, out);
    capture_end(&c, err, errsize);
    return rc;
}

static void
test_config_parse_int(void **state)
{
    static const char *const bad[] = {
        "", "0", "257", "-1", "abc", "5x", "5 ", "0x10", "1e3", "-", "+",
        "4.0", "99999999999999999999", "-99999999999999999999",
    };
    char   err[256], min[32];
    long   v = 0;
    size_t i;

    (void) state;
    assert_int_equal(parse_int_quietly("5", 1, 256, 10, &v, err,
        sizeof(err)), 0);
    assert_int_equal(v, 5);
    assert_string_equal(err, "");
    assert_int_equal(parse_int_quietly("1", 1, 256, 10, &v, err,
        sizeof(err)), 0);
    assert_int_equal(v, 1);
    assert_int_equal(parse_int_quietly("256", 1, 256, 10, &v, err,
        sizeof(err)), 0);
    assert_int_equal(v, 256);
    assert_int_equal(parse_int_quietly("010", 1, 256, 10, &v, err,
        sizeof(err)), 0);
    assert_int_equal(v, 10);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 77;
        if (parse_int_quietly(bad[i], 1, 256, 10, &v, err, sizeof(err)) == 0)
            fail_msg("config_parse_int accepted \"%s\" as %ld", bad[i], v);
        assert_int_equal(v, 77);
        /* The message names the variable and quotes the value. */
        assert_non_null(strstr(err, "TEST_VAR=\""));
        assert_non_null(strstr(err, bad[i]));
    }
    /* Overflow is refused even when the range is all of long. */
    assert_int_equal(parse_int_quietly("99999999999999999999", LONG_MIN,
        LONG_MAX, 10, &v, err, sizeof(err)), -1);
    assert_int_equal(parse_int_quietly("-99999999999999999999", LONG_MIN,
        LONG_MAX, 10, &v, err, sizeof(err)), -1);
    snprintf(min, sizeof(min), "%ld", LONG_MIN);
    assert_int_equal(parse_int_quietly(min, LONG_MIN, LONG_MAX, 10, &v, err,
        sizeof(err)), 0);
    assert_int_equal(v, LONG_MIN);
}

static void
test_config_parse_int_base8(void **state)
{
    static const char *const bad[] = {
        "", "8", "0778", "0999", "01000", "-1", "0x1",
    };
    char   err[256];
    long   v = 0;
    size_t i;

    (void) state;
    assert_int_equal(parse_int_quietly("0660", 0, 0777, 8, &v, err,
        sizeof(err)), 0);
    assert_int_equal(v, 0660);
    assert_int_equal(parse_int_quietly("660", 0, 0777, 8, &v, err,
        sizeof(err)), 0);
    assert_int_equal(v, 432);
    assert_int_equal(parse_int_quietly("0", 0, 0777, 8, &v, err,
        sizeof(err)), 0);
    assert_int_equal(v, 0);
    assert_int_equal(parse_int_quietly("0777", 0, 0777, 8, &v, err,
        sizeof(err)), 0);
    assert_int_equal(v, 511);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse_int_quietly(bad[i], 0, 0777, 8, &v, err, sizeof(err)) == 0)
            fail_msg("base 8 accepted \"%s\" as %ld", bad[i], v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_parse_int),
        cmocka_unit_test(test_config_parse_int_base8),
    };

    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
