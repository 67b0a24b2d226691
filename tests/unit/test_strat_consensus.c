/* test_strat_consensus.c: the consensus strategy: votes, confidence,
 * reasons, position rules, warm-up, parameter checks, and agreement with a
 * plain reference over generated data.
 *
 * The fake context is the one of test_strat.c: positions from an array,
 * signals recorded with their bar index, and in "broker" mode the position
 * set to each signal's target at once. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fixed.h"
#include "data/bar.h"
#include "data/gen.h"
#include "ind/dmi.h"
#include "ind/ma.h"
#include "ind/momentum.h"
#include "ind/volatility.h"
#include "strat/signal.h"
#include "strat/strategy.h"
#include "test.h"

/* ---- the fake engine ----------------------------------------------------- */

#include "strat_fake.h"

typedef struct run {
    const tr_strategy_def *def;
    void *st;
    tr_strat_ctx ctx;
    fake *f;
} run;

static const tr_strategy_def *DEF;

enum {
    P_RSI_PERIOD = 0, P_OVERSOLD, P_OVERBOUGHT, P_MACD_FAST, P_MACD_SLOW,
    P_MACD_SIGNAL, P_BB_PERIOD, P_BB_K, P_ADX_PERIOD, P_ADX_THRESHOLD,
    P_MIN_CONFIDENCE, P_ALLOW_SHORT, P_COUNT
};

static const char *const PNAMES[P_COUNT] = {
    "rsi_period", "oversold",  "overbought",    "macd_fast",
    "macd_slow",  "macd_signal", "bb_period",   "bb_k",
    "adx_period", "adx_threshold", "min_confidence", "allow_short",
};

/* The defaults, then name/value pairs ending with NULL. */
static void params_of(double *p, ...)
{
    for (size_t i = 0; i < DEF->nparams; i++)
        p[i] = DEF->params[i].def;
    va_list ap;
    va_start(ap, p);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        double v = va_arg(ap, double);
        size_t i = 0;
        while (i < DEF->nparams && strcmp(DEF->params[i].name, name) != 0)
            i++;
        if (CHECK_MSG(i < DEF->nparams, "consensus has a parameter %s", name))
            p[i] = v;
    }
    va_end(ap);
}

/* Small windows for the hand tapes: everything exists from bar 3 (MACD's
 * signal line and ADX both at row 3). The tapes were worked out for a
 * minimum confidence of 0.75, named here so that they do not depend on the
 * default (later pairs override it). */
#define SMALL                                                                  \
    "rsi_period", 2.0, "macd_fast", 2.0, "macd_slow", 3.0, "macd_signal",     \
        2.0, "bb_period", 3.0, "bb_k", 1.0, "adx_period", 2.0,                \
        "min_confidence", 0.75

static int run_open(run *r, const double *params, size_t nsyms, int broker)
{
    memset(r, 0, sizeof *r);
    r->def = DEF;
    char err[256] = "";
    int rc = DEF->create(params, nsyms, &r->st, err, sizeof err);
    if (!CHECK_MSG(rc == TR_OK, "create: %s", err))
        return 0;
    r->f = calloc(1, sizeof *r->f);
    if (!r->f) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    r->f->broker = broker;
    r->ctx.engine = r->f;
    r->ctx.position = fake_position;
    r->ctx.emit = fake_emit;
    r->ctx.strategy_name = "consensus";
    return 1;
}

static void run_bar(run *r, tr_sym sym, const tr_bar *b)
{
    r->def->on_bar(r->st, &r->ctx, sym, b);
    r->f->bar[sym]++;
}

static void run_close(run *r)
{
    if (r->st)
        r->def->destroy(r->st);
    free(r->f);
    memset(r, 0, sizeof *r);
}

#define T0 INT64_C(1704153600000000000) /* 2024-01-02 */
#define DAY INT64_C(86400000000000)
#define NW(a) (sizeof(a) / sizeof((a)[0]))

