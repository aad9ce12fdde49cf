/* Configuration from the environment: every value validated, the bad one named. */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "sha256.h"

static int config_env_int(const char *name, long def, long min, long max,
    int base, int *out);
static int config_secret_check(const char *name, const char *secret,
    size_t len);
static int config_secret_read_file(const char *name, const char *path,
    char *buf, size_t size, size_t *len);
static int config_secret(const char *name, int required, char *buf,
    size_t size, size_t *len);
static int config_secrets(struct config *cfg);
static int config_deadline(struct config *cfg);
static int config_socket_addr(const char *value, const char *colon,
    long port, struct sockaddr_storage *sa, socklen_t *len);
static int config_events_socket(struct config *cfg);

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

/*
 * The address in value up to colon, and port, into *sa and *len:
 * "[IPv6]" or IPv4, numeric. 0, or -1 when it is neither.
 */
static int
config_socket_addr(const char *value, const char *colon, long port,
    struct sockaddr_storage *sa, socklen_t *len)
{
    struct sockaddr_in  *in4 = (struct sockaddr_in *) sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) sa;
    char                 host[INET6_ADDRSTRLEN];
    size_t               n = (size_t) (colon - value);
    int                  v6 = value[0] == '[';

    if (v6 && (n < 2 || value[n - 1] != ']'))
        return -1;
    if (v6) {
        value++;
        n -= 2;
    }
    if (n >= sizeof(host))
        return -1;
    memcpy(host, value, n);
    host[n] = '\0';
    if (!v6 && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t) port);
        *len = sizeof(*in4);
        return 0;
    }
    if (v6 && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t) port);
        *len = sizeof(*in6);
        return 0;
    }
    return -1;
}

/*
 * FCGI_SOCKET: the path of a unix socket, or the TCP address to bind
 * for an nginx on another host (docs/cluster.md): IPv4:port or
 * [IPv6]:port, numeric, so that nothing is resolved at start and the
 * log says exactly what was bound. A value is an address when it begins
 * with '[', or has a ':' and no '/'; anything else is a path. Returns 0
 * with *len 0 for a path, 0 with the address in *sa and its length in
 * *len, or -1 after naming the value on stderr.
 */
int
config_socket_parse(const char *value, struct sockaddr_storage *sa,
    socklen_t *len)
{
    const char *colon = strrchr(value, ':');
    char       *end = NULL;
    long        port = 0;

    memset(sa, 0, sizeof(*sa));
    *len = 0;
    if (value[0] != '[' && (colon == NULL || strchr(value, '/') != NULL))
        return 0;
    if (colon != NULL) {
        errno = 0;
        port = strtol(colon + 1, &end, 10);
    }
    if (colon != NULL && colon[1] >= '0' && colon[1] <= '9' && *end == '\0'
        && errno == 0 && port >= 1 && port <= 65535
        && config_socket_addr(value, colon, port, sa, len) == 0)
        return 0;
    fprintf(stderr, "booking: invalid FCGI_SOCKET=\"%s\": expected a unix "
        "socket path, or a numeric IPv4:port or [IPv6]:port to bind, "
        "port 1 to 65535\n", value);
    return -1;
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

/*
 * A secret must be printable ASCII without spaces, 16..255 bytes: name
 * is the variable it came from, for the message.
 */
static int
config_secret_check(const char *name, const char *secret, size_t len)
{
    size_t i;

    if (len < 16) {
        fprintf(stderr, "booking: invalid %s: shorter than 16 characters\n",
            name);
        return -1;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) secret[i];
        if (c <= ' ' || c > '~') {
            fprintf(stderr, "booking: invalid %s: it must be printable "
                "ASCII without spaces\n", name);
            return -1;
        }
    }
    return 0;
}

/* The secret in file path (one line; its newline is not part of it). */
static int
config_secret_read_file(const char *name, const char *path, char *buf,
    size_t size, size_t *len)
{
    FILE  *f;
    size_t n;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "booking: invalid %s=\"%s\": %s\n", name, path,
            strerror(errno));
        return -1;
    }
    n = fread(buf, 1, size, f);
    fclose(f);
    if (n == size) {
        fprintf(stderr, "booking: invalid %s=\"%s\": longer than %zu "
            "characters\n", name, path, size - 2);
        return -1;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    *len = n;
    return config_secret_check(name, buf, n);
}

/*
 * A secret given as NAME or in the file named by NAME_FILE (one of the
 * two), into buf (size bytes) and *len. Neither set: -1 when required,
 * else 0 with *len 0.
 */
static int
config_secret(const char *name, int required, char *buf, size_t size,
    size_t *len)
{
    char        file_name[64];
    const char *value = getenv(name), *file;

    snprintf(file_name, sizeof(file_name), "%s_FILE", name);
    file = getenv(file_name);
    *len = 0;
    if (value != NULL && file != NULL) {
        fprintf(stderr, "booking: invalid %s: set either %s or %s, not "
            "both\n", file_name, name, file_name);
        return -1;
    }
    if (file != NULL)
        return config_secret_read_file(file_name, file, buf, size, len);
    if (value == NULL) {
        if (!required)
            return 0;
        fprintf(stderr, "booking: invalid %s: not set (set %s or %s)\n",
            name, name, file_name);
        return -1;
    }
    *len = strlen(value);
    if (*len >= size) {
        fprintf(stderr, "booking: invalid %s: longer than %zu characters\n",
            name, size - 1);
        return -1;
    }
    memcpy(buf, value, *len + 1);
    return config_secret_check(name, buf, *len);
}

