#ifndef FCGI_CHANNELS_H
#define FCGI_CHANNELS_H

/* Handlers of channel keys (admin): create one (its key shown once), list, revoke. */

#include "route.h"

void channels_create(struct handler_ctx *ctx);
void channels_list(struct handler_ctx *ctx);
void channels_revoke(struct handler_ctx *ctx);

#endif