static tr_fx fx(double v)
{
    tr_fx x = 0;
    if (tr_fx_from_double(v, &x) != TR_OK)
        fprintf(stderr, "bad price %g\n", v);
    return x;
}

/* Feed bars given as {high, low, close}; mirror: 30 - price (high and low
 * swap), which turns every vote around. */
static void feed_from(run *r, const double (*hlc)[3], size_t first,
                      size_t n, int mirror)
{
    for (size_t i = first; i < first + n; i++) {
        double h = hlc[i][0], l = hlc[i][1], c = hlc[i][2];
        if (mirror) {
            double t = h;
            h = 30.0 - l;
            l = 30.0 - t;
            c = 30.0 - c;
        }
        tr_bar b = { T0 + (tr_time)i * DAY, fx(c), fx(h), fx(l), fx(c),
                     fx(1000) };
        run_bar(r, 0, &b);
    }
}

static void feed(run *r, const double (*hlc)[3], size_t n, int mirror)
{
    feed_from(r, hlc, 0, n, mirror);
}

typedef struct want {
    size_t bar;
    tr_action action;
    int target;
    int bull, bear;
    double confidence;
    const char *reasons;
} want;

static void check_signals(const fake *f, const want *w, size_t n,
                          const char *what)
{
    CHECK_MSG(f->n == n, "%s: %zu signals, expected %zu", what, f->n, n);
    for (size_t i = 0; i < n && i < f->n; i++) {
        const tr_signal *s = &f->r[i].sig;
        CHECK_MSG(f->r[i].bar == w[i].bar && s->action == w[i].action &&
                      s->target == w[i].target,
                  "%s: signal %zu: bar %zu %s target %d, expected bar %zu %s "
                  "target %d",
                  what, i, f->r[i].bar, tr_action_name(s->action), s->target,
                  w[i].bar, tr_action_name(w[i].action), w[i].target);
        CHECK_MSG(s->votes_bull == w[i].bull && s->votes_bear == w[i].bear &&
                      s->confidence == w[i].confidence,
                  "%s: signal %zu: votes %d/%d confidence %g, expected %d/%d "
                  "%g",
                  what, i, s->votes_bull, s->votes_bear, s->confidence,
                  w[i].bull, w[i].bear, w[i].confidence);
        CHECK_MSG(strcmp(s->reasons, w[i].reasons) == 0,
                  "%s: signal %zu: reasons \"%s\", expected \"%s\"", what, i,
                  s->reasons, w[i].reasons);
        CHECK(s->time == T0 + (tr_time)f->r[i].bar * DAY);
        CHECK_STR(s->strategy, "consensus");
    }
}

#define BUY TR_SIGNAL_BUY
#define SELL TR_SIGNAL_SELL

/* ---- tape 1: the trend voters ---------------------------------------------
 * RSI and Bollinger silenced (oversold 0, overbought 100: RSI is never
 * below 0 or above 100; bb_k 100: the bands are far away), so only MACD
 * and ADX vote; min_confidence 0.5 = both must agree. Values (MACD(2,3,2),
 * ADX(2)):
 *   bar close  MACD - signal          ADX   +DI   -DI   votes
 *    3   10     0       (tie)          0     0     0     -
 *    4   11    +0.056   first sign     50   42.1   0    MACD +, ADX +  BUY
 *    5-7       +        (no cross)     >75   >55   0    + +  (long)
 *    8   11.5  -0.174   bearish cross  69.6 21.0  56.0  - -  SELL
 *    9   15    +0.118   bullish cross  55.2 47.6  20.1  + +  BUY
 *   10   14.5  -0.005   bearish cross  57.5 44.2  11.1  - +  tie: nothing
 *   11   12.5  -0.152   (no cross)     43.8 21.4  39.8  - -  SELL
 *   12   10.5  -0.168                  55.5 11.5  58.4  - -  (flat)
 *   13    9.5  -0.073                  67.0  6.6  54.8  - -  (flat) */
