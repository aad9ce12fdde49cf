#ifndef FCGI_TEXTBUF_H
#define FCGI_TEXTBUF_H

/*
 * A growing text buffer, NUL-terminated, for answers written rather than
 * built with json-c (GET /metrics, a seat map, a page of shows). A worker
 * keeps one and reuses it request after request: len goes back to 0, the
 * memory stays. Every append returns 0, or -1 out of memory (the text so
 * far is kept).
 */

#include <stddef.h>
#include <stdint.h>

struct textbuf {
    char  *buf;
    size_t len, cap;
};

int textbuf_put(struct textbuf *t, const char *s, size_t n);
int textbuf_printf(struct textbuf *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int textbuf_int(struct textbuf *t, int64_t v);
int textbuf_json_string(struct textbuf *t, const char *s);

#endif
