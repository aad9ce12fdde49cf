/* GET /health: does this worker's database connection answer? */

#include "health.h"

void
health_get(struct handler_ctx *ctx)
{
    json_object *body;
    enum db_status st = db_ping(ctx->db);

    if (st != DB_OK) {
        route_reply_db_failure(ctx, st == DB_ERROR ? DB_UNAVAILABLE : st);
        return;
    }
    body = json_object_new_object();
    json_object_object_add(body, "status", json_object_new_string("ok"));
    response_json(ctx->res, 200, body);
}
