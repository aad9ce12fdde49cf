/* Configuration from the environment: every value validated, the bad one named. */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int config_env_int(const char *name, long def, long min, long max,
    int base, int *out);
static int config_admin_token(struct config *cfg);
static int config_token_read_file(const char *path, struct config *cfg);
static int config_token_check(const char *name, struct config *cfg);

/*
 * Parse value as an integer in [min, max] in the given base. On failure
 * print "NAME: ..." on stderr and return -1; never accepts trailing junk.
 */
int
config_parse_int(const char *name, const char *value, long min, long max,
    int base, long *out)
{
    char *end;
    long  v;

    errno = 0;
    v = strtol(value, &end, base);
    if (value[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
        fprintf(stderr, "booking: invalid %s=\"%s\": expected an integer "
            "from %ld to %ld\n", name, value, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int
config_env_int(const char *name, long def, long min, long max, int base,
    int *out)
{
    const char *value = getenv(name);
    long        v = def;

    if (value != NULL && config_parse_int(name, value, min, max, base, &v) < 0)
        return -1;
    *out = (int) v;
    return 0;
}

/* The token must be printable ASCII without spaces, 16..255 bytes. */
static int
config_token_check(const char *name, struct config *cfg)
{
    size_t i;

    if (cfg->admin_token_len < 16) {
        fprintf(stderr, "booking: invalid %s: the admin token must be at "
            "least 16 characters\n", name);
        return -1;
    }
    for (i = 0; i < cfg->admin_token_len; i++) {
        unsigned char c = (unsigned char) cfg->admin_token[i];
        if (c <= ' ' || c > '~') {
            fprintf(stderr, "booking: invalid %s: the admin token must be "
                "printable ASCII without spaces\n", name);
            return -1;
        }
    }
    return 0;
}

static int
config_token_read_file(const char *path, struct config *cfg)
{
    FILE  *f;
    size_t n;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "booking: invalid ADMIN_TOKEN_FILE=\"%s\": %s\n",
            path, strerror(errno));
        return -1;
    }
    n = fread(cfg->admin_token, 1, sizeof(cfg->admin_token), f);
    fclose(f);
    if (n == sizeof(cfg->admin_token)) {
        fprintf(stderr, "booking: invalid ADMIN_TOKEN_FILE=\"%s\": longer "
            "than %zu characters\n", path, sizeof(cfg->admin_token) - 2);
        return -1;
    }
    while (n > 0 && (cfg->admin_token[n - 1] == '\n'
                     || cfg->admin_token[n - 1] == '\r'))
        n--;
    cfg->admin_token[n] = '\0';
    cfg->admin_token_len = n;
    return config_token_check("ADMIN_TOKEN_FILE", cfg);
}

static int
config_admin_token(struct config *cfg)
{
    const char *token = getenv("ADMIN_TOKEN");
    const char *file = getenv("ADMIN_TOKEN_FILE");

    if (token != NULL && file != NULL) {
        fprintf(stderr, "booking: invalid ADMIN_TOKEN_FILE: set either "
            "ADMIN_TOKEN or ADMIN_TOKEN_FILE, not both\n");
        return -1;
    }
    if (file != NULL)
        return config_token_read_file(file, cfg);
    if (token == NULL) {
        fprintf(stderr, "booking: invalid ADMIN_TOKEN: not set (set "
            "ADMIN_TOKEN or ADMIN_TOKEN_FILE)\n");
        return -1;
    }
    cfg->admin_token_len = strlen(token);
    if (cfg->admin_token_len >= sizeof(cfg->admin_token)) {
        fprintf(stderr, "booking: invalid ADMIN_TOKEN: longer than %zu "
            "characters\n", sizeof(cfg->admin_token) - 1);
        return -1;
    }
    memcpy(cfg->admin_token, token, cfg->admin_token_len + 1);
    return config_token_check("ADMIN_TOKEN", cfg);
}

/*
 * Fill cfg from the environment for the server or for booking-expire.
 * Returns 0, or -1 after naming the bad variable on stderr (the caller
 * exits with status 2).
 */
int
config_load(struct config *cfg, enum config_for who)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    memset(cfg, 0, sizeof(*cfg));
    if (ncpu < 1)
        ncpu = 1;

    cfg->database_url = getenv("DATABASE_URL");
    if (cfg->database_url == NULL || cfg->database_url[0] == '\0') {
        fprintf(stderr, "booking: invalid DATABASE_URL: not set\n");
        return -1;
    }
    /* Both well below nginx's fastcgi_read_timeout (30 s). */
    if (config_env_int("DB_CONNECT_TIMEOUT", 2, 1, 60, 10,
                       &cfg->db_connect_timeout) < 0
        || config_env_int("DB_STATEMENT_TIMEOUT_MS", 5000, 100, 25000, 10,
                          &cfg->statement_timeout_ms) < 0
        || config_env_int("DB_LOCK_TIMEOUT_MS", 2000, 10, 25000, 10,
                          &cfg->lock_timeout_ms) < 0)
        return -1;
    /* FAILED_RETENTION_DAYS=0 is refused, not read as "for ever" or
     * "at once": no setting lets FAILED rows grow without bound, and
     * failed_bookings_prune() keeps a day at least. */
    if (who == CONFIG_EXPIRE)
        return config_env_int("EXPIRE_BATCH", 1000, 1, 100000, 10,
                              &cfg->expire_batch) < 0
            || config_env_int("FAILED_RETENTION_DAYS", 7, 1, 3650, 10,
                              &cfg->failed_retention_days) < 0
            || config_env_int("IDEMPOTENCY_REFUSED_RETENTION_SECONDS", 600,
                              0, 86400, 10, &cfg->idem_refused_seconds) < 0
            ? -1 : 0;

    cfg->fcgi_socket = getenv("FCGI_SOCKET");
    if (cfg->fcgi_socket != NULL && cfg->fcgi_socket[0] == '\0')
        cfg->fcgi_socket = NULL;

    /* Each worker holds a PostgreSQL connection: the default stays well
     * under PostgreSQL's default max_connections of 100. */
    if (config_env_int("WORKERS", ncpu * 2 < 32 ? ncpu * 2 : 32, 1, 256, 10,
                       &cfg->workers) < 0
        || config_env_int("FCGI_SOCKET_MODE", 0660, 0, 0777, 8,
                          &cfg->socket_mode) < 0
        || config_env_int("LISTEN_BACKLOG", 1024, 1, 65535, 10,
                          &cfg->listen_backlog) < 0
        || config_env_int("DRAIN_SECONDS", 10, 1, 600, 10,
                          &cfg->drain_seconds) < 0
        || config_env_int("HOLD_TTL_SECONDS", 120, 1, 86400, 10,
                          &cfg->hold_ttl_seconds) < 0
        || config_env_int("MAX_SEATS_PER_BOOKING", 10, 0, 1000000, 10,
                          &cfg->max_seats_per_booking) < 0
        || config_env_int("MAX_LIVE_HOLDS", 4, 0, 1000000, 10,
                          &cfg->max_live_holds) < 0
        || config_env_int("MAX_HELD_SEATS", 20, 0, 1000000, 10,
                          &cfg->max_held_seats) < 0
        || config_env_int("HOLD_MAX_SECONDS", 900, 1, 86400, 10,
                          &cfg->hold_max_seconds) < 0
        || config_env_int("HOLD_MAX_EXTENDS", 5, 0, 1000, 10,
                          &cfg->hold_max_extends) < 0
        || config_env_int("AUTH_FAIL_BURST", 10, 0, 100000, 10,
                          &cfg->auth_fail_burst) < 0
        || config_env_int("AUTH_FAIL_RATE", 1, 0, 1000, 10,
                          &cfg->auth_fail_rate) < 0)
        return -1;

    return config_admin_token(cfg);
}
