#ifndef FCGI_SEATING_H
#define FCGI_SEATING_H

/* A seated show's layout: validated, normalized, and walked seat by seat. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "request.h"

#define SEATING_CATEGORIES_MAX 32
#define SEATING_SECTIONS_MAX   200
#define SEATING_ROWS_MAX       1000     /* row entries of a section */
#define SEATING_ROW_SEATS_MAX  1000
#define SEATING_NUMBER_MAX     9999     /* seat numbers and row numbers */
#define SEATING_SEATS_MAX      100000   /* in the show, standing places too */
#define SEATING_STANDING_MAX   50       /* standing areas of a show */
#define SEATING_NAME_MAX       40       /* characters of any name */
#define SEATING_PRICE_MAX      100000000
#define SEATING_COORD_MAX      1000000  /* |x|, |y| as given */
#define SEATING_LABEL_MAX      96       /* "section-row-number" and NUL */

/*
 * Validate POST /admin/show's "seating" member (docs/seating.md) and
 * return it normalized: a new object the caller puts, with *seat_count
 * set to the show's places: its seats and its standing areas' capacity. On the first problem, NULL after answering 400 on res:
 * unknown_field for a member the format does not have, invalid_seating
 * for anything else, with "field" the JSON path of the problem
 * ("seating.sections[1].rows[0].seats", an array element as
 * "...accessible[2]") and a message that names it. 500 internal_error
 * only if memory runs out.
 *
 * The normalized layout:
 *   {"focal_point": {"x", "y"},
 *    "categories": [{"name", "colour" (lower case), "price"}],
 *    "sections": [{"name", "rows": [
 *       {"name", "first", "category", "x", "y", "seats": [[from, to]],
 *        "gaps_after": [n], "accessible": [n]}]}],
 *    "standing": [{"name", "capacity", "category"}],
 *    "seat_count": N}
 * Blocks are expanded to one entry per row; "category" is an index into
 * "categories"; "x", "y" are absolute (integral values as JSON integers);
 * "first" is the show-order index of the row's first seat (sections in
 * order, rows in order, seats by number). "seats" ranges are ascending,
 * and ranges that touch ("1-10,11-20") are merged, so that a range
 * boundary is always a missing number. "gaps_after" holds the aisles
 * given that are not already at such a boundary, ascending; "accessible"
 * is ascending. Both are OMITTED when empty, never [], as is "standing"
 * (0 to 50 standing areas, names as sections' and unique among areas
 * and sections, capacity 1 to 100 000, "category" an index as a row's).
 * "seat_count" counts the seats alone; the seats and standing places
 * together are at most SEATING_SEATS_MAX. A layout has one seat at
 * least: a show of standing places alone is sold by count.
 *
 * Names of sections and rows are 1-40 ASCII letters, digits, spaces,
 * '.' or '_', not starting or ending with a space; category names are
 * 1-40 characters, not blank, without control characters. A row may be
 * given in several entries with the same name (a row whose halves have
 * two categories) as long as no seat label repeats; the labels are
 * checked in a hash set. The work is bounded by the body's size and the
 * limits above: nothing is allocated for a count before it is checked.
 */
json_object *seating_normalize(json_object *seating, int64_t *seat_count,
    struct response *res);

/* One seat of a normalized layout, as seating_each_seat() passes it. */
struct seating_seat {
    int64_t     seat;           /* index in show order, 0 .. seat_count-1 */
    int64_t     row;            /* index of its row among the show's rows */
    int         section;        /* index of its section */
    const char *section_name;
    const char *row_name;
    int         number;
    int         category;       /* index into "categories" */
    int         accessible;     /* 1 for a wheelchair place */
    double      x, y;           /* drawing position, gaps counted */
};

typedef int (*seating_seat_fn)(void *arg, const struct seating_seat *seat);

/*
 * Call fn for every seat of a normalized layout (as seating_normalize()
 * returns it or as stored) in show order. fn returns 0 to go on, anything
 * else to stop. Returns 0 after the last seat, -1 if fn stopped or the
 * layout is not a normalized one (a member missing, a "first" that does
 * not match the count). The seat points to the walker's own struct, and
 * the names into the layout: copy what must outlive the call.
 */
int seating_each_seat(json_object *layout, seating_seat_fn fn, void *arg);

/* Write the seat's label "section-row-number" into buf; as snprintf. */
int seating_label(const struct seating_seat *seat, char *buf, size_t size);

#endif
