/* The shared scoreboard: which workers run, which are ready, which are busy. */

#define _GNU_SOURCE

#include "scoreboard.h"

#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#define SB_LOAD(p)      __atomic_load_n((p), __ATOMIC_RELAXED)
#define SB_STORE(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/*
 * Anonymous and shared: every worker forked after this sees the same
 * pages, and the same salt of the failed-authentication table. NULL
 * with errno when either fails.
 */
struct scoreboard *
scoreboard_create(void)
{
    struct scoreboard *sb;
    void              *p = mmap(NULL, sizeof(struct scoreboard),
                                PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    sb = p;
    if (authfail_table_init(&sb->authfail) < 0) {
        munmap(p, sizeof(*sb));
        return NULL;
    }
    return sb;
}

void
scoreboard_destroy(struct scoreboard *sb)
{
    if (sb != NULL)
        munmap(sb, sizeof(*sb));
}

/*
 * Master: a free entry for a worker about to be forked, or -1. Taken
 * before the fork (pid -1 until it is known), so that the child's first
 * writes are never reset.
 */
int
scoreboard_take(struct scoreboard *sb, pid_t pid)
{
    int i;

    for (i = 0; i < SCOREBOARD_ENTRIES; i++) {
        if (SB_LOAD(&sb->e[i].pid) == 0) {
            SB_STORE(&sb->e[i].state, SCOREBOARD_STARTING);
            SB_STORE(&sb->e[i].db_ok, 0);
            SB_STORE(&sb->e[i].pid, pid);
            return i;
        }
    }
    return -1;
}

/* Master: entry i, taken before the fork, is this worker's. */
void
scoreboard_set_pid(struct scoreboard *sb, int i, pid_t pid)
{
    SB_STORE(&sb->e[i].pid, pid);
}

/*
 * Master: the worker of entry i has exited. Its counters move to the
 * retired block, under the sequence count, so that the totals never go
 * back (Prometheus would take that for a restart of the counter).
 */
void
scoreboard_release(struct scoreboard *sb, int i)
{
    if (i < 0 || i >= SCOREBOARD_ENTRIES)
        return;
    __atomic_fetch_add(&sb->seq, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* odd before the data */
    metrics_add(&sb->retired, &sb->m[i]);
    metrics_zero(&sb->m[i]);
    __atomic_fetch_add(&sb->seq, 1, __ATOMIC_RELEASE);  /* data before even */
    SB_STORE(&sb->e[i].pid, 0);
}

void
scoreboard_restarted(struct scoreboard *sb)
{
    __atomic_fetch_add(&sb->restarts, 1, __ATOMIC_RELAXED);
}

/* Worker: its own counters; NULL without a scoreboard (tests). */
struct metrics *
scoreboard_metrics(struct scoreboard *sb, int i)
{
    return sb == NULL || i < 0 || i >= SCOREBOARD_ENTRIES ? NULL : &sb->m[i];
}

/* Worker: the failed-authentication table; NULL without a scoreboard (tests). */
struct authfail_table *
scoreboard_authfail(struct scoreboard *sb)
{
    return sb == NULL ? NULL : &sb->authfail;
}

/*
 * Any worker, for GET /metrics: the pool's totals, retried while the
 * master is folding an exited worker's counters (rare, and short).
 * Returns 0, or -1 when no consistent read could be had.
 */
int
scoreboard_sum(const struct scoreboard *sb, struct metrics *sum,
    struct metrics_pool *pool)
{
    unsigned before;
    int      i, state, tries;

    for (tries = 0; tries < 1000; tries++) {
        before = __atomic_load_n(&sb->seq, __ATOMIC_ACQUIRE);
        if (before & 1) {
            sched_yield();
            continue;
        }
        memset(sum, 0, sizeof(*sum));
        memset(pool, 0, sizeof(*pool));
        metrics_add(sum, &sb->retired);
        for (i = 0; i < SCOREBOARD_ENTRIES; i++) {
            if (SB_LOAD(&sb->e[i].pid) == 0)
                continue;
            metrics_add(sum, &sb->m[i]);
            state = SB_LOAD(&sb->e[i].state);
            pool->starting += state == SCOREBOARD_STARTING;
            pool->idle += state == SCOREBOARD_IDLE;
            pool->busy += state == SCOREBOARD_BUSY;
            pool->leaving += state == SCOREBOARD_LEAVING;
            if (SB_LOAD(&sb->e[i].db_ok))
                pool->db_connected++;
            else
                pool->db_disconnected++;
        }
        pool->restarts = __atomic_load_n(&sb->restarts, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);    /* the data before seq */
        if (__atomic_load_n(&sb->seq, __ATOMIC_RELAXED) == before)
            return 0;
    }
    return -1;      /* a master killed mid-fold: no torn totals */
}

/* Worker: its own state. */
void
scoreboard_set(struct scoreboard *sb, int i, int state, int db_ok)
{
    if (sb == NULL || i < 0 || i >= SCOREBOARD_ENTRIES)
        return;
    SB_STORE(&sb->e[i].state, state);
    SB_STORE(&sb->e[i].db_ok, db_ok);
}

int
scoreboard_db_ok(const struct scoreboard *sb, int i)
{
    return i >= 0 && i < SCOREBOARD_ENTRIES && SB_LOAD(&sb->e[i].db_ok);
}

/*
 * Worker i: does another running worker have a working database
 * connection? Then a worker without one leaves the socket's new
 * connections to it (worker.c).
 */
int
scoreboard_others_db_ok(const struct scoreboard *sb, int self)
{
    int i;

    if (sb == NULL)
        return 0;
    for (i = 0; i < SCOREBOARD_ENTRIES; i++)
        if (i != self && SB_LOAD(&sb->e[i].pid) > 0
            && SB_LOAD(&sb->e[i].state) != SCOREBOARD_LEAVING
            && SB_LOAD(&sb->e[i].db_ok))
            return 1;
    return 0;
}

/* Has worker i left its start (it connected, or gave up for now)? */
int
scoreboard_started(const struct scoreboard *sb, int i)
{
    return i >= 0 && i < SCOREBOARD_ENTRIES
        && SB_LOAD(&sb->e[i].state) != SCOREBOARD_STARTING;
}

/* Master: what its STATUS= line says. */
void
scoreboard_count(const struct scoreboard *sb, struct scoreboard_counts *c)
{
    int i;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < SCOREBOARD_ENTRIES; i++) {
        if (SB_LOAD(&sb->e[i].pid) <= 0)     /* free, or not forked yet */
            continue;
        c->workers++;
        c->ready += SB_LOAD(&sb->e[i].db_ok) != 0;
        c->busy += SB_LOAD(&sb->e[i].state) == SCOREBOARD_BUSY;
        if (SB_LOAD(&sb->e[i].state) == SCOREBOARD_IDLE
            || SB_LOAD(&sb->e[i].state) == SCOREBOARD_BUSY) {
            c->serving++;
            c->serving_ready += SB_LOAD(&sb->e[i].db_ok) != 0;
        }
    }
}
