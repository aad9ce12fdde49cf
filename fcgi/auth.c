/* Bearer-token check for the admin routes, in constant time. */

#include "auth.h"

#include <string.h>
#include <strings.h>

/*
 * Is authorization "Bearer <token>"? The comparison touches every byte of
 * the configured token whatever the candidate is, so its timing says
 * nothing about how much of a guess was right.
 */
int
auth_bearer_ok(const char *authorization, const char *token,
    size_t token_len)
{
    const char    *cand;
    size_t         cand_len, i;
    unsigned char  diff;

    if (authorization == NULL || token_len == 0
        || strncasecmp(authorization, "Bearer ", 7) != 0)
        return 0;
    cand = authorization + 7;
    while (*cand == ' ')
        cand++;
    cand_len = strlen(cand);
    diff = cand_len != token_len;
    for (i = 0; i < token_len; i++)
        diff |= (unsigned char) token[i]
              ^ (unsigned char) (i < cand_len ? cand[i] : 0);
    return diff == 0;
}
