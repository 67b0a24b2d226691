/* test_time.c: tr_time parsing, civil conversion, day numbers and formatting,
 * checked against hand-computed epochs and a naive day-by-day calendar. */
#include <stdlib.h>

#include "core/err.h"
#include "core/time.h"
#include "test.h"

#define S(x)     ((int64_t)(x) * TR_NS_PER_SEC)
#define SENTINEL INT64_C(777)

typedef struct parse_case {
    const char *text;
    int rc;
    tr_time t; /* when rc == TR_OK */
} parse_case;

/* 2024-01-02T00:00:00Z = 1704153600 s; 09:30Z = 1704187800 s. */
static const parse_case parse_cases[] = {
    /* dates */
    {"1970-01-01", TR_OK, 0},
    {"2024-01-02", TR_OK, S(1704153600)},
    {"20240102", TR_OK, S(1704153600)},
    {"19700101", TR_OK, 0},
    {"2000-01-01", TR_OK, S(946684800)},
    {"2023-12-31", TR_OK, S(1703980800)},
    /* datetimes, 'T' and space, with and without seconds */
    {"2024-01-02T09:30", TR_OK, S(1704187800)},
    {"2024-01-02 09:30", TR_OK, S(1704187800)},
    {"2024-01-02T09:30:00", TR_OK, S(1704187800)},
    {"2024-01-02 09:30:00", TR_OK, S(1704187800)},
    {"2024-01-02T09:30:45", TR_OK, S(1704187845)},
    {"2024-01-02T23:59:59", TR_OK, S(1704239999)},
    /* offsets */
    {"2024-01-02T09:30:00Z", TR_OK, S(1704187800)},
    {"2024-01-02T09:30Z", TR_OK, S(1704187800)},
    {"2024-01-02 09:30:00Z", TR_OK, S(1704187800)},
    {"2024-01-02T09:30:00+00:00", TR_OK, S(1704187800)},
    {"2024-01-02T09:30:00-05:00", TR_OK, S(1704205800)}, /* 14:30Z */
    {"2024-01-02T09:30:00-0500", TR_OK, S(1704205800)},
    {"2024-01-02T09:30:00-05", TR_OK, S(1704205800)},
    {"2024-01-02T14:30:00Z", TR_OK, S(1704205800)},
    {"2024-01-02T09:30-05:00", TR_OK, S(1704205800)},
    {"2024-01-02T09:30:00+05:30", TR_OK, S(1704168000)}, /* 04:00Z */
    {"2024-01-02T09:30:00+0530", TR_OK, S(1704168000)},
    {"2024-01-02T09:30:00+05", TR_OK, S(1704169800)},    /* 04:30Z */
    {"2024-01-02T00:30:00+01:00", TR_OK, S(1704151800)}, /* 01-01 23:30Z */
    {"2024-01-01T23:30:00-01:00", TR_OK, S(1704155400)}, /* 01-02 00:30Z */
    /* fractions of 1..9 digits */
    {"2024-01-02T09:30:00.1", TR_OK, S(1704187800) + 100000000},
    {"2024-01-02T09:30:00.12", TR_OK, S(1704187800) + 120000000},
    {"2024-01-02T09:30:00.123", TR_OK, S(1704187800) + 123000000},
    {"2024-01-02T09:30:00.1234", TR_OK, S(1704187800) + 123400000},
    {"2024-01-02T09:30:00.12345", TR_OK, S(1704187800) + 123450000},
    {"2024-01-02T09:30:00.123456", TR_OK, S(1704187800) + 123456000},
    {"2024-01-02T09:30:00.1234567", TR_OK, S(1704187800) + 123456700},
    {"2024-01-02T09:30:00.12345678", TR_OK, S(1704187800) + 123456780},
    {"2024-01-02T09:30:00.123456789", TR_OK, S(1704187800) + 123456789},
    {"2024-01-02T09:30:00.000000001", TR_OK, S(1704187800) + 1},
    {"2024-01-02 09:30:00.5Z", TR_OK, S(1704187800) + 500000000},
    {"2024-01-02T09:30:00.123456789-05:00", TR_OK,
     S(1704205800) + 123456789},
    /* before 1970 */
    {"1969-12-31", TR_OK, -S(86400)},
    {"1969-12-31T23:59:59.999999999Z", TR_OK, -1},
    {"1969-12-31T23:59:59", TR_OK, -S(1)},
    {"1900-01-01", TR_OK, -S(2208988800)},
    {"1776-07-04", TR_OK, -S(6106060800)},
    /* leap years */
    {"2000-02-29", TR_OK, S(951782400)},
    {"2024-02-29", TR_OK, S(1709164800)},
    {"1900-02-29", TR_ERR_INVALID, 0},
    {"2100-02-29", TR_ERR_INVALID, 0},
    {"2023-02-29", TR_ERR_INVALID, 0},
    {"2024-02-30", TR_ERR_INVALID, 0},
    /* range limits: about 1677-09-21T00:12:43.145224192 to
     * 2262-04-11T23:47:16.854775807 */
    {"1677-09-22", TR_OK, -S(9223286400)},
    {"2262-04-11", TR_OK, S(9223286400)},
    {"2262-04-11T23:47:16.854775807Z", TR_OK, INT64_MAX},
    {"2262-04-11T23:47:16.854775808Z", TR_ERR_RANGE, 0},
    {"2262-04-11T23:47:16.854775807-01:00", TR_ERR_RANGE, 0},
    {"2262-04-12", TR_ERR_RANGE, 0},
    {"1677-09-21T00:12:43.145224193Z", TR_OK, INT64_MIN + 1},
    {"1677-09-21T00:12:43.145224191Z", TR_ERR_RANGE, 0},
    {"1677-09-21", TR_ERR_RANGE, 0},
    {"2300-01-01", TR_ERR_RANGE, 0},
    {"2300-01-01T00:00:00Z", TR_ERR_RANGE, 0},
    {"1000-01-01", TR_ERR_RANGE, 0},
    {"9999-12-31", TR_ERR_RANGE, 0},
    /* invalid fields */
    {"2024-13-01", TR_ERR_INVALID, 0},
    {"2024-00-10", TR_ERR_INVALID, 0},
    {"2024-01-00", TR_ERR_INVALID, 0},
    {"2024-01-32", TR_ERR_INVALID, 0},
    {"2024-04-31", TR_ERR_INVALID, 0},
    {"2024-06-31", TR_ERR_INVALID, 0},
    {"2024-01-02T24:00:00", TR_ERR_INVALID, 0},
    {"2024-01-02T24:00", TR_ERR_INVALID, 0},
    {"2024-01-02T23:60", TR_ERR_INVALID, 0},
    {"2024-01-02T23:59:60", TR_ERR_INVALID, 0},
    {"2024-01-02T25:00:00Z", TR_ERR_INVALID, 0},
    /* malformed */
    {"", TR_ERR_INVALID, 0},
    {"-", TR_ERR_INVALID, 0},
    {".", TR_ERR_INVALID, 0},
    {"abc", TR_ERR_INVALID, 0},
    {"2024-1-2", TR_ERR_INVALID, 0},
    {"2024/01/02", TR_ERR_INVALID, 0},
    {"2024-01-02T", TR_ERR_INVALID, 0},
    {"2024-01-02T09", TR_ERR_INVALID, 0},
    {"2024-01-02T9:30", TR_ERR_INVALID, 0},
    {"2024-01-02T09:30:00.", TR_ERR_INVALID, 0},
    {"2024-01-02T09:30:00+5", TR_ERR_INVALID, 0},
    {"2024-01-02T09:30:00+05:", TR_ERR_INVALID, 0},
    {"2024-01-02T09:30:00ZZ", TR_ERR_INVALID, 0},
    {"2024-01-02x", TR_ERR_INVALID, 0},
    {" 2024-01-02", TR_ERR_INVALID, 0},
    {"2024-01-02 ", TR_ERR_INVALID, 0},
    {"12abc", TR_ERR_INVALID, 0},
    {"1.2.3", TR_ERR_INVALID, 0},
    {"--5", TR_ERR_INVALID, 0},
    /* epoch numbers by magnitude */
    {"0", TR_OK, 0},
    {"12", TR_OK, S(12)},
    {"2024", TR_OK, S(2024)}, /* a number, not a year */
    {"1704187800", TR_OK, S(1704187800)},
    {"1704187800123", TR_OK, INT64_C(1704187800123000000)},
    {"1704187800123456", TR_OK, INT64_C(1704187800123456000)},
    {"1704187800123456789", TR_OK, INT64_C(1704187800123456789)},
    {"-86400", TR_OK, -S(86400)},
    {"-1", TR_OK, -S(1)},
    {"1704187800.5", TR_OK, S(1704187800) + 500000000},
    {"-1.5", TR_OK, -1500000000},
    {"1.000000001", TR_OK, 1000000001},
    {"0.1", TR_OK, 100000000},
    {"1704187800123.5", TR_OK, INT64_C(1704187800123500000)},
    {"1704187800123456.5", TR_OK, INT64_C(1704187800123456500)},
    {"9223372036", TR_OK, INT64_C(9223372036000000000)},
    {"-9223372036", TR_OK, -INT64_C(9223372036000000000)},
    {"9223372036.854775807", TR_OK, INT64_MAX},
    {"9223372036.854775808", TR_ERR_RANGE, 0},
    {"9223372037", TR_ERR_RANGE, 0},
    {"-9223372037", TR_ERR_RANGE, 0},
    {"99999999999", TR_ERR_RANGE, 0},     /* < 1e11: seconds */
    {"100000000000", TR_OK, INT64_C(100000000000000000)},    /* 1e11 ms */
    {"-100000000000", TR_OK, -INT64_C(100000000000000000)},
    {"99999999999999", TR_ERR_RANGE, 0},  /* < 1e14: milliseconds */
    {"100000000000000", TR_OK, INT64_C(100000000000000000)}, /* 1e14 us */
    {"9223372036854775", TR_OK, INT64_C(9223372036854775000)},  /* us */
    {"9223372036854776", TR_ERR_RANGE, 0},
    {"99999999999999999", TR_ERR_RANGE, 0}, /* < 1e17: microseconds */
    {"100000000000000000", TR_OK, INT64_C(100000000000000000)}, /* ns */
    {"9223372036854775807", TR_OK, INT64_MAX},
    {"-9223372036854775807", TR_OK, -INT64_MAX},
    {"9223372036854775808", TR_ERR_RANGE, 0},
    {"99999999999999999999999", TR_ERR_RANGE, 0},
};

