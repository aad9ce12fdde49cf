/* Unit tests of envfile_apply/restore/forget: what a reload reads, all or none. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"

#include "envfile.h"

#define PATH_TEMPLATE "/tmp/test_envfile.XXXXXX"

/* The variables these tests set; each test starts with none of them. */
static const char *const test_keys[] = {
    "ENVT_A", "ENVT_B", "ENVT_OLD", "ENVT_NEW", "ENVT_DUP", "ENVT_a1_",
    "_ENVT",
};

static void env_clear(void);
static void file_write(char *path, const char *text);
static int apply_quietly(const char *path, struct envfile_undo *undo,
    char *err, size_t errsize);
static void assert_unset(const char *key);
static void assert_env(const char *key, const char *want);
static char *file_of_settings(char *path, int n, const char *tail);

static void
env_clear(void)
{
    size_t i;
    char   key[32];
    int    k;

    for (i = 0; i < sizeof(test_keys) / sizeof(test_keys[0]); i++)
        unsetenv(test_keys[i]);
    for (k = 0; k <= ENVFILE_MAX_VARS; k++) {
        snprintf(key, sizeof(key), "ENVT_M%d", k);
        unsetenv(key);
    }
}

/* text into a new file named from PATH_TEMPLATE; path gets its name. */
static void
file_write(char *path, const char *text)
{
    size_t len = strlen(text);
    int    fd;

    strcpy(path, PATH_TEMPLATE);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t) len);
    assert_int_equal(close(fd), 0);
}

/* envfile_apply(path, undo) with its stderr caught in err. */
static int
apply_quietly(const char *path, struct envfile_undo *undo, char *err,
    size_t errsize)
{
    struct capture c;
    int            rc;

    capture_begin(&c);
    rc = envfile_apply(path, undo);
    capture_end(&c, err, errsize);
    return rc;
}

static void
assert_unset(const char *key)
{
    const char *v = getenv(key);

    if (v != NULL)
        fail_msg("%s is set to \"%s\", expected unset", key, v);
}

static void
assert_env(const char *key, const char *want)
{
    const char *v = getenv(key);

    if (v == NULL)
        fail_msg("%s is unset, expected \"%s\"", key, want);
    assert_string_equal(v, want);
}

/* A file of n settings ENVT_M0=0 ... then tail; returns path. */
static char *
file_of_settings(char *path, int n, const char *tail)
{
    size_t cap = (size_t) n * 32 + strlen(tail) + 1, len = 0;
    char  *text = malloc(cap);
    int    i;

    assert_non_null(text);
    text[0] = '\0';
    for (i = 0; i < n; i++)
        len += (size_t) snprintf(text + len, cap - len, "ENVT_M%d=%d\n", i, i);
    snprintf(text + len, cap - len, "%s", tail);
    file_write(path, text);
    free(text);
    return path;
}

/* Each file sets key to want, and restore takes it away again. */
static void
test_envfile_accepts(void **state)
{
    static const struct {
        const char *text, *key, *want;
    } cases[] = {
        { "ENVT_A=plain\n", "ENVT_A", "plain" },
        { "ENVT_A=last line, no newline", "ENVT_A", "last line, no newline" },
        { "ENVT_A = spaced \n", "ENVT_A", "spaced" },
        { "  ENVT_A\t=\tv  \t\n", "ENVT_A", "v" },
        { "ENVT_A=inner  spaces kept\n", "ENVT_A", "inner  spaces kept" },
        { "export ENVT_A=exported\n", "ENVT_A", "exported" },
        { "# a comment\n; another\n\n   \n\t\nENVT_A=c\n# after\n", "ENVT_A",
          "c" },
        { "ENVT_A=crlf\r\n", "ENVT_A", "crlf" },
        { "# c\r\n\r\nENVT_A='quoted crlf'\r\n", "ENVT_A", "quoted crlf" },
        { "ENVT_A=a=b=c\n", "ENVT_A", "a=b=c" },
        { "ENVT_A=x#y;z\n", "ENVT_A", "x#y;z" },
        { "ENVT_A='a \"b\" \\c $d'\n", "ENVT_A", "a \"b\" \\c $d" },
        { "ENVT_A=' pad '\n", "ENVT_A", " pad " },
        { "ENVT_A=\"p\\\"w\"\n", "ENVT_A", "p\"w" },
        { "ENVT_A=\"a\\\\b\"\n", "ENVT_A", "a\\b" },
        { "ENVT_A=\"x\\$y\"\n", "ENVT_A", "x$y" },
        { "ENVT_A=\"it's\"\n", "ENVT_A", "it's" },
        { "ENVT_A=\" pad \"\n", "ENVT_A", " pad " },
        { "ENVT_A=\n", "ENVT_A", "" },
        { "ENVT_A=   \n", "ENVT_A", "" },
        { "ENVT_A=''\n", "ENVT_A", "" },
        { "ENVT_A=\"\"\n", "ENVT_A", "" },
        { "ENVT_a1_=mixed\n", "ENVT_a1_", "mixed" },
        { "_ENVT=underscore\n", "_ENVT", "underscore" },
    };
    struct envfile_undo undo;
    char                path[sizeof(PATH_TEMPLATE)], err[512];
    size_t              i;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        env_clear();
        file_write(path, cases[i].text);
        if (apply_quietly(path, &undo, err, sizeof(err)) != 0)
            fail_msg("refused \"%s\": %s", cases[i].text, err);
        assert_string_equal(err, "");
        assert_int_equal(undo.n, 1);
        assert_env(cases[i].key, cases[i].want);
        envfile_restore(&undo);
        assert_unset(cases[i].key);
        assert_int_equal(undo.n, 0);
        unlink(path);
    }
}

