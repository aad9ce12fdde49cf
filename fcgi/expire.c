/* booking-expire: release every lapsed hold, in short batches (run by a systemd timer). */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"

static double expire_elapsed_ms(const struct timespec *start);
static enum db_status expire_sweep(struct db *db, int batch, int64_t *holds,
    int64_t *seats);
static enum db_status expire_prune(struct db *db, int batch, int64_t *pruned);

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
 * Delete idempotency keys older than 24 hours, batch at a time, until a
 * call deletes none or fails; *pruned adds up the calls that committed.
 */
static enum db_status
expire_prune(struct db *db, int batch, int64_t *pruned)
{
    enum db_status st;
    int64_t        n = 0;

    *pruned = 0;
    do {
        st = db_idem_prune(db, batch, &n);
        if (st == DB_OK)
            *pruned += n;
    } while (st == DB_OK && n > 0);
    return st;
}

/*
 * Call expire_holds() until no lapsed hold is left. Each call is its own
 * transaction that locks one show for at most EXPIRE_BATCH holds, so a
 * large backlog never blocks bookings for long, and a run killed half
 * way has committed whole batches only: the next run goes on from there.
 * Two runs at once are safe: a hold leaves PENDING only once, and the
 * loser of that race finds nothing left to release.
 * Exits 0 with a summary line, 1 when the database fails, 2 on a bad
 * setting.
 */
int
main(int argc, char **argv)
{
    struct config   cfg;
    struct db       db;
    struct timespec start;
    int64_t         holds = 0, seats = 0, pruned = 0;
    int             status = 1;
    enum db_status  st;

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
    st = expire_sweep(&db, cfg.expire_batch, &holds, &seats);
    /* Idempotency keys are kept 24 hours; their clean-up rides along. */
    if (st == DB_OK)
        st = expire_prune(&db, cfg.expire_batch, &pruned);
    if (st != DB_OK) {
        fprintf(stderr, "booking-expire: %s%s%s (after expiring %lld holds, "
            "released %lld seats%s)\n", db.err,
            db.sqlstate[0] != '\0' ? " SQLSTATE " : "", db.sqlstate,
            (long long) holds, (long long) seats, st == DB_UNKNOWN
            ? "; the connection broke under the last batch, which may "
              "have committed too" : "");
        goto out;
    }
    printf("expired %lld holds, released %lld seats in %.0f ms\n",
        (long long) holds, (long long) seats, expire_elapsed_ms(&start));
    if (pruned > 0)
        fprintf(stderr, "booking-expire: deleted %lld idempotency keys older "
            "than 24 hours\n", (long long) pruned);
    status = 0;

out:
    db_cleanup(&db);
    return status;
}