static const double TAPE1[][3] = {
    { 10.5, 9.5, 10 },    { 10.5, 9.5, 10 },    { 10.5, 9.5, 10 },
    { 10.5, 9.5, 10 },    { 11.5, 10.5, 11 },   { 12.5, 11.5, 12 },
    { 13.5, 12.5, 13 },   { 14.5, 13.5, 14 },   { 13.0, 11.0, 11.5 },
    { 15.5, 14.5, 15 },   { 16.5, 14.0, 14.5 }, { 15.0, 12.0, 12.5 },
    { 12.0, 10.0, 10.5 }, { 11.0, 9.0, 9.5 },
};

#define TREND_ONLY                                                             \
    SMALL, "oversold", 0.0, "overbought", 100.0, "bb_k", 100.0,                \
        "min_confidence", 0.5

static void test_trend_voters(void)
{
    double p[P_COUNT];
    run r;

    params_of(p, TREND_ONLY, NULL);
    if (run_open(&r, p, 1, 1)) {
        feed(&r, TAPE1, NW(TAPE1), 0);
        want w[] = {
            { 4, BUY, 1, 2, 0, 0.5,
              "MACD above signal; strong uptrend (ADX 50)" },
            { 8, SELL, 0, 0, 2, 0.5,
              "MACD bearish cross; strong downtrend (ADX 70)" },
            { 9, BUY, 1, 2, 0, 0.5,
              "MACD bullish cross; strong uptrend (ADX 55)" },
            { 11, SELL, 0, 0, 2, 0.5,
              "MACD below signal; strong downtrend (ADX 44)" },
        };
        check_signals(r.f, w, NW(w), "trend voters");
        run_close(&r);
    }

    /* allow_short: the sells go short; a short is not sold again. */
    params_of(p, TREND_ONLY, "allow_short", 1.0, NULL);
    if (run_open(&r, p, 1, 1)) {
        feed(&r, TAPE1, NW(TAPE1), 0);
        want w[] = {
            { 4, BUY, 1, 2, 0, 0.5,
              "MACD above signal; strong uptrend (ADX 50)" },
            { 8, SELL, -1, 0, 2, 0.5,
              "MACD bearish cross; strong downtrend (ADX 70)" },
            { 9, BUY, 1, 2, 0, 0.5,
              "MACD bullish cross; strong uptrend (ADX 55)" },
            { 11, SELL, -1, 0, 2, 0.5,
              "MACD below signal; strong downtrend (ADX 44)" },
        };
        check_signals(r.f, w, NW(w), "trend voters, allow_short");
        run_close(&r);
    }

    /* Two votes are 0.5: never enough for the default 0.75. */
    params_of(p, TREND_ONLY, "min_confidence", 0.75, NULL);
    if (run_open(&r, p, 1, 1)) {
        feed(&r, TAPE1, NW(TAPE1), 0);
        CHECK_EQ_I64(r.f->n, 0);
        run_close(&r);
    }

    /* ADX silenced too (threshold 100: ADX is never above it): MACD alone
     * is 0.25, enough for min_confidence 0.25. Without fills the position
     * stays flat: every bullish bar buys, no bearish bar has a long to
     * sell. */
    params_of(p, TREND_ONLY, "adx_threshold", 100.0, "min_confidence", 0.25,
              NULL);
    if (run_open(&r, p, 1, 0)) {
        feed(&r, TAPE1, NW(TAPE1), 0);
        want w[] = {
            { 4, BUY, 1, 1, 0, 0.25, "MACD above signal" },
            { 5, BUY, 1, 1, 0, 0.25, "MACD above signal" },
            { 6, BUY, 1, 1, 0, 0.25, "MACD above signal" },
            { 7, BUY, 1, 1, 0, 0.25, "MACD above signal" },
            { 9, BUY, 1, 1, 0, 0.25, "MACD bullish cross" },
        };
        check_signals(r.f, w, NW(w), "MACD alone, flat throughout");
        run_close(&r);
    }
}

