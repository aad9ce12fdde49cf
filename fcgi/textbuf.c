/* A growing text buffer for answers written by hand (textbuf.h). */

#include "textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int textbuf_reserve(struct textbuf *t, size_t n);

/* Room for n more bytes and the NUL. */
static int
textbuf_reserve(struct textbuf *t, size_t n)
{
    size_t cap = t->cap;
    char  *buf;

    if (t->len + n + 1 <= cap)
        return 0;
    while (t->len + n + 1 > cap)
        cap = cap > 0 ? cap * 2 : 4096;
    if ((buf = realloc(t->buf, cap)) == NULL)
        return -1;
    t->buf = buf;
    t->cap = cap;
    return 0;
}

int
textbuf_put(struct textbuf *t, const char *s, size_t n)
{
    if (textbuf_reserve(t, n) < 0)
        return -1;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return 0;
}

int
textbuf_printf(struct textbuf *t, const char *fmt, ...)
{
    va_list ap;
    int     n;

    /* written in place when it fits, as most lines do; else measured,
     * grown, written again */
    va_start(ap, fmt);
    n = vsnprintf(t->cap > 0 ? t->buf + t->len : NULL,
        t->cap > 0 ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if (t->cap > 0 && (size_t) n < t->cap - t->len) {
        t->len += (size_t) n;
        return 0;
    }
    if (textbuf_reserve(t, (size_t) n) < 0) {
        if (t->cap > 0)
            t->buf[t->len] = '\0';     /* undo the cut-short attempt */
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t) n;
    return 0;
}

/* A decimal integer, without printf's parsing of a format. */
int
textbuf_int(struct textbuf *t, int64_t v)
{
    char     d[24], *p = d + sizeof(d);
    uint64_t u = v < 0 ? 0 - (uint64_t) v : (uint64_t) v;

    do {
        *--p = (char) ('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    return textbuf_put(t, p, (size_t) (d + sizeof(d) - p));
}

/*
 * s as a JSON string, quoted, escaped as json-c writes it (PLAIN,
 * NOSLASHESCAPE): the quote, the backslash, the short forms of \b \f \n
 * \r \t, other control characters as \u00XX; every other byte as is
 * (the text is UTF-8 already: it was checked when it came in).
 */
int
textbuf_json_string(struct textbuf *t, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char       *run = s;
    char              esc[6];
    size_t            n;

    if (textbuf_put(t, "\"", 1) < 0)
        return -1;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char) *s;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (textbuf_put(t, run, (size_t) (s - run)) < 0)
            return -1;
        run = s + 1;
        esc[0] = '\\';
        n = 2;
        switch (c) {
        case '"':  esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (textbuf_put(t, esc, n) < 0)
            return -1;
    }
    if (textbuf_put(t, run, (size_t) (s - run)) < 0)
        return -1;
    return textbuf_put(t, "\"", 1);
}
