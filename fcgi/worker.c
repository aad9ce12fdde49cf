/* A worker process: the FastCGI accept loop around one database connection. */

#define _GNU_SOURCE

#include "worker.h"

#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "metrics.h"
#include "request.h"
#include "route.h"

#define WORKER_ID_MAX 64
/*
 * FastCGI connections one worker keeps open. Few on purpose: requests on
 * a worker's connections wait for that worker alone, while those beyond
 * wait in the socket's queue for whichever worker frees a slot first.
 * Measured with make test-faults' storm of 1000 clients: with 64 a
 * /health waited over 5 s in 3 runs of 6, with 16 about 0.1 s. nginx
 * keeps at most its upstream `keepalive` idle connections per nginx
 * process; as long as WORKERS x WORKER_CONNS is above nginx processes x
 * keepalive, idle connections alone cannot fill every worker.
 */
#define WORKER_CONNS 16
#define WORKER_POLLS (WORKER_CONNS + 3)     /* + the signalfd, the socket
                                               and the database's */

struct worker {
    const struct config *cfg;
    struct db            db;
    char                *body;      /* REQUEST_ADMIN_BODY_MAX + 1 bytes,
                                       reused */
    unsigned long        served;
    int                  listen_fd;
    int                  sig_fd;
    int                  stop;          /* a stop signal came */
    int                  drain_backlog; /* on stop, serve the socket's queue */
    int                  backlog_done;  /* stopping, and the queue is empty */
    int64_t              deadline_ms;   /* stopping: leave by then */
    /* libfcgi serves one connection per FCGX_Request; nginx keeps them
     * open (fastcgi_keep_conn), so each open one is polled for its next
     * request. ipcFd < 0: a free slot. */
    FCGX_Request         conns[WORKER_CONNS];
    struct pollfd        pfd[WORKER_POLLS];
    /* what each pollfd is: an index in conns, WORKER_CONNS for the
     * socket, -1 for the signalfd, -2 for the database connection */
    int                  pfd_conn[WORKER_POLLS];
    int                  close_after;   /* end this connection after the answer */
    int64_t              next_reconnect_ms; /* yielding: the next attempt */
    struct scoreboard   *board;         /* shared with the master */
    int                  entry;         /* ours in it */
    struct metrics      *metrics;       /* our counters in it */
    struct textbuf       text;      /* answers written by hand: /metrics,
                                       a seat map, a page of shows; kept */
};

static int worker_signals(const sigset_t *stop);
static int worker_poll(struct worker *w);
static void worker_stopping(struct worker *w);
static int worker_accepting(const struct worker *w);
static int worker_yielding(const struct worker *w);
static void worker_reconnect(struct worker *w);
static FCGX_Request *worker_free_conn(struct worker *w);
static int worker_open_conns(const struct worker *w);
static int worker_accept(struct worker *w, FCGX_Request *fr);
static void worker_take(struct worker *w, FCGX_Request *fr);
static void worker_close_after(FCGX_Request *fr);
static int worker_crowded(struct worker *w);
static int worker_round(struct worker *w, int npfd);
static void worker_serve(struct worker *w, FCGX_Request *fr);
static int64_t worker_deadline(const struct worker *w, FCGX_Request *fr);
static void worker_read_body(struct worker *w, FCGX_Request *fr,
    struct request *req);
static const char *worker_request_id(FCGX_Request *fr, char *buf,
    size_t size, unsigned long served);
static void worker_emit(FCGX_Request *fr, const struct request *req,
    const struct response *res);
static int64_t worker_log(const struct request *req, int status,
    const struct timespec *start);
static void worker_log_clean(char *s);
static const char *worker_param(FCGX_Request *fr, const char *name);

/*
 * The stop signals (SIGTERM, SIGINT, SIGQUIT, and SIGUSR2 from a
 * reload; blocked by the master's fork and again by worker_run() before
 * FCGX_Init()) stay blocked and are read from a signalfd polled beside
 * the listening socket: a stop never interrupts a request
 * half-served (libfcgi treats an interrupted read or write as a broken
 * connection), and it is seen even when the socket is always ready.
 * SIGUSR1, which libfcgi would take as a silent request to stop
 * accepting, and SIGHUP are ignored. Call it after FCGX_Init(), which
 * installs its own SIGUSR1 handler. Returns the signalfd or -1.
 */