static void test_parse_table(void)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const parse_case *c = &parse_cases[i];
        size_t len = strlen(c->text);
        char *buf = malloc(len ? len : 1); /* no NUL: ASan sees overreads */
        if (!CHECK(buf != NULL))
            return;
        memcpy(buf, c->text, len);
        tr_time t = SENTINEL;
        int rc = tr_time_parse(buf, len, &t);
        CHECK_MSG(rc == c->rc, "parse \"%s\": rc %d (%s), expected %d (%s)",
                  c->text, rc, tr_strerror(rc), c->rc, tr_strerror(c->rc));
        if (rc == TR_OK && c->rc == TR_OK)
            CHECK_MSG(t == c->t,
                      "parse \"%s\": got %" PRId64 ", expected %" PRId64,
                      c->text, t, c->t);
        free(buf);
    }
}

/* "20240102 (basic date, when it is a valid date)": an 8-digit number that
 * is not a valid date is an epoch number (seconds, by magnitude). */
static void test_parse_basic_not_date(void)
{
    tr_time t = SENTINEL;
    CHECK_EQ_I64(tr_time_parse("20230229", 8, &t), TR_OK);
    CHECK_EQ_I64(t, S(20230229));
    t = SENTINEL;
    CHECK_EQ_I64(tr_time_parse("20241301", 8, &t), TR_OK);
    CHECK_EQ_I64(t, S(20241301));
}