/* ---- tape 2: all four voters ----------------------------------------------
 * A rise that slows while the bars' lows fall away: closes keep rising (RSI
 * 100, close above the upper band) but MACD turns below its signal and the
 * falling lows make -DM win (ADX sees a downtrend). Default thresholds
 * (30/70, ADX 25), small windows:
 *   bar close  RSI  MACD-signal      upper band  ADX  +DI   -DI   votes
 *   3-6        100  + (no cross)     below close >70  >71    0    - + - +
 *    7   16.6  100  -0.028 bear cross 16.527     52.4 23.2  21.1  - - - +
 *    8   17    100  -0.047            16.944     49.4  7.9  21.5  - - - -
 *    9   17.2  100  -0.053            17.183     61.1  3.0  18.8  - - - -
 *   10   17.3  100  -0.048            17.291     73.7  1.2  16.2  - - - -
 * (voter order RSI, MACD, Bollinger, ADX). So bars 3-6 are 2-2 (no signal
 * at any confidence), bar 7 is 3 bear 1 bull (0.5), bars 8-10 4 bear (1).
 * Mirrored (30 - price), every vote flips. */
static const double TAPE2[][3] = {
    { 10.2, 9.8, 10 },  { 10.6, 10.2, 10.4 }, { 11.2, 10.8, 11 },
    { 12.2, 11.8, 12 }, { 13.7, 13.3, 13.5 }, { 15.2, 14.8, 15 },
    { 16.1, 14.5, 16 }, { 16.7, 13.5, 16.6 }, { 17.1, 12.5, 17 },
    { 17.3, 11.5, 17.2 }, { 17.4, 10.5, 17.3 },
};

#define ALL4_BEAR                                                              \
    "RSI overbought; MACD below signal; price above upper Bollinger band; "   \
    "strong downtrend (ADX 49)"
#define ALL4_BULL                                                              \
    "RSI oversold; MACD above signal; price below lower Bollinger band; "     \
    "strong uptrend (ADX 49)"

