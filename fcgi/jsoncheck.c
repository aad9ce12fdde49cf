/* A strict RFC 8259 + RFC 3629 validator run on request bodies before json-c. */

#include "jsoncheck.h"

#include <stdio.h>
#include <string.h>

/*
 * json-c is lenient where a public API must not be: it takes single-quoted
 * keys, NaN and Infinity, leading zeros, raw control bytes in strings and
 * overlong or surrogate UTF-8 (which PostgreSQL then refuses). So every
 * body is first checked against the grammar here, and json-c only builds
 * the objects of text that is known to be good.
 */

struct jc {
    const unsigned char *s;
    size_t               len;
    size_t               pos;
    int                  max_depth;
    const char          *err;       /* what is wrong, NULL while fine */
};

static int jc_value(struct jc *c, int depth);
static int jc_fail(struct jc *c, const char *err);
static void jc_ws(struct jc *c);
static int jc_peek(const struct jc *c);
static int jc_object(struct jc *c, int depth);
static int jc_array(struct jc *c, int depth);
static int jc_string(struct jc *c, int key);
static int jc_utf8(struct jc *c);
static int jc_number(struct jc *c);
static int jc_digits(struct jc *c);
static int jc_literal(struct jc *c, const char *word);
static int jc_next(struct jc *c, int close);

static int
jc_fail(struct jc *c, const char *err)
{
    if (c->err == NULL)
        c->err = err;
    return -1;
}

static int
jc_peek(const struct jc *c)
{
    return c->pos < c->len ? c->s[c->pos] : -1;
}

static void
jc_ws(struct jc *c)
{
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'
                               || c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
        c->pos++;
}

static int
jc_literal(struct jc *c, const char *word)
{
    size_t n = strlen(word);

    if (c->len - c->pos < n || memcmp(c->s + c->pos, word, n) != 0)
        return jc_fail(c, "is not valid JSON");
    c->pos += n;
    return 0;
}