/*
 * The admin token, and the service's secret key: SECRET_KEY, else the
 * admin token, hashed under a label of its own so that the key is no
 * credential (README, "Secrets").
 */
static int
config_secrets(struct config *cfg)
{
    static const char label[] = "booking secret key v1";
    char              key[CONFIG_TOKEN_MAX];
    size_t            len;

    if (config_secret("ADMIN_TOKEN", 1, cfg->admin_token,
                      sizeof(cfg->admin_token), &cfg->admin_token_len) < 0
        || config_secret("SECRET_KEY", 0, key, sizeof(key), &len) < 0)
        return -1;
    cfg->secret_key_from_admin = len == 0;
    if (cfg->secret_key_from_admin)
        hmac_sha256(cfg->admin_token, cfg->admin_token_len, label,
            sizeof(label) - 1, cfg->secret_key);
    else
        hmac_sha256(key, len, label, sizeof(label) - 1, cfg->secret_key);
    memset(key, 0, sizeof(key));
    return 0;
}

/*
 * The request's deadline and the server's own timeouts, in the order
 * that makes each answer come from the worker: lock timeout <= statement
 * timeout <= REQUEST_DEADLINE_MS (by default four fifths of it, so that
 * a statement that started at once is rolled back by the server, a
 * known outcome, before the worker must give up on it), and the
 * deadline at least 2 s below
 * nginx's fastcgi_read_timeout (NGINX_READ_TIMEOUT), or nginx answers
 * 504 first and the client never learns what the worker knew.
 */
static int
config_deadline(struct config *cfg)
{
    int nginx_s;

    if (config_env_int("REQUEST_DEADLINE_MS", 5000, 500, 600000, 10,
                       &cfg->deadline_ms) < 0
        || config_env_int("NGINX_READ_TIMEOUT", 30, 1, 3600, 10,
                          &nginx_s) < 0
        || config_env_int("DB_STATEMENT_TIMEOUT_MS", cfg->deadline_ms / 5 * 4,
                          100, 600000, 10, &cfg->statement_timeout_ms) < 0
        || config_env_int("DB_LOCK_TIMEOUT_MS",
                          cfg->statement_timeout_ms < 2000
                              ? cfg->statement_timeout_ms : 2000,
                          10, 600000, 10, &cfg->lock_timeout_ms) < 0)
        return -1;
    if ((int64_t) cfg->deadline_ms + 2000 > (int64_t) nginx_s * 1000) {
        fprintf(stderr, "booking: invalid REQUEST_DEADLINE_MS=%d: it must "
            "be at least 2000 ms below nginx's fastcgi_read_timeout "
            "(NGINX_READ_TIMEOUT=%d s)\n", cfg->deadline_ms, nginx_s);
        return -1;
    }
    if (cfg->statement_timeout_ms > cfg->deadline_ms) {
        fprintf(stderr, "booking: invalid DB_STATEMENT_TIMEOUT_MS=%d: above "
            "REQUEST_DEADLINE_MS=%d\n", cfg->statement_timeout_ms,
            cfg->deadline_ms);
        return -1;
    }
    if (cfg->lock_timeout_ms > cfg->statement_timeout_ms) {
        fprintf(stderr, "booking: invalid DB_LOCK_TIMEOUT_MS=%d: above "
            "DB_STATEMENT_TIMEOUT_MS=%d\n", cfg->lock_timeout_ms,
            cfg->statement_timeout_ms);
        return -1;
    }
    return 0;
}

/*
 * booking-events: EVENTS_SOCKET, the unix socket of nginx's nchan
 * publisher (default /run/booking-events/events.sock), an absolute path short
 * enough for a sockaddr_un.
 */
static int
config_events_socket(struct config *cfg)
{
    struct sockaddr_un sun;
    const char        *path = getenv("EVENTS_SOCKET");

    if (path == NULL || path[0] == '\0')
        path = "/run/booking-events/events.sock";
    if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
        fprintf(stderr, "booking: invalid EVENTS_SOCKET=\"%s\": expected "
            "an absolute path of at most %zu bytes\n", path,
            sizeof(sun.sun_path) - 1);
        return -1;
    }
    cfg->events_socket = path;
    return 0;
}

/*
 * Fill cfg from the environment for the server, booking-expire or
 * booking-events.
 * Returns 0, or -1 after naming the bad variable on stderr (the caller
 * exits with status 2).
 */
int
config_load(struct config *cfg, enum config_for who)
{
    long                    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct sockaddr_storage addr;       /* only checked here; listen.c binds */
    socklen_t               addr_len;

    memset(cfg, 0, sizeof(*cfg));
    if (ncpu < 1)
        ncpu = 1;

    cfg->database_url = getenv("DATABASE_URL");
    if (cfg->database_url == NULL || cfg->database_url[0] == '\0') {
        fprintf(stderr, "booking: invalid DATABASE_URL: not set\n");
        return -1;
    }
    if (config_env_int("DB_CONNECT_TIMEOUT", 2, 1, 60, 10,
                       &cfg->db_connect_timeout) < 0
        || config_deadline(cfg) < 0)
        return -1;
    /* FAILED_RETENTION_DAYS=0 is refused, not read as "for ever" or
     * "at once": no setting lets FAILED rows grow without bound, and
     * failed_bookings_prune() keeps a day at least. */
    if (who == CONFIG_EVENTS)
        return config_events_socket(cfg);
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
    if (cfg->fcgi_socket != NULL
        && config_socket_parse(cfg->fcgi_socket, &addr, &addr_len) < 0)
        return -1;

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

    return config_secrets(cfg);
}
