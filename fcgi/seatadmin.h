#ifndef FCGI_SEATADMIN_H
#define FCGI_SEATADMIN_H

/* Admin routes of a seated show's seats: block, unblock, assign by hand. */

#include "route.h"

void seatadmin_block(struct handler_ctx *ctx);
void seatadmin_unblock(struct handler_ctx *ctx);
void seatadmin_assign(struct handler_ctx *ctx);

#endif
