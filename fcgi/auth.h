#ifndef FCGI_AUTH_H
#define FCGI_AUTH_H

/* Bearer-token check for the admin routes, in constant time. */

#include <stddef.h>

int auth_bearer_ok(const char *authorization, const char *token,
    size_t token_len);

#endif
