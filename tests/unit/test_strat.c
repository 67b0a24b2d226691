/* test_strat.c: the built-in strategies (except consensus, see
 * test_strat_consensus.c) and the registry.
 *
 * A fake context plays the engine: it answers positions from an array and
 * records every signal with the index of the bar it was emitted on; in
 * "broker" mode it also sets the position to the signal's target at once
 * (as a fill before the next bar would). Hand-made price tapes, with the
 * indicator values worked out in the comments, pin the exact bar of every
 * signal; generated series check the rules against plain reference
 * implementations, multi-symbol independence and determinism. */
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
#include "ind/ma.h"
#include "ind/spec.h"
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

static fake *fake_new(int broker)
{
    fake *f = calloc(1, sizeof *f);
    if (!f) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    f->broker = broker;
    return f;
}

/* Parameters: the defaults, then name/value pairs ending with NULL. */
static void params_of(const tr_strategy_def *def, double *p, ...)
{
    for (size_t i = 0; i < def->nparams; i++)
        p[i] = def->params[i].def;
    va_list ap;
    va_start(ap, p);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        double v = va_arg(ap, double);
        size_t i = 0;
        while (i < def->nparams && strcmp(def->params[i].name, name) != 0)
            i++;
        if (CHECK_MSG(i < def->nparams, "%s has a parameter %s", def->name,
                      name))
            p[i] = v;
    }
    va_end(ap);
}

static int run_open(run *r, const char *name, const double *params,
                    size_t nsyms, int broker)
{
    memset(r, 0, sizeof *r);
    r->def = tr_strategy_find(name);
    if (!CHECK_MSG(r->def != NULL, "strategy %s exists", name))
        return 0;
    char err[256] = "";
    int rc = r->def->create(params, nsyms, &r->st, err, sizeof err);
    if (!CHECK_MSG(rc == TR_OK, "create %s: %s", name, err))
        return 0;
    r->f = fake_new(broker);
    r->ctx.engine = r->f;
    r->ctx.position = fake_position;
    r->ctx.emit = fake_emit;
    r->ctx.strategy_name = name;
    return 1;
}

static void run_bar(run *r, tr_sym sym, const tr_bar *b)
{
    r->def->on_bar(r->st, &r->ctx, sym, b);
    r->f->bar[sym]++;
}

static void run_close(run *r)
{
    if (r->def && r->st)
        r->def->destroy(r->st);
    free(r->f);
    memset(r, 0, sizeof *r);
}

#define T0 INT64_C(1704153600000000000) /* 2024-01-02 */
#define DAY INT64_C(86400000000000)

static tr_fx fx(double v)
{
    tr_fx x = 0;
    if (tr_fx_from_double(v, &x) != TR_OK)
        fprintf(stderr, "bad price %g\n", v);
    return x;
}

static tr_bar bar_hlc(size_t i, double h, double l, double c)
{
    tr_bar b = { T0 + (tr_time)i * DAY, fx(c), fx(h), fx(l), fx(c),
                 fx(1000) };
    return b;
}

/* Feed closes (open = high = low = close) to symbol 0. */
static void feed_closes(run *r, const double *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tr_bar b = bar_hlc(i, c[i], c[i], c[i]);
        run_bar(r, 0, &b);
    }
}

typedef struct want {
    size_t bar;
    tr_action action;
    int target;
} want;

/* The recorded signals are exactly w[0..n) (symbol 0), in order. */
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
        CHECK_MSG(s->time == T0 + (tr_time)f->r[i].bar * DAY,
                  "%s: signal %zu carries its bar's time", what, i);
    }
}

#define NW(a) (sizeof(a) / sizeof((a)[0]))
#define BUY TR_SIGNAL_BUY
#define SELL TR_SIGNAL_SELL

/* ---- registry and helpers ------------------------------------------------ */

static const char *const NAMES[] = {
    "sma_cross", "ema_cross", "macd_cross", "rsi_reversion",
    "bollinger_reversion", "momentum", "breakout", "consensus",
};

static void test_registry(void)
{
    size_t n = 0;
    const tr_strategy_def *const *list = tr_strategy_list(&n);
    CHECK_EQ_I64(n, NW(NAMES));
    CHECK(tr_strategy_list(NULL) == list);
    for (size_t i = 0; i < NW(NAMES); i++) {
        const tr_strategy_def *d = tr_strategy_find(NAMES[i]);
        if (!CHECK_MSG(d != NULL, "%s found", NAMES[i]))
            continue;
        CHECK_STR(d->name, NAMES[i]);
        CHECK(i < n && list[i] == d);
        CHECK_MSG(d->summary && d->summary[0], "%s has a summary", d->name);
        CHECK(d->create && d->on_bar && d->destroy && d->plot);
        CHECK(d->nparams >= 1 && d->nparams <= TR_STRAT_MAX_PARAMS);
        for (size_t j = 0; j < d->nparams; j++) {
            const tr_param_def *p = &d->params[j];
            CHECK_MSG(p->def >= p->min && p->def <= p->max && p->help,
                      "%s.%s: default in range, help", d->name, p->name);
            for (size_t k = 0; k < j; k++)
                CHECK_MSG(strcmp(p->name, d->params[k].name) != 0,
                          "%s.%s unique", d->name, p->name);
        }
        /* Defaults make a working strategy, for any number of symbols. */
        double p[TR_STRAT_MAX_PARAMS];
        params_of(d, p, NULL);
        for (size_t nsyms = 0; nsyms <= 3; nsyms += 3) {
            void *st = NULL;
            char err[128] = "";
            CHECK_MSG(d->create(p, nsyms, &st, err, sizeof err) == TR_OK,
                      "%s with defaults: %s", d->name, err);
            d->destroy(st);
        }
        d->destroy(NULL);
    }
    CHECK(tr_strategy_find("nope") == NULL);
    CHECK(tr_strategy_find("SMA_CROSS") == NULL);
    CHECK(tr_strategy_find("") == NULL);
    CHECK(tr_strategy_find(NULL) == NULL);
}

