#ifndef FCGI_TESTS_FUZZ_H
#define FCGI_TESTS_FUZZ_H

/* What every libFuzzer harness shares: its entry point and a C-string copy. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * libFuzzer's bytes are not NUL-terminated: a malloc'd copy that is (the
 * caller frees it), so ASan still sees the exact end of the input. Aborts
 * when out of memory, which libFuzzer reports as a crash.
 */
static inline char *
fuzz_cstring_new(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
