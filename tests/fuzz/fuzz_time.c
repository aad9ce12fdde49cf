/* Fuzzes RFC 3339 timestamps: parse, and format -> parse round trips. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfc3339.h"

#include "fuzz.h"

static void fuzz_time_round_trip(int64_t us);

/* Format us, parse the text: anything but us again is a bug. */
static void
fuzz_time_round_trip(int64_t us)
{
    char    text[RFC3339_MAX];
    int64_t back;

    rfc3339_format(us, text, sizeof(text));
    if (rfc3339_parse(text, &back) < 0 || back != us)
        __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint64_t span = (uint64_t) (RFC3339_US_MAX - RFC3339_US_MIN) + 1;
    uint64_t       raw;
    int64_t        us;
    char          *s;

    s = fuzz_cstring_new(data, size);
    if (rfc3339_parse(s, &us) == 0) {
        if (us < RFC3339_US_MIN || us > RFC3339_US_MAX)
            __builtin_trap();
        fuzz_time_round_trip(us);
    }
    free(s);

    /* The first 8 bytes as any instant of years 1..9999. */
    if (size >= sizeof(raw)) {
        memcpy(&raw, data, sizeof(raw));
        fuzz_time_round_trip(RFC3339_US_MIN + (int64_t) (raw % span));
    }
    return 0;
}