/*
 * systemd (v239 on, 252 in Debian 12) unescapes only \" \\ \` \$ inside
 * double quotes and keeps the backslash before any other character, so
 * a reload must give the value the start gave.
 */
static void
test_envfile_double_quote_other_backslash(void **state)
{
    struct envfile_undo undo;
    char                path[sizeof(PATH_TEMPLATE)], err[512];
    char                a[32] = "(unset)", b[32] = "(unset)";

    (void) state;
    env_clear();
    file_write(path, "ENVT_A=\"a\\qb\\nc\"\nENVT_B=\"\\`x\\`\"\n");
    assert_int_equal(apply_quietly(path, &undo, err, sizeof(err)), 0);
    unlink(path);
    if (getenv("ENVT_A") != NULL)
        snprintf(a, sizeof(a), "%s", getenv("ENVT_A"));
    if (getenv("ENVT_B") != NULL)
        snprintf(b, sizeof(b), "%s", getenv("ENVT_B"));
    envfile_restore(&undo);         /* before any assert can jump away */
    assert_string_equal(b, "`x`");
    assert_string_equal(a, "a\\qb\\nc");
}

/* A bad line refuses the whole file: nothing set, the line named. */
static void
test_envfile_refuses(void **state)
{
    static const char *const bad[] = {
        "ENVT_B",                   /* no '=' */
        "export",
        "export ENVT_B",
        "=x",                       /* no key */
        "  = x",
        "1ENVT=x",                  /* key starting with a digit */
        "ENVT-B=x",                 /* key with a dash */
        "ENVT B=x",
        "ENVT.B=x",
        "ENVT_B='open",             /* unclosed quotes */
        "ENVT_B='",
        "ENVT_B=\"open",
        "ENVT_B=\"",
        "ENVT_B=\"open\\\"",
        "ENVT_B=\"ends in backslash\\",
        "ENVT_B='a'b",              /* text after a closing quote */
        "ENVT_B='a' b",
        "ENVT_B=\"a\"b",
        "ENVT_B=\"a\" b",
        "ENVT_B='a'b'",             /* a quote inside single quotes */
        "ENVT_B=a\\b",              /* backslash or quote mid-value */
        "ENVT_B=a\\",
        "ENVT_B=a\"b",
        "ENVT_B=a'b",
        "ENVT_B=it's",
    };
    struct envfile_undo undo;
    char                path[sizeof(PATH_TEMPLATE)], err[512], text[128];
    char                where[64];
    size_t              i;

    (void) state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        env_clear();
        setenv("ENVT_A", "old", 1);
        snprintf(text, sizeof(text), "ENVT_A=new\n# comment\n%s\nENVT_NEW=1\n",
            bad[i]);
        file_write(path, text);
        memset(&undo, 0x5a, sizeof(undo));
        if (apply_quietly(path, &undo, err, sizeof(err)) != -1)
            fail_msg("accepted the line \"%s\"", bad[i]);
        assert_int_equal(undo.n, 0);
        assert_env("ENVT_A", "old");
        assert_unset("ENVT_B");
        assert_unset("ENVT_NEW");
        snprintf(where, sizeof(where), "%s:3:", path);
        if (strstr(err, where) == NULL)
            fail_msg("for \"%s\" the message \"%s\" does not name %s",
                bad[i], err, where);
        envfile_restore(&undo);     /* nothing to put back */
        assert_env("ENVT_A", "old");
        unlink(path);
    }
    /* The same with CRLF line ends: the line count is the same. */
    env_clear();
    file_write(path, "ENVT_A=new\r\n\r\nENVT-B=x\r\n");
    assert_int_equal(apply_quietly(path, &undo, err, sizeof(err)), -1);
    assert_unset("ENVT_A");
    snprintf(where, sizeof(where), "%s:3:", path);
    assert_non_null(strstr(err, where));
    unlink(path);
}

