/* Unit tests of seating_normalize and seating_each_seat (docs/seating.md). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The Makefile puts -Ifcgi first: json-c ships a json.h of its own. */
#include "request.h"
#include "seating.h"
#include "unit.h"

/* One failing layout: the code and the field of its 400. */
struct bad {
    const char *layout;
    const char *code;
    const char *field;
};

/* What a walk saw. */
struct walk {
    int                 n;
    int                 accessible;
    struct seating_seat seats[200];
    char                labels[200][SEATING_LABEL_MAX];
};

static json_object *parse_quoted(const char *s);
static json_object *normalize_ok(const char *layout, int64_t *count);
static void expect_bad(const struct bad *cases, size_t n);
static char *layout_big(int sections, const char *names, const char *seats,
    const char *extra);
static int walk_add(void *arg, const struct seating_seat *seat);
static int walk_stop(void *arg, const struct seating_seat *seat);

/* Parse JSON written with ' for ", so that the layouts read plainly. */
static json_object *
parse_quoted(const char *s)
{
    char        *buf = strdup(s), *p;
    json_object *o;

    assert_non_null(buf);
    for (p = buf; *p != '\0'; p++)
        if (*p == '\'')
            *p = '"';
    o = json_tokener_parse(buf);
    if (o == NULL)
        fail_msg("test JSON does not parse: %s", buf);
    free(buf);
    return o;
}

/* The layout normalizes; returns the result (caller puts it). */
static json_object *
normalize_ok(const char *layout, int64_t *count)
{
    struct response res;
    json_object    *in = parse_quoted(layout), *out;

    response_init(&res);
    *count = -1;
    out = seating_normalize(in, count, &res);
    if (out == NULL)
        fail_msg("refused: %s", json_object_to_json_string(res.body));
    assert_null(res.body);
    response_cleanup(&res);
    json_object_put(in);
    return out;
}

static void
expect_bad(const struct bad *cases, size_t n)
{
    struct response res;
    json_object    *in, *out;
    int64_t         count = -1;
    size_t          i;

    for (i = 0; i < n; i++) {
        in = parse_quoted(cases[i].layout);
        response_init(&res);
        out = seating_normalize(in, &count, &res);
        if (out != NULL)
            fail_msg("accepted: %s", cases[i].layout);
        if (body_get(&res, "field") == NULL
            || strcmp(body_get(&res, "field"), cases[i].field) != 0)
            fail_msg("%s: %s, not field %s", cases[i].layout,
                json_object_to_json_string(res.body), cases[i].field);
        ASSERT_ERROR(&res, 400, cases[i].code, cases[i].field);
        assert_int_equal(count, -1);
        response_cleanup(&res);
        json_object_put(in);
    }
}

#define NBAD(a) (sizeof(a) / sizeof((a)[0]))

/* The README's kind of hall: a block, an aisle, a missing number. */
static const char hall[] =
    "{'focal_point':{'x':20,'y':0},"
    " 'categories':["
    "  {'name':'Premium','colour':'#B03A2E','price':6500},"
    "  {'name':'Standard','colour':'#2e86c1','price':4200},"
    "  {'name':'Restricted view','colour':'#7f8c8d','price':1500}],"
    " 'sections':["
    "  {'name':'Stalls','x':0,'y':4,'rows':["
    "    {'name':'A','seats':'1-20','category':'Premium',"
    "     'gaps_after':[10],'accessible':[20,1]},"
    "    {'names':'B-D','seats':'1-10,13-24','category':'Standard',"
    "     'gaps_after':[10,18]}]},"
    "  {'name':'Circle','x':2,'y':20,'rows':["
    "    {'names':'1-2','seats':'1-30','category':'Standard',"
    "     'x':1,'y':0.5}]},"
    "  {'name':'Balcony','y':30,'rows':["
    "    {'name':'AA','seats':'5-8','category':'Restricted view',"
    "     'x':-1.5}]}]}";

