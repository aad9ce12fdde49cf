/* Reading an EnvironmentFile= into the environment, for a reload. */

#define _GNU_SOURCE

#include "envfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct envfile_var {
    char *key;
    char *value;
};

static int envfile_parse_line(char *line, struct envfile_var *v);

/*
 * One line, in place: "KEY=VALUE" with optional spaces around, the
 * value unquoted as systemd does. Returns 1 for a variable, 0 for a
 * blank or comment line, -1 for anything else.
 */
static int
envfile_parse_line(char *line, struct envfile_var *v)
{
    char   *p = line, *eq, *end;
    size_t  n;

    while (isspace((unsigned char) *p))
        p++;
    if (*p == '\0' || *p == '#' || *p == ';')
        return 0;
    if (strncmp(p, "export ", 7) == 0)
        p += 7;
    eq = strchr(p, '=');
    if (eq == NULL || eq == p)
        return -1;
    for (end = eq; end > p && isspace((unsigned char) end[-1]); end--)
        ;
    *end = '\0';
    for (end = p; *end != '\0'; end++)
        if (!(isalnum((unsigned char) *end) || *end == '_'))
            return -1;
    if (isdigit((unsigned char) *p))
        return -1;
    v->key = p;

    p = eq + 1;
    while (isspace((unsigned char) *p))
        p++;
    n = strlen(p);
    while (n > 0 && isspace((unsigned char) p[n - 1]))
        p[--n] = '\0';
    if (n > 0 && p[0] == '\'') {
        if (n < 2 || p[n - 1] != '\'' || memchr(p + 1, '\'', n - 2) != NULL)
            return -1;      /* unclosed, or a quote mid-value */
        p[n - 1] = '\0';
        p++;
    } else if (n > 0 && p[0] == '"') {
        char *in = p + 1, *out = p;
        for (; *in != '"'; in++) {
            /* as systemd: a backslash escapes " \ ` $ and is kept
             * before anything else */
            if (*in == '\\' && in[1] != '\0' && strchr("\"\\`$", in[1]))
                in++;
            if (*in == '\0')
                return -1;  /* unclosed */
            *out++ = *in;
        }
        if (in[1] != '\0')
            return -1;      /* something after the closing quote */
        *out = '\0';
    } else if (strpbrk(p, "\"'\\") != NULL) {
        return -1;          /* quotes or backslashes mid-value: refuse
                               rather than read them otherwise than systemd */
    }
    v->value = p;
    return 1;
}

/*
 * Set every variable of the file in our environment, or none: the whole
 * file is parsed first, and a line that is not a setting refuses it.
 * undo gets what each variable held before, for envfile_restore().
 * Returns 0, or -1 after saying why on stderr. A variable removed from
 * the file keeps its old value (a restart drops it).
 */
int
envfile_apply(const char *path, struct envfile_undo *undo)
{
    struct envfile_var vars[ENVFILE_MAX_VARS], v;
    FILE              *f;
    char              *buf = NULL, *lines[ENVFILE_MAX_VARS], *line = NULL;
    const char        *old;
    size_t             cap = 0;
    ssize_t            len;
    int                nvars = 0, lineno = 0, rc = -1, r, i;

    memset(undo, 0, sizeof(*undo));
    f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, "booking: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((len = getline(&buf, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        if ((line = strdup(buf)) == NULL)
            goto out;
        r = envfile_parse_line(line, &v);
        if (r < 0) {
            fprintf(stderr, "booking: %s:%d: not a KEY=VALUE setting\n",
                path, lineno);
            goto out;
        }
        if (r == 0) {
            free(line);
            line = NULL;
            continue;
        }
        if (nvars == ENVFILE_MAX_VARS) {
            fprintf(stderr, "booking: %s: more than %d settings\n", path,
                ENVFILE_MAX_VARS);
            goto out;
        }
        vars[nvars] = v;
        lines[nvars++] = line;
        line = NULL;
    }
    if (ferror(f)) {
        fprintf(stderr, "booking: cannot read %s: %s\n", path, strerror(errno));
        goto out;
    }
    for (i = 0; i < nvars; i++) {
        old = getenv(vars[i].key);
        undo->key[i] = strdup(vars[i].key);
        undo->old[i] = old != NULL ? strdup(old) : NULL;
        undo->n = i + 1;
        if (undo->key[i] == NULL || (old != NULL && undo->old[i] == NULL)
            || setenv(vars[i].key, vars[i].value, 1) < 0) {
            envfile_restore(undo);
            goto out;
        }
    }
    rc = 0;

out:
    free(line);
    for (i = 0; i < nvars; i++)
        free(lines[i]);
    free(buf);
    fclose(f);
    return rc;
}

/* Put back what envfile_apply() changed (a refused or aborted reload). */
void
envfile_restore(struct envfile_undo *undo)
{
    int i;

    for (i = undo->n - 1; i >= 0; i--) {
        if (undo->key[i] == NULL)
            continue;
        if (undo->old[i] != NULL)
            setenv(undo->key[i], undo->old[i], 1);
        else
            unsetenv(undo->key[i]);
    }
    envfile_forget(undo);
}

/* The new settings stay: drop the old values. */
void
envfile_forget(struct envfile_undo *undo)
{
    int i;

    for (i = 0; i < undo->n; i++) {
        free(undo->key[i]);
        free(undo->old[i]);
    }
    memset(undo, 0, sizeof(*undo));
}
