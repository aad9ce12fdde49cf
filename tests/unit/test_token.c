/* Unit tests of token.c: base64url, new, parse, hash and equal. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"
#include "token.h"

#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
                 "0123456789-_"

/* The bytes 0..31, from Python's base64.urlsafe_b64encode, and a token. */
#define KNOWN_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define KNOWN     "bk_" KNOWN_B64

/* Encoding in[0..n) gives want, and want decodes back to it. */
#define ASSERT_B64(in, n, want) do {                                     \
        char    e_[64];                                                  \
        uint8_t d_[64];                                                  \
        size_t  dn_ = 99;                                                \
        assert_int_equal(token_b64url_encode((const uint8_t *) (in), (n), \
            e_, sizeof(e_)), 0);                                         \
        assert_string_equal(e_, (want));                                 \
        assert_int_equal(token_b64url_decode((want), strlen(want), d_,   \
            sizeof(d_), &dn_), 0);                                       \
        assert_int_equal(dn_, (n));                                      \
        assert_memory_equal(d_, (in), (n));                              \
    } while (0)

/* RFC 4648 section 10, unpadded, and the two characters base64 lacks. */
static void
test_b64url_vectors(void **state)
{
    (void) state;
    ASSERT_B64("", 0, "");
    ASSERT_B64("f", 1, "Zg");
    ASSERT_B64("fo", 2, "Zm8");
    ASSERT_B64("foo", 3, "Zm9v");
    ASSERT_B64("foob", 4, "Zm9vYg");
    ASSERT_B64("fooba", 5, "Zm9vYmE");
    ASSERT_B64("foobar", 6, "Zm9vYmFy");
    ASSERT_B64("\xfb\xff", 2, "-_8");
    ASSERT_B64("\xfb\xff\xbf", 3, "-_-_");
}

/* Every length 0..40: ceil(8n/6) url-safe characters, decoded back. */
static void
test_b64url_round_trips(void **state)
{
    uint8_t in[40], back[40];
    char    text[64];
    size_t  n, i, got;

    (void) state;
    for (n = 0; n <= sizeof(in); n++) {
        for (i = 0; i < n; i++)
            in[i] = (uint8_t) (i * 73 + n * 29 + 0xf0);
        assert_int_equal(token_b64url_encode(in, n, text, sizeof(text)), 0);
        assert_int_equal(strlen(text), (8 * n + 5) / 6);
        assert_int_equal(strspn(text, ALPHABET), strlen(text));
        memset(back, 0xee, sizeof(back));
        assert_int_equal(token_b64url_decode(text, strlen(text), back,
            sizeof(back), &got), 0);
        assert_int_equal(got, n);
        assert_memory_equal(back, in, n);
    }
}

static void
test_b64url_short_buffers(void **state)
{
    uint8_t out[6];
    char    text[9] = "xxxxxxxx";

    (void) state;
    errno = 0;
    assert_int_equal(token_b64url_encode((const uint8_t *) "foobar", 6,
        text, 8), -1);
    assert_int_equal(errno, ERANGE);
    assert_string_equal(text, "");
    assert_int_equal(token_b64url_encode((const uint8_t *) "foobar", 6,
        text, 9), 0);
    assert_string_equal(text, "Zm9vYmFy");
    assert_int_equal(token_b64url_encode(NULL, 0, text, 0), -1);
    assert_int_equal(token_b64url_decode("Zm9vYmFy", 8, out, 5, NULL), -1);
    assert_int_equal(token_b64url_decode("Zm9vYmFy", 8, out, 6, NULL), 0);
    assert_int_equal(token_b64url_decode("", 0, NULL, 0, NULL), 0);
}

