/* The master process: pre-forks the workers, restarts them, reloads and drains them. */

#define _GNU_SOURCE

#include "master.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "envfile.h"
#include "listen.h"
#include "notify.h"
#include "scoreboard.h"
#include "worker.h"

#define MASTER_TICK_MS      200
#define MASTER_BACKOFF_MIN  100       /* ms before restarting a crashed worker */
#define MASTER_BACKOFF_MAX  5000
#define MASTER_STABLE_MS    2000      /* a worker that lived this long resets it */
#define MASTER_SLOTS_MAX    256       /* WORKERS' upper bound (config.c) */

/* Where a slot is in a reload: its new worker starting, its old one leaving. */
enum reload_phase { RELOAD_NONE = 0, RELOAD_STARTING, RELOAD_RETIRING };

struct slot {
    pid_t   pid;            /* 0: not running */
    int     entry;          /* its scoreboard entry */
    int64_t started_ms;
    int64_t restart_ms;     /* when to start it again */
    int     backoff_ms;
    /* reload: the worker being replaced, until it has left */
    pid_t   old_pid;
    int     old_entry;
    int     phase;
    int64_t phase_deadline_ms;
    int     db_lost;        /* its worker's lost connection was logged */
};

struct master {
    struct config        cfg;           /* the current one: reload swaps it */
    int                  listen_fd;
    int                  bound;         /* we bound the socket ourselves */
    pid_t                pid;
    struct slot          slots[MASTER_SLOTS_MAX];
    struct scoreboard   *board;
    struct notify        notify;
    sigset_t             orig_mask;
    int64_t              started_ms;
    int                  ready;         /* READY=1 sent */
    int                  reload_slot;   /* the slot being replaced; -1: none */
    int                  reload_slots;  /* how many slots this reload covers */
    int                  reload_again;  /* a SIGHUP came during a reload */
    int                  reload_aborted;
    int                  reload_undo;   /* aborted: slots to put back after */
    struct config        prev_cfg;      /* during a reload: to go back to */
    /* the socket's path, and what it named when we started (or bound
     * it again): a path removed or replaced is noticed within a second */
    char                 sock_path[108];
    dev_t                sock_dev;
    ino_t                sock_ino;
    int64_t              sock_check_ms;
    int                  sock_lost;     /* inherited, gone: said once */
    int                  exit_status;   /* non-zero: leave, and say so */
    struct envfile_undo  undo;          /* and the environment before it */
};

static void master_spawn(struct master *m, struct slot *s);
static void master_reap(struct master *m, int stopping);
static int master_running(const struct master *m);
static void master_drain(struct master *m);
static void master_log_exit(pid_t pid, int wstatus, const char *what);
static void master_reload_begin(struct master *m);
static void master_reload_step(struct master *m, int64_t now);
static void master_reload_abort(struct master *m, struct slot *s);
static void master_hand_over(struct slot *s);
static void master_retire(struct slot *s);
static void master_status(struct master *m, int64_t now);
static void master_watch_db(struct master *m);
static void master_socket_note(struct master *m);
static void master_watch_socket(struct master *m, int64_t now);
static int master_socket_ours(const struct master *m);

/*
 * Fork one worker into slot s. The child restores the signal mask, asks
 * the kernel for SIGTERM should the master die, and never returns.
 */
