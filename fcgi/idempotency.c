/* The Idempotency-Key header of a write: checked, scoped to its client, tied to its request. */

#include "idempotency.h"

#include <stdio.h>
#include <string.h>

#include "sha256.h"

static void idempotency_digest(const char *label, const char *scope,
    const char *key, uint8_t out[SHA256_LEN]);

/* SHA-256 of label, scope and key, each ended by a newline. */
static void
idempotency_digest(const char *label, const char *scope, const char *key,
    uint8_t out[SHA256_LEN])
{
    struct sha256_ctx ctx;

    sha256_init(&ctx);
    sha256_update(&ctx, label, strlen(label));
    sha256_update(&ctx, "\n", 1);
    sha256_update(&ctx, scope, strlen(scope));
    sha256_update(&ctx, "\n", 1);
    sha256_update(&ctx, key, strlen(key));
    sha256_update(&ctx, "\n", 1);
    sha256_final(&ctx, out);
}

/*
 * Fill idem from the request: its key (absent: idem->db.key is NULL) and
 * what fingerprints the request, "METHOD /path" plus body. scope names
 * the client the key belongs to ("admin", "addr 192.0.2.1", ...): the key
 * is stored as "k2:" and the hex SHA-256 of scope and key, so that two
 * clients' equal keys never meet, and a dump of the database shows no
 * key. From the same two, under another label, comes idem->pad, which
 * seals a new booking's token for a retry (db_owner.box): only a client
 * that sends the key again can open it. The key as sent is kept as the
 * legacy key, which the previous release stored in clear. A key must be
 * 1 to 255 printable ASCII characters (space included); anything else
 * answers 400. Returns 0, or -1 after answering.
 */
int
idempotency_key_or_reply(const struct request *req, const char *scope,
    const char *body, struct idempotency *idem, struct response *res)
{
    const char *key = req->idempotency_key;
    uint8_t     digest[SHA256_LEN];
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
    idempotency_digest("key", scope, key, digest);
    memcpy(idem->key, "k2:", 3);
    for (i = 0; i < SHA256_LEN; i++)
        snprintf(idem->key + 3 + 2 * i, 3, "%02x", digest[i]);
    idempotency_digest("token box", scope, key, idem->pad);
    snprintf(idem->line, sizeof(idem->line), "%s %s", req->method, req->path);
    idem->db.key = idem->key;
    idem->db.legacy_key = key;
    idem->db.request = idem->line;
    idem->db.body = body;
    return 0;
}

/*
 * The client a key belongs to: the admin, a channel (by its key's hash),
 * or the address nginx saw for an anonymous client. (A proxy in front of
 * nginx must be named in its set_real_ip_from, or every client behind it
 * shares one address.) buf takes IDEMPOTENCY_SCOPE_MAX bytes.
 */
void
idempotency_scope(const struct request *req, const struct db_owner *owner,
    char *buf, size_t size)
{
    size_t i;

    if (owner->admin) {
        snprintf(buf, size, "admin");
    } else if (owner->channel) {
        snprintf(buf, size, "key ");
        for (i = 0; i < DB_HASH_LEN && 4 + 2 * i + 2 < size; i++)
            snprintf(buf + 4 + 2 * i, 3, "%02x", owner->channel_hash[i]);
    } else {
        snprintf(buf, size, "addr %.64s",
            req->remote_addr != NULL ? req->remote_addr : "-");
    }
}

/* After the write ran: a replay says so in a header. */
void
idempotency_reply(struct response *res, const struct idempotency *idem)
{
    if (idem->db.replayed)
        response_header(res, "Idempotent-Replayed: true");
}
