/* test_gen.c: the synthetic generator is deterministic and its bars are
 * valid market data (consistent OHLC, cent grid, sessions, positive volume),
 * and they survive a CSV write/read round trip unchanged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/err.h"
#include "data/csv.h"
#include "data/gaps.h"
#include "data/gen.h"
#include "test.h"

static tr_gen_opts opts(uint64_t seed, size_t bars, tr_gen_interval iv)
{
    tr_gen_opts o = {.seed = seed, .bars = bars, .interval = iv};
    tr_time_parse("2015-01-01", 10, &o.start); /* a Thursday */
    return o;
}

static int same(const tr_bars *a, const tr_bars *b)
{
    if (a->n != b->n)
        return 0;
    return memcmp(a->v, b->v, a->n * sizeof a->v[0]) == 0;
}

static void test_deterministic(void)
{
    tr_gen_opts o = opts(42, 3000, TR_GEN_1D);
    tr_bars a, b, c, d;
    tr_bars_init(&a), tr_bars_init(&b), tr_bars_init(&c), tr_bars_init(&d);
    CHECK(tr_gen_series(&o, 0, &a) == TR_OK);
    CHECK(tr_gen_series(&o, 0, &b) == TR_OK);
    CHECK(tr_gen_series(&o, 1, &c) == TR_OK);
    o.seed = 43;
    CHECK(tr_gen_series(&o, 0, &d) == TR_OK);
    CHECK_EQ_I64(a.n, 3000);
    CHECK_MSG(same(&a, &b), "same seed and index give the same bars");
    CHECK_MSG(!same(&a, &c), "another symbol index gives other bars");
    CHECK_MSG(!same(&a, &d), "another seed gives other bars");
    tr_bars_free(&a), tr_bars_free(&b), tr_bars_free(&c), tr_bars_free(&d);
}

static void check_bars(const tr_bars *s, tr_gen_interval iv)
{
    const tr_fx cent = TR_FX_SCALE / 100;
    int bad_ohlc = 0, bad_grid = 0, bad_vol = 0, bad_time = 0, bad_day = 0;
    for (size_t i = 0; i < s->n; i++) {
        const tr_bar *b = &s->v[i];
        tr_fx top = b->open > b->close ? b->open : b->close;
        tr_fx bot = b->open < b->close ? b->open : b->close;
        bad_ohlc += !(b->low > 0 && b->low <= bot && b->high >= top);
        bad_grid += b->open % cent || b->high % cent || b->low % cent ||
                    b->close % cent;
        bad_vol += b->volume <= 0 || b->volume % TR_FX_SCALE;
        bad_time += i > 0 && b->time <= s->v[i - 1].time;
        tr_civil c;
        tr_time_to_civil(b->time, &c);
        bad_day += c.weekday > 5;
        if (iv == TR_GEN_1M) {
            int minute = c.hour * 60 + c.minute;
            bad_day += minute < 14 * 60 + 30 || minute >= 21 * 60;
        } else {
            bad_day += b->time % TR_NS_PER_DAY != 0;
        }
    }
    CHECK_EQ_I64(bad_ohlc, 0);
    CHECK_EQ_I64(bad_grid, 0);
    CHECK_EQ_I64(bad_vol, 0);
    CHECK_EQ_I64(bad_time, 0);
    CHECK_EQ_I64(bad_day, 0);
    CHECK_EQ_I64(tr_gaps_scan(s, 0, NULL, NULL), 0);
}

static void test_valid_daily(void)
{
    tr_gen_opts o = opts(7, 5000, TR_GEN_1D);
    tr_bars s;
    tr_bars_init(&s);
    CHECK(tr_gen_series(&o, 3, &s) == TR_OK);
    check_bars(&s, TR_GEN_1D);
    CHECK_EQ_I64(tr_gaps_interval(&s), TR_NS_PER_DAY);
    /* Daily log returns look like a market: volatility between 5% and 150%
     * a year, and fat tails from jumps and regimes (kurtosis above 3). */
    double m = 0, m2 = 0, m4 = 0;
    size_t n = s.n - 1;
    for (size_t i = 1; i < s.n; i++)
        m += log((double)s.v[i].close / (double)s.v[i - 1].close);
    m /= (double)n;
    for (size_t i = 1; i < s.n; i++) {
        double r = log((double)s.v[i].close / (double)s.v[i - 1].close) - m;
        m2 += r * r;
        m4 += r * r * r * r;
    }
    m2 /= (double)n;
    m4 /= (double)n;
    double annual_vol = sqrt(m2 * 252);
    CHECK_MSG(annual_vol > 0.05 && annual_vol < 1.5, "annual vol %g", annual_vol);
    CHECK_MSG(m4 / (m2 * m2) > 3.0, "kurtosis %g", m4 / (m2 * m2));
    tr_bars_free(&s);
}

static void test_valid_minute(void)
{
    tr_gen_opts o = opts(9, 390 * 5 + 17, TR_GEN_1M);
    tr_bars s;
    tr_bars_init(&s);
    CHECK(tr_gen_series(&o, 0, &s) == TR_OK);
    check_bars(&s, TR_GEN_1M);
    CHECK_EQ_I64(tr_gaps_interval(&s), TR_NS_PER_MIN);
    /* 2015-01-01 is a Thursday: sessions Thu, Fri, Mon, Tue, Wed, Thu. */
    char t[TR_TIME_STRLEN];
    tr_time_format(s.v[0].time, t, sizeof t);
    CHECK_STR(t, "2015-01-01T14:30:00Z");
    tr_time_format(s.v[389].time, t, sizeof t);
    CHECK_STR(t, "2015-01-01T20:59:00Z");
    tr_time_format(s.v[390 * 2].time, t, sizeof t);
    CHECK_STR(t, "2015-01-05T14:30:00Z");
    tr_bars_free(&s);
}

static void test_csv_round_trip(void)
{
    tr_gen_opts o = opts(11, 800, TR_GEN_1M);
    tr_bars s, back;
    tr_bars_init(&s), tr_bars_init(&back);
    CHECK(tr_gen_series(&o, 2, &s) == TR_OK);
    char path[256];
    snprintf(path, sizeof path, "/tmp/test_gen_%d.csv", (int)getpid());
    CHECK(tr_csv_write_file(path, &s) == TR_OK);
    size_t bad = 99;
    CHECK(tr_csv_read_file(path, NULL, &back, &bad) == TR_OK);
    CHECK_EQ_I64(bad, 0);
    CHECK_MSG(same(&s, &back), "bars read back equal the bars written");
    remove(path);
    tr_bars_free(&s), tr_bars_free(&back);

    char name[16];
    tr_gen_symbol(0, name, sizeof name);
    CHECK_STR(name, "SYNA");
    tr_gen_symbol(25, name, sizeof name);
    CHECK_STR(name, "SYNZ");
    tr_gen_symbol(26, name, sizeof name);
    CHECK_STR(name, "SYN0026");
}

int main(void)
{
    test_deterministic();
    test_valid_daily();
    test_valid_minute();
    test_csv_round_trip();
    return test_summary();
}
