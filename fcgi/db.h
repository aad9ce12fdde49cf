#ifndef FCGI_DB_H
#define FCGI_DB_H

/*
 * The worker's one PostgreSQL connection and every statement it runs:
 * db.c (the connection), db_shows.c, db_bookings.c, db_expire.c,
 * db_channels.c, db_seats.c (the statements, by resource). Only they include libpq-fe.h (through
 * db_exec.h); callers get statuses and plain structs.
 */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

#define DB_ERR_LEN       256
#define DB_NAME_MAX      (200 * 4 + 1)   /* 200 characters of UTF-8 */
#define DB_STATUS_MAX    24      /* "not_enough_adjacent" and its NUL */

struct pg_conn;

struct db {
    struct pg_conn *conn;
    const struct config *cfg;            /* URL and timeouts */
    const char     *application_name;
    time_t          next_connect;        /* no retry before this second */
    int64_t         deadline;            /* the request's, CLOCK_MONOTONIC
                                            ms; 0: none */
    int             in_doubt;            /* a write of this request may
                                            have committed unanswered */
    char            err[DB_ERR_LEN];     /* last error, for the log only */
    char            sqlstate[6];
    uint64_t        errors;              /* for /metrics: failed statements */
    uint64_t        reconnects;          /* and connections made again */
};

enum db_status {
    DB_OK = 0,
    DB_NOT_FOUND,
    DB_UNAVAILABLE,     /* connection down, overloaded, timed out: 503 */
    DB_UNKNOWN,         /* connection lost mid-write: may have committed */
    DB_KEY_REUSED,      /* the Idempotency-Key came with another request */
    DB_READ_ONLY,       /* db_ping: the server takes no writes: 503 */
    DB_ERROR            /* a bug or an unexpected answer: 500 */
};

/* What a booking transaction (book, confirm, cancel) came to. */
enum book_result {
    BOOK_OK = 0,
    BOOK_SOLD_OUT,
    BOOK_NOT_FOUND,
    BOOK_STARTED,
    BOOK_EXPIRED,       /* the hold lapsed before it was confirmed */
    BOOK_FAILED,        /* the booking had failed (sold out) */
    BOOK_CANCELLED,
    BOOK_UNAVAILABLE,
    BOOK_KEY_REUSED,    /* the Idempotency-Key came with another request */
    BOOK_HOLD_LIMIT,    /* the client holds as many holds or seats as it may */
    BOOK_CUSTOMER_LIMIT,    /* the customer has the show's cap of seats */
    BOOK_SEAT_LIMIT,    /* more seats in one booking than the client may */
    BOOK_UNAUTHORIZED,  /* a channel key that is unknown or revoked */
    BOOK_EXTEND_LIMIT,  /* the hold was extended as far as it may be */
    BOOK_NOT_A_HOLD,    /* extend: the booking is CONFIRMED */
    BOOK_SEATS_TAKEN,   /* a seat asked for was not free (FAILED booking) */
    BOOK_NOT_SEATED,    /* seats named on a show sold by count */
    BOOK_UNKNOWN_SEATS, /* a label the show does not have */
    BOOK_SEATS_REQUIRED,    /* a count on a seated show */
    BOOK_NOT_ADJACENT,  /* best available: seats free, no block of them */
    BOOK_UNKNOWN_CATEGORY,  /* best available: a category the show lacks */
    BOOK_UNKNOWN_SECTION,   /* best available: no section of those named */
    BOOK_UNKNOWN_AREA,  /* standing: an area the show does not have */
    BOOK_UNKNOWN,       /* connection lost mid-call: may have committed */
    BOOK_DB_ERROR
};

#define BOOK_RESULTS (BOOK_DB_ERROR + 1)

enum book_op {
    BOOK_OP_CREATE = 0, BOOK_OP_CONFIRM, BOOK_OP_CANCEL, BOOK_OP_EXTEND
};

struct db_show {
    int64_t id;
    int64_t start_us;
    int64_t total_seats;
    int64_t booked_seats;       /* held and confirmed, lapsed holds too */
    int64_t available_seats;    /* free now: lapsed holds count as free */
    int64_t max_per_customer;   /* seats one customer may have; 0: no cap */
    char    name[DB_NAME_MAX];
};

struct db_booking {
    int64_t id;
    int64_t show_id;
    int64_t seat_count;
    int64_t created_us;
    int64_t expires_us;
    int     has_expires;        /* a hold: expires_us is its deadline */
    char    status[DB_STATUS_MAX];
    char    reason[DB_STATUS_MAX];  /* "" when none */
    char    customer_ref[DB_NAME_MAX];  /* a channel's buyer; "" none */
    char   *seats;              /* a seated booking: its labels as a JSON
                                   array (malloc'd; db_booking_clear());
                                   NULL for one by count */
    int64_t price;              /* and their prices in all */
    int     adjacent;           /* and they are next to each other */
    char   *standing;           /* its standing places as a JSON object
                                   ({"Floor": 2}; malloc'd); for one
                                   refused sold_out, the areas short of
                                   places; NULL: none */
};

/* A write's Idempotency-Key, and what fingerprints its request. */
struct db_idem {
    const char *key;        /* as stored (scoped, hashed); NULL: no key */
    const char *legacy_key; /* as sent: what the previous release stored */
    const char *request;    /* "POST /book": method and path */
    const char *body;       /* canonical (jsoncanon.c), or who asks */
    const char *legacy_body;    /* as the previous release fingerprinted */
    int         replayed;   /* out: the stored result of an earlier try */
};