static void test_parse_len(void)
{
    tr_time t = SENTINEL;
    /* only s[0..len) is text */
    CHECK_EQ_I64(tr_time_parse("2024-01-02T09:30:00Z", 10, &t), TR_OK);
    CHECK_EQ_I64(t, S(1704153600));
    CHECK_EQ_I64(tr_time_parse("2024-01-02,10.5", 10, &t), TR_OK);
    CHECK_EQ_I64(t, S(1704153600));
    CHECK_EQ_I64(tr_time_parse("12345", 2, &t), TR_OK);
    CHECK_EQ_I64(t, S(12));
    CHECK_EQ_I64(tr_time_parse("2024-01-02", 0, &t), TR_ERR_INVALID);
}

/* ---- civil ------------------------------------------------------------- */

static int civil_is(const tr_civil *c, int y, int mo, int d, int h, int mi,
                    int s, int32_t ns, int wd)
{
    return c->year == y && c->month == mo && c->day == d && c->hour == h &&
           c->minute == mi && c->second == s && c->nanosecond == ns &&
           c->weekday == wd;
}

#define CHECK_CIVIL(t, ...)                                                    \
    do {                                                                       \
        tr_civil c_;                                                           \
        memset(&c_, 0x55, sizeof c_);                                          \
        tr_time_to_civil((t), &c_);                                            \
        CHECK_MSG(civil_is(&c_, __VA_ARGS__),                                  \
                  "to_civil(%s) = %04d-%02d-%02d %02d:%02d:%02d.%09d wd %d",   \
                  #t, c_.year, c_.month, c_.day, c_.hour, c_.minute,           \
                  c_.second, (int)c_.nanosecond, c_.weekday);                  \
    } while (0)

