/* The FastCGI listening socket: inherited from systemd or spawn-fcgi, or bound here. */

#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_SYSTEMD_FD 3    /* SD_LISTEN_FDS_START */

/* TCP keepalive of the connections from nginx (they inherit it from the
 * listening socket): a kept connection whose nginx host died or was cut
 * off says nothing, and would hold one of its worker's slots for good.
 * Probed after 30 s idle, it is closed some 60 s after the loss. */
#define LISTEN_KEEPIDLE     30
#define LISTEN_KEEPINTVL    10
#define LISTEN_KEEPCNT      3

static int listen_is_listening(int fd);
static int listen_inherited(void);
static int listen_bind(const struct config *cfg);
static int listen_failed(const struct config *cfg, int fd);
static int listen_bind_unix(const struct config *cfg);
static int listen_bind_inet(const struct config *cfg,
    const struct sockaddr_storage *sa, socklen_t len);
static int listen_inet_options(int fd, int family);
static void listen_refuse_new(int fd);
static int listen_path_in_use(const struct sockaddr_un *sa);

static int
listen_is_listening(int fd)
{
    int       on = 0;
    socklen_t len = sizeof(on);

    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

/*
 * A socket passed by systemd socket activation (LISTEN_FDS=1 for our pid,
 * fd 3) or by spawn-fcgi and FastCGI process managers (fd 0). -1 if none.
 */
static int
listen_inherited(void)
{
    const char *fds = getenv("LISTEN_FDS");
    const char *pid = getenv("LISTEN_PID");

    if (fds != NULL && pid != NULL && strtol(pid, NULL, 10) == getpid()
        && strcmp(fds, "1") == 0 && listen_is_listening(LISTEN_SYSTEMD_FD)) {
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_PID");
        fprintf(stderr, "booking-fcgi: using the socket passed by systemd\n");
        return LISTEN_SYSTEMD_FD;
    }
    if (listen_is_listening(0)) {
        fprintf(stderr, "booking-fcgi: using the listening socket on fd 0\n");
        return 0;
    }
    return -1;
}

/* Is another server answering on this path? Then we must not unlink it. */
static int
listen_path_in_use(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int in_use;

    if (fd < 0)
        return 0;
    in_use = connect(fd, (const struct sockaddr *) sa, sizeof(*sa)) == 0;
    close(fd);
    return in_use;
}

/* Binding fd failed (errno says why): said, fd closed; -1. */
static int
listen_failed(const struct config *cfg, int fd)
{
    fprintf(stderr, "booking-fcgi: binding FCGI_SOCKET=\"%s\" failed: %s\n",
        cfg->fcgi_socket, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Bind FCGI_SOCKET, a path or a TCP address (config_socket_parse). */
static int
listen_bind(const struct config *cfg)
{
    struct sockaddr_storage sa;
    socklen_t               len;

    if (config_socket_parse(cfg->fcgi_socket, &sa, &len) < 0)
        return -2;
    return len > 0 ? listen_bind_inet(cfg, &sa, len) : listen_bind_unix(cfg);
}

static int
listen_bind_unix(const struct config *cfg)
{
    struct sockaddr_un sa;
    int                fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(cfg->fcgi_socket) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "booking: invalid FCGI_SOCKET=\"%s\": path longer "
            "than %zu bytes\n", cfg->fcgi_socket, sizeof(sa.sun_path) - 1);
        return -2;
    }
    strcpy(sa.sun_path, cfg->fcgi_socket);
    if (listen_path_in_use(&sa)) {
        fprintf(stderr, "booking-fcgi: FCGI_SOCKET=\"%s\" is in use by "
            "another process\n", cfg->fcgi_socket);
        return -1;
    }
    unlink(cfg->fcgi_socket);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0
        || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0
        || chmod(cfg->fcgi_socket, (mode_t) cfg->socket_mode) < 0
        || listen(fd, cfg->listen_backlog) < 0)
        return listen_failed(cfg, fd);
    return fd;
}

/*
 * What the connections from nginx inherit from a TCP listening socket:
 * no Nagle delay (libfcgi sets TCP_NODELAY itself on IPv4 connections
 * only, and an answer is written in two parts: its end records waited
 * for the first part's ACK), and keepalive probes. SO_REUSEADDR binds
 * again at once after a restart, past the old connections' TIME_WAIT;
 * another server listening on the address still makes bind() fail.
 * [::] means IPv6 alone, as written. 0, or -1 with errno set.
 */
static int
listen_inet_options(int fd, int family)
{
    int on = 1, idle = LISTEN_KEEPIDLE, intvl = LISTEN_KEEPINTVL;
    int cnt = LISTEN_KEEPCNT;

    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0
        || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0
        || setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0
        || setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0
        || setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
                      sizeof(intvl)) < 0
        || setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0)
        return -1;
    if (family == AF_INET6
        && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
        return -1;
    return 0;
}

