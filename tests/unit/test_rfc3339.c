/* Unit tests of rfc3339.c: strict RFC 3339 parsing, canonical UTC output. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "rfc3339.h"

#define US 1000000LL

/* 2026-03-20T18:00:00Z and 9999-12-31T23:59:59Z, from `date -u +%s`. */
#define T_2026 1774029600LL
#define T_9999 253402300799LL
#define T_0001 (-62135596800LL)

/* Parse s, which must succeed with the instant want (µs). */
#define ASSERT_PARSES(s, want) do {                                      \
        int64_t got_ = 0;                                                \
        assert_int_equal(rfc3339_parse((s), &got_), 0);                  \
        assert_int_equal(got_, (want));                                  \
    } while (0)

/* Format us, which must give the string want. */
#define ASSERT_FORMATS(us, want) do {                                    \
        char buf_[RFC3339_MAX];                                          \
        rfc3339_format((us), buf_, sizeof(buf_));                        \
        assert_string_equal(buf_, (want));                               \
    } while (0)

static int rfc3339_count_accepted(const char *const *bad, size_t n);

/* How many of bad[] rfc3339_parse accepts; each one is named on stderr. */
static int
rfc3339_count_accepted(const char *const *bad, size_t n)
{
    size_t  i;
    int     accepted = 0;
    int64_t us;

    for (i = 0; i < n; i++) {
        if (rfc3339_parse(bad[i], &us) == 0) {
            print_error("accepted \"%s\"\n", bad[i]);
            accepted++;
        }
    }
    return accepted;
}

static void
test_parse_utc(void **state)
{
    (void) state;
    ASSERT_PARSES("1970-01-01T00:00:00Z", 0);
    ASSERT_PARSES("2026-03-20T18:00:00Z", T_2026 * US);
    ASSERT_PARSES("2026-03-20T18:00:00z", T_2026 * US);
    ASSERT_PARSES("2026-03-20t18:00:00Z", T_2026 * US);
    ASSERT_PARSES("2000-01-01T00:00:00Z", 946684800LL * US);
    ASSERT_PARSES("1969-12-31T23:59:59Z", -1 * US);
    ASSERT_PARSES("0001-01-01T00:00:00Z", T_0001 * US);
    ASSERT_PARSES("9999-12-31T23:59:59Z", T_9999 * US);
}

static void
test_parse_offsets(void **state)
{
    (void) state;
    ASSERT_PARSES("2026-03-20T20:00:00+02:00", T_2026 * US);
    ASSERT_PARSES("2026-03-20T12:30:00-05:30", T_2026 * US);
    ASSERT_PARSES("2026-03-20T18:00:00+00:00", T_2026 * US);
    ASSERT_PARSES("2026-03-20T18:00:00-00:00", T_2026 * US);
    /* The offset can move the instant across a day or year boundary. */
    ASSERT_PARSES("2026-03-21T17:59:00+23:59", T_2026 * US);
    ASSERT_PARSES("2026-03-19T18:01:00-23:59", T_2026 * US);
    ASSERT_PARSES("1970-01-01T00:59:59+01:00", -1 * US);
    ASSERT_PARSES("1969-12-31T23:00:00-01:00", 0);
}

static void
test_parse_fractions(void **state)
{
    static const struct {
        const char *s;
        int64_t     frac;
    } cases[] = {
        { "2026-03-20T18:00:00.1Z",          100000 },
        { "2026-03-20T18:00:00.12Z",         120000 },
        { "2026-03-20T18:00:00.123Z",        123000 },
        { "2026-03-20T18:00:00.1234Z",       123400 },
        { "2026-03-20T18:00:00.12345Z",      123450 },
        { "2026-03-20T18:00:00.123456Z",     123456 },
        { "2026-03-20T18:00:00.1234567Z",    123456 },
        { "2026-03-20T18:00:00.12345678Z",   123456 },
        { "2026-03-20T18:00:00.123456789Z",  123456 },
        { "2026-03-20T18:00:00.999999999Z",  999999 },
        { "2026-03-20T18:00:00.0000009Z",    0 },
        { "2026-03-20T18:00:00.000001Z",     1 },
        { "2026-03-20T18:00:00.0Z",          0 },
        { "2026-03-20T20:00:00.5+02:00",     500000 },
    };
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ASSERT_PARSES(cases[i].s, T_2026 * US + cases[i].frac);
    /* Before the epoch the fraction still counts forward from the second. */
    ASSERT_PARSES("1969-12-31T23:59:59.25Z", -750000);
}

static void
test_parse_leap_days(void **state)
{
    static const char *const bad[] = {
        "2026-02-29T00:00:00Z",   /* not divisible by 4 */
        "1900-02-29T00:00:00Z",   /* divisible by 100, not by 400 */
        "2100-02-29T00:00:00Z",
        "2024-02-30T00:00:00Z",
    };

    (void) state;
    ASSERT_PARSES("2024-02-29T12:00:00Z", 1709208000LL * US);
    ASSERT_PARSES("2000-02-29T00:00:00Z", 951782400LL * US);
    ASSERT_PARSES("2026-03-01T00:00:00Z",
        (T_2026 - 18 * 3600 - 19 * 86400) * US);
    assert_int_equal(rfc3339_count_accepted(bad, sizeof(bad) / sizeof(bad[0])),
        0);
}

