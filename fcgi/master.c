/* The master process: pre-forks the workers, restarts them, drains them on stop. */

#define _GNU_SOURCE

#include "master.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "listen.h"
#include "worker.h"

#define MASTER_TICK_MS      200
#define MASTER_BACKOFF_MIN  100       /* ms before restarting a crashed worker */
#define MASTER_BACKOFF_MAX  5000
#define MASTER_STABLE_MS    2000      /* a worker that lived this long resets it */

struct slot {
    pid_t   pid;            /* 0: not running */
    int64_t started_ms;
    int64_t restart_ms;     /* when to start it again */
    int     backoff_ms;
};

struct master {
    const struct config *cfg;
    int                  listen_fd;
    int                  bound;         /* we bound the socket ourselves */
    pid_t                pid;
    struct slot         *slots;
    sigset_t             orig_mask;
};

static void master_spawn(struct master *m, struct slot *s);
static void master_reap(struct master *m, int stopping);
static int master_running(const struct master *m);
static void master_drain(struct master *m);
static void master_log_exit(pid_t pid, int wstatus);

/*
 * Fork one worker into slot s. The child restores the signal mask, asks
 * the kernel for SIGTERM should the master die, and never returns.
 */
static void
master_spawn(struct master *m, struct slot *s)
{
    pid_t pid = fork();

    if (pid < 0) {
        fprintf(stderr, "booking-fcgi: fork() failed: %s\n", strerror(errno));
        s->restart_ms = clock_now_ms() + MASTER_BACKOFF_MAX;
        return;
    }
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, &m->orig_mask, NULL);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != m->pid)        /* the master died before that */
            _exit(0);
        free(m->slots);
        /* exit(), not _exit(): LeakSanitizer checks workers at exit too. */
        exit(worker_run(m->cfg, m->listen_fd, m->bound));
    }
    s->pid = pid;
    s->started_ms = clock_now_ms();
    fprintf(stderr, "booking-fcgi: worker %ld started\n", (long) pid);
}

static void
master_log_exit(pid_t pid, int wstatus)
{
    if (WIFSIGNALED(wstatus))
        fprintf(stderr, "booking-fcgi: worker %ld killed by signal %d (%s)\n",
            (long) pid, WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
    else
        fprintf(stderr, "booking-fcgi: worker %ld exited with status %d\n",
            (long) pid, WEXITSTATUS(wstatus));
}

/*
 * Collect every exited worker. Unless stopping, schedule its restart: at
 * once after a long life, else after a backoff that doubles up to
 * MASTER_BACKOFF_MAX, so a crash loop cannot spin.
 */
static void
master_reap(struct master *m, int stopping)
{
    int     wstatus, i;
    pid_t   pid;
    int64_t now = clock_now_ms();

    while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
        for (i = 0; i < m->cfg->workers; i++) {
            struct slot *s = &m->slots[i];
            if (s->pid != pid)
                continue;
            s->pid = 0;
            if (stopping && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
                break;
            master_log_exit(pid, wstatus);
            if (now - s->started_ms >= MASTER_STABLE_MS)
                s->backoff_ms = 0;
            else if (s->backoff_ms == 0)
                s->backoff_ms = MASTER_BACKOFF_MIN;
            else if (s->backoff_ms < MASTER_BACKOFF_MAX)
                s->backoff_ms = s->backoff_ms * 2 < MASTER_BACKOFF_MAX
                              ? s->backoff_ms * 2 : MASTER_BACKOFF_MAX;
            s->restart_ms = now + s->backoff_ms;
            if (s->backoff_ms > 0 && !stopping)
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

    for (i = 0; i < m->cfg->workers; i++)
        n += m->slots[i].pid != 0;
    return n;
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
    int64_t         deadline = clock_now_ms() + m->cfg->drain_seconds * 1000;
    int             i;

    fprintf(stderr, "booking-fcgi: stopping, draining %d workers\n",
        master_running(m));
    for (i = 0; i < m->cfg->workers; i++)
        if (m->slots[i].pid != 0)
            kill(m->slots[i].pid, SIGTERM);
    while (master_running(m) > 0 && clock_now_ms() < deadline) {
        nanosleep(&tick, NULL);
        master_reap(m, 1);
    }
    for (i = 0; i < m->cfg->workers; i++) {
        if (m->slots[i].pid != 0) {
            fprintf(stderr, "booking-fcgi: worker %ld did not stop in %ds, "
                "killing it\n", (long) m->slots[i].pid, m->cfg->drain_seconds);
            kill(m->slots[i].pid, SIGKILL);
            waitpid(m->slots[i].pid, NULL, 0);
        }
    }
}

/*
 * Supervise cfg->workers workers until SIGTERM, SIGINT or SIGQUIT, then drain and
 * return 0. Signals are taken synchronously with sigtimedwait(), so no
 * handler runs in the master.
 */
int
master_run(const struct config *cfg, int listen_fd, int bound)
{
    struct master m;
    sigset_t      set;
    struct timespec tick = { 0, MASTER_TICK_MS * 1000 * 1000 };
    int           sig, i;

    m.cfg = cfg;
    m.listen_fd = listen_fd;
    m.bound = bound;
    m.pid = getpid();
    m.slots = calloc((size_t) cfg->workers, sizeof(*m.slots));
    if (m.slots == NULL)
        return 1;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &m.orig_mask);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);

    fprintf(stderr, "booking-fcgi: master %ld starting %d workers\n",
        (long) getpid(), cfg->workers);
    for (;;) {
        int64_t now = clock_now_ms();
        for (i = 0; i < cfg->workers; i++)
            if (m.slots[i].pid == 0 && now >= m.slots[i].restart_ms)
                master_spawn(&m, &m.slots[i]);
        sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
            break;
        if (sig == SIGHUP)
            fprintf(stderr, "booking-fcgi: SIGHUP ignored (reload is not "
                "supported yet; restart the service)\n");
        master_reap(&m, 0);
    }
    listen_close(cfg, listen_fd, bound);
    master_drain(&m);
    free(m.slots);
    fprintf(stderr, "booking-fcgi: stopped\n");
    return 0;
}
