/* The FastCGI listening socket: inherited from systemd or spawn-fcgi, or bound here. */

#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_SYSTEMD_FD 3    /* SD_LISTEN_FDS_START */

static int listen_is_listening(int fd);
static int listen_inherited(void);
static int listen_bind(const struct config *cfg);
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

static int
listen_bind(const struct config *cfg)
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
        || listen(fd, cfg->listen_backlog) < 0) {
        fprintf(stderr, "booking-fcgi: binding FCGI_SOCKET=\"%s\" failed: "
            "%s\n", cfg->fcgi_socket, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
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

/* Stop taking connections: new ones are refused once the path is gone. */
void
listen_close(const struct config *cfg, int fd, int bound)
{
    if (bound)
        unlink(cfg->fcgi_socket);
    close(fd);
}
