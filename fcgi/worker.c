/* A worker process: the FastCGI accept loop around one database connection. */

#define _GNU_SOURCE

#include "worker.h"

#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "request.h"
#include "route.h"

#define WORKER_ID_MAX 64

/* Set by SIGTERM/SIGINT; the only state a signal handler may touch. */
static volatile sig_atomic_t worker_stop;

struct worker {
    const struct config *cfg;
    struct db            db;
    char                *body;      /* REQUEST_BODY_MAX + 1 bytes, reused */
    unsigned long        served;
};

static void worker_on_signal(int sig);
static int worker_signals(sigset_t *blocked, sigset_t *waiting);
static int worker_wait(int listen_fd, const sigset_t *waiting);
static void worker_serve(struct worker *w, FCGX_Request *fr);
static void worker_read_body(struct worker *w, FCGX_Request *fr,
    struct request *req);
static const char *worker_request_id(FCGX_Request *fr, char *buf,
    size_t size, unsigned long served);
static void worker_emit(FCGX_Request *fr, const struct request *req,
    const struct response *res);
static void worker_log(const struct request *req, int status,
    const struct timespec *start);
static const char *worker_param(FCGX_Request *fr, const char *name);

static void
worker_on_signal(int sig)
{
    (void) sig;
    worker_stop = 1;
}

/*
 * SIGTERM and SIGINT stay blocked except while the worker waits for a
 * connection (ppoll), so a stop never interrupts a request half-served:
 * libfcgi treats an interrupted read or write as a broken connection.
 */
static int
worker_signals(sigset_t *blocked, sigset_t *waiting)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = worker_on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
        return -1;
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) < 0 || sigaction(SIGHUP, &sa, NULL) < 0)
        return -1;
    sigemptyset(blocked);
    sigaddset(blocked, SIGTERM);
    sigaddset(blocked, SIGINT);
    if (sigprocmask(SIG_BLOCK, blocked, waiting) < 0)
        return -1;
    sigdelset(waiting, SIGTERM);
    sigdelset(waiting, SIGINT);
    return 0;
}

/*
 * Sleep until the listening socket has a connection or a stop signal
 * arrives. Returns 0 when there may be a connection to accept.
 */