static int
jc_digits(struct jc *c)
{
    size_t start = c->pos;

    while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9')
        c->pos++;
    return c->pos > start ? 0 : jc_fail(c, "has a malformed number");
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int
jc_number(struct jc *c)
{
    if (jc_peek(c) == '-')
        c->pos++;
    if (jc_peek(c) == '0') {
        c->pos++;
    } else if (jc_digits(c) < 0) {
        return -1;
    }
    if (jc_peek(c) == '.') {
        c->pos++;
        if (jc_digits(c) < 0)
            return -1;
    }
    if (jc_peek(c) == 'e' || jc_peek(c) == 'E') {
        c->pos++;
        if (jc_peek(c) == '+' || jc_peek(c) == '-')
            c->pos++;
        if (jc_digits(c) < 0)
            return -1;
    }
    return 0;
}

/*
 * One UTF-8 sequence at c->pos that RFC 3629 allows: shortest form, no
 * surrogates (U+D800..DFFF), nothing above U+10FFFF.
 */
static int
jc_utf8(struct jc *c)
{
    const unsigned char *p = c->s + c->pos;
    size_t               avail = c->len - c->pos, n, i;
    unsigned char        lo = 0x80, hi = 0xBF;

    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        n = 2;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        n = 3;
        if (p[0] == 0xE0)
            lo = 0xA0;          /* overlong */
        else if (p[0] == 0xED)
            hi = 0x9F;          /* surrogates */
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        n = 4;
        if (p[0] == 0xF0)
            lo = 0x90;          /* overlong */
        else if (p[0] == 0xF4)
            hi = 0x8F;          /* above U+10FFFF */
    } else {
        return jc_fail(c, "is not valid UTF-8");
    }
    if (avail < n || p[1] < lo || p[1] > hi)
        return jc_fail(c, "is not valid UTF-8");
    for (i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return jc_fail(c, "is not valid UTF-8");
    c->pos += n;
    return 0;
}

/*
 * A string; for an object key (key != 0) no \u0000 either: json-c ends
 * a key at its first NUL, so "show_id\u0000x" would be read as show_id
 * and pass for a member the route takes.
 */
static int
jc_string(struct jc *c, int key)
{
    int i;

    c->pos++;                                   /* the opening quote */
    while (c->pos < c->len) {
        unsigned char ch = c->s[c->pos];
        if (ch == '"') {
            c->pos++;
            return 0;
        }
        if (ch < 0x20)
            return jc_fail(c, "has a control character inside a string");
        if (ch >= 0x80) {
            if (jc_utf8(c) < 0)
                return -1;
            continue;
        }
        c->pos++;
        if (ch != '\\')
            continue;
        ch = (unsigned char) jc_peek(c);
        if (ch == 'u') {
            for (i = 1; i <= 4; i++)
                if (c->pos + (size_t) i >= c->len
                    || strchr("0123456789abcdefABCDEF",
                              c->s[c->pos + (size_t) i]) == NULL
                    || c->s[c->pos + (size_t) i] == '\0')
                    return jc_fail(c, "has a malformed \\u escape");
            if (key && memcmp(c->s + c->pos + 1, "0000", 4) == 0)
                return jc_fail(c, "has \\u0000 in an object key");
            c->pos += 5;
        } else if (c->pos < c->len && strchr("\"\\/bfnrt", ch) != NULL
                   && ch != '\0') {
            c->pos++;
        } else {
            return jc_fail(c, "has a malformed escape");
        }
    }
    return jc_fail(c, "is truncated");
}

/*
 * After a member of an array or object: the closing bracket (returns 1),
 * or a comma to go on (returns 0), or an error (-1).
 */
static int
jc_next(struct jc *c, int close)
{
    jc_ws(c);
    if (jc_peek(c) == close) {
        c->pos++;
        return 1;
    }
    if (jc_peek(c) != ',')
        return jc_fail(c, c->pos < c->len ? "is not valid JSON"
                                          : "is truncated");
    c->pos++;
    return 0;
}

static int
jc_array(struct jc *c, int depth)
{
    int rc = 0;

    c->pos++;
    jc_ws(c);
    if (jc_peek(c) == ']') {
        c->pos++;
        return 0;
    }
    while (rc == 0) {
        if (jc_value(c, depth + 1) < 0)
            return -1;
        rc = jc_next(c, ']');
    }
    return rc < 0 ? -1 : 0;
}

static int
jc_object(struct jc *c, int depth)
{
    int rc = 0;

    c->pos++;
    jc_ws(c);
    if (jc_peek(c) == '}') {
        c->pos++;
        return 0;
    }
    while (rc == 0) {
        jc_ws(c);
        if (jc_peek(c) != '"')
            return jc_fail(c, c->pos < c->len
                ? "has an object key that is not a double-quoted string"
                : "is truncated");
        if (jc_string(c, 1) < 0)
            return -1;
        jc_ws(c);
        if (jc_peek(c) != ':')
            return jc_fail(c, c->pos < c->len ? "is not valid JSON"
                                              : "is truncated");
        c->pos++;
        if (jc_value(c, depth + 1) < 0)
            return -1;
        rc = jc_next(c, '}');
    }
    return rc < 0 ? -1 : 0;
}

/* A value nested depth containers deep; recursion is bounded by max_depth. */
static int
jc_value(struct jc *c, int depth)
{
    int ch;

    jc_ws(c);
    ch = jc_peek(c);
    if ((ch == '{' || ch == '[') && depth >= c->max_depth)
        return jc_fail(c, "is nested too deeply");
    switch (ch) {
    case '{': return jc_object(c, depth);
    case '[': return jc_array(c, depth);
    case '"': return jc_string(c, 0);
    case 't': return jc_literal(c, "true");
    case 'f': return jc_literal(c, "false");
    case 'n': return jc_literal(c, "null");
    case -1:  return jc_fail(c, "is truncated");
    default:
        if (ch == '-' || (ch >= '0' && ch <= '9'))
            return jc_number(c);
        return jc_fail(c, "is not valid JSON");
    }
}

/*
 * Is s[0..len) exactly one JSON object (surrounded by optional whitespace)
 * with at most max_depth levels of nested objects and arrays, valid UTF-8
 * throughout? Returns 0, or -1 with a sentence for the client in why
 * ("request body ... at byte N").
 */
int
jsoncheck_object(const char *s, size_t len, int max_depth, char *why,
    size_t why_size)
{
    struct jc c = { (const unsigned char *) s, len, 0, max_depth, NULL };

    jc_ws(&c);
    if (c.pos == c.len)
        c.err = "is empty";
    else if (jc_peek(&c) != '{')
        c.err = "must be a JSON object";
    else if (jc_value(&c, 0) == 0) {
        jc_ws(&c);
        if (c.pos != c.len)
            c.err = "has data after the JSON object";
    }
    if (c.err == NULL)
        return 0;
    if (c.pos < c.len)
        snprintf(why, why_size, "request body %s (at byte %zu)", c.err, c.pos);
    else
        snprintf(why, why_size, "request body %s", c.err);
    return -1;
}
