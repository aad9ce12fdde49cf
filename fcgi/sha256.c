/* SHA-256 (FIPS 180-4 section 6.2) and HMAC-SHA256 (RFC 2104). */

#include "sha256.h"

#include <string.h>

static uint32_t sha256_rotr(uint32_t x, unsigned n);
static uint32_t sha256_load32(const uint8_t *p);
static void sha256_store32(uint8_t *p, uint32_t x);
static void sha256_block(uint32_t state[8], const uint8_t block[SHA256_BLOCK]);
static void sha256_wipe(void *p, size_t n);

/* FIPS 180-4 4.2.2: the cube roots of the first 64 primes, fractions. */
static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
    0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
    0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 5.3.3: the square roots of the first 8 primes, fractions. */
static const uint32_t sha256_h0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* ROTR^n(x) for 0 < n < 32, so neither shift reaches the width. */
static uint32_t
sha256_rotr(uint32_t x, unsigned n)
{
    return (uint32_t) (x >> n) | (uint32_t) (x << (32 - n));
}

/* Big-endian words; each byte widened before the shift (no int overflow). */
static uint32_t
sha256_load32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
        | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}

static void
sha256_store32(uint8_t *p, uint32_t x)
{
    p[0] = (uint8_t) (x >> 24);
    p[1] = (uint8_t) (x >> 16);
    p[2] = (uint8_t) (x >> 8);
    p[3] = (uint8_t) x;
}

/* Clears secrets in a way the compiler may not drop as a dead store. */
static void
sha256_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;

    while (n-- > 0)
        *v++ = 0;
}

/*
 * FIPS 180-4 6.2.2: the message schedule W, then 64 rounds over the
 * working variables a..h, added into the state. All arithmetic is on
 * uint32_t, modulo 2^32 as the standard wants.
 */
static void
sha256_block(uint32_t state[8], const uint8_t block[SHA256_BLOCK])
{
    uint32_t w[64], v[8], s0, s1, t1, t2;
    unsigned i;

    for (i = 0; i < 16; i++)
        w[i] = sha256_load32(block + 4 * i);
    for (i = 16; i < 64; i++) {
        s0 = sha256_rotr(w[i - 15], 7) ^ sha256_rotr(w[i - 15], 18)
            ^ (w[i - 15] >> 3);
        s1 = sha256_rotr(w[i - 2], 17) ^ sha256_rotr(w[i - 2], 19)
            ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, state, sizeof(v));
    for (i = 0; i < 64; i++) {
        /* v[0..7] are a..h; Sigma1(e) + Ch(e,f,g), Sigma0(a) + Maj(a,b,c) */
        t1 = v[7] + (sha256_rotr(v[4], 6) ^ sha256_rotr(v[4], 11)
            ^ sha256_rotr(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6]))
            + sha256_k[i] + w[i];
        t2 = (sha256_rotr(v[0], 2) ^ sha256_rotr(v[0], 13)
            ^ sha256_rotr(v[0], 22))
            + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof(v[0]));
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (i = 0; i < 8; i++)
        state[i] += v[i];
    sha256_wipe(w, sizeof(w));
    sha256_wipe(v, sizeof(v));
}

void
sha256_init(struct sha256_ctx *ctx)
{
    memcpy(ctx->state, sha256_h0, sizeof(ctx->state));
    ctx->total = 0;
    ctx->used = 0;
}

/*
 * Feeds len bytes at data (which may be NULL when len is 0). Whole
 * blocks are hashed as they fill; the rest waits in ctx->buf.
 */
void
sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t         n;

    if (len == 0)
        return;
    ctx->total += len;
    if (ctx->used > 0) {
        n = SHA256_BLOCK - ctx->used;
        n = len < n ? len : n;
        memcpy(ctx->buf + ctx->used, p, n);
        ctx->used += n;
        p += n;
        len -= n;
        if (ctx->used < SHA256_BLOCK)
            return;
        sha256_block(ctx->state, ctx->buf);
        ctx->used = 0;
    }
    for (; len >= SHA256_BLOCK; p += SHA256_BLOCK, len -= SHA256_BLOCK)
        sha256_block(ctx->state, p);
    if (len > 0) {
        memcpy(ctx->buf, p, len);
        ctx->used = len;
    }
}

/*
 * FIPS 180-4 5.1.1 padding: a 1 bit, zeros up to 56 mod 64 bytes, the
 * length in bits as 64 big-endian bits. Writes the digest to out and
 * wipes ctx, which needs sha256_init() before any further use.
 */
void
sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_LEN])
{
    uint64_t bits = ctx->total * 8;     /* modulo 2^64, as 5.1.1 allows */
    unsigned i;

    ctx->buf[ctx->used++] = 0x80;
    if (ctx->used > SHA256_BLOCK - 8) {
        memset(ctx->buf + ctx->used, 0, SHA256_BLOCK - ctx->used);
        sha256_block(ctx->state, ctx->buf);
        ctx->used = 0;
    }
    memset(ctx->buf + ctx->used, 0, SHA256_BLOCK - 8 - ctx->used);
    sha256_store32(ctx->buf + 56, (uint32_t) (bits >> 32));
    sha256_store32(ctx->buf + 60, (uint32_t) bits);
    sha256_block(ctx->state, ctx->buf);
    for (i = 0; i < 8; i++)
        sha256_store32(out + 4 * i, ctx->state[i]);
    sha256_wipe(ctx, sizeof(*ctx));
}

void
sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
    struct sha256_ctx ctx;

    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, out);
}

/*
 * RFC 2104 with B = 64, L = 32: H((K0 ^ opad) || H((K0 ^ ipad) || msg)),
 * where K0 is the key zero-padded to B bytes, or its hash padded when it
 * is longer than B. Named hmac_sha256, not sha256_hmac, because that is
 * the name callers were promised. Secrets on the stack are wiped.
 */
void
hmac_sha256(const void *key, size_t key_len, const void *msg,
    size_t msg_len, uint8_t out[SHA256_LEN])
{
    struct sha256_ctx ctx;
    uint8_t           k0[SHA256_BLOCK], pad[SHA256_BLOCK], inner[SHA256_LEN];
    unsigned          i;

    memset(k0, 0, sizeof(k0));
    if (key_len > SHA256_BLOCK)
        sha256(key, key_len, k0);
    else if (key_len > 0)
        memcpy(k0, key, key_len);

    for (i = 0; i < SHA256_BLOCK; i++)
        pad[i] = k0[i] ^ 0x36;
    sha256_init(&ctx);
    sha256_update(&ctx, pad, sizeof(pad));
    sha256_update(&ctx, msg, msg_len);
    sha256_final(&ctx, inner);

    for (i = 0; i < SHA256_BLOCK; i++)
        pad[i] = k0[i] ^ 0x5c;
    sha256_init(&ctx);
    sha256_update(&ctx, pad, sizeof(pad));
    sha256_update(&ctx, inner, sizeof(inner));
    sha256_final(&ctx, out);

    sha256_wipe(k0, sizeof(k0));
    sha256_wipe(pad, sizeof(pad));
    sha256_wipe(inner, sizeof(inner));
}