static void test_all_voters(void)
{
    double p[P_COUNT];
    run r;

    /* Long: the default 0.75 waits for bar 8's unanimous vote. */
    params_of(p, SMALL, NULL);
    if (run_open(&r, p, 1, 1)) {
        r.f->pos[0] = 100 * TR_FX_ONE;
        feed(&r, TAPE2, NW(TAPE2), 0);
        want w[] = { { 8, SELL, 0, 0, 4, 1.0, ALL4_BEAR } };
        check_signals(r.f, w, NW(w), "unanimous exit");
        run_close(&r);
    }

    /* 0.5 takes bar 7's 3 to 1; the dissenting ADX is not a reason. */
    params_of(p, SMALL, "min_confidence", 0.5, NULL);
    if (run_open(&r, p, 1, 1)) {
        r.f->pos[0] = 100 * TR_FX_ONE;
        feed(&r, TAPE2, NW(TAPE2), 0);
        want w[] = { { 7, SELL, 0, 1, 3, 0.5,
                       "RSI overbought; MACD bearish cross; price above "
                       "upper Bollinger band" } };
        check_signals(r.f, w, NW(w), "3 to 1 exit");
        run_close(&r);
    }

    /* Flat, long only: nothing to exit, never a short. Even at
     * min_confidence 0 the 2-2 bars 3-6 say nothing. */
    params_of(p, SMALL, "min_confidence", 0.0, NULL);
    if (run_open(&r, p, 1, 1)) {
        feed(&r, TAPE2, NW(TAPE2), 0);
        CHECK_EQ_I64(r.f->n, 0);
        run_close(&r);
    }

    /* Flat with allow_short: short once at bar 8, then hold it. */
    params_of(p, SMALL, "allow_short", 1.0, NULL);
    if (run_open(&r, p, 1, 1)) {
        feed(&r, TAPE2, NW(TAPE2), 0);
        want w[] = { { 8, SELL, -1, 0, 4, 1.0, ALL4_BEAR } };
        check_signals(r.f, w, NW(w), "unanimous short");
        run_close(&r);
    }

    /* A short (not ours) with allow_short off is left alone. */
    params_of(p, SMALL, NULL);
    if (run_open(&r, p, 1, 1)) {
        r.f->pos[0] = -100 * TR_FX_ONE;
        feed(&r, TAPE2, NW(TAPE2), 0);
        CHECK_EQ_I64(r.f->n, 0);
        run_close(&r);
    }

    /* Mirrored: flat buys at bar 8 with four bullish votes ... */
    params_of(p, SMALL, NULL);
    if (run_open(&r, p, 1, 1)) {
        feed(&r, TAPE2, NW(TAPE2), 1);
        want w[] = { { 8, BUY, 1, 4, 0, 1.0, ALL4_BULL } };
        check_signals(r.f, w, NW(w), "unanimous buy");
        run_close(&r);
    }
    /* ... a short is reversed the same way ... */
    if (run_open(&r, p, 1, 1)) {
        r.f->pos[0] = -100 * TR_FX_ONE;
        feed(&r, TAPE2, NW(TAPE2), 1);
        want w[] = { { 8, BUY, 1, 4, 0, 1.0, ALL4_BULL } };
        check_signals(r.f, w, NW(w), "unanimous cover and buy");
        run_close(&r);
    }
    /* ... a long is not bought again ... */
    if (run_open(&r, p, 1, 1)) {
        r.f->pos[0] = 100 * TR_FX_ONE;
        feed(&r, TAPE2, NW(TAPE2), 1);
        CHECK_EQ_I64(r.f->n, 0);
        run_close(&r);
    }
    /* ... and 0.5 buys at bar 7 on a fresh bullish MACD cross. */
    params_of(p, SMALL, "min_confidence", 0.5, NULL);
    if (run_open(&r, p, 1, 1)) {
        feed(&r, TAPE2, NW(TAPE2), 1);
        want w[] = { { 7, BUY, 1, 3, 1, 0.5,
                       "RSI oversold; MACD bullish cross; price below lower "
                       "Bollinger band" } };
        check_signals(r.f, w, NW(w), "3 to 1 buy");
        run_close(&r);
    }

    /* Warm-up: with everything ready only at bar 3, bars 0-2 never signal,
     * even at min_confidence 0 (RSI and the bands exist from bar 2, when
     * RSI is 100 and the close above the upper band); bar 3 (RSI -, MACD
     * +, Bollinger -, ADX silenced) sells short at once. */
    params_of(p, SMALL, "min_confidence", 0.0, "allow_short", 1.0,
              "adx_threshold", 100.0, NULL);
    if (run_open(&r, p, 1, 1)) {
        feed(&r, TAPE2, 3, 0);
        CHECK_EQ_I64(r.f->n, 0);
        feed_from(&r, TAPE2, 3, 1, 0);
        want w[] = { { 3, SELL, -1, 1, 2, 0.25,
                       "RSI overbought; price above upper Bollinger band" } };
        check_signals(r.f, w, NW(w), "first ready bar");
        run_close(&r);
    }
}

/* ---- parameters ------------------------------------------------------------ */

static void check_fails(const double *p, const char *msg)
{
    char err[256] = "";
    void *sentinel = &err, *st = sentinel;
    CHECK(DEF->create(p, 1, &st, err, sizeof err) == TR_ERR_INVALID);
    CHECK_STR(err, msg);
    CHECK(st == sentinel);
}

