/* Seat events POSTed to nginx's nchan publisher over its unix socket (booking-events). */

#define _GNU_SOURCE

#include "events_publish.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#define PUBLISH_TIMEOUT_S 2     /* a send or an answer, at most */
#define PUBLISH_HEAD_MAX  4096  /* a response's status line and headers */

static void publish_close(struct publish *p);
static int publish_connect(struct publish *p);
static int publish_write(struct publish *p, const char *head, size_t hlen,
    const char *body, size_t blen);
static int publish_read(struct publish *p, int *closed_early);
static int publish_skip(struct publish *p, long left);
static int publish_post(struct publish *p, const char *channel,
    const char *body);
static int publish_header_is(const char *line, const char *name,
    const char **value);

void
publish_init(struct publish *p, const char *path)
{
    memset(p, 0, sizeof(*p));
    p->path = path;
    p->fd = -1;
}

void
publish_cleanup(struct publish *p)
{
    publish_close(p);
}

static void
publish_close(struct publish *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

/*
 * A new connection to the publisher socket, with a send and receive
 * timeout so that an nginx that stopped answering costs each message
 * PUBLISH_TIMEOUT_S at most, not the daemon. 0, or -1 with p->err.
 */
static int
publish_connect(struct publish *p)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval     tv = { PUBLISH_TIMEOUT_S, 0 };

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->path);
    p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        snprintf(p->err, sizeof(p->err), "socket() failed: %s",
            strerror(errno));
        return -1;
    }
    if (setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0
        || setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0
        || connect(p->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        snprintf(p->err, sizeof(p->err), "connect(\"unix:%s\") failed: %s",
            p->path, strerror(errno));
        publish_close(p);
        return -1;
    }
    return 0;
}

/* Send head and body whole (MSG_NOSIGNAL: a closed peer is EPIPE, not a
 * signal). 0, or -1 with p->err and errno. */
static int
publish_write(struct publish *p, const char *head, size_t hlen,
    const char *body, size_t blen)
{
    struct iovec  iov[2] = { { (void *) (uintptr_t) head, hlen },
                             { (void *) (uintptr_t) body, blen } };
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
    ssize_t       n;

    while (msg.msg_iovlen > 0) {
        n = sendmsg(p->fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(p->err, sizeof(p->err), "sendmsg() failed: %s",
                errno == EAGAIN ? "timed out" : strerror(errno));
            return -1;
        }
        while (msg.msg_iovlen > 0 && (size_t) n >= msg.msg_iov->iov_len) {
            n -= (ssize_t) msg.msg_iov->iov_len;
            msg.msg_iov++;
            msg.msg_iovlen--;
        }
        if (msg.msg_iovlen > 0) {
            msg.msg_iov->iov_base = (char *) msg.msg_iov->iov_base + n;
            msg.msg_iov->iov_len -= (size_t) n;
        }
    }
    return 0;
}

/*
 * Is line (ending at CR) the header name? *value is then its value,
 * leading blanks skipped.
 */
static int
publish_header_is(const char *line, const char *name, const char **value)
{
    size_t n = strlen(name);

    if (strncasecmp(line, name, n) != 0 || line[n] != ':')
        return 0;
    for (*value = line + n + 1; **value == ' ' || **value == '\t'; (*value)++)
        ;
    return 1;
}

/*
 * Read the head of an HTTP/1.x response from buf[0..len): its status,
 * Content-Length and Connection: close. Returns 1 when the head is
 * complete (r filled), 0 when more bytes are needed, -1 when it is not
 * an HTTP response.
 */
int
publish_response_parse(const char *buf, size_t len, struct publish_response *r)
{
    const char *end, *line, *v;
    char       *num_end;

    end = memmem(buf, len, "\r\n\r\n", 4);
    if (end == NULL)
        return len >= 12 && strncmp(buf, "HTTP/1.", 7) != 0 ? -1 : 0;
    memset(r, 0, sizeof(*r));
    r->content_length = -1;
    r->head_len = (size_t) (end - buf) + 4;
    /* the status by hand: the buffer is not NUL-terminated, and sscanf
     * would measure it with strlen first */
    if (end - buf < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' '
        || buf[9] < '1' || buf[9] > '9' || buf[10] < '0' || buf[10] > '9'
        || buf[11] < '0' || buf[11] > '9')
        return -1;
    r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    for (line = memchr(buf, '\n', (size_t) (end - buf)); line != NULL
         && line < end; line = memchr(line, '\n', (size_t) (end - line))) {
        line++;
        if (publish_header_is(line, "Content-Length", &v)) {
            errno = 0;
            r->content_length = strtol(v, &num_end, 10);
            if (errno != 0 || num_end == v || r->content_length < 0
                || (*num_end != '\r' && *num_end != ' '))
                return -1;
        } else if (publish_header_is(line, "Connection", &v)) {
            r->close = strncasecmp(v, "close", 5) == 0;
        }
    }
    return 1;
}

/* Read and drop left bytes of a body (those after its head). */
static int
publish_skip(struct publish *p, long left)
{
    char    buf[1024];
    ssize_t n;

    while (left > 0) {
        n = recv(p->fd, buf, (size_t) left < sizeof(buf) ? (size_t) left
                                                         : sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(p->err, sizeof(p->err), "recv() of the answer's body "
                "failed: %s", n == 0 ? "connection closed"
                : errno == EAGAIN ? "timed out" : strerror(errno));
            return -1;
        }
        left -= n;
    }
    return 0;
}

