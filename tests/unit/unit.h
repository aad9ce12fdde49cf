#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

/* What the JSON unit tests share: reading and asserting the error answer. */

#include <json-c/json.h>

#include "request.h"

/* res->body[key] as a string, or NULL when absent. */
static inline const char *
body_get(const struct response *res, const char *key)
{
    json_object *v;

    if (res->body == NULL || !json_object_object_get_ex(res->body, key, &v))
        return NULL;
    return json_object_get_string(v);
}

/* res holds the error answer {status, "error": code, "field": field}. */
#define ASSERT_ERROR(res, st, code, fld) do {                            \
        assert_int_equal((res)->status, (st));                           \
        assert_non_null(body_get((res), "error"));                       \
        assert_string_equal(body_get((res), "error"), (code));           \
        assert_non_null(body_get((res), "message"));                     \
        if ((fld) == NULL) {                                             \
            assert_null(body_get((res), "field"));                       \
        } else {                                                         \
            assert_non_null(body_get((res), "field"));                   \
            assert_string_equal(body_get((res), "field"), (fld));        \
        }                                                                \
    } while (0)

#endif
