/* booking-events: relay PostgreSQL's seat_events notifications, and lapsed holds at their deadline, to nginx's nchan. */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "db_listen.h"
#include "events_lapse.h"
#include "events_publish.h"
#include "notify.h"

/* Reconnecting to PostgreSQL: the first try at once, then waits that
 * double from the first to the last, and stay there. */
#define EVENTS_BACKOFF_FIRST_MS 250
#define EVENTS_BACKOFF_MAX_MS   5000

/* The daemon: its configuration, its two connections and when it looks
 * at lapsed holds next; nothing else lives beyond a call. */
struct events {
    struct config  cfg;
    struct db      db;
    struct publish pub;
    struct lapse   lapse;
    struct notify  notify;
    int            sfd;         /* signalfd: SIGTERM, SIGINT */
    int            ready;       /* READY=1 sent */
    int            outage;      /* a failed try of this outage was logged */
    int64_t        lost_ms;     /* when the connection was lost */
    int64_t        backoff_ms;  /* the wait before the next try */
    int64_t        next_try_ms;
};

static int events_signals(struct events *ev);
static int events_wait(struct events *ev, int64_t timeout_ms);
static void events_relay(const char *payload, void *arg);
static void events_heard(const char *payload, void *arg);
static int events_look(struct events *ev);
static void events_listen(struct events *ev);
static void events_lost(struct events *ev);
static int events_run(struct events *ev);

/*
 * SIGTERM and SIGINT arrive on a signalfd (blocked otherwise), read in
 * the one poll() of the loop: no handler, no flag to share with it.
 */
