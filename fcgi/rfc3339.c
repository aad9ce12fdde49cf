/* RFC 3339 timestamps <-> microseconds since the Unix epoch (UTC). */

#include "rfc3339.h"

#include <stdio.h>

#define US_PER_SEC  1000000LL
#define SEC_PER_DAY 86400LL

static int rfc3339_digits(const char **p, int n, int *out);
static int64_t rfc3339_days_from_civil(int y, int m, int d);
static void rfc3339_civil_from_days(int64_t z, int *y, int *m, int *d);
static int rfc3339_days_in_month(int y, int m);
static void rfc3339_put_digits(char *buf, int *n, int v, int width);

/* Read exactly n decimal digits at *p, advancing it. */
static int
rfc3339_digits(const char **p, int n, int *out)
{
    int v = 0;

    while (n-- > 0) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

static int
rfc3339_days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 ? 28 + leap : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t
rfc3339_days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
rfc3339_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)". The zone is
 * required; fractions beyond microseconds are truncated; leap seconds
 * are refused, and so is an instant outside years 1..9999 in UTC.
 * Returns 0 and the instant in *us_out, or -1.
 */
int
rfc3339_parse(const char *s, int64_t *us_out)
{
    int     y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, ndigits = 0;
    int64_t frac = 0, secs;

    if (rfc3339_digits(&s, 4, &y) < 0 || *s++ != '-'
        || rfc3339_digits(&s, 2, &mo) < 0 || *s++ != '-'
        || rfc3339_digits(&s, 2, &d) < 0 || (*s != 'T' && *s != 't'))
        return -1;
    s++;
    if (rfc3339_digits(&s, 2, &h) < 0 || *s++ != ':'
        || rfc3339_digits(&s, 2, &mi) < 0 || *s++ != ':'
        || rfc3339_digits(&s, 2, &sec) < 0)
        return -1;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return -1;
        for (; *s >= '0' && *s <= '9'; s++, ndigits++)
            if (ndigits < 6)
                frac = frac * 10 + (*s - '0');
        for (; ndigits < 6; ndigits++)
            frac *= 10;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '+' ? 1 : -1;
        if (rfc3339_digits(&s, 2, &oh) < 0 || *s++ != ':'
            || rfc3339_digits(&s, 2, &om) < 0 || oh > 23 || om > 59)
            return -1;
    } else {
        return -1;
    }
    if (*s != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1
        || d > rfc3339_days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return -1;

    secs = rfc3339_days_from_civil(y, mo, d) * SEC_PER_DAY
         + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    /* The offset may carry the instant out of years 1..9999 in UTC. */
    if (secs < RFC3339_US_MIN / US_PER_SEC
        || secs > RFC3339_US_MAX / US_PER_SEC)
        return -1;
    *us_out = secs * US_PER_SEC + frac;
    return 0;
}

/*
 * Write us as "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" in UTC; the fraction only
 * when non-zero, without trailing zeros.
 */
void
rfc3339_format(int64_t us, char *buf, size_t size)
{
    int64_t secs = us / US_PER_SEC, frac = us % US_PER_SEC, days, rem;
    int     y, m, d, n, digits = 6;

    if (frac < 0) {
        frac += US_PER_SEC;
        secs--;
    }
    days = secs / SEC_PER_DAY;
    rem = secs % SEC_PER_DAY;
    if (rem < 0) {
        rem += SEC_PER_DAY;
        days--;
    }
    rfc3339_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999 || size < RFC3339_MAX) {
        n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d,
            (int) (rem / 3600), (int) (rem / 60 % 60), (int) (rem % 60));
        if (n < 0 || (size_t) n >= size)
            return;
    } else {
        /* by hand: a page of shows formats a thousand, and printf's
         * parsing of the format was most of a page's time in the worker */
        n = 0;
        rfc3339_put_digits(buf, &n, y, 4);
        buf[n++] = '-';
        rfc3339_put_digits(buf, &n, m, 2);
        buf[n++] = '-';
        rfc3339_put_digits(buf, &n, d, 2);
        buf[n++] = 'T';
        rfc3339_put_digits(buf, &n, (int) (rem / 3600), 2);
        buf[n++] = ':';
        rfc3339_put_digits(buf, &n, (int) (rem / 60 % 60), 2);
        buf[n++] = ':';
        rfc3339_put_digits(buf, &n, (int) (rem % 60), 2);
    }
    if (frac != 0) {
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        n += snprintf(buf + n, size - (size_t) n, ".%0*lld", digits,
            (long long) frac);
    }
    if ((size_t) n < size)
        snprintf(buf + n, size - (size_t) n, "Z");
}

/* v (0 <= v < 10^width) in width digits at buf + *n. */
static void
rfc3339_put_digits(char *buf, int *n, int v, int width)
{
    int i;

    for (i = width - 1; i >= 0; i--) {
        buf[*n + i] = (char) ('0' + v % 10);
        v /= 10;
    }
    *n += width;
}