static void test_params(void)
{
    CHECK_EQ_I64(DEF->nparams, P_COUNT);
    for (size_t i = 0; i < P_COUNT && i < DEF->nparams; i++)
        CHECK_STR(DEF->params[i].name, PNAMES[i]);
    double p[P_COUNT];
    params_of(p, NULL);
    CHECK(p[P_RSI_PERIOD] == 14 && p[P_OVERSOLD] == 30 &&
          p[P_OVERBOUGHT] == 70 && p[P_MACD_FAST] == 12 &&
          p[P_MACD_SLOW] == 26 && p[P_MACD_SIGNAL] == 9 &&
          p[P_BB_PERIOD] == 20 && p[P_BB_K] == 2 && p[P_ADX_PERIOD] == 14 &&
          p[P_ADX_THRESHOLD] == 25 && p[P_MIN_CONFIDENCE] == 0.5 &&
          p[P_ALLOW_SHORT] == 0);

    params_of(p, "oversold", 70.0, "overbought", 30.0, NULL);
    check_fails(p, "consensus: oversold (70) must be less than overbought "
                   "(30)");
    params_of(p, "oversold", 40.5, "overbought", 40.5, NULL);
    check_fails(p, "consensus: oversold (40.5) must be less than overbought "
                   "(40.5)");
    params_of(p, "macd_fast", 26.0, "macd_slow", 12.0, NULL);
    check_fails(p, "consensus: macd_fast (26) must be less than macd_slow "
                   "(12)");
    params_of(p, "min_confidence", 1.5, NULL);
    check_fails(p, "consensus: min_confidence must be a number in [0, 1], "
                   "got 1.5");
    params_of(p, "adx_period", 0.0, NULL);
    check_fails(p, "consensus: adx_period must be a whole number in "
                   "[1, 100000], got 0");
    params_of(p, "bb_k", -0.5, NULL);
    check_fails(p, "consensus: bb_k must be a number in [0, 100], got -0.5");
}

/* ---- a plain reference over generated data --------------------------------- */

static size_t reference(const tr_bars *s, const double *p, want *out,
                        char (*reasons)[160], size_t cap)
{
    size_t n = s->n;
    double *buf = calloc(13 * n, sizeof *buf);
    if (!buf)
        return 0;
    double *h = buf, *l = buf + n, *c = buf + 2 * n, *rsi = buf + 3 * n,
           *m = buf + 4 * n, *sg = buf + 5 * n, *up = buf + 6 * n,
           *lo = buf + 7 * n, *adx = buf + 8 * n, *pdi = buf + 9 * n,
           *mdi = buf + 10 * n;
    for (size_t i = 0; i < n; i++) {
        h[i] = tr_fx_to_double(s->v[i].high);
        l[i] = tr_fx_to_double(s->v[i].low);
        c[i] = tr_fx_to_double(s->v[i].close);
    }
    tr_ind_rsi_batch(c, n, (size_t)p[P_RSI_PERIOD], rsi);
    tr_ind_macd_batch(c, n, (size_t)p[P_MACD_FAST], (size_t)p[P_MACD_SLOW],
                      (size_t)p[P_MACD_SIGNAL], m, sg, NULL);
    tr_ind_bbands_batch(c, n, (size_t)p[P_BB_PERIOD], p[P_BB_K], up, NULL,
                        lo);
    tr_ind_adx_batch(h, l, c, n, (size_t)p[P_ADX_PERIOD], adx, pdi, mdi);

    int allow_short = p[P_ALLOW_SHORT] != 0, pos = 0, last = 0;
    size_t k = 0;
    for (size_t t = 0; t < n && k < cap; t++) {
        int fresh = 0;
        if (!isnan(m[t]) && m[t] != sg[t]) {
            int sgn = m[t] > sg[t] ? 1 : -1;
            fresh = last != 0 && sgn != last;
            last = sgn;
        }
        if (isnan(rsi[t]) || isnan(m[t]) || isnan(up[t]) || isnan(adx[t]))
            continue;
        int bull = 0, bear = 0;
        const char *rb[4] = { 0 }, *rs[4] = { 0 };
        char adxr[48];
        if (rsi[t] < p[P_OVERSOLD])
            rb[bull++] = "RSI oversold";
        else if (rsi[t] > p[P_OVERBOUGHT])
            rs[bear++] = "RSI overbought";
        if (m[t] > sg[t])
            rb[bull++] = fresh ? "MACD bullish cross" : "MACD above signal";
        else if (m[t] < sg[t])
            rs[bear++] = fresh ? "MACD bearish cross" : "MACD below signal";
        if (c[t] < lo[t])
            rb[bull++] = "price below lower Bollinger band";
        else if (c[t] > up[t])
            rs[bear++] = "price above upper Bollinger band";
        if (adx[t] > p[P_ADX_THRESHOLD] && pdi[t] != mdi[t]) {
            snprintf(adxr, sizeof adxr, "strong %s (ADX %.0f)",
                     pdi[t] > mdi[t] ? "uptrend" : "downtrend", adx[t]);
            if (pdi[t] > mdi[t])
                rb[bull++] = adxr;
            else
                rs[bear++] = adxr;
        }
        double conf = fabs((double)(bull - bear)) / 4.0;
        const char **why = NULL;
        int nwhy = 0;
        if (bull > bear && conf >= p[P_MIN_CONFIDENCE] && pos <= 0) {
            out[k] = (want){ t, BUY, 1, bull, bear, conf, NULL };
            pos = 1;
            why = rb;
            nwhy = bull;
        } else if (bear > bull && conf >= p[P_MIN_CONFIDENCE] &&
                   (allow_short ? pos >= 0 : pos > 0)) {
            pos = allow_short ? -1 : 0;
            out[k] = (want){ t, SELL, pos, bull, bear, conf, NULL };
            why = rs;
            nwhy = bear;
        }
        if (why) {
            reasons[k][0] = '\0';
            for (int i = 0; i < nwhy; i++) {
                if (i)
                    strcat(reasons[k], "; ");
                strcat(reasons[k], why[i]);
            }
            out[k].reasons = reasons[k];
            k++;
        }
    }
    free(buf);
    return k;
}

