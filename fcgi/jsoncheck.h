#ifndef FCGI_JSONCHECK_H
#define FCGI_JSONCHECK_H

/* A strict RFC 8259 + RFC 3629 validator run on request bodies before json-c. */

#include <stddef.h>

#define JSONCHECK_WHY_MAX 96

int jsoncheck_object(const char *s, size_t len, int max_depth, char *why,
    size_t why_size);

#endif
