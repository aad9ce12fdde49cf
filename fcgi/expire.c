/* booking-expire: release lapsed holds, then prune old FAILED bookings and keys (timer). */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"

/* What a run did: only what committed is counted. */
struct expire_counts {
    int64_t holds, seats;       /* lapsed holds released, and their seats */
    int64_t failed;             /* FAILED bookings deleted */
    int64_t keys_old;           /* idempotency keys older than 24 hours */
    int64_t keys_refused;       /* and of refused requests, deleted early */
};

static double expire_elapsed_ms(const struct timespec *start);
static enum db_status expire_sweep(struct db *db, int batch, int64_t *holds,
    int64_t *seats);
static enum db_status expire_prune_failed(struct db *db,
    const struct config *cfg, int64_t *failed);
static enum db_status expire_prune_keys(struct db *db,
    const struct config *cfg, int64_t *old, int64_t *refused);
static void expire_report_pruned(const struct config *cfg,
    const struct expire_counts *n);

static double
expire_elapsed_ms(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double) (now.tv_sec - start->tv_sec) * 1e3
         + (double) (now.tv_nsec - start->tv_nsec) / 1e6;
}

/*
 * Call expire_holds() until no lapsed hold is left, or until a call
 * fails. *holds and *seats (set to 0 first) add up the batches that
 * committed, so a failed run reports exactly what it released: a failed
 * call sets neither its counts nor more (db_holds_expire), and its batch
 * rolled back, unless the status is DB_UNKNOWN (the connection broke
 * under it, so it may have committed, uncounted). Returns the status of
 * the last call.
 */
static enum db_status
expire_sweep(struct db *db, int batch, int64_t *holds, int64_t *seats)
{
    enum db_status st = DB_OK;
    int64_t        h = 0, s = 0;
    int            more = 1;

    *holds = *seats = 0;
    while (more && st == DB_OK) {
        st = db_holds_expire(db, batch, &more, &h, &s);
        if (st == DB_OK) {
            *holds += h;
            *seats += s;
        }
    }
    return st;
}

/*
 * Delete FAILED bookings that ended more than FAILED_RETENTION_DAYS ago,
 * EXPIRE_BATCH per transaction, until a call deletes less than a batch
 * or fails; *failed adds up the calls that committed. A FAILED booking
 * holds no seat: deleting it changes no count, and its Idempotency-Key,
 * kept 24 hours, stored the answer itself, not a reference to the row.
 */
static enum db_status
expire_prune_failed(struct db *db, const struct config *cfg, int64_t *failed)
{
    enum db_status st;
    int64_t        n = 0;

    *failed = 0;
    do {
        st = db_failed_prune(db, cfg->expire_batch,
            cfg->failed_retention_days, &n);
        if (st == DB_OK)
            *failed += n;
    } while (st == DB_OK && n == cfg->expire_batch);
    return st;
}

/*
 * Delete idempotency keys older than 24 hours, and those of refused
 * requests older than IDEMPOTENCY_REFUSED_RETENTION_SECONDS, batch at a
 * time, until a call deletes less than a batch or fails; *old and
 * *refused add up the calls that committed.
 */
static enum db_status
expire_prune_keys(struct db *db, const struct config *cfg, int64_t *old,
    int64_t *refused)
{
    enum db_status st;
    int64_t        o = 0, r = 0;

    *old = *refused = 0;
    do {
        st = db_idem_prune(db, cfg->expire_batch, cfg->idem_refused_seconds,
            &o, &r);
        if (st == DB_OK) {
            *old += o;
            *refused += r;
        }
    } while (st == DB_OK && o + r == cfg->expire_batch);
    return st;
}

/* One line on stderr for what the clean-ups deleted, if anything. */
static void
expire_report_pruned(const struct config *cfg, const struct expire_counts *n)
{
    if (n->keys_old + n->keys_refused + n->failed == 0)
        return;
    fprintf(stderr, "booking-expire: deleted %lld idempotency keys older "
        "than 24 hours, %lld of refused requests older than %d s, and "
        "%lld FAILED bookings older than %d days\n", (long long) n->keys_old,
        (long long) n->keys_refused, cfg->idem_refused_seconds,
        (long long) n->failed, cfg->failed_retention_days);
}

/*
 * Call expire_holds() until no lapsed hold is left. Each call is its own
 * transaction that locks one show for at most EXPIRE_BATCH holds, so a
 * large backlog never blocks bookings for long, and a run killed half
 * way has committed whole batches only: the next run goes on from there.
 * Two runs at once are safe: a hold leaves PENDING only once, and the
 * loser of that race finds nothing left to release.
 * Then the clean-ups, in batches as well: FAILED bookings past their
 * retention, and old idempotency keys (sql/functions/35_retention.sql).
 * Exits 0 with a summary line on stdout (and a line on stderr for what
 * the clean-ups deleted, if anything), 1 when the database fails, after
 * saying on stderr what had committed; 2 on a bad setting.
 */
int
main(int argc, char **argv)
{
    struct config        cfg;
    struct db            db;
    struct timespec      start;
    struct expire_counts n = { 0 };
    int                  status = 1;
    enum db_status       st;

    if (argc > 1) {
        fprintf(stderr, "usage: %s\n"
            "configuration comes from the environment; see README.md\n",
            argv[0]);
        return 2;
    }
    if (config_load(&cfg, CONFIG_EXPIRE) < 0)
        return 2;
    clock_gettime(CLOCK_MONOTONIC, &start);
    db_init(&db, &cfg, "booking-expire");
    if (db_connect(&db) < 0) {
        fprintf(stderr, "booking-expire: %s\n", db.err);
        goto out;
    }
    st = expire_sweep(&db, cfg.expire_batch, &n.holds, &n.seats);
    if (st == DB_OK)
        st = expire_prune_failed(&db, &cfg, &n.failed);
    if (st == DB_OK)
        st = expire_prune_keys(&db, &cfg, &n.keys_old, &n.keys_refused);
    if (st != DB_OK) {
        fprintf(stderr, "booking-expire: %s%s%s (after expiring %lld holds, "
            "released %lld seats%s)\n", db.err,
            db.sqlstate[0] != '\0' ? " SQLSTATE " : "", db.sqlstate,
            (long long) n.holds, (long long) n.seats, st == DB_UNKNOWN
            ? "; the connection broke under the last batch, which may "
              "have committed too" : "");
        expire_report_pruned(&cfg, &n);
        goto out;
    }
    printf("expired %lld holds, released %lld seats in %.0f ms\n",
        (long long) n.holds, (long long) n.seats, expire_elapsed_ms(&start));
    expire_report_pruned(&cfg, &n);
    status = 0;

out:
    db_cleanup(&db);
    return status;
}
