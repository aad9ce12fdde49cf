#ifndef FCGI_SEATMAP_H
#define FCGI_SEATMAP_H

/* GET /shows/{id}/seats: a seated show's layout and its seats' live states. */

#include "route.h"

void seatmap_get(struct handler_ctx *ctx);

#endif
