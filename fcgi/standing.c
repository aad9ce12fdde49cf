/* A booking's standing places: POST /book's "standing" member. */

#include "standing.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "seating.h"

static int standing_fail(struct response *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 400 invalid_value at "standing" with the formatted message; -1. */
static int
standing_fail(struct response *res, const char *fmt, ...)
{
    char    msg[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    response_error(res, 400, "invalid_value", "standing", msg);
    return -1;
}

int
standing_places_or_reply(json_object *body, const char **json,
    int64_t *places, struct response *res)
{
    json_object *obj = NULL;
    int64_t      n;
    size_t       len;

    *json = NULL;
    *places = 0;
    if (!json_object_object_get_ex(body, "standing", &obj) || obj == NULL)
        return 0;
    if (!json_object_is_type(obj, json_type_object)
        || json_object_object_length(obj) < 1
        || json_object_object_length(obj) > SEATING_STANDING_MAX)
        return standing_fail(res, "field \"standing\" must be an object of "
            "1 to %d standing areas' names, each with the places wanted "
            "there: {\"Floor\": 2}", SEATING_STANDING_MAX);
    json_object_object_foreach(obj, name, v) {
        len = strlen(name);
        if (len < 1 || len > SEATING_NAME_MAX)
            return standing_fail(res, "a standing area's name is 1 to %d "
                "characters", SEATING_NAME_MAX);
        n = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || n < 1
            || n > SEATING_SEATS_MAX)
            return standing_fail(res, "the places wanted in \"%s\" must be "
                "a whole number from 1 to %d", name, SEATING_SEATS_MAX);
        *places += n;
    }
    *json = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
    return 0;
}
