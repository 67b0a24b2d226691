/* test_gaps.c: missing-session detection on daily, weekly and intraday
 * series, with hand-counted gaps. */
#include <string.h>

#include "core/err.h"
#include "data/gaps.h"
#include "test.h"

static void add(tr_bars *s, const char *when)
{
    tr_bar b = {0};
    CHECK(tr_time_parse(when, strlen(when), &b.time) == TR_OK);
    b.open = b.high = b.low = b.close = TR_FX_ONE;
    tr_bars_push(s, &b, 0);
}

typedef struct seen {
    size_t index[8];
    int64_t missing[8];
    int n;
} seen;

static void on_gap(void *ctx, size_t index, int64_t missing)
{
    seen *g = ctx;
    if (g->n < 8) {
        g->index[g->n] = index;
        g->missing[g->n] = missing;
    }
    g->n++;
}

static void test_daily(void)
{
    tr_bars s;
    tr_bars_init(&s);
    /* Mon 2024-01-08 .. Fri 01-12, then Mon 01-15 (a weekend is no gap),
     * Tue 01-16, Wed 01-17, Fri 01-19 (Thu 01-18 missing: one, like a
     * holiday), Mon 01-22, then Mon 02-05 (Tue 01-23 .. Fri 02-02: nine
     * weekdays missing), Tue 02-06. */
    const char *days[] = {"2024-01-08", "2024-01-09", "2024-01-10",
                          "2024-01-11", "2024-01-12", "2024-01-15",
                          "2024-01-16", "2024-01-17", "2024-01-19",
                          "2024-01-22", "2024-02-05", "2024-02-06"};
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
        add(&s, days[i]);
    CHECK_EQ_I64(tr_gaps_interval(&s), TR_NS_PER_DAY);

    seen g = {0};
    CHECK_EQ_I64(tr_gaps_scan(&s, 0, on_gap, &g), 2);
    CHECK_EQ_I64(g.index[0], 8);
    CHECK_EQ_I64(g.missing[0], 1);
    CHECK_EQ_I64(g.index[1], 10);
    CHECK_EQ_I64(g.missing[1], 9);

    seen h = {0};
    CHECK_EQ_I64(tr_gaps_scan(&s, 1, on_gap, &h), 1); /* holidays tolerated */
    CHECK_EQ_I64(h.index[0], 10);
    CHECK_EQ_I64(tr_gaps_scan(&s, 9, NULL, NULL), 0);
    tr_bars_free(&s);
}

static void test_before_1970(void)
{
    tr_bars s;
    tr_bars_init(&s);
    /* 1969-12-29 was a Monday; Wed 12-31 and Thu 1970-01-01 missing. */
    add(&s, "1969-12-26"), add(&s, "1969-12-29"), add(&s, "1969-12-30");
    add(&s, "1970-01-02"), add(&s, "1970-01-05");
    seen g = {0};
    CHECK_EQ_I64(tr_gaps_scan(&s, 1, on_gap, &g), 1);
    CHECK_EQ_I64(g.index[0], 3);
    CHECK_EQ_I64(g.missing[0], 2);
    tr_bars_free(&s);
}

static void test_weekly(void)
{
    tr_bars s;
    tr_bars_init(&s);
    add(&s, "2024-01-05"), add(&s, "2024-01-12"), add(&s, "2024-01-19");
    add(&s, "2024-02-09"), add(&s, "2024-02-16");
    seen g = {0};
    CHECK_EQ_I64(tr_gaps_scan(&s, 0, on_gap, &g), 1);
    CHECK_EQ_I64(g.index[0], 3);
    CHECK_EQ_I64(g.missing[0], 2);
    tr_bars_free(&s);
}

static void test_intraday(void)
{
    tr_bars s;
    tr_bars_init(&s);
    add(&s, "2024-01-02T20:57:00Z"), add(&s, "2024-01-02T20:58:00Z");
    add(&s, "2024-01-02T20:59:00Z");
    add(&s, "2024-01-03T14:30:00Z"); /* overnight: a new session, no gap */
    add(&s, "2024-01-03T14:31:00Z");
    add(&s, "2024-01-03T14:35:00Z"); /* 14:32, 14:33, 14:34 missing */
    add(&s, "2024-01-03T14:36:00Z");
    seen g = {0};
    CHECK_EQ_I64(tr_gaps_scan(&s, 0, on_gap, &g), 1);
    CHECK_EQ_I64(g.index[0], 5);
    CHECK_EQ_I64(g.missing[0], 3);
    CHECK_EQ_I64(tr_gaps_scan(&s, 3, NULL, NULL), 0);
    tr_bars_free(&s);
}

static void test_tiny(void)
{
    tr_bars s;
    tr_bars_init(&s);
    CHECK_EQ_I64(tr_gaps_interval(&s), 0);
    CHECK_EQ_I64(tr_gaps_scan(&s, 0, NULL, NULL), 0);
    add(&s, "2024-01-02");
    CHECK_EQ_I64(tr_gaps_scan(&s, 0, NULL, NULL), 0);
    tr_bars_free(&s);
}

int main(void)
{
    test_daily();
    test_before_1970();
    test_weekly();
    test_intraday();
    test_tiny();
    return test_summary();
}
