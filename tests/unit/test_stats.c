/* test_stats.c: performance statistics on small hand-computed equity curves,
 * trade lists and fills (every expected value is worked out in comments). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "port/stats.h"
#include "test.h"

/* 2024-01-01T00:00:00Z */
#define T0 (INT64_C(1704067200) * TR_NS_PER_SEC)
#define DAY(d) (T0 + (int64_t)(d) * TR_NS_PER_DAY)
#define YEAR_DAYS 365.25

static tr_fx fx(const char *s)
{
    tr_fx v = 0;
    CHECK_MSG(tr_fx_parse(s, strlen(s), &v) == TR_OK, "parse %s", s);
    return v;
}

/* Relative tolerance 1e-12; an expected 0 (or infinity) must be exact. */
#define CHECK_NEAR(got, want) check_near_(__FILE__, __LINE__, #got, got, want)

static int check_near_(const char *file, int line, const char *what,
                       double got, double want)
{
    int ok = (want == 0.0 || isinf(want))
                 ? got == want
                 : fabs(got - want) <= 1e-12 * fabs(want);
    return test_check_(ok, file, line, "%s: got %.17g, expected %.17g", what,
                       got, want);
}

static tr_equity_point pt(tr_time t, const char *equity, const char *exposure)
{
    tr_equity_point p = {.time = t, .equity = fx(equity), .cash = 0};
    p.exposure = fx(exposure);
    return p;
}

static tr_trade closed(tr_sym sym, const char *pnl, tr_time entry,
                       tr_time exit, size_t bars)
{
    tr_trade t = {.sym = sym, .side = TR_BUY, .qty = TR_FX_ONE};
    t.entry_time = entry;
    t.exit_time = exit;
    t.pnl = fx(pnl);
    t.bars = bars;
    return t;
}

static tr_trade open_trade(tr_sym sym, const char *pnl, size_t bars)
{
    tr_trade t = {.sym = sym, .side = TR_SELL, .qty = TR_FX_ONE};
    t.entry_time = DAY(9);
    t.pnl = fx(pnl);
    t.bars = bars;
    t.open = 1;
    return t;
}

static tr_fill fill(tr_sym sym, const char *qty, const char *price,
                    const char *commission)
{
    tr_fill f = {.order_id = 1, .sym = sym, .side = TR_BUY};
    f.qty = fx(qty);
    f.price = fx(price);
    f.commission = fx(commission);
    f.time = DAY(1);
    return f;
}

