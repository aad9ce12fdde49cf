#ifndef FCGI_SEATADMIN_H
#define FCGI_SEATADMIN_H

/* Admin routes of a seated show's seats: block and unblock them. */

#include "route.h"

void seatadmin_block(struct handler_ctx *ctx);
void seatadmin_unblock(struct handler_ctx *ctx);

#endif