static int gen_bars(unsigned index, size_t nbars, tr_bars *out)
{
    tr_gen_opts o = { 11, nbars, TR_GEN_1D, T0 };
    tr_bars_init(out);
    return tr_gen_series(&o, index, out) == TR_OK;
}

static void test_reference(void)
{
    static want w[MAXREC];
    static char reasons[MAXREC][160];
    tr_bars s;
    if (!CHECK(gen_bars(2, 5000, &s))) /* defaults buy twice here */
        return;
    typedef struct pset {
        double rsi, lo, hi, f, sl, g, bb, k, adxn, adxt, minc, as;
        size_t least; /* at least this many signals */
    } pset;
    static const pset sets[] = {
        { 14, 30, 70, 12, 26, 9, 20, 2, 14, 25, 0.75, 0, 1 },
        { 14, 30, 70, 12, 26, 9, 20, 2, 14, 25, 0.5, 1, 20 },
        { 14, 30, 70, 12, 26, 9, 20, 2, 14, 25, 0.25, 0, 20 },
        { 5, 35, 65, 3, 10, 4, 10, 1.5, 7, 20, 0.5, 0, 20 },
        { 2, 30, 70, 2, 3, 2, 3, 1, 2, 25, 0.75, 1, 10 },
        { 9, 40, 60, 5, 35, 5, 15, 1, 10, 30, 0, 1, 20 },
    };
    for (size_t q = 0; q < NW(sets); q++) {
        const pset *z = &sets[q];
        double p[P_COUNT] = { z->rsi, z->lo, z->hi, z->f,    z->sl,   z->g,
                              z->bb,  z->k,  z->adxn, z->adxt, z->minc, z->as };
        size_t n = reference(&s, p, w, reasons, MAXREC);
        run r;
        if (!run_open(&r, p, 1, 1))
            continue;
        for (size_t i = 0; i < s.n; i++)
            run_bar(&r, 0, &s.v[i]);
        size_t bad = 0;
        for (size_t i = 0; i < n && i < r.f->n; i++) {
            const tr_signal *g = &r.f->r[i].sig;
            int ok = r.f->r[i].bar == w[i].bar && g->action == w[i].action &&
                     g->target == w[i].target && g->votes_bull == w[i].bull &&
                     g->votes_bear == w[i].bear &&
                     g->confidence == w[i].confidence &&
                     strcmp(g->reasons, w[i].reasons) == 0 &&
                     g->time == s.v[w[i].bar].time;
            if (!ok && bad++ == 0)
                fprintf(stderr, "set %zu signal %zu: bar %zu \"%s\", "
                                "reference bar %zu \"%s\"\n",
                        q, i, r.f->r[i].bar, g->reasons, w[i].bar,
                        w[i].reasons);
        }
        CHECK_MSG(r.f->n == n && bad == 0 && n >= z->least,
                  "parameter set %zu: %zu signals, reference %zu, %zu differ",
                  q, r.f->n, n, bad);
        run_close(&r);
    }
    tr_bars_free(&s);
}