/* Equity 100, 110, 99, 121 on days 0..3. */
static void test_curve(void)
{
    tr_equity_point eq[4] = {
        pt(DAY(0), "100", "0"),
        pt(DAY(1), "110", "50"),
        pt(DAY(2), "99", "-20"), /* short: |mv| is what counts, != 0 */
        pt(DAY(3), "121", "0"),
    };
    tr_stats s;
    CHECK(tr_stats_compute(eq, 4, NULL, 0, NULL, 0, &s) == TR_OK);
    CHECK_EQ_I64(s.start_equity, fx("100"));
    CHECK_EQ_I64(s.end_equity, fx("121"));
    /* total return 121/100 - 1 = 0.21 */
    CHECK_NEAR(s.total_return, 0.21);
    /* years = 3 days / 365.25; ppy = 3 / years = 365.25 */
    double years = 3.0 / YEAR_DAYS;
    CHECK_NEAR(s.periods_per_year, 365.25);
    /* cagr = 1.21^(365.25/3) - 1 (about 1.2e10: three days of +21%) */
    CHECK_NEAR(s.cagr, pow(1.21, 1.0 / years) - 1.0);
    /* r = 10/100 = 0.1, -11/110 = -0.1, 22/99 = 2/9.
     * mean = (0.1 - 0.1 + 2/9) / 3 = 2/27.
     * deviations: 0.1 - 2/27 = 0.7/27, -0.1 - 2/27 = -4.7/27,
     * 2/9 - 2/27 = 4/27; squares (0.49 + 22.09 + 16) / 729 = 38.58 / 729;
     * sample variance 19.29 / 729, sd = sqrt(19.29) / 27.
     * ann vol = sqrt(19.29)/27 * sqrt(365.25);
     * sharpe = (2/27) / (sqrt(19.29)/27) * sqrt(365.25)
     *        = 2 / sqrt(19.29) * sqrt(365.25). */
    CHECK_NEAR(s.ann_volatility, sqrt(19.29) / 27.0 * sqrt(365.25));
    CHECK_NEAR(s.sharpe, 2.0 / sqrt(19.29) * sqrt(365.25));
    /* downside: min(r,0)^2 = 0, 0.01, 0 -> mean 0.01/3, root 0.1/sqrt(3);
     * sortino = (2/27) / (0.1/sqrt(3)) * sqrt(365.25). */
    CHECK_NEAR(s.sortino, (2.0 / 27.0) / (0.1 / sqrt(3.0)) * sqrt(365.25));
    /* deepest fall 110 -> 99 = 11/110 = 10%, recovered at 121 on day 3:
     * two days under water. */
    CHECK_NEAR(s.max_drawdown, 0.1);
    CHECK_EQ_I64(s.max_dd_peak, DAY(1));
    CHECK_EQ_I64(s.max_dd_trough, DAY(2));
    CHECK_NEAR(s.max_dd_duration_days, 2.0);
    CHECK_NEAR(s.calmar, (pow(1.21, 1.0 / years) - 1.0) / 0.1);
    /* exposure != 0 at 2 of 4 points */
    CHECK_NEAR(s.time_in_market, 0.5);
    CHECK_EQ_I64(s.trades, 0);
    CHECK_NEAR(s.profit_factor, 0.0);
    CHECK_EQ_I64(s.fills, 0);
    CHECK_EQ_I64(s.turnover, 0);
    CHECK_NEAR(s.turnover_ratio, 0.0);
}

/* Two drawdowns: the deepest one recovers fast, a shallow one never does
 * and lasts longest. Times: days 0, 1, 2, 3, then 7 and a half. */
static void test_unrecovered(void)
{
    tr_equity_point eq[5] = {
        pt(DAY(0), "100", "1"),
        pt(DAY(1), "80", "1"),
        pt(DAY(2), "100", "1"), /* equal to the peak: recovered */
        pt(DAY(3), "99", "1"),
        pt(DAY(7) + TR_NS_PER_DAY / 2, "99.5", "1"),
    };
    tr_stats s;
    CHECK(tr_stats_compute(eq, 5, NULL, 0, NULL, 0, &s) == TR_OK);
    /* deepest: 100 -> 80 = 20%, peak day 0, trough day 1 */
    CHECK_NEAR(s.max_drawdown, 0.2);
    CHECK_EQ_I64(s.max_dd_peak, DAY(0));
    CHECK_EQ_I64(s.max_dd_trough, DAY(1));
    /* under water day 0 -> 2 (2 days), then from the new peak on day 2
     * to the end at day 7.5 without recovering: 5.5 days. */
    CHECK_NEAR(s.max_dd_duration_days, 5.5);
    /* total 99.5/100 - 1 = -0.005; years = 7.5 / 365.25;
     * ppy = 4 / years = 4 * 365.25 / 7.5 = 194.8 */
    CHECK_NEAR(s.total_return, -0.005);
    CHECK_NEAR(s.periods_per_year, 194.8);
    double cagr = pow(0.995, 365.25 / 7.5) - 1.0;
    CHECK_NEAR(s.cagr, cagr);
    CHECK_NEAR(s.calmar, cagr / 0.2);
    CHECK_NEAR(s.time_in_market, 1.0);
    /* r = -0.2, 0.25, -0.01, 0.5/99 = 1/198.
     * downside: (0.04 + 0.0001) / 4 = 0.010025 */
    double r[4] = {-0.2, 0.25, -0.01, 1.0 / 198.0};
    double mean = (r[0] + r[1] + r[2] + r[3]) / 4.0;
    double ss = 0.0;
    for (int i = 0; i < 4; i++)
        ss += (r[i] - mean) * (r[i] - mean);
    double sd = sqrt(ss / 3.0);
    CHECK_NEAR(s.sharpe, mean / sd * sqrt(194.8));
    CHECK_NEAR(s.sortino, mean / sqrt(0.010025) * sqrt(194.8));
    CHECK_NEAR(s.ann_volatility, sd * sqrt(194.8));

    /* A curve that only falls: peak at the start, duration to the end. */
    tr_equity_point down[3] = {
        pt(DAY(0), "100", "0"),
        pt(DAY(1), "90", "0"),
        pt(DAY(4), "95", "0"),
    };
    CHECK(tr_stats_compute(down, 3, NULL, 0, NULL, 0, &s) == TR_OK);
    CHECK_NEAR(s.max_drawdown, 0.1);
    CHECK_EQ_I64(s.max_dd_peak, DAY(0));
    CHECK_EQ_I64(s.max_dd_trough, DAY(1));
    CHECK_NEAR(s.max_dd_duration_days, 4.0);
    CHECK_NEAR(s.time_in_market, 0.0);
}

