/* The Idempotency-Key header of a write: checked, and tied to its request. */

#include "idempotency.h"

#include <stdio.h>
#include <string.h>

/*
 * Fill idem from the request: its key (NULL when the header is absent)
 * and what fingerprints the request, "METHOD /path" in line plus body.
 * A key must be 1 to 255 printable ASCII characters (space included);
 * anything else answers 400. Returns 0, or -1 after answering.
 */
int
idempotency_key_or_reply(const struct request *req, const char *body,
    struct db_idem *idem, char *line, size_t line_size,
    struct response *res)
{
    const char *key = req->idempotency_key;
    size_t      len, i;

    memset(idem, 0, sizeof(*idem));
    if (key == NULL)
        return 0;
    len = strlen(key);
    for (i = 0; i < len && key[i] >= ' ' && key[i] <= '~'; i++)
        ;
    if (len == 0 || len > IDEMPOTENCY_KEY_MAX || i != len) {
        response_error(res, 400, "invalid_idempotency_key", NULL,
            "the Idempotency-Key header must be 1 to 255 printable ASCII "
            "characters");
        return -1;
    }
    snprintf(line, line_size, "%s %s", req->method, req->path);
    idem->key = key;
    idem->request = line;
    idem->body = body;
    return 0;
}

/* After the write ran: a replay says so in a header. */
void
idempotency_reply(struct response *res, const struct db_idem *idem)
{
    if (idem->replayed)
        response_header(res, "Idempotent-Replayed: true");
}
