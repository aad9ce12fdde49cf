/* Unit tests of booking-events' schedule of looks at lapsed holds: at the deadline, sooner for a new hold, never in a busy loop. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "events_lapse.h"

/* A new connection: a look at once, from no cursor. */
static void
test_init(void **state)
{
    struct lapse l;

    (void) state;
    lapse_init(&l);
    assert_int_equal(lapse_wait(&l, 5000), 0);
    assert_int_equal(l.cur.started, 0);
}

/* The next look is at the deadline the database gave, within bounds. */
static void
test_done(void **state)
{
    struct lapse l;

    (void) state;
    lapse_init(&l);
    lapse_done(&l, 1500, 1000);
    assert_int_equal(lapse_wait(&l, 1000), 1500);
    assert_int_equal(lapse_wait(&l, 2499), 1);
    assert_int_equal(lapse_wait(&l, 2500), 0);
    assert_int_equal(lapse_wait(&l, 9000), 0);

    /* a full batch: the next one at once */
    lapse_done(&l, 0, 3000);
    assert_int_equal(lapse_wait(&l, 3000), 0);
    /* deadlines a few ms apart make one look, LAPSE_GAP_MS on */
    lapse_done(&l, 3, 4000);
    assert_int_equal(lapse_wait(&l, 4000), LAPSE_GAP_MS);
    /* no hold, or a failed look: the safety net */
    lapse_done(&l, -1, 5000);
    assert_int_equal(lapse_wait(&l, 5000), LAPSE_MAX_WAIT_MS);
    lapse_done(&l, 3600 * 1000, 6000);
    assert_int_equal(lapse_wait(&l, 6000), LAPSE_MAX_WAIT_MS);
}

/* A new hold brings the look forward, a burst of them to one look. */
static void
test_heard_hold(void **state)
{
    struct lapse l;

    (void) state;
    lapse_init(&l);
    lapse_done(&l, -1, 1000);
    lapse_heard(&l, "{\"show\":3,\"h\":[4,5]}", 1100);
    assert_int_equal(lapse_wait(&l, 1100), 1000 + LAPSE_GAP_MS - 1100);
    lapse_heard(&l, "{\"show\":3,\"h\":[6]}", 1200);
    assert_int_equal(lapse_wait(&l, 1200), 1000 + LAPSE_GAP_MS - 1200);
    /* a deadline due later than that is brought forward too */
    lapse_done(&l, 300, 5000);
    lapse_heard(&l, "{\"show\":3,\"h\":[9]}", 5100);
    assert_int_equal(lapse_wait(&l, 5100), LAPSE_GAP_MS - 100);
    /* long after the last look: at once */
    lapse_done(&l, -1, 2000);
    lapse_heard(&l, "{\"show\":3,\"h\":[7],\"s\":[8]}", 9000);
    assert_int_equal(lapse_wait(&l, 9000), 0);
    /* a resync may hide a hold */
    lapse_done(&l, -1, 10000);
    lapse_heard(&l, "{\"show\":3,\"resync\":true}", 20000);
    assert_int_equal(lapse_wait(&l, 20000), 0);
}

/* Seats sold or freed only end holds; a look due sooner stays. */
static void
test_heard_other(void **state)
{
    struct lapse l;

    (void) state;
    lapse_init(&l);
    lapse_done(&l, 40000, 1000);
    lapse_heard(&l, "{\"show\":3,\"s\":[4,5]}", 2000);
    lapse_heard(&l, "{\"show\":3,\"f\":[4,5],\"b\":[1]}", 2000);
    lapse_heard(&l, "not json", 2000);
    lapse_heard(&l, "[\"h\"]", 2000);
    lapse_heard(&l, "", 2000);
    assert_int_equal(lapse_wait(&l, 2000), 39000);

    /* a full batch's next look stays at once */
    lapse_done(&l, 0, 5000);
    lapse_heard(&l, "{\"show\":3,\"h\":[4]}", 5000);
    assert_int_equal(lapse_wait(&l, 5000), 0);
}

/* A failed look is tried again a minute later, whatever is heard. */
static void
test_failed(void **state)
{
    struct lapse l;

    (void) state;
    lapse_init(&l);
    lapse_failed(&l, 1000);
    assert_int_equal(lapse_wait(&l, 1000), LAPSE_MAX_WAIT_MS);
    lapse_heard(&l, "{\"show\":3,\"h\":[4]}", 2000);
    assert_int_equal(lapse_wait(&l, 2000), LAPSE_MAX_WAIT_MS - 1000);
    /* once one went through, new holds count again */
    lapse_done(&l, 30000, 70000);
    lapse_heard(&l, "{\"show\":3,\"h\":[4]}", 71000);
    assert_int_equal(lapse_wait(&l, 71000), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_done),
        cmocka_unit_test(test_heard_hold),
        cmocka_unit_test(test_heard_other),
        cmocka_unit_test(test_failed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
