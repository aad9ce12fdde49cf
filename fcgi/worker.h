#ifndef FCGI_WORKER_H
#define FCGI_WORKER_H

/* A worker process: the FastCGI accept loop around one database connection. */

#include "config.h"
#include "scoreboard.h"

int worker_run(const struct config *cfg, int listen_fd, int drain_backlog,
    struct scoreboard *board, int entry);

#endif
