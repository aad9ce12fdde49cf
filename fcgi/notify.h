#ifndef FCGI_NOTIFY_H
#define FCGI_NOTIFY_H

/*
 * Telling systemd how the service is (Type=notify): READY=1 once, a
 * STATUS= line when it changes, RELOADING=1 around a reload, and the
 * watchdog's keep-alive. Outside systemd (no NOTIFY_SOCKET) each call
 * does nothing.
 */

#include <stdint.h>

#define NOTIFY_STATUS_MAX 160

struct notify {
    int64_t watchdog_ms;        /* ping this often; 0: no watchdog */
    int64_t next_ping_ms;
    char    status[NOTIFY_STATUS_MAX];
};

void notify_init(struct notify *n);
void notify_status(struct notify *n, const char *ready_or_reloading,
    const char *status);
void notify_watchdog(struct notify *n, int64_t now_ms);

#endif
