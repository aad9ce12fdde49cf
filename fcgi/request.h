#ifndef FCGI_REQUEST_H
#define FCGI_REQUEST_H

/*
 * One HTTP request as a plain struct, and the one response it gets.
 * Handlers see only these, never FastCGI, so unit tests can drive them.
 */

#include <stddef.h>

#include <json-c/json.h>

#define REQUEST_BODY_MAX   (64 * 1024)
/* POST /admin/show: a seated show's layout, up to 100 000 seats */
#define REQUEST_ADMIN_BODY_MAX (1024 * 1024)
#define RESPONSE_HEADERS   5
#define RESPONSE_HEADER_MAX 512

struct request {
    const char *method;
    const char *path;           /* normalized by nginx, no query */
    const char *query;          /* may be "" */
    const char *content_type;   /* may be NULL */
    const char *authorization;  /* may be NULL; never logged */
    const char *idempotency_key;    /* may be NULL */
    const char *if_none_match;      /* may be NULL */
    const char *request_id;
    const char *remote_addr;    /* may be NULL */
    const char *body;           /* NUL-terminated, may contain NULs */
    size_t      body_len;
    int         body_too_large;
    size_t      body_max;       /* the route's limit, for the 413 */
};

struct response {
    int          status;
    json_object *body;          /* owned; NULL means "{}" */
    /* or a body that is not built with json-c (metrics, a static file) */
    const char  *text;          /* not owned; body is NULL then */
    size_t       text_len;
    const char  *text_type;     /* its Content-Type */
    int          nheaders;
    char         headers[RESPONSE_HEADERS][RESPONSE_HEADER_MAX];
};

void response_init(struct response *res);
void response_cleanup(struct response *res);
void response_header(struct response *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void response_error(struct response *res, int status, const char *code,
    const char *field, const char *message);
void response_json(struct response *res, int status, json_object *body);
void response_text(struct response *res, int status, const char *type,
    const char *text, size_t len);
const char *response_reason(int status);

#endif