/* Flat, constant-growth, one-point and ruined curves. */
static void test_degenerate(void)
{
    tr_stats s;
    tr_equity_point flat[3] = {
        pt(DAY(0), "100", "0"),
        pt(DAY(1), "100", "0"),
        pt(DAY(2), "100", "0"),
    };
    CHECK(tr_stats_compute(flat, 3, NULL, 0, NULL, 0, &s) == TR_OK);
    CHECK_NEAR(s.total_return, 0.0);
    CHECK_NEAR(s.cagr, 0.0);
    CHECK_NEAR(s.ann_volatility, 0.0); /* sd 0 */
    CHECK_NEAR(s.sharpe, 0.0);
    CHECK_NEAR(s.sortino, 0.0); /* no negative return */
    CHECK_NEAR(s.max_drawdown, 0.0);
    CHECK_NEAR(s.max_dd_duration_days, 0.0);
    CHECK_NEAR(s.calmar, 0.0);
    CHECK_NEAR(s.periods_per_year, 365.25);
    /* turnover ratio with no fills: 0 / 100 */
    CHECK_NEAR(s.turnover_ratio, 0.0);

    /* +10% three times: 100, 110, 121, 133.1. The returns are exactly
     * 1/10 each, but as doubles 12.1/121 != 10/100 (one ulp): sd must
     * still be 0, not 1e-17 with a Sharpe ratio of 1e16. */
    tr_equity_point up[4] = {
        pt(DAY(0), "100", "0"),
        pt(DAY(1), "110", "0"),
        pt(DAY(2), "121", "0"),
        pt(DAY(3), "133.1", "0"),
    };
    CHECK(tr_stats_compute(up, 4, NULL, 0, NULL, 0, &s) == TR_OK);
    CHECK_NEAR(s.total_return, 0.331);
    CHECK_NEAR(s.ann_volatility, 0.0);
    CHECK_NEAR(s.sharpe, 0.0);
    CHECK_NEAR(s.sortino, 0.0);
    CHECK_NEAR(s.max_drawdown, 0.0);
    CHECK_NEAR(s.calmar, 0.0);
    CHECK_NEAR(s.cagr, pow(1.331, 365.25 / 3.0) - 1.0);

    /* One point: nothing to annualise. */
    tr_equity_point one[1] = {pt(DAY(5), "250", "10")};
    CHECK(tr_stats_compute(one, 1, NULL, 0, NULL, 0, &s) == TR_OK);
    CHECK_EQ_I64(s.start_equity, fx("250"));
    CHECK_EQ_I64(s.end_equity, fx("250"));
    CHECK_NEAR(s.total_return, 0.0);
    CHECK_NEAR(s.periods_per_year, 0.0);
    CHECK_NEAR(s.cagr, 0.0);
    CHECK_NEAR(s.sharpe, 0.0);
    CHECK_NEAR(s.sortino, 0.0);
    CHECK_NEAR(s.ann_volatility, 0.0);
    CHECK_NEAR(s.max_drawdown, 0.0);
    CHECK_EQ_I64(s.max_dd_peak, DAY(5));
    CHECK_EQ_I64(s.max_dd_trough, DAY(5));
    CHECK_NEAR(s.time_in_market, 1.0);

    /* Two points: one return, so no sample sd; sortino = r/|r| sqrt(ppy).
     * 100 -> 95 over 1 day: ppy 365.25, r = -0.05. */
    tr_equity_point two[2] = {pt(DAY(0), "100", "0"), pt(DAY(1), "95", "0")};
    CHECK(tr_stats_compute(two, 2, NULL, 0, NULL, 0, &s) == TR_OK);
    CHECK_NEAR(s.ann_volatility, 0.0);
    CHECK_NEAR(s.sharpe, 0.0);
    CHECK_NEAR(s.sortino, -sqrt(365.25));
    CHECK_NEAR(s.max_dd_duration_days, 1.0);

    /* Ruin: 100 -> 0 -> -10. r = -1, then 0 (from a non-positive base);
     * drawdown 110/100 = 1.1; cagr -1; sortino = mean(-1, 0) /
     * sqrt(1/2) * sqrt(365.25) = -0.5 * sqrt(2) * sqrt(365.25). */
    tr_equity_point ruin[3] = {
        pt(DAY(0), "100", "0"),
        pt(DAY(1), "0", "0"),
        pt(DAY(2), "-10", "5"),
    };
    CHECK(tr_stats_compute(ruin, 3, NULL, 0, NULL, 0, &s) == TR_OK);
    CHECK_NEAR(s.total_return, -1.1);
    CHECK_NEAR(s.cagr, -1.0);
    CHECK_NEAR(s.max_drawdown, 1.1);
    CHECK_EQ_I64(s.max_dd_trough, DAY(2));
    CHECK_NEAR(s.sortino, -0.5 * sqrt(2.0) * sqrt(365.25));
    /* sd of (-1, 0) = sqrt(0.5); sharpe = -0.5/sqrt(0.5) * sqrt(365.25) */
    CHECK_NEAR(s.sharpe, -0.5 / sqrt(0.5) * sqrt(365.25));
    CHECK_NEAR(s.calmar, -1.0 / 1.1);
    /* mean equity (100 + 0 - 10)/3 = 30: no fills, ratio 0 */
    CHECK_NEAR(s.turnover_ratio, 0.0);
}