static void test_signal_helpers(void)
{
    CHECK_STR(tr_action_name(TR_SIGNAL_BUY), "buy");
    CHECK_STR(tr_action_name(TR_SIGNAL_SELL), "sell");
    CHECK_STR(tr_action_name(TR_HOLD), "hold");
    CHECK_STR(tr_action_name((tr_action)7), "unknown");

    tr_strat_ctx ctx = { NULL, NULL, NULL, "sma_cross" };
    tr_bar b = bar_hlc(3, 11, 9, 10);
    tr_signal s = tr_strat_signal(&ctx, 2, &b, TR_SIGNAL_BUY);
    CHECK_EQ_I64(s.sym, 2);
    CHECK_EQ_I64(s.time, b.time);
    CHECK(s.action == TR_SIGNAL_BUY);
    CHECK_EQ_I64(s.target, 1);
    CHECK(s.confidence == 1.0);
    CHECK(s.qty == 0 && s.stop == 0 && s.take_profit == 0);
    CHECK(s.votes_bull == 0 && s.votes_bear == 0);
    CHECK_STR(s.strategy, "sma_cross");
    CHECK_STR(s.reasons, "");
    s = tr_strat_signal(&ctx, 0, &b, TR_SIGNAL_SELL);
    CHECK_EQ_I64(s.target, -1);
    s = tr_strat_signal(&ctx, 0, &b, TR_HOLD);
    CHECK_EQ_I64(s.target, 0);

    ctx.strategy_name = "a_strategy_name_much_longer_than_the_field";
    s = tr_strat_signal(&ctx, 0, &b, TR_SIGNAL_BUY);
    CHECK_EQ_I64(strlen(s.strategy), sizeof s.strategy - 1);
    CHECK(strncmp(s.strategy, ctx.strategy_name, sizeof s.strategy - 1) == 0);
    ctx.strategy_name = NULL;
    s = tr_strat_signal(&ctx, 0, &b, TR_SIGNAL_BUY);
    CHECK_STR(s.strategy, "");
}

/* ---- parameter validation -------------------------------------------------- */

/* create(name, params) fails with rc and exactly this message, and leaves
 * the state pointer alone. */
static void check_create_fails(const char *name, const double *p,
                               size_t nsyms, int rc, const char *msg)
{
    const tr_strategy_def *d = tr_strategy_find(name);
    if (!CHECK(d != NULL))
        return;
    char err[256] = "";
    void *sentinel = &err, *st = sentinel;
    int got = d->create(p, nsyms, &st, err, sizeof err);
    CHECK_MSG(got == rc, "%s: rc %d, expected %d (%s)", name, got, rc, err);
    CHECK_STR(err, msg);
    CHECK(st == sentinel);
    if (got == TR_OK)
        d->destroy(st);
    /* A short or absent message buffer is fine. */
    char small[8];
    st = sentinel;
    CHECK(d->create(p, nsyms, &st, small, sizeof small) == rc);
    CHECK(strlen(small) < sizeof small);
    CHECK(d->create(p, nsyms, &st, NULL, 0) == rc);
    CHECK(st == sentinel);
}

static void test_validation(void)
{
    const tr_strategy_def *d;
    double p[TR_STRAT_MAX_PARAMS];

    d = tr_strategy_find("sma_cross");
    params_of(d, p, "fast", 30.0, "slow", 10.0, NULL);
    check_create_fails("sma_cross", p, 1, TR_ERR_INVALID,
                       "sma_cross: fast (30) must be less than slow (10)");
    params_of(d, p, "fast", 10.0, "slow", 10.0, NULL);
    check_create_fails("sma_cross", p, 1, TR_ERR_INVALID,
                       "sma_cross: fast (10) must be less than slow (10)");
    params_of(d, p, "fast", 0.0, NULL);
    check_create_fails("sma_cross", p, 1, TR_ERR_INVALID,
                       "sma_cross: fast must be a whole number in "
                       "[1, 100000], got 0");
    params_of(d, p, "fast", 2.5, NULL);
    check_create_fails("sma_cross", p, 1, TR_ERR_INVALID,
                       "sma_cross: fast must be a whole number in "
                       "[1, 100000], got 2.5");
    params_of(d, p, "slow", 1e6, NULL);
    check_create_fails("sma_cross", p, 1, TR_ERR_INVALID,
                       "sma_cross: slow must be a whole number in "
                       "[2, 100000], got 1000000");
    params_of(d, p, "allow_short", 2.0, NULL);
    check_create_fails("sma_cross", p, 1, TR_ERR_INVALID,
                       "sma_cross: allow_short must be true or false, got 2");
    params_of(d, p, "slow", NAN, NULL);
    check_create_fails("sma_cross", p, 1, TR_ERR_INVALID,
                       "sma_cross: slow must be a whole number in "
                       "[2, 100000], got nan");

    d = tr_strategy_find("ema_cross");
    params_of(d, p, "fast", 26.0, "slow", 12.0, NULL);
    check_create_fails("ema_cross", p, 1, TR_ERR_INVALID,
                       "ema_cross: fast (26) must be less than slow (12)");

    d = tr_strategy_find("macd_cross");
    params_of(d, p, "fast", 26.0, "slow", 12.0, NULL);
    check_create_fails("macd_cross", p, 1, TR_ERR_INVALID,
                       "macd_cross: fast (26) must be less than slow (12)");
    params_of(d, p, "signal", 0.0, NULL);
    check_create_fails("macd_cross", p, 1, TR_ERR_INVALID,
                       "macd_cross: signal must be a whole number in "
                       "[1, 100000], got 0");

    d = tr_strategy_find("rsi_reversion");
    params_of(d, p, "lower", 70.0, "upper", 30.0, NULL);
    check_create_fails("rsi_reversion", p, 1, TR_ERR_INVALID,
                       "rsi_reversion: lower (70) must be less than upper "
                       "(30)");
    params_of(d, p, "lower", 50.0, "upper", 50.0, NULL);
    check_create_fails("rsi_reversion", p, 1, TR_ERR_INVALID,
                       "rsi_reversion: lower (50) must be less than upper "
                       "(50)");
    params_of(d, p, "upper", 100.5, NULL);
    check_create_fails("rsi_reversion", p, 1, TR_ERR_INVALID,
                       "rsi_reversion: upper must be a number in [0, 100], "
                       "got 100.5");

    d = tr_strategy_find("bollinger_reversion");
    params_of(d, p, "k", -1.0, NULL);
    check_create_fails("bollinger_reversion", p, 1, TR_ERR_INVALID,
                       "bollinger_reversion: k must be a number in [0, 100], "
                       "got -1");

    d = tr_strategy_find("momentum");
    params_of(d, p, "lookback", 0.0, NULL);
    check_create_fails("momentum", p, 1, TR_ERR_INVALID,
                       "momentum: lookback must be a whole number in "
                       "[1, 100000], got 0");
    params_of(d, p, "threshold", -1.0, NULL);
    check_create_fails("momentum", p, 1, TR_ERR_INVALID,
                       "momentum: threshold must be a number in [0, 1000], "
                       "got -1");

    d = tr_strategy_find("breakout");
    params_of(d, p, "exit", 0.0, NULL);
    check_create_fails("breakout", p, 1, TR_ERR_INVALID,
                       "breakout: exit must be a whole number in "
                       "[1, 100000], got 0");

    /* An impossible number of instruments is a clean out-of-memory. */
    for (size_t i = 0; i < NW(NAMES); i++) {
        d = tr_strategy_find(NAMES[i]);
        params_of(d, p, NULL);
        char msg[64];
        snprintf(msg, sizeof msg, "%s: out of memory", NAMES[i]);
        check_create_fails(NAMES[i], p, SIZE_MAX, TR_ERR_NOMEM, msg);
    }
}

