/* booking-fcgi: the FastCGI server of the booking service (master and workers). */

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "listen.h"
#include "master.h"

int
main(int argc, char **argv)
{
    struct config cfg;
    int           fd, bound;

    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("booking-fcgi %s\n", BOOKING_VERSION);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: booking-fcgi [--version]\n"
            "configuration comes from the environment; see README.md\n");
        return 2;
    }
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (config_load(&cfg, CONFIG_SERVER) < 0)
        return 2;
    if (cfg.secret_key_from_admin)
        fprintf(stderr, "booking-fcgi: SECRET_KEY is not set: the secret "
            "key comes from the admin token, so changing that token also "
            "loses the tokens kept for retries; set SECRET_KEY_FILE "
            "(README, \"Secrets\")\n");
    fd = listen_open(&cfg, &bound);
    if (fd < 0)
        return fd == -2 ? 2 : 1;
    return master_run(&cfg, fd, bound);
}