/* Closed wins and losses with exact averages, plus an open trade. */
static void test_trades(void)
{
    tr_equity_point eq[2] = {pt(DAY(0), "1000", "0"),
                             pt(DAY(10), "1125.00000002", "0")};
    tr_trade t[5] = {
        closed(0, "100.00000001", DAY(0), DAY(1), 1),
        closed(1, "-20.00000001", DAY(1), DAY(2), 1),
        open_trade(0, "1000", 3),
        closed(0, "50.00000002", DAY(3), DAY(4), 1),
        closed(1, "-5", DAY(4), DAY(5), 1),
    };
    tr_stats s;
    CHECK(tr_stats_compute(eq, 2, t, 5, NULL, 0, &s) == TR_OK);
    CHECK_EQ_I64(s.trades, 4);
    CHECK_EQ_I64(s.open_trades, 1);
    CHECK_EQ_I64(s.wins, 2);
    CHECK_EQ_I64(s.losses, 2);
    CHECK_NEAR(s.win_rate, 0.5);
    /* gross profit 100.00000001 + 50.00000002 = 150.00000003 */
    CHECK_EQ_I64(s.gross_profit, fx("150.00000003"));
    /* gross loss |-20.00000001 - 5| = 25.00000001, positive */
    CHECK_EQ_I64(s.gross_loss, fx("25.00000001"));
    /* net 150.00000003 - 25.00000001 = 125.00000002; the open +1000 is
     * not in it */
    CHECK_EQ_I64(s.net_pnl, fx("125.00000002"));
    /* avg win 150.00000003 / 2 = 75.000000015: a half, rounded to the even
     * last digit 2 -> 75.00000002 (up) */
    CHECK_EQ_I64(s.avg_win, fx("75.00000002"));
    /* avg loss 25.00000001 / 2 = 12.500000005: a half, to the even digit
     * 0 -> 12.50000000 (down), negated */
    CHECK_EQ_I64(s.avg_loss, fx("-12.5"));
    /* expectancy 125.00000002 / 4 = 31.250000005 -> 31.25 (half to even) */
    CHECK_EQ_I64(s.expectancy, fx("31.25"));
    CHECK_NEAR(s.profit_factor, 150.00000003 / 25.00000001);

    /* A non-half quotient: 10 / 3 = 3.333333333... -> 3.33333333;
     * 20 / 3 = 6.66666666.. -> 6.66666667; losses -1, -1, -1 avg -1. */
    tr_trade u[6] = {
        closed(0, "3", DAY(0), DAY(1), 1),
        closed(0, "3", DAY(1), DAY(2), 1),
        closed(0, "4", DAY(2), DAY(3), 1),
        closed(0, "-1", DAY(3), DAY(4), 1),
        closed(0, "0", DAY(4), DAY(5), 1), /* scratch: a loss of 0 */
        closed(0, "-1", DAY(5), DAY(6), 1),
    };
    CHECK(tr_stats_compute(eq, 2, u, 6, NULL, 0, &s) == TR_OK);
    CHECK_EQ_I64(s.wins, 3);
    CHECK_EQ_I64(s.losses, 3);
    CHECK_EQ_I64(s.avg_win, fx("3.33333333"));
    CHECK_EQ_I64(s.gross_loss, fx("2"));
    CHECK_EQ_I64(s.avg_loss, fx("-0.66666667"));
    /* net 10 - 2 = 8 over 6 trades = 1.3333... -> 1.33333333 */
    CHECK_EQ_I64(s.expectancy, fx("1.33333333"));
    CHECK_NEAR(s.profit_factor, 5.0);
    CHECK_NEAR(s.win_rate, 0.5);
}

