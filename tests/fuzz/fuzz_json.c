/* Fuzzes request bodies: jsoncheck, json_body_parse_or_reply, field readers. */

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

/* The fields the /book and /admin/show handlers read, with their ranges. */
static void
fuzz_json_fields(json_object *obj)
{
    static const char *const ints[] = { "show_id", "seat_count",
                                        "total_seats" };
    struct response          res;
    const char              *s;
    int64_t                  n;
    size_t                   i;

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
    free(body);
    return 0;
}
