/* Fuzzes query strings: query_get at several buffer sizes, cursor parsing. */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "shows.h"

#include "fuzz.h"

static void fuzz_query_cursor(const char *s);

/* A cursor that parses re-emits (as shows_list does) and parses the same. */
static void
fuzz_query_cursor(const char *s)
{
    char    back[48];
    int64_t start_us, id, start2, id2;

    if (shows_cursor_parse(s, &start_us, &id) < 0)
        return;
    snprintf(back, sizeof(back), "%" PRId64 "_%" PRId64, start_us, id);
    if (shows_cursor_parse(back, &start2, &id2) < 0 || start2 != start_us
        || id2 != id || id < 1)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = { "limit", "cursor", "" };
    static const size_t      sizes[] = { 1, 2, 8, 64 };
    char                    *query, *buf;
    size_t                   k, b;
    int                      found;

    query = fuzz_cstring_new(data, size);
    for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        for (b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
            /* Exactly sizes[b] bytes, so one byte too many is caught. */
            buf = malloc(sizes[b]);
            if (buf == NULL)
                abort();
            found = query_get(query, keys[k], buf, sizes[b]);
            if (found < -1 || found > 1
                || (found == 1 && strlen(buf) >= sizes[b]))
                abort();
            if (found == 1)
                fuzz_query_cursor(buf);
            free(buf);
        }
    }
    fuzz_query_cursor(query);
    free(query);
    return 0;
}
