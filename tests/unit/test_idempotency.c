/* Unit tests of whose an Idempotency-Key is (the scope, by client and, for IPv6, by /64) and of the token sealed for a retry. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "idempotency.h"

static const char *scope_of(const char *remote_addr, char *buf);
static void keyed(const char *scope, uint8_t fill, struct idempotency *idem);

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

/* idem for key "order-42" of scope, with secret (SHA256_LEN bytes). */
static void
keyed(const char *scope, uint8_t fill, struct idempotency *idem)
{
    struct request  req;
    struct response res;
    uint8_t         secret[32];

    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    memset(secret, fill, sizeof(secret));
    req.method = "POST";
    req.path = "/book";
    req.idempotency_key = "order-42";
    assert_int_equal(idempotency_key_or_reply(&req, scope, secret, "{}",
                                              idem, &res), 0);
}

static void
test_seal_open(void **state)
{
    struct idempotency a, b, other;
    uint8_t            raw[IDEMPOTENCY_PAD_LEN], out[IDEMPOTENCY_PAD_LEN];
    uint8_t            box[IDEMPOTENCY_BOX_LEN];
    size_t             i;

    (void) state;
    for (i = 0; i < sizeof(raw); i++)
        raw[i] = (uint8_t) (i * 7 + 1);
    keyed("addr 192.0.2.7", 1, &a);
    keyed("addr 192.0.2.7", 2, &b);         /* another secret */
    keyed("addr 192.0.2.8", 1, &other);     /* another client */
    /* the stored key needs no secret: a new secret finds the old keys */
    assert_string_equal(a.key, b.key);
    assert_string_not_equal(a.key, other.key);
    assert_memory_not_equal(a.pad, b.pad, IDEMPOTENCY_PAD_LEN);

    assert_int_equal(idempotency_seal(&a, raw, box), IDEMPOTENCY_BOX_LEN);
    assert_memory_not_equal(box, raw, IDEMPOTENCY_PAD_LEN);
    assert_int_equal(idempotency_open(&a, box, sizeof(box), out), 0);
    assert_memory_equal(out, raw, sizeof(raw));
    /* under another secret or for another client: no token, not a wrong one */
    assert_int_equal(idempotency_open(&b, box, sizeof(box), out), -1);
    assert_int_equal(idempotency_open(&other, box, sizeof(box), out), -1);
    box[IDEMPOTENCY_BOX_LEN - 1] ^= 1;
    assert_int_equal(idempotency_open(&a, box, sizeof(box), out), -1);
    assert_int_equal(idempotency_open(&a, box, 40, out), -1);

    /* the previous release's box: the token under the unkeyed pad */
    for (i = 0; i < IDEMPOTENCY_PAD_LEN; i++)
        box[i] = raw[i] ^ a.legacy_pad[i];
    assert_int_equal(idempotency_open(&b, box, IDEMPOTENCY_PAD_LEN, out), 0);
    assert_memory_equal(out, raw, sizeof(raw));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_as_is),
        cmocka_unit_test(test_ipv6_by_64),
        cmocka_unit_test(test_admin_and_channel),
        cmocka_unit_test(test_seal_open),
    };

    return cmocka_run_group_tests_name("idempotency", tests, NULL, NULL);
}