static void
test_reject_bad_dates_and_times(void **state)
{
    static const char *const bad[] = {
        "2026-00-10T00:00:00Z", "2026-13-10T00:00:00Z",
        "2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-06-31T00:00:00Z",
        "2026-09-31T00:00:00Z", "2026-11-31T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "2026-03-20T24:00:00Z", "2026-03-20T23:60:00Z",
        "2026-03-20T23:59:60Z", "2026-03-20T99:00:00Z",
    };

    (void) state;
    assert_int_equal(rfc3339_count_accepted(bad, sizeof(bad) / sizeof(bad[0])),
        0);
}

static void
test_reject_bad_zones(void **state)
{
    static const char *const bad[] = {
        "2026-03-20T18:00:00",        "2026-03-20T18:00:00.5",
        "2026-03-20T18:00:00+0200",   "2026-03-20T18:00:00+02",
        "2026-03-20T18:00:00+2:00",   "2026-03-20T18:00:00+02:0",
        "2026-03-20T18:00:00+24:00",  "2026-03-20T18:00:00-24:00",
        "2026-03-20T18:00:00+02:60",  "2026-03-20T18:00:00 +02:00",
        "2026-03-20T18:00:00UTC",     "2026-03-20T18:00:00GMT",
        "2026-03-20T18:00:00Z ",      "2026-03-20T18:00:00Zx",
        "2026-03-20T18:00:00ZZ",      "2026-03-20T18:00:00+02:00Z",
        "2026-03-20T18:00:00+02:00 ", "2026-03-20T18:00:00+02:00:00",
    };

    (void) state;
    assert_int_equal(rfc3339_count_accepted(bad, sizeof(bad) / sizeof(bad[0])),
        0);
}

static void
test_reject_bad_syntax(void **state)
{
    static const char *const bad[] = {
        "", "Z", "2026", "2026-03-20", "2026-03-20T", "2026-03-20TZ",
        "2026-03-20T18:00Z", "2026-03-20T18Z", "2026-03-20T18:00:0Z",
        "2026-3-20T18:00:00Z", "2026-03-2T18:00:00Z", "26-03-20T18:00:00Z",
        "02026-03-20T18:00:00Z", "+2026-03-20T18:00:00Z",
        " 2026-03-20T18:00:00Z", "2026/03/20T18:00:00Z",
        "2026-03-20 18:00:00Z", "2026-03-20_18:00:00Z",
        "2026-03-20T18.00.00Z", "2026-03-20T18:00:00.Z",
        "2026-03-20T18:00:00,5Z", "2026-03-20T18:00:00..5Z",
        "2026-03-20T18:00:00.5.5Z", "2026-03-20T18:00:0aZ",
        "2026-03-2aT18:00:00Z", "2026-03-20T18:00:00.-5Z",
    };

    (void) state;
    assert_int_equal(rfc3339_count_accepted(bad, sizeof(bad) / sizeof(bad[0])),
        0);
}

/*
 * Every date of years 1..9999 near a month end is accepted exactly when
 * glibc's timegm() leaves it unnormalized, and gives the same instant.
 */
static void
test_days_agree_with_timegm(void **state)
{
    struct tm tm;
    char      s[64];
    int64_t   us;
    time_t    t;
    int       y, m, d, valid, ok, bad = 0;

    (void) state;
    for (y = 1; y <= 9999; y++) {
        for (m = 1; m <= 12; m++) {
            for (d = 27; d <= 32; d++) {
                memset(&tm, 0, sizeof(tm));
                tm.tm_year = y - 1900;
                tm.tm_mon = m - 1;
                tm.tm_mday = d;
                tm.tm_hour = 7;
                t = timegm(&tm);
                valid = tm.tm_mon == m - 1 && tm.tm_mday == d;
                snprintf(s, sizeof(s), "%04d-%02d-%02dT07:00:00Z", y, m, d);
                ok = rfc3339_parse(s, &us) == 0;
                if (ok != valid || (ok && us != (int64_t) t * US)) {
                    print_error("\"%s\": parse %d, timegm %d\n", s, ok, valid);
                    bad++;
                }
            }
        }
    }
    assert_int_equal(bad, 0);
}

