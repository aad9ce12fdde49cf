/* Fuzzes header values: Authorization, Idempotency-Key, Content-Type. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "db.h"
#include "idempotency.h"
#include "json.h"
#include "request.h"

#include "fuzz.h"

#define FUZZ_TOKEN "s3cret-admin-token-0123456789abcdef"

static void fuzz_headers_auth(const char *value, const char *token);
static void fuzz_headers_idempotency(const char *value);

/* auth_bearer_ok against the obvious (not constant-time) reference. */
static void
fuzz_headers_auth(const char *value, const char *token)
{
    size_t      token_len = strlen(token);
    const char *cand;
    int         want = 0;

    if (token_len > 0 && strncasecmp(value, "Bearer ", 7) == 0) {
        for (cand = value + 7; *cand == ' '; cand++)
            ;
        want = strcmp(cand, token) == 0;
    }
    if (auth_bearer_ok(value, token, token_len) != want)
        abort();
}

/*
 * A key is accepted (stored as "k2:" and 64 hex digits, the key as sent
 * kept as the legacy key) or refused with a 400 and nothing filled in.
 */
static void
fuzz_headers_idempotency(const char *value)
{
    struct request      req;
    struct response     res;
    struct idempotency *idem;
    uint8_t             secret[32];
    int                 rc;

    /* On the heap, exactly its size, so that an overflow is caught. */
    idem = malloc(sizeof(*idem));
    if (idem == NULL)
        abort();
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/bookings/9223372036854775807/confirm";
    req.query = "";
    req.request_id = "fuzz";
    req.idempotency_key = value;
    req.body = "{}";
    req.body_len = 2;
    response_init(&res);
    memset(secret, 0x5a, sizeof(secret));
    rc = idempotency_key_or_reply(&req, "addr 192.0.2.1", secret, req.body,
        idem, &res);
    if (rc == 0 && (idem->db.legacy_key != value || strlen(value) == 0
                    || strlen(value) > IDEMPOTENCY_KEY_MAX
                    || strlen(idem->db.key) != IDEMPOTENCY_STORED_LEN
                    || strncmp(idem->db.key, "k2:", 3) != 0
                    || strcmp(idem->line, "POST /bookings/9223372036854775807"
                                          "/confirm") != 0))
        abort();
    if (rc < 0 && (res.status != 400 || idem->db.key != NULL))
        abort();
    response_cleanup(&res);
    free(idem);
}

/*
 * Input: a header value, optionally "\n" and the admin token to check it
 * against (else a fixed 35-byte token).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value, *token;

    value = fuzz_cstring_new(data, size);
    token = strchr(value, '\n');
    if (token != NULL)
        *token++ = '\0';
    fuzz_headers_auth(value, token != NULL ? token : FUZZ_TOKEN);
    fuzz_headers_idempotency(value);
    (void) json_content_type_is_json(value);
    free(value);
    return 0;
}