static void
master_spawn(struct master *m, struct slot *s)
{
    int   entry = scoreboard_take(m->board, -1), status;
    pid_t pid = entry < 0 ? -1 : fork();

    if (pid < 0) {
        fprintf(stderr, "booking-fcgi: cannot start a worker: %s\n",
            entry < 0 ? "scoreboard full" : strerror(errno));
        scoreboard_release(m->board, entry);
        s->restart_ms = clock_now_ms() + MASTER_BACKOFF_MAX;
        return;
    }
    if (pid == 0) {
        sigset_t mask = m->orig_mask;

        /* The stop signals stay blocked until the worker reads them from
         * its signalfd: one sent before it is ready waits instead of
         * killing it or, for SIGUSR2 (ignored here), being lost. */
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGQUIT);
        sigaddset(&mask, SIGUSR2);
        sigaddset(&mask, SIGHUP);       /* the worker ignores it */
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, &mask, NULL);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != m->pid)        /* the master died before that */
            _exit(0);
        status = worker_run(&m->cfg, m->listen_fd, m->bound, m->board, entry);
        envfile_forget(&m->undo);   /* the master's, copied by the fork */
        free(m);
        /* exit(), not _exit(): LeakSanitizer checks workers at exit too. */
        exit(status);
    }
    scoreboard_set_pid(m->board, entry, pid);
    s->pid = pid;
    s->db_lost = 0;
    s->entry = entry;
    s->started_ms = clock_now_ms();
    fprintf(stderr, "booking-fcgi: worker %ld started\n", (long) pid);
}