static void test_profit_factor(void)
{
    tr_equity_point eq[1] = {pt(DAY(0), "100", "0")};
    tr_stats s;

    /* No trades (an open one does not count): 0, and all averages 0. */
    tr_trade o[1] = {open_trade(0, "-7", 2)};
    CHECK(tr_stats_compute(eq, 1, o, 1, NULL, 0, &s) == TR_OK);
    CHECK_EQ_I64(s.trades, 0);
    CHECK_EQ_I64(s.open_trades, 1);
    CHECK_NEAR(s.profit_factor, 0.0);
    CHECK_NEAR(s.win_rate, 0.0);
    CHECK_EQ_I64(s.avg_win, 0);
    CHECK_EQ_I64(s.avg_loss, 0);
    CHECK_EQ_I64(s.expectancy, 0);
    CHECK_EQ_I64(s.net_pnl, 0);

    /* Only wins: infinity. */
    tr_trade w[2] = {closed(0, "1", DAY(0), DAY(1), 1),
                     closed(0, "2", DAY(1), DAY(2), 1)};
    CHECK(tr_stats_compute(eq, 1, w, 2, NULL, 0, &s) == TR_OK);
    CHECK(isinf(s.profit_factor) && s.profit_factor > 0);
    CHECK_NEAR(s.win_rate, 1.0);
    CHECK_EQ_I64(s.avg_loss, 0);
    CHECK_EQ_I64(s.avg_win, fx("1.5"));

    /* Only losses: 0 / 3 = 0. */
    tr_trade l[2] = {closed(0, "-1", DAY(0), DAY(1), 1),
                     closed(0, "-2", DAY(1), DAY(2), 1)};
    CHECK(tr_stats_compute(eq, 1, l, 2, NULL, 0, &s) == TR_OK);
    CHECK_NEAR(s.profit_factor, 0.0);
    CHECK_EQ_I64(s.gross_loss, fx("3"));
    CHECK_EQ_I64(s.avg_loss, fx("-1.5"));
    CHECK_EQ_I64(s.expectancy, fx("-1.5"));

    /* Only scratch trades: no profit, no loss: 0, two losses of 0. */
    tr_trade z[2] = {closed(0, "0", DAY(0), DAY(1), 1),
                     closed(0, "0", DAY(1), DAY(2), 1)};
    CHECK(tr_stats_compute(eq, 1, z, 2, NULL, 0, &s) == TR_OK);
    CHECK_NEAR(s.profit_factor, 0.0);
    CHECK_EQ_I64(s.losses, 2);
    CHECK_EQ_I64(s.wins, 0);
}

