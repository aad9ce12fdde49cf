/* Failed authentications per client address: a leaky bucket each, in the shared page, without a lock. */

#define _GNU_SOURCE

#include "authfail.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sha256.h"

/*
 * A slot is one word: the top 24 bits a tag of the address's hash, the
 * low 40 bits the bucket's theoretical arrival time (GCRA's TAT): the
 * CLOCK_MONOTONIC millisecond at which the bucket is empty again (2^40
 * ms is 34 years of uptime). 0 is a free slot: a tag is never 0, and a
 * TAT of 0 is in the past. Each failure moves the TAT one interval
 * (1000 / AUTH_FAIL_RATE ms) forward from the later of itself and now;
 * an address may try while its TAT is at most burst - 1 intervals
 * ahead of now, so burst failures in a row pass and the next waits.
 *
 * The address picks a set of AUTHFAIL_WAYS slots by the low bits of a
 * salted hash (the salt is random per start, so no one can aim two
 * addresses at one set); the tag tells the addresses of a set apart.
 * What a collision costs:
 * - the same set, another tag: nothing. The address gets a slot of its
 *   own: one whose bucket has emptied (an expired slot is taken over),
 *   else the one that empties first, whose address loses its count and
 *   starts with a full budget again. Either way an address that is not
 *   over its budget is never refused because of another's; only a
 *   guesser with more live addresses than the table has slots gets
 *   counts forgotten, and it has that many budgets anyway.
 * - the same set and the same tag (34 bits of the hash alike, about one
 *   pair in 17 billion): the two share one budget, and one's guesses
 *   may refuse the other until the bucket drains. Rare enough, and no
 *   worse than two clients behind one address.
 * Two workers counting a new address at once may take two slots for
 * it; each holds part of its count, the larger is what it is refused
 * by, and both drain. A guesser gains at most a try or two from that.
 */

#define AF_TAG_SHIFT    40
#define AF_TIME_MASK    ((UINT64_C(1) << AF_TAG_SHIFT) - 1)
#define AF_TRIES        16      /* compare-and-swap attempts per count */

static uint64_t af_tag(uint64_t hash);
static int64_t af_tat(uint64_t word);
static int64_t af_interval(const struct authfail_limit *lim);
static int af_off(const struct authfail_limit *lim);
static int af_pick(_Atomic uint64_t *set, uint64_t tag, uint64_t *old);

static uint64_t
af_tag(uint64_t hash)
{
    uint64_t tag = hash >> AF_TAG_SHIFT;

    return tag != 0 ? tag : 1;
}

static int64_t
af_tat(uint64_t word)
{
    return (int64_t) (word & AF_TIME_MASK);
}

/* Milliseconds a failure takes from the budget; rate is 1..1000. */
static int64_t
af_interval(const struct authfail_limit *lim)
{
    return 1000 / lim->rate;
}

static int
af_off(const struct authfail_limit *lim)
{
    return lim == NULL || lim->burst <= 0 || lim->rate <= 0;
}

/*
 * The slot of set to count tag's failure in, and its word as read into
 * *old: tag's own (the latest, should a race have made two), else one
 * whose bucket is empty (a free slot, or an expired one of another
 * address), else the one that empties first. Returns its index.
 */
static int
af_pick(_Atomic uint64_t *set, uint64_t tag, uint64_t *old)
{
    uint64_t w[AUTHFAIL_WAYS];
    int      i, own = -1, spare = 0;

    for (i = 0; i < AUTHFAIL_WAYS; i++) {
        w[i] = atomic_load_explicit(&set[i], memory_order_relaxed);
        if (w[i] >> AF_TAG_SHIFT == tag
            && (own < 0 || af_tat(w[i]) > af_tat(w[own])))
            own = i;
        if (af_tat(w[i]) < af_tat(w[spare]))
            spare = i;
    }
    /* the earliest TAT is an expired one, if any is */
    i = own >= 0 ? own : spare;
    *old = w[i];
    return i;
}

