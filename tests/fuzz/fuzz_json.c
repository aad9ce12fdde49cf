/* Fuzzes request bodies: jsoncheck, body parsing, unknown members, field readers. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* -Ifcgi comes first: json-c ships a json.h of its own. */
#include "json.h"
#include "jsoncheck.h"
#include "request.h"
#include "rfc3339.h"

#include "fuzz.h"

static void fuzz_json_fields(json_object *obj);
static void fuzz_json_answer(const struct response *res, int answered);

/*
 * A helper that says whether it answered must have done so exactly then,
 * and its answer must be JSON that the service itself would take (valid
 * UTF-8 too, though it may quote a cut name from the body).
 */
static void
fuzz_json_answer(const struct response *res, int answered)
{
    const char *out;
    char        why[JSONCHECK_WHY_MAX];
    size_t      len;

    if (answered != (res->body != NULL))
        abort();
    if (res->body == NULL)
        return;
    out = json_object_to_json_string_length(res->body,
        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (jsoncheck_object(out, len, 2, why, sizeof(why)) < 0)
        abort();
}

/* The fields the /book and /admin/show handlers read, with their ranges. */
static void
fuzz_json_fields(json_object *obj)
{
    static const char *const ints[] = { "show_id", "seat_count",
                                        "total_seats" };
    static const char *const known[] = { "show_id", "seat_count", "hold",
                                         NULL };
    struct response          res;
    const char              *s;
    int64_t                  n;
    size_t                   i;

    response_init(&res);
    fuzz_json_answer(&res, json_fields_known_or_reply(obj, known, &res) < 0);
    response_cleanup(&res);
    for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        response_init(&res);
        if (json_field_int_or_reply(obj, ints[i], 1, INT64_MAX - 1, &n,
                                    &res) == 0 && (n < 1 || n == INT64_MAX))
            abort();
        response_cleanup(&res);
    }
    response_init(&res);
    if (json_field_string_or_reply(obj, "name", 200, &s, &res) == 0
        && (s[0] == '\0' || strlen(s) > 200 * 4))
        abort();
    response_cleanup(&res);
    response_init(&res);
    if (json_field_string_or_reply(obj, "start_time", 64, &s, &res) == 0)
        (void) rfc3339_parse(s, &n);
    response_cleanup(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request  req;
    struct response res;
    json_object    *obj;
    char            why[JSONCHECK_WHY_MAX];
    char           *body;

    /* The exact bytes, unterminated, so any read past the end is caught. */
    (void) jsoncheck_object((const char *) data, size, 2, why, sizeof(why));

    body = fuzz_cstring_new(data, size);
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/book";
    req.query = "";
    req.content_type = "application/json; charset=utf-8";
    req.request_id = "fuzz";
    req.body = body;
    req.body_len = size;
    req.body_too_large = size > REQUEST_BODY_MAX;
    response_init(&res);
    obj = json_body_parse_or_reply(&req, &res);
    /* NULL always comes with an error answer, an object never does. */
    if ((obj == NULL) != (res.body != NULL))
        abort();
    if (obj != NULL)
        fuzz_json_fields(obj);
    json_object_put(obj);
    response_cleanup(&res);
    /* the same bytes as the body of a confirm or cancel */
    response_init(&res);
    fuzz_json_answer(&res, json_body_empty_or_reply(&req, &res) < 0);
    response_cleanup(&res);
    free(body);
    return 0;
}
