/* Unit tests of sha256.c: FIPS 180-2 examples, RFC 4231 HMAC cases. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

#define HEX_LEN (2 * SHA256_LEN + 1)

/* The 448- and 896-bit messages of FIPS 180-2 appendix B.2 and C.2. */
#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MSG_896 "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" \
                "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"

/* sha256(data, len) must be the digest want, in lower-case hex. */
#define ASSERT_SHA256(data, len, want) do {                              \
        uint8_t d_[SHA256_LEN];                                          \
        char    h_[HEX_LEN];                                             \
        sha256((data), (len), d_);                                       \
        assert_string_equal(sha256_test_hex(d_, h_), (want));            \
    } while (0)

static const char *sha256_test_hex(const uint8_t d[SHA256_LEN],
    char out[HEX_LEN]);

static const char *
sha256_test_hex(const uint8_t d[SHA256_LEN], char out[HEX_LEN])
{
    size_t i;

    for (i = 0; i < SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    return out;
}

static void
test_fips_examples(void **state)
{
    (void) state;
    ASSERT_SHA256("abc", 3,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ASSERT_SHA256("", 0,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ASSERT_SHA256(NULL, 0,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ASSERT_SHA256(MSG_448, strlen(MSG_448),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    ASSERT_SHA256(MSG_896, strlen(MSG_896),
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a' (FIPS 180-2 B.3), in chunks that straddle blocks. */
static void
test_million_a(void **state)
{
    static const size_t chunks[] = { 1, 7, 63, 64, 65, 200, 1000, 3, 127 };
    struct sha256_ctx   ctx;
    uint8_t             a[1000], d[SHA256_LEN];
    char                hex[HEX_LEN];
    size_t              left = 1000000, n, i = 0;

    (void) state;
    memset(a, 'a', sizeof(a));
    sha256_init(&ctx);
    while (left > 0) {
        n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];
        n = n < left ? n : left;
        sha256_update(&ctx, a, n);
        sha256_update(&ctx, NULL, 0);
        left -= n;
    }
    sha256_final(&ctx, d);
    assert_string_equal(sha256_test_hex(d, hex),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/*
 * Lengths around the padding edges: 55 bytes is the most one block
 * holds, 56..63 need a second block for the length. The digests are
 * from `head -c N /dev/zero | tr '\0' a | sha256sum`.
 */
static void
test_padding_edges(void **state)
{
    static const struct {
        size_t      len;
        const char *hex;
    } cases[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
        { 57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6" },
        { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
        { 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
        { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
        { 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
    };
    uint8_t a[128];
    size_t  i;

    (void) state;
    memset(a, 'a', sizeof(a));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ASSERT_SHA256(a, cases[i].len, cases[i].hex);
}

/* Wherever a message is cut between two updates, the digest is the same. */
static void
test_any_split(void **state)
{
    struct sha256_ctx ctx;
    uint8_t           msg[300], want[SHA256_LEN], got[SHA256_LEN];
    size_t            cut, i;

    (void) state;
    for (i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t) (i * 131 + 7);
    sha256(msg, sizeof(msg), want);
    for (cut = 0; cut <= sizeof(msg); cut++) {
        sha256_init(&ctx);
        sha256_update(&ctx, msg, cut);
        sha256_update(&ctx, msg + cut, sizeof(msg) - cut);
        sha256_final(&ctx, got);
        assert_memory_equal(got, want, SHA256_LEN);
    }
    sha256_init(&ctx);
    for (i = 0; i < sizeof(msg); i++)
        sha256_update(&ctx, msg + i, 1);
    sha256_final(&ctx, got);
    assert_memory_equal(got, want, SHA256_LEN);
}

/* RFC 4231 test cases 1, 2, 3, 4, 6 and 7 (5 truncates the output). */
static void
test_hmac_rfc4231(void **state)
{
    static const char msg6[] =
        "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char msg7[] =
        "This is a test using a larger than block-size key and a larger "
        "than block-size data. The key needs to be hashed before being "
        "used by the HMAC algorithm.";
    uint8_t k0b[20], kaa[131], k4[25], dd[50], cd[50], d[SHA256_LEN];
    char    hex[HEX_LEN];
    size_t  i;

    (void) state;
    memset(k0b, 0x0b, sizeof(k0b));
    memset(kaa, 0xaa, sizeof(kaa));
    memset(dd, 0xdd, sizeof(dd));
    memset(cd, 0xcd, sizeof(cd));
    for (i = 0; i < sizeof(k4); i++)
        k4[i] = (uint8_t) (i + 1);

    hmac_sha256(k0b, sizeof(k0b), "Hi There", 8, d);
    assert_string_equal(sha256_test_hex(d, hex),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
    assert_string_equal(sha256_test_hex(d, hex),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    hmac_sha256(kaa, 20, dd, sizeof(dd), d);
    assert_string_equal(sha256_test_hex(d, hex),
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    hmac_sha256(k4, sizeof(k4), cd, sizeof(cd), d);
    assert_string_equal(sha256_test_hex(d, hex),
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    hmac_sha256(kaa, sizeof(kaa), msg6, strlen(msg6), d);
    assert_string_equal(sha256_test_hex(d, hex),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    hmac_sha256(kaa, sizeof(kaa), msg7, strlen(msg7), d);
    assert_string_equal(sha256_test_hex(d, hex),
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

/*
 * The key-length edges: empty key and message (NULL pointers allowed),
 * a 64-byte key used as it is and a 65-byte one hashed first, which
 * must then equal HMAC under its digest. Values from Python's hmac.
 */
static void
test_hmac_key_edges(void **state)
{
    uint8_t k[65], kd[SHA256_LEN], d[SHA256_LEN], e[SHA256_LEN];
    char    hex[HEX_LEN];

    (void) state;
    hmac_sha256(NULL, 0, NULL, 0, d);
    assert_string_equal(sha256_test_hex(d, hex),
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    memset(k, 'k', sizeof(k));
    hmac_sha256(k, 64, "msg", 3, d);
    assert_string_equal(sha256_test_hex(d, hex),
        "d62ad25bb128e96ab6ef43464aaf2bb91b5b85f013381e9ba6be747e8d0911b2");
    sha256(k, 65, kd);
    hmac_sha256(k, 65, "msg", 3, d);
    hmac_sha256(kd, sizeof(kd), "msg", 3, e);
    assert_memory_equal(d, e, SHA256_LEN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_examples),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_edges),
        cmocka_unit_test(test_any_split),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_key_edges),
    };

    return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
