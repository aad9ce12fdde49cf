/* The Idempotency-Key header of a write: checked, scoped to its client, tied to its request. */

#include "idempotency.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sha256.h"

static void idempotency_digest(const uint8_t *secret, const char *label,
    const char *scope, const char *key, uint8_t out[SHA256_LEN]);
static void idempotency_addr(const char *addr, char *buf, size_t size);

/*
 * The digest of label, scope and key, each ended by a newline: their
 * SHA-256, or with secret (SHA256_LEN bytes) their HMAC-SHA256.
 */
static void
idempotency_digest(const uint8_t *secret, const char *label,
    const char *scope, const char *key, uint8_t out[SHA256_LEN])
{
    char msg[32 + IDEMPOTENCY_SCOPE_MAX + IDEMPOTENCY_KEY_MAX + 3];
    int  n;

    n = snprintf(msg, sizeof(msg), "%s\n%s\n%s\n", label, scope, key);
    if (n < 0 || (size_t) n >= sizeof(msg))
        n = 0;      /* cannot happen: each part is bounded */
    if (secret != NULL)
        hmac_sha256(secret, SHA256_LEN, msg, (size_t) n, out);
    else
        sha256(msg, (size_t) n, out);
}

/*
 * Fill idem from the request: its key (absent: idem->db.key is NULL) and
 * what fingerprints the request, "METHOD /path" plus body. scope names
 * the client the key belongs to ("admin", "addr 192.0.2.1", ...): the key
 * is stored as "k2:" and the hex SHA-256 of scope and key, so that two
 * clients' equal keys never meet, and a dump of the database shows no
 * key. From the same two, under another label and keyed with the
 * service's secret (config.secret_key), comes idem->pad, which seals a
 * new booking's token for a retry (idempotency_seal): only a client that
 * sends the key again can open it, and a dump of the database without
 * the secret cannot, even for a key that is easy to guess. The stored
 * key needs no secret: it opens nothing, and a replay answers only the
 * client of the scope. The key as sent is kept as the
 * legacy key, which the previous release stored in clear. A key must be
 * 1 to 255 printable ASCII characters (space included); anything else
 * answers 400. Returns 0, or -1 after answering.
 */
int
idempotency_key_or_reply(const struct request *req, const char *scope,
    const uint8_t *secret, const char *body, struct idempotency *idem,
    struct response *res)
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
    idempotency_digest(NULL, "key", scope, key, digest);
    memcpy(idem->key, "k2:", 3);
    for (i = 0; i < SHA256_LEN; i++)
        snprintf(idem->key + 3 + 2 * i, 3, "%02x", digest[i]);
    idempotency_digest(secret, "token box", scope, key, idem->pad);
    idempotency_digest(NULL, "token box", scope, key, idem->legacy_pad);
    snprintf(idem->line, sizeof(idem->line), "%s %s", req->method, req->path);
    idem->db.key = idem->key;
    idem->db.legacy_key = key;
    idem->db.request = idem->line;
    idem->db.body = body;
    return 0;
}

/*
 * An anonymous client's address as the caps count it: an IPv6 address
 * by its /64, which one subscriber holds whole (else it could take a new
 * address, and new caps, for every request); anything else as it is.
 */
static void
idempotency_addr(const char *addr, char *buf, size_t size)
{
    struct in6_addr a6;
    char            text[INET6_ADDRSTRLEN];

    if (addr != NULL && inet_pton(AF_INET6, addr, &a6) == 1
        && !IN6_IS_ADDR_V4MAPPED(&a6)) {
        memset(a6.s6_addr + 8, 0, 8);
        inet_ntop(AF_INET6, &a6, text, sizeof(text));
        snprintf(buf, size, "%s/64", text);
        return;
    }
    snprintf(buf, size, "%.64s", addr != NULL ? addr : "-");
}

/*
 * The client a key belongs to: the admin, a channel (by its key's hash),
 * or the address nginx saw for an anonymous client (an IPv6 one by its
 * /64), which the anonymous caps count by too. (A proxy in front of
 * nginx must be named in its set_real_ip_from, or every client behind it
 * shares one address.) buf takes IDEMPOTENCY_SCOPE_MAX bytes.
 */
void
idempotency_scope(const struct request *req, const struct db_owner *owner,
    char *buf, size_t size)
{
    char   addr[72];        /* 64 characters of an address, or "/64" */
    size_t i;

    if (owner->admin) {
        snprintf(buf, size, "admin");
    } else if (owner->channel) {
        snprintf(buf, size, "key ");
        for (i = 0; i < DB_HASH_LEN && 4 + 2 * i + 2 < size; i++)
            snprintf(buf + 4 + 2 * i, 3, "%02x", owner->channel_hash[i]);
    } else {
        idempotency_addr(req->remote_addr, addr, sizeof(addr));
        snprintf(buf, size, "addr %s", addr);
    }
}

/* After the write ran: a replay says so in a header. */
void
idempotency_reply(struct response *res, const struct idempotency *idem)
{
    if (idem->db.replayed)
        response_header(res, "Idempotent-Replayed: true");
}

/*
 * A new booking's token (raw, TOKEN_RAW_LEN bytes) sealed for a retry
 * into box: the token under the pad, then a check (the first half of
 * the HMAC of the token under the pad), so that a retry that opens it
 * with another pad (the secret changed since) gets no token rather than
 * a wrong one. Returns the box's length, IDEMPOTENCY_BOX_LEN.
 */
size_t
idempotency_seal(const struct idempotency *idem, const uint8_t *raw,
    uint8_t *box)
{
    uint8_t check[SHA256_LEN];
    size_t  i;

    for (i = 0; i < IDEMPOTENCY_PAD_LEN; i++)
        box[i] = raw[i] ^ idem->pad[i];
    hmac_sha256(idem->pad, IDEMPOTENCY_PAD_LEN, raw, IDEMPOTENCY_PAD_LEN,
        check);
    memcpy(box + IDEMPOTENCY_PAD_LEN, check,
        IDEMPOTENCY_BOX_LEN - IDEMPOTENCY_PAD_LEN);
    return IDEMPOTENCY_BOX_LEN;
}

/*
 * The token sealed in box (len bytes) into raw: 0, or -1 when it does
 * not open. A box of just a token under the unkeyed pad is what the
 * previous release stored; such keys are gone 24 hours after an upgrade.
 */
int
idempotency_open(const struct idempotency *idem, const uint8_t *box,
    size_t len, uint8_t *raw)
{
    uint8_t check[SHA256_LEN], diff = 0;
    size_t  i;

    if (len == IDEMPOTENCY_PAD_LEN) {
        for (i = 0; i < IDEMPOTENCY_PAD_LEN; i++)
            raw[i] = box[i] ^ idem->legacy_pad[i];
        return 0;
    }
    if (len != IDEMPOTENCY_BOX_LEN)
        return -1;
    for (i = 0; i < IDEMPOTENCY_PAD_LEN; i++)
        raw[i] = box[i] ^ idem->pad[i];
    hmac_sha256(idem->pad, IDEMPOTENCY_PAD_LEN, raw, IDEMPOTENCY_PAD_LEN,
        check);
    for (i = 0; i < IDEMPOTENCY_BOX_LEN - IDEMPOTENCY_PAD_LEN; i++)
        diff |= check[i] ^ box[IDEMPOTENCY_PAD_LEN + i];
    return diff == 0 ? 0 : -1;
}
