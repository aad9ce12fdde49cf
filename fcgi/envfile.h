#ifndef FCGI_ENVFILE_H
#define FCGI_ENVFILE_H

/*
 * The settings file systemd reads for us at start (EnvironmentFile=),
 * read again by the master on reload: KEY=VALUE lines, # comments, a
 * value optionally in single or double quotes.
 */

int envfile_apply(const char *path);

#endif