static void
test_hall_normalized(void **state)
{
    static const char want[] =
        "{'focal_point':{'x':20,'y':0},"
        " 'categories':["
        "  {'name':'Premium','colour':'#b03a2e','price':6500},"
        "  {'name':'Standard','colour':'#2e86c1','price':4200},"
        "  {'name':'Restricted view','colour':'#7f8c8d','price':1500}],"
        " 'sections':["
        "  {'name':'Stalls','rows':["
        "    {'name':'A','first':0,'category':0,'x':0,'y':4,"
        "     'seats':[[1,20]],'gaps_after':[10],'accessible':[1,20]},"
        "    {'name':'B','first':20,'category':1,'x':0,'y':5,"
        "     'seats':[[1,10],[13,24]],'gaps_after':[18]},"
        "    {'name':'C','first':42,'category':1,'x':0,'y':6,"
        "     'seats':[[1,10],[13,24]],'gaps_after':[18]},"
        "    {'name':'D','first':64,'category':1,'x':0,'y':7,"
        "     'seats':[[1,10],[13,24]],'gaps_after':[18]}]},"
        "  {'name':'Circle','rows':["
        "    {'name':'1','first':86,'category':1,'x':3,'y':20.5,"
        "     'seats':[[1,30]]},"
        "    {'name':'2','first':116,'category':1,'x':3,'y':21.5,"
        "     'seats':[[1,30]]}]},"
        "  {'name':'Balcony','rows':["
        "    {'name':'AA','first':146,'category':2,'x':-1.5,'y':30,"
        "     'seats':[[5,8]]}]}],"
        " 'seat_count':150}";
    json_object *out, *expected = parse_quoted(want);
    int64_t      count;

    (void) state;
    out = normalize_ok(hall, &count);
    assert_int_equal(count, 150);
    if (!json_object_equal(out, expected))
        fail_msg("got %s\nwant %s", json_object_to_json_string(out),
            json_object_to_json_string(expected));
    json_object_put(out);
    json_object_put(expected);
}

static int
walk_add(void *arg, const struct seating_seat *seat)
{
    struct walk *w = arg;

    assert_true(w->n < 200);
    assert_int_equal(seat->seat, w->n);
    w->seats[w->n] = *seat;
    seating_label(seat, w->labels[w->n], SEATING_LABEL_MAX);
    w->accessible += seat->accessible;
    w->n++;
    return 0;
}

static int
walk_stop(void *arg, const struct seating_seat *seat)
{
    (void) arg;
    return seat->seat == 3;
}

/* Every seat in show order, its label, position and category. */
static void
test_hall_walked(void **state)
{
    static struct walk w;
    json_object       *out;
    int64_t            count;

    (void) state;
    out = normalize_ok(hall, &count);
    assert_int_equal(seating_each_seat(out, walk_add, &w), 0);
    assert_int_equal(w.n, 150);
    assert_int_equal(w.accessible, 2);
    assert_string_equal(w.labels[0], "Stalls-A-1");
    assert_true(w.seats[0].accessible && w.seats[19].accessible);
    /* row A: the aisle after 10 */
    assert_true(w.seats[9].x == 9 && w.seats[10].x == 11);
    assert_true(w.seats[10].y == 4);
    /* row B: 11-12 missing (a gap), 10 also an aisle (counted once) */
    assert_string_equal(w.labels[29], "Stalls-B-10");
    assert_string_equal(w.labels[30], "Stalls-B-13");
    assert_true(w.seats[29].x == 9 && w.seats[30].x == 11);
    assert_true(w.seats[35].number == 18 && w.seats[35].x == 16);
    assert_true(w.seats[36].number == 19 && w.seats[36].x == 18);
    assert_true(w.seats[30].y == 5 && w.seats[30].category == 1);
    assert_int_equal(w.seats[30].row, 1);
    assert_string_equal(w.labels[86], "Circle-1-1");
    assert_true(w.seats[86].x == 3 && w.seats[86].y == 20.5);
    assert_string_equal(w.labels[146], "Balcony-AA-5");
    assert_true(w.seats[146].x == -1.5 && w.seats[149].x == 1.5);
    assert_int_equal(w.seats[149].category, 2);
    assert_int_equal(w.seats[149].row, 6);
    assert_int_equal(w.seats[149].section, 2);
    assert_int_equal(seating_each_seat(out, walk_stop, NULL), -1);
    json_object_put(out);
    out = parse_quoted("{'sections':[{'name':'S','rows':[{'name':'A',"
        "'first':5,'category':0,'x':0,'y':0,'seats':[[1,2]]}]}]}");
    assert_int_equal(seating_each_seat(out, walk_add, &w), -1);
    json_object_put(out);
}

