/* loadgen: the fault suite's booking load, many concurrent HTTP clients on loopback. */

/*
 * Why a C program and not curl: each client's next request depends on
 * the answer to its last one (a hold is confirmed or cancelled by the id
 * it got back), which curl --parallel cannot chain, and one poll() loop
 * keeps a thousand connections busy on two cores where a thousand
 * curl or bash processes would measure themselves rather than the service.
 *
 * Usage: loadgen -p PORT -c CLIENTS -t SECONDS -s SHOW[,SHOW...] -o FILE
 *                [-k CHANNEL_SECRET]
 *
 * Each client loops until the deadline: book 1-4 seats on a random show,
 * or hold them and then confirm (60 %), cancel (25 %) or abandon the hold
 * so that it lapses; now and then it cancels a booking it confirmed, or
 * reads a show. Half of the writes carry a unique Idempotency-Key. With
 * -k, the other bookings and holds are made as that channel, each for a
 * customer of its own. Every answer, 2xx or not, is one line of FILE:
 *
 *   op show id status booking-status error t-start-ms t-end-ms key tag
 *
 * op is book, hold, confirm, cancel or get; show is 0 for confirm and
 * cancel; id is the booking the answer names (for confirm and cancel,
 * the one asked about); status 0 means no HTTP answer (the error field
 * says why: connect, reset, timeout); the times are ms since the epoch,
 * to set beside the moments of the faults; key is "k" when the request
 * carried an Idempotency-Key. tag names the write alone, so that the
 * database shows whether it took effect: it is the Idempotency-Key sent
 * (key "k"), or with -k the "customer" of a booking or hold without one
 * (lg-PID-CLIENT-SEQ either way; "-" for a read). "-" marks an empty field. A confirm or a
 * cancel sends the token that came with the booking, as its owner. After the
 * deadline no request is started, and those in flight are waited for
 * (at most REQ_TIMEOUT_MS). SIGTERM or SIGINT moves the deadline to now.
 *
 * Requests are HTTP/1.0: nginx then closes after each answer and never
 * uses chunked encoding, so end of file ends the answer and the body is
 * plain JSON for the naive field scan below.
 */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS     4096
#define MAX_SHOWS       64
#define RESP_MAX        4096
#define REQ_TIMEOUT_MS  30000
#define BACKOFF_MS      100     /* pause after a 5xx or no answer */

enum op { OP_BOOK, OP_HOLD, OP_CONFIRM, OP_CANCEL, OP_GET };
enum state { ST_IDLE, ST_CONNECTING, ST_SENDING, ST_READING };

static const char *const op_names[] = { "book", "hold", "confirm", "cancel", "get" };

struct client {
    int           fd;
    enum state    state;
    enum op       op;
    long long     show, id;         /* the request's show and booking */
    long long     hold_id;          /* a hold of ours to confirm or cancel */
    long long     booked_id;        /* a CONFIRMED booking of ours */
    char          hold_token[64];   /* their tokens, which confirm and */
    char          booked_token[64]; /* cancel send as Authorization */
    char          req[768];
    size_t        req_len, sent;
    char          resp[RESP_MAX + 1];
    size_t        resp_len;
    double        t0, wall0;        /* start: monotonic, and for the log */
    double        not_before;
    unsigned      rng, seq;
    int           keyed;            /* sent with an Idempotency-Key */
    char          tag[48];          /* the write's key or customer */
};

static struct client    clients[MAX_CLIENTS];
static struct pollfd    pfds[MAX_CLIENTS];
static int              pidx[MAX_CLIENTS];
static long long        shows[MAX_SHOWS];
static int              nshows, port;
static const char      *channel;        /* -k: the channel's secret */
static FILE            *out;
static volatile sig_atomic_t stop_now;

static double now_ms(void);
static double wall_ms(void);
static unsigned rnd(struct client *c, unsigned n);
static void on_stop(int sig);
static void client_pick(struct client *c, int idx);
static void client_start(struct client *c, int idx);
static void client_step(struct client *c, short revents);
static void client_finish(struct client *c, const char *err);
static long long json_ll(const char *body, const char *key);
static void json_str(const char *body, const char *key, char *dst, size_t size);

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static double
wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

/* xorshift32: a uniform-enough number in [0, n). */
static unsigned
rnd(struct client *c, unsigned n)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 17;
    c->rng ^= c->rng << 5;
    return c->rng % n;
}

static void
on_stop(int sig)
{
    (void) sig;
    stop_now = 1;
}

