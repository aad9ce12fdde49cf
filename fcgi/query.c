/* Query-string lookup with percent-decoding. */

#include "query.h"

#include <string.h>

static int query_hex(char c);
static int query_decode(const char *s, size_t len, char *buf, size_t size);

static int
query_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode s[0..len) ("+" is a space) into buf; -1 if bad or too long. */
static int
query_decode(const char *s, size_t len, char *buf, size_t size)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        int c = (unsigned char) s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= len)
                return -1;
            hi = query_hex(s[i + 1]);
            lo = query_hex(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == 0 || n + 1 >= size)
            return -1;
        buf[n++] = (char) c;
    }
    buf[n] = '\0';
    return 0;
}

/*
 * Find the first "key=value" in query and decode its value into buf.
 * Returns 1 when found, 0 when absent, -1 when the value is malformed
 * (bad escape, NUL, longer than size - 1).
 */
int
query_get(const char *query, const char *key, char *buf, size_t size)
{
    size_t keylen = strlen(key);

    while (query != NULL && *query != '\0') {
        size_t len = strcspn(query, "&");
        if (len > keylen && strncmp(query, key, keylen) == 0
            && query[keylen] == '=')
            return query_decode(query + keylen + 1, len - keylen - 1, buf,
                size) < 0 ? -1 : 1;
        if (len == keylen && strncmp(query, key, keylen) == 0)
            return query_decode("", 0, buf, size) < 0 ? -1 : 1;
        query += len;
        if (*query == '&')
            query++;
    }
    return 0;
}