/* Touching ranges merge; an aisle at a range's end is that gap. */
static void
test_normalized_forms(void **state)
{
    json_object *out, *row;
    int64_t      count;

    (void) state;
    out = normalize_ok("{'focal_point':{'x':0,'y':0},'categories':"
        "[{'name':'P','colour':'#aBcDeF','price':0}],'sections':[{'name':"
        "'S','rows':[{'name':'A','seats':'1-10,11-20,22-22',"
        "'category':'P','gaps_after':[20],'accessible':[]},"
        "{'name':'A','seats':'30-31','category':'P','gaps_after':null}]}]}",
        &count);
    assert_int_equal(count, 23);
    row = json_object_array_get_idx(json_object_object_get(
        json_object_array_get_idx(json_object_object_get(out, "sections"),
        0), "rows"), 0);
    assert_string_equal(json_object_to_json_string_ext(row,
        JSON_C_TO_STRING_PLAIN), "{\"name\":\"A\",\"first\":0,"
        "\"category\":0,\"x\":0,\"y\":0,\"seats\":[[1,20],[22,22]]}");
    assert_string_equal(json_object_get_string(json_object_object_get(
        json_object_array_get_idx(json_object_object_get(out, "categories"),
        0), "colour")), "#abcdef");
    json_object_put(out);
}

#define FP    "'focal_point':{'x':0,'y':0}"
#define CATS  "'categories':[{'name':'P','colour':'#000000','price':1}]"
#define SECS(s) "{" FP "," CATS ",'sections':[" s "]}"
#define ROWS(r) SECS("{'name':'S','rows':[" r "]}")
#define ROW(extra) ROWS("{'name':'A','seats':'1-20','category':'P'" extra "}")
#define SEATS(s) ROWS("{'name':'A','seats':'" s "','category':'P'}")
#define R0 "seating.sections[0].rows[0]"

static void
test_seating_refused(void **state)
{
    static const struct bad cases[] = {
        { "[]", "invalid_seating", "seating" },
        { "{" FP "," CATS ",'sections':[],'colour':1}", "unknown_field",
          "seating.colour" },
        { "{" CATS ",'sections':[]}", "invalid_seating",
          "seating.focal_point" },
        { "{'focal_point':[0,0]," CATS "}", "invalid_seating",
          "seating.focal_point" },
        { "{'focal_point':{'x':0,'y':0,'z':0}}", "unknown_field",
          "seating.focal_point.z" },
        { "{'focal_point':{'y':0}}", "invalid_seating",
          "seating.focal_point.x" },
        { "{'focal_point':{'x':0,'y':'0'}}", "invalid_seating",
          "seating.focal_point.y" },
        { "{'focal_point':{'x':1e7,'y':0}}", "invalid_seating",
          "seating.focal_point.x" },
    };

    (void) state;
    expect_bad(cases, NBAD(cases));
}