static void
test_b64url_decode_rejects(void **state)
{
    static const char *const bad[] = {
        "A", "Zm9vY", "Zg==", "Zm8=", "Zm9v+A", "Zm9v/A", "Zm 9",
        "Zm\n9", "Zm.v", "Zm9v\xc3\xa9",
        "Zh", "Zj", "Zm9", "Zm-", "Zm9vYmF", "Zm9vYh",   /* non-canonical */
    };
    uint8_t out[64];
    size_t  i;

    (void) state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (token_b64url_decode(bad[i], strlen(bad[i]), out, sizeof(out),
                NULL) == 0)
            fail_msg("decoded \"%s\"", bad[i]);
    }
}

static void
test_new_format(void **state)
{
    char a[TOKEN_MAX], b[TOKEN_MAX], c[TOKEN_MAX];

    (void) state;
    assert_int_equal(token_new("bk_", a, sizeof(a)), 0);
    assert_int_equal(token_new("bk_", b, sizeof(b)), 0);
    assert_int_equal(strlen(a), 3 + TOKEN_TEXT_LEN);
    assert_memory_equal(a, "bk_", 3);
    assert_int_equal(strspn(a + 3, ALPHABET), TOKEN_TEXT_LEN);
    assert_string_not_equal(a, b);
    assert_int_equal(token_new("", c, sizeof(c)), 0);
    assert_int_equal(strlen(c), TOKEN_TEXT_LEN);
    assert_int_equal(token_new("abcdefg_", c, sizeof(c)), 0);
    assert_int_equal(strlen(c), TOKEN_PREFIX_MAX + TOKEN_TEXT_LEN);
}

/* Exactly strlen(prefix) + 44 bytes are needed, and nothing past size. */
static void
test_new_short_buffer(void **state)
{
    char buf[TOKEN_MAX];

    (void) state;
    memset(buf, 'X', sizeof(buf));
    errno = 0;
    assert_int_equal(token_new("bk_", buf, 3 + TOKEN_TEXT_LEN), -1);
    assert_int_equal(errno, ERANGE);
    assert_string_equal(buf, "");
    assert_int_equal(buf[1], 'X');
    assert_int_equal(token_new("bk_", NULL, 0), -1);
    assert_int_equal(token_new("bk_", buf, 3 + TOKEN_TEXT_LEN + 1), 0);
    assert_int_equal(strlen(buf), 3 + TOKEN_TEXT_LEN);
    assert_int_equal(buf[3 + TOKEN_TEXT_LEN + 1], 'X');
}

/* What token_new made parses, to the bytes that encode back to it. */
static void
test_parse_accepts(void **state)
{
    uint8_t raw[TOKEN_RAW_LEN], want[TOKEN_RAW_LEN];
    char    text[TOKEN_MAX], again[TOKEN_MAX];
    size_t  i;

    (void) state;
    for (i = 0; i < sizeof(want); i++)
        want[i] = (uint8_t) i;
    assert_int_equal(token_parse("bk_", KNOWN, raw), 0);
    assert_memory_equal(raw, want, sizeof(raw));
    assert_int_equal(token_parse("", KNOWN_B64, raw), 0);
    assert_memory_equal(raw, want, sizeof(raw));

    for (i = 0; i < 100; i++) {
        assert_int_equal(token_new("bk_", text, sizeof(text)), 0);
        assert_int_equal(token_parse("bk_", text, raw), 0);
        memcpy(again, "bk_", 3);
        assert_int_equal(token_b64url_encode(raw, sizeof(raw), again + 3,
            sizeof(again) - 3), 0);
        assert_string_equal(again, text);
    }
}

