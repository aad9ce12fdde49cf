/* GET /metrics (the pool's counters, for Prometheus) and GET /openapi.json. */

#include "observe.h"

#include "metrics.h"
#include "scoreboard.h"

#define OBSERVE_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

/*
 * The pool's totals, in a text buffer the worker keeps between scrapes
 * (it must outlive the answer, which only points at it).
 */
void
observe_metrics(struct handler_ctx *ctx)
{
    struct metrics      sum;
    struct metrics_pool pool;
    struct textbuf *t = ctx->text;
    int64_t             expired = -1;

    if (ctx->board == NULL || t == NULL) {
        response_error(ctx->res, 503, "metrics_unavailable", NULL,
            "metrics are kept by the master's worker pool only");
        return;
    }
    /* booking-expire's count lives in the database; without it the
     * series is left out of this scrape rather than failing it, and a
     * connection known down is not waited for */
    if (!db_connected(ctx->db)
        || db_expire_totals(ctx->db, &expired) != DB_OK)
        expired = -1;
    if (scoreboard_sum(ctx->board, &sum, &pool) < 0) {
        response_error(ctx->res, 503, "metrics_unavailable", NULL,
            "the counters are being updated; retry");
        response_header(ctx->res, "Retry-After: 1");
        return;
    }
    if (metrics_render(t, &sum, &pool, expired) < 0) {
        response_error(ctx->res, 500, "internal_error", NULL,
            "an internal error occurred");
        return;
    }
    response_text(ctx->res, 200, OBSERVE_TYPE_METRICS, t->buf, t->len);
}

void
observe_openapi(struct handler_ctx *ctx)
{
    response_text(ctx->res, 200, "application/json",
        (const char *) openapi_doc, openapi_doc_len);
}