static int
worker_wait(int listen_fd, const sigset_t *waiting)
{
    struct pollfd pfd = { .fd = listen_fd, .events = POLLIN, .revents = 0 };

    if (ppoll(&pfd, 1, NULL, waiting) < 0) {
        if (errno != EINTR)
            fprintf(stderr, "booking-fcgi: ppoll() failed: %s\n",
                strerror(errno));
        return -1;
    }
    return 0;
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
 * Read at most REQUEST_BODY_MAX bytes of body; one byte more marks the
 * request as too large (nginx enforces the same limit in front).
 */
static void
worker_read_body(struct worker *w, FCGX_Request *fr, struct request *req)
{
    size_t len = 0;
    int    n;

    while (len <= REQUEST_BODY_MAX) {
        n = FCGX_GetStr(w->body + len, (int) (REQUEST_BODY_MAX + 1 - len),
            fr->in);
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    req->body_too_large = len > REQUEST_BODY_MAX;
    if (req->body_too_large)
        len = REQUEST_BODY_MAX;
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
    const char *body = res->body != NULL
        ? json_object_to_json_string_ext(res->body,
              JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
        : "{}";
    size_t      body_len = strlen(body);
    char        head[RESPONSE_HEADERS * RESPONSE_HEADER_MAX + 512];
    int         i, n;

    n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        "X-Request-Id: %s\r\n"
        "Content-Length: %zu\r\n", res->status,
        response_reason(res->status), req->request_id, body_len);
    for (i = 0; i < res->nheaders; i++)
        n += snprintf(head + n, sizeof(head) - (size_t) n, "%s\r\n",
            res->headers[i]);
    n += snprintf(head + n, sizeof(head) - (size_t) n, "\r\n");
    FCGX_PutStr(head, n, fr->out);
    FCGX_PutStr(body, (int) body_len, fr->out);
}

/*
 * One line per request: method, path (control bytes replaced), status,
 * duration, request id. Never a header value or the body.
 */
static void
worker_log(const struct request *req, int status, const struct timespec *start)
{
    struct timespec end;
    char            path[256];
    size_t          i;
    double          ms;

    clock_gettime(CLOCK_MONOTONIC, &end);
    ms = (double) (end.tv_sec - start->tv_sec) * 1e3
       + (double) (end.tv_nsec - start->tv_nsec) / 1e6;
    snprintf(path, sizeof(path), "%s", req->path);
    for (i = 0; path[i] != '\0'; i++)
        if ((unsigned char) path[i] < 0x21 || (unsigned char) path[i] > 0x7e)
            path[i] = '?';
    fprintf(stderr, "booking-fcgi: %s %s %d %.2fms request_id=%s\n",
        req->method, path, status, ms, req->request_id);
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
    req.request_id = worker_request_id(fr, idbuf, sizeof(idbuf), w->served);
    if (req.method == NULL)
        req.method = "GET";
    if (req.path == NULL)
        req.path = "/";
    if (req.query == NULL)
        req.query = "";
    worker_read_body(w, fr, &req);

    response_init(&res);
    ctx.req = &req;
    ctx.res = &res;
    ctx.db = &w->db;
    ctx.cfg = w->cfg;
    ctx.id = 0;
    route_dispatch(&ctx);

    worker_emit(fr, &req, &res);
    worker_log(&req, res.status, &start);
    response_cleanup(&res);
}

/*
 * The worker's life: connect (a database that is down now is retried on
 * demand), then accept and serve one request at a time until told to
 * stop. On stop, connections already queued on the socket are still
 * served, for at most half the drain time, so a stop drops none of them.
 * Returns the process exit status.
 */
int
worker_run(const struct config *cfg, int listen_fd)
{
    struct worker w;
    FCGX_Request  fr;
    sigset_t      blocked, waiting;
    time_t        drain_until = 0;
    struct timespec backoff = { 0, 100 * 1000 * 1000 };
    int           rc, status = 1;

    memset(&w, 0, sizeof(w));
    w.cfg = cfg;
    db_init(&w.db, cfg->database_url, cfg->db_connect_timeout, "booking-fcgi");
    w.body = malloc(REQUEST_BODY_MAX + 1);
    if (w.body == NULL || worker_signals(&blocked, &waiting) < 0
        || FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, 0) != 0) {
        fprintf(stderr, "booking-fcgi: worker set-up failed: %s\n",
            strerror(errno));
        goto out;
    }
    if (db_connect(&w.db) < 0)
        fprintf(stderr, "booking-fcgi: worker %ld: %s (will retry)\n",
            (long) getpid(), w.db.err);

    for (;;) {
        if (worker_stop && drain_until == 0)
            drain_until = time(NULL) + (cfg->drain_seconds + 1) / 2;
        if (worker_stop && time(NULL) >= drain_until)
            break;
        if (!worker_stop && worker_wait(listen_fd, &waiting) < 0)
            continue;
        rc = FCGX_Accept_r(&fr);
        if (rc < 0) {
            /* The socket is non-blocking: another worker won the race. */
            if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
                if (worker_stop)
                    break;
                continue;
            }
            fprintf(stderr, "booking-fcgi: FCGX_Accept_r() failed: %s\n",
                rc > -4096 ? strerror(-rc) : "libfcgi error");
            if (worker_stop)
                break;
            nanosleep(&backoff, NULL);   /* no busy loop on a bad socket */
            continue;
        }
        worker_serve(&w, &fr);
        FCGX_Finish_r(&fr);
        w.served++;
    }
    status = 0;

out:
    db_cleanup(&w.db);
    free(w.body);
    return status;
}
