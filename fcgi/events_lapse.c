/* When booking-events looks at lapsed holds next: at the next deadline, or soon after a new hold (booking-events). */

#include "events_lapse.h"

#include <string.h>

#include <json-c/json.h>

static int lapse_may_hold(const char *payload);

/* A new connection: nothing known of its holds, a first look due at
 * once (it starts the cursor from the database's now). */
void
lapse_init(struct lapse *l)
{
    memset(l, 0, sizeof(*l));
}

/* Milliseconds until the next look is due at now_ms; 0: due. */
int64_t
lapse_wait(const struct lapse *l, int64_t now_ms)
{
    return l->due_ms > now_ms ? l->due_ms - now_ms : 0;
}

/*
 * A look ran at now_ms, and the database said the next deadline is
 * wait_ms away (0: a full batch, more due now; -1: no seated hold). The
 * next look is then, but never more than
 * LAPSE_MAX_WAIT_MS away (a safety net: every new hold is heard of),
 * nor, unless more are due now, less than LAPSE_GAP_MS after this one.
 */
void
lapse_done(struct lapse *l, int64_t wait_ms, int64_t now_ms)
{
    if (wait_ms < 0 || wait_ms > LAPSE_MAX_WAIT_MS)
        wait_ms = LAPSE_MAX_WAIT_MS;
    else if (wait_ms > 0 && wait_ms < LAPSE_GAP_MS)
        wait_ms = LAPSE_GAP_MS;
    l->last_ms = now_ms;
    l->due_ms = now_ms + wait_ms;
    l->failed = 0;
}

/* A look failed at now_ms, on a connection still up (the function not
 * yet migrated, say): the next is LAPSE_MAX_WAIT_MS on, whatever is
 * heard meanwhile, so that the log says it once a minute, not once a
 * booking. */
void
lapse_failed(struct lapse *l, int64_t now_ms)
{
    lapse_done(l, -1, now_ms);
    l->failed = 1;
}

/*
 * A notification was heard at now_ms. A new hold (seats held, or a
 * resync that may hide some) may lapse before the look already due:
 * the next look is brought forward to LAPSE_GAP_MS after the last, or
 * now, so that a burst of bookings costs one look. Seats sold or freed
 * only end holds: a look due for one of them finds nothing and waits
 * for the next deadline.
 */
void
lapse_heard(struct lapse *l, const char *payload, int64_t now_ms)
{
    int64_t soon = l->last_ms + LAPSE_GAP_MS > now_ms
                   ? l->last_ms + LAPSE_GAP_MS : now_ms;

    if (!l->failed && soon < l->due_ms && lapse_may_hold(payload))
        l->due_ms = soon;
}

/* Does a seat event hold seats ("h"), or may it ("resync")? */
static int
lapse_may_hold(const char *payload)
{
    json_object *obj = json_tokener_parse(payload);
    int          yes;

    yes = obj != NULL && json_object_is_type(obj, json_type_object)
          && (json_object_object_get_ex(obj, "h", NULL)
              || json_object_object_get_ex(obj, "resync", NULL));
    json_object_put(obj);
    return yes;
}