static void test_to_civil(void)
{
    CHECK_CIVIL(0, 1970, 1, 1, 0, 0, 0, 0, 4); /* a Thursday */
    CHECK_CIVIL(-1, 1969, 12, 31, 23, 59, 59, 999999999, 3);
    CHECK_CIVIL(S(1704187800) + 123456789, 2024, 1, 2, 9, 30, 0, 123456789,
                2);
    CHECK_CIVIL(S(1703980800), 2023, 12, 31, 0, 0, 0, 0, 7);
    CHECK_CIVIL(S(946684800), 2000, 1, 1, 0, 0, 0, 0, 6);
    CHECK_CIVIL(S(951782400), 2000, 2, 29, 0, 0, 0, 0, 2);
    CHECK_CIVIL(-S(2208988800), 1900, 1, 1, 0, 0, 0, 0, 1);
    CHECK_CIVIL(-S(6106060800), 1776, 7, 4, 0, 0, 0, 0, 4);
    CHECK_CIVIL(INT64_MAX, 2262, 4, 11, 23, 47, 16, 854775807, 5);
    CHECK_CIVIL(INT64_MIN, 1677, 9, 21, 0, 12, 43, 145224192, 2);
}

static void test_from_civil(void)
{
    static const struct {
        tr_civil c;
        int rc;
        tr_time t;
    } cases[] = {
        {{1970, 1, 1, 0, 0, 0, 0, 0}, TR_OK, 0},
        {{2024, 1, 2, 9, 30, 0, 123456789, 99}, TR_OK,
         S(1704187800) + 123456789}, /* weekday ignored */
        {{1969, 12, 31, 23, 59, 59, 999999999, 0}, TR_OK, -1},
        {{1776, 7, 4, 0, 0, 0, 0, 0}, TR_OK, -S(6106060800)},
        {{2000, 2, 29, 0, 0, 0, 0, 0}, TR_OK, S(951782400)},
        {{2262, 4, 11, 23, 47, 16, 854775807, 0}, TR_OK, INT64_MAX},
        {{2262, 4, 11, 23, 47, 16, 854775808, 0}, TR_ERR_RANGE, 0},
        {{2300, 1, 1, 0, 0, 0, 0, 0}, TR_ERR_RANGE, 0},
        {{1600, 1, 1, 0, 0, 0, 0, 0}, TR_ERR_RANGE, 0},
        {{2023, 2, 29, 0, 0, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{1900, 2, 29, 0, 0, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 0, 1, 0, 0, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 13, 1, 0, 0, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 1, 0, 0, 0, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 1, 32, 0, 0, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 4, 31, 0, 0, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 1, 2, 24, 0, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 1, 2, -1, 0, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 1, 2, 0, 60, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 1, 2, 0, -1, 0, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 1, 2, 0, 0, 60, 0, 0}, TR_ERR_INVALID, 0},
        {{2024, 1, 2, 0, 0, 0, 1000000000, 0}, TR_ERR_INVALID, 0},
        {{2024, 1, 2, 0, 0, 0, -1, 0}, TR_ERR_INVALID, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tr_civil *c = &cases[i].c;
        tr_time t = SENTINEL;
        int rc = tr_time_from_civil(c, &t);
        CHECK_MSG(rc == cases[i].rc,
                  "from_civil(%04d-%02d-%02d %02d:%02d:%02d.%09d): rc %d, "
                  "expected %d",
                  c->year, c->month, c->day, c->hour, c->minute, c->second,
                  (int)c->nanosecond, rc, cases[i].rc);
        if (rc == TR_OK && cases[i].rc == TR_OK)
            CHECK_MSG(t == cases[i].t,
                      "from_civil(case %zu): got %" PRId64 ", expected %" PRId64,
                      i, t, cases[i].t);
    }
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

static uint64_t rng_state = UINT64_C(0x2545F4914F6CDD1D);

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

/* Walk every day of the range with a naive calendar (one day at a time, from
 * 1970-01-01, a Thursday, in both directions) and compare to_civil,
 * from_civil, tr_time_day and the date parser. */
static void test_every_day(void)
{
    int bad = 0;
    for (int dir = 1; dir >= -1; dir -= 2) {
        int y = 1970, m = 1, d = 1, wd = 4;
        int64_t day = 0;
        for (;;) {
            if (dir > 0 ? day > 106750 : day < -106751)
                break;
            int64_t tod = (int64_t)(rng() % (uint64_t)TR_NS_PER_DAY);
            tr_time t = day * TR_NS_PER_DAY + tod;
            tr_civil c;
            tr_time_to_civil(t, &c);
            int64_t sec = tod / TR_NS_PER_SEC;
            int ok = civil_is(&c, y, m, d, (int)(sec / 3600),
                              (int)(sec / 60 % 60), (int)(sec % 60),
                              (int32_t)(tod % TR_NS_PER_SEC), wd);
            tr_time back = SENTINEL;
            ok = ok && tr_time_from_civil(&c, &back) == TR_OK && back == t;
            ok = ok && tr_time_day(t) == day;
            if (day % 97 == 0) { /* the parser, on a sample of days */
                char txt[48];
                snprintf(txt, sizeof txt, "%04d-%02d-%02d", y, m, d);
                tr_time p = SENTINEL;
                ok = ok && tr_time_parse(txt, 10, &p) == TR_OK &&
                     p == day * TR_NS_PER_DAY;
            }
            if (!CHECK_MSG(ok,
                           "day %" PRId64 " (%04d-%02d-%02d wd %d): to_civil "
                           "%04d-%02d-%02d wd %d, back %" PRId64 ", day %" PRId64,
                           day, y, m, d, wd, c.year, c.month, c.day, c.weekday,
                           back, tr_time_day(t)) &&
                ++bad >= 5)
                return;
            /* step the naive calendar */
            day += dir;
            wd = (wd - 1 + dir + 7) % 7 + 1;
            if (dir > 0) {
                if (++d > days_in_month(y, m)) {
                    d = 1;
                    if (++m > 12) {
                        m = 1;
                        y++;
                    }
                }
            } else if (--d < 1) {
                if (--m < 1) {
                    m = 12;
                    y--;
                }
                d = days_in_month(y, m);
            }
        }
    }
}

static void test_day(void)
{
    CHECK_EQ_I64(tr_time_day(0), 0);
    CHECK_EQ_I64(tr_time_day(TR_NS_PER_DAY - 1), 0);
    CHECK_EQ_I64(tr_time_day(TR_NS_PER_DAY), 1);
    CHECK_EQ_I64(tr_time_day(-1), -1);
    CHECK_EQ_I64(tr_time_day(-TR_NS_PER_DAY), -1);
    CHECK_EQ_I64(tr_time_day(-TR_NS_PER_DAY - 1), -2);
    CHECK_EQ_I64(tr_time_day(S(1704187800)), 19724);
    CHECK_EQ_I64(tr_time_day(-S(6106060800)), -70672);
    CHECK_EQ_I64(tr_time_day(INT64_MAX), 106751);
    CHECK_EQ_I64(tr_time_day(INT64_MIN), -106752);
}

/* ---- format ------------------------------------------------------------ */

typedef struct format_case {
    tr_time t;
    const char *text, *date;
} format_case;

static const format_case format_cases[] = {
    {0, "1970-01-01T00:00:00Z", "1970-01-01"},
    {-1, "1969-12-31T23:59:59.999999999Z", "1969-12-31"},
    {S(1704187800), "2024-01-02T09:30:00Z", "2024-01-02"},
    {S(1704187800) + 123000000, "2024-01-02T09:30:00.123Z", "2024-01-02"},
    {S(1704187800) + 123456000, "2024-01-02T09:30:00.123456Z", "2024-01-02"},
    {S(1704187800) + 123456789, "2024-01-02T09:30:00.123456789Z",
     "2024-01-02"},
    {S(1704187800) + 100000000, "2024-01-02T09:30:00.100Z", "2024-01-02"},
    {S(1704187800) + 120000000, "2024-01-02T09:30:00.120Z", "2024-01-02"},
    {S(1704187800) + 123400000, "2024-01-02T09:30:00.123400Z", "2024-01-02"},
    {S(1704187800) + 999000000, "2024-01-02T09:30:00.999Z", "2024-01-02"},
    {S(1704187800) + 1000, "2024-01-02T09:30:00.000001Z", "2024-01-02"},
    {S(1704187800) + 100, "2024-01-02T09:30:00.000000100Z", "2024-01-02"},
    {S(1704187800) + 1, "2024-01-02T09:30:00.000000001Z", "2024-01-02"},
    {S(1704239999), "2024-01-02T23:59:59Z", "2024-01-02"},
    {-S(6106060800), "1776-07-04T00:00:00Z", "1776-07-04"},
    {-S(2208988800) + S(3661), "1900-01-01T01:01:01Z", "1900-01-01"},
    {INT64_MAX, "2262-04-11T23:47:16.854775807Z", "2262-04-11"},
    {INT64_MIN, "1677-09-21T00:12:43.145224192Z", "1677-09-21"},
};

static void test_format(void)
{
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0];
         i++) {
        char buf[TR_TIME_STRLEN];
        size_t n = tr_time_format(format_cases[i].t, buf, sizeof buf);
        CHECK_STR(n ? buf : "(len 0)", format_cases[i].text);
        CHECK_EQ_I64(n, strlen(format_cases[i].text));
        n = tr_time_format_date(format_cases[i].t, buf, sizeof buf);
        CHECK_STR(n ? buf : "(len 0)", format_cases[i].date);
        CHECK_EQ_I64(n, 10);
    }
    char buf[TR_TIME_STRLEN];
    CHECK_EQ_I64(tr_time_format(0, buf, 21), 20);
    CHECK_STR(buf, "1970-01-01T00:00:00Z");
    CHECK_EQ_I64(tr_time_format(0, buf, 20), 0);
    CHECK_EQ_I64(tr_time_format(0, buf, 0), 0);
    CHECK_EQ_I64(tr_time_format(-1, buf, 31), 30);
    CHECK_EQ_I64(tr_time_format(-1, buf, 30), 0);
    CHECK_EQ_I64(tr_time_format_date(0, buf, 11), 10);
    CHECK_STR(buf, "1970-01-01");
    CHECK_EQ_I64(tr_time_format_date(0, buf, 10), 0);
    CHECK_EQ_I64(tr_time_format_date(0, buf, 0), 0);
}

/* format_short: the date alone at midnight UTC, else the full form. */
static void test_format_short(void)
{
    static const struct {
        tr_time t;
        const char *text;
    } cases[] = {
        {0, "1970-01-01"},
        {S(1704153600), "2024-01-02"},
        {-TR_NS_PER_DAY, "1969-12-31"},
        {-S(6106060800), "1776-07-04"},
        {S(1704187800), "2024-01-02T09:30:00Z"},
        {S(1704153600) + 1, "2024-01-02T00:00:00.000000001Z"},
        {S(1704153600) + S(1), "2024-01-02T00:00:01Z"},
        {-1, "1969-12-31T23:59:59.999999999Z"},
        {INT64_MAX, "2262-04-11T23:47:16.854775807Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[TR_TIME_STRLEN];
        size_t n = tr_time_format_short(cases[i].t, buf, sizeof buf);
        CHECK_STR(n ? buf : "(len 0)", cases[i].text);
        CHECK_EQ_I64(n, strlen(cases[i].text));
    }
    char buf[TR_TIME_STRLEN];
    CHECK_EQ_I64(tr_time_format_short(0, buf, 11), 10);
    CHECK_EQ_I64(tr_time_format_short(0, buf, 10), 0);
    CHECK_EQ_I64(tr_time_format_short(S(1704187800), buf, 21), 20);
    CHECK_EQ_I64(tr_time_format_short(S(1704187800), buf, 20), 0);
}

/* format then parse gives the time back, over the whole range. */
static void test_format_parse_roundtrip(void)
{
    int bad = 0;
    for (int i = 0; i < 100000 && bad < 5; i++) {
        tr_time t = (tr_time)(rng() >> 1);
        if (rng() & 1)
            t = -t; /* never INT64_MIN */
        switch (rng() % 4) { /* exercise each fraction length */
        case 0: t -= t % TR_NS_PER_SEC; break;
        case 1: t -= t % TR_NS_PER_MS; break;
        case 2: t -= t % TR_NS_PER_US; break;
        default: break;
        }
        char buf[TR_TIME_STRLEN];
        size_t n = tr_time_format(t, buf, sizeof buf);
        tr_time back = SENTINEL;
        int rc = n ? tr_time_parse(buf, n, &back) : -100;
        if (!CHECK_MSG(rc == TR_OK && back == t,
                       "round trip of %" PRId64 ": \"%s\" -> rc %d, %" PRId64,
                       t, n ? buf : "", rc, back))
            bad++;
    }
}

int main(void)
{
    test_parse_table();
    test_parse_basic_not_date();
    test_parse_len();
    test_to_civil();
    test_from_civil();
    test_every_day();
    test_day();
    test_format();
    test_format_short();
    test_format_parse_roundtrip();
    return test_summary();
}
