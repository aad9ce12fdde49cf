#ifndef TESTS_CAPTURE_H
#define TESTS_CAPTURE_H

/*
 * Catch what the code under test prints on stderr, to assert on it and
 * keep the test output clean. Include after cmocka.h.
 */

#include <stdio.h>
#include <unistd.h>

struct capture {
    FILE *tmp;
    int   saved;
};

static inline void
capture_begin(struct capture *c)
{
    c->tmp = tmpfile();
    assert_non_null(c->tmp);
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_true(dup2(fileno(c->tmp), STDERR_FILENO) >= 0);
}

/* Put stderr back; what was caught goes into err, NUL-terminated. */
static inline void
capture_end(struct capture *c, char *err, size_t errsize)
{
    size_t n;

    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    rewind(c->tmp);
    n = fread(err, 1, errsize - 1, c->tmp);
    err[n] = '\0';
    fclose(c->tmp);
}

#endif