static void
test_envfile_missing_file(void **state)
{
    struct envfile_undo undo;
    char                path[sizeof(PATH_TEMPLATE)], err[512];

    (void) state;
    env_clear();
    file_write(path, "ENVT_A=1\n");
    unlink(path);
    memset(&undo, 0x5a, sizeof(undo));
    assert_int_equal(apply_quietly(path, &undo, err, sizeof(err)), -1);
    assert_int_equal(undo.n, 0);
    assert_unset("ENVT_A");
    assert_non_null(strstr(err, path));
    envfile_restore(&undo);
}

/* ENVFILE_MAX_VARS settings are fine, comments after them too; one more is not. */
static void
test_envfile_max_vars(void **state)
{
    struct envfile_undo undo;
    char                path[sizeof(PATH_TEMPLATE)], err[512], key[32];
    char                want[32];
    int                 i;

    (void) state;
    env_clear();
    file_of_settings(path, ENVFILE_MAX_VARS, "# done\n; done\n\n  # more\n");
    assert_int_equal(apply_quietly(path, &undo, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(undo.n, ENVFILE_MAX_VARS);
    for (i = 0; i < ENVFILE_MAX_VARS; i++) {
        snprintf(key, sizeof(key), "ENVT_M%d", i);
        snprintf(want, sizeof(want), "%d", i);
        assert_env(key, want);
    }
    envfile_restore(&undo);
    for (i = 0; i < ENVFILE_MAX_VARS; i++) {
        snprintf(key, sizeof(key), "ENVT_M%d", i);
        assert_unset(key);
    }
    unlink(path);

    env_clear();
    setenv("ENVT_M0", "old", 1);
    file_of_settings(path, ENVFILE_MAX_VARS + 1, "");
    memset(&undo, 0x5a, sizeof(undo));
    assert_int_equal(apply_quietly(path, &undo, err, sizeof(err)), -1);
    assert_int_equal(undo.n, 0);
    assert_non_null(strstr(err, path));
    assert_env("ENVT_M0", "old");
    for (i = 1; i <= ENVFILE_MAX_VARS; i++) {
        snprintf(key, sizeof(key), "ENVT_M%d", i);
        assert_unset(key);
    }
    unlink(path);
    env_clear();
}

/* restore puts old values back and unsets what was unset, duplicates too. */
static void
test_envfile_restore(void **state)
{
    struct envfile_undo undo;
    char                path[sizeof(PATH_TEMPLATE)], err[512];

    (void) state;
    env_clear();
    setenv("ENVT_OLD", "before", 1);
    setenv("ENVT_DUP", "dup-before", 1);
    file_write(path, "ENVT_OLD=after\nENVT_NEW=fresh\nENVT_DUP=one\n"
        "ENVT_DUP=two\nENVT_A=\n");
    assert_int_equal(apply_quietly(path, &undo, err, sizeof(err)), 0);
    assert_int_equal(undo.n, 5);
    assert_env("ENVT_OLD", "after");
    assert_env("ENVT_NEW", "fresh");
    assert_env("ENVT_DUP", "two");
    assert_env("ENVT_A", "");
    envfile_restore(&undo);
    assert_int_equal(undo.n, 0);
    assert_env("ENVT_OLD", "before");
    assert_env("ENVT_DUP", "dup-before");
    assert_unset("ENVT_NEW");
    assert_unset("ENVT_A");
    /* A second restore has nothing left to do. */
    setenv("ENVT_NEW", "later", 1);
    envfile_restore(&undo);
    assert_env("ENVT_NEW", "later");
    unlink(path);
    env_clear();
}

/* forget keeps the new values and drops the undo record. */
static void
test_envfile_forget(void **state)
{
    struct envfile_undo undo;
    char                path[sizeof(PATH_TEMPLATE)], err[512];

    (void) state;
    env_clear();
    setenv("ENVT_OLD", "before", 1);
    file_write(path, "ENVT_OLD=after\nENVT_NEW=fresh\n");
    assert_int_equal(apply_quietly(path, &undo, err, sizeof(err)), 0);
    envfile_forget(&undo);
    assert_int_equal(undo.n, 0);
    assert_env("ENVT_OLD", "after");
    assert_env("ENVT_NEW", "fresh");
    envfile_restore(&undo);         /* forgotten: nothing to put back */
    assert_env("ENVT_OLD", "after");
    assert_env("ENVT_NEW", "fresh");
    unlink(path);
    env_clear();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envfile_accepts),
        cmocka_unit_test(test_envfile_double_quote_other_backslash),
        cmocka_unit_test(test_envfile_refuses),
        cmocka_unit_test(test_envfile_missing_file),
        cmocka_unit_test(test_envfile_max_vars),
        cmocka_unit_test(test_envfile_restore),
        cmocka_unit_test(test_envfile_forget),
    };

    return cmocka_run_group_tests_name("envfile", tests, NULL, NULL);
}
