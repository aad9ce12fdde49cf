/* Handlers of the show resources: create (admin), list, get. */

#include "shows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "auth.h"
#include "idempotency.h"
#include "json.h"
#include "jsoncanon.h"
#include "query.h"
#include "rfc3339.h"
#include "seating.h"
#include "textbuf.h"

struct shows_page {
    struct textbuf *t;          /* the JSON array, written as it comes */
    int             limit;
    int             count;
    int             more;       /* a row beyond limit exists */
    int             failed;     /* out of memory */
    int64_t         last_start_us;
    int64_t         last_id;
};

/* The members POST /admin/show takes; any other is 400 unknown_field. */
static int shows_seats_or_reply(json_object *body, int64_t *seats,
    json_object **layout, struct response *res);
static const char *const show_fields[] = {
    "name", "start_time", "total_seats", "seating", "max_seats_per_customer",
    NULL,
};

static json_object *emit_show_created(const struct db_show *show);
static int shows_write(struct textbuf *t, const struct db_show *show);
static int shows_cap_or_reply(json_object *body, int64_t *cap,
    struct response *res);
static int shows_page_add(const struct db_show *show, void *arg);
static int shows_start_time_or_reply(json_object *body, int64_t *start_us,
    struct response *res);
static int shows_list_params_or_reply(const char *query, int *limit,
    int *has_cursor, int64_t *start_us, int64_t *id, struct response *res);

/*
 * A created show as JSON: booked_seats, as the seed API had it (the
 * reads answer available_seats: shows_write()).
 */
static json_object *
emit_show_created(const struct db_show *show)
{
    json_object *o = json_object_new_object();
    char         start[RFC3339_MAX];

    rfc3339_format(show->start_us, start, sizeof(start));
    json_put_new(o, "id", json_object_new_int64(show->id));
    json_put_new(o, "name", json_object_new_string(show->name));
    json_put_new(o, "start_time", json_object_new_string(start));
    json_put_new(o, "total_seats",
        json_object_new_int64(show->total_seats));
    json_put_new(o, "booked_seats",
        json_object_new_int64(show->booked_seats));
    if (show->max_per_customer > 0)
        json_put_new(o, "max_seats_per_customer",
            json_object_new_int64(show->max_per_customer));
    return o;
}

/*
 * A show as GET /shows and GET /shows/{id} answer it, written into t
 * with no json-c object per show (a page has a thousand); the members
 * in json-c's order (id, name, start_time, total_seats, available_seats,
 * max_seats_per_customer when capped). 0, or -1 out of memory.
 */
static int
shows_write(struct textbuf *t, const struct db_show *show)
{
    char start[RFC3339_MAX];

    rfc3339_format(show->start_us, start, sizeof(start));
    if (textbuf_put(t, "{\"id\":", 6) < 0
        || textbuf_int(t, show->id) < 0
        || textbuf_put(t, ",\"name\":", 8) < 0
        || textbuf_json_string(t, show->name) < 0
        || textbuf_put(t, ",\"start_time\":\"", 15) < 0
        || textbuf_put(t, start, strlen(start)) < 0
        || textbuf_put(t, "\",\"total_seats\":", 16) < 0
        || textbuf_int(t, show->total_seats) < 0
        || textbuf_put(t, ",\"available_seats\":", 19) < 0
        || textbuf_int(t, show->available_seats) < 0)
        return -1;
    if (show->max_per_customer > 0
        && (textbuf_put(t, ",\"max_seats_per_customer\":", 26) < 0
            || textbuf_int(t, show->max_per_customer) < 0))
        return -1;
    return textbuf_put(t, "}", 1);
}

/* The optional "max_seats_per_customer": absent or null is no cap (0). */
static int
shows_cap_or_reply(json_object *body, int64_t *cap, struct response *res)
{
    json_object *v;

    *cap = 0;
    if (!json_object_object_get_ex(body, "max_seats_per_customer", &v)
        || v == NULL)
        return 0;
    return json_field_int_or_reply(body, "max_seats_per_customer", 1,
        SHOWS_SEATS_MAX, cap, res);
}

/* start_time: RFC 3339 with a zone, strictly in the future. */
static int
shows_start_time_or_reply(json_object *body, int64_t *start_us,
    struct response *res)
{
    json_object   *v;
    struct timeval now;

