#ifndef FCGI_RFC3339_H
#define FCGI_RFC3339_H

/* RFC 3339 timestamps <-> microseconds since the Unix epoch (UTC). */

#include <stddef.h>
#include <stdint.h>

#define RFC3339_MAX 40

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z */
#define RFC3339_US_MIN (-62135596800LL * 1000000)
#define RFC3339_US_MAX (253402300800LL * 1000000 - 1)

int rfc3339_parse(const char *s, int64_t *us_out);
void rfc3339_format(int64_t us, char *buf, size_t size);

#endif
