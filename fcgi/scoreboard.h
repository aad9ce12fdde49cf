#ifndef FCGI_SCOREBOARD_H
#define FCGI_SCOREBOARD_H

/*
 * What the master and the workers tell each other without a message: one
 * shared page set up by the master before it forks, with an entry per
 * worker process. Each field has one writer: the master writes pid, a
 * worker its own entry's state. Readers take what they see; a field is
 * a single aligned word, read and written with relaxed atomics.
 */

#include <stdint.h>
#include <sys/types.h>

#include "authfail.h"
#include "metrics.h"

/* WORKERS is at most 256; during a reload a slot briefly has two. */
#define SCOREBOARD_ENTRIES 512

enum scoreboard_state {
    SCOREBOARD_STARTING = 0,    /* forked, not yet connected */
    SCOREBOARD_IDLE,            /* waiting for a request */
    SCOREBOARD_BUSY,            /* serving one */
    SCOREBOARD_LEAVING          /* asked to stop, finishing */
};

struct scoreboard_entry {
    pid_t pid;                  /* master: 0 when free */
    int   state;                /* worker: enum scoreboard_state */
    int   db_ok;                /* worker: its connection works */
};

struct scoreboard {
    /* master: odd while it folds an exited worker's counters into
     * retired, so that a reader never counts them twice or not at all */
    unsigned                seq;
    uint64_t                restarts;       /* master */
    struct scoreboard_entry e[SCOREBOARD_ENTRIES];
    struct metrics          retired;        /* master: of exited workers */
    struct metrics          m[SCOREBOARD_ENTRIES];  /* worker i's own */
    /* every worker: failed authentications per client address */
    struct authfail_table   authfail;
};

/* What the master's STATUS= line says. */
struct scoreboard_counts {
    int workers;                /* running */
    int ready;                  /* with a working database connection */
    int busy;
    int serving;                /* idle or busy: neither starting nor leaving */
    int serving_ready;          /* and with a working database connection */
};

struct scoreboard *scoreboard_create(void);
void scoreboard_destroy(struct scoreboard *sb);
int scoreboard_take(struct scoreboard *sb, pid_t pid);
void scoreboard_set_pid(struct scoreboard *sb, int i, pid_t pid);
void scoreboard_release(struct scoreboard *sb, int i);
void scoreboard_set(struct scoreboard *sb, int i, int state, int db_ok);
void scoreboard_count(const struct scoreboard *sb,
    struct scoreboard_counts *c);
int scoreboard_db_ok(const struct scoreboard *sb, int i);
int scoreboard_others_db_ok(const struct scoreboard *sb, int self);
int scoreboard_started(const struct scoreboard *sb, int i);
struct metrics *scoreboard_metrics(struct scoreboard *sb, int i);
struct authfail_table *scoreboard_authfail(struct scoreboard *sb);
void scoreboard_restarted(struct scoreboard *sb);
int scoreboard_sum(const struct scoreboard *sb, struct metrics *sum,
    struct metrics_pool *pool);

#endif