/* ---- symbols and determinism ------------------------------------------------ */

static int same_signal(const rec *a, const rec *b)
{
    const tr_signal *x = &a->sig, *y = &b->sig;
    return a->bar == b->bar && x->sym == y->sym && x->time == y->time &&
           x->action == y->action && x->target == y->target &&
           x->confidence == y->confidence && x->votes_bull == y->votes_bull &&
           x->votes_bear == y->votes_bear &&
           strcmp(x->reasons, y->reasons) == 0;
}

static void test_symbols(void)
{
    enum { NS = 3, NB = 2000 };
    tr_bars s[NS];
    for (unsigned i = 0; i < NS; i++)
        if (!CHECK(gen_bars(20 + i, NB, &s[i])))
            return;
    double p[P_COUNT];
    params_of(p, "min_confidence", 0.5, "allow_short", 1.0, NULL);
    run all, again;
    if (!run_open(&all, p, NS, 1))
        return;
    if (!run_open(&again, p, NS, 1)) {
        run_close(&all);
        return;
    }
    for (size_t i = 0; i < NB; i++)
        for (tr_sym j = 0; j < NS; j++) {
            run_bar(&all, j, &s[j].v[i]);
            run_bar(&again, j, &s[j].v[i]);
        }
    int same = all.f->n == again.f->n && all.f->n > 0;
    for (size_t i = 0; same && i < all.f->n; i++)
        same = same_signal(&all.f->r[i], &again.f->r[i]);
    CHECK_MSG(same, "same inputs, same signals");

    for (tr_sym j = 0; j < NS; j++) {
        run one;
        if (!run_open(&one, p, NS, 1))
            continue;
        for (size_t i = 0; i < NB; i++)
            run_bar(&one, j, &s[j].v[i]);
        size_t k = 0, bad = 0;
        for (size_t i = 0; i < all.f->n; i++) {
            if (all.f->r[i].sig.sym != j)
                continue;
            if (k >= one.f->n || !same_signal(&all.f->r[i], &one.f->r[k]))
                bad++;
            k++;
        }
        CHECK_MSG(k == one.f->n && bad == 0 && k >= 5,
                  "symbol %u: %zu signals interleaved, %zu alone, %zu differ",
                  (unsigned)j, k, one.f->n, bad);
        run_close(&one);
    }
    run_close(&all);
    run_close(&again);
    for (unsigned i = 0; i < NS; i++)
        tr_bars_free(&s[i]);
}

int main(void)
{
    DEF = tr_strategy_find("consensus");
    if (!CHECK(DEF != NULL))
        return test_summary();
    test_params();
    test_trend_voters();
    test_all_voters();
    test_reference();
    test_symbols();
    return test_summary();
}