/*
 * Bind the TCP address sa for an nginx on another host. Whoever reaches
 * the port speaks to the workers as nginx does (REMOTE_ADDR and all), so
 * binding every address is said in the log: the port must not be
 * reachable from anywhere but the nginx hosts (docs/cluster.md).
 */
static int
listen_bind_inet(const struct config *cfg, const struct sockaddr_storage *sa,
    socklen_t len)
{
    const struct sockaddr_in  *in4 = (const struct sockaddr_in *) sa;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || listen_inet_options(fd, sa->ss_family) < 0
        || bind(fd, (const struct sockaddr *) sa, len) < 0
        || listen(fd, cfg->listen_backlog) < 0)
        return listen_failed(cfg, fd);
    if ((sa->ss_family == AF_INET && in4->sin_addr.s_addr == htonl(INADDR_ANY))
        || (sa->ss_family == AF_INET6
            && IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)))
        fprintf(stderr, "booking-fcgi: FCGI_SOCKET=\"%s\" listens on every "
            "address of this host: make sure that only the nginx hosts can "
            "reach its port (docs/cluster.md)\n", cfg->fcgi_socket);
    fprintf(stderr, "booking-fcgi: listening on TCP %s\n", cfg->fcgi_socket);
    return fd;
}

/*
 * Open the listening socket, non-blocking so that workers can wait in
 * poll() and lose an accept race without blocking. *bound says whether
 * we created the path (and so remove it on exit). Returns the fd, -1 on a
 * system error, -2 on a configuration error.
 */
int
listen_open(const struct config *cfg, int *bound)
{
    int fd = listen_inherited();

    *bound = 0;
    if (fd < 0 && cfg->fcgi_socket == NULL) {
        fprintf(stderr, "booking: invalid FCGI_SOCKET: not set, and no "
            "listening socket was inherited on fd 0 or from systemd\n");
        return -2;
    }
    if (fd < 0) {
        fd = listen_bind(cfg);
        if (fd < 0)
            return fd;
        *bound = 1;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        fprintf(stderr, "booking-fcgi: fcntl(O_NONBLOCK) failed: %s\n",
            strerror(errno));
        return -1;
    }
    return fd;
}

/*
 * The path of a listening unix socket (fd), into buf: 0, or -1 for
 * another kind, or an abstract or unnamed one.
 */
int
listen_path(int fd, char *buf, size_t size)
{
    struct sockaddr_un sa;
    socklen_t          len = sizeof(sa);

    memset(&sa, 0, sizeof(sa));
    if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0
        || sa.sun_family != AF_UNIX || sa.sun_path[0] == '\0'
        || strlen(sa.sun_path) >= size)
        return -1;
    snprintf(buf, size, "%s", sa.sun_path);
    return 0;
}

/*
 * Bind FCGI_SOCKET again, after its path was removed or replaced: the
 * new fd, non-blocking, or -1 (said on stderr; a path that another
 * server answers on is left to it).
 */
int
listen_rebind(const struct config *cfg)
{
    int fd = listen_bind(cfg);

    if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        fprintf(stderr, "booking-fcgi: fcntl(O_NONBLOCK) failed: %s\n",
            strerror(errno));
        close(fd);
        return -1;
    }
    return fd < 0 ? -1 : fd;
}

int
listen_is_inet(int fd)
{
    struct sockaddr_storage sa;
    socklen_t               len = sizeof(sa);

    return getsockname(fd, (struct sockaddr *) &sa, &len) == 0
        && (sa.ss_family == AF_INET || sa.ss_family == AF_INET6);
}

/*
 * A TCP socket has no path to remove, and listens until the last worker
 * closes it: the connections that nginx opened meanwhile would be
 * queued, then reset with the request in them, which nginx cannot send
 * elsewhere (a POST may have been done). A filter that drops every
 * packet the socket gets from now on completes no new connection (nginx
 * tries another host after fastcgi_connect_timeout, or is refused once
 * the socket is closed), while those already queued, past their
 * handshake, are served. A socket whose filter cannot be set is only
 * closed (said in the log).
 */
static void
listen_refuse_new(int fd)
{
    struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog  prog = { 1, &drop };

    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
        fprintf(stderr, "booking-fcgi: setsockopt(SO_ATTACH_FILTER) failed: "
            "%s; connections made during the drain may be reset\n",
            strerror(errno));
}

/*
 * Stop taking connections. A unix socket that we bound: new connections
 * are refused once its path is gone; a TCP one: listen_refuse_new. An
 * inherited socket (bound 0) belongs to systemd, which keeps it and its
 * queue for the next server: it is only closed.
 */
void
listen_close(const struct config *cfg, int fd, int bound)
{
    if (bound && listen_is_inet(fd))
        listen_refuse_new(fd);
    else if (bound)
        unlink(cfg->fcgi_socket);
    close(fd);
}
