/* The response under construction: status, extra headers, JSON body. */

#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
response_init(struct response *res)
{
    memset(res, 0, sizeof(*res));
    res->status = 500;
}

void
response_cleanup(struct response *res)
{
    json_object_put(res->body);
    res->body = NULL;
}

/* Add "Name: value" to the response; silently capped at RESPONSE_HEADERS. */
void
response_header(struct response *res, const char *fmt, ...)
{
    va_list ap;

    if (res->nheaders >= RESPONSE_HEADERS)
        return;
    va_start(ap, fmt);
    vsnprintf(res->headers[res->nheaders], RESPONSE_HEADER_MAX, fmt, ap);
    va_end(ap);
    res->nheaders++;
}

/* Replace the body (taking ownership of body) and set the status. */
void
response_json(struct response *res, int status, json_object *body)
{
    json_object_put(res->body);
    res->body = body;
    res->status = status;
}

/* A body the caller keeps alive until the answer is written. */
void
response_text(struct response *res, int status, const char *type,
    const char *text, size_t len)
{
    json_object_put(res->body);
    res->body = NULL;
    res->status = status;
    res->text = text;
    res->text_len = len;
    res->text_type = type;
}

/*
 * The one error shape: {"error": code, "message": text[, "field": name]}.
 * Replaces any body set before.
 */
void
response_error(struct response *res, int status, const char *code,
    const char *field, const char *message)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(code));
    json_object_object_add(o, "message", json_object_new_string(message));
    if (field != NULL)
        json_object_object_add(o, "field", json_object_new_string(field));
    response_json(res, status, o);
}

const char *
response_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 503: return "Service Unavailable";
    default:  return "Internal Server Error";
    }
}