static void
test_categories_refused(void **state)
{
    static const struct bad cases[] = {
        { "{" FP "}", "invalid_seating", "seating.categories" },
        { "{" FP ",'categories':[]}", "invalid_seating",
          "seating.categories" },
        { "{" FP ",'categories':{}}", "invalid_seating",
          "seating.categories" },
        { "{" FP ",'categories':['P']}", "invalid_seating",
          "seating.categories[0]" },
        { "{" FP ",'categories':[{'name':'P','color':'#000000','price':1}]}",
          "unknown_field", "seating.categories[0].color" },
        { "{" FP ",'categories':[{'colour':'#000000','price':1}]}",
          "invalid_seating", "seating.categories[0].name" },
        { "{" FP ",'categories':[{'name':'','colour':'#000000','price':1}]}",
          "invalid_seating", "seating.categories[0].name" },
        { "{" FP ",'categories':[{'name':'  ','colour':'#000000','price':1}]}",
          "invalid_seating", "seating.categories[0].name" },
        { "{" FP ",'categories':[{'name':'a\\tb','colour':'#000000',"
          "'price':1}]}", "invalid_seating", "seating.categories[0].name" },
        { "{" FP ",'categories':[{'name':"
          "'12345678901234567890123456789012345678901',"
          "'colour':'#000000','price':1}]}",
          "invalid_seating", "seating.categories[0].name" },
        { "{" FP ",'categories':[{'name':'P','colour':'#000000','price':1},"
          "{'name':'Q','colour':'#000000','price':1},"
          "{'name':'P','colour':'#000000','price':1}]}",
          "invalid_seating", "seating.categories[2].name" },
        { "{" FP ",'categories':[{'name':'P','price':1}]}",
          "invalid_seating", "seating.categories[0].colour" },
        { "{" FP ",'categories':[{'name':'P','colour':'red','price':1}]}",
          "invalid_seating", "seating.categories[0].colour" },
        { "{" FP ",'categories':[{'name':'P','colour':'#12345g','price':1}]}",
          "invalid_seating", "seating.categories[0].colour" },
        { "{" FP ",'categories':[{'name':'P','colour':'#1234567','price':1}]}",
          "invalid_seating", "seating.categories[0].colour" },
        { "{" FP ",'categories':[{'name':'P','colour':'#000000'}]}",
          "invalid_seating", "seating.categories[0].price" },
        { "{" FP ",'categories':[{'name':'P','colour':'#000000','price':-1}]}",
          "invalid_seating", "seating.categories[0].price" },
        { "{" FP ",'categories':[{'name':'P','colour':'#000000',"
          "'price':100000001}]}",
          "invalid_seating", "seating.categories[0].price" },
        { "{" FP ",'categories':[{'name':'P','colour':'#000000',"
          "'price':1.5}]}", "invalid_seating", "seating.categories[0].price" },
        { "{" FP ",'categories':[{'name':'P','colour':'#000000',"
          "'price':'1'}]}", "invalid_seating", "seating.categories[0].price" },
    };
    char          buf[4096];
    struct bad    many = { buf, "invalid_seating", "seating.categories" };
    size_t        n;
    int           i;

    (void) state;
    expect_bad(cases, NBAD(cases));
    /* 33 categories */
    n = (size_t) snprintf(buf, sizeof(buf), "{" FP ",'categories':[");
    for (i = 0; i < 33; i++)
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s{'name':'c%d',"
            "'colour':'#000000','price':1}", i ? "," : "", i);
    snprintf(buf + n, sizeof(buf) - n, "]}");
    expect_bad(&many, 1);
}

