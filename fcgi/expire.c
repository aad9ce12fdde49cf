/* booking-expire: release every lapsed hold, in short batches (run by a systemd timer). */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"

static double expire_elapsed_ms(const struct timespec *start);

static double
expire_elapsed_ms(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double) (now.tv_sec - start->tv_sec) * 1e3
         + (double) (now.tv_nsec - start->tv_nsec) / 1e6;
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
    int64_t         holds = 0, seats = 0, h, s, pruned, pruned_all = 0;
    int             more = 1, status = 1;
    enum db_status  st = DB_OK;

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
    while (more && st == DB_OK) {
        st = db_holds_expire(&db, cfg.expire_batch, &more, &h, &s);
        holds += h;
        seats += s;
    }
    /* Idempotency keys are kept 24 hours; their clean-up rides along. */
    for (pruned = 1; st == DB_OK && pruned > 0; pruned_all += pruned) {
        pruned = 0;
        st = db_idem_prune(&db, cfg.expire_batch, &pruned);
    }
    if (st != DB_OK) {
        fprintf(stderr, "booking-expire: %s%s%s (after expiring %lld holds)\n",
            db.err, db.sqlstate[0] != '\0' ? " SQLSTATE " : "", db.sqlstate,
            (long long) holds);
        goto out;
    }
    printf("expired %lld holds, released %lld seats in %.0f ms\n",
        (long long) holds, (long long) seats, expire_elapsed_ms(&start));
    if (pruned_all > 0)
        fprintf(stderr, "booking-expire: deleted %lld idempotency keys older "
            "than 24 hours\n", (long long) pruned_all);
    status = 0;

out:
    db_cleanup(&db);
    return status;
}
