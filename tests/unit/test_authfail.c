/* Unit tests of the failed-authentication buckets, on a clock of the test's own. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authfail.h"

#define T0      1000000         /* ms: any point of the monotonic clock */
#define SET(h)  ((h) & (AUTHFAIL_SETS - 1))

/* The defaults: 10 at once, one more a second. */
static const struct authfail_limit lim = { 10, 1 };

/* Two addresses' hashes: another set, and the same set with another tag. */
static const uint64_t addr_a = UINT64_C(0x123456789a000007);
static const uint64_t addr_b = UINT64_C(0x0fedcba987000008);
static const uint64_t addr_c = UINT64_C(0x7654321000000008);

static int setup(void **state);
static int teardown(void **state);
static void fail_n(struct authfail_table *t, uint64_t h, int n, int64_t now);

static int
setup(void **state)
{
    struct authfail_table *t = calloc(1, sizeof(*t));

    if (t == NULL || authfail_table_init(t) < 0)
        return -1;
    *state = t;
    return 0;
}

static int
teardown(void **state)
{
    free(*state);
    return 0;
}

/* n failures of h at now, each let through first. */
static void
fail_n(struct authfail_table *t, uint64_t h, int n, int64_t now)
{
    int i;

    for (i = 0; i < n; i++) {
        assert_int_equal(authfail_wait_ms(t, h, &lim, now), 0);
        authfail_count(t, h, &lim, now);
    }
}

/* The burst passes, the last of it says so, and the next waits a second. */
static void
test_burst_then_refused(void **state)
{
    struct authfail_table *t = *state;
    int                    i;

    for (i = 1; i <= 10; i++) {
        assert_int_equal(authfail_wait_ms(t, addr_a, &lim, T0), 0);
        assert_int_equal(authfail_count(t, addr_a, &lim, T0), i == 10);
    }
    assert_int_equal(authfail_wait_ms(t, addr_a, &lim, T0), 1000);
    /* what Retry-After says, rounded up: 1 s, then still 1 s */
    assert_int_equal(authfail_wait_ms(t, addr_a, &lim, T0 + 1), 999);
    assert_int_equal(authfail_wait_ms(t, addr_a, &lim, T0 + 750), 250);
}

/* One try a second comes back; the whole burst after ten. */
static void
test_refill(void **state)
{
    struct authfail_table *t = *state;

    fail_n(t, addr_a, 10, T0);
    assert_int_equal(authfail_wait_ms(t, addr_a, &lim, T0 + 1000), 0);
    assert_int_equal(authfail_count(t, addr_a, &lim, T0 + 1000), 1);
    assert_int_equal(authfail_wait_ms(t, addr_a, &lim, T0 + 1000), 1000);
    assert_int_equal(authfail_wait_ms(t, addr_a, &lim, T0 + 2000), 0);
    /* drained: ten again, not eleven */
    fail_n(t, addr_a, 10, T0 + 60000);
    assert_int_equal(authfail_wait_ms(t, addr_a, &lim, T0 + 60000), 1000);
}

/* Failures raced past the check do not lengthen the wait. */
static void
test_wait_bounded(void **state)
{
    struct authfail_table *t = *state;
    int                    i;

    for (i = 0; i < 50; i++)
        authfail_count(t, addr_a, &lim, T0);
    assert_int_equal(authfail_wait_ms(t, addr_a, &lim, T0), 1000);
}

/* A faster refill: AUTH_FAIL_RATE=4 is one try every 250 ms. */
static void
test_rate(void **state)
{
    struct authfail_table       *t = *state;
    const struct authfail_limit  fast = { 2, 4 };

    authfail_count(t, addr_a, &fast, T0);
    assert_int_equal(authfail_wait_ms(t, addr_a, &fast, T0), 0);
    assert_int_equal(authfail_count(t, addr_a, &fast, T0), 1);
    assert_int_equal(authfail_wait_ms(t, addr_a, &fast, T0), 250);
    assert_int_equal(authfail_wait_ms(t, addr_a, &fast, T0 + 250), 0);
}

