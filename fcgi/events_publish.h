#ifndef FCGI_EVENTS_PUBLISH_H
#define FCGI_EVENTS_PUBLISH_H

/*
 * booking-events' publisher: each seat event POSTed to nginx's nchan
 * publisher over its unix socket (/pub/show_N, or /pub/all), on one
 * keep-alive connection. See docs/events.md.
 */

#include <stddef.h>
#include <stdint.h>

#define PUBLISH_ERR_LEN     256
#define PUBLISH_CHANNEL_MAX 32
/* What every browser gets when changes were missed: refetch the map. */
#define PUBLISH_RESYNC      "{\"resync\":true}"

struct publish {
    const char *path;           /* nginx's publisher socket */
    int         fd;             /* the kept connection; -1: none */
    int         down;           /* an outage under way (logged once) */
    uint64_t    dropped;        /* messages lost in it */
    char        err[PUBLISH_ERR_LEN];
};

/* An HTTP response's head, as publish_response_parse() reads it. */
struct publish_response {
    int    status;
    long   content_length;      /* -1: none given */
    int    close;               /* Connection: close */
    size_t head_len;            /* bytes up to and with the blank line */
};

void publish_init(struct publish *p, const char *path);
void publish_cleanup(struct publish *p);
int publish_send(struct publish *p, const char *channel, const char *body);
int publish_channel(const char *payload, char *channel, size_t size);
int publish_response_parse(const char *buf, size_t len,
    struct publish_response *r);

#endif
