#ifndef FCGI_OBSERVE_H
#define FCGI_OBSERVE_H

/* What the service shows about itself: GET /metrics, GET /openapi.json. */

#include <stddef.h>

#include "route.h"

/* api/openapi.json, compiled in by the Makefile (openapi_doc.c). */
extern const unsigned char openapi_doc[];
extern const size_t        openapi_doc_len;

void observe_metrics(struct handler_ctx *ctx);
void observe_openapi(struct handler_ctx *ctx);

#endif