/* Format and parse agree with gmtime_r() from year 1 to year 9999. */
static void
test_format_agrees_with_gmtime(void **state)
{
    struct tm tm;
    char      want[64], got[RFC3339_MAX];
    int64_t   us;
    time_t    t;
    int       bad = 0;

    (void) state;
    for (t = T_0001; t <= T_9999; t += 5 * 86400 + 3607) {
        gmtime_r(&t, &tm);
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
            tm.tm_min, tm.tm_sec);
        rfc3339_format((int64_t) t * US, got, sizeof(got));
        if (strcmp(got, want) != 0 || rfc3339_parse(want, &us) < 0
            || us != (int64_t) t * US) {
            print_error("t=%lld: want \"%s\", formatted \"%s\"\n",
                (long long) t, want, got);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void
test_format_whole_seconds(void **state)
{
    (void) state;
    ASSERT_FORMATS(0, "1970-01-01T00:00:00Z");
    ASSERT_FORMATS(T_2026 * US, "2026-03-20T18:00:00Z");
    ASSERT_FORMATS(T_0001 * US, "0001-01-01T00:00:00Z");
    ASSERT_FORMATS(T_9999 * US, "9999-12-31T23:59:59Z");
}

static void
test_format_fraction_trimmed(void **state)
{
    (void) state;
    ASSERT_FORMATS(T_2026 * US + 500000, "2026-03-20T18:00:00.5Z");
    ASSERT_FORMATS(T_2026 * US + 120000, "2026-03-20T18:00:00.12Z");
    ASSERT_FORMATS(T_2026 * US + 123450, "2026-03-20T18:00:00.12345Z");
    ASSERT_FORMATS(T_2026 * US + 123456, "2026-03-20T18:00:00.123456Z");
    ASSERT_FORMATS(T_2026 * US + 100, "2026-03-20T18:00:00.0001Z");
    ASSERT_FORMATS(T_2026 * US + 1, "2026-03-20T18:00:00.000001Z");
    ASSERT_FORMATS(T_2026 * US + 10, "2026-03-20T18:00:00.00001Z");
    ASSERT_FORMATS(T_9999 * US + 999999, "9999-12-31T23:59:59.999999Z");
}

static void
test_format_negative(void **state)
{
    (void) state;
    ASSERT_FORMATS(-1, "1969-12-31T23:59:59.999999Z");
    ASSERT_FORMATS(-500000, "1969-12-31T23:59:59.5Z");
    ASSERT_FORMATS(-1 * US, "1969-12-31T23:59:59Z");
    ASSERT_FORMATS(-1 * US - 1, "1969-12-31T23:59:58.999999Z");
    ASSERT_FORMATS(-86400 * US, "1969-12-31T00:00:00Z");
    ASSERT_FORMATS(-86400 * US + 1, "1969-12-31T00:00:00.000001Z");
    ASSERT_FORMATS(-2208988800LL * US + 250000, "1900-01-01T00:00:00.25Z");
}

static void
test_round_trips(void **state)
{
    static const char *const canonical[] = {
        "1970-01-01T00:00:00Z",        "1970-01-01T00:00:00.000001Z",
        "1969-12-31T23:59:59.999999Z", "2000-02-29T23:59:59.5Z",
        "2024-02-29T00:00:00.01Z",     "2026-03-20T18:00:00.123Z",
        "0001-01-01T00:00:00Z",        "9999-12-31T23:59:59.999999Z",
        "1900-03-01T12:34:56.789012Z",
    };
    char    buf[RFC3339_MAX];
    int64_t us;
    size_t  i;

    (void) state;
    for (i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++) {
        assert_int_equal(rfc3339_parse(canonical[i], &us), 0);
        rfc3339_format(us, buf, sizeof(buf));
        assert_string_equal(buf, canonical[i]);
    }
    /* Other spellings of an instant come back in the one UTC form. */
    assert_int_equal(rfc3339_parse("2026-03-20t20:00:00.500000000+02:00",
        &us), 0);
    rfc3339_format(us, buf, sizeof(buf));
    assert_string_equal(buf, "2026-03-20T18:00:00.5Z");
    assert_int_equal(rfc3339_parse("2027-01-01T05:29:00+05:30", &us), 0);
    rfc3339_format(us, buf, sizeof(buf));
    assert_string_equal(buf, "2026-12-31T23:59:00Z");
}

/* A short buffer gets a terminated prefix and nothing past its end. */
static void
test_format_short_buffer(void **state)
{
    char   buf[40];
    size_t size, i;

    (void) state;
    for (size = 1; size <= 28; size++) {
        memset(buf, 'X', sizeof(buf));
        rfc3339_format(T_9999 * US + 999999, buf, size);
        assert_true(strlen(buf) < size);
        assert_memory_equal(buf, "9999-12-31T23:59:59.999999Z", strlen(buf));
        for (i = size; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 'X');
    }
    assert_string_equal(buf, "9999-12-31T23:59:59.999999Z");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_utc),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_fractions),
        cmocka_unit_test(test_parse_leap_days),
        cmocka_unit_test(test_reject_bad_dates_and_times),
        cmocka_unit_test(test_reject_bad_zones),
        cmocka_unit_test(test_reject_bad_syntax),
        cmocka_unit_test(test_days_agree_with_timegm),
        cmocka_unit_test(test_format_agrees_with_gmtime),
        cmocka_unit_test(test_format_whole_seconds),
        cmocka_unit_test(test_format_fraction_trimmed),
        cmocka_unit_test(test_format_negative),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_format_short_buffer),
    };

    return cmocka_run_group_tests_name("rfc3339", tests, NULL, NULL);
}
