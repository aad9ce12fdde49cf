/* Unit tests of the hand-written answers' buffer: growth, integers, and
 * JSON strings escaped exactly as json-c escapes them. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "textbuf.h"

static void
test_textbuf_grows(void **state)
{
    struct textbuf t = { NULL, 0, 0 };
    int            i;

    (void) state;
    for (i = 0; i < 5000; i++)
        assert_int_equal(textbuf_printf(&t, "%04d,", i % 10000), 0);
    assert_int_equal(t.len, 5000 * 5);
    assert_int_equal(strlen(t.buf), t.len);
    assert_memory_equal(t.buf + 4995 * 5, "4995,4996,", 10);
    assert_int_equal(textbuf_put(&t, "xyz", 3), 0);
    assert_string_equal(t.buf + t.len - 4, ",xyz");
    free(t.buf);
}

static void
test_textbuf_int(void **state)
{
    struct textbuf t = { NULL, 0, 0 };

    (void) state;
    assert_int_equal(textbuf_int(&t, 0), 0);
    assert_int_equal(textbuf_put(&t, " ", 1), 0);
    assert_int_equal(textbuf_int(&t, -42), 0);
    assert_int_equal(textbuf_put(&t, " ", 1), 0);
    assert_int_equal(textbuf_int(&t, INT64_MAX), 0);
    assert_int_equal(textbuf_put(&t, " ", 1), 0);
    assert_int_equal(textbuf_int(&t, INT64_MIN), 0);
    assert_string_equal(t.buf,
        "0 -42 9223372036854775807 -9223372036854775808");
    free(t.buf);
}

/* Every byte from 1 to 255 (and UTF-8 text): as json-c writes it. */
static void
test_textbuf_json_string(void **state)
{
    struct textbuf t = { NULL, 0, 0 };
    const char    *cases[] = { "", "plain", "a \"quoted\" \\ back/slash",
        "tab\tnl\ncr\rbs\bff\f", "\x01\x1f\x7f", "Caf\xc3\xa9 \xe2\x82\xac" };
    char           all[256];
    json_object   *o;
    size_t         i;

    (void) state;
    for (i = 1; i < 256; i++)
        all[i - 1] = (char) i;
    all[255] = '\0';
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]) + 1; i++) {
        const char *s = i < sizeof(cases) / sizeof(cases[0]) ? cases[i] : all;

        t.len = 0;
        assert_int_equal(textbuf_json_string(&t, s), 0);
        o = json_object_new_string(s);
        assert_string_equal(t.buf, json_object_to_json_string_ext(o,
            JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    }
    free(t.buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textbuf_grows),
        cmocka_unit_test(test_textbuf_int),
        cmocka_unit_test(test_textbuf_json_string),
    };

    return cmocka_run_group_tests_name("textbuf", tests, NULL, NULL);
}
