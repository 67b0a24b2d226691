/* time.c: civil-calendar conversion, parsing and formatting of tr_time.
 *
 * Day arithmetic uses Howard Hinnant's days_from_civil / civil_from_days
 * algorithms (proleptic Gregorian, valid for negative years), so dates before
 * 1970 need no special case. */
#include "core/time.h"

#include <time.h>

#include <string.h>

#include "core/err.h"

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int64_t tr_time_day(tr_time t)
{
    int64_t d = t / TR_NS_PER_DAY;
    return (t % TR_NS_PER_DAY < 0) ? d - 1 : d;
}

void tr_time_to_civil(tr_time t, tr_civil *c)
{
    int64_t day = tr_time_day(t);
    int64_t ns = t % TR_NS_PER_DAY; /* not t - day * DAY: that can overflow */
    if (ns < 0)
        ns += TR_NS_PER_DAY;
    civil_from_days(day, &c->year, &c->month, &c->day);
    int64_t sec = ns / TR_NS_PER_SEC;
    c->nanosecond = (int32_t)(ns % TR_NS_PER_SEC);
    c->hour = (int)(sec / 3600);
    c->minute = (int)(sec / 60 % 60);
    c->second = (int)(sec % 60);
    int64_t wd = (day + 3) % 7; /* 1970-01-01 was a Thursday */
    c->weekday = (int)(wd < 0 ? wd + 7 : wd) + 1;
}

int tr_time_from_civil(const tr_civil *c, tr_time *out)
{
    if (c->month < 1 || c->month > 12 || c->day < 1 ||
        c->day > days_in_month(c->year, c->month) || c->hour < 0 ||
        c->hour > 23 || c->minute < 0 || c->minute > 59 || c->second < 0 ||
        c->second > 59 || c->nanosecond < 0 || c->nanosecond > 999999999)
        return TR_ERR_INVALID;
    if (c->year < 1600 || c->year > 2300)
        return TR_ERR_RANGE; /* well outside +-292 years anyway */
    int64_t day = days_from_civil(c->year, c->month, c->day);
    int64_t sec = (int64_t)c->hour * 3600 + c->minute * 60 + c->second;
    int64_t t, in_day = sec * TR_NS_PER_SEC + c->nanosecond;
    /* The first representable day starts before INT64_MIN, so for negative
     * days count from the end of the day backwards. */
    if (day < 0) {
        if (__builtin_mul_overflow(day + 1, TR_NS_PER_DAY, &t) ||
            __builtin_add_overflow(t, in_day - TR_NS_PER_DAY, &t))
            return TR_ERR_RANGE;
    } else if (__builtin_mul_overflow(day, TR_NS_PER_DAY, &t) ||
               __builtin_add_overflow(t, in_day, &t)) {
        return TR_ERR_RANGE;
    }
    *out = t;
    return TR_OK;
}

/* Reads exactly n digits at *p into *v; advances *p. 0 when not n digits. */
static int digits(const char **p, const char *end, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (*p >= end || **p < '0' || **p > '9')
            return 0;
        x = x * 10 + (*(*p)++ - '0');
    }
    *v = x;
    return 1;
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Epoch number: [-]digits[.digits], unit chosen by magnitude. */
static int parse_epoch(const char *s, const char *end, tr_time *out)
{
    const char *p = s;
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    const char *ip = p;
    while (p < end && is_digit(*p))
        p++;
    const char *ipend = p, *fp = NULL, *fpend = NULL;
    if (p < end && *p == '.') {
        fp = ++p;
        while (p < end && is_digit(*p))
            p++;
        fpend = p;
    }
    if (p != end || (ipend == ip && (!fp || fpend == fp)))
        return TR_ERR_INVALID;
    if (ipend - ip > 19)
        return TR_ERR_RANGE;
    uint64_t n = 0;
    for (const char *q = ip; q < ipend; q++)
        n = n * 10 + (uint64_t)(*q - '0');
    int64_t unit; /* nanoseconds per unit */
    if (n < UINT64_C(100000000000))
        unit = TR_NS_PER_SEC;
    else if (n < UINT64_C(100000000000000))
        unit = TR_NS_PER_MS;
    else if (n < UINT64_C(100000000000000000))
        unit = TR_NS_PER_US;
    else
        unit = 1;
    if (n > (uint64_t)INT64_MAX)
        return TR_ERR_RANGE;
    int64_t t;
    if (__builtin_mul_overflow((int64_t)n, unit, &t))
        return TR_ERR_RANGE;
    /* Fraction digits below one nanosecond are dropped. */
    int64_t frac = 0, scale = unit;
    for (const char *q = fp; q && q < fpend && scale > 1; q++) {
        scale /= 10;
        frac += (*q - '0') * scale;
    }
    if (__builtin_add_overflow(t, frac, &t))
        return TR_ERR_RANGE;
    *out = neg ? -t : t;
    return TR_OK;
}

