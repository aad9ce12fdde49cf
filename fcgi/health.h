#ifndef FCGI_HEALTH_H
#define FCGI_HEALTH_H

#include "route.h"

void health_get(struct handler_ctx *ctx);

#endif
