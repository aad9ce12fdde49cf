/* GET /shows/{id}/seats: a seated show's layout and its seats' live states. */

#include "seatmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"
#include "sha256.h"

#define SEATMAP_ETAG_MAX 40

/*
 * 200 {"show_id", "layout", "states", "standing"}: the layout as stored
 * (it never changes), one character a seat (f free, h held, s sold, b
 * blocked), and each standing area's capacity and free places ([{"name",
 * "capacity", "free"}], [] without areas), exact at this moment
 * (docs/seating.md, "The map's states"). The body is written, not built
 * with json-c: its parts come from the database as JSON and as a string
 * of four letters, and a stadium's layout would be parsed only to be
 * printed again. ETag: a digest of the states and the areas' places; a
 * poll that sends it back in If-None-Match while nothing changed gets
 * 304.
 * 404 not_found, or not_seated for a show sold by count.
 */
void
seatmap_get(struct handler_ctx *ctx)
{
    struct textbuf *t = ctx->text;   /* the worker's buffer */
    char                *layout, *states, *standing, head[64];
    char                 etag[SEATMAP_ETAG_MAX];
    uint8_t              digest[SHA256_LEN];
    struct sha256_ctx    sha;
    enum db_status       st;
    int                  i, n;

    st = db_seat_map(ctx->db, ctx->id, &layout, &states, &standing);
    if (st == DB_NOT_FOUND) {
        response_error(ctx->res, 404, "not_found", NULL, "no show has this id");
        return;
    }
    if (st != DB_OK) {
        route_reply_db_failure(ctx, st);
        return;
    }
    if (layout == NULL) {
        response_error(ctx->res, 404, "not_seated", NULL,
            "this show is sold by count: it has no seat map");
        return;
    }
    sha256_init(&sha);
    sha256_update(&sha, states, strlen(states));
    sha256_update(&sha, standing, strlen(standing));
    sha256_final(&sha, digest);
    n = snprintf(etag, sizeof(etag), "\"s");
    for (i = 0; i < 16; i++)
        n += snprintf(etag + n, sizeof(etag) - (size_t) n, "%02x", digest[i]);
    snprintf(etag + n, sizeof(etag) - (size_t) n, "\"");
    if (ctx->req->if_none_match != NULL
        && strstr(ctx->req->if_none_match, etag) != NULL) {
        response_text(ctx->res, 304, "application/json", "", 0);
        response_header(ctx->res, "ETag: %s", etag);
        goto out;
    }
    t->len = 0;
    n = snprintf(head, sizeof(head), "{\"show_id\":%lld,\"layout\":",
        (long long) ctx->id);
    if (textbuf_put(t, head, (size_t) n) < 0
        || textbuf_put(t, layout, strlen(layout)) < 0
        || textbuf_put(t, ",\"states\":\"", 11) < 0
        || textbuf_put(t, states, strlen(states)) < 0
        || textbuf_put(t, "\",\"standing\":", 13) < 0
        || textbuf_put(t, standing, strlen(standing)) < 0
        || textbuf_put(t, "}", 1) < 0) {
        route_reply_db_failure(ctx, DB_ERROR);
        goto out;
    }
    response_text(ctx->res, 200, "application/json", t->buf, t->len);
    response_header(ctx->res, "ETag: %s", etag);

out:
    free(layout);
    free(states);
    free(standing);
}