/*
 * Master, before the fork: a fresh table (t is zeroed memory) with a
 * random salt for the hash. Returns 0, or -1 with errno from getrandom.
 */
int
authfail_table_init(struct authfail_table *t)
{
    size_t  got = 0;
    ssize_t n;

    while (got < sizeof(t->key)) {
        n = getrandom(t->key + got, sizeof(t->key) - got, 0);
        if (n < 0 && errno != EINTR)
            return -1;
        got += n > 0 ? (size_t) n : 0;
    }
    return 0;
}

/*
 * The salted hash of a client, as idempotency_scope() names it ("addr
 * 192.0.2.1", "addr 2001:db8::/64"): what the table knows it by.
 */
uint64_t
authfail_hash(const struct authfail_table *t, const char *client)
{
    struct sha256_ctx ctx;
    uint8_t           d[SHA256_LEN];
    uint64_t          h = 0;
    int               i;

    sha256_init(&ctx);
    sha256_update(&ctx, t->key, sizeof(t->key));
    sha256_update(&ctx, client, strlen(client));
    sha256_final(&ctx, d);
    for (i = 0; i < 8; i++)
        h = h << 8 | d[i];
    return h;
}

/*
 * Before a credential is checked: 0 when the address of hash may try
 * (off, or within its budget), else the milliseconds until it may try
 * once more. Reads only.
 */
int64_t
authfail_wait_ms(struct authfail_table *t, uint64_t hash,
    const struct authfail_limit *lim, int64_t now_ms)
{
    _Atomic uint64_t *set;
    uint64_t          tag, w;
    int64_t           allowance, d, wait = 0;
    int               i;

    if (t == NULL || af_off(lim))
        return 0;
    set = &t->slot[(hash & (AUTHFAIL_SETS - 1)) * AUTHFAIL_WAYS];
    tag = af_tag(hash);
    allowance = (int64_t) (lim->burst - 1) * af_interval(lim);
    for (i = 0; i < AUTHFAIL_WAYS; i++) {
        w = atomic_load_explicit(&set[i], memory_order_relaxed);
        if (w >> AF_TAG_SHIFT != tag)
            continue;
        d = af_tat(w) - now_ms - allowance;
        if (d > wait)
            wait = d;
    }
    return wait;
}

/*
 * A credential of the address of hash failed: take one interval from
 * its budget, by compare-and-swap on its slot, so that no lock is ever
 * held (a worker killed between the read and the swap leaves the word
 * as it was). The TAT never runs more than burst intervals ahead, so
 * that tries raced past the check do not lengthen the wait. Returns 1
 * when this failure spent the last of the budget (the next try waits),
 * else 0; 0 also when the swap kept losing to other workers, and the
 * failure goes uncounted.
 */
int
authfail_count(struct authfail_table *t, uint64_t hash,
    const struct authfail_limit *lim, int64_t now_ms)
{
    _Atomic uint64_t *set;
    uint64_t          tag, old, word;
    int64_t           interval, tat;
    int               i, tries;

    if (t == NULL || af_off(lim))
        return 0;
    set = &t->slot[(hash & (AUTHFAIL_SETS - 1)) * AUTHFAIL_WAYS];
    tag = af_tag(hash);
    interval = af_interval(lim);
    for (tries = 0; tries < AF_TRIES; tries++) {
        i = af_pick(set, tag, &old);
        tat = old >> AF_TAG_SHIFT == tag && af_tat(old) > now_ms
            ? af_tat(old) : now_ms;
        tat += interval;
        if (tat > now_ms + lim->burst * interval)
            tat = now_ms + lim->burst * interval;
        word = tag << AF_TAG_SHIFT | ((uint64_t) tat & AF_TIME_MASK);
        if (atomic_compare_exchange_weak_explicit(&set[i], &old, word,
                memory_order_relaxed, memory_order_relaxed))
            return tat - now_ms > (int64_t) (lim->burst - 1) * interval;
    }
    return 0;
}
