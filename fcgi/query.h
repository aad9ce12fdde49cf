#ifndef FCGI_QUERY_H
#define FCGI_QUERY_H

/* Query-string lookup with percent-decoding. */

#include <stddef.h>

int query_get(const char *query, const char *key, char *buf, size_t size);

#endif
