/* Unit tests of whose an Idempotency-Key is: the scope, by client and, for IPv6, by /64. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "idempotency.h"

static const char *scope_of(const char *remote_addr, char *buf);

static const char *
scope_of(const char *remote_addr, char *buf)
{
    struct request  req;
    struct db_owner owner;

    memset(&req, 0, sizeof(req));
    memset(&owner, 0, sizeof(owner));
    req.remote_addr = remote_addr;
    idempotency_scope(&req, &owner, buf, IDEMPOTENCY_SCOPE_MAX);
    return buf;
}

static void
test_ipv4_as_is(void **state)
{
    char buf[IDEMPOTENCY_SCOPE_MAX];

    (void) state;
    assert_string_equal(scope_of("192.0.2.7", buf), "addr 192.0.2.7");
    assert_string_equal(scope_of(NULL, buf), "addr -");
}

static void
test_ipv6_by_64(void **state)
{
    char a[IDEMPOTENCY_SCOPE_MAX], b[IDEMPOTENCY_SCOPE_MAX];

    (void) state;
    /* one subscriber's /64: one client, whatever address it takes */
    assert_string_equal(scope_of("2001:db8:1:2:aaaa:bbbb:cccc:dddd", a),
        "addr 2001:db8:1:2::/64");
    assert_string_equal(scope_of("2001:db8:1:2::1", b), a);
    assert_string_not_equal(scope_of("2001:db8:1:3::1", b), a);
    assert_string_equal(scope_of("::1", a), "addr ::/64");
    /* an IPv4-mapped address stays the IPv4 client it is */
    assert_string_equal(scope_of("::ffff:192.0.2.7", a),
        "addr ::ffff:192.0.2.7");
}

static void
test_admin_and_channel(void **state)
{
    struct request  req;
    struct db_owner owner;
    char            buf[IDEMPOTENCY_SCOPE_MAX];

    (void) state;
    memset(&req, 0, sizeof(req));
    memset(&owner, 0, sizeof(owner));
    req.remote_addr = "192.0.2.7";
    owner.admin = 1;
    idempotency_scope(&req, &owner, buf, sizeof(buf));
    assert_string_equal(buf, "admin");
    owner.admin = 0;
    owner.channel = 1;
    memset(owner.channel_hash, 0xab, sizeof(owner.channel_hash));
    idempotency_scope(&req, &owner, buf, sizeof(buf));
    assert_int_equal(strlen(buf), 4 + 64);
    assert_memory_equal(buf, "key abab", 8);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_as_is),
        cmocka_unit_test(test_ipv6_by_64),
        cmocka_unit_test(test_admin_and_channel),
    };

    return cmocka_run_group_tests_name("idempotency", tests, NULL, NULL);
}
