/* GET /health: does this worker's database connection answer, and the pool's? */

#include "health.h"

#include <string.h>

#include "scoreboard.h"

/*
 * 200 {"status":"ok"} when this worker's connection answers and its
 * server takes writes, and every worker has a connection; 200
 * {"status":"degraded","workers":N,"connected":M} when some have none
 * (they leave new requests to the others: the host still serves, so a
 * load balancer keeps it); 503 when this worker cannot serve (which it
 * answers only when no worker can: one without a connection takes no new
 * request while another has one).
 */
void
health_get(struct handler_ctx *ctx)
{
    json_object         *body;
    struct scoreboard_counts c;
    enum db_status       st = db_ping(ctx->db);

    if (st != DB_OK) {
        route_reply_db_failure(ctx, st == DB_ERROR ? DB_UNAVAILABLE : st);
        return;
    }
    body = json_object_new_object();
    memset(&c, 0, sizeof(c));
    if (ctx->board != NULL)
        scoreboard_count(ctx->board, &c);
    /* workers starting or leaving (a reload) are not judged */
    if (c.serving_ready < c.serving) {
        json_object_object_add(body, "status",
            json_object_new_string("degraded"));
        json_object_object_add(body, "workers", json_object_new_int(c.serving));
        json_object_object_add(body, "connected",
            json_object_new_int(c.serving_ready));
    } else {
        json_object_object_add(body, "status", json_object_new_string("ok"));
    }
    response_json(ctx->res, 200, body);
}
