/* A seated show's layout: validated, normalized, and walked seat by seat. */

#include "seating.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define SEATING_PATH_MAX 128    /* "seating.sections[199].rows[999]..." */

/* The seat labels met so far, as (section index, row name, number). */
struct label_key {
    const char *row;            /* NULL: a free slot */
    uint32_t    section;
    uint32_t    number;
};

struct label_set {
    struct label_key *slot;
    size_t            cap;      /* a power of two, or 0 */
    size_t            used;
};

/* One row entry of the input: one row or a block, as parsed. */
struct seating_row {
    const char *name;           /* one row; NULL for a block */
    int         block_from, block_to, block_letters;
    int         nrows;
    int         category;
    int         has_x, has_y;
    double      x, y;
    int         nseats, nranges, ngaps, naccessible;
    int         from[SEATING_ROW_SEATS_MAX], to[SEATING_ROW_SEATS_MAX];
    int         gaps[SEATING_ROW_SEATS_MAX];
    int         accessible[SEATING_ROW_SEATS_MAX];
};

struct seating_ctx {
    struct response   *res;
    char               path[SEATING_PATH_MAX];  /* of what is being read */
    size_t             len;
    const char        *categories[SEATING_CATEGORIES_MAX];
    int                ncategories;
    const char        *sections[SEATING_SECTIONS_MAX];
    int                nsections;
    const char        *areas[SEATING_STANDING_MAX];
    int                nareas;
    int64_t            seats;                   /* counted so far */
    int64_t            places;                  /* of standing areas */
    unsigned char      seen[SEATING_NUMBER_MAX / 8 + 1];
    struct label_set   labels;
    struct seating_row row;
};

static const char *const seating_fields[] = {
    "focal_point", "categories", "sections", "standing", NULL,
};
static const char *const point_fields[] = { "x", "y", NULL };
static const char *const category_fields[] = {
    "name", "colour", "price", NULL,
};
static const char *const section_fields[] = { "name", "x", "y", "rows", NULL };
static const char *const area_fields[] = {
    "name", "capacity", "category", NULL,
};
static const char *const row_fields[] = {
    "name", "names", "seats", "category", "gaps_after", "accessible",
    "x", "y", NULL,
};

