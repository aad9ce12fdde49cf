#ifndef FCGI_CONFIG_H
#define FCGI_CONFIG_H

/* Settings read once from the environment at start-up; see README. */

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONFIG_TOKEN_MAX 256

/* Which program is reading: each needs and checks only its own settings. */
enum config_for { CONFIG_SERVER, CONFIG_EXPIRE, CONFIG_EVENTS };

struct config {
    const char *database_url;    /* libpq URI or conninfo */
    const char *fcgi_socket;     /* path or address to bind, NULL when
                                  * inherited (config_socket_parse) */
    int         socket_mode;     /* permissions of a socket we bind */
    int         listen_backlog;
    int         workers;
    int         drain_seconds;   /* SIGTERM: time for in-flight requests */
    int         db_connect_timeout;
    int         deadline_ms;     /* a request's time in the worker */
    int         statement_timeout_ms;
    int         lock_timeout_ms;
    int         hold_ttl_seconds;    /* how long a hold lasts */
    /* An anonymous client's caps; 0 is none (LIMITS=off) */
    int         max_seats_per_booking;
    int         max_live_holds;
    int         max_held_seats;
    int         hold_max_seconds;    /* extend: how far from its making */
    int         hold_max_extends;    /* and how many times */
    /* failed authentications per client address: at once, then a
     * second; 0 is none (LIMITS=off) */
    int         auth_fail_burst;
    int         auth_fail_rate;
    int         expire_batch;        /* holds released per transaction */
    int         failed_retention_days;   /* FAILED bookings kept, days */
    int         idem_refused_seconds;    /* keys of refused requests kept */
    const char *events_socket;   /* booking-events: nginx's publisher */
    char        admin_token[CONFIG_TOKEN_MAX];
    size_t      admin_token_len;
    /* Keys what the database must not open by itself: SECRET_KEY's
     * HMAC, or the admin token's when it is not set (then 1). */
    uint8_t     secret_key[32];
    int         secret_key_from_admin;
};

int config_load(struct config *cfg, enum config_for who);
int config_parse_int(const char *name, const char *value, long min, long max,
    int base, long *out);
int config_socket_parse(const char *value, struct sockaddr_storage *sa,
    socklen_t *len);

#endif