/* Two addresses, in two sets or in one: each its own budget. */
static void
test_independent(void **state)
{
    struct authfail_table *t = *state;

    assert_int_not_equal(SET(addr_a), SET(addr_b));
    fail_n(t, addr_a, 10, T0);
    assert_int_equal(authfail_wait_ms(t, addr_b, &lim, T0), 0);
    fail_n(t, addr_b, 10, T0);
    assert_int_equal(authfail_wait_ms(t, addr_b, &lim, T0), 1000);
    /* addr_c: addr_b's set, another tag */
    assert_int_equal(SET(addr_c), SET(addr_b));
    fail_n(t, addr_c, 10, T0);
    assert_int_equal(authfail_wait_ms(t, addr_c, &lim, T0), 1000);
}

/* Real addresses, as auth.c names them: their hashes differ. */
static void
test_hash(void **state)
{
    struct authfail_table *t = *state;
    uint64_t               h1 = authfail_hash(t, "addr 192.0.2.1");

    assert_true(h1 == authfail_hash(t, "addr 192.0.2.1"));
    assert_true(h1 != authfail_hash(t, "addr 192.0.2.2"));
    fail_n(t, h1, 10, T0);
    assert_int_equal(authfail_wait_ms(t, authfail_hash(t, "addr 192.0.2.2"),
        &lim, T0), 0);
}

/*
 * A full set: an expired slot is taken over first; with none, the slot
 * that empties first, whose address starts again with a full budget.
 * None of them is refused for another's failures.
 */
static void
test_full_set(void **state)
{
    struct authfail_table *t = *state;
    uint64_t               h[AUTHFAIL_WAYS + 2];
    int                    i;

    for (i = 0; i < AUTHFAIL_WAYS + 2; i++)
        h[i] = (uint64_t) (i + 1) << 40 | 5;        /* one set, 6 tags */
    fail_n(t, h[0], 10, T0);
    fail_n(t, h[1], 10, T0);
    fail_n(t, h[2], 9, T0);             /* empties first of the live */
    fail_n(t, h[3], 10, T0 - 30000);    /* long empty */
    fail_n(t, h[4], 10, T0);            /* takes h[3]'s slot */
    for (i = 0; i < AUTHFAIL_WAYS + 1; i++)
        assert_int_equal(authfail_wait_ms(t, h[i], &lim, T0),
            i == 2 || i == 3 ? 0 : 1000);
    fail_n(t, h[5], 1, T0);             /* takes h[2]'s */
    assert_int_equal(authfail_wait_ms(t, h[0], &lim, T0), 1000);
    assert_int_equal(authfail_wait_ms(t, h[1], &lim, T0), 1000);
    assert_int_equal(authfail_wait_ms(t, h[4], &lim, T0), 1000);
    fail_n(t, h[2], 1, T0);             /* forgotten: tries again */
    assert_int_equal(authfail_wait_ms(t, h[5], &lim, T0), 0);
}

/*
 * The documented cost of a full collision: the same set and the same
 * tag (the hash's middle bits are not looked at) share one budget.
 */
static void
test_tag_collision(void **state)
{
    struct authfail_table *t = *state;
    uint64_t               twin = addr_a ^ (UINT64_C(1) << 20);

    fail_n(t, addr_a, 10, T0);
    assert_int_equal(authfail_wait_ms(t, twin, &lim, T0), 1000);
}

/* 0 lifts it (LIMITS=off): nothing refused, nothing stored. */
static void
test_off(void **state)
{
    struct authfail_table       *t = *state;
    const struct authfail_limit  off[] = { { 0, 1 }, { 10, 0 } };
    size_t                       i, k;
    int                          n;

    for (k = 0; k < 2; k++)
        for (n = 0; n < 100; n++) {
            assert_int_equal(authfail_count(t, addr_a, &off[k], T0), 0);
            assert_int_equal(authfail_wait_ms(t, addr_a, &off[k], T0), 0);
        }
    for (i = 0; i < AUTHFAIL_SETS * AUTHFAIL_WAYS; i++)
        assert_true(t->slot[i] == 0);
    assert_int_equal(authfail_wait_ms(NULL, addr_a, &lim, T0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_burst_then_refused, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_refill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_independent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tag_collision, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_off, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