/* ---- plot ---------------------------------------------------------------- */

static void check_plot(const char *name, const double *p, const char *want_)
{
    const tr_strategy_def *d = tr_strategy_find(name);
    char buf[256];
    memset(buf, 'x', sizeof buf);
    d->plot(p, buf, sizeof buf);
    CHECK_STR(buf, want_);
    /* Every spec it names is one the indicator parser accepts, in
     * canonical form. */
    char copy[256];
    snprintf(copy, sizeof copy, "%s", buf);
    for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        tr_ind *ind = NULL;
        char err[128] = "";
        if (CHECK_MSG(tr_ind_parse(tok, &ind, err, sizeof err) == TR_OK,
                      "%s plot spec %s: %s", name, tok, err)) {
            CHECK_STR(tr_ind_spec(ind), tok);
            tr_ind_free(ind);
        }
    }
    char tiny[4];
    d->plot(p, tiny, sizeof tiny); /* truncates, terminated */
    CHECK(strlen(tiny) < sizeof tiny);
}

static void test_plot(void)
{
    double p[TR_STRAT_MAX_PARAMS];
    const tr_strategy_def *d;

    d = tr_strategy_find("sma_cross");
    params_of(d, p, NULL);
    check_plot("sma_cross", p, "sma:10 sma:30");
    params_of(d, p, "fast", 5.0, "slow", 200.0, NULL);
    check_plot("sma_cross", p, "sma:5 sma:200");
    d = tr_strategy_find("ema_cross");
    params_of(d, p, NULL);
    check_plot("ema_cross", p, "ema:12 ema:26");
    d = tr_strategy_find("macd_cross");
    params_of(d, p, NULL);
    check_plot("macd_cross", p, "macd:12:26:9");
    d = tr_strategy_find("rsi_reversion");
    params_of(d, p, NULL);
    check_plot("rsi_reversion", p, "rsi:14");
    d = tr_strategy_find("bollinger_reversion");
    params_of(d, p, NULL);
    check_plot("bollinger_reversion", p, "bbands:20:2");
    params_of(d, p, "period", 10.0, "k", 1.5, NULL);
    check_plot("bollinger_reversion", p, "bbands:10:1.5");
    d = tr_strategy_find("momentum");
    params_of(d, p, NULL);
    check_plot("momentum", p, "roc:20");
    d = tr_strategy_find("breakout");
    params_of(d, p, NULL);
    check_plot("breakout", p, "");
    d = tr_strategy_find("consensus");
    params_of(d, p, NULL);
    check_plot("consensus", p,
               "rsi:14 macd:12:26:9 bbands:20:2 adx:14 plus_di:14 "
               "minus_di:14");
}

/* ---- sma_cross ------------------------------------------------------------
 * SMA(2) against SMA(4); d = fast - slow. SMA(4) exists from bar 3.
 *   bar  close  SMA2   SMA4   d      what
 *    0    10     -      -            warm-up
 *    1    10    10      -            warm-up
 *    2    10    10      -            warm-up
 *    3    10    10     10     0      tie: nothing to initialise
 *    4    12    11     10.5  +0.5    first sign: initialises, no cross
 *    5     8    10     10     0      tie
 *    6    12    10     10.5  -0.5    cross DOWN (against the + before the tie)
 *    7    14    13     11.5  +1.5    cross UP
 *    8    10    12     11    +1
 *    9     9     9.5   11.25 -1.75   cross DOWN
 *   10    11    10     11    -1
 *   11     8     9.5    9.5   0      tie
 *   12     9     8.5    9.25 -0.75   same side as before the tie: no cross
 *   13    13    11     10.25 +0.75   cross UP */
static const double SMA_TAPE[] = { 10, 10, 10, 10, 12, 8, 12,
                                   14, 10, 9,  11, 8, 9,  13 };

