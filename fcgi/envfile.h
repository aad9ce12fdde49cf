#ifndef FCGI_ENVFILE_H
#define FCGI_ENVFILE_H

/*
 * The settings file systemd reads for us at start (EnvironmentFile=),
 * read again by the master on reload: KEY=VALUE lines, # comments, a
 * value optionally in single quotes (taken as it is) or double quotes
 * (where a backslash escapes " \ ` and $), as systemd reads it.
 */

#define ENVFILE_MAX_VARS 128

/* What the environment held before envfile_apply(), to put it back. */
struct envfile_undo {
    int   n;
    char *key[ENVFILE_MAX_VARS];
    char *old[ENVFILE_MAX_VARS];     /* NULL: it was not set */
};

int envfile_apply(const char *path, struct envfile_undo *undo);
void envfile_restore(struct envfile_undo *undo);
void envfile_forget(struct envfile_undo *undo);

#endif