/* Choose the next request of client c and format it into c->req. */
static void
client_pick(struct client *c, int idx)
{
    char body[192] = "", key[96] = "", auth[160] = "", customer[80] = "";
    const char *method = "POST";
    char path[64];
    unsigned r = rnd(c, 100);

    c->id = 0;
    c->show = shows[rnd(c, (unsigned) nshows)];
    if (c->hold_id != 0 && r < 85) {
        c->op = r < 60 ? OP_CONFIRM : OP_CANCEL;
        c->id = c->hold_id;
        c->show = 0;
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n",
            c->hold_token);
    } else if (c->booked_id != 0 && r >= 85 && r < 90) {
        c->op = OP_CANCEL;
        c->id = c->booked_id;
        c->show = 0;
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n",
            c->booked_token);
    } else {
        c->op = r < 10 ? OP_GET : r < 45 ? OP_HOLD : OP_BOOK;
    }
    c->hold_id = 0;                     /* confirmed, cancelled or abandoned */
    if (c->op == OP_CANCEL && c->id == c->booked_id)
        c->booked_id = 0;
    if (c->op == OP_GET) {
        method = "GET";
        snprintf(path, sizeof(path), "/shows/%lld", c->show);
    } else if (c->op == OP_CONFIRM || c->op == OP_CANCEL) {
        snprintf(path, sizeof(path), "/bookings/%lld/%s", c->id,
            op_names[c->op]);
    }
    c->keyed = c->op != OP_GET && rnd(c, 2) == 0;
    snprintf(c->tag, sizeof(c->tag), "lg-%ld-%d-%u", (long) getpid(), idx,
        c->seq);
    if (c->keyed)
        snprintf(key, sizeof(key), "Idempotency-Key: %s\r\n", c->tag);
    if ((c->op == OP_BOOK || c->op == OP_HOLD) && !c->keyed
        && channel != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", channel);
        snprintf(customer, sizeof(customer), ",\"customer\":\"%s\"", c->tag);
    }
    if (c->op == OP_BOOK || c->op == OP_HOLD) {
        snprintf(path, sizeof(path), "/book");
        snprintf(body, sizeof(body), "{\"show_id\":%lld,\"seat_count\":%u%s%s}",
            c->show, 1 + rnd(c, 4), c->op == OP_HOLD ? ",\"hold\":true" : "",
            customer);
    }
    c->req_len = (size_t) snprintf(c->req, sizeof(c->req),
        "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s%s"
        "Content-Length: %zu\r\n\r\n%s", method, path, key, auth,
        c->op == OP_GET ? "" : "Content-Type: application/json\r\n",
        strlen(body), body);
    c->seq++;
}

/* Open a non-blocking connection for the next request of c. */
static void
client_start(struct client *c, int idx)
{
    struct sockaddr_in sa;

    client_pick(c, idx);
    c->sent = c->resp_len = 0;
    c->t0 = now_ms();
    c->wall0 = wall_ms();
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        client_finish(c, "socket");
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short) port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
        c->state = ST_SENDING;
    else if (errno == EINPROGRESS)
        c->state = ST_CONNECTING;
    else
        client_finish(c, "connect");
}

/* Advance c on poll events: connected, request written, answer read. */
static void
client_step(struct client *c, short revents)
{
    int     err = 0;
    ssize_t n;
    socklen_t len = sizeof(err);

    if (c->state == ST_CONNECTING) {
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
            client_finish(c, "connect");
            return;
        }
        c->state = ST_SENDING;
    }
    if (c->state == ST_SENDING && (revents & (POLLOUT | POLLERR | POLLHUP))) {
        n = send(c->fd, c->req + c->sent, c->req_len - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) {
            client_finish(c, "send");
            return;
        }
        if (n > 0 && (c->sent += (size_t) n) == c->req_len)
            c->state = ST_READING;
        return;
    }
    if (c->state == ST_READING && (revents & (POLLIN | POLLERR | POLLHUP))) {
        char   sink[RESP_MAX];
        size_t room = RESP_MAX - c->resp_len;

        n = recv(c->fd, room > 0 ? c->resp + c->resp_len : sink,
            room > 0 ? room : sizeof(sink), 0);
        if (n < 0 && errno != EAGAIN)
            client_finish(c, "reset");
        else if (n == 0)
            client_finish(c, NULL);
        else if (n > 0 && room > 0)
            c->resp_len += (size_t) n;
    }
}

/* The first number after "key": in body, or 0. */
static long long
json_ll(const char *body, const char *key)
{
    const char *p = body != NULL ? strstr(body, key) : NULL;

    return p != NULL ? strtoll(p + strlen(key), NULL, 10) : 0;
}

/* The string after "key":" in body, or "-". */
static void
json_str(const char *body, const char *key, char *dst, size_t size)
{
    const char *p = body != NULL ? strstr(body, key) : NULL;
    size_t      n = 0;

    if (p != NULL)
        for (p += strlen(key); *p != '\0' && *p != '"' && n + 1 < size; p++)
            dst[n++] = *p;
    dst[n] = '\0';
    if (n == 0)
        snprintf(dst, size, "-");
}