static int
events_signals(struct events *ev)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0
        || (ev->sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
        fprintf(stderr, "booking-events: signalfd() failed: %s\n",
            strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Wait up to timeout_ms (-1: for ever) for a signal or, when connected,
 * for the database to speak. Returns 1 to stop (a signal came), 0
 * otherwise.
 */
static int
events_wait(struct events *ev, int64_t timeout_ms)
{
    struct pollfd            pfd[2] = { { ev->sfd, POLLIN, 0 },
                                        { db_socket(&ev->db), POLLIN, 0 } };
    struct signalfd_siginfo  si;
    int                      n;

    n = poll(pfd, pfd[1].fd >= 0 ? 2 : 1, (int) timeout_ms);
    if (n < 0 && errno != EINTR) {
        fprintf(stderr, "booking-events: poll() failed: %s\n",
            strerror(errno));
        return 1;
    }
    if (n > 0 && (pfd[0].revents & POLLIN)
        && read(ev->sfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
        fprintf(stderr, "booking-events: stopping (%s)\n",
            strsignal((int) si.ssi_signo));
        return 1;
    }
    if (n > 0 && pfd[1].revents != 0
        && db_listen_read(&ev->db, events_heard, ev) < 0)
        events_lost(ev);
    return 0;
}

/* One notification: published on its show's channel (or "all"). A
 * payload that is not a seat event is logged and dropped. */
static void
events_relay(const char *payload, void *arg)
{
    struct publish *pub = arg;
    char            channel[PUBLISH_CHANNEL_MAX];

    if (publish_channel(payload, channel, sizeof(channel)) < 0) {
        fprintf(stderr, "booking-events: notification dropped, not a seat "
            "event: \"%.80s\"\n", payload);
        return;
    }
    publish_send(pub, channel, payload);
}

/* A notification: relayed, and a new hold in it may lapse before the
 * look already due. */
static void
events_heard(const char *payload, void *arg)
{
    struct events *ev = arg;

    events_relay(payload, &ev->pub);
    lapse_heard(&ev->lapse, payload, db_now_ms());
}

/*
 * Look at the seated holds whose deadline passed (by the database's
 * clock) and announce their seats free, a message per show, then
 * schedule the next look. The database is only read: the sweeper still
 * releases them, and says so again. A statement that fails on a live
 * connection (the function not yet migrated, say) is logged and tried
 * again LAPSE_MAX_WAIT_MS later; the relay goes on. Returns -1 when the
 * connection ended (ev->db.err says why).
 */
static int
events_look(struct events *ev)
{
    int64_t wait_ms = -1;
    int     rc;

    rc = db_listen_lapsed(&ev->db, &ev->lapse.cur, LAPSE_BATCH,
        events_relay, &ev->pub, &wait_ms);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        lapse_done(&ev->lapse, wait_ms, db_now_ms());
        return 0;
    }
    fprintf(stderr, "booking-events: %s; lapsed holds are announced when "
        "the sweeper releases them; looking again in %d s\n", ev->db.err,
        LAPSE_MAX_WAIT_MS / 1000);
    lapse_failed(&ev->lapse, db_now_ms());
    return 0;
}

/*
 * Try to connect and LISTEN, and start the look at lapsed holds from
 * the database's now. On success every browser is told to refetch its
 * map (changes made while nobody listened were not heard, holds that
 * lapsed meanwhile were not announced),
 * systemd hears READY=1 the first time, and the log says when an outage
 * ended. On failure the first of an outage is logged (systemctl status
 * shows the latest), and the next try waits twice as long, up to
 * EVENTS_BACKOFF_MAX_MS.
 */
static void
events_listen(struct events *ev)
{
    char status[NOTIFY_STATUS_MAX];

    lapse_init(&ev->lapse);
    if (db_listen_start(&ev->db) < 0 || events_look(ev) < 0) {
        if (!ev->outage)
            fprintf(stderr, "booking-events: %s; trying again, every %d s "
                "at most\n", ev->db.err, EVENTS_BACKOFF_MAX_MS / 1000);
        ev->outage = 1;
        snprintf(status, sizeof(status), "database unreachable: %.120s",
            ev->db.err);
        notify_status(&ev->notify, NULL, status);
        ev->next_try_ms = db_now_ms() + ev->backoff_ms;
        ev->backoff_ms = ev->backoff_ms * 2 < EVENTS_BACKOFF_MAX_MS
            ? ev->backoff_ms * 2 : EVENTS_BACKOFF_MAX_MS;
        return;
    }
    publish_send(&ev->pub, "all", PUBLISH_RESYNC);
    if (ev->lost_ms != 0)
        fprintf(stderr, "booking-events: listening again on seat_events "
            "after %lld ms; told every browser to refetch its map "
            "(resync)\n", (long long) (db_now_ms() - ev->lost_ms));
    else
        fprintf(stderr, "booking-events: listening on seat_events, "
            "publishing to unix:%s\n", ev->cfg.events_socket);
    snprintf(status, sizeof(status), "listening on seat_events, "
        "publishing to unix:%s", ev->cfg.events_socket);
    notify_status(&ev->notify, ev->ready ? NULL : "READY=1", status);
    ev->ready = 1;
    ev->outage = 0;
    ev->lost_ms = 0;
    ev->backoff_ms = EVENTS_BACKOFF_FIRST_MS;
    /* Notifications that came with LISTEN's answer were read with it:
     * the socket will not wake poll() for them. */
    if (db_listen_read(&ev->db, events_heard, ev) < 0)
        events_lost(ev);
}

/* The connection ended under us: say so, and reconnect at once (a
 * first try that fails is logged too, with why). */
static void
events_lost(struct events *ev)
{
    fprintf(stderr, "booking-events: the database connection ended: %s; "
        "reconnecting\n", ev->db.err);
    ev->outage = 0;
    ev->lost_ms = db_now_ms();
    ev->next_try_ms = 0;
    notify_status(&ev->notify, NULL, "database connection lost, "
        "reconnecting");
}

/*
 * The loop: connected, wait for notifications (or a signal) until the
 * next look at lapsed holds is due, then look; not connected, wait out
 * the backoff (or a signal), then try again. Every look comes after a
 * poll(), so that a signal is heard between the batches of a storm.
 * The notifications that came with a look's answer are relayed right
 * after it. Returns when a signal asks it to stop.
 */
static int
events_run(struct events *ev)
{
    int64_t wait_ms;

    for (;;) {
        if (db_connected(&ev->db)) {
            wait_ms = lapse_wait(&ev->lapse, db_now_ms());
        } else {
            wait_ms = ev->next_try_ms - db_now_ms();
            if (wait_ms <= 0) {
                events_listen(ev);
                continue;
            }
        }
        if (events_wait(ev, wait_ms))
            return 0;
        if (db_connected(&ev->db) && lapse_wait(&ev->lapse, db_now_ms()) == 0
            && (events_look(ev) < 0
                || db_listen_read(&ev->db, events_heard, ev) < 0))
            events_lost(ev);
    }
}

/*
 * Reads DATABASE_URL (the service's role: LISTEN needs no privilege),
 * EVENTS_SOCKET and the database timeouts from the environment (the
 * server's EnvironmentFile under systemd). Runs until SIGTERM or
 * SIGINT, then exits 0; 2 on a bad setting, 1 when it cannot run.
 */
int
main(int argc, char **argv)
{
    struct events ev;
    int           status = 1;

    if (argc > 1) {
        fprintf(stderr, "usage: %s\n"
            "configuration comes from the environment; see "
            "docs/events.md\n", argv[0]);
        return 2;
    }
    memset(&ev, 0, sizeof(ev));
    ev.sfd = -1;
    if (config_load(&ev.cfg, CONFIG_EVENTS) < 0)
        return 2;
    db_init(&ev.db, &ev.cfg, "booking-events");
    publish_init(&ev.pub, ev.cfg.events_socket);
    notify_init(&ev.notify);
    ev.backoff_ms = EVENTS_BACKOFF_FIRST_MS;
    if (events_signals(&ev) < 0)
        goto out;
    status = events_run(&ev);
    notify_status(&ev.notify, "STOPPING=1", "stopping");

out:
    if (ev.sfd >= 0)
        close(ev.sfd);
    publish_cleanup(&ev.pub);
    db_cleanup(&ev.db);
    return status;
}