static void test_fills(void)
{
    /* mean equity (100 + 300) / 2 = 200 */
    tr_equity_point eq[2] = {pt(DAY(0), "100", "0"), pt(DAY(1), "300", "0")};
    tr_fill f[3] = {
        /* 10 * 12.345 = 123.45 */
        fill(0, "10", "12.345", "1.25"),
        /* 0.5 * 100.00000001 = 50.000000005 -> 50.00000000 (half even) */
        fill(1, "0.5", "100.00000001", "0.00000001"),
        /* 3 * 0.00000003 = 0.00000009 */
        fill(0, "3", "0.00000003", "0"),
    };
    tr_stats s;
    CHECK(tr_stats_compute(eq, 2, NULL, 0, f, 3, &s) == TR_OK);
    CHECK_EQ_I64(s.fills, 3);
    /* 123.45 + 50 + 0.00000009 = 173.45000009 */
    CHECK_EQ_I64(s.turnover, fx("173.45000009"));
    CHECK_EQ_I64(s.commissions, fx("1.25000001"));
    CHECK_NEAR(s.turnover_ratio, 173.45000009 / 200.0);
}

/* Per symbol: sym 0 and sym 1 interleaved, sym 0's exits out of order. */
static void test_symbol(void)
{
    tr_trade t[7] = {
        closed(0, "30", DAY(6), DAY(8), 2),   /* 3rd exit */
        closed(1, "-500", DAY(0), DAY(4), 4), /* other symbol */
        closed(0, "50", DAY(1), DAY(3), 2),   /* 1st exit */
        open_trade(0, "-10", 3),
        closed(0, "-100", DAY(4), DAY(5), 1), /* 2nd exit */
        open_trade(1, "7", 1),
        closed(0, "0", DAY(8), DAY(8), 1), /* 4th exit (same time, later) */
    };
    tr_fill f[3] = {
        fill(0, "2", "10", "0.5"),
        fill(1, "1", "1000", "9"),
        fill(0, "1", "11", "0.25"),
    };
    tr_stats s;
    CHECK(tr_stats_symbol(0, fx("1000"), 20, t, 7, f, 3, &s) == TR_OK);
    CHECK_EQ_I64(s.trades, 4);
    CHECK_EQ_I64(s.open_trades, 1);
    CHECK_EQ_I64(s.wins, 2);
    CHECK_EQ_I64(s.losses, 2);
    CHECK_EQ_I64(s.gross_profit, fx("80"));
    CHECK_EQ_I64(s.gross_loss, fx("100"));
    CHECK_EQ_I64(s.net_pnl, fx("-20"));
    CHECK_EQ_I64(s.expectancy, fx("-5"));
    CHECK_EQ_I64(s.avg_win, fx("40"));
    CHECK_EQ_I64(s.avg_loss, fx("-50"));
    CHECK_NEAR(s.profit_factor, 0.8);
    /* net -20 closed, -10 open: -30 / 1000 */
    CHECK_EQ_I64(s.start_equity, fx("1000"));
    CHECK_EQ_I64(s.end_equity, fx("970"));
    CHECK_NEAR(s.total_return, -0.03);
    /* curve in exit order: 1000, 1050 (day 3), 950 (day 5), 980 (day 8),
     * 980 (day 8): deepest 100/1050 from day 3 to day 5 */
    CHECK_NEAR(s.max_drawdown, 100.0 / 1050.0);
    CHECK_EQ_I64(s.max_dd_peak, DAY(3));
    CHECK_EQ_I64(s.max_dd_trough, DAY(5));
    CHECK_NEAR(s.max_dd_duration_days, 0.0);
    CHECK_NEAR(s.sharpe, 0.0);
    CHECK_NEAR(s.cagr, 0.0);
    /* bars 2 + 2 + 3 + 1 + 1 = 9 of 20 */
    CHECK_NEAR(s.time_in_market, 0.45);
    /* fills of sym 0: 2*10 + 1*11 = 31, commissions 0.75 */
    CHECK_EQ_I64(s.fills, 2);
    CHECK_EQ_I64(s.turnover, fx("31"));
    CHECK_EQ_I64(s.commissions, fx("0.75"));
    CHECK_NEAR(s.turnover_ratio, 0.0);

    /* The same trades of sym 0 in exit order give the same figures. */
    tr_trade sorted[5] = {t[2], t[4], t[3], t[0], t[6]};
    tr_stats s2;
    CHECK(tr_stats_symbol(0, fx("1000"), 20, sorted, 5, NULL, 0, &s2) ==
          TR_OK);
    CHECK_NEAR(s2.max_drawdown, 100.0 / 1050.0);
    CHECK_EQ_I64(s2.max_dd_peak, DAY(3));
    CHECK_EQ_I64(s2.max_dd_trough, DAY(5));
    CHECK_NEAR(s2.total_return, -0.03);

    /* Sym 1: one loss of 500 from the start (peak = its entry, day 0),
     * open +7; time in market (4 + 1) / 4 bars capped at 1. */
    CHECK(tr_stats_symbol(1, fx("1000"), 4, t, 7, f, 3, &s) == TR_OK);
    CHECK_EQ_I64(s.trades, 1);
    CHECK_EQ_I64(s.open_trades, 1);
    CHECK_NEAR(s.max_drawdown, 0.5);
    CHECK_EQ_I64(s.max_dd_peak, DAY(0));
    CHECK_EQ_I64(s.max_dd_trough, DAY(4));
    CHECK_NEAR(s.total_return, -0.493);
    CHECK_NEAR(s.time_in_market, 1.0);
    CHECK_EQ_I64(s.turnover, fx("1000"));
    CHECK_EQ_I64(s.commissions, fx("9"));

    /* A symbol without trades or bars. */
    CHECK(tr_stats_symbol(9, fx("1000"), 0, t, 7, f, 3, &s) == TR_OK);
    CHECK_EQ_I64(s.trades, 0);
    CHECK_EQ_I64(s.fills, 0);
    CHECK_NEAR(s.total_return, 0.0);
    CHECK_NEAR(s.max_drawdown, 0.0);
    CHECK_NEAR(s.time_in_market, 0.0);
    CHECK_EQ_I64(s.end_equity, fx("1000"));
}

