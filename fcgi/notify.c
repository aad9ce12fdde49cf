/* sd_notify() for the master: readiness, status, reloads, the watchdog. */

#include "notify.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

void
notify_init(struct notify *n)
{
    uint64_t usec = 0;

    memset(n, 0, sizeof(*n));
    /* Ping twice per WatchdogSec=, as systemd suggests. */
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        n->watchdog_ms = (int64_t) (usec / 2000);
}

/*
 * Send "STATUS=status" when it changed, with a state line before it
 * ("READY=1", "RELOADING=1", "STOPPING=1") when one is given.
 */
void
notify_status(struct notify *n, const char *state, const char *status)
{
    char msg[NOTIFY_STATUS_MAX + 32];

    if (state == NULL && strcmp(n->status, status) == 0)
        return;
    snprintf(n->status, sizeof(n->status), "%s", status);
    snprintf(msg, sizeof(msg), "%s%sSTATUS=%s", state ? state : "",
        state ? "\n" : "", n->status);
    sd_notify(0, msg);
}

/* Called from the master's loop: if that loop hangs, systemd notices. */
void
notify_watchdog(struct notify *n, int64_t now_ms)
{
    if (n->watchdog_ms == 0 || now_ms < n->next_ping_ms)
        return;
    sd_notify(0, "WATCHDOG=1");
    n->next_ping_ms = now_ms + n->watchdog_ms;
}