#define DB_HASH_LEN 32      /* a SHA-256 */
#define DB_BOX_MAX  48      /* a sealed token and its check */

/*
 * Who a booking operation is for. Book: token_hash is the new booking's
 * token's; confirm, cancel, get: the presented token's, or admin.
 * box_len and box: in, a keyed booking's token sealed for a retry; out,
 * after a replay, what the first request stored (box_len 0: none).
 */
struct db_owner {
    int     admin;
    uint8_t token_hash[DB_HASH_LEN];
    size_t  box_len;
    uint8_t box[DB_BOX_MAX];
    /* book: who books and for whom ("addr ..."; NULL for the admin), and
     * the client's caps on holds (0: none) */
    const char *client;
    const char *customer;
    int     max_live_holds;
    int     max_held_seats;
    /* a channel's key instead (its SHA-256): the database looks it up,
     * and the channel books with its own caps, for its buyer
     * customer_ref (book; NULL: none), and owns what it booked */
    int     channel;
    uint8_t channel_hash[DB_HASH_LEN];
    const char *customer_ref;
    /* book: the labels of the seats chosen, as a PostgreSQL array
     * literal; NULL: a booking by count */
    const char *seats;
    /* book: best available, its spec as JSON ({"together","categories",
     * "sections"}); NULL: not asked */
    const char *best;
    /* book: standing places, as JSON ({"Floor": 2}), alone or beside
     * seats; NULL: none */
    const char *standing;
    /* extend: how far from its making a hold may go, how many times */
    int     hold_max_seconds;
    int     hold_max_extends;
};

/* A channel: a box office's server with a key of its own (db_channels.c). */
struct db_channel {
    int64_t id;
    char    name[DB_NAME_MAX];
    int64_t max_seats_per_booking;      /* its caps; 0: none */
    int64_t max_live_holds;
    int64_t max_held_seats;
    int64_t created_us;
    int64_t revoked_us;
    int     revoked;
};

typedef int db_show_fn(const struct db_show *show, void *arg);
/* What blocking or unblocking a seated show's seats came to (db_seats.c). */
enum seats_result {
    SEATS_OK = 0,
    SEATS_NOT_FOUND,        /* no such show */
    SEATS_NOT_SEATED,       /* a show sold by count */
    SEATS_UNKNOWN_SEATS,    /* labels the show lacks: the seats listed */
    SEATS_TAKEN,            /* block: seats held or sold, the seats listed */
    SEATS_UNKNOWN_CHANNEL,  /* block: no live channel has that id */
    SEATS_RESULTS
};

/* A seat, as blocking and unblocking answer it. */
struct db_seat {
    const char *label;
    char        state;          /* as on the map: f, h, s, b; 0: unknown */
    int64_t     channel_id;     /* kept for this channel; 0: none */
};

typedef int db_channel_fn(const struct db_channel *channel, void *arg);
typedef int db_seat_fn(const struct db_seat *seat, void *arg);

void db_init(struct db *db, const struct config *cfg,
    const char *application_name);
void db_cleanup(struct db *db);
int db_connect(struct db *db);
void db_request_begin(struct db *db, int64_t deadline);
int64_t db_now_ms(void);
int db_connected(const struct db *db);
int db_socket(const struct db *db);
int db_idle_check(struct db *db);
enum db_status db_expire_totals(struct db *db, int64_t *holds);
enum db_status db_ping(struct db *db);
enum db_status db_show_create(struct db *db, struct db_idem *idem,
    const char *name, int64_t start_us, int64_t total_seats,
    const char *layout, int64_t max_per_customer, struct db_show *out);
enum db_status db_show_get(struct db *db, int64_t id, struct db_show *out);
enum db_status db_show_list(struct db *db, int has_cursor,
    int64_t after_start_us, int64_t after_id, int limit, db_show_fn *fn,
    void *arg);
enum book_result db_booking_run(struct db *db, struct db_idem *idem,
    enum book_op op, int64_t id, int64_t seats, int hold_seconds,
    struct db_owner *owner, struct db_booking *out);
enum db_status db_holds_expire(struct db *db, int limit, int *more,
    int64_t *holds, int64_t *seats);
enum db_status db_idem_prune(struct db *db, int limit, int refused_seconds,
    int64_t *old, int64_t *refused);
enum db_status db_failed_prune(struct db *db, int limit, int days,
    int64_t *pruned);
enum db_status db_channel_create(struct db *db,
    const struct db_channel *in, const uint8_t key_hash[DB_HASH_LEN],
    struct db_channel *out);
enum db_status db_channel_list(struct db *db, int limit, db_channel_fn *fn,
    void *arg);
enum db_status db_channel_revoke(struct db *db, int64_t id,
    struct db_channel *out);
void db_booking_clear(struct db_booking *b);
enum db_status db_seats_block(struct db *db, int64_t show_id,
    const char *labels, int block, int64_t channel_id,
    enum seats_result *result, db_seat_fn *fn, void *arg);
enum db_status db_seat_map(struct db *db, int64_t id, char **layout,
    char **states, char **standing);
enum db_status db_booking_get(struct db *db, int64_t id,
    const struct db_owner *owner, struct db_booking *out);

#endif