int tr_time_parse(const char *s, size_t len, tr_time *out)
{
    const char *p = s, *end = s + len;
    tr_civil c = {0};

    /* Basic date YYYYMMDD, when valid; otherwise it is an epoch number. */
    if (len == 8) {
        const char *q = s;
        if (digits(&q, end, 4, &c.year) && digits(&q, end, 2, &c.month) &&
            digits(&q, end, 2, &c.day) && c.month >= 1 && c.month <= 12 &&
            c.day >= 1 && c.day <= days_in_month(c.year, c.month))
            return tr_time_from_civil(&c, out);
    }
    if (len < 10 || s[4] != '-')
        return parse_epoch(s, end, out);

    if (!digits(&p, end, 4, &c.year) || *p++ != '-' ||
        !digits(&p, end, 2, &c.month) || p >= end || *p++ != '-' ||
        !digits(&p, end, 2, &c.day))
        return TR_ERR_INVALID;
    int64_t offset_sec = 0;
    if (p < end) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return TR_ERR_INVALID;
        p++;
        if (!digits(&p, end, 2, &c.hour) || p >= end || *p++ != ':' ||
            !digits(&p, end, 2, &c.minute))
            return TR_ERR_INVALID;
        if (p < end && *p == ':') {
            p++;
            if (!digits(&p, end, 2, &c.second))
                return TR_ERR_INVALID;
            if (p < end && (*p == '.' || *p == ',')) {
                p++;
                int n = 0;
                int32_t ns = 0;
                for (; p < end && is_digit(*p); p++, n++)
                    if (n < 9)
                        ns = ns * 10 + (*p - '0');
                if (n == 0)
                    return TR_ERR_INVALID;
                for (; n < 9; n++)
                    ns *= 10;
                c.nanosecond = ns;
            }
        }
        if (p < end && (*p == 'Z' || *p == 'z')) {
            p++;
        } else if (p < end && (*p == '+' || *p == '-')) {
            int sign = *p++ == '-' ? -1 : 1, oh = 0, om = 0;
            if (!digits(&p, end, 2, &oh))
                return TR_ERR_INVALID;
            if (p < end && *p == ':') {
                p++;
                if (!digits(&p, end, 2, &om)) /* "+05:" lacks its minutes */
                    return TR_ERR_INVALID;
            } else if (p < end && !digits(&p, end, 2, &om)) {
                return TR_ERR_INVALID;
            }
            if (oh > 23 || om > 59)
                return TR_ERR_INVALID;
            offset_sec = sign * (oh * 3600 + om * 60);
        }
        if (p != end)
            return TR_ERR_INVALID;
    }
    tr_time t;
    int rc = tr_time_from_civil(&c, &t);
    if (rc != TR_OK)
        return rc;
    if (__builtin_sub_overflow(t, offset_sec * TR_NS_PER_SEC, &t))
        return TR_ERR_RANGE;
    *out = t;
    return TR_OK;
}

static char *put_int(char *q, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        q[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return q + width;
}

size_t tr_time_format_date(tr_time t, char *buf, size_t size)
{
    tr_civil c;
    if (size < 11)
        return 0;
    tr_time_to_civil(t, &c);
    char *q = put_int(buf, c.year, 4);
    *q++ = '-';
    q = put_int(q, c.month, 2);
    *q++ = '-';
    q = put_int(q, c.day, 2);
    *q = '\0';
    return 10;
}

size_t tr_time_format(tr_time t, char *buf, size_t size)
{
    tr_civil c;
    char tmp[TR_TIME_STRLEN];
    tr_time_to_civil(t, &c);
    char *q = put_int(tmp, c.year, 4);
    *q++ = '-';
    q = put_int(q, c.month, 2);
    *q++ = '-';
    q = put_int(q, c.day, 2);
    *q++ = 'T';
    q = put_int(q, c.hour, 2);
    *q++ = ':';
    q = put_int(q, c.minute, 2);
    *q++ = ':';
    q = put_int(q, c.second, 2);
    if (c.nanosecond) {
        *q++ = '.';
        if (c.nanosecond % 1000000 == 0)
            q = put_int(q, c.nanosecond / 1000000, 3);
        else if (c.nanosecond % 1000 == 0)
            q = put_int(q, c.nanosecond / 1000, 6);
        else
            q = put_int(q, c.nanosecond, 9);
    }
    *q++ = 'Z';
    size_t n = (size_t)(q - tmp);
    if (n + 1 > size)
        return 0;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

size_t tr_time_format_short(tr_time t, char *buf, size_t size)
{
    return t % TR_NS_PER_DAY == 0 ? tr_time_format_date(t, buf, size)
                                   : tr_time_format(t, buf, size);
}

struct timespec tr_deadline_ms(uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

tr_time tr_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (tr_time)ts.tv_sec * TR_NS_PER_SEC + ts.tv_nsec;
}