    if (!json_object_object_get_ex(body, "start_time", &v) || v == NULL) {
        response_error(res, 400, "missing_field", "start_time",
            "field \"start_time\" is required");
        return -1;
    }
    if (!json_object_is_type(v, json_type_string)) {
        response_error(res, 400, "invalid_type", "start_time",
            "field \"start_time\" must be a string");
        return -1;
    }
    if (rfc3339_parse(json_object_get_string(v), start_us) < 0) {
        response_error(res, 400, "invalid_value", "start_time",
            "field \"start_time\" must be an RFC 3339 timestamp with a time "
            "zone, such as 2026-03-20T18:00:00Z");
        return -1;
    }
    gettimeofday(&now, NULL);
    if (*start_us <= (int64_t) now.tv_sec * 1000000 + now.tv_usec) {
        response_error(res, 400, "invalid_value", "start_time",
            "field \"start_time\" must be in the future");
        return -1;
    }
    return 0;
}

/*
 * POST /admin/show {"name","start_time","total_seats"} -> 201; any other
 * member is 400 unknown_field.
 */
void
shows_create(struct handler_ctx *ctx)
{
    struct response *res = ctx->res;
    json_object     *body = NULL, *answer;
    struct db_show   show;
    struct idempotency idem;
    const char      *name;
    char            *canon = NULL;
    json_object     *layout = NULL;
    int64_t          start_us, seats, cap;
    enum db_status   st;

    if (auth_admin_or_reply(ctx->req, ctx->cfg, res) < 0)
        goto out;
    if ((body = json_body_parse_or_reply(ctx->req, res)) == NULL
        || json_fields_known_or_reply(body, show_fields, res) < 0
        || json_field_string_or_reply(body, "name", SHOWS_NAME_MAX, &name,
                                      res) < 0
        || shows_start_time_or_reply(body, &start_us, res) < 0
        || shows_seats_or_reply(body, &seats, &layout, res) < 0
        || shows_cap_or_reply(body, &cap, res) < 0)
        goto out;
    /* a retry is the same request if its body holds the same values */
    if ((canon = json_canonical(body)) == NULL) {
        route_reply_db_failure(ctx, DB_ERROR);
        goto out;
    }
    if (idempotency_key_or_reply(ctx->req, "admin",
            ctx->cfg->secret_key, canon, &idem, res) < 0)
        goto out;

    st = db_show_create(ctx->db, &idem.db, name, start_us, seats,
        layout != NULL ? json_object_to_json_string_ext(layout,
                             JSON_C_TO_STRING_PLAIN) : NULL, cap, &show);
    idempotency_reply(res, &idem);
    if (st == DB_KEY_REUSED) {
        response_error(res, 422, "idempotency_key_reused", NULL,
            "this Idempotency-Key was used with a different request");
        goto out;
    }
    if (st != DB_OK) {
        route_reply_db_failure(ctx, st);
        goto out;
    }
    answer = json_object_new_object();
    json_object_object_add(answer, "message",
        json_object_new_string("Show created successfully"));
    json_object_object_add(answer, "show", emit_show_created(&show));
    response_json(res, 201, answer);
    response_header(res, "Location: /shows/%lld", (long long) show.id);

out:
    json_object_put(layout);
    free(canon);
    json_object_put(body);
}

/*
 * A show's seats: "total_seats" (general admission), or "seating" (a
 * seated show, docs/seating.md), whose normalized layout goes to
 * *layout and whose seat count is the total. One of the two, never
 * both. Returns 0, or -1 after answering.
 */
static int
shows_seats_or_reply(json_object *body, int64_t *seats, json_object **layout,
    struct response *res)
{
    json_object *v;

    *layout = NULL;
    if (!json_object_object_get_ex(body, "seating", &v) || v == NULL)
        return json_field_int_or_reply(body, "total_seats", 1,
                                       SHOWS_SEATS_MAX, seats, res);
    if (json_object_object_get_ex(body, "total_seats", &v) && v != NULL) {
        response_error(res, 400, "invalid_value", "total_seats",
            "give total_seats or seating, not both: a seated show's total "
            "is its seats");
        return -1;
    }
    json_object_object_get_ex(body, "seating", &v);
    *layout = seating_normalize(v, seats, res);
    return *layout != NULL ? 0 : -1;
}

