/* A worker process: the FastCGI accept loop around one database connection. */

#define _GNU_SOURCE

#include "worker.h"

#include <errno.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "request.h"
#include "route.h"

#define WORKER_ID_MAX 64

struct worker {
    const struct config *cfg;
    struct db            db;
    char                *body;      /* REQUEST_BODY_MAX + 1 bytes, reused */
    unsigned long        served;
};

static int worker_signals(void);
static int worker_wait(int listen_fd, int sig_fd, int *stop);
static void worker_serve(struct worker *w, FCGX_Request *fr);
static void worker_read_body(struct worker *w, FCGX_Request *fr,
    struct request *req);
static const char *worker_request_id(FCGX_Request *fr, char *buf,
    size_t size, unsigned long served);
static void worker_emit(FCGX_Request *fr, const struct request *req,
    const struct response *res);
static void worker_log(const struct request *req, int status,
    const struct timespec *start);
static void worker_log_clean(char *s);
static const char *worker_param(FCGX_Request *fr, const char *name);

/*
 * The stop signals (SIGTERM, SIGINT, SIGQUIT) stay blocked and are read
 * from a signalfd polled beside the listening socket: a stop never
 * interrupts a request half-served (libfcgi treats an interrupted read or
 * write as a broken connection), and it is seen even when the socket is
 * always ready. SIGUSR1, which libfcgi would take as a silent request to
 * stop accepting, and SIGHUP are ignored. Call it after FCGX_Init(),
 * which installs its own SIGUSR1 handler. Returns the signalfd or -1.
 */
static int
worker_signals(void)
{
    struct sigaction sa;
    sigset_t         stop;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) < 0 || sigaction(SIGHUP, &sa, NULL) < 0
        || sigaction(SIGUSR1, &sa, NULL) < 0
        || sigaction(SIGUSR2, &sa, NULL) < 0)
        return -1;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGQUIT);
    if (sigprocmask(SIG_BLOCK, &stop, NULL) < 0)
        return -1;
    return signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
}

/*
 * Sleep until the listening socket has a connection or a stop signal
 * arrives (then *stop is set). Returns 0 when there may be a connection
 * to accept.
 */
static int
worker_wait(int listen_fd, int sig_fd, int *stop)
{
    struct pollfd           pfd[2] = { { listen_fd, POLLIN, 0 },
                                       { sig_fd, POLLIN, 0 } };
    struct signalfd_siginfo si;

    if (poll(pfd, 2, -1) < 0) {
        if (errno != EINTR)
            fprintf(stderr, "booking-fcgi: poll() failed: %s\n",
                strerror(errno));
        return -1;
    }
    if (pfd[1].revents & POLLIN) {
        while (read(sig_fd, &si, sizeof(si)) == (ssize_t) sizeof(si))
            *stop = 1;
        return -1;
    }
    return (pfd[0].revents & POLLIN) ? 0 : -1;
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
    const char *body = "{}";
    size_t      body_len = 2;
    char        head[RESPONSE_HEADERS * RESPONSE_HEADER_MAX + 512];
    int         i, n;

    /* json-c knows the length it wrote: no strlen over a 120 KB page */
    if (res->body != NULL)
        body = json_object_to_json_string_length(res->body,
            JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
            &body_len);
    n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        "X-Request-Id: %s\r\n"
        "Content-Length: %zu\r\n", res->status,
        response_reason(res->status), req->request_id, body_len);
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
static void
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
    req.remote_addr = worker_param(fr, "REMOTE_ADDR");
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
 * demand), then accept and serve one request at a time until a stop
 * signal. On stop, when drain_backlog (we bound the socket, which dies
 * with us), connections already queued on it are still served, for at
 * most half the drain time; on an inherited socket they are left for the
 * next server, since systemd keeps the socket. An accept error other
 * than a lost race ends the worker, for the master to start a fresh one.
 * Returns the process exit status.
 */
int
worker_run(const struct config *cfg, int listen_fd, int drain_backlog)
{
    struct worker w;
    FCGX_Request  fr;
    time_t        drain_until = 0;
    int           rc, sig_fd = -1, stop = 0, status = 1;

    memset(&w, 0, sizeof(w));
    w.cfg = cfg;
    /* A 1000-show page builds ~120 KB of JSON: keep such buffers in the
     * heap between requests rather than mmap and unmap them (and fault
     * their pages in) every time. Bounded: a few MB at most. */
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
    db_init(&w.db, cfg, "booking-fcgi");
    w.body = malloc(REQUEST_BODY_MAX + 1);
    if (w.body == NULL || FCGX_Init() != 0
        || (sig_fd = worker_signals()) < 0
        || FCGX_InitRequest(&fr, listen_fd, 0) != 0) {
        fprintf(stderr, "booking-fcgi: worker set-up failed: %s\n",
            strerror(errno));
        goto out;
    }
    if (db_connect(&w.db) < 0)
        fprintf(stderr, "booking-fcgi: worker %ld: %s (will retry)\n",
            (long) getpid(), w.db.err);

    for (;;) {
        if (!stop && worker_wait(listen_fd, sig_fd, &stop) < 0 && !stop)
            continue;
        if (stop && drain_until == 0)
            drain_until = time(NULL) + (cfg->drain_seconds + 1) / 2;
        if (stop && (!drain_backlog || time(NULL) >= drain_until))
            break;
        rc = FCGX_Accept_r(&fr);
        if (rc < 0) {
            /* The socket is non-blocking: another worker won the race,
             * or, when stopping, the backlog is empty. */
            if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
                if (stop)
                    break;
                continue;
            }
            fprintf(stderr, "booking-fcgi: FCGX_Accept_r() failed: %s\n",
                rc > -4096 ? strerror(-rc) : "libfcgi error");
            if (!stop)
                goto out;
            break;
        }
        worker_serve(&w, &fr);
        FCGX_Finish_r(&fr);
        w.served++;
    }
    status = 0;

out:
    if (sig_fd >= 0)
        close(sig_fd);
    db_cleanup(&w.db);
    free(w.body);
    return status;
}
