#ifndef FCGI_IDEMPOTENCY_H
#define FCGI_IDEMPOTENCY_H

/* The Idempotency-Key header of a write: checked, and tied to its request. */

#include <stddef.h>

#include "db.h"
#include "request.h"

#define IDEMPOTENCY_KEY_MAX  255
#define IDEMPOTENCY_LINE_MAX 300

int idempotency_key_or_reply(const struct request *req, const char *body,
    struct db_idem *idem, char *line, size_t line_size,
    struct response *res);
void idempotency_reply(struct response *res, const struct db_idem *idem);

#endif
