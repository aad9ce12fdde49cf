/* Client secrets: random tokens, their base64url text, hash and compare. */

#include "token.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sha256.h"

_Static_assert(TOKEN_HASH_LEN == SHA256_LEN, "token_hash is a SHA-256");
_Static_assert(TOKEN_PREFIX_MAX + TOKEN_TEXT_LEN + 1 <= TOKEN_MAX,
    "TOKEN_MAX fits the longest prefix");

static int token_random(uint8_t *buf, size_t len);
static size_t token_b64url_len(size_t n);
static int token_b64url_value(unsigned char c);

/* RFC 4648 table 2: the URL- and filename-safe alphabet. */
static const char token_b64url_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * Fills buf with len bytes from getrandom(2), which blocks only until
 * the kernel's pool is first seeded. Retries on EINTR and short reads.
 * Returns 0, or -1 with errno from getrandom.
 */
static int
token_random(uint8_t *buf, size_t len)
{
    size_t  got = 0;
    ssize_t n;

    while (got < len) {
        n = getrandom(buf + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t) n;
    }
    return 0;
}

/* Characters of n bytes in unpadded base64: 4 per 3, 2 or 3 for a tail. */
static size_t
token_b64url_len(size_t n)
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/* The 6-bit value of a base64url character, or -1 for any other. */
static int
token_b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/*
 * Writes the unpadded base64url of in[0..len) and a NUL to out. Returns
 * 0, or -1 with errno ERANGE (out set to "" when size > 0) if size
 * cannot hold token_b64url_len(len) + 1 characters.
 */
int
token_b64url_encode(const uint8_t *in, size_t len, char *out, size_t size)
{
    const char *a = token_b64url_alphabet;
    uint32_t    v;
    size_t      i, o = 0;

    if (len / 3 >= SIZE_MAX / 4 - 1 || size <= token_b64url_len(len)) {
        if (size > 0)
            out[0] = '\0';
        errno = ERANGE;
        return -1;
    }
    for (i = 0; len - i >= 3; i += 3) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
        out[o++] = a[v & 63];
    }
    if (len - i > 0) {
        v = (uint32_t) in[i] << 16;
        if (len - i == 2)
            v |= (uint32_t) in[i + 1] << 8;
        out[o++] = a[v >> 18];
        out[o++] = a[v >> 12 & 63];
        if (len - i == 2)
            out[o++] = a[v >> 6 & 63];
    }
    out[o] = '\0';
    return 0;
}

/*
 * Decodes len characters of unpadded base64url at in (no NUL needed)
 * into out, and the byte count into *out_len unless it is NULL. Only
 * canonical text is taken: a length of 1 mod 4, a character outside
 * A-Z a-z 0-9 - _ (so also '=', '+', '/', spaces), or a last character
 * with bits set past the final byte (RFC 4648 section 3.5) gives -1, as
 * does an out shorter than the result. out is unspecified after -1.
 */
int
token_b64url_decode(const char *in, size_t len, uint8_t *out, size_t size,
    size_t *out_len)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t   n, i, o = 0;
    int      v;

    if (len % 4 == 1)
        return -1;
    n = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
    if (n > size)
        return -1;
    for (i = 0; i < len; i++) {
        v = token_b64url_value((unsigned char) in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t) v) & 0xfff;    /* bits is at most 12 */
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t) (acc >> bits);
        }
    }
    if ((acc & ((1u << bits) - 1)) != 0)
        return -1;
    if (out_len != NULL)
        *out_len = o;
    return 0;
}

/*
 * Writes prefix, then 43 characters of base64url for 32 fresh random
 * bytes, then a NUL, to out. Returns 0; or -1 with errno ERANGE when
 * size is under strlen(prefix) + 44 (TOKEN_MAX fits any prefix up to
 * TOKEN_PREFIX_MAX), or with getrandom's errno. After -1, out is "" if
 * size > 0. The random bytes are wiped from the stack either way.
 */
int
token_new(const char *prefix, char *out, size_t size)
{
    uint8_t raw[TOKEN_RAW_LEN];
    size_t  plen = strlen(prefix);
    int     rc = -1;

    if (size > 0)
        out[0] = '\0';
    if (size < plen + TOKEN_TEXT_LEN + 1) {
        errno = ERANGE;
        return -1;
    }
    if (token_random(raw, sizeof(raw)) == 0) {
        memcpy(out, prefix, plen);
        rc = token_b64url_encode(raw, sizeof(raw), out + plen, size - plen);
    }
    explicit_bzero(raw, sizeof(raw));
    return rc;
}

/*
 * Takes text only if it is exactly prefix followed by 43 canonical
 * base64url characters, and writes the 32 bytes they encode to raw.
 * Returns 0, or -1 (raw zeroed) for anything else, NULL included.
 * Reads no further into text than prefix + 44 characters; allocates
 * nothing.
 */
int
token_parse(const char *prefix, const char *text, uint8_t raw[TOKEN_RAW_LEN])
{
    size_t plen = strlen(prefix);

    if (text == NULL || strncmp(text, prefix, plen) != 0)
        goto fail;
    text += plen;
    if (strnlen(text, TOKEN_TEXT_LEN + 1) != TOKEN_TEXT_LEN)
        goto fail;
    if (token_b64url_decode(text, TOKEN_TEXT_LEN, raw, TOKEN_RAW_LEN,
            NULL) < 0)
        goto fail;
    return 0;
fail:
    memset(raw, 0, TOKEN_RAW_LEN);
    return -1;
}

/*
 * SHA-256 of the token's whole text, prefix included: what the database
 * stores and looks tokens up by. A leaked table then grants nothing, and
 * with 256 random bits no salt or slow hash is needed.
 */
void
token_hash(const char *text, uint8_t out[TOKEN_HASH_LEN])
{
    sha256(text, strlen(text), out);
}

/*
 * 1 if a[0..len) equals b[0..len), else 0, in time that depends on len
 * only: every byte is compared, and the volatile accumulator keeps the
 * compiler from ending the loop at the first difference.
 */
int
token_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    volatile uint8_t diff = 0;
    size_t           i;

    for (i = 0; i < len; i++)
        diff |= a[i] ^ b[i];
    return diff == 0;
}
