/* gaps.c: missing-session detection (see gaps.h). */
#include "data/gaps.h"

#include <stdlib.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t tr_gaps_interval(const tr_bars *s)
{
    if (s->n < 2)
        return 0;
    /* The mode of the first (up to) 10,000 spacings: enough to be robust
     * against holidays and missing bars, and cheap for huge files. */
    size_t m = s->n - 1 < 10000 ? s->n - 1 : 10000;
    int64_t *d = malloc(m * sizeof *d);
    if (!d)
        return s->v[1].time - s->v[0].time;
    for (size_t i = 0; i < m; i++)
        d[i] = s->v[i + 1].time - s->v[i].time;
    qsort(d, m, sizeof *d, cmp_i64);
    int64_t best = d[0];
    size_t best_run = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && d[j] == d[i])
            j++;
        if (j - i > best_run)
            best_run = j - i, best = d[i];
        i = j;
    }
    free(d);
    return best;
}

/* Weekdays strictly between days a < b (days since 1970-01-01). */
static int64_t weekdays_between(int64_t a, int64_t b)
{
    int64_t n = 0;
    /* Whole weeks in one step, the rest day by day. */
    int64_t span = b - a - 1;
    n += span / 7 * 5;
    for (int64_t d = a + 1 + span / 7 * 7; d < b; d++) {
        int64_t wd = ((d + 3) % 7 + 7) % 7; /* 0 = Monday */
        if (wd < 5)
            n++;
    }
    return n;
}

size_t tr_gaps_scan(const tr_bars *s, int64_t tolerance, tr_gap_fn fn,
                    void *ctx)
{
    int64_t interval = tr_gaps_interval(s);
    size_t found = 0;
    if (interval <= 0)
        return 0;
    /* Daily bars skip weekends; weekly or monthly bars are counted in
     * their own interval (a month is 28..31 days, hence the rounding). */
    int daily = interval >= TR_NS_PER_DAY && interval < 4 * TR_NS_PER_DAY;
    int slow = interval >= 4 * TR_NS_PER_DAY;
    for (size_t i = 1; i < s->n; i++) {
        tr_time a = s->v[i - 1].time, b = s->v[i].time;
        int64_t missing;
        if (daily) {
            missing = weekdays_between(tr_time_day(a), tr_time_day(b));
        } else if (slow) {
            missing = (b - a + interval / 2) / interval - 1;
        } else {
            if (tr_time_day(a) != tr_time_day(b))
                continue;
            missing = (b - a) / interval - 1;
        }
        if (missing > tolerance) {
            found++;
            if (fn)
                fn(ctx, i, missing);
        }
    }
    return found;
}
