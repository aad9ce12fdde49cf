#ifndef FCGI_SHA256_H
#define FCGI_SHA256_H

/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for hashing client
 * secrets before they reach the database. Portable C11, no allocation.
 */

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN   32     /* digest bytes */
#define SHA256_BLOCK 64     /* message block bytes */

/* A hash in progress: init, update any number of times, final once. */
struct sha256_ctx {
    uint32_t state[8];
    uint64_t total;                 /* bytes hashed so far */
    uint8_t  buf[SHA256_BLOCK];     /* a partial block */
    size_t   used;                  /* bytes of buf in use */
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_LEN]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

void hmac_sha256(const void *key, size_t key_len, const void *msg,
    size_t msg_len, uint8_t out[SHA256_LEN]);

#endif