/* GET /shows/{id} -> 200 or 404. */
void
shows_get(struct handler_ctx *ctx)
{
    struct db_show show;
    enum db_status st = db_show_get(ctx->db, ctx->id, &show);

    if (st == DB_NOT_FOUND) {
        response_error(ctx->res, 404, "show_not_found", NULL,
            "no show has this id");
        return;
    }
    if (st != DB_OK) {
        route_reply_db_failure(ctx, st);
        return;
    }
    ctx->text->len = 0;
    if (shows_write(ctx->text, &show) < 0) {
        route_reply_db_failure(ctx, DB_ERROR);
        return;
    }
    response_text(ctx->res, 200, "application/json", ctx->text->buf,
        ctx->text->len);
}

/*
 * A page cursor is "<start µs>_<id>" of the last show on the previous
 * page: opaque to clients, exact for the keyset (start_time, id) > cursor.
 * The instant must be one a show can have (years 1..9999).
 */
int
shows_cursor_parse(const char *s, int64_t *start_us, int64_t *id)
{
    char *end;

    if (*s != '-' && (*s < '0' || *s > '9'))
        return -1;
    errno = 0;
    *start_us = strtoll(s, &end, 10);
    if (end == s || *end != '_' || errno != 0
        || *start_us < RFC3339_US_MIN || *start_us > RFC3339_US_MAX)
        return -1;
    s = end + 1;
    return route_parse_id(s, strlen(s), id);
}

static int
shows_list_params_or_reply(const char *query, int *limit, int *has_cursor,
    int64_t *start_us, int64_t *id, struct response *res)
{
    char  buf[64], *end;
    long  v;
    int   found;

    *limit = SHOWS_LIMIT_DEFAULT;
    found = query_get(query, "limit", buf, sizeof(buf));
    if (found != 0) {
        errno = 0;
        v = found > 0 ? strtol(buf, &end, 10) : 0;
        if (found < 0 || buf[0] < '0' || buf[0] > '9' || *end != '\0'
            || errno != 0 || v < 1 || v > SHOWS_LIMIT_MAX) {
            response_error(res, 400, "invalid_value", "limit",
                "query parameter \"limit\" must be an integer from 1 to 1000");
            return -1;
        }
        *limit = (int) v;
    }
    found = query_get(query, "cursor", buf, sizeof(buf));
    *has_cursor = found > 0;
    if (found < 0 || (found > 0 && shows_cursor_parse(buf, start_us, id) < 0)) {
        response_error(res, 400, "invalid_value", "cursor",
            "query parameter \"cursor\" is not a cursor this service issued");
        return -1;
    }
    return 0;
}

static int
shows_page_add(const struct db_show *show, void *arg)
{
    struct shows_page *page = arg;

    if (page->count == page->limit) {
        page->more = 1;
        return 1;
    }
    if ((page->count > 0 && textbuf_put(page->t, ",", 1) < 0)
        || shows_write(page->t, show) < 0) {
        page->failed = 1;
        return 1;
    }
    page->count++;
    page->last_start_us = show->start_us;
    page->last_id = show->id;
    return 0;
}

/*
 * GET /shows?limit=&cursor= -> 200 and an array ordered by start time,
 * then id. A page with more after it carries Link: <...>; rel="next".
 */
void
shows_list(struct handler_ctx *ctx)
{
    struct shows_page page = { ctx->text, 0, 0, 0, 0, 0, 0 };
    int64_t           start_us = 0, id = 0;
    int               limit, has_cursor;
    enum db_status    st;

    if (shows_list_params_or_reply(ctx->req->query, &limit, &has_cursor,
                                   &start_us, &id, ctx->res) < 0)
        return;
    page.limit = limit;
    page.t->len = 0;
    if (textbuf_put(page.t, "[", 1) < 0) {
        route_reply_db_failure(ctx, DB_ERROR);
        return;
    }
    /* One row more than asked tells whether a next page exists. */
    st = db_show_list(ctx->db, has_cursor, start_us, id, limit + 1,
        shows_page_add, &page);
    if (st == DB_OK && (page.failed || textbuf_put(page.t, "]", 1) < 0))
        st = DB_ERROR;
    if (st != DB_OK) {
        route_reply_db_failure(ctx, st);
        return;
    }
    response_text(ctx->res, 200, "application/json", page.t->buf, page.t->len);
    if (page.more)
        response_header(ctx->res, "Link: </shows?limit=%d&cursor=%lld_%lld>; "
            "rel=\"next\"", limit, (long long) page.last_start_us,
            (long long) page.last_id);
}