static void
test_sections_refused(void **state)
{
    static const struct bad cases[] = {
        { "{" FP "," CATS "}", "invalid_seating", "seating.sections" },
        { SECS(""), "invalid_seating", "seating.sections" },
        { SECS("1"), "invalid_seating", "seating.sections[0]" },
        { SECS("{'name':'S','rowz':[]}"), "unknown_field",
          "seating.sections[0].rowz" },
        { SECS("{'rows':[]}"), "invalid_seating", "seating.sections[0].name" },
        { SECS("{'name':'A-B','rows':[]}"), "invalid_seating",
          "seating.sections[0].name" },
        { SECS("{'name':' A','rows':[]}"), "invalid_seating",
          "seating.sections[0].name" },
        { SECS("{'name':'A ','rows':[]}"), "invalid_seating",
          "seating.sections[0].name" },
        { SECS("{'name':'\\u00e9','rows':[]}"), "invalid_seating",
          "seating.sections[0].name" },
        { SECS("{'name':'','rows':[]}"), "invalid_seating",
          "seating.sections[0].name" },
        { SECS("{'name':'12345678901234567890123456789012345678901',"
          "'rows':[]}"), "invalid_seating", "seating.sections[0].name" },
        { SECS("{'name':'S','x':'1','rows':[]}"), "invalid_seating",
          "seating.sections[0].x" },
        { SECS("{'name':'S','y':1000001,'rows':[]}"), "invalid_seating",
          "seating.sections[0].y" },
        { SECS("{'name':'S'}"), "invalid_seating",
          "seating.sections[0].rows" },
        { SECS("{'name':'S','rows':[]}"), "invalid_seating",
          "seating.sections[0].rows" },
        { SECS("{'name':'S','rows':[{'name':'A','seats':'1-2',"
          "'category':'P'}]},{'name':'S','rows':[]}"), "invalid_seating",
          "seating.sections[1].name" },
        /* the example of docs/seating.md */
        { SECS("{'name':'S','rows':[{'name':'A','seats':'1-2',"
          "'category':'P'}]},{'name':'T','rows':[{'name':'A',"
          "'seats':'2-1','category':'P'}]}"), "invalid_seating",
          "seating.sections[1].rows[0].seats" },
    };
    struct bad many = { NULL, "invalid_seating", "seating.sections" };
    struct bad rows = { NULL, "invalid_seating", "seating.sections[0].rows" };
    char      *big;

    (void) state;
    expect_bad(cases, NBAD(cases));
    many.layout = big = layout_big(201, "A-A", "1-1", NULL);
    expect_bad(&many, 1);
    free(big);
    rows.layout = big = layout_big(1, NULL, "1-1", NULL);
    expect_bad(&rows, 1);
    free(big);
}