static void test_sma_cross(void)
{
    const tr_strategy_def *d = tr_strategy_find("sma_cross");
    double p[TR_STRAT_MAX_PARAMS];
    run r;

    /* Long only, the broker fills every signal. */
    params_of(d, p, "fast", 2.0, "slow", 4.0, NULL);
    if (run_open(&r, "sma_cross", p, 1, 1)) {
        feed_closes(&r, SMA_TAPE, NW(SMA_TAPE));
        want w[] = { { 7, BUY, 1 }, { 9, SELL, 0 }, { 13, BUY, 1 } };
        check_signals(r.f, w, NW(w), "sma_cross long only");
        CHECK_STR(r.f->r[0].sig.reasons, "SMA(2) crossed above SMA(4)");
        CHECK_STR(r.f->r[1].sig.reasons, "SMA(2) crossed below SMA(4)");
        CHECK_STR(r.f->r[0].sig.strategy, "sma_cross");
        CHECK(r.f->r[0].sig.confidence == 1.0);
        CHECK(r.f->r[0].sig.votes_bull == 0 && r.f->r[0].sig.votes_bear == 0);
        run_close(&r);
    }

    /* allow_short: the cross down at 6 goes short from flat; crosses up
     * and down then reverse. */
    params_of(d, p, "fast", 2.0, "slow", 4.0, "allow_short", 1.0, NULL);
    if (run_open(&r, "sma_cross", p, 1, 1)) {
        feed_closes(&r, SMA_TAPE, NW(SMA_TAPE));
        want w[] = { { 6, SELL, -1 }, { 7, BUY, 1 }, { 9, SELL, -1 },
                     { 13, BUY, 1 } };
        check_signals(r.f, w, NW(w), "sma_cross allow_short");
        run_close(&r);
    }

    /* No fills: the position stays flat, so every cross up buys again and
     * no cross down has a long to exit. */
    params_of(d, p, "fast", 2.0, "slow", 4.0, NULL);
    if (run_open(&r, "sma_cross", p, 1, 0)) {
        feed_closes(&r, SMA_TAPE, NW(SMA_TAPE));
        want w[] = { { 7, BUY, 1 }, { 13, BUY, 1 } };
        check_signals(r.f, w, NW(w), "sma_cross flat throughout");
        run_close(&r);
    }

    /* Already long throughout: crosses up are ignored, crosses down exit. */
    if (run_open(&r, "sma_cross", p, 1, 0)) {
        r.f->pos[0] = 5 * TR_FX_ONE;
        feed_closes(&r, SMA_TAPE, NW(SMA_TAPE));
        want w[] = { { 6, SELL, 0 }, { 9, SELL, 0 } };
        check_signals(r.f, w, NW(w), "sma_cross long throughout");
        run_close(&r);
    }

    /* Short throughout (someone else's short): a cross up buys (reverses),
     * a cross down does nothing, with or without allow_short. */
    for (int as = 0; as <= 1; as++) {
        params_of(d, p, "fast", 2.0, "slow", 4.0, "allow_short", (double)as,
                  NULL);
        if (run_open(&r, "sma_cross", p, 1, 0)) {
            r.f->pos[0] = -5 * TR_FX_ONE;
            feed_closes(&r, SMA_TAPE, NW(SMA_TAPE));
            want w[] = { { 7, BUY, 1 }, { 13, BUY, 1 } };
            check_signals(r.f, w, NW(w), "sma_cross short throughout");
            run_close(&r);
        }
    }

    /* When the first ready bar already has a sign, the next change of sign
     * is a cross: bar 3 SMA2 9 < SMA4 9.5 initialises (-), bar 4 SMA2 11 >
     * SMA4 10.5 crosses up. The drop to 8 in warm-up decides nothing. */
    static const double b[] = { 10, 10, 10, 8, 14 };
    if (run_open(&r, "sma_cross", p, 1, 1)) {
        feed_closes(&r, b, NW(b));
        want w[] = { { 4, BUY, 1 } };
        check_signals(r.f, w, NW(w), "sma_cross first sign then cross");
        run_close(&r);
    }

    /* An exact tie the doubles miss: SMA(3) vs SMA(6), all signs negative
     * from bar 5 up to bar 11, where SMA3 = 30.56/3 and SMA6 = 61.12/6 are
     * both exactly 10.18666..., but the doubles sum/3 and sum/6 differ by
     * an ulp. Exactly it is a tie, so bar 11 is no cross and bar 12 (back
     * below) none either; bar 13 is the real cross up.
     *   bar   5     6     7     8     9     10    11    12    13
     *   close 10.2  10.11 10.35 10.10 10.27 10.08 10.21 10.00 10.60
     *   sign  -     -     -     -     -     -     0     -     + */
    static const double tie[] = { 10.5,  10.5,  10.5,  10.5,  10.5,
                                  10.2,  10.11, 10.35, 10.10, 10.27,
                                  10.08, 10.21, 10.00, 10.60 };
    params_of(d, p, "fast", 3.0, "slow", 6.0, NULL);
    if (run_open(&r, "sma_cross", p, 1, 1)) {
        feed_closes(&r, tie, NW(tie));
        want w[] = { { 13, BUY, 1 } };
        check_signals(r.f, w, NW(w), "sma_cross exact tie");
        run_close(&r);
    }
    {
        /* The tape is a real test: the double SMAs differ at bar 11. */
        double x[NW(tie)], s3[NW(tie)], s6[NW(tie)];
        for (size_t i = 0; i < NW(tie); i++)
            x[i] = tr_fx_to_double(fx(tie[i]));
        tr_ind_sma_batch(x, NW(tie), 3, s3);
        tr_ind_sma_batch(x, NW(tie), 6, s6);
        CHECK_MSG(s3[11] != s6[11], "double SMAs at the tie: %.17g %.17g",
                  s3[11], s6[11]);
    }
    params_of(d, p, "fast", 2.0, "slow", 4.0, NULL);

    /* Fewer bars than the slow window: never a signal. */
    static const double c[] = { 10, 20, 5 };
    if (run_open(&r, "sma_cross", p, 1, 1)) {
        feed_closes(&r, c, NW(c));
        CHECK_EQ_I64(r.f->n, 0);
        run_close(&r);
    }
}

/* ---- ema_cross ------------------------------------------------------------
 * EMA(2) (k = 2/3) against EMA(4) (k = 0.4), each seeded with the SMA of
 * its first n closes: EMA2 exists from bar 1, EMA4 from bar 3.
 *   bar close  EMA2                       EMA4                    d
 *    3   10    10                         10                      0 tie
 *    4   13    10 + 3*2/3 = 12            10 + 3*0.4 = 11.2       + init
 *    5    7    12 - 5*2/3 = 8.667         11.2 - 4.2*0.4 = 9.52   - cross down
 *    6   12    8.667 + 3.333*2/3 = 10.889 9.52 + 2.48*0.4 = 10.512 + cross up
 *    7   10    10.889 - 0.889*2/3 = 10.296 10.512 - 0.512*0.4 = 10.307 -
 *                                                             cross down */
static void test_ema_cross(void)
{
    static const double tape[] = { 10, 10, 10, 10, 13, 7, 12, 10 };
    const tr_strategy_def *d = tr_strategy_find("ema_cross");
    double p[TR_STRAT_MAX_PARAMS];
    run r;
    params_of(d, p, "fast", 2.0, "slow", 4.0, NULL);
    if (run_open(&r, "ema_cross", p, 1, 1)) {
        feed_closes(&r, tape, NW(tape));
        want w[] = { { 6, BUY, 1 }, { 7, SELL, 0 } };
        check_signals(r.f, w, NW(w), "ema_cross");
        CHECK_STR(r.f->r[0].sig.reasons, "EMA(2) crossed above EMA(4)");
        CHECK_STR(r.f->r[1].sig.reasons, "EMA(2) crossed below EMA(4)");
        run_close(&r);
    }
    params_of(d, p, "fast", 2.0, "slow", 4.0, "allow_short", 1.0, NULL);
    if (run_open(&r, "ema_cross", p, 1, 1)) {
        feed_closes(&r, tape, NW(tape));
        want w[] = { { 5, SELL, -1 }, { 6, BUY, 1 }, { 7, SELL, -1 } };
        check_signals(r.f, w, NW(w), "ema_cross allow_short");
        run_close(&r);
    }
}