static void test_invalid(void)
{
    tr_stats s, before;
    memset(&s, 0x5a, sizeof s);
    memcpy(&before, &s, sizeof s); /* padding included */
    tr_equity_point eq[3] = {
        pt(DAY(0), "100", "0"),
        pt(DAY(1), "101", "0"),
        pt(DAY(1), "102", "0"), /* same time as the one before */
    };
    CHECK(tr_stats_compute(eq, 0, NULL, 0, NULL, 0, &s) == TR_ERR_INVALID);
    CHECK(tr_stats_compute(eq, 3, NULL, 0, NULL, 0, &s) == TR_ERR_INVALID);
    eq[2].time = DAY(0) + 1; /* going back */
    CHECK(tr_stats_compute(eq, 3, NULL, 0, NULL, 0, &s) == TR_ERR_INVALID);
    CHECK(tr_stats_compute(NULL, 3, NULL, 0, NULL, 0, &s) == TR_ERR_INVALID);
    CHECK(tr_stats_compute(eq, 2, NULL, 1, NULL, 0, &s) == TR_ERR_INVALID);
    CHECK(tr_stats_compute(eq, 2, NULL, 0, NULL, 1, &s) == TR_ERR_INVALID);
    CHECK(tr_stats_compute(eq, 2, NULL, 0, NULL, 0, NULL) == TR_ERR_INVALID);
    eq[0].equity = 0; /* returns relative to 0 mean nothing */
    CHECK(tr_stats_compute(eq, 2, NULL, 0, NULL, 0, &s) == TR_ERR_INVALID);
    CHECK(tr_stats_symbol(0, 0, 1, NULL, 0, NULL, 0, &s) == TR_ERR_INVALID);
    CHECK(tr_stats_symbol(0, -TR_FX_ONE, 1, NULL, 0, NULL, 0, &s) ==
          TR_ERR_INVALID);
    CHECK(tr_stats_symbol(0, TR_FX_ONE, 1, NULL, 2, NULL, 0, &s) ==
          TR_ERR_INVALID);
    CHECK(tr_stats_symbol(0, TR_FX_ONE, 1, NULL, 0, NULL, 0, NULL) ==
          TR_ERR_INVALID);
    CHECK(memcmp(&s, &before, sizeof s) == 0); /* untouched */
}