static int
worker_signals(const sigset_t *stop)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) < 0 || sigaction(SIGHUP, &sa, NULL) < 0
        || sigaction(SIGUSR1, &sa, NULL) < 0)
        return -1;
    return signalfd(-1, stop, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int
worker_open_conns(const struct worker *w)
{
    int i, n = 0;

    for (i = 0; i < WORKER_CONNS; i++)
        n += w->conns[i].ipcFd >= 0;
    return n;
}

static FCGX_Request *
worker_free_conn(struct worker *w)
{
    int i;

    for (i = 0; i < WORKER_CONNS; i++)
        if (w->conns[i].ipcFd < 0)
            return &w->conns[i];
    return NULL;
}

/* New connections are taken while running, and while draining our own queue. */
static int
worker_accepting(const struct worker *w)
{
    return !w->stop || (w->drain_backlog && !w->backlog_done);
}

/*
 * Without a database connection while another worker has one, a worker
 * takes no new connection from the socket, and ends each kept one after
 * its next answer, so that nginx's requests go to the workers that can
 * serve them: answering 503 at once, it would otherwise win the race for
 * the socket's queue and take more than its share. When no worker has a
 * connection, each takes requests and answers them 503 at once.
 */
static int
worker_yielding(const struct worker *w)
{
    return !db_connected(&w->db)
        && scoreboard_others_db_ok(w->board, w->entry);
}

/*
 * Between requests, a worker that yields tries to connect again, once a
 * second (db.c's backoff), on a short budget; the pool sees
 * the outcome on the scoreboard. When no worker has a connection, each
 * tries when a request comes (db.c), within its deadline, so that a
 * database that hangs does not hold up the quick 503s.
 */
static void
worker_reconnect(struct worker *w)
{
    int64_t now = clock_now_ms();

    if (!worker_yielding(w) || w->stop || now < w->next_reconnect_ms
        || time(NULL) < w->db.next_connect)
        return;
    /* its own pace, not the request path's backoff: a failure here
     * (the server restarting) must not make the next request a 503 */
    w->next_reconnect_ms = now + 1000;
    /* a quarter of a deadline at most: requests that nginx sends on the
     * connections it keeps to this worker wait meanwhile (with the whole
     * DB_CONNECT_TIMEOUT, a frozen server made them wait 2 s more) */
    db_request_begin(&w->db, db_now_ms() + w->cfg->deadline_ms / 4);
    if (db_connect(&w->db) == 0)
        w->db.reconnects++;
    else
        w->db.errors++;
    metrics_db(w->metrics, w->db.errors, w->db.reconnects);
    scoreboard_set(w->board, w->entry,
        w->stop ? SCOREBOARD_LEAVING : SCOREBOARD_IDLE, db_connected(&w->db));
}

/*
 * A stop signal: leave within half the drain time (the master kills at
 * the full). A kept connection may carry a request nginx is sending
 * now, so none is closed while idle: each is closed right after its
 * next answer (worker_take), when nginx, seeing the end of the answer
 * and of the connection together, does not reuse it; idle ones nginx
 * closes itself after its keepalive_timeout, below the drain time.
 * On an inherited socket no new connection is taken: systemd keeps the
 * socket and its queue for the next server. libfcgi accepts on its own
 * when a kept connection turns out closed, so each slot's listen_sock
 * is set to -1 and that accept() fails instead.
 */
static void
worker_stopping(struct worker *w)
{
    int i;

    if (w->stop)
        return;
    w->stop = 1;
    scoreboard_set(w->board, w->entry, SCOREBOARD_LEAVING,
        db_connected(&w->db));
    w->deadline_ms = clock_now_ms() + (w->cfg->drain_seconds * 1000) / 2;
    if (!w->drain_backlog)
        for (i = 0; i < WORKER_CONNS; i++)
            w->conns[i].listen_sock = -1;
}

/*
 * Sleep until a kept connection has a request, the socket has a new
 * connection, a stop signal arrives, or (stopping) the deadline. Returns
 * the number of pollfds filled in w->pfd, 0 when interrupted, -1 when
 * poll() fails.
 */
static int
worker_poll(struct worker *w)
{
    struct signalfd_siginfo si;
    int                     i, n = 0, timeout = -1;
    int64_t                 left;

    w->pfd[n].fd = w->sig_fd;
    w->pfd[n].events = POLLIN;
    w->pfd_conn[n++] = -1;
    if (worker_accepting(w) && worker_free_conn(w) != NULL
        && !worker_yielding(w)) {
        w->pfd[n].fd = w->listen_fd;
        w->pfd[n].events = POLLIN;
        w->pfd_conn[n++] = WORKER_CONNS;
    }
    for (i = 0; i < WORKER_CONNS; i++) {
        if (w->conns[i].ipcFd < 0)
            continue;
        w->pfd[n].fd = w->conns[i].ipcFd;
        w->pfd[n].events = POLLIN;
        w->pfd_conn[n++] = i;
    }
    /* An idle connection says nothing unless the server ends it (a
     * restart, a terminated session): watched, its loss shows on the
     * scoreboard at once, not at the next request. */
    if (db_socket(&w->db) >= 0) {
        w->pfd[n].fd = db_socket(&w->db);
        w->pfd[n].events = POLLIN;
        w->pfd_conn[n++] = -2;
    }
    /* without a connection: look again at least every 200 ms, for a
     * reconnect due and for the other workers' connections */
    if (!db_connected(&w->db))
        timeout = 200;
    if (w->stop) {
        left = w->deadline_ms - clock_now_ms();
        timeout = left > 0 ? (int) left : 0;
        /* draining our queue: look, do not wait (an empty queue ends it) */
        if (worker_accepting(w))
            timeout = 0;
    }
    if (poll(w->pfd, (nfds_t) n, timeout) < 0) {
        if (errno == EINTR)
            return 0;
        fprintf(stderr, "booking-fcgi: poll() failed: %s\n", strerror(errno));
        return -1;
    }
    if (w->pfd[0].revents & POLLIN) {
        while (read(w->sig_fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
            /* replaced by a reload: the other workers serve the queue */
            if (si.ssi_signo == SIGUSR2)
                w->drain_backlog = 0;
            worker_stopping(w);
        }
    }
    if (w->pfd_conn[n - 1] == -2 && w->pfd[n - 1].revents != 0
        && !db_idle_check(&w->db))
        scoreboard_set(w->board, w->entry,
            w->stop ? SCOREBOARD_LEAVING : SCOREBOARD_IDLE, 0);
    return n;
}

/*
 * Stopping: end the answer so that nginx closes the connection itself.
 * Closing it from here races with nginx filing it for reuse and sending
 * the next request on it (a 502 for a request never served). nginx
 * keeps a FastCGI connection only when its read ends exactly with the
 * FCGI_END_REQUEST record (ngx_http_fastcgi_input_filter); one more
 * byte in the same write and nginx finishes the answer and closes.
 * libfcgi writes the end records itself and knows no such byte, so the
 * answer's data is flushed through it and its end written here, in one
 * write().
 */
static void
worker_close_after(FCGX_Request *fr)
{
    unsigned char end[2 * FCGI_HEADER_LEN + 8 + 1];
    unsigned char *h;
    int            i;

    if (FCGX_FFlush(fr->out) < 0)
        return;
    memset(end, 0, sizeof(end));
    for (i = 0; i < 2; i++) {
        /* an empty FCGI_STDOUT (end of the body), then FCGI_END_REQUEST
         * with an 8-byte body: appStatus 0, FCGI_REQUEST_COMPLETE */
        h = end + i * FCGI_HEADER_LEN;
        h[0] = FCGI_VERSION_1;
        h[1] = i == 0 ? FCGI_STDOUT : FCGI_END_REQUEST;
        h[2] = (unsigned char) ((fr->requestId >> 8) & 0xff);
        h[3] = (unsigned char) (fr->requestId & 0xff);
        h[5] = i == 0 ? 0 : 8;
    }
    /* end[24], the byte after FCGI_END_REQUEST, stays 0 */
    fr->keepConnection = 0;
    if (write(fr->ipcFd, end, sizeof(end)) == (ssize_t) sizeof(end))
        shutdown(fr->ipcFd, SHUT_WR);
    /* Closed here, not by libfcgi, whose close waits (up to 2 s) for
     * nginx to close first: a busy nginx would stall the worker. nginx
     * already has the whole answer; libfcgi's own end records then fail
     * on the closed descriptor, and it skips the close. */
    close(fr->ipcFd);
    fr->ipcFd = -1;
}

/*
 * Every slot is taken and new connections wait on the socket: under
 * more connections than the workers keep, nginx never lets one go idle
 * long enough to close it, and those queued would wait behind kept ones
 * for good. Then each answer ends its connection, and the freed slot
 * takes the oldest one queued: the socket's queue is served in order.
 */
static int
worker_crowded(struct worker *w)
{
    struct pollfd pfd = { w->listen_fd, POLLIN, 0 };

    return worker_free_conn(w) == NULL && !w->stop
        && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/*
 * Read the next request on fr: a kept connection's, or a new
 * connection's from the socket when fr is a free slot. Returns 1 with a
 * request read, 0 with none (another worker won the race for the
 * socket, or nginx closed the kept connection), or -1 when accept()
 * failed in a way a fresh worker might not (the master starts one).
 */
static int
worker_accept(struct worker *w, FCGX_Request *fr)
{
    int rc = FCGX_Accept_r(fr);

    if (rc == 0)
        return 1;
    /* The socket is non-blocking: another worker won the race, or the
     * queue is empty. Or the kept connection was closed by nginx, and
     * libfcgi's own accept found nothing. */
    if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
        if (w->stop)
            w->backlog_done = 1;
        return 0;
    }
    if (w->stop) {      /* leaving anyway: do not retry a failing accept() */
        w->backlog_done = 1;
        return 0;
    }
    fprintf(stderr, "booking-fcgi: FCGX_Accept_r() failed: %s\n",
        rc > -4096 ? strerror(-rc) : "libfcgi error");
    return -1;
}

/* Serve the request read on fr, and finish it. */
static void
worker_take(struct worker *w, FCGX_Request *fr)
{
    scoreboard_set(w->board, w->entry, SCOREBOARD_BUSY,
        db_connected(&w->db));
    worker_serve(w, fr);
    scoreboard_set(w->board, w->entry,
        w->stop ? SCOREBOARD_LEAVING : SCOREBOARD_IDLE,
        db_connected(&w->db));
    /* only a connection nginx keeps needs ending by us */
    if (fr->keepConnection
        && (w->stop || w->close_after || worker_crowded(w)
            || worker_yielding(w)))
        worker_close_after(fr);
    w->close_after = 0;
    FCGX_Finish_r(fr);
    w->served++;
}

static const char *
worker_param(FCGX_Request *fr, const char *name)
{
    const char *v = FCGX_GetParam(name, fr->envp);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* nginx's $request_id when it is sane, else "<pid>-<counter>". */
static const char *
worker_request_id(FCGX_Request *fr, char *buf, size_t size,
    unsigned long served)
{
    const char *id = worker_param(fr, "REQUEST_ID");
    size_t      len = id != NULL ? strlen(id) : 0;

    if (len > 0 && len < WORKER_ID_MAX
        && strspn(id, "0123456789abcdefABCDEF-_") == len)
        return id;
    snprintf(buf, size, "%ld-%lu", (long) getpid(), served);
    return buf;
}

/*
 * Read at most REQUEST_BODY_MAX bytes of body (REQUEST_ADMIN_BODY_MAX for
 * POST /admin/show, whose seated layouts are larger); one byte more
 * marks the request as too large (nginx enforces the same limits in
 * front).
 */
static void
worker_read_body(struct worker *w, FCGX_Request *fr, struct request *req)
{
    size_t max = strcmp(req->path, "/admin/show") == 0
                 ? REQUEST_ADMIN_BODY_MAX : REQUEST_BODY_MAX;
    size_t len = 0;
    int    n;

    req->body_max = max;
    while (len <= max) {
        n = FCGX_GetStr(w->body + len, (int) (max + 1 - len), fr->in);
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    req->body_too_large = len > max;
    if (req->body_too_large) {
        len = max;
        /* the rest of the body is still on the connection, where the
         * next request would be read: end the connection with the
         * answer (nginx's own limit is the same, so this is rare) */
        w->close_after = 1;
    }
    w->body[len] = '\0';
    req->body = w->body;
    req->body_len = len;
}

/*
 * Write the response. Headers are formatted with snprintf, not
 * FCGX_FPrintF: libfcgi's own printf knows no %zu or %lld.
 */
static void
worker_emit(FCGX_Request *fr, const struct request *req,
    const struct response *res)
{
    const char *body = "{}", *type = "application/json";
    size_t      body_len = 2;
    char        head[RESPONSE_HEADERS * RESPONSE_HEADER_MAX + 512];
    int         i, n;

    /* json-c knows the length it wrote: no strlen over a 120 KB page */
    if (res->body != NULL) {
        body = json_object_to_json_string_length(res->body,
            JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
            &body_len);
    } else if (res->text != NULL) {
        body = res->text;
        body_len = res->text_len;
        type = res->text_type;
    }
    n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
        "Content-Type: %s\r\n"
        "Cache-Control: no-store\r\n"
        "X-Request-Id: %s\r\n"
        "Content-Length: %zu\r\n", res->status,
        response_reason(res->status), type, req->request_id, body_len);
    /* head fits the longest headers response_header() keeps */
    for (i = 0; i < res->nheaders; i++)
        n += snprintf(head + n, sizeof(head) - (size_t) n, "%s\r\n",
            res->headers[i]);
    n += snprintf(head + n, sizeof(head) - (size_t) n, "\r\n");
    if ((size_t) n >= sizeof(head))
        n = (int) sizeof(head) - 1;
    FCGX_PutStr(head, n, fr->out);
    FCGX_PutStr(body, (int) body_len, fr->out);
}

/* Replace what could forge or split a log line: controls, spaces, bytes >= 0x7f. */
static void
worker_log_clean(char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char) *s < 0x21 || (unsigned char) *s > 0x7e)
            *s = '?';
}

/*
 * One line per request: method, path (control bytes replaced), status,
 * duration, request id. Never a header value or the body.
 */
static int64_t
worker_log(const struct request *req, int status, const struct timespec *start)
{
    struct timespec end;
    char            path[256], method[16];
    double          ms;

    clock_gettime(CLOCK_MONOTONIC, &end);
    ms = (double) (end.tv_sec - start->tv_sec) * 1e3
       + (double) (end.tv_nsec - start->tv_nsec) / 1e6;
    snprintf(path, sizeof(path), "%s", req->path);
    snprintf(method, sizeof(method), "%s", req->method);
    worker_log_clean(path);
    worker_log_clean(method);
    fprintf(stderr, "booking-fcgi: %s %s %d %.2fms request_id=%s\n",
        method, path, status, ms, req->request_id);
    return (int64_t) (ms * 1000);
}

/*
 * The request's deadline, in CLOCK_MONOTONIC milliseconds: its
 * REQUEST_DEADLINE_MS counted from when nginx passed it on (REQUEST_START,
 * nginx's $msec), so that the time it waited in the socket's queue counts
 * too; from now when that is missing, or not within the last minute (a
 * clock that jumped, another host's clock).
 */
static int64_t
worker_deadline(const struct worker *w, FCGX_Request *fr)
{
    const char     *start = FCGX_GetParam("REQUEST_START", fr->envp);
    struct timespec now;
    int64_t         now_ms, start_ms, waited = 0;
    char           *end;
    double          secs;

    clock_gettime(CLOCK_REALTIME, &now);
    now_ms = (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (start != NULL) {
        secs = strtod(start, &end);
        start_ms = (int64_t) (secs * 1000.0);
        if (*end == '\0' && end != start && start_ms <= now_ms
            && now_ms - start_ms < 60000)
            waited = now_ms - start_ms;
    }
    return db_now_ms() + w->cfg->deadline_ms - waited;
}

/* Turn the FastCGI request into a struct request, route it, answer it. */
static void
worker_serve(struct worker *w, FCGX_Request *fr)
{
    struct request   req;
    struct response  res;
    struct handler_ctx ctx;
    struct timespec  start;
    char             idbuf[WORKER_ID_MAX];

    clock_gettime(CLOCK_MONOTONIC, &start);
    memset(&req, 0, sizeof(req));
    req.method = worker_param(fr, "REQUEST_METHOD");
    /* nginx's normalised path; other FastCGI front ends set SCRIPT_NAME */
    req.path = worker_param(fr, "DOCUMENT_URI");
    if (req.path == NULL)
        req.path = worker_param(fr, "SCRIPT_NAME");
    req.query = worker_param(fr, "QUERY_STRING");
    req.content_type = worker_param(fr, "CONTENT_TYPE");
    req.authorization = worker_param(fr, "HTTP_AUTHORIZATION");
    req.idempotency_key = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", fr->envp);
    req.if_none_match = worker_param(fr, "HTTP_IF_NONE_MATCH");
    req.remote_addr = worker_param(fr, "REMOTE_ADDR");
    req.request_id = worker_request_id(fr, idbuf, sizeof(idbuf), w->served);
    if (req.method == NULL)
        req.method = "GET";
    if (req.path == NULL)
        req.path = "/";
    if (req.query == NULL)
        req.query = "";
    worker_read_body(w, fr, &req);
    db_request_begin(&w->db, worker_deadline(w, fr));

    response_init(&res);
    ctx.req = &req;
    ctx.res = &res;
    ctx.db = &w->db;
    ctx.cfg = w->cfg;
    ctx.id = 0;
    ctx.metrics = w->metrics;
    ctx.board = w->board;
    ctx.authfail = scoreboard_authfail(w->board);
    ctx.text = &w->text;
    route_dispatch(&ctx);

    worker_emit(fr, &req, &res);
    metrics_request(w->metrics, ctx.route, res.status,
        worker_log(&req, res.status, &start));
    metrics_db(w->metrics, w->db.errors, w->db.reconnects);
    response_cleanup(&res);
}

/*
 * Serve what poll() found ready: read a request from each ready kept
 * connection, and from each new connection queued on the socket, then
 * serve them in
 * the order of their deadlines, oldest first. nginx sends a request on
 * any connection it keeps to this worker, busy or not, so several can
 * be waiting; served in any other order, one could wait behind later
 * ones for more than its deadline, when each of those may take up to
 * its own (a lock held on bookings: a request waited 3 s behind a 2 s
 * deadline). Returns -1 when the worker must end.
 */
static int
worker_round(struct worker *w, int npfd)
{
    FCGX_Request *fr, *ready[WORKER_CONNS];
    int64_t       due[WORKER_CONNS], d;
    int           k, i, n = 0, rc, listen_ready = 0;
    int           listen_idle = npfd > 1 && w->pfd_conn[1] == WORKER_CONNS;

    for (k = 1; k < npfd; k++) {
        if (w->pfd_conn[k] < 0
            || !(w->pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (w->pfd_conn[k] == WORKER_CONNS) {
            listen_idle = 0;
            listen_ready = 1;
            continue;
        }
        fr = &w->conns[w->pfd_conn[k]];
        if ((rc = worker_accept(w, fr)) < 0)
            return -1;
        if (rc > 0) {
            ready[n] = fr;
            due[n++] = worker_deadline(w, fr);
        }
    }
    /* Draining our own socket: its queue is empty once poll(), asked
     * about it, says so. */
    if (w->stop && listen_idle)
        w->backlog_done = 1;
    /* Every connection queued on the socket that a free slot can take,
     * not one a round: a round may last a deadline, and a connection
     * left in the queue meanwhile waited several (5 s behind a 2 s
     * deadline, with a lock held on bookings). */
    while (listen_ready && worker_accepting(w) && n < WORKER_CONNS
           && (fr = worker_free_conn(w)) != NULL) {
        if ((rc = worker_accept(w, fr)) < 0)
            return -1;
        if (rc == 0)
            break;
        ready[n] = fr;
        due[n++] = worker_deadline(w, fr);
    }
    /* at most WORKER_CONNS: an insertion sort */
    for (i = 1; i < n; i++) {
        fr = ready[i];
        d = due[i];
        for (k = i; k > 0 && due[k - 1] > d; k--) {
            ready[k] = ready[k - 1];
            due[k] = due[k - 1];
        }
        ready[k] = fr;
        due[k] = d;
    }
    for (i = 0; i < n; i++)
        worker_take(w, ready[i]);
    return 0;
}

/*
 * The worker's life: connect (a database that is down now is retried on
 * demand), then serve requests on up to WORKER_CONNS connections that
 * nginx keeps open, one request at a time, until a stop signal. On stop,
 * requests on kept connections are still served until nginx closes them
 * or half the drain time has passed; when drain_backlog (we bound the
 * socket, which dies with us), connections already queued on it are
 * served too; on an inherited socket they are left for the next server,
 * since systemd keeps the socket. An accept error other than a lost race
 * ends the worker, for the master to start a fresh one. Returns the
 * process exit status.
 */
int
worker_run(const struct config *cfg, int listen_fd, int drain_backlog,
    struct scoreboard *board, int entry)
{
    struct worker *w;
    sigset_t       stop;
    int            i, n, status = 1;

    /* ~10 KB of connection slots: on the heap, not the stack */
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return 1;
    w->cfg = cfg;
    w->listen_fd = listen_fd;
    w->sig_fd = -1;
    w->drain_backlog = drain_backlog;
    w->board = board;
    w->entry = entry;
    w->metrics = scoreboard_metrics(board, entry);
    /* A 1000-show page builds ~120 KB of JSON: keep such buffers in the
     * heap between requests rather than mmap and unmap them (and fault
     * their pages in) every time. Bounded: a few MB at most. */
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
    db_init(&w->db, cfg, "booking-fcgi");
    for (i = 0; i < WORKER_CONNS; i++)
        FCGX_InitRequest(&w->conns[i], listen_fd, 0);
    w->body = malloc(REQUEST_ADMIN_BODY_MAX + 1);
    /* FCGX_Init() installs libfcgi's SIGTERM handler, which would eat a
     * stop that arrived before worker_signals(): block them first */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGQUIT);
    sigaddset(&stop, SIGUSR2);
    if (w->body == NULL || sigprocmask(SIG_BLOCK, &stop, NULL) < 0
        || FCGX_Init() != 0 || (w->sig_fd = worker_signals(&stop)) < 0) {
        fprintf(stderr, "booking-fcgi: worker set-up failed: %s\n",
            strerror(errno));
        goto out;
    }
    if (db_connect(&w->db) < 0) {
        fprintf(stderr, "booking-fcgi: worker %ld: %s (will retry)\n",
            (long) getpid(), w->db.err);
        w->db.next_connect = time(NULL) + 1;
    }
    scoreboard_set(board, entry, SCOREBOARD_IDLE, db_connected(&w->db));

    for (;;) {
        if (w->stop && (clock_now_ms() >= w->deadline_ms
                        || (worker_open_conns(w) == 0
                            && !worker_accepting(w))))
            break;
        worker_reconnect(w);
        n = worker_poll(w);
        if (n < 0 || worker_round(w, n) < 0)
            goto out;
    }
    status = 0;

out:
    /* Past the deadline a kept connection is closed under nginx: it may
     * cut a request sent just now, which nginx answers 502. A plain
     * close(): libfcgi's would wait up to 2 s per connection for nginx
     * to close its end first. */
    for (i = 0; i < WORKER_CONNS; i++) {
        if (w->conns[i].ipcFd >= 0) {
            close(w->conns[i].ipcFd);
            w->conns[i].ipcFd = -1;
        }
    }
    if (w->sig_fd >= 0)
        close(w->sig_fd);
    db_cleanup(&w->db);
    free(w->text.buf);
    free(w->body);
    free(w);
    return status;
}
