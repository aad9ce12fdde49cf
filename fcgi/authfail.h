#ifndef FCGI_AUTHFAIL_H
#define FCGI_AUTHFAIL_H

/*
 * Failed authentications per client address, shared by the workers of
 * one host: a table in the scoreboard's shared page, a leaky bucket
 * (GCRA) per address, each slot one 64-bit word updated without a lock.
 */

#include <stdatomic.h>
#include <stdint.h>

/* A worker killed mid-update must never leave a lock held: a slot must
 * be one lock-free word, never a libatomic lock in process memory. */
#if ATOMIC_LONG_LOCK_FREE != 2 || ATOMIC_LLONG_LOCK_FREE != 2
#error "authfail.h needs lock-free 64-bit atomics"
#endif

#define AUTHFAIL_SETS       1024    /* a power of two */
#define AUTHFAIL_WAYS       4       /* slots an address may sit in */
#define AUTHFAIL_KEY_LEN    16      /* bytes of the hash's secret salt */

struct authfail_table {
    uint8_t          key[AUTHFAIL_KEY_LEN];     /* set before the fork */
    _Atomic uint64_t slot[AUTHFAIL_SETS * AUTHFAIL_WAYS];
};

/* AUTH_FAIL_BURST failures at once, AUTH_FAIL_RATE more a second; 0: off. */
struct authfail_limit {
    int burst;
    int rate;
};

int authfail_table_init(struct authfail_table *t);
uint64_t authfail_hash(const struct authfail_table *t, const char *client);
int64_t authfail_wait_ms(struct authfail_table *t, uint64_t hash,
    const struct authfail_limit *lim, int64_t now_ms);
int authfail_count(struct authfail_table *t, uint64_t hash,
    const struct authfail_limit *lim, int64_t now_ms);

#endif
