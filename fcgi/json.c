/* Strict JSON request bodies and typed field access that answers 400 itself. */

#include "json.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jsoncheck.h"

static size_t json_utf8_chars(const char *s);
static void json_name_clip(const char *name, char *buf, size_t size);

/*
 * True for "application/json", with or without parameters such as
 * "; charset=utf-8", in any letter case.
 */
int
json_content_type_is_json(const char *content_type)
{
    static const char want[] = "application/json";
    size_t            n = sizeof(want) - 1;

    if (content_type == NULL || strncasecmp(content_type, want, n) != 0)
        return 0;
    content_type += n;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    return *content_type == '\0' || *content_type == ';';
}

/*
 * Parse the request body as one JSON object: the media type must be JSON
 * (else 415), the body at most REQUEST_BODY_MAX bytes (else 413), strict
 * RFC 8259 JSON in valid UTF-8, with at most JSON_DEPTH_MAX levels of
 * objects and arrays (else 400, saying where). Returns the object (caller
 * puts it) or NULL after answering.
 */
json_object *
json_body_parse_or_reply(const struct request *req, struct response *res)
{
    struct json_tokener *tok = NULL;
    json_object         *obj = NULL;
    char                 why[JSONCHECK_WHY_MAX];

    if (req->body_too_large) {
        snprintf(why, sizeof(why), "request body exceeds %zu bytes",
            req->body_max > 0 ? req->body_max : (size_t) REQUEST_BODY_MAX);
        response_error(res, 413, "body_too_large", NULL, why);
        goto out;
    }
    if (!json_content_type_is_json(req->content_type)) {
        response_error(res, 415, "unsupported_media_type", NULL,
            "request body must be sent as Content-Type: application/json");
        goto out;
    }
    if (jsoncheck_object(req->body, req->body_len, JSON_DEPTH_MAX, why,
                         sizeof(why)) < 0) {
        response_error(res, 400, "invalid_json", NULL, why);
        goto out;
    }
    /* json-c counts the innermost value as a level too. */
    tok = json_tokener_new_ex(JSON_DEPTH_MAX + 1);
    if (tok == NULL) {
        response_error(res, 500, "internal_error", NULL, "out of memory");
        goto out;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT
        | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    obj = json_tokener_parse_ex(tok, req->body, (int) req->body_len);
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success
        || !json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        obj = NULL;
        response_error(res, 400, "invalid_json", NULL,
            "request body is not valid JSON");
    }

out:
    if (tok != NULL)
        json_tokener_free(tok);
    return obj;
}

/*
 * Copy the valid UTF-8 name into buf (size > JSON_NAME_SHOWN + 3) for a
 * message: at most JSON_NAME_SHOWN bytes, cut before a character rather
 * than inside one, with "..." when cut, so the message stays UTF-8.
 */
static void
json_name_clip(const char *name, char *buf, size_t size)
{
    size_t len = strlen(name);

    if (len <= JSON_NAME_SHOWN) {
        snprintf(buf, size, "%s", name);
        return;
    }
    len = JSON_NAME_SHOWN;
    while (len > 0 && ((unsigned char) name[len] & 0xC0) == 0x80)
        len--;
    snprintf(buf, size, "%.*s...", (int) len, name);
}

/*
 * Refuse a member of obj that known (a NULL-terminated list) does not
 * name: 400 unknown_field with "field" set to the first such member in
 * the body's order (json-c keeps members in the order they came), so
 * that a typo such as "Hold" for "hold" is answered, not ignored. Names
 * are compared exactly, case included. Returns 0, or -1 after answering.
 */
int
json_fields_known_or_reply(json_object *obj, const char *const *known,
    struct response *res)
{
    struct json_object_iterator it = json_object_iter_begin(obj);
    struct json_object_iterator end = json_object_iter_end(obj);
    const char                 *name;
    char                        msg[512], shown[JSON_NAME_SHOWN + 4];
    size_t                      i, n;

    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        name = json_object_iter_peek_name(&it);
        for (i = 0; known[i] != NULL && strcmp(known[i], name) != 0; i++)
            ;
        if (known[i] != NULL)
            continue;
        json_name_clip(name, shown, sizeof(shown));
        n = (size_t) snprintf(msg, sizeof(msg), "field \"%s\" is unknown; ",
            shown);
        if (known[0] == NULL)
            snprintf(msg + n, sizeof(msg) - n, "this request takes none");
        for (i = 0; known[i] != NULL && n < sizeof(msg); i++)
            n += (size_t) snprintf(msg + n, sizeof(msg) - n, "%s%s",
                i == 0 ? "the fields are " : ", ", known[i]);
        response_error(res, 400, "unknown_field", name, msg);
        return -1;
    }
    return 0;
}

