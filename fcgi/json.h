#ifndef FCGI_JSON_H
#define FCGI_JSON_H

/* Strict JSON request bodies and typed field access that answers 400 itself. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "request.h"

#define JSON_DEPTH_MAX 16      /* levels of nested objects and arrays */
#define JSON_NAME_SHOWN 64     /* bytes of an unknown member's name quoted */

json_object *json_body_parse_or_reply(const struct request *req,
    struct response *res);
int json_body_empty_or_reply(const struct request *req, struct response *res);
int json_fields_known_or_reply(json_object *obj, const char *const *known,
    struct response *res);
int json_field_int_or_reply(json_object *obj, const char *field,
    int64_t min, int64_t max, int64_t *out, struct response *res);
int json_field_string_or_reply(json_object *obj, const char *field,
    size_t max_chars, const char **out, struct response *res);
int json_content_type_is_json(const char *content_type);
void json_put_new(json_object *obj, const char *literal_key,
    json_object *value);

#endif
