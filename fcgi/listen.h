#ifndef FCGI_LISTEN_H
#define FCGI_LISTEN_H

/* The FastCGI listening socket: inherited from systemd or spawn-fcgi, or bound here. */

#include "config.h"

int listen_open(const struct config *cfg, int *bound);
void listen_close(const struct config *cfg, int fd, int bound);

#endif