/* ---- macd_cross -----------------------------------------------------------
 * MACD(2, 3, 2): both EMAs start at bar 2 (EMA2 seeded with the mean of
 * bars 1-2, EMA3 with bars 0-2); the signal EMA(2) of MACD is seeded with
 * the mean of the MACD of bars 2-3, so all exist from bar 3.
 *   bar close EMA2    EMA3    MACD     signal   MACD - signal
 *    3   10   10      10       0        0        0 tie
 *    4   16   14      13       1        0.667   +0.333 init
 *    5   10   11.333  11.5    -0.167    0.111   -0.278 cross down
 *    6   16   14.444  13.75    0.694    0.5     +0.194 cross up
 *    7   10   11.481  11.875  -0.394   -0.096   -0.298 cross down */
static void test_macd_cross(void)
{
    static const double tape[] = { 10, 10, 10, 10, 16, 10, 16, 10 };
    const tr_strategy_def *d = tr_strategy_find("macd_cross");
    double p[TR_STRAT_MAX_PARAMS];
    run r;
    params_of(d, p, "fast", 2.0, "slow", 3.0, "signal", 2.0, NULL);
    if (run_open(&r, "macd_cross", p, 1, 1)) {
        feed_closes(&r, tape, NW(tape));
        want w[] = { { 6, BUY, 1 }, { 7, SELL, 0 } };
        check_signals(r.f, w, NW(w), "macd_cross");
        CHECK_STR(r.f->r[0].sig.reasons,
                  "MACD(2,3,2) crossed above its signal line");
        CHECK_STR(r.f->r[1].sig.reasons,
                  "MACD(2,3,2) crossed below its signal line");
        run_close(&r);
    }
    params_of(d, p, "fast", 2.0, "slow", 3.0, "signal", 2.0, "allow_short",
              1.0, NULL);
    if (run_open(&r, "macd_cross", p, 1, 1)) {
        feed_closes(&r, tape, NW(tape));
        want w[] = { { 5, SELL, -1 }, { 6, BUY, 1 }, { 7, SELL, -1 } };
        check_signals(r.f, w, NW(w), "macd_cross allow_short");
        run_close(&r);
    }
}

/* ---- rsi_reversion --------------------------------------------------------
 * RSI(2), lower 30, upper 70. Wilder: the first averages (bar 2) are the
 * means of the first two changes, then avg = (avg + change) / 2.
 *   bar close change  gain     loss     RSI
 *    2   12    +1     1        0        100    flat: no short, nothing
 *    3    9    -3     0.5      1.5      25     < 30, flat: BUY
 *    4    8    -1     0.25     1.25     16.7   long already
 *    5   12    +4     2.125    0.625    77.3   > 70, long: SELL
 *    6   13    +1     1.5625   0.3125   83.3   flat
 *    7   10    -3     0.78125  1.65625  32.1   not below 30
 *    8    9    -1     0.390625 1.328125 22.7   < 30, flat: BUY */
static void test_rsi_reversion(void)
{
    static const double tape[] = { 10, 11, 12, 9, 8, 12, 13, 10, 9 };
    const tr_strategy_def *d = tr_strategy_find("rsi_reversion");
    double p[TR_STRAT_MAX_PARAMS];
    run r;
    params_of(d, p, "period", 2.0, NULL);
    if (run_open(&r, "rsi_reversion", p, 1, 1)) {
        feed_closes(&r, tape, NW(tape));
        want w[] = { { 3, BUY, 1 }, { 5, SELL, 0 }, { 8, BUY, 1 } };
        check_signals(r.f, w, NW(w), "rsi_reversion");
        CHECK_STR(r.f->r[0].sig.reasons, "RSI(2) 25.0 below 30");
        CHECK_STR(r.f->r[1].sig.reasons, "RSI(2) 77.3 above 70");
        run_close(&r);
    }
    /* Without fills it stays flat: buys at 3, 4 and 8, never sells. */
    if (run_open(&r, "rsi_reversion", p, 1, 0)) {
        feed_closes(&r, tape, NW(tape));
        want w[] = { { 3, BUY, 1 }, { 4, BUY, 1 }, { 8, BUY, 1 } };
        check_signals(r.f, w, NW(w), "rsi_reversion flat throughout");
        run_close(&r);
    }
    /* Short (not ours): long only, so neither buys nor sells. */
    if (run_open(&r, "rsi_reversion", p, 1, 0)) {
        r.f->pos[0] = -TR_FX_ONE;
        feed_closes(&r, tape, NW(tape));
        CHECK_EQ_I64(r.f->n, 0);
        run_close(&r);
    }
    /* The fall at bar 1 is in warm-up; the first RSI (bar 2: no gains,
     * losses 5 and 1) is 0 and buys on that very bar. */
    static const double t2[] = { 10, 5, 4 };
    if (run_open(&r, "rsi_reversion", p, 1, 1)) {
        for (size_t i = 0; i < NW(t2); i++) {
            CHECK_EQ_I64(r.f->n, 0); /* nothing before bar 2 */
            tr_bar b = bar_hlc(i, t2[i], t2[i], t2[i]);
            run_bar(&r, 0, &b);
        }
        want w[] = { { 2, BUY, 1 } };
        check_signals(r.f, w, NW(w), "rsi_reversion first ready bar");
        run_close(&r);
    }
}

/* ---- bollinger_reversion --------------------------------------------------
 * BBANDS(4, 1): middle = mean of the last 4 closes, bands +- 1 population
 * standard deviation.
 *   bar close window        middle  sd     lower   upper
 *    1    4   (warm-up: the drop decides nothing)
 *    3   10   10 4 10 10    8.5     2.598  5.902  11.098  inside
 *    4   10   4 10 10 10    8.5     2.598  5.902  11.098  inside
 *    5   10   10 10 10 10   10      0      10     10      not below
 *    6    6   10 10 10 6    9       1.732  7.268  10.732  flat: BUY
 *    7    8   10 10 6 8     8.5     1.658                 long, < middle
 *    8    8   10 6 8 8      8       1.414                 = middle: SELL 0
 *    9   16   6 8 8 16      9.5     3.841  5.659  13.341  flat, > upper:
 *                                                          SELL -1 (short)
 *   10   12   8 8 16 12     11      3.317                 short, > middle
 *   11   11   8 16 12 11    11.75   2.861  8.889  14.611  <= middle: BUY 0 */
