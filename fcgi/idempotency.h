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
#define IDEMPOTENCY_PAD_LEN     32      /* a token's random bytes */
#define IDEMPOTENCY_BOX_LEN     48      /* a sealed token and its check */
#define IDEMPOTENCY_SCOPE_MAX   80

struct idempotency {
    struct db_idem db;                      /* what the database takes */
    char     key[IDEMPOTENCY_STORED_LEN + 1];
    uint8_t  pad[IDEMPOTENCY_PAD_LEN];      /* seals a token for a retry */
    uint8_t  legacy_pad[IDEMPOTENCY_PAD_LEN];   /* the previous release's */
    char     line[IDEMPOTENCY_LINE_MAX];    /* "METHOD /path" */
};

void idempotency_scope(const struct request *req,
    const struct db_owner *owner, char *buf, size_t size);
int idempotency_key_or_reply(const struct request *req, const char *scope,
    const uint8_t *secret, const char *body, struct idempotency *idem,
    struct response *res);
size_t idempotency_seal(const struct idempotency *idem, const uint8_t *raw,
    uint8_t *box);
int idempotency_open(const struct idempotency *idem, const uint8_t *box,
    size_t len, uint8_t *raw);
void idempotency_reply(struct response *res, const struct idempotency *idem);

#endif
