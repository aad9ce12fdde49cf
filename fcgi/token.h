#ifndef FCGI_TOKEN_H
#define FCGI_TOKEN_H

/*
 * Secrets handed to clients: a type prefix ("bk_") and 32 random bytes
 * in base64url without padding (RFC 4648 section 5), 43 characters. The
 * database keeps only token_hash() of the text, never the text itself.
 */

#include <stddef.h>
#include <stdint.h>

#define TOKEN_RAW_LEN    32     /* random bytes in a token */
#define TOKEN_TEXT_LEN   43     /* their base64url, unpadded */
#define TOKEN_HASH_LEN   32     /* token_hash() output, a SHA-256 */
#define TOKEN_PREFIX_MAX 8      /* the longest prefix TOKEN_MAX fits */
#define TOKEN_MAX        64     /* >= TOKEN_PREFIX_MAX + TOKEN_TEXT_LEN + 1 */

int token_new(const char *prefix, char *out, size_t size);
int token_parse(const char *prefix, const char *text,
    uint8_t raw[TOKEN_RAW_LEN]);
void token_hash(const char *text, uint8_t out[TOKEN_HASH_LEN]);
int token_equal(const uint8_t *a, const uint8_t *b, size_t len);

int token_b64url_encode(const uint8_t *in, size_t len, char *out,
    size_t size);
int token_b64url_decode(const char *in, size_t len, uint8_t *out,
    size_t size, size_t *out_len);

#endif