static void test_bollinger(void)
{
    static const double tape[] = { 10, 4, 10, 10, 10, 10,
                                   6,  8, 8,  16, 12, 11 };
    const tr_strategy_def *d = tr_strategy_find("bollinger_reversion");
    double p[TR_STRAT_MAX_PARAMS];
    run r;
    params_of(d, p, "period", 4.0, "k", 1.0, NULL);
    if (run_open(&r, "bollinger_reversion", p, 1, 1)) {
        feed_closes(&r, tape, NW(tape));
        want w[] = { { 6, BUY, 1 }, { 8, SELL, 0 } };
        check_signals(r.f, w, NW(w), "bollinger long only");
        CHECK_STR(r.f->r[0].sig.reasons,
                  "close below lower Bollinger band (4, 1)");
        CHECK_STR(r.f->r[1].sig.reasons,
                  "close back at the middle band (SMA 4)");
        run_close(&r);
    }
    params_of(d, p, "period", 4.0, "k", 1.0, "allow_short", 1.0, NULL);
    if (run_open(&r, "bollinger_reversion", p, 1, 1)) {
        feed_closes(&r, tape, NW(tape));
        want w[] = { { 6, BUY, 1 }, { 8, SELL, 0 }, { 9, SELL, -1 },
                     { 11, BUY, 0 } };
        check_signals(r.f, w, NW(w), "bollinger allow_short");
        CHECK_STR(r.f->r[2].sig.reasons,
                  "close above upper Bollinger band (4, 1)");
        run_close(&r);
    }
    /* Long only ignores a short it did not open. */
    params_of(d, p, "period", 4.0, "k", 1.0, NULL);
    if (run_open(&r, "bollinger_reversion", p, 1, 0)) {
        r.f->pos[0] = -TR_FX_ONE;
        feed_closes(&r, tape, NW(tape));
        CHECK_EQ_I64(r.f->n, 0);
        run_close(&r);
    }
}

/* ---- momentum -------------------------------------------------------------
 * ROC(2) in percent, threshold 5.
 *   bar close  vs bar  ROC
 *    1   120    -       warm-up (a +20% move decides nothing)
 *    2   104    0      +4.00   not above 5
 *    3   130    1      +8.33   flat: BUY
 *    4   110    2      +5.77   long already
 *    5   120    3      -7.69   long: SELL 0
 *    6   114    4      +3.64
 *    7   125    5      +4.17
 *    8   121    6      +6.14   flat: BUY */
static void test_momentum(void)
{
    static const double tape[] = { 100, 120, 104, 130, 110,
                                   120, 114, 125, 121 };
    const tr_strategy_def *d = tr_strategy_find("momentum");
    double p[TR_STRAT_MAX_PARAMS];
    run r;
    params_of(d, p, "lookback", 2.0, "threshold", 5.0, NULL);
    if (run_open(&r, "momentum", p, 1, 1)) {
        feed_closes(&r, tape, NW(tape));
        want w[] = { { 3, BUY, 1 }, { 5, SELL, 0 }, { 8, BUY, 1 } };
        check_signals(r.f, w, NW(w), "momentum");
        CHECK_STR(r.f->r[0].sig.reasons, "ROC(2) +8.33% above 5%");
        CHECK_STR(r.f->r[1].sig.reasons, "ROC(2) -7.69% below -5%");
        run_close(&r);
    }
    /* Threshold 0: a ROC of exactly 0 is neither (bar 2), +1% buys (bar
     * 3), exactly 0 holds the long (bars 4 and 5), -1% exits (bar 6). */
    static const double t2[] = { 100, 100, 100, 101, 100, 101, 99 };
    params_of(d, p, "lookback", 2.0, NULL);
    if (run_open(&r, "momentum", p, 1, 1)) {
        feed_closes(&r, t2, NW(t2));
        want w[] = { { 3, BUY, 1 }, { 6, SELL, 0 } };
        check_signals(r.f, w, NW(w), "momentum threshold 0");
        run_close(&r);
    }
}

/* ---- breakout -------------------------------------------------------------
 * entry 3, exit 2; channels over the PREVIOUS bars only.
 *   bar  high  low   close  channel                          what
 *    0   10    9     9.5
 *    1   11    9    10
 *    2   12    9.5  12      only 2 previous bars            warm-up
 *    3   12   11    11.5    high of 0-2 = 12                 not above
 *    4   13   11    12.5    high of 1-3 = 12                 BUY (counting
 *                                          bar 4's own high 13 it would not)
 *    5   13   12    12.2    low of 3-4 = 11
 *    6   12.5 11.5  11.8    low of 4-5 = 11
 *    7   12   10    11.2    low of 5-6 = 11.5                SELL 0
 *    8   13   11    13      high of 5-7 = 13                 equal: no
 *    9   14   12    13.5    high of 6-8 = 13                 BUY */
static const double BRK[][3] = {
    { 10, 9, 9.5 },   { 11, 9, 10 },     { 12, 9.5, 12 },  { 12, 11, 11.5 },
    { 13, 11, 12.5 }, { 13, 12, 12.2 },  { 12.5, 11.5, 11.8 },
    { 12, 10, 11.2 }, { 13, 11, 13 },    { 14, 12, 13.5 },
};

static void test_breakout(void)
{
    const tr_strategy_def *d = tr_strategy_find("breakout");
    double p[TR_STRAT_MAX_PARAMS];
    run r;
    params_of(d, p, "entry", 3.0, "exit", 2.0, NULL);
    if (run_open(&r, "breakout", p, 1, 1)) {
        for (size_t i = 0; i < NW(BRK); i++) {
            tr_bar b = bar_hlc(i, BRK[i][0], BRK[i][1], BRK[i][2]);
            run_bar(&r, 0, &b);
        }
        want w[] = { { 4, BUY, 1 }, { 7, SELL, 0 }, { 9, BUY, 1 } };
        check_signals(r.f, w, NW(w), "breakout");
        CHECK_STR(r.f->r[0].sig.reasons, "close 12.5 above the 3-bar high 12");
        CHECK_STR(r.f->r[1].sig.reasons, "close 11.2 below the 2-bar low 11.5");
        run_close(&r);
    }
}

/* A plain O(n) reference of the breakout rule, fills at once. */
static size_t breakout_ref(const tr_bars *s, size_t entry, size_t exit_n,
                           want *out, size_t cap)
{
    size_t n = 0;
    int pos = 0;
    for (size_t t = 0; t < s->n; t++) {
        tr_fx c = s->v[t].close;
        if (pos == 0 && t >= entry) {
            tr_fx hh = s->v[t - entry].high;
            for (size_t j = t - entry; j < t; j++)
                hh = s->v[j].high > hh ? s->v[j].high : hh;
            if (c > hh && n < cap) {
                out[n++] = (want){ t, BUY, 1 };
                pos = 1;
            }
        } else if (pos > 0 && t >= exit_n) {
            tr_fx ll = s->v[t - exit_n].low;
            for (size_t j = t - exit_n; j < t; j++)
                ll = s->v[j].low < ll ? s->v[j].low : ll;
            if (c < ll && n < cap) {
                out[n++] = (want){ t, SELL, 0 };
                pos = 0;
            }
        }
    }
    return n;
}