static void
test_rows_refused(void **state)
{
    static const struct bad cases[] = {
        { ROWS("'A'"), "invalid_seating", R0 },
        { ROW(",'seat':1"), "unknown_field", R0 ".seat" },
        { ROW(",'names':'B-C'"), "invalid_seating", R0 ".names" },
        { ROWS("{'seats':'1-2','category':'P'}"), "invalid_seating",
          R0 ".name" },
        { ROWS("{'name':'A-1','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".name" },
        { ROWS("{'name':7,'seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".name" },
        { ROWS("{'names':'K-B','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".names" },
        { ROWS("{'names':'A-9','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".names" },
        { ROWS("{'names':'a-c','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".names" },
        { ROWS("{'names':'0-5','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".names" },
        { ROWS("{'names':'1-10000','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".names" },
        { ROWS("{'names':'A-','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".names" },
        { ROWS("{'names':'A','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".names" },
        { ROWS("{'names':'1-2-3','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".names" },
        { ROWS("{'name':'A','category':'P'}"), "invalid_seating",
          R0 ".seats" },
        { ROWS("{'name':'A','seats':20,'category':'P'}"), "invalid_seating",
          R0 ".seats" },
        { SEATS(""), "invalid_seating", R0 ".seats" },
        { SEATS("5"), "invalid_seating", R0 ".seats" },
        { SEATS("1-"), "invalid_seating", R0 ".seats" },
        { SEATS("1-5,"), "invalid_seating", R0 ".seats" },
        { SEATS(",1-5"), "invalid_seating", R0 ".seats" },
        { SEATS("1-5;7-9"), "invalid_seating", R0 ".seats" },
        { SEATS("1-5x"), "invalid_seating", R0 ".seats" },
        { SEATS("1 - 5"), "invalid_seating", R0 ".seats" },
        { SEATS("0-5"), "invalid_seating", R0 ".seats" },
        { SEATS("01-5"), "invalid_seating", R0 ".seats" },
        { SEATS("1-10000"), "invalid_seating", R0 ".seats" },
        { SEATS("5-1"), "invalid_seating", R0 ".seats" },
        { SEATS("1-10,5-20"), "invalid_seating", R0 ".seats" },
        { SEATS("1-10,10-20"), "invalid_seating", R0 ".seats" },
        { SEATS("11-20,1-10"), "invalid_seating", R0 ".seats" },
        { SEATS("1-1001"), "invalid_seating", R0 ".seats" },
        { SEATS("1-500,502-1002"), "invalid_seating", R0 ".seats" },
        { ROWS("{'name':'A','seats':'1-2'}"), "invalid_seating",
          R0 ".category" },
        { ROWS("{'name':'A','seats':'1-2','category':'Gold'}"),
          "invalid_seating", R0 ".category" },
        { ROWS("{'name':'A','seats':'1-2','category':0}"),
          "invalid_seating", R0 ".category" },
        { ROW(",'gaps_after':10"), "invalid_seating", R0 ".gaps_after" },
        { ROW(",'gaps_after':['10']"), "invalid_seating",
          R0 ".gaps_after[0]" },
        { ROW(",'gaps_after':[0]"), "invalid_seating", R0 ".gaps_after[0]" },
        { ROW(",'gaps_after':[5,21]"), "invalid_seating",
          R0 ".gaps_after[1]" },
        { ROW(",'gaps_after':[5,3]"), "invalid_seating",
          R0 ".gaps_after[1]" },
        { ROW(",'gaps_after':[5,5]"), "invalid_seating",
          R0 ".gaps_after[1]" },
        { ROW(",'gaps_after':[20]"), "invalid_seating",
          R0 ".gaps_after[0]" },
        { ROWS("{'name':'A','seats':'1-3','category':'P',"
          "'gaps_after':[1,2,3]}"), "invalid_seating", R0 ".gaps_after" },
        { ROWS("{'name':'A','seats':'1-3,5-6','category':'P',"
          "'gaps_after':[4]}"), "invalid_seating", R0 ".gaps_after[0]" },
        { ROW(",'accessible':{}"), "invalid_seating", R0 ".accessible" },
        { ROW(",'accessible':[1.0]"), "invalid_seating",
          R0 ".accessible[0]" },
        { ROW(",'accessible':[3,21]"), "invalid_seating",
          R0 ".accessible[1]" },
        { ROW(",'accessible':[3,1,3]"), "invalid_seating",
          R0 ".accessible[2]" },
        { ROWS("{'name':'A','seats':'1-2','category':'P',"
          "'accessible':[1,2,1]}"), "invalid_seating", R0 ".accessible" },
        { ROW(",'x':'0'"), "invalid_seating", R0 ".x" },
        { ROW(",'y':-1000001"), "invalid_seating", R0 ".y" },
        /* the same row twice with a seat in common */
        { ROWS("{'name':'A','seats':'1-10','category':'P'},"
          "{'name':'A','seats':'10-12','category':'P'}"), "invalid_seating",
          "seating.sections[0].rows[1].name" },
        { ROWS("{'name':'C','seats':'1-10','category':'P'},"
          "{'names':'A-D','seats':'5-6','category':'P'}"), "invalid_seating",
          "seating.sections[0].rows[1].names" },
    };

    (void) state;
    expect_bad(cases, NBAD(cases));
}

/* A row in two entries (two categories) is fine when no label repeats. */
static void
test_row_split_accepted(void **state)
{
    json_object *out;
    int64_t      count;

    (void) state;
    out = normalize_ok(ROWS("{'name':'A','seats':'1-10','category':'P'},"
        "{'name':'A','seats':'11-12','category':'P','x':10,'y':0}"), &count);
    assert_int_equal(count, 12);
    json_object_put(out);
    /* the same names in another section are other labels */
    out = normalize_ok(SECS("{'name':'S','rows':[{'names':'A-Z','seats':"
        "'1-2','category':'P'}]},{'name':'T','rows':[{'names':'A-Z',"
        "'seats':'1-2','category':'P'}]}"), &count);
    assert_int_equal(count, 104);
    json_object_put(out);
}

/*
 * A layout of `sections` sections, each with one entry "names" (or 1001
 * entries of "name" when names is NULL) of `seats`, then `extra` (a
 * section) if not NULL. Caller frees.
 */
static char *
layout_big(int sections, const char *names, const char *seats,
    const char *extra)
{
    size_t size = 64 * 1024 + 64 * 1024 * (names == NULL), n;
    char  *buf = malloc(size);
    int    i, j;

    assert_non_null(buf);
    n = (size_t) snprintf(buf, size, "{" FP "," CATS ",'sections':[");
    for (i = 0; i < sections; i++) {
        n += (size_t) snprintf(buf + n, size - n, "%s{'name':'S%d','rows':[",
            i ? "," : "", i);
        for (j = 0; j < (names == NULL ? 1001 : 1); j++)
            n += (size_t) snprintf(buf + n, size - n, "%s{'name%s':'%s',"
                "'seats':'%s','category':'P'}", j ? "," : "",
                names == NULL ? "" : "s", names == NULL ? "R" : names, seats);
        n += (size_t) snprintf(buf + n, size - n, "]}");
    }
    snprintf(buf + n, size - n, "%s%s]}", extra ? "," : "",
        extra ? extra : "");
    assert_true(n < size - 256);
    return buf;
}

/* 100 000 seats are taken, in rows of 100 and in rows of 1; not 100 001. */
static void
test_seat_limit(void **state)
{
    struct bad  over = { NULL, "invalid_seating",
                         "seating.sections[100].rows[0]" };
    json_object *out;
    char        *big;
    int64_t      count;

    (void) state;
    big = layout_big(100, "1-10", "1-100", NULL);
    out = normalize_ok(big, &count);
    assert_int_equal(count, 100000);
    assert_int_equal(json_object_get_int64(json_object_object_get(out,
        "seat_count")), 100000);
    json_object_put(out);
    free(big);
    big = layout_big(100, "1-1000", "7-7", NULL);
    out = normalize_ok(big, &count);
    assert_int_equal(count, 100000);
    json_object_put(out);
    free(big);
    over.layout = big = layout_big(100, "1-10", "1-100",
        "{'name':'X','rows':[{'name':'A','seats':'1-1','category':'P'}]}");
    expect_bad(&over, 1);
    free(big);
}

/* Claims that would cost a lot are refused before anything is made. */
static void
test_hostile_refused(void **state)
{
    static const struct bad cases[] = {
        { SEATS("1-9999999999"), "invalid_seating", R0 ".seats" },
        { SEATS("1-99999999999999999999999999999999999999999"),
          "invalid_seating", R0 ".seats" },
        { ROWS("{'names':'A-ZZZZ','seats':'1-2','category':'P'}"),
          "invalid_seating", R0 ".names" },
        { ROWS("{'names':'1-9999','seats':'1-1000','category':'P'}"),
          "invalid_seating", R0 },
    };
    struct bad ranges = { NULL, "invalid_seating", R0 ".seats" };
    char      *buf;
    size_t     n, size = 200 * 1024;
    int        i;

    (void) state;
    expect_bad(cases, NBAD(cases));
    /* 20 000 one-seat ranges: refused at the 1001st seat */
    buf = malloc(size);
    assert_non_null(buf);
    n = (size_t) snprintf(buf, size, "{" FP "," CATS ",'sections':[{'name':"
        "'S','rows':[{'name':'A','category':'P','seats':'");
    for (i = 0; i < 20000; i++)
        n += (size_t) snprintf(buf + n, size - n, "%s%d-%d", i ? "," : "",
            2 * i % 9998 + 1, 2 * i % 9998 + 1);
    snprintf(buf + n, size - n, "'}]}]}");
    ranges.layout = buf;
    expect_bad(&ranges, 1);
    free(buf);
}

#define AREA(a) "{" FP "," CATS ",'sections':[{'name':'S','rows':[" \
    "{'name':'A','seats':'1-10','category':'P'}]}],'standing':[" a "]}"
#define A0 "seating.standing[0]"

/*
 * Standing areas beside seats: normalized with the category as an index,
 * counted in the show's places, and omitted when there are none.
 */
static void
test_standing_normalized(void **state)
{
    json_object *out;
    int64_t      count;

    (void) state;
    out = normalize_ok(AREA("{'name':'Floor','capacity':500,'category':'P'},"
        "{'name':'Bar 2','capacity':1,'category':'P'}"), &count);
    assert_int_equal(count, 511);
    assert_string_equal(json_object_to_json_string_ext(
        json_object_object_get(out, "standing"), JSON_C_TO_STRING_PLAIN),
        "[{\"name\":\"Floor\",\"capacity\":500,\"category\":0},"
        "{\"name\":\"Bar 2\",\"capacity\":1,\"category\":0}]");
    assert_int_equal(json_object_get_int64(json_object_object_get(out,
        "seat_count")), 10);
    json_object_put(out);
    out = normalize_ok(AREA(""), &count);
    assert_int_equal(count, 10);
    assert_null(json_object_object_get(out, "standing"));
    json_object_put(out);
    /* 99 990 places beside the 10 seats: the limit exactly */
    out = normalize_ok(AREA("{'name':'F','capacity':99990,'category':'P'}"),
        &count);
    assert_int_equal(count, 100000);
    json_object_put(out);
}

static void
test_standing_refused(void **state)
{
    static const struct bad cases[] = {
        { AREA("{'name':'F','capacity':5,'category':'P'},"
               "{'name':'F','capacity':5,'category':'P'}"),
          "invalid_seating", "seating.standing[1].name" },
        { AREA("{'name':'S','capacity':5,'category':'P'}"),
          "invalid_seating", A0 ".name" },
        { AREA("{'name':'F','capacity':0,'category':'P'}"),
          "invalid_seating", A0 ".capacity" },
        { AREA("{'name':'F','capacity':100001,'category':'P'}"),
          "invalid_seating", A0 ".capacity" },
        { AREA("{'name':'F','capacity':'5','category':'P'}"),
          "invalid_seating", A0 ".capacity" },
        { AREA("{'name':'F','capacity':99991,'category':'P'}"),
          "invalid_seating", A0 ".capacity" },
        { AREA("{'name':'F','capacity':5,'category':'Q'}"),
          "invalid_seating", A0 ".category" },
        { AREA("{'name':'F','capacity':5}"), "invalid_seating",
          A0 ".category" },
        { AREA("{'capacity':5,'category':'P'}"), "invalid_seating",
          A0 ".name" },
        { AREA("{'name':'F-1','capacity':5,'category':'P'}"),
          "invalid_seating", A0 ".name" },
        { AREA("{'name':'F','capacity':5,'category':'P','x':1}"),
          "unknown_field", A0 ".x" },
        { AREA("'F'"), "invalid_seating", A0 },
        { "{" FP "," CATS ",'sections':[{'name':'S','rows':[{'name':'A',"
          "'seats':'1-10','category':'P'}]}],'standing':{}}",
          "invalid_seating", "seating.standing" },
        /* a show of standing places alone is sold by count */
        { "{" FP "," CATS ",'sections':[],'standing':[{'name':'F',"
          "'capacity':5,'category':'P'}]}", "invalid_seating",
          "seating.sections" },
    };
    char        buf[8192];
    struct bad  many = { buf, "invalid_seating", "seating.standing" };
    size_t      n;
    int         i;

    (void) state;
    expect_bad(cases, NBAD(cases));
    /* 51 areas: one too many */
    n = (size_t) snprintf(buf, sizeof(buf), "{" FP "," CATS ",'sections':[{"
        "'name':'S','rows':[{'name':'A','seats':'1-1','category':'P'}]}],"
        "'standing':[");
    for (i = 0; i < 51; i++)
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s{'name':'F%d',"
            "'capacity':1,'category':'P'}", i ? "," : "", i);
    snprintf(buf + n, sizeof(buf) - n, "]}");
    expect_bad(&many, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hall_normalized),
        cmocka_unit_test(test_hall_walked),
        cmocka_unit_test(test_normalized_forms),
        cmocka_unit_test(test_seating_refused),
        cmocka_unit_test(test_categories_refused),
        cmocka_unit_test(test_sections_refused),
        cmocka_unit_test(test_rows_refused),
        cmocka_unit_test(test_row_split_accepted),
        cmocka_unit_test(test_seat_limit),
        cmocka_unit_test(test_hostile_refused),
        cmocka_unit_test(test_standing_normalized),
        cmocka_unit_test(test_standing_refused),
    };

    return cmocka_run_group_tests_name("seating", tests, NULL, NULL);
}
