/* time.h: timestamps as int64 nanoseconds since 1970-01-01T00:00:00Z (UTC).
 *
 * The range is about 1677-09-21 to 2262-04-11; dates before 1970 are negative
 * and work everywhere (proleptic Gregorian calendar, floor division).
 * Pure functions, any thread. The engine never reads the wall clock. */
#ifndef TR_TIME_H
#define TR_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t tr_time;

#define TR_NS_PER_US  INT64_C(1000)
#define TR_NS_PER_MS  INT64_C(1000000)
#define TR_NS_PER_SEC INT64_C(1000000000)
#define TR_NS_PER_MIN (60 * TR_NS_PER_SEC)
#define TR_NS_PER_DAY (86400 * TR_NS_PER_SEC)
#define TR_TIME_STRLEN 40 /* enough for any tr_time_format output plus NUL */

typedef struct tr_civil {
    int year, month, day;      /* month 1..12, day 1..31 */
    int hour, minute, second;  /* 0..23, 0..59, 0..59 */
    int32_t nanosecond;        /* 0..999999999 */
    int weekday;               /* ISO: 1 = Monday .. 7 = Sunday */
} tr_civil;

/* Parse s[0..len) into *out. Accepted forms:
 *   2024-01-02                       (midnight UTC)
 *   20240102                         (basic date, when it is a valid date)
 *   2024-01-02T09:30, 2024-01-02 09:30:00, 2024-01-02T09:30:00.123456789
 *   any of these datetimes followed by Z, +hh:mm, -hh:mm, +hhmm or +hh
 *   (a datetime without an offset is UTC)
 *   epoch numbers, optionally negative or with a fraction, by magnitude:
 *   |n| < 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds, else
 *   nanoseconds.
 * TR_ERR_INVALID for anything else (including 2023-02-29 and 24:00:00),
 * TR_ERR_RANGE outside the representable range. */
int tr_time_parse(const char *s, size_t len, tr_time *out);

/* The time of a civil UTC date and time; fields are range-checked like
 * tr_time_parse (TR_ERR_INVALID, TR_ERR_RANGE). c->weekday is ignored. */
int tr_time_from_civil(const tr_civil *c, tr_time *out);

/* Split t into its civil UTC fields (weekday included). */
void tr_time_to_civil(tr_time t, tr_civil *out);

/* Days since 1970-01-01 (floor, so negative before 1970). */
int64_t tr_time_day(tr_time t);

/* "2024-01-02T09:30:00Z", with ".123", ".123456" or ".123456789" when the
 * fraction is not zero. Returns the length, 0 when size is too small. */
size_t tr_time_format(tr_time t, char *buf, size_t size);

/* "2024-01-02". Returns the length, 0 when size is too small. */
size_t tr_time_format_date(tr_time t, char *buf, size_t size);

/* The date alone at midnight UTC (daily bars read as in their files), else
 * the full tr_time_format form. Returns the length, 0 when too small. */
size_t tr_time_format_short(tr_time t, char *buf, size_t size);

/* ---- the wall clock (the one function here that is not pure) ------------
 * Now, UTC, from CLOCK_REALTIME. For what describes the process: logs,
 * the API, metrics, key stores, session and stop records. Never for an
 * engine decision: the engine's time is its bars' time. */
tr_time tr_time_now(void);

/* A deadline ms milliseconds from now on CLOCK_MONOTONIC, for
 * pthread_cond_timedwait on a condition variable set to that clock
 * (pthread_condattr_setclock): waits that a change of the wall clock
 * neither stretches nor cuts short. */
struct timespec tr_deadline_ms(uint64_t ms);

#endif