static int gen_bars(unsigned index, size_t nbars, tr_bars *out)
{
    tr_gen_opts o = { 7, nbars, TR_GEN_1D, T0 };
    tr_bars_init(out);
    return tr_gen_series(&o, index, out) == TR_OK;
}

static void test_breakout_vs_reference(void)
{
    static const size_t cases[][2] = { { 20, 10 }, { 1, 1 }, { 5, 30 },
                                       { 55, 20 }, { 2, 1 } };
    static want w[MAXREC];
    tr_bars s;
    if (!CHECK(gen_bars(0, 3000, &s)))
        return;
    const tr_strategy_def *d = tr_strategy_find("breakout");
    for (size_t k = 0; k < NW(cases); k++) {
        double p[TR_STRAT_MAX_PARAMS];
        params_of(d, p, "entry", (double)cases[k][0], "exit",
                  (double)cases[k][1], NULL);
        size_t n = breakout_ref(&s, cases[k][0], cases[k][1], w, MAXREC);
        CHECK_MSG(n > 10, "breakout %zu/%zu: %zu reference signals",
                  cases[k][0], cases[k][1], n);
        run r;
        if (!run_open(&r, "breakout", p, 1, 1))
            continue;
        for (size_t i = 0; i < s.n; i++)
            run_bar(&r, 0, &s.v[i]);
        char what[64];
        snprintf(what, sizeof what, "breakout %zu/%zu vs reference",
                 cases[k][0], cases[k][1]);
        /* check_signals also checks times against T0 + i days, which the
         * generator does not follow; compare directly. */
        CHECK_MSG(r.f->n == n, "%s: %zu signals, expected %zu", what, r.f->n,
                  n);
        size_t bad = 0;
        for (size_t i = 0; i < n && i < r.f->n; i++)
            bad += r.f->r[i].bar != w[i].bar ||
                   r.f->r[i].sig.action != w[i].action ||
                   r.f->r[i].sig.target != w[i].target ||
                   r.f->r[i].sig.time != s.v[w[i].bar].time;
        CHECK_MSG(bad == 0, "%s: %zu signals differ", what, bad);
        run_close(&r);
    }
    tr_bars_free(&s);
}

/* ---- crossovers against a reference over generated data ------------------ */

/* The crossover rule written out plainly over the batch indicator values
 * (NAN in warm-up), fills at once. */
static size_t cross_ref(const double *a, const double *b, size_t len,
                        int allow_short, want *out, size_t cap)
{
    size_t n = 0;
    int last = 0, pos = 0;
    for (size_t t = 0; t < len; t++) {
        if (isnan(a[t]) || isnan(b[t]))
            continue;
        int s = a[t] > b[t] ? 1 : a[t] < b[t] ? -1 : 0;
        if (s == 0)
            continue;
        int cross = last != 0 && s != last;
        last = s;
        if (!cross || n == cap)
            continue;
        if (s > 0 && pos <= 0) {
            out[n++] = (want){ t, BUY, 1 };
            pos = 1;
        } else if (s < 0 && (allow_short ? pos >= 0 : pos > 0)) {
            pos = allow_short ? -1 : 0;
            out[n++] = (want){ t, SELL, pos };
        }
    }
    return n;
}

static void test_cross_vs_reference(void)
{
    static want w[MAXREC];
    static double a[4000], b[4000], h[4000], c[4000];
    tr_bars s;
    if (!CHECK(gen_bars(1, 4000, &s)))
        return;
    for (size_t i = 0; i < s.n; i++)
        c[i] = tr_fx_to_double(s.v[i].close);
    static const char *const kinds[] = { "sma_cross", "ema_cross",
                                         "macd_cross" };
    static const size_t periods[][3] = { { 10, 30, 9 }, { 2, 3, 2 },
                                         { 1, 5, 3 }, { 12, 26, 9 } };
    size_t float_wrong = 0;
    for (size_t k = 0; k < NW(kinds); k++) {
        const tr_strategy_def *d = tr_strategy_find(kinds[k]);
        for (size_t q = 0; q < NW(periods); q++) {
            size_t f = periods[q][0], sl = periods[q][1], g = periods[q][2];
            if (k == 0) {
                /* Exact: the sign of sum_f * slow - sum_s * fast over the
                 * fixed-point closes, each window summed afresh. */
                tr_ind_sma_batch(c, s.n, f, h);
                tr_ind_sma_batch(c, s.n, sl, b);
                for (size_t t = 0; t < s.n; t++) {
                    if (t + 1 < sl) {
                        a[t] = b[t] = NAN;
                        continue;
                    }
                    int64_t sf = 0, ss = 0;
                    for (size_t j = t + 1 - f; j <= t; j++)
                        sf += s.v[j].close;
                    for (size_t j = t + 1 - sl; j <= t; j++)
                        ss += s.v[j].close;
                    __int128 dd = (__int128)sf * (__int128)sl -
                                  (__int128)ss * (__int128)f;
                    a[t] = dd > 0 ? 1.0 : dd < 0 ? -1.0 : 0.0;
                    double fd = h[t] - b[t]; /* what doubles would say */
                    float_wrong += (fd > 0) - (fd < 0) != (int)a[t];
                    b[t] = 0.0;
                }
            } else if (k == 1) {
                tr_ind_ema_batch(c, s.n, f, a);
                tr_ind_ema_batch(c, s.n, sl, b);
            } else {
                tr_ind_macd_batch(c, s.n, f, sl, g, a, b, h);
            }
            for (int as = 0; as <= 1; as++) {
                double p[TR_STRAT_MAX_PARAMS];
                if (k == 2)
                    params_of(d, p, "fast", (double)f, "slow", (double)sl,
                              "signal", (double)g, "allow_short", (double)as,
                              NULL);
                else
                    params_of(d, p, "fast", (double)f, "slow", (double)sl,
                              "allow_short", (double)as, NULL);
                size_t n = cross_ref(a, b, s.n, as, w, MAXREC);
                run r;
                if (!run_open(&r, kinds[k], p, 1, 1))
                    continue;
                for (size_t i = 0; i < s.n; i++)
                    run_bar(&r, 0, &s.v[i]);
                size_t bad = 0;
                for (size_t i = 0; i < n && i < r.f->n; i++)
                    bad += r.f->r[i].bar != w[i].bar ||
                           r.f->r[i].sig.action != w[i].action ||
                           r.f->r[i].sig.target != w[i].target;
                CHECK_MSG(n > 20 && r.f->n == n && bad == 0,
                          "%s %zu/%zu/%zu short=%d: %zu signals, reference "
                          "%zu, %zu differ",
                          kinds[k], f, sl, g, as, r.f->n, n, bad);
                run_close(&r);
            }
        }
    }
    /* The series has bars where double SMAs get the sign of an exact tie
     * wrong, so the comparison above shows that sma_cross does not. */
    CHECK_MSG(float_wrong > 0, "%zu bars where double SMAs mislead",
              float_wrong);
    tr_bars_free(&s);
}