/*
 * The request of c ended: with an answer (err NULL) or without one.
 * Record it, and remember what the client owns now.
 */
static void
client_finish(struct client *c, const char *err)
{
    int         status = 0;
    char        bstatus[32] = "-", code[48] = "-";
    const char *body = NULL, *booking = NULL;
    long long   id = c->id;

    c->resp[c->resp_len] = '\0';
    if (err == NULL && sscanf(c->resp, "HTTP/%*d.%*d %d", &status) != 1)
        err = "garbled";
    if (err == NULL && (body = strstr(c->resp, "\r\n\r\n")) != NULL)
        booking = strstr(body, "\"booking\":{");
    if (booking != NULL) {
        if (id == 0)
            id = json_ll(booking, "\"id\":");
        json_str(booking, "\"status\":\"", bstatus, sizeof(bstatus));
    }
    if (err != NULL)
        snprintf(code, sizeof(code), "%s", err);
    else if (status >= 300)
        json_str(body, "\"error\":\"", code, sizeof(code));
    fprintf(out, "%s %lld %lld %d %s %s %.0f %.0f %s %s\n", op_names[c->op],
        c->show, id, status, bstatus, code, c->wall0, wall_ms(),
        c->keyed ? "k" : "-", c->op == OP_GET ? "-" : c->tag);

    if (status == 201 && strcmp(bstatus, "PENDING") == 0) {
        c->hold_id = id;
        json_str(body, "\"token\":\"", c->hold_token, sizeof(c->hold_token));
    } else if (status == 201 && strcmp(bstatus, "CONFIRMED") == 0) {
        c->booked_id = id;
        json_str(body, "\"token\":\"", c->booked_token,
            sizeof(c->booked_token));
    } else if (status == 200 && c->op == OP_CONFIRM
               && strcmp(bstatus, "CONFIRMED") == 0) {
        c->booked_id = id;          /* the hold's token is the booking's */
        snprintf(c->booked_token, sizeof(c->booked_token), "%s",
            c->hold_token);
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = ST_IDLE;
    c->not_before = status == 0 || status >= 500 ? now_ms() + BACKOFF_MS : 0;
}

int
main(int argc, char **argv)
{
    int     nclients = 100, opt, i, busy;
    double  seconds = 10, deadline;
    char   *s, *tok, *save = NULL;
    const char *path = NULL;

    while ((opt = getopt(argc, argv, "p:c:t:s:o:k:")) != -1) {
        if (opt == 'p') port = (int) strtol(optarg, NULL, 10);
        else if (opt == 'c') nclients = (int) strtol(optarg, NULL, 10);
        else if (opt == 't') seconds = strtod(optarg, NULL);
        else if (opt == 'o') path = optarg;
        else if (opt == 'k') channel = optarg;
        else if (opt == 's') {
            for (s = optarg; (tok = strtok_r(s, ",", &save)) != NULL; s = NULL)
                if (nshows < MAX_SHOWS)
                    shows[nshows++] = strtoll(tok, NULL, 10);
        } else
            goto usage;
    }
    if (port <= 0 || port > 65535 || nclients < 1 || nclients > MAX_CLIENTS
        || nshows == 0 || path == NULL || seconds <= 0)
        goto usage;
    if ((out = fopen(path, "w")) == NULL) {
        perror(path);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    for (i = 0; i < nclients; i++) {
        clients[i].fd = -1;
        clients[i].rng = 2654435761u * (unsigned) (i + 1) ^ (unsigned) getpid();
    }
    deadline = now_ms() + seconds * 1e3;
    do {
        double now = now_ms();

        busy = 0;
        if (stop_now)
            deadline = now;
        for (i = 0; i < nclients; i++) {
            struct client *c = &clients[i];
            if (c->state == ST_IDLE && now < deadline && now >= c->not_before)
                client_start(c, i);
            if (c->state != ST_IDLE && now - c->t0 > REQ_TIMEOUT_MS)
                client_finish(c, "timeout");
            if (c->state == ST_IDLE)
                continue;
            pfds[busy].fd = c->fd;
            pfds[busy].events = c->state == ST_READING ? POLLIN : POLLOUT;
            pidx[busy++] = i;
        }
        if (poll(pfds, (nfds_t) busy, 20) < 0 && errno != EINTR)
            break;
        for (i = 0; i < busy; i++)
            if (pfds[i].revents != 0)
                client_step(&clients[pidx[i]], pfds[i].revents);
    } while (busy > 0 || now_ms() < deadline);
    return fclose(out) == 0 ? 0 : 1;

usage:
    fprintf(stderr, "usage: loadgen -p PORT -c CLIENTS -t SECONDS "
        "-s SHOW[,SHOW...] -o FILE [-k CHANNEL_SECRET]\n");
    return 2;
}
