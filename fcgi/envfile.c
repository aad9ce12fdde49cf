/* Reading an EnvironmentFile= into the environment, for a reload. */

#define _GNU_SOURCE

#include "envfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENVFILE_MAX_VARS 128

struct envfile_var {
    char *key;
    char *value;
};

static int envfile_parse_line(char *line, struct envfile_var *v);

/*
 * One line, in place: "KEY=VALUE" with optional spaces around, a value
 * in matching quotes taken whole. Returns 1 for a variable, 0 for a
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
    if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0]) {
        p[n - 1] = '\0';
        p++;
    } else if (n > 0 && (p[0] == '"' || p[0] == '\'')) {
        return -1;      /* an unclosed quote, or a quote mid-value */
    }
    v->value = p;
    return 1;
}

/*
 * Set every variable of the file in our environment, or none: the whole
 * file is parsed first, and a line that is not a setting refuses it.
 * Returns 0, or -1 after saying why on stderr. A variable removed from
 * the file keeps its old value (say so to the admin: restart to drop it).
 */
int
envfile_apply(const char *path)
{
    struct envfile_var vars[ENVFILE_MAX_VARS];
    FILE              *f;
    char              *buf = NULL, *lines[ENVFILE_MAX_VARS];
    size_t             cap = 0;
    ssize_t            len;
    int                nvars = 0, lineno = 0, rc = -1, r, i;

    f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, "booking: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((len = getline(&buf, &cap, f)) >= 0) {
        lineno++;
        if (len > 0 && buf[len - 1] == '\n')
            buf[len - 1] = '\0';
        if (nvars == ENVFILE_MAX_VARS) {
            fprintf(stderr, "booking: %s: more than %d settings\n", path,
                ENVFILE_MAX_VARS);
            goto out;
        }
        lines[nvars] = strdup(buf);
        if (lines[nvars] == NULL)
            goto out;
        r = envfile_parse_line(lines[nvars], &vars[nvars]);
        if (r < 0) {
            fprintf(stderr, "booking: %s:%d: not a KEY=VALUE setting\n",
                path, lineno);
            free(lines[nvars]);
            goto out;
        }
        if (r == 0)
            free(lines[nvars]);
        else
            nvars++;
    }
    if (ferror(f)) {
        fprintf(stderr, "booking: cannot read %s: %s\n", path, strerror(errno));
        goto out;
    }
    for (i = 0; i < nvars; i++)
        if (setenv(vars[i].key, vars[i].value, 1) < 0)
            goto out;
    rc = 0;

out:
    for (i = 0; i < nvars; i++)
        free(lines[i]);
    free(buf);
    fclose(f);
    return rc;
}