/*
 * Read nginx's answer to a POST, body and all, so that the connection
 * can carry the next one; a 2xx is success (nchan: 201 delivered, 202
 * queued with nobody listening). An answer without Content-Length or
 * with Connection: close ends the connection. *closed_early is set when
 * the connection ended before the first byte of an answer: a kept
 * connection that nginx had closed meanwhile. 0, or -1 with p->err.
 */
static int
publish_read(struct publish *p, int *closed_early)
{
    struct publish_response r;
    char                    buf[PUBLISH_HEAD_MAX];
    size_t                  len = 0;
    ssize_t                 n;
    int                     done = 0;

    *closed_early = 0;
    while (done == 0) {
        if (len == sizeof(buf)) {
            snprintf(p->err, sizeof(p->err), "an answer's head is over "
                "%d bytes", PUBLISH_HEAD_MAX);
            return -1;
        }
        n = recv(p->fd, buf + len, sizeof(buf) - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *closed_early = len == 0 && (n == 0 || errno == ECONNRESET);
            snprintf(p->err, sizeof(p->err), "recv() failed: %s", n == 0
                ? "connection closed" : errno == EAGAIN ? "timed out"
                : strerror(errno));
            return -1;
        }
        len += (size_t) n;
        done = publish_response_parse(buf, len, &r);
    }
    if (done < 0) {
        snprintf(p->err, sizeof(p->err), "not an HTTP answer: \"%.40s\"",
            buf);
        return -1;
    }
    if (r.content_length < 0 || r.close)
        publish_close(p);
    else if (publish_skip(p, r.content_length - (long) (len - r.head_len)) < 0)
        return -1;
    if (r.status / 100 != 2) {
        snprintf(p->err, sizeof(p->err), "nginx answered %d", r.status);
        return -1;
    }
    return 0;
}

/*
 * POST body to /pub/channel on the kept connection, or a new one. A
 * kept connection that nginx closed meanwhile (keepalive_timeout,
 * keepalive_requests) fails before any answer: the POST is then sent
 * once more on a new one. Any other failure closes the connection.
 * 0, or -1 with p->err.
 */
static int
publish_post(struct publish *p, const char *channel, const char *body)
{
    char   head[256];
    size_t blen = strlen(body);
    int    hlen, tries = 2, kept, early = 0;

    hlen = snprintf(head, sizeof(head), "POST /pub/%s HTTP/1.1\r\n"
        "Host: localhost\r\nContent-Type: application/json\r\n"
        "Content-Length: %zu\r\n\r\n", channel, blen);
    if (hlen < 0 || (size_t) hlen >= sizeof(head)) {
        snprintf(p->err, sizeof(p->err), "channel name too long");
        return -1;
    }
    while (tries-- > 0) {
        kept = p->fd >= 0;
        if (!kept && publish_connect(p) < 0)
            return -1;
        if (publish_write(p, head, (size_t) hlen, body, blen) < 0)
            early = errno == EPIPE || errno == ECONNRESET;
        else if (publish_read(p, &early) == 0)
            return 0;
        publish_close(p);
        if (!(kept && early))
            break;
    }
    return -1;
}

/*
 * Publish body on channel ("show_12", "all"). While nginx does not
 * answer, messages are dropped (the browsers' connections are down too,
 * or they miss changes): the first failure is logged, the rest counted;
 * the first message that goes through again is preceded by a resync to
 * every browser, and the end of the outage is logged. 0, or -1 when
 * this message was dropped.
 */
int
publish_send(struct publish *p, const char *channel, const char *body)
{
    if ((!p->down || publish_post(p, "all", PUBLISH_RESYNC) == 0)
        && publish_post(p, channel, body) == 0) {
        if (p->down)
            fprintf(stderr, "booking-events: nginx answers again on "
                "unix:%s: %llu messages were dropped; told every browser "
                "to refetch its map (resync)\n", p->path,
                (unsigned long long) p->dropped);
        p->down = 0;
        p->dropped = 0;
        return 0;
    }
    if (!p->down)
        fprintf(stderr, "booking-events: POST /pub/%s on unix:%s: %s; "
            "changes are dropped until nginx answers again (each browser "
            "refetches its map when it reconnects)\n", channel, p->path,
            p->err);
    p->down = 1;
    p->dropped++;
    return -1;
}

/*
 * The nchan channel of a seat event's payload: "show_N" for
 * {"show": N, ...}, "all" for one without a show. 0, or -1 when the
 * payload is not a JSON object or its show is not a positive integer.
 */
int
publish_channel(const char *payload, char *channel, size_t size)
{
    json_object *obj = json_tokener_parse(payload), *show;
    int64_t      id;
    int          rc = -1;

    if (obj == NULL || !json_object_is_type(obj, json_type_object))
        goto out;
    if (!json_object_object_get_ex(obj, "show", &show)) {
        rc = snprintf(channel, size, "all") < (int) size ? 0 : -1;
        goto out;
    }
    if (!json_object_is_type(show, json_type_int))
        goto out;
    id = json_object_get_int64(show);
    if (id > 0 && snprintf(channel, size, "show_%lld", (long long) id)
                  < (int) size)
        rc = 0;

out:
    json_object_put(obj);
    return rc;
}
