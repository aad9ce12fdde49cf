/* Unit tests of booking-events' publisher: the channel of a payload, nginx's answers, keep-alive, outages. */

#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"

#include "events_publish.h"

/*
 * A fake nchan publisher on a unix socket, in a thread: it records each
 * request as "PATH BODY\n", answers status, and closes a connection
 * after close_after requests (0: keeps it), as nginx does at its
 * keepalive limits, without saying so.
 */
struct fake {
    char            path[64];
    int             lfd;
    int             status;
    int             close_after;
    pthread_t       tid;
    pthread_mutex_t mu;
    int             conns, reqs;
    char            log[4096];
};

static void fake_start(struct fake *f, const char *path, int status,
    int close_after);
static void fake_stop(struct fake *f);
static void *fake_run(void *arg);
static int fake_serve(struct fake *f, int fd);
static void fake_log_get(struct fake *f, char *out, size_t size);

static void
fake_start(struct fake *f, const char *path, int status, int close_after)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    memset(f, 0, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "%s", path);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    f->status = status;
    f->close_after = close_after;
    unlink(path);
    f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(f->lfd >= 0);
    assert_int_equal(bind(f->lfd, (struct sockaddr *) &sa, sizeof(sa)), 0);
    assert_int_equal(listen(f->lfd, 8), 0);
    pthread_mutex_init(&f->mu, NULL);
    assert_int_equal(pthread_create(&f->tid, NULL, fake_run, f), 0);
}

/* Stop accepting (shutdown wakes accept()), wait for the thread. */
static void
fake_stop(struct fake *f)
{
    shutdown(f->lfd, SHUT_RDWR);
    pthread_join(f->tid, NULL);
    close(f->lfd);
    unlink(f->path);
    pthread_mutex_destroy(&f->mu);
}

static void *
fake_run(void *arg)
{
    struct fake *f = arg;
    int          fd;

    while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
        pthread_mutex_lock(&f->mu);
        f->conns++;
        pthread_mutex_unlock(&f->mu);
        while (fake_serve(f, fd) == 0)
            ;
        close(fd);
    }
    return NULL;
}

/* One request on fd, recorded and answered. 0 to read the next on the
 * same connection, -1 to close it. */
static int
fake_serve(struct fake *f, int fd)
{
    char        buf[2048], answer[128], *end, *cl;
    size_t      len = 0, head, want;
    ssize_t     n;
    int         reqs;

    while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return -1;
        len += (size_t) n;
    }
    buf[len] = '\0';
    head = (size_t) (end - buf) + 4;
    cl = strstr(buf, "Content-Length: ");
    want = head + (cl != NULL ? strtoul(cl + 16, NULL, 10) : 0);
    while (len < want && len < sizeof(buf) - 1) {
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return -1;
        len += (size_t) n;
    }
    buf[len] = '\0';
    *strchr(buf, '\r') = '\0';      /* "POST /pub/x HTTP/1.1" */
    pthread_mutex_lock(&f->mu);
    snprintf(f->log + strlen(f->log), sizeof(f->log) - strlen(f->log),
        "%.*s %s\n", (int) (strlen(buf) - strlen(" HTTP/1.1") - 5), buf + 5,
        buf + head);
    reqs = ++f->reqs;
    pthread_mutex_unlock(&f->mu);
    n = snprintf(answer, sizeof(answer), "HTTP/1.1 %d X\r\nContent-Type: "
        "text/plain\r\nContent-Length: 2\r\n\r\nok", f->status);
    if (write(fd, answer, (size_t) n) != n)
        return -1;
    return f->close_after > 0 && reqs % f->close_after == 0 ? -1 : 0;
}

static void
fake_log_get(struct fake *f, char *out, size_t size)
{
    pthread_mutex_lock(&f->mu);
    snprintf(out, size, "%s", f->log);
    pthread_mutex_unlock(&f->mu);
}

/* ---- publish_channel ------------------------------------------------ */

