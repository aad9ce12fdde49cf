#ifndef FCGI_CLOCK_H
#define FCGI_CLOCK_H

/* Milliseconds on the monotonic clock: deadlines and backoffs that a
 * change of the wall clock must not move. */

#include <stdint.h>
#include <time.h>

static inline int64_t
clock_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