static size_t path_push(struct seating_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void path_pop(struct seating_ctx *c, size_t len);
static int seating_fail(struct seating_ctx *c, const char *member,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int element_fail(struct seating_ctx *c, const char *name, size_t i,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int seating_known_or_reply(struct seating_ctx *c, json_object *obj,
    const char *const *known);
static json_object *member_get(json_object *obj, const char *name);
static int object_or_reply(struct seating_ctx *c, json_object *v,
    const char *what);
static int array_or_reply(struct seating_ctx *c, json_object *obj,
    const char *name, size_t min, size_t max, json_object **out);
static int string_or_reply(struct seating_ctx *c, json_object *obj,
    const char *name, const char **out, size_t *len);
static int int_or_reply(struct seating_ctx *c, json_object *obj,
    const char *name, int64_t min, int64_t max, int64_t *out);
static int coord_or_reply(struct seating_ctx *c, json_object *obj,
    const char *name, int required, double *out);
static int name_or_reply(struct seating_ctx *c, json_object *obj,
    const char *name, const char **out);
static int text_or_reply(struct seating_ctx *c, json_object *obj,
    const char *name, const char **out);
static int colour_or_reply(struct seating_ctx *c, json_object *obj,
    char colour[8]);
static int parse_seating(struct seating_ctx *c, json_object *seating,
    json_object *out);
static int parse_point(struct seating_ctx *c, json_object *seating,
    json_object *out);
static int parse_categories(struct seating_ctx *c, json_object *seating,
    json_object *out);
static int parse_category(struct seating_ctx *c, json_object *cat,
    json_object *out);
static int parse_sections(struct seating_ctx *c, json_object *seating,
    json_object *out);
static int parse_section(struct seating_ctx *c, json_object *sec,
    json_object *out);
static int parse_row(struct seating_ctx *c, json_object *entry,
    struct seating_row *r);
static int parse_row_names(struct seating_ctx *c, json_object *entry,
    struct seating_row *r);
static int parse_block(const char *s, size_t len, struct seating_row *r);
static int parse_number(const char **p, const char *end);
static int parse_range(const char **p, const char *end, int *from, int *to);
static int parse_seats(struct seating_ctx *c, json_object *entry,
    struct seating_row *r);
static int parse_category_ref(struct seating_ctx *c, json_object *entry,
    int *category);
static int parse_standing(struct seating_ctx *c, json_object *seating,
    json_object *out);
typedef int parse_entry_fn(struct seating_ctx *c, json_object *entry,
    json_object *out);
static int parse_each(struct seating_ctx *c, json_object *list,
    const char *name, parse_entry_fn *fn, json_object *out);
static int parse_area(struct seating_ctx *c, json_object *area,
    json_object *out);
static int parse_gaps(struct seating_ctx *c, json_object *entry,
    struct seating_row *r);
static int parse_accessible(struct seating_ctx *c, json_object *entry,
    struct seating_row *r);
static int parse_seat_ref(struct seating_ctx *c, json_object *list,
    const char *name, size_t i, const struct seating_row *r, int64_t *n);
static int row_has(const struct seating_row *r, int n);
static int row_range_end(const struct seating_row *r, int n);
static int emit_rows(struct seating_ctx *c, const struct seating_row *r,
    double sx, double sy, int *k, json_object *rows);
static json_object *emit_row(const struct seating_ctx *c,
    const struct seating_row *r, int i, double x, double y);
static json_object *emit_coord(double v);
static json_object *emit_ints(const int *v, int n);
static int labels_add_row(struct seating_ctx *c, const struct seating_row *r,
    const char *row_name);
static uint64_t label_hash(const struct label_key *k);
static int label_set_add(struct label_set *set, const struct label_key *k);
static int label_set_grow(struct label_set *set);
static json_object *array_member(json_object *obj, const char *name);
static int64_t int_member(json_object *obj, const char *name);
static int number_member(json_object *obj, const char *name, double *out);
static int walk_row(json_object *row, struct seating_seat *s,
    seating_seat_fn fn, void *arg);

/* ---------------------------------------------------------------- */
/* Answering: the JSON path of what is read, and the 400 naming it   */
/* ---------------------------------------------------------------- */

/* Append to the path; returns its length before, for path_pop(). */
static size_t
path_push(struct seating_ctx *c, const char *fmt, ...)
{
    size_t  old = c->len;
    va_list ap;
    int     n;

    va_start(ap, fmt);
    n = vsnprintf(c->path + c->len, sizeof(c->path) - c->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        c->len += (size_t) n < sizeof(c->path) - c->len
            ? (size_t) n : sizeof(c->path) - 1 - c->len;
    return old;
}

static void
path_pop(struct seating_ctx *c, size_t len)
{
    c->len = len;
    c->path[len] = '\0';
}

/*
 * Answer 400 invalid_seating with "field" the path, or the path's member
 * when member is not NULL, and the formatted message. Returns -1.
 */
static int
seating_fail(struct seating_ctx *c, const char *member, const char *fmt,
    ...)
{
    char    field[SEATING_PATH_MAX + 16], msg[320];
    va_list ap;

    snprintf(field, sizeof(field), "%s%s%s", c->path,
        member != NULL ? "." : "", member != NULL ? member : "");
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    response_error(c->res, 400, "invalid_seating", field, msg);
    return -1;
}

/* seating_fail() at element i of the array member name: "...name[i]". */
static int
element_fail(struct seating_ctx *c, const char *name, size_t i,
    const char *fmt, ...)
{
    char    msg[320];
    size_t  old = path_push(c, ".%s[%zu]", name, i);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    seating_fail(c, NULL, "%s", msg);
    path_pop(c, old);
    return -1;
}

/*
 * json_fields_known_or_reply() for a member inside "seating": the same
 * 400 unknown_field and message, with "field" the member's whole path.
 */
static int
seating_known_or_reply(struct seating_ctx *c, json_object *obj,
    const char *const *known)
{
    json_object *v;
    char        *field;
    size_t       n;

    if (json_fields_known_or_reply(obj, known, c->res) == 0)
        return 0;
    if (!json_object_object_get_ex(c->res->body, "field", &v))
        return -1;
    n = c->len + (size_t) json_object_get_string_len(v) + 2;
    if ((field = malloc(n)) == NULL)
        return -1;
    snprintf(field, n, "%s.%s", c->path, json_object_get_string(v));
    json_object_object_add(c->res->body, "field",
        json_object_new_string(field));
    free(field);
    return -1;
}

/* ---------------------------------------------------------------- */
/* Typed members                                                      */
/* ---------------------------------------------------------------- */

/* obj.name, or NULL when absent or null (as an absent member). */
static json_object *
member_get(json_object *obj, const char *name)
{
    json_object *v = NULL;

    json_object_object_get_ex(obj, name, &v);
    return v;
}

/* v, the thing at the path, must be an object. */
static int
object_or_reply(struct seating_ctx *c, json_object *v, const char *what)
{
    if (!json_object_is_type(v, json_type_object))
        return seating_fail(c, NULL, "%s must be an object", what);
    return 0;
}

/*
 * obj.name as an array of min to max elements; when min is 0 it may be
 * absent (*out NULL). Its length is checked before anything reads it.
 */
static int
array_or_reply(struct seating_ctx *c, json_object *obj, const char *name,
    size_t min, size_t max, json_object **out)
{
    json_object *v = member_get(obj, name);
    size_t       n;

    *out = NULL;
    if (v == NULL && min == 0)
        return 0;
    if (!json_object_is_type(v, json_type_array))
        return seating_fail(c, name, "\"%s\" must be an array of %zu to %zu "
            "entries", name, min, max);
    n = json_object_array_length(v);
    if (n < min || n > max)
        return seating_fail(c, name, "\"%s\" has %zu entries; it takes %zu "
            "to %zu%s", name, n, min, max, min == 0 ? " here" : "");
    *out = v;
    return 0;
}

/* obj.name as a string (required); *out and *len point into obj. */
static int
string_or_reply(struct seating_ctx *c, json_object *obj, const char *name,
    const char **out, size_t *len)
{
    json_object *v = member_get(obj, name);

    if (v == NULL)
        return seating_fail(c, name, "\"%s\" is required", name);
    if (!json_object_is_type(v, json_type_string))
        return seating_fail(c, name, "\"%s\" must be a string", name);
    *out = json_object_get_string(v);
    *len = (size_t) json_object_get_string_len(v);
    return 0;
}

/* obj.name (required) as an integer in [min, max]. */
static int
int_or_reply(struct seating_ctx *c, json_object *obj, const char *name,
    int64_t min, int64_t max, int64_t *out)
{
    json_object *v = member_get(obj, name);

    if (v == NULL)
        return seating_fail(c, name, "\"%s\" is required", name);
    *out = json_object_get_int64(v);
    /* json-c saturates what int64 cannot hold; the bounds refuse it */
    if (!json_object_is_type(v, json_type_int) || *out < min || *out > max)
        return seating_fail(c, name, "\"%s\" must be an integer from %lld "
            "to %lld", name, (long long) min, (long long) max);
    return 0;
}

/* obj.name as a number within SEATING_COORD_MAX; 0 if absent and allowed. */
static int
coord_or_reply(struct seating_ctx *c, json_object *obj, const char *name,
    int required, double *out)
{
    json_object *v = member_get(obj, name);
    int          number;

    *out = 0;
    if (v == NULL && !required)
        return 0;
    if (v == NULL)
        return seating_fail(c, name, "\"%s\" is required", name);
    number = json_object_is_type(v, json_type_int)
        || json_object_is_type(v, json_type_double);
    if (number)
        *out = json_object_get_double(v);
    if (!number || *out < -SEATING_COORD_MAX || *out > SEATING_COORD_MAX)
        return seating_fail(c, name, "\"%s\" must be a number from -%d to "
            "%d", name, SEATING_COORD_MAX, SEATING_COORD_MAX);
    return 0;
}

/*
 * obj.name as a section's or row's name: 1-40 ASCII letters, digits,
 * spaces, '.' or '_', with no space at either end. Never '-', which
 * joins the parts of a seat's label.
 */
static int
name_or_reply(struct seating_ctx *c, json_object *obj, const char *name,
    const char **out)
{
    const char *s;
    size_t      i, len;
    int         ok;

    if (string_or_reply(c, obj, name, &s, &len) < 0)
        return -1;
    ok = len >= 1 && len <= SEATING_NAME_MAX && s[0] != ' '
        && s[len - 1] != ' ';
    for (i = 0; ok && i < len; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
            || (s[i] >= '0' && s[i] <= '9') || s[i] == ' ' || s[i] == '.'
            || s[i] == '_';
    if (!ok)
        return seating_fail(c, name, "\"%s\" must be 1 to %d letters, "
            "digits, spaces, '.' or '_', with no space at either end",
            name, SEATING_NAME_MAX);
    *out = s;
    return 0;
}

/* obj.name as a category's name: 1-40 characters, not blank, no controls. */
static int
text_or_reply(struct seating_ctx *c, json_object *obj, const char *name,
    const char **out)
{
    const unsigned char *s;
    size_t               i, len, chars = 0;
    int                  ok;

    if (string_or_reply(c, obj, name, out, &len) < 0)
        return -1;
    s = (const unsigned char *) *out;
    ok = strspn(*out, " ") < len;
    for (i = 0; ok && i < len; i++) {
        /* C0, DEL, and C1 (U+0080..U+009F, encoded C2 80..C2 9F) */
        ok = s[i] >= 0x20 && s[i] != 0x7f && !(s[i] == 0xC2 && i + 1 < len
            && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F);
        chars += (s[i] & 0xC0) != 0x80;
    }
    if (!ok || chars > SEATING_NAME_MAX)
        return seating_fail(c, name, "\"%s\" must be 1 to %d characters, "
            "not blank, without control characters", name, SEATING_NAME_MAX);
    return 0;
}

/* obj.colour as "#rrggbb", copied in lower case. */
static int
colour_or_reply(struct seating_ctx *c, json_object *obj, char colour[8])
{
    const char *s;
    size_t      i, len;
    int         ok;

    if (string_or_reply(c, obj, "colour", &s, &len) < 0)
        return -1;
    ok = len == 7 && s[0] == '#';
    for (i = 1; ok && i < len; i++) {
        colour[i] = s[i] >= 'A' && s[i] <= 'F' ? (char) (s[i] + 32) : s[i];
        ok = (colour[i] >= '0' && colour[i] <= '9')
            || (colour[i] >= 'a' && colour[i] <= 'f');
    }
    if (!ok)
        return seating_fail(c, "colour", "\"colour\" must be \"#rrggbb\" "
            "(six hexadecimal digits)");
    colour[0] = '#';
    colour[7] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- */
/* The layout, object by object, in the order of docs/seating.md      */
/* ---------------------------------------------------------------- */

/*
 * Validate and normalize the layout as the header says. Work: one pass
 * over the input, each array's length checked before it is read, each
 * row's seats parsed to at most 1000, and a block's seats counted
 * against the show's 100 000 before its rows are made.
 */
json_object *
seating_normalize(json_object *seating, int64_t *seat_count,
    struct response *res)
{
    struct seating_ctx *c;
    json_object        *out = NULL;

    if ((c = calloc(1, sizeof(*c))) == NULL) {
        response_error(res, 500, "internal_error", NULL, "out of memory");
        goto out;
    }
    c->res = res;
    path_push(c, "seating");
    out = json_object_new_object();
    if (parse_seating(c, seating, out) < 0) {
        json_object_put(out);
        out = NULL;
        goto out;
    }
    json_put_new(out, "seat_count", json_object_new_int64(c->seats));
    *seat_count = c->seats + c->places;

out:
    if (c != NULL)
        free(c->labels.slot);
    free(c);
    return out;
}

static int
parse_seating(struct seating_ctx *c, json_object *seating, json_object *out)
{
    if (object_or_reply(c, seating, "\"seating\"") < 0
        || seating_known_or_reply(c, seating, seating_fields) < 0)
        return -1;
    if (parse_point(c, seating, out) < 0
        || parse_categories(c, seating, out) < 0
        || parse_sections(c, seating, out) < 0
        || parse_standing(c, seating, out) < 0)
        return -1;
    if (c->seats < 1)   /* every row has a seat: cannot happen */
        return seating_fail(c, NULL, "the layout has no seats");
    return 0;
}

/* "focal_point": {"x", "y"}, both required. */
static int
parse_point(struct seating_ctx *c, json_object *seating, json_object *out)
{
    json_object *v = member_get(seating, "focal_point"), *p;
    size_t       old = path_push(c, ".focal_point");
    double       x, y;
    int          rc;

    if (v == NULL)
        rc = seating_fail(c, NULL, "\"focal_point\" (the stage, {\"x\", "
            "\"y\"}) is required");
    else if (object_or_reply(c, v, "\"focal_point\"") < 0
            || seating_known_or_reply(c, v, point_fields) < 0
            || coord_or_reply(c, v, "x", 1, &x) < 0
            || coord_or_reply(c, v, "y", 1, &y) < 0)
        rc = -1;
    else
        rc = 0;
    path_pop(c, old);
    if (rc < 0)
        return -1;
    p = json_object_new_object();
    json_put_new(p, "x", emit_coord(x));
    json_put_new(p, "y", emit_coord(y));
    json_put_new(out, "focal_point", p);
    return 0;
}

static int
parse_categories(struct seating_ctx *c, json_object *seating,
    json_object *out)
{
    json_object *list;

    if (array_or_reply(c, seating, "categories", 1, SEATING_CATEGORIES_MAX,
            &list) < 0)
        return -1;
    return parse_each(c, list, "categories", parse_category, out);
}

/* {"name", "colour", "price"}: the name unique, the colour lower-cased. */
static int
parse_category(struct seating_ctx *c, json_object *cat, json_object *out)
{
    json_object *o;
    const char  *name;
    char         colour[8];
    int64_t      price = 0;
    int          i;

    if (object_or_reply(c, cat, "a category") < 0
        || seating_known_or_reply(c, cat, category_fields) < 0
        || text_or_reply(c, cat, "name", &name) < 0)
        return -1;
    for (i = 0; i < c->ncategories; i++)
        if (strcmp(c->categories[i], name) == 0)
            return seating_fail(c, "name", "category \"%s\" is given twice",
                name);
    if (colour_or_reply(c, cat, colour) < 0
        || int_or_reply(c, cat, "price", 0,
               SEATING_PRICE_MAX, &price) < 0)
        return -1;
    c->categories[c->ncategories++] = name;
    o = json_object_new_object();
    json_put_new(o, "name", json_object_new_string(name));
    json_put_new(o, "colour", json_object_new_string(colour));
    json_put_new(o, "price", json_object_new_int64(price));
    json_object_array_add(out, o);
    return 0;
}

static int
parse_sections(struct seating_ctx *c, json_object *seating, json_object *out)
{
    json_object *list;

    if (array_or_reply(c, seating, "sections", 1, SEATING_SECTIONS_MAX,
            &list) < 0)
        return -1;
    return parse_each(c, list, "sections", parse_section, out);
}

/*
 * {"name", "x", "y", "rows"}: the name unique in the show; each row
 * entry parsed into c->row, then made into rows, counting k, the
 * section's rows so far, for the default y.
 */
static int
parse_section(struct seating_ctx *c, json_object *sec, json_object *out)
{
    json_object *list, *o, *rows;
    const char  *name;
    double       x, y;
    size_t       j, old;
    int          i, k = 0, rc = 0;

    if (object_or_reply(c, sec, "a section") < 0
        || seating_known_or_reply(c, sec, section_fields) < 0
        || name_or_reply(c, sec, "name", &name) < 0)
        return -1;
    for (i = 0; i < c->nsections; i++)
        if (strcmp(c->sections[i], name) == 0)
            return seating_fail(c, "name", "section \"%s\" is given twice",
                name);
    if (coord_or_reply(c, sec, "x", 0, &x) < 0
        || coord_or_reply(c, sec, "y", 0, &y) < 0
        || array_or_reply(c, sec, "rows", 1, SEATING_ROWS_MAX, &list) < 0)
        return -1;
    c->sections[c->nsections++] = name;
    o = json_object_new_object();
    rows = json_object_new_array();
    json_put_new(o, "name", json_object_new_string(name));
    json_put_new(o, "rows", rows);
    json_object_array_add(out, o);
    for (j = 0; rc == 0 && j < json_object_array_length(list); j++) {
        old = path_push(c, ".rows[%zu]", j);
        rc = parse_row(c, json_object_array_get_idx(list, j), &c->row);
        if (rc == 0)
            rc = emit_rows(c, &c->row, x, y, &k, rows);
        path_pop(c, old);
    }
    return rc;
}

/* One row entry, into r; the section's rows come from it in emit_rows. */
static int
parse_row(struct seating_ctx *c, json_object *entry, struct seating_row *r)
{
    if (object_or_reply(c, entry, "a row entry") < 0
        || seating_known_or_reply(c, entry, row_fields) < 0
        || parse_row_names(c, entry, r) < 0
        || parse_seats(c, entry, r) < 0
        || parse_category_ref(c, entry, &r->category) < 0
        || parse_gaps(c, entry, r) < 0
        || parse_accessible(c, entry, r) < 0
        || coord_or_reply(c, entry, "x", 0, &r->x) < 0
        || coord_or_reply(c, entry, "y", 0, &r->y) < 0)
        return -1;
    r->has_x = member_get(entry, "x") != NULL;
    r->has_y = member_get(entry, "y") != NULL;
    return 0;
}

/* "name" (one row) or "names" (a block such as "B-K" or "1-12"). */
static int
parse_row_names(struct seating_ctx *c, json_object *entry,
    struct seating_row *r)
{
    json_object *one = member_get(entry, "name"), *block = member_get(entry, "names");
    const char  *s;
    size_t       len;

    r->nrows = 1;
    r->name = NULL;
    if (one != NULL && block != NULL)
        return seating_fail(c, "names", "a row entry takes \"name\" (one "
            "row) or \"names\" (a block of rows), not both");
    if (one == NULL && block == NULL)
        return seating_fail(c, "name", "a row entry needs \"name\" (one "
            "row) or \"names\" (a block of rows such as \"B-K\")");
    if (one != NULL)
        return name_or_reply(c, entry, "name", &r->name);
    if (string_or_reply(c, entry, "names", &s, &len) < 0)
        return -1;
    if (parse_block(s, len, r) < 0)
        return seating_fail(c, "names", "\"names\" must be a block of rows "
            "such as \"B-K\" or \"1-12\": two letters A to Z or two numbers "
            "1 to %d, the first not after the second", SEATING_NUMBER_MAX);
    return 0;
}

/* "X-Y" of single letters A-Z or numbers 1-9999, X <= Y. */
static int
parse_block(const char *s, size_t len, struct seating_row *r)
{
    const char *p = s, *end = s + len;

    if (len == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] == '-'
        && s[2] >= 'A' && s[2] <= 'Z') {
        r->block_letters = 1;
        r->block_from = s[0];
        r->block_to = s[2];
    } else {
        r->block_letters = 0;
        if ((r->block_from = parse_number(&p, end)) < 0 || p == end
            || *p++ != '-' || (r->block_to = parse_number(&p, end)) < 0
            || p != end)
            return -1;
    }
    if (r->block_from > r->block_to)
        return -1;
    r->nrows = r->block_to - r->block_from + 1;
    return 0;
}

/*
 * A number 1-9999 at *p, advancing past it: -1 if no digit is there, -2
 * if it is out of range or has a leading zero (read no further than a
 * fifth digit, whatever the string's length).
 */
static int
parse_number(const char **p, const char *end)
{
    const char *s = *p;
    int         n = 0, digits = 0;

    if (s == end || *s < '0' || *s > '9')
        return -1;
    if (*s == '0')
        return -2;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (++digits > 4)
            return -2;
        n = n * 10 + (*s - '0');
    }
    *p = s;
    return n;
}

/* "a-b" at *p, advancing past it: 0, or parse_number()'s -1 or -2. */
static int
parse_range(const char **p, const char *end, int *from, int *to)
{
    if ((*from = parse_number(p, end)) < 0)
        return *from;
    if (*p == end || **p != '-')
        return -1;
    (*p)++;
    if ((*to = parse_number(p, end)) < 0)
        return *to;
    return 0;
}

/*
 * "seats": "1-20" or "1-10,15-20", ascending, no overlap, at most 1000
 * seats. Ranges that touch are merged, so that between two ranges of r
 * there is always a missing number (a gap).
 */
static int
parse_seats(struct seating_ctx *c, json_object *entry, struct seating_row *r)
{
    const char *s, *p, *end;
    size_t      len;
    int         from, to, n, rc;

    if (string_or_reply(c, entry, "seats", &s, &len) < 0)
        return -1;
    r->nranges = r->nseats = 0;
    for (p = s, end = s + len;; p++) {
        if ((rc = parse_range(&p, end, &from, &to)) == -2)
            return seating_fail(c, "seats", "seat numbers in \"seats\" are "
                "1 to %d, without leading zeros", SEATING_NUMBER_MAX);
        if (rc < 0 || (p < end && *p != ','))
            return seating_fail(c, "seats", "\"seats\" must be ranges such "
                "as \"1-20\" or \"1-10,15-20\"");
        if (from > to)
            return seating_fail(c, "seats", "\"seats\" has %d-%d, a range "
                "that goes down", from, to);
        n = r->nranges;
        if (n > 0 && from <= r->to[n - 1])
            return seating_fail(c, "seats", "\"seats\" has %d-%d after "
                "%d-%d: ranges must go up and not overlap", from, to,
                r->from[n - 1], r->to[n - 1]);
        if ((r->nseats += to - from + 1) > SEATING_ROW_SEATS_MAX)
            return seating_fail(c, "seats", "\"seats\" has more than %d "
                "seats, the most a row takes", SEATING_ROW_SEATS_MAX);
        if (n > 0 && from == r->to[n - 1] + 1) {
            r->to[n - 1] = to;
        } else {
            r->from[n] = from;
            r->to[n] = to;
            r->nranges++;
        }
        if (p == end)
            return 0;
    }
}

/* "category": the name of one of "categories", kept as its index. */
static int
parse_category_ref(struct seating_ctx *c, json_object *entry, int *category)
{
    const char *s;
    size_t      len;

    if (string_or_reply(c, entry, "category", &s, &len) < 0)
        return -1;
    for (*category = 0; *category < c->ncategories; (*category)++)
        if (strcmp(c->categories[*category], s) == 0)
            return 0;
    return seating_fail(c, "category", "\"category\" must be the name of "
        "one of \"categories\"");
}

/*
 * "gaps_after" (optional): seats of the row, ascending, not its last.
 * Those at the end of a range are gaps already and are not kept.
 */
static int
parse_gaps(struct seating_ctx *c, json_object *entry, struct seating_row *r)
{
    json_object *list;
    int64_t      n, prev = 0;
    size_t       i;
    int          last = r->to[r->nranges - 1];

    r->ngaps = 0;
    if (array_or_reply(c, entry, "gaps_after", 0, (size_t) r->nseats - 1,
            &list) < 0)
        return -1;
    for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
        if (parse_seat_ref(c, list, "gaps_after", i, r, &n) < 0)
            return -1;
        if (n <= prev)
            return element_fail(c, "gaps_after", i, "\"gaps_after\" must "
                "go up: %lld comes after %lld", (long long) n,
                (long long) prev);
        if (n == last)
            return element_fail(c, "gaps_after", i, "seat %lld is the row's "
                "last: no gap comes after it", (long long) n);
        if (!row_range_end(r, (int) n))
            r->gaps[r->ngaps++] = (int) n;
        prev = n;
    }
    return 0;
}

/*
 * "accessible" (optional): seats of the row, each once, in any order;
 * kept ascending. c->seen marks them, and is clear again on success.
 */
static int
parse_accessible(struct seating_ctx *c, json_object *entry,
    struct seating_row *r)
{
    json_object *list;
    int64_t      n;
    size_t       i;
    int          j, k;

    r->naccessible = 0;
    if (array_or_reply(c, entry, "accessible", 0, (size_t) r->nseats,
            &list) < 0)
        return -1;
    for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
        if (parse_seat_ref(c, list, "accessible", i, r, &n) < 0)
            return -1;
        if (c->seen[n / 8] & (1u << (n % 8)))
            return element_fail(c, "accessible", i, "seat %lld is in "
                "\"accessible\" twice", (long long) n);
        c->seen[n / 8] |= (unsigned char) (1u << (n % 8));
    }
    /* in seat order, clearing the marks: O(seats of the row) */
    for (j = 0; list != NULL && j < r->nranges; j++)
        for (k = r->from[j]; k <= r->to[j]; k++)
            if (c->seen[k / 8] & (1u << (k % 8))) {
                c->seen[k / 8] &= (unsigned char) ~(1u << (k % 8));
                r->accessible[r->naccessible++] = k;
            }
    return 0;
}

/*
 * "standing" (optional): 0 to SEATING_STANDING_MAX areas, each
 * {"name", "capacity", "category"}, read after the sections so that an
 * area's name is checked against theirs and its capacity counted with
 * the seats. Omitted from the normalized layout when empty.
 */
static int
parse_standing(struct seating_ctx *c, json_object *seating, json_object *out)
{
    json_object *list;

    if (array_or_reply(c, seating, "standing", 0, SEATING_STANDING_MAX,
            &list) < 0)
        return -1;
    if (list == NULL || json_object_array_length(list) == 0)
        return 0;
    return parse_each(c, list, "standing", parse_area, out);
}

/*
 * Each entry of list, the array member name, by fn into a new array
 * out.name, the path naming the entry while fn reads it. Stops at the
 * first entry fn refuses (-1).
 */
static int
parse_each(struct seating_ctx *c, json_object *list, const char *name,
    parse_entry_fn *fn, json_object *out)
{
    json_object *arr = json_object_new_array();
    size_t       i, old;
    int          rc = 0;

    json_put_new(out, name, arr);
    for (i = 0; rc == 0 && i < json_object_array_length(list); i++) {
        old = path_push(c, ".%s[%zu]", name, i);
        rc = fn(c, json_object_array_get_idx(list, i), arr);
        path_pop(c, old);
    }
    return rc;
}

/*
 * {"name", "capacity", "category"}: the name as a section's, unique
 * among the areas and the sections (a booking names an area as it
 * names a seat's section); the capacity 1 to what is left of the show's
 * SEATING_SEATS_MAX with the seats, which c->places then counts.
 */
static int
parse_area(struct seating_ctx *c, json_object *area, json_object *out)
{
    json_object *o;
    const char  *name;
    int64_t      capacity;
    int          i, category;

    if (object_or_reply(c, area, "a standing area") < 0
        || seating_known_or_reply(c, area, area_fields) < 0
        || name_or_reply(c, area, "name", &name) < 0)
        return -1;
    for (i = 0; i < c->nareas; i++)
        if (strcmp(c->areas[i], name) == 0)
            return seating_fail(c, "name", "standing area \"%s\" is given "
                "twice", name);
    for (i = 0; i < c->nsections; i++)
        if (strcmp(c->sections[i], name) == 0)
            return seating_fail(c, "name", "standing area \"%s\" has the "
                "name of a section", name);
    if (int_or_reply(c, area, "capacity", 1, SEATING_SEATS_MAX, &capacity) < 0
        || parse_category_ref(c, area, &category) < 0)
        return -1;
    if (c->seats + c->places + capacity > SEATING_SEATS_MAX)
        return seating_fail(c, "capacity", "the layout has more than %d "
            "places: %lld seats and standing places before this area, "
            "which adds %lld", SEATING_SEATS_MAX,
            (long long) (c->seats + c->places), (long long) capacity);
    c->areas[c->nareas++] = name;
    c->places += capacity;
    o = json_object_new_object();
    json_put_new(o, "name", json_object_new_string(name));
    json_put_new(o, "capacity", json_object_new_int64(capacity));
    json_put_new(o, "category", json_object_new_int(category));
    json_object_array_add(out, o);
    return 0;
}

/* list[i] must be a seat number of the row r; path names the element. */
static int
parse_seat_ref(struct seating_ctx *c, json_object *list, const char *name,
    size_t i, const struct seating_row *r, int64_t *n)
{
    json_object *v = json_object_array_get_idx(list, i);

    *n = json_object_get_int64(v);
    if (!json_object_is_type(v, json_type_int) || *n < 1
        || *n > SEATING_NUMBER_MAX)
        return element_fail(c, name, i, "\"%s\" holds seat numbers, "
            "integers from 1 to %d", name, SEATING_NUMBER_MAX);
    if (!row_has(r, (int) *n))
        return element_fail(c, name, i, "seat %lld of \"%s\" is not in "
            "the row's \"seats\"", (long long) *n, name);
    return 0;
}

/* Whether seat n is in r's ranges: a binary search. */
static int
row_has(const struct seating_row *r, int n)
{
    int lo = 0, hi = r->nranges - 1, mid;

    while (lo <= hi) {
        mid = (lo + hi) / 2;
        if (n < r->from[mid])
            hi = mid - 1;
        else if (n > r->to[mid])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* Whether seat n ends one of r's ranges (a seat of r, by the caller). */
static int
row_range_end(const struct seating_row *r, int n)
{
    int i;

    for (i = 0; i < r->nranges && r->to[i] < n; i++)
        ;
    return i < r->nranges && r->to[i] == n;
}

/* ---------------------------------------------------------------- */
/* The normalized rows                                                */
/* ---------------------------------------------------------------- */

/*
 * Make the rows of entry r of the section at (sx, sy) into rows, after
 * checking that their seats keep the show within SEATING_SEATS_MAX (so
 * a block of 9999 rows costs nothing when refused). *k counts the
 * section's rows; each seat's label goes into the set.
 */
static int
emit_rows(struct seating_ctx *c, const struct seating_row *r, double sx,
    double sy, int *k, json_object *rows)
{
    json_object *row;
    double       x = sx + (r->has_x ? r->x : 0), y;
    int          i;

    if (c->seats + (int64_t) r->nrows * r->nseats > SEATING_SEATS_MAX)
        return seating_fail(c, NULL, "the layout has more than %d seats: "
            "%lld before this entry, which adds %lld", SEATING_SEATS_MAX,
            (long long) c->seats, (long long) r->nrows * r->nseats);
    for (i = 0; i < r->nrows; i++, (*k)++) {
        y = sy + (r->has_y ? r->y + i : *k);
        row = emit_row(c, r, i, x, y);
        json_object_array_add(rows, row);
        if (labels_add_row(c, r,
                json_object_get_string(member_get(row, "name"))) < 0)
            return -1;
        c->seats += r->nseats;
    }
    return 0;
}

/* Row i of entry r, its first seat c->seats, at (x, y). */
static json_object *
emit_row(const struct seating_ctx *c, const struct seating_row *r, int i,
    double x, double y)
{
    json_object *row = json_object_new_object(), *seats, *pair;
    char         name[8];
    int          j;

    if (r->block_letters)
        snprintf(name, sizeof(name), "%c", r->block_from + i);
    else
        snprintf(name, sizeof(name), "%d", r->block_from + i);
    json_put_new(row, "name",
        json_object_new_string(r->name != NULL ? r->name : name));
    json_put_new(row, "first", json_object_new_int64(c->seats));
    json_put_new(row, "category", json_object_new_int(r->category));
    json_put_new(row, "x", emit_coord(x));
    json_put_new(row, "y", emit_coord(y));
    seats = json_object_new_array_ext(r->nranges);
    for (j = 0; j < r->nranges; j++) {
        pair = json_object_new_array_ext(2);
        json_object_array_add(pair, json_object_new_int(r->from[j]));
        json_object_array_add(pair, json_object_new_int(r->to[j]));
        json_object_array_add(seats, pair);
    }
    json_put_new(row, "seats", seats);
    if (r->ngaps > 0)
        json_put_new(row, "gaps_after", emit_ints(r->gaps, r->ngaps));
    if (r->naccessible > 0)
        json_put_new(row, "accessible",
            emit_ints(r->accessible, r->naccessible));
    return row;
}

/* A coordinate: an integer when it is one, as the input most often has. */
static json_object *
emit_coord(double v)
{
    if (v == (double) (int64_t) v)
        return json_object_new_int64((int64_t) v);
    return json_object_new_double(v);
}

static json_object *
emit_ints(const int *v, int n)
{
    json_object *a = json_object_new_array_ext(n);
    int          i;

    for (i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_int(v[i]));
    return a;
}

/* ---------------------------------------------------------------- */
/* Seat labels, unique in the show                                   */
/* ---------------------------------------------------------------- */

/*
 * Add the labels of a row named row_name (a string that lives as long as
 * the set) of entry r. Section names are unique and names have no '-',
 * so a label is the same as another exactly when its (section index,
 * row name, number) is. A repeated label answers 400 at the entry.
 */
static int
labels_add_row(struct seating_ctx *c, const struct seating_row *r,
    const char *row_name)
{
    struct label_key k;
    int              i, n, rc;

    k.row = row_name;
    k.section = (uint32_t) c->nsections - 1;
    for (i = 0; i < r->nranges; i++)
        for (n = r->from[i]; n <= r->to[i]; n++) {
            k.number = (uint32_t) n;
            if ((rc = label_set_add(&c->labels, &k)) < 0) {
                response_error(c->res, 500, "internal_error", NULL,
                    "out of memory");
                return -1;
            }
            if (rc > 0)
                return seating_fail(c, r->name != NULL ? "name" : "names",
                    "seat \"%s-%s-%d\" is given twice: this section's row "
                    "\"%s\" has seat %d already", c->sections[k.section],
                    row_name, n, row_name, n);
        }
    return 0;
}

/* FNV-1a over the row's name, then the section and number. */
static uint64_t
label_hash(const struct label_key *k)
{
    uint64_t    h = 14695981039346656037ULL;
    const char *s;

    for (s = k->row; *s != '\0'; s++)
        h = (h ^ (unsigned char) *s) * 1099511628211ULL;
    h = (h ^ k->section) * 1099511628211ULL;
    h = (h ^ k->number) * 1099511628211ULL;
    return h ^ (h >> 29);
}

/* 0 if k was added, 1 if it was there, -1 out of memory. */
static int
label_set_add(struct label_set *set, const struct label_key *k)
{
    size_t i;

    if ((set->used + 1) * 4 > set->cap * 3 && label_set_grow(set) < 0)
        return -1;
    for (i = label_hash(k) & (set->cap - 1); set->slot[i].row != NULL;
         i = (i + 1) & (set->cap - 1))
        if (set->slot[i].number == k->number
            && set->slot[i].section == k->section
            && strcmp(set->slot[i].row, k->row) == 0)
            return 1;
    set->slot[i] = *k;
    set->used++;
    return 0;
}

/* Double the table (1024 slots at first) and put every key back. */
static int
label_set_grow(struct label_set *set)
{
    struct label_set bigger;
    size_t           i, j;

    bigger.cap = set->cap != 0 ? set->cap * 2 : 1024;
    bigger.used = set->used;
    if ((bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot))) == NULL)
        return -1;
    for (i = 0; i < set->cap; i++) {
        if (set->slot[i].row == NULL)
            continue;
        for (j = label_hash(&set->slot[i]) & (bigger.cap - 1);
             bigger.slot[j].row != NULL; j = (j + 1) & (bigger.cap - 1))
            ;
        bigger.slot[j] = set->slot[i];
    }
    free(set->slot);
    *set = bigger;
    return 0;
}

/* ---------------------------------------------------------------- */
/* Walking a normalized layout                                        */
/* ---------------------------------------------------------------- */

static json_object *
array_member(json_object *obj, const char *name)
{
    json_object *v = member_get(obj, name);

    return json_object_is_type(v, json_type_array) ? v : NULL;
}

/* obj.name as a non-negative integer, or -1. */
static int64_t
int_member(json_object *obj, const char *name)
{
    json_object *v = member_get(obj, name);

    if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
        return -1;
    return json_object_get_int64(v);
}

static int
number_member(json_object *obj, const char *name, double *out)
{
    json_object *v = member_get(obj, name);

    if (!json_object_is_type(v, json_type_int)
        && !json_object_is_type(v, json_type_double))
        return -1;
    *out = json_object_get_double(v);
    return 0;
}

int
seating_each_seat(json_object *layout, seating_seat_fn fn, void *arg)
{
    json_object        *sections, *sec, *rows;
    struct seating_seat s;
    size_t              i, j;

    memset(&s, 0, sizeof(s));
    if ((sections = array_member(layout, "sections")) == NULL)
        return -1;
    for (i = 0; i < json_object_array_length(sections); i++) {
        sec = json_object_array_get_idx(sections, i);
        s.section = (int) i;
        if (!json_object_is_type(member_get(sec, "name"), json_type_string)
            || (rows = array_member(sec, "rows")) == NULL)
            return -1;
        s.section_name = json_object_get_string(member_get(sec, "name"));
        for (j = 0; j < json_object_array_length(rows); j++, s.row++)
            if (walk_row(json_object_array_get_idx(rows, j), &s, fn, arg) < 0)
                return -1;
    }
    return 0;
}

/*
 * The seats of one row, s->seat being the first's index: a seat's x is
 * the row's x plus its place in the row plus the gaps before it (one
 * per "gaps_after" and one per break between ranges).
 */
static int
walk_row(json_object *row, struct seating_seat *s, seating_seat_fn fn,
    void *arg)
{
    json_object *seats, *gaps, *acc, *pair;
    size_t       i, gi = 0, ai = 0, ngaps, nacc;
    int64_t      n, to;
    int          place = 0, gaps_before = 0;
    double       x;

    if ((seats = array_member(row, "seats")) == NULL
        || !json_object_is_type(member_get(row, "name"), json_type_string)
        || int_member(row, "first") != s->seat
        || (s->category = (int) int_member(row, "category")) < 0
        || number_member(row, "x", &x) < 0 || number_member(row, "y", &s->y) < 0)
        return -1;
    s->row_name = json_object_get_string(member_get(row, "name"));
    gaps = array_member(row, "gaps_after");
    acc = array_member(row, "accessible");
    ngaps = gaps != NULL ? json_object_array_length(gaps) : 0;
    nacc = acc != NULL ? json_object_array_length(acc) : 0;
    for (i = 0; i < json_object_array_length(seats); i++, gaps_before++) {
        pair = json_object_array_get_idx(seats, i);
        if (!json_object_is_type(pair, json_type_array)
            || json_object_array_length(pair) != 2)
            return -1;
        n = json_object_get_int64(json_object_array_get_idx(pair, 0));
        to = json_object_get_int64(json_object_array_get_idx(pair, 1));
        if (n < 1 || to > SEATING_NUMBER_MAX)
            return -1;
        for (; n <= to; n++, s->seat++, place++) {
            s->number = (int) n;
            s->x = x + place + gaps_before;
            s->accessible = ai < nacc && json_object_get_int64(
                json_object_array_get_idx(acc, ai)) == n;
            ai += (size_t) s->accessible;
            if (fn(arg, s) != 0)
                return -1;
            if (gi < ngaps && json_object_get_int64(
                    json_object_array_get_idx(gaps, gi)) == n) {
                gaps_before++;
                gi++;
            }
        }
    }
    return 0;
}

int
seating_label(const struct seating_seat *seat, char *buf, size_t size)
{
    return snprintf(buf, size, "%s-%s-%d", seat->section_name,
        seat->row_name, seat->number);
}