static void
test_channel(void **state)
{
    char ch[PUBLISH_CHANNEL_MAX];

    (void) state;
    assert_int_equal(publish_channel("{\"show\":12,\"h\":[3,4]}", ch,
        sizeof(ch)), 0);
    assert_string_equal(ch, "show_12");
    assert_int_equal(publish_channel("{\"show\":7,\"resync\":true}", ch,
        sizeof(ch)), 0);
    assert_string_equal(ch, "show_7");
    assert_int_equal(publish_channel(PUBLISH_RESYNC, ch, sizeof(ch)), 0);
    assert_string_equal(ch, "all");
    assert_int_equal(publish_channel("{\"show\":0}", ch, sizeof(ch)), -1);
    assert_int_equal(publish_channel("{\"show\":-3}", ch, sizeof(ch)), -1);
    assert_int_equal(publish_channel("{\"show\":\"12\"}", ch, sizeof(ch)), -1);
    assert_int_equal(publish_channel("[12]", ch, sizeof(ch)), -1);
    assert_int_equal(publish_channel("show 12", ch, sizeof(ch)), -1);
    assert_int_equal(publish_channel("", ch, sizeof(ch)), -1);
    assert_int_equal(publish_channel("{\"show\":123456}", ch, 8), -1);
}

/* ---- publish_response_parse ----------------------------------------- */

static void
test_response(void **state)
{
    struct publish_response r;
    const char *ok = "HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\n"
                     "content-length: 101\r\n\r\nqueued";
    const char *closing = "HTTP/1.1 201 Created\r\nConnection: close\r\n\r\n";

    (void) state;
    assert_int_equal(publish_response_parse(ok, strlen(ok), &r), 1);
    assert_int_equal(r.status, 202);
    assert_int_equal(r.content_length, 101);
    assert_int_equal(r.close, 0);
    assert_int_equal(r.head_len, strlen(ok) - strlen("queued"));
    assert_int_equal(publish_response_parse(ok, 30, &r), 0);
    assert_int_equal(publish_response_parse(closing, strlen(closing), &r), 1);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.content_length, -1);
    assert_int_equal(r.close, 1);
    assert_int_equal(publish_response_parse("HTTP/1.1 403 Forbidden\r\n\r\n",
        26, &r), 1);
    assert_int_equal(r.status, 403);
    assert_int_equal(publish_response_parse("SSH-2.0-OpenSSH_9.2\r\n", 21,
        &r), -1);
    assert_int_equal(publish_response_parse("HTTP/1.1 2x0 Odd\r\n\r\n", 20,
        &r), -1);
    assert_int_equal(publish_response_parse(
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 39, &r), -1);
    assert_int_equal(publish_response_parse(
        "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", 40, &r), -1);
}

/* ---- publish_send against the fake ---------------------------------- */

static void
test_keepalive(void **state)
{
    struct publish p;
    struct fake    f;
    char           log[4096];

    (void) state;
    fake_start(&f, "/tmp/test_events_publish.sock", 202, 0);
    publish_init(&p, f.path);
    assert_int_equal(publish_send(&p, "show_12", "{\"show\":12,\"h\":[3]}"), 0);
    assert_int_equal(publish_send(&p, "show_12", "{\"show\":12,\"s\":[3]}"), 0);
    assert_int_equal(publish_send(&p, "all", PUBLISH_RESYNC), 0);
    publish_cleanup(&p);
    fake_stop(&f);
    fake_log_get(&f, log, sizeof(log));
    assert_string_equal(log, "/pub/show_12 {\"show\":12,\"h\":[3]}\n"
        "/pub/show_12 {\"show\":12,\"s\":[3]}\n/pub/all {\"resync\":true}\n");
    assert_int_equal(f.conns, 1);   /* one connection kept for all three */
}

/* nginx closed the kept connection between two messages: the second is
 * sent again on a new one, once, and nothing is logged. */
