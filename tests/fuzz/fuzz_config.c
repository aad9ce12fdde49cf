/* Fuzzes config_parse_int with the ranges and bases config_load uses. */

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"

#include "fuzz.h"

struct fuzz_range {
    long min, max;
    int  base;
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* WORKERS, FCGI_SOCKET_MODE, LISTEN_BACKLOG, and the widest there is. */
    static const struct fuzz_range ranges[] = {
        { 1, 256, 10 }, { 0, 0777, 8 }, { 1, 65535, 10 },
        { LONG_MIN, LONG_MAX, 10 },
    };
    size_t i;
    long   v;
    char  *value;

    value = fuzz_cstring_new(data, size);
    for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        v = 0;
        if (config_parse_int("FUZZ", value, ranges[i].min, ranges[i].max,
                             ranges[i].base, &v) == 0
            && (v < ranges[i].min || v > ranges[i].max))
            abort();
    }
    free(value);
    return 0;
}