static void test_overflow(void)
{
    tr_stats s, before;
    memset(&s, 0x5a, sizeof s);
    memcpy(&before, &s, sizeof s);
    tr_equity_point eq[1] = {pt(DAY(0), "100", "0")};
    tr_trade big[2] = {closed(0, "1", DAY(0), DAY(1), 1),
                       closed(0, "1", DAY(1), DAY(2), 1)};
    big[0].pnl = big[1].pnl = TR_FX_MAX - 5;
    CHECK(tr_stats_compute(eq, 1, big, 2, NULL, 0, &s) == TR_ERR_RANGE);
    big[0].pnl = big[1].pnl = -(TR_FX_MAX - 5); /* gross loss overflows */
    CHECK(tr_stats_compute(eq, 1, big, 2, NULL, 0, &s) == TR_ERR_RANGE);
    big[1].open = 1; /* open pnl alone: fine for the run ... */
    CHECK(tr_stats_compute(eq, 1, big, 2, NULL, 0, &before) == TR_OK);
    memset(&before, 0x5a, sizeof before);
    /* ... but the symbol's net (closed + open) overflows */
    CHECK(tr_stats_symbol(0, TR_FX_ONE, 1, big, 2, NULL, 0, &s) ==
          TR_ERR_RANGE);
    /* the symbol curve start + pnl overflows */
    tr_trade one = closed(0, "1", DAY(0), DAY(1), 1);
    one.pnl = TR_FX_MAX - 5;
    CHECK(tr_stats_symbol(0, 10 * TR_FX_ONE, 1, &one, 1, NULL, 0, &s) ==
          TR_ERR_RANGE);

    /* 1e6 * 1e6 does not fit; nor does a sum of two 5e10 notionals */
    tr_fill f[2] = {fill(0, "1000000", "1000000", "0"),
                    fill(0, "1", "1", "0")};
    CHECK(tr_stats_compute(eq, 1, NULL, 0, f, 2, &s) == TR_ERR_RANGE);
    f[0] = fill(0, "50000000000", "1", "0");
    f[1] = fill(0, "50000000000", "1", "0");
    CHECK(tr_stats_compute(eq, 1, NULL, 0, f, 2, &s) == TR_ERR_RANGE);
    CHECK(tr_stats_symbol(0, TR_FX_ONE, 1, NULL, 0, f, 2, &s) ==
          TR_ERR_RANGE);
    f[0] = fill(0, "1", "1", "50000000000");
    f[1] = fill(0, "1", "1", "50000000000");
    CHECK(tr_stats_compute(eq, 1, NULL, 0, f, 2, &s) == TR_ERR_RANGE);
    CHECK(memcmp(&s, &before, sizeof s) == 0); /* untouched */
}

int main(void)
{
    test_curve();
    test_unrecovered();
    test_degenerate();
    test_trades();
    test_profit_factor();
    test_fills();
    test_symbol();
    test_invalid();
    test_overflow();
    return test_summary();
}