/* ---- every strategy: warm-up, symbols, determinism ------------------------ */

typedef struct scase {
    const char *name;
    const char *k1;
    double v1;
    const char *k2;
    double v2;
    size_t first; /* no signal before this bar */
} scase;

/* Small windows so that signals are plentiful; first = the earliest bar a
 * signal may come on (crossovers: one bar after the first ready bar). */
static const scase CASES[] = {
    { "sma_cross", "fast", 3, "slow", 7, 7 },
    { "sma_cross", "slow", 40, "allow_short", 1, 40 },
    { "ema_cross", "fast", 3, "slow", 8, 8 },
    { "ema_cross", "allow_short", 1, NULL, 0, 26 },
    { "macd_cross", "fast", 3, "slow", 6, 6 + 9 - 1 },
    { "macd_cross", "allow_short", 1, NULL, 0, 26 + 9 - 1 },
    { "rsi_reversion", "period", 5, NULL, 0, 5 },
    { "rsi_reversion", "lower", 40, "upper", 60, 14 },
    { "bollinger_reversion", "period", 10, "k", 1.5, 9 },
    { "bollinger_reversion", "allow_short", 1, "k", 1, 19 },
    { "momentum", "lookback", 5, "threshold", 1, 5 },
    { "momentum", NULL, 0, NULL, 0, 20 },
    { "breakout", "entry", 10, "exit", 5, 10 },
    { "breakout", NULL, 0, NULL, 0, 20 },
};

static int same_signal(const rec *a, const rec *b)
{
    const tr_signal *x = &a->sig, *y = &b->sig;
    return a->bar == b->bar && x->sym == y->sym && x->time == y->time &&
           x->action == y->action && x->target == y->target &&
           x->confidence == y->confidence && x->qty == y->qty &&
           x->stop == y->stop && x->take_profit == y->take_profit &&
           x->votes_bull == y->votes_bull && x->votes_bear == y->votes_bear &&
           strcmp(x->strategy, y->strategy) == 0 &&
           strcmp(x->reasons, y->reasons) == 0;
}

/* The signals of symbol sym in f, in order, into out. */
static size_t of_symbol(const fake *f, tr_sym sym, const rec **out)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->r[i].sig.sym == sym)
            out[n++] = &f->r[i];
    return n;
}

static void test_symbols_and_determinism(void)
{
    enum { NS = 3, NB = 1500 };
    tr_bars s[NS];
    for (unsigned i = 0; i < NS; i++)
        if (!CHECK(gen_bars(10 + i, NB, &s[i])))
            return;
    static const rec *ra[MAXREC], *rb[MAXREC];
    for (size_t k = 0; k < NW(CASES); k++) {
        const scase *c = &CASES[k];
        const tr_strategy_def *d = tr_strategy_find(c->name);
        double p[TR_STRAT_MAX_PARAMS];
        if (c->k1 && c->k2)
            params_of(d, p, c->k1, c->v1, c->k2, c->v2, NULL);
        else if (c->k1)
            params_of(d, p, c->k1, c->v1, NULL);
        else
            params_of(d, p, NULL);

        /* All symbols interleaved, twice. */
        run all, again;
        if (!run_open(&all, c->name, p, NS, 1))
            continue;
        if (!run_open(&again, c->name, p, NS, 1)) {
            run_close(&all);
            continue;
        }
        for (size_t i = 0; i < NB; i++)
            for (tr_sym j = 0; j < NS; j++) {
                run_bar(&all, j, &s[j].v[i]);
                run_bar(&again, j, &s[j].v[i]);
            }
        CHECK_MSG(all.f->overflow == 0, "%s: record overflow", c->name);
        size_t same = all.f->n == again.f->n;
        for (size_t i = 0; same && i < all.f->n; i++)
            same = same_signal(&all.f->r[i], &again.f->r[i]);
        CHECK_MSG(same, "case %zu %s: same inputs, same signals", k, c->name);

        for (tr_sym j = 0; j < NS; j++) {
            /* Symbol j alone, in a state built for all symbols. */
            run one;
            if (!run_open(&one, c->name, p, NS, 1))
                continue;
            for (size_t i = 0; i < NB; i++)
                run_bar(&one, j, &s[j].v[i]);
            size_t na = of_symbol(all.f, j, ra);
            size_t nb = of_symbol(one.f, j, rb);
            int eq = na == nb && nb == one.f->n;
            for (size_t i = 0; eq && i < na; i++)
                eq = same_signal(ra[i], rb[i]);
            CHECK_MSG(eq && na >= 3,
                      "case %zu %s symbol %u: %zu signals interleaved, %zu "
                      "alone",
                      k, c->name, (unsigned)j, na, nb);
            CHECK_MSG(nb == 0 || rb[0]->bar >= c->first,
                      "case %zu %s: first signal on bar %zu, warm-up ends at "
                      "%zu",
                      k, c->name, rb[0]->bar, c->first);
            for (size_t i = 0; i < nb; i++) {
                const tr_signal *g = &rb[i]->sig;
                CHECK_MSG(g->time == s[j].v[rb[i]->bar].time &&
                              g->sym == j && g->reasons[0] &&
                              strcmp(g->strategy, c->name) == 0,
                          "case %zu %s: signal fields", k, c->name);
            }
            run_close(&one);
        }
        run_close(&all);
        run_close(&again);
    }
    for (unsigned i = 0; i < NS; i++)
        tr_bars_free(&s[i]);
}

int main(void)
{
    test_registry();
    test_signal_helpers();
    test_validation();
    test_plot();
    test_sma_cross();
    test_ema_cross();
    test_macd_cross();
    test_rsi_reversion();
    test_bollinger();
    test_momentum();
    test_breakout();
    test_breakout_vs_reference();
    test_cross_vs_reference();
    test_symbols_and_determinism();
    return test_summary();
}
