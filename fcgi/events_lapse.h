#ifndef FCGI_EVENTS_LAPSE_H
#define FCGI_EVENTS_LAPSE_H

/*
 * booking-events' schedule of looks at lapsed holds: when the next one
 * is due (at the next seated hold's deadline, sooner when a new hold
 * was heard of), and where the last one stopped. See docs/events.md.
 */

#include <stdint.h>

#include "db_listen.h"

/* Holds looked at in one go at most: bounded work per wake-up. */
#define LAPSE_BATCH        500
/* The longest wait between two looks, whatever the database said. */
#define LAPSE_MAX_WAIT_MS  60000
/* The shortest, but after a full batch: deadlines a little apart, and
 * new holds heard of in a burst, make one look. */
#define LAPSE_GAP_MS       250

struct lapse {
    struct db_lapse cur;        /* where the last look stopped */
    int64_t         due_ms;     /* the next look, CLOCK_MONOTONIC ms */
    int64_t         last_ms;    /* the last look */
    int             failed;     /* it failed: no look before due_ms */
};

void lapse_init(struct lapse *l);
int64_t lapse_wait(const struct lapse *l, int64_t now_ms);
void lapse_done(struct lapse *l, int64_t wait_ms, int64_t now_ms);
void lapse_failed(struct lapse *l, int64_t now_ms);
void lapse_heard(struct lapse *l, const char *payload, int64_t now_ms);

#endif
