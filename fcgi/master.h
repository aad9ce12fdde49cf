#ifndef FCGI_MASTER_H
#define FCGI_MASTER_H

/* The master process: pre-forks the workers, restarts them, drains them on stop. */

#include "config.h"

int master_run(const struct config *cfg, int listen_fd, int bound);

#endif