/*
 * The body of a request that takes no fields (confirm, cancel): none at
 * all (Content-Length 0), whatever the Content-Type, or the empty object
 * {} sent as application/json. Anything else is answered as
 * json_body_parse_or_reply() answers it (413, 415, 400 invalid_json for
 * malformed JSON, an array or a scalar), or 400 unknown_field naming the
 * object's first member. Returns 0, or -1 after answering.
 */
int
json_body_empty_or_reply(const struct request *req, struct response *res)
{
    static const char *const none[] = { NULL };
    json_object             *obj;
    int                      rc;

    if (req->body_len == 0 && !req->body_too_large)
        return 0;
    if ((obj = json_body_parse_or_reply(req, res)) == NULL)
        return -1;
    rc = json_fields_known_or_reply(obj, none, res);
    json_object_put(obj);
    return rc;
}

/*
 * Read obj.field as an integer in [min, max]. Missing, null, a string, a
 * fraction or an out-of-range value answers 400 naming the field.
 */
int
json_field_int_or_reply(json_object *obj, const char *field, int64_t min,
    int64_t max, int64_t *out, struct response *res)
{
    json_object *v;
    char         msg[160];
    int64_t      n;

    if (!json_object_object_get_ex(obj, field, &v) || v == NULL) {
        snprintf(msg, sizeof(msg), "field \"%s\" is required", field);
        response_error(res, 400, "missing_field", field, msg);
        return -1;
    }
    if (!json_object_is_type(v, json_type_int)) {
        snprintf(msg, sizeof(msg), "field \"%s\" must be an integer", field);
        response_error(res, 400, "invalid_type", field, msg);
        return -1;
    }
    n = json_object_get_int64(v);
    /* json-c saturates values beyond int64 (and keeps uint64 apart). */
    if (n < min || n > max || n == INT64_MAX || n == INT64_MIN) {
        snprintf(msg, sizeof(msg), "field \"%s\" must be from %lld to %lld",
            field, (long long) min, (long long) max);
        response_error(res, 400, "out_of_range", field, msg);
        return -1;
    }
    *out = n;
    return 0;
}

/* Number of UTF-8 code points in a valid UTF-8 string. */
static size_t
json_utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char) *s & 0xC0) != 0x80)
            n++;
    return n;
}

/*
 * Read obj.field as a non-empty string of at most max_chars characters
 * with no control characters. *out points into obj.
 */
int
json_field_string_or_reply(json_object *obj, const char *field,
    size_t max_chars, const char **out, struct response *res)
{
    json_object *v;
    const char  *s;
    char         msg[160];
    size_t       i, len;

    if (!json_object_object_get_ex(obj, field, &v) || v == NULL) {
        snprintf(msg, sizeof(msg), "field \"%s\" is required", field);
        response_error(res, 400, "missing_field", field, msg);
        return -1;
    }
    if (!json_object_is_type(v, json_type_string)) {
        snprintf(msg, sizeof(msg), "field \"%s\" must be a string", field);
        response_error(res, 400, "invalid_type", field, msg);
        return -1;
    }
    s = json_object_get_string(v);
    len = (size_t) json_object_get_string_len(v);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        /* C0, DEL, and C1 (U+0080..U+009F, encoded C2 80..C2 9F) */
        if (c < 0x20 || c == 0x7f || (c == 0xC2 && i + 1 < len
                && (unsigned char) s[i + 1] >= 0x80
                && (unsigned char) s[i + 1] <= 0x9F)) {
            snprintf(msg, sizeof(msg), "field \"%s\" must not contain "
                "control characters", field);
            response_error(res, 400, "invalid_value", field, msg);
            return -1;
        }
    }
    if (strspn(s, " ") == len || json_utf8_chars(s) > max_chars) {
        snprintf(msg, sizeof(msg), "field \"%s\" must be 1 to %zu "
            "characters, not blank", field, max_chars);
        response_error(res, 400, "invalid_value", field, msg);
        return -1;
    }
    *out = s;
    return 0;
}

/*
 * Add a member we build ourselves: its key is a string literal and not
 * yet in obj, so json-c neither copies the key nor looks for it first
 * (a 1000-show page adds 5000 of them).
 */
void
json_put_new(json_object *obj, const char *literal_key, json_object *value)
{
    json_object_object_add_ex(obj, literal_key, value,
        JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
}
