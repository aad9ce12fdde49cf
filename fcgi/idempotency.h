#ifndef FCGI_IDEMPOTENCY_H
#define FCGI_IDEMPOTENCY_H

/* The Idempotency-Key header of a write: checked, scoped to its client, tied to its request. */

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "request.h"

#define IDEMPOTENCY_KEY_MAX     255
#define IDEMPOTENCY_LINE_MAX    300
#define IDEMPOTENCY_STORED_LEN  (3 + 64)    /* "k2:" and a hex SHA-256 */
#define IDEMPOTENCY_PAD_LEN     32
#define IDEMPOTENCY_SCOPE_MAX   80

struct idempotency {
    struct db_idem db;                      /* what the database takes */
    char     key[IDEMPOTENCY_STORED_LEN + 1];
    uint8_t  pad[IDEMPOTENCY_PAD_LEN];      /* seals a token for a retry */
    char     line[IDEMPOTENCY_LINE_MAX];    /* "METHOD /path" */
};

void idempotency_scope(const struct request *req,
    const struct db_owner *owner, char *buf, size_t size);
int idempotency_key_or_reply(const struct request *req, const char *scope,
    const char *body, struct idempotency *idem, struct response *res);
void idempotency_reply(struct response *res, const struct idempotency *idem);

#endif
