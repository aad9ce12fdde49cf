#ifndef FCGI_LISTEN_H
#define FCGI_LISTEN_H

/* The FastCGI listening socket: inherited from systemd or spawn-fcgi, or bound here. */

#include <stddef.h>

#include "config.h"

int listen_open(const struct config *cfg, int *bound);
void listen_close(const struct config *cfg, int fd, int bound);
int listen_path(int fd, char *buf, size_t size);
int listen_is_inet(int fd);
int listen_rebind(const struct config *cfg);

#endif