static void
test_parse_rejects(void **state)
{
    static const char bad_chars[] = "+/= \n.~\x7f\xc3";
    uint8_t raw[TOKEN_RAW_LEN], zero[TOKEN_RAW_LEN] = { 0 };
    char    t[TOKEN_MAX];
    size_t  i, at;

    (void) state;
    assert_int_equal(token_parse("bk_", NULL, raw), -1);
    assert_int_equal(token_parse("bk_", "", raw), -1);
    assert_int_equal(token_parse("bk_", "bk_", raw), -1);
    assert_int_equal(token_parse("bk_", KNOWN_B64, raw), -1);   /* no prefix */
    assert_int_equal(token_parse("sk_", KNOWN, raw), -1);
    assert_int_equal(token_parse("BK_", KNOWN, raw), -1);
    assert_int_equal(token_parse("bk", KNOWN, raw), -1);
    assert_int_equal(token_parse("bk_x", KNOWN, raw), -1);
    snprintf(t, sizeof(t), "%.*s", (int) strlen(KNOWN) - 1, KNOWN);
    assert_int_equal(token_parse("bk_", t, raw), -1);           /* 42 */
    snprintf(t, sizeof(t), "%sA", KNOWN);
    assert_int_equal(token_parse("bk_", t, raw), -1);           /* 44 */
    snprintf(t, sizeof(t), "%s=", KNOWN);
    assert_int_equal(token_parse("bk_", t, raw), -1);           /* padded */

    for (i = 0; i < strlen(bad_chars); i++) {
        for (at = 3; at < strlen(KNOWN); at += 13) {
            strcpy(t, KNOWN);
            t[at] = bad_chars[i];
            if (token_parse("bk_", t, raw) == 0)
                fail_msg("took 0x%02x at %zu", (unsigned char) t[at], at);
            assert_memory_equal(raw, zero, sizeof(raw));
        }
    }
}

/*
 * The 43rd character carries 2 bits past the 32nd byte, which must be
 * zero: of the 64 characters only the 16 with value % 4 == 0 are taken.
 */
static void
test_parse_noncanonical_last(void **state)
{
    uint8_t raw[TOKEN_RAW_LEN];
    char    t[TOKEN_MAX];
    size_t  v, last = strlen(KNOWN) - 1;

    (void) state;
    strcpy(t, KNOWN);
    for (v = 0; v < 64; v++) {
        t[last] = ALPHABET[v];
        if ((token_parse("bk_", t, raw) == 0) != (v % 4 == 0))
            fail_msg("last char '%c' judged wrongly", t[last]);
    }
}

/* SHA-256 of the whole text, prefix included; from Python's hashlib. */
static void
test_hash(void **state)
{
    static const uint8_t want[TOKEN_HASH_LEN] = {
        0x54, 0xd9, 0x17, 0xa1, 0x2b, 0xf8, 0xdf, 0x43, 0xa0, 0x8a, 0xab,
        0xb4, 0xdd, 0xad, 0x43, 0x07, 0x0d, 0xab, 0xcd, 0x77, 0x84, 0x0e,
        0x72, 0x9e, 0xc6, 0x06, 0x25, 0xb4, 0x18, 0xa1, 0x11, 0xe7,
    };
    uint8_t got[TOKEN_HASH_LEN], other[TOKEN_HASH_LEN];

    (void) state;
    token_hash(KNOWN, got);
    assert_memory_equal(got, want, sizeof(want));
    token_hash(KNOWN_B64, other);
    assert_memory_not_equal(got, other, sizeof(got));
}

static void
test_equal(void **state)
{
    uint8_t a[TOKEN_HASH_LEN], b[TOKEN_HASH_LEN];
    size_t  i, bit;

    (void) state;
    token_hash(KNOWN, a);
    memcpy(b, a, sizeof(b));
    assert_int_equal(token_equal(a, b, sizeof(a)), 1);
    assert_int_equal(token_equal(a, b, 0), 1);
    for (i = 0; i < sizeof(a); i++) {
        for (bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t) (1u << bit);
            assert_int_equal(token_equal(a, b, sizeof(a)), 0);
            b[i] ^= (uint8_t) (1u << bit);
        }
    }
    assert_int_equal(token_equal(a, b, sizeof(a)), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url_vectors),
        cmocka_unit_test(test_b64url_round_trips),
        cmocka_unit_test(test_b64url_short_buffers),
        cmocka_unit_test(test_b64url_decode_rejects),
        cmocka_unit_test(test_new_format),
        cmocka_unit_test(test_new_short_buffer),
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_noncanonical_last),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_equal),
    };

    return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
