#ifndef FCGI_RFC3339_H
#define FCGI_RFC3339_H

/* RFC 3339 timestamps <-> microseconds since the Unix epoch (UTC). */

#include <stddef.h>
#include <stdint.h>

#define RFC3339_MAX 40

int rfc3339_parse(const char *s, int64_t *us_out);
void rfc3339_format(int64_t us, char *buf, size_t size);

#endif