static void
test_closed_between(void **state)
{
    struct publish p;
    struct fake    f;
    struct capture c;
    char           log[4096], err[512];

    (void) state;
    fake_start(&f, "/tmp/test_events_publish.sock", 201, 1);
    publish_init(&p, f.path);
    capture_begin(&c);
    assert_int_equal(publish_send(&p, "show_1", "{\"show\":1,\"f\":[1]}"), 0);
    assert_int_equal(publish_send(&p, "show_1", "{\"show\":1,\"f\":[2]}"), 0);
    assert_int_equal(publish_send(&p, "show_1", "{\"show\":1,\"f\":[3]}"), 0);
    capture_end(&c, err, sizeof(err));
    publish_cleanup(&p);
    fake_stop(&f);
    fake_log_get(&f, log, sizeof(log));
    assert_string_equal(log, "/pub/show_1 {\"show\":1,\"f\":[1]}\n"
        "/pub/show_1 {\"show\":1,\"f\":[2]}\n/pub/show_1 {\"show\":1,\"f\":[3]}\n");
    assert_int_equal(f.conns, 3);
    assert_string_equal(err, "");
    assert_int_equal(p.down, 0);
}

/*
 * No nginx: each message is dropped, the outage logged once. When nginx
 * is back, every browser is first told to resync, then the message
 * goes, and the end of the outage is logged with the count.
 */
static void
test_outage(void **state)
{
    struct publish p;
    struct fake    f;
    struct capture c;
    char           log[4096], err[1024];
    const char    *path = "/tmp/test_events_publish.sock";

    (void) state;
    unlink(path);
    publish_init(&p, path);
    capture_begin(&c);
    assert_int_equal(publish_send(&p, "show_5", "{\"show\":5,\"h\":[1]}"), -1);
    assert_int_equal(publish_send(&p, "show_5", "{\"show\":5,\"s\":[1]}"), -1);
    assert_int_equal(publish_send(&p, "show_6", "{\"show\":6,\"h\":[2]}"), -1);
    capture_end(&c, err, sizeof(err));
    assert_int_equal(p.down, 1);
    assert_int_equal(p.dropped, 3);
    assert_non_null(strstr(err, "POST /pub/show_5 on unix:/tmp/test_events_"
        "publish.sock: connect(\"unix:/tmp/test_events_publish.sock\") "
        "failed: No such file or directory; changes are dropped"));
    assert_null(strchr(strchr(err, '\n') + 1, '\n'));  /* one line */

    fake_start(&f, path, 202, 0);
    capture_begin(&c);
    assert_int_equal(publish_send(&p, "show_6", "{\"show\":6,\"f\":[2]}"), 0);
    capture_end(&c, err, sizeof(err));
    publish_cleanup(&p);
    fake_stop(&f);
    fake_log_get(&f, log, sizeof(log));
    assert_string_equal(log, "/pub/all {\"resync\":true}\n"
        "/pub/show_6 {\"show\":6,\"f\":[2]}\n");
    assert_non_null(strstr(err, "nginx answers again on unix:/tmp/test_"
        "events_publish.sock: 3 messages were dropped; told every browser"));
    assert_int_equal(p.down, 0);
    assert_int_equal(p.dropped, 0);
}

/* An answer that is not 2xx is a failure, said with its status. */
static void
test_refused(void **state)
{
    struct publish p;
    struct fake    f;
    struct capture c;
    char           err[1024];

    (void) state;
    fake_start(&f, "/tmp/test_events_publish.sock", 403, 0);
    publish_init(&p, f.path);
    capture_begin(&c);
    assert_int_equal(publish_send(&p, "show_1", "{\"show\":1,\"f\":[1]}"), -1);
    capture_end(&c, err, sizeof(err));
    publish_cleanup(&p);
    fake_stop(&f);
    assert_non_null(strstr(err, "POST /pub/show_1 on unix:/tmp/test_events_"
        "publish.sock: nginx answered 403;"));
    assert_int_equal(p.down, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_closed_between),
        cmocka_unit_test(test_outage),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