static void
master_log_exit(pid_t pid, int wstatus, const char *what)
{
    if (WIFSIGNALED(wstatus))
        fprintf(stderr, "booking-fcgi: %s %ld killed by signal %d (%s)\n",
            what, (long) pid, WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
    else
        fprintf(stderr, "booking-fcgi: %s %ld exited with status %d\n",
            what, (long) pid, WEXITSTATUS(wstatus));
}

/*
 * Collect every exited worker. A replaced one was asked to leave: only
 * an unclean exit is logged. Otherwise, unless stopping, schedule its
 * restart: at once after a long life, else after a backoff that doubles
 * up to MASTER_BACKOFF_MAX, so a crash loop cannot spin.
 */
static void
master_reap(struct master *m, int stopping)
{
    int     wstatus, i;
    pid_t   pid;
    int64_t now = clock_now_ms();

    while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
        for (i = 0; i < MASTER_SLOTS_MAX; i++) {
            struct slot *s = &m->slots[i];
            if (s->old_pid == pid) {
                s->old_pid = 0;
                scoreboard_release(m->board, s->old_entry);
                if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
                    master_log_exit(pid, wstatus, "replaced worker");
                break;
            }
            if (s->pid != pid)
                continue;
            s->pid = 0;
            scoreboard_release(m->board, s->entry);
            if (stopping && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
                break;
            master_log_exit(pid, wstatus, "worker");
            if (stopping || i >= m->cfg.workers)
                break;
            scoreboard_restarted(m->board);
            if (now - s->started_ms >= MASTER_STABLE_MS)
                s->backoff_ms = 0;
            else if (s->backoff_ms == 0)
                s->backoff_ms = MASTER_BACKOFF_MIN;
            else if (s->backoff_ms < MASTER_BACKOFF_MAX)
                s->backoff_ms = s->backoff_ms * 2 < MASTER_BACKOFF_MAX
                              ? s->backoff_ms * 2 : MASTER_BACKOFF_MAX;
            s->restart_ms = now + s->backoff_ms;
            if (s->backoff_ms > 0)
                fprintf(stderr, "booking-fcgi: restarting worker slot %d in "
                    "%d ms\n", i, s->backoff_ms);
            break;
        }
    }
}

static int
master_running(const struct master *m)
{
    int i, n = 0;

    for (i = 0; i < MASTER_SLOTS_MAX; i++)
        n += (m->slots[i].pid != 0) + (m->slots[i].old_pid != 0);
    return n;
}

/*
 * SIGHUP: read the settings again (the CONFIG_FILE, when set, into the
 * environment first), and if they are valid replace the workers one
 * slot at a time; if not, say why and keep the running ones. The socket
 * stays open throughout, so its settings need a restart to change.
 */
static void
master_reload_begin(struct master *m)
{
    const char   *file = getenv("CONFIG_FILE");
    struct config next;

    if (m->reload_slot >= 0) {
        m->reload_again = 1;
        fprintf(stderr, "booking-fcgi: SIGHUP during a reload: another "
            "follows it\n");
        return;
    }
    memset(&m->undo, 0, sizeof(m->undo));
    if (file != NULL && file[0] != '\0' && envfile_apply(file, &m->undo) < 0) {
        fprintf(stderr, "booking-fcgi: reload refused: %s is invalid; the "
            "workers keep the old settings\n", file);
        return;
    }
    if (config_load(&next, CONFIG_SERVER) < 0) {
        envfile_restore(&m->undo);
        fprintf(stderr, "booking-fcgi: reload refused: the settings above "
            "are invalid; the workers keep the old ones\n");
        return;
    }
    if ((next.fcgi_socket == NULL) != (m->cfg.fcgi_socket == NULL)
        || (next.fcgi_socket != NULL
            && strcmp(next.fcgi_socket, m->cfg.fcgi_socket) != 0)
        || next.socket_mode != m->cfg.socket_mode
        || next.listen_backlog != m->cfg.listen_backlog)
        fprintf(stderr, "booking-fcgi: FCGI_SOCKET, FCGI_SOCKET_MODE and "
            "LISTEN_BACKLOG change only with a restart\n");
    next.fcgi_socket = m->cfg.fcgi_socket;
    next.socket_mode = m->cfg.socket_mode;
    next.listen_backlog = m->cfg.listen_backlog;

    /* the slots running now; more are started by the loop, already new */
    m->reload_slots = m->cfg.workers;
    m->prev_cfg = m->cfg;
    m->cfg = next;
    m->reload_slot = 0;
    m->reload_aborted = 0;
    m->reload_undo = 0;
    fprintf(stderr, "booking-fcgi: reloading: replacing the workers one at "
        "a time (%d workers)\n", m->cfg.workers);
    notify_status(&m->notify, "RELOADING=1", "reloading");
}

/* Slot s's worker becomes its old one: the slot is free for a new one. */
static void
master_hand_over(struct slot *s)
{
    s->old_pid = s->pid;
    s->old_entry = s->entry;
    s->pid = 0;
    s->entry = -1;
}

/* Ask slot s's worker to leave (SIGUSR2: finish what it holds, take nothing new). */
static void
master_retire(struct slot *s)
{
    if (s->pid <= 0 || s->old_pid != 0)    /* never lose a leaving one */
        return;
    master_hand_over(s);
    kill(s->old_pid, SIGUSR2);
}

/*
 * The new worker of slot s did not get a database connection that the
 * old one has: the new settings are wrong (say, DATABASE_URL). Keep the
 * old worker, retire the new one, go back to the old settings, and
 * replace the slots already done once more, now with the old settings.
 * Slots started beyond the old WORKERS go.
 */
static void
master_reload_abort(struct master *m, struct slot *s)
{
    pid_t new_pid = s->pid;
    int   new_entry = s->entry, i;

    fprintf(stderr, "booking-fcgi: reload aborted: the new worker got no "
        "database connection where the old one has one; keeping the old "
        "settings\n");
    s->pid = s->old_pid;
    s->entry = s->old_entry;
    s->old_pid = new_pid > 0 ? new_pid : 0;
    s->old_entry = new_entry;
    if (s->old_pid > 0)
        kill(s->old_pid, SIGUSR2);
    for (i = m->prev_cfg.workers; i < m->cfg.workers; i++)
        if (m->slots[i].phase == RELOAD_NONE)
            master_retire(&m->slots[i]);
    m->cfg = m->prev_cfg;
    envfile_restore(&m->undo);
    m->reload_aborted = 1;
    /* after this slot, a second pass puts the slots already replaced
     * back on the old settings */
    m->reload_undo = m->reload_slot;
    m->reload_slots = m->reload_slot + 1;
}

/*
 * One step of a reload, from the master's loop. For each slot in turn:
 * start its new worker beside the old one, wait until the new one has
 * its database connection (or the connect time has passed), then ask
 * the old one to leave (SIGUSR2: take no new connection, finish those it
 * holds) and wait for it to go before the next slot. A slot beyond the
 * new WORKERS only has its worker leave.
 */
static void
master_reload_step(struct master *m, int64_t now)
{
    int64_t ready_wait = (m->cfg.db_connect_timeout + 1) * 1000LL;

    while (m->reload_slot >= 0) {
        struct slot *s;

        if (m->reload_slot >= m->reload_slots) {
            if (m->reload_aborted && m->reload_undo > 0) {
                m->reload_slot = 0;
                m->reload_slots = m->reload_undo;
                m->reload_undo = 0;
                fprintf(stderr, "booking-fcgi: reload aborted: putting the "
                    "old settings back on %d workers\n", m->reload_slots);
                continue;
            }
            m->reload_slot = -1;
            if (m->reload_aborted) {
                fprintf(stderr, "booking-fcgi: reload aborted: every worker "
                    "has the old settings\n");
                notify_status(&m->notify, "READY=1", "reload aborted");
            } else {
                envfile_forget(&m->undo);
                fprintf(stderr, "booking-fcgi: reload done\n");
                notify_status(&m->notify, "READY=1", "reload done");
            }
            if (m->reload_again) {
                m->reload_again = 0;
                master_reload_begin(m);
            }
            return;
        }
        s = &m->slots[m->reload_slot];
        switch (s->phase) {
        case RELOAD_NONE:
            if (s->old_pid != 0)    /* one retired earlier is still leaving */
                return;
            if (s->pid == 0) {              /* nothing to replace */
                m->reload_slot++;
                continue;
            }
            master_hand_over(s);
            s->backoff_ms = 0;
            if (m->reload_slot < m->cfg.workers)
                master_spawn(m, s);
            s->phase = RELOAD_STARTING;
            s->phase_deadline_ms = now + ready_wait;
            return;
        case RELOAD_STARTING:
            if (s->pid > 0 && !scoreboard_db_ok(m->board, s->entry)
                && now < s->phase_deadline_ms)
                return;
            if (!m->reload_aborted
                && m->reload_slot < m->cfg.workers && s->old_pid > 0
                && (s->pid <= 0 || !scoreboard_db_ok(m->board, s->entry))
                && scoreboard_db_ok(m->board, s->old_entry))
                master_reload_abort(m, s);  /* the new one is retired */
            else if (s->old_pid > 0)        /* it may have died meanwhile */
                kill(s->old_pid, SIGUSR2);
            s->phase = RELOAD_RETIRING;
            s->phase_deadline_ms = now + m->cfg.drain_seconds * 1000LL;
            return;
        case RELOAD_RETIRING:
            if (s->old_pid != 0) {
                if (now >= s->phase_deadline_ms && s->old_pid > 0) {
                    fprintf(stderr, "booking-fcgi: replaced worker %ld did "
                        "not leave in %ds, killing it\n", (long) s->old_pid,
                        m->cfg.drain_seconds);
                    kill(s->old_pid, SIGKILL);
                    s->phase_deadline_ms = now + MASTER_TICK_MS;
                }
                return;
            }
            s->phase = RELOAD_NONE;
            m->reload_slot++;
            continue;
        }
    }
}

/*
 * READY=1 once every worker holds a working database connection, or
 * after a bounded wait with the database down (saying so); then a
 * STATUS= line whenever it changes, and the watchdog's ping.
 */
static void
master_status(struct master *m, int64_t now)
{
    struct scoreboard_counts c;
    char                     status[NOTIFY_STATUS_MAX];
    int64_t                  ready_wait = (m->cfg.db_connect_timeout + 2) * 1000LL;

    scoreboard_count(m->board, &c);
    /* a reload briefly runs a slot's old and new worker both */
    if (c.ready > m->cfg.workers)
        c.ready = m->cfg.workers;
    snprintf(status, sizeof(status), "workers %d/%d ready, %d busy, "
        "%llu restarts%s", c.ready, m->cfg.workers, c.busy,
        (unsigned long long) m->board->restarts,
        m->reload_slot >= 0 ? ", reloading" : "");
    if (!m->ready && (c.ready >= m->cfg.workers
                      || now - m->started_ms >= ready_wait)) {
        if (c.ready < m->cfg.workers) {
            snprintf(status, sizeof(status), "workers %d/%d ready: no "
                "database connection yet, answering 503 and retrying",
                c.ready, m->cfg.workers);
            fprintf(stderr, "booking-fcgi: ready without the database: "
                "%d of %d workers connected\n", c.ready, m->cfg.workers);
        }
        notify_status(&m->notify, "READY=1", status);
        m->ready = 1;
    } else if (m->ready) {
        notify_status(&m->notify, NULL, status);
    }
    notify_watchdog(&m->notify, now);
}

/* What the socket's path names now, to notice when that changes. */
static void
master_socket_note(struct master *m)
{
    struct stat st;

    if (m->sock_path[0] == '\0' && listen_path(m->listen_fd, m->sock_path,
                                               sizeof(m->sock_path)) < 0)
        m->sock_path[0] = '\0';
    if (m->sock_path[0] != '\0' && stat(m->sock_path, &st) == 0) {
        m->sock_dev = st.st_dev;
        m->sock_ino = st.st_ino;
    }
}

static int
master_socket_ours(const struct master *m)
{
    struct stat st;

    return m->sock_path[0] != '\0' && stat(m->sock_path, &st) == 0
        && st.st_dev == m->sock_dev && st.st_ino == m->sock_ino;
}

/*
 * Once a second: does the socket's path still name our socket? Removed
 * or replaced, nginx can reach no worker, and every request is its 503.
 * A socket we bound is bound again and every worker replaced by one on
 * it (the old ones serve what was queued on the old socket, then
 * leave); when the path is in use by another server, or cannot be bound,
 * the master leaves with status 1 for systemd to restart it. A socket
 * that systemd passed is systemd's: the log says what to restart.
 */
static void
master_watch_socket(struct master *m, int64_t now)
{
    int fd, i;

    if (now < m->sock_check_ms || m->sock_path[0] == '\0'
        || m->reload_slot >= 0)
        return;
    m->sock_check_ms = now + 1000;
    if (master_socket_ours(m)) {
        m->sock_lost = 0;
        return;
    }
    if (!m->bound) {
        if (!m->sock_lost)
            fprintf(stderr, "booking-fcgi: the socket %s that was passed to "
                "this server is gone or replaced: nginx cannot reach it; "
                "run: systemctl restart booking-fcgi.socket "
                "booking-fcgi.service\n", m->sock_path);
        m->sock_lost = 1;
        return;
    }
    fd = listen_rebind(&m->cfg);
    if (fd < 0) {
        fprintf(stderr, "booking-fcgi: the socket %s was removed or "
            "replaced and cannot be bound again: leaving with status 1\n",
            m->sock_path);
        m->exit_status = 1;
        return;
    }
    fprintf(stderr, "booking-fcgi: the socket %s was removed or replaced: "
        "bound it again, replacing the workers\n", m->sock_path);
    close(m->listen_fd);
    m->listen_fd = fd;
    master_socket_note(m);
    for (i = 0; i < m->cfg.workers; i++) {
        struct slot *s = &m->slots[i];
        if (s->pid <= 0 || s->old_pid != 0)
            continue;
        master_hand_over(s);
        kill(s->old_pid, SIGTERM);     /* serves the old queue, leaves */
        master_spawn(m, s);
    }
}

/*
 * Log, once each, when a running worker loses its database connection
 * and when it has one again (a worker still starting is not judged).
 */
static void
master_watch_db(struct master *m)
{
    struct slot *s;
    int          i, ok;

    for (i = 0; i < m->cfg.workers; i++) {
        s = &m->slots[i];
        if (s->pid == 0 || !scoreboard_started(m->board, s->entry))
            continue;
        ok = scoreboard_db_ok(m->board, s->entry);
        if (!ok && !s->db_lost)
            fprintf(stderr, "booking-fcgi: worker %ld has no database "
                "connection: it leaves new requests to the others while "
                "it retries\n", (long) s->pid);
        else if (ok && s->db_lost)
            fprintf(stderr, "booking-fcgi: worker %ld has its database "
                "connection again\n", (long) s->pid);
        s->db_lost = !ok;
    }
}

/*
 * Stop: remove the socket path so that new connections are refused, ask
 * every worker to finish what it holds, and wait for them up to
 * DRAIN_SECONDS; whoever is still running then is killed.
 */
static void
master_drain(struct master *m)
{
    struct timespec tick = { 0, 50 * 1000 * 1000 };
    int64_t         deadline = clock_now_ms() + m->cfg.drain_seconds * 1000;
    int             i, k;

    fprintf(stderr, "booking-fcgi: stopping, draining %d workers\n",
        master_running(m));
    notify_status(&m->notify, "STOPPING=1", "draining");
    for (i = 0; i < MASTER_SLOTS_MAX; i++) {
        if (m->slots[i].pid != 0)
            kill(m->slots[i].pid, SIGTERM);
        if (m->slots[i].old_pid != 0)
            kill(m->slots[i].old_pid, SIGTERM);
    }
    while (master_running(m) > 0 && clock_now_ms() < deadline) {
        nanosleep(&tick, NULL);
        notify_watchdog(&m->notify, clock_now_ms());
        master_reap(m, 1);
    }
    for (i = 0; i < MASTER_SLOTS_MAX; i++) {
        pid_t left[2] = { m->slots[i].pid, m->slots[i].old_pid };
        for (k = 0; k < 2; k++) {
            if (left[k] == 0)
                continue;
            fprintf(stderr, "booking-fcgi: worker %ld did not stop in %ds, "
                "killing it\n", (long) left[k], m->cfg.drain_seconds);
            kill(left[k], SIGKILL);
            waitpid(left[k], NULL, 0);
        }
        m->slots[i].pid = m->slots[i].old_pid = 0;
    }
}

/*
 * Supervise cfg->workers workers until SIGTERM, SIGINT or SIGQUIT, then
 * drain and return 0; SIGHUP reloads. Signals are taken synchronously
 * with sigtimedwait(), so no handler runs in the master.
 */
int
master_run(const struct config *cfg, int listen_fd, int bound)
{
    struct master  *m;
    sigset_t        set;
    struct timespec tick = { 0, MASTER_TICK_MS * 1000 * 1000 };
    int             sig, i, status;

    /* ~20 KB of slots: on the heap */
    m = calloc(1, sizeof(*m));
    if (m == NULL || (m->board = scoreboard_create()) == NULL) {
        fprintf(stderr, "booking-fcgi: scoreboard_create() failed: %s\n",
            strerror(errno));
        free(m);
        return 1;
    }
    m->cfg = *cfg;
    m->listen_fd = listen_fd;
    m->bound = bound;
    m->pid = getpid();
    m->started_ms = clock_now_ms();
    m->reload_slot = -1;
    master_socket_note(m);
    notify_init(&m->notify);
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &m->orig_mask);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);

    fprintf(stderr, "booking-fcgi: master %ld starting %d workers\n",
        (long) getpid(), m->cfg.workers);
    for (;;) {
        int64_t now = clock_now_ms();
        for (i = 0; i < m->cfg.workers; i++)
            if (m->slots[i].pid == 0 && m->slots[i].old_pid == 0
                && m->slots[i].phase == RELOAD_NONE
                && now >= m->slots[i].restart_ms)
                master_spawn(m, &m->slots[i]);
        master_reload_step(m, now);
        master_status(m, now);
        master_watch_db(m);
        master_watch_socket(m, now);
        if (m->exit_status != 0)
            break;
        sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
            break;
        if (sig == SIGHUP)
            master_reload_begin(m);
        master_reap(m, 0);
    }
    /* the path is removed only while it names our socket; a TCP socket
     * we bound has no path, and is closed to new connections all the
     * same (listen_close), so that the drain serves its queue and
     * resets nothing */
    listen_close(&m->cfg, m->listen_fd,
        m->bound && (listen_is_inet(m->listen_fd) || master_socket_ours(m)));
    master_drain(m);
    envfile_forget(&m->undo);
    scoreboard_destroy(m->board);
    status = m->exit_status;
    free(m);
    fprintf(stderr, "booking-fcgi: stopped\n");
    return status;
}
