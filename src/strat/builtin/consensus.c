/* consensus.c: the consensus strategy: four indicators vote on every bar
 * and a signal needs a clear majority.
 *
 * The voters, each bullish (+), bearish (-) or abstaining, in this order:
 *   RSI(rsi_period):     RSI < oversold +"RSI oversold",
 *                        RSI > overbought -"RSI overbought"
 *   MACD(f, s, g):       macd > signal +, macd < signal -, equal abstains;
 *                        the reason is "MACD bullish cross" / "MACD bearish
 *                        cross" on the bar the lines cross (the crossover
 *                        rule of DESIGN.md, tracked from the MACD's first
 *                        value), else "MACD above signal" / "MACD below
 *                        signal"
 *   BBANDS(bb_period, bb_k) on the close:
 *                        close < lower +"price below lower Bollinger band",
 *                        close > upper -"price above upper Bollinger band"
 *   ADX(adx_period):     only when ADX > adx_threshold: +DI > -DI
 *                        +"strong uptrend (ADX 31)", -DI > +DI
 *                        -"strong downtrend (ADX 31)" (ADX rounded)
 *
 * With bull and bear the numbers of votes of each side:
 *   confidence = |bull - bear| / 4            (0, 0.25, 0.5, 0.75 or 1)
 * i.e. the net majority as a share of all four voters, so an abstention
 * counts as much against a signal as an opposite vote does not help it.
 *   bull > bear, confidence >= min_confidence, flat or short
 *       -> BUY, target +1
 *   bear > bull, confidence >= min_confidence,
 *       allow_short: flat or long -> SELL, target -1
 *       otherwise:   long         -> SELL, target 0
 * A tie (bull == bear) never signals. The signal carries votes_bull,
 * votes_bear, the confidence, and the reasons of the votes on its own side,
 * in voter order, joined by "; ". Nothing is decided until all four
 * indicators have values. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fixed.h"
#include "ind/dmi.h"
#include "ind/ma.h"
#include "ind/momentum.h"
#include "ind/volatility.h"
#include "strat/builtin/builtin.h"

#define NVOTERS 4

enum {
    P_RSI_PERIOD = 0,
    P_OVERSOLD,
    P_OVERBOUGHT,
    P_MACD_FAST,
    P_MACD_SLOW,
    P_MACD_SIGNAL,
    P_BB_PERIOD,
    P_BB_K,
    P_ADX_PERIOD,
    P_ADX_THRESHOLD,
    P_MIN_CONFIDENCE,
    P_ALLOW_SHORT,
    P_COUNT
};

typedef struct cons_sym {
    tr_ind_rsi rsi;
    tr_ind_macd macd;
    tr_ind_bbands bb;
    tr_ind_adx adx;
    int macd_last; /* crossover state of macd - signal */
} cons_sym;

typedef struct cons_state {
    double oversold, overbought, adx_threshold, min_confidence;
    int allow_short;
    size_t nsyms;
    cons_sym sym[];
} cons_state;

static void cons_destroy(void *state)
{
    cons_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->nsyms; i++) {
        cons_sym *s = &st->sym[i];
        tr_ind_rsi_free(&s->rsi);
        tr_ind_macd_free(&s->macd);
        tr_ind_bbands_free(&s->bb);
        tr_ind_adx_free(&s->adx);
    }
    free(st);
}

static int cons_create(const double *params, size_t nsyms, void **state,
                       char *err, size_t errlen)
{
    const tr_strategy_def *def = &tr_strategy_consensus;
    const double *p = params;
    int rc = tr__strat_check_params(def, params, err, errlen);
    if (rc != TR_OK)
        return rc;
    if (!(p[P_OVERSOLD] < p[P_OVERBOUGHT])) {
        char a[40], b[40];
        tr__strat_fmt_num(p[P_OVERSOLD], a, sizeof a);
        tr__strat_fmt_num(p[P_OVERBOUGHT], b, sizeof b);
        return tr__strat_fail(err, errlen, def->name,
                              "oversold (%s) must be less than overbought (%s)",
                              a, b);
    }
    if (!(p[P_MACD_FAST] < p[P_MACD_SLOW]))
        return tr__strat_fail(err, errlen, def->name,
                              "macd_fast (%.0f) must be less than macd_slow "
                              "(%.0f)",
                              p[P_MACD_FAST], p[P_MACD_SLOW]);

    cons_state *st = tr__strat_alloc(sizeof *st, nsyms, sizeof st->sym[0]);
    if (!st)
        goto nomem;
    st->oversold = p[P_OVERSOLD];
    st->overbought = p[P_OVERBOUGHT];
    st->adx_threshold = p[P_ADX_THRESHOLD];
    st->min_confidence = p[P_MIN_CONFIDENCE];
    st->allow_short = p[P_ALLOW_SHORT] != 0.0;
    st->nsyms = nsyms;
    for (size_t i = 0; i < nsyms; i++) {
        cons_sym *s = &st->sym[i];
        rc = tr_ind_rsi_init(&s->rsi, (size_t)p[P_RSI_PERIOD]);
        if (rc == TR_OK)
            rc = tr_ind_macd_init(&s->macd, (size_t)p[P_MACD_FAST],
                                  (size_t)p[P_MACD_SLOW],
                                  (size_t)p[P_MACD_SIGNAL]);
        if (rc == TR_OK)
            rc = tr_ind_bbands_init(&s->bb, (size_t)p[P_BB_PERIOD], p[P_BB_K]);
        if (rc == TR_OK)
            rc = tr_ind_adx_init(&s->adx, (size_t)p[P_ADX_PERIOD]);
        if (rc != TR_OK) {
            cons_destroy(st);
            if (rc == TR_ERR_NOMEM)
                goto nomem;
            return tr__strat_fail(err, errlen, def->name,
                                  "invalid indicator parameters");
        }
    }
    *state = st;
    return TR_OK;
nomem:
    tr__strat_fail(err, errlen, def->name, "out of memory");
    return TR_ERR_NOMEM;
}

/* Append "; " (unless first) and text to buf[size] at *used; truncates. */
static void join(char *buf, size_t size, size_t *used, const char *text)
{
    const char *parts[2] = {*used ? "; " : "", text};
    for (int k = 0; k < 2; k++)
        for (const char *p = parts[k]; *p && *used + 1 < size; p++)
            buf[(*used)++] = *p;
    buf[*used] = '\0';
}

static void cons_on_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                        const tr_bar *bar)
{
    cons_state *st = state;
    assert(sym < st->nsyms);
    if (sym >= st->nsyms)
        return;
    cons_sym *s = &st->sym[sym];
    double c = tr_fx_to_double(bar->close);
    double h = tr_fx_to_double(bar->high), l = tr_fx_to_double(bar->low);

    double rsi = tr_ind_rsi_update(&s->rsi, c);
    tr_ind_macd_out m;
    tr_ind_macd_update(&s->macd, c, &m);
    tr_ind_bbands_out bb;
    tr_ind_bbands_update(&s->bb, c, &bb);
    tr_ind_adx_out adx;
    tr_ind_adx_update(&s->adx, h, l, c, &adx);

    int cross = 0;
    if (tr_ind_macd_ready(&s->macd))
        cross = tr__cross_update(&s->macd_last, m.macd - m.signal);
    if (!tr_ind_rsi_ready(&s->rsi) || !tr_ind_macd_ready(&s->macd) ||
        !tr_ind_bbands_ready(&s->bb) || !tr_ind_adx_ready(&s->adx))
        return;

    /* The votes: +1 bullish, -1 bearish, 0 abstain, in voter order. */
    int vote[NVOTERS] = { 0, 0, 0, 0 };
    if (rsi < st->oversold)
        vote[0] = 1;
    else if (rsi > st->overbought)
        vote[0] = -1;
    vote[1] = (m.macd > m.signal) - (m.macd < m.signal);
    if (c < bb.lower)
        vote[2] = 1;
    else if (c > bb.upper)
        vote[2] = -1;
    if (adx.adx > st->adx_threshold)
        vote[3] = (adx.plus_di > adx.minus_di) - (adx.plus_di < adx.minus_di);

    int bull = 0, bear = 0;
    for (int i = 0; i < NVOTERS; i++) {
        bull += vote[i] > 0;
        bear += vote[i] < 0;
    }
    if (bull == bear)
        return;
    int side = bull > bear ? 1 : -1;
    double confidence = (double)(side > 0 ? bull - bear : bear - bull) /
                        (double)NVOTERS;
    if (confidence < st->min_confidence)
        return;

    tr_fx pos = tr_strat_position(ctx, sym);
    tr_signal sig;
    if (side > 0) {
        if (pos > 0)
            return;
        sig = tr_strat_signal(ctx, sym, bar, TR_SIGNAL_BUY);
        sig.target = 1;
    } else {
        if (st->allow_short ? pos < 0 : pos <= 0)
            return;
        sig = tr_strat_signal(ctx, sym, bar, TR_SIGNAL_SELL);
        sig.target = st->allow_short ? -1 : 0;
    }
    sig.confidence = confidence;
    sig.votes_bull = bull;
    sig.votes_bear = bear;

    size_t used = 0;
    if (vote[0] == side)
        join(sig.reasons, sizeof sig.reasons, &used,
             side > 0 ? "RSI oversold" : "RSI overbought");
    if (vote[1] == side) {
        const char *r = side > 0 ? (cross > 0 ? "MACD bullish cross"
                                              : "MACD above signal")
                                 : (cross < 0 ? "MACD bearish cross"
                                              : "MACD below signal");
        join(sig.reasons, sizeof sig.reasons, &used, r);
    }
    if (vote[2] == side)
        join(sig.reasons, sizeof sig.reasons, &used,
             side > 0 ? "price below lower Bollinger band"
                      : "price above upper Bollinger band");
    if (vote[3] == side) {
        char r[48];
        snprintf(r, sizeof r, "strong %s (ADX %.0f)",
                 side > 0 ? "uptrend" : "downtrend", adx.adx);
        join(sig.reasons, sizeof sig.reasons, &used, r);
    }
    tr_strat_emit(ctx, &sig);
}

static void cons_save(const void *state, tr_enc *e)
{
    const cons_state *st = state;
    tr_enc_u64(e, st->nsyms);
    for (size_t i = 0; i < st->nsyms; i++) {
        const cons_sym *s = &st->sym[i];
        tr_ind_rsi_save(&s->rsi, e);
        tr_ind_macd_save(&s->macd, e);
        tr_ind_bbands_save(&s->bb, e);
        tr_ind_adx_save(&s->adx, e);
        tr_enc_i32(e, s->macd_last);
    }
}

static int cons_load(void *state, tr_dec *d)
{
    cons_state *st = state;
    if (!tr_dec_check(d, tr_dec_u64(d) == st->nsyms))
        return TR_ERR_DATA;
    for (size_t i = 0; i < st->nsyms && !tr_dec_error(d); i++) {
        cons_sym *s = &st->sym[i];
        tr_ind_rsi_load(&s->rsi, d);
        tr_ind_macd_load(&s->macd, d);
        tr_ind_bbands_load(&s->bb, d);
        tr_ind_adx_load(&s->adx, d);
        int32_t last = tr_dec_i32(d);
        tr_dec_check(d, last >= -1 && last <= 1);
        s->macd_last = last;
    }
    return tr_dec_error(d);
}

static void cons_plot(const double *p, char *buf, size_t size)
{
    char k[40];
    tr__strat_fmt_num(p[P_BB_K], k, sizeof k);
    snprintf(buf, size,
             "rsi:%.0f macd:%.0f:%.0f:%.0f bbands:%.0f:%s adx:%.0f "
             "plus_di:%.0f minus_di:%.0f",
             p[P_RSI_PERIOD], p[P_MACD_FAST], p[P_MACD_SLOW], p[P_MACD_SIGNAL],
             p[P_BB_PERIOD], k, p[P_ADX_PERIOD], p[P_ADX_PERIOD],
             p[P_ADX_PERIOD]);
}

#define MAXP TR__STRAT_MAX_PERIOD

static const tr_param_def cons_params[P_COUNT] = {
    [P_RSI_PERIOD] = { "rsi_period", TR_PARAM_INT, 14, 1, MAXP,
                       "bars of the RSI voter" },
    [P_OVERSOLD] = { "oversold", TR_PARAM_NUM, 30, 0, 100,
                     "RSI below this votes bullish (less than overbought)" },
    [P_OVERBOUGHT] = { "overbought", TR_PARAM_NUM, 70, 0, 100,
                       "RSI above this votes bearish" },
    [P_MACD_FAST] = { "macd_fast", TR_PARAM_INT, 12, 1, MAXP,
                      "MACD fast EMA (less than macd_slow)" },
    [P_MACD_SLOW] = { "macd_slow", TR_PARAM_INT, 26, 2, MAXP,
                      "MACD slow EMA" },
    [P_MACD_SIGNAL] = { "macd_signal", TR_PARAM_INT, 9, 1, MAXP,
                        "MACD signal line EMA" },
    [P_BB_PERIOD] = { "bb_period", TR_PARAM_INT, 20, 1, MAXP,
                      "bars of the Bollinger Bands" },
    [P_BB_K] = { "bb_k", TR_PARAM_NUM, 2, 0, 100,
                 "Bollinger band width in standard deviations" },
    [P_ADX_PERIOD] = { "adx_period", TR_PARAM_INT, 14, 1, MAXP,
                       "bars of the ADX and the DIs" },
    [P_ADX_THRESHOLD] = { "adx_threshold", TR_PARAM_NUM, 25, 0, 100,
                          "ADX above this lets the DIs vote" },
    [P_MIN_CONFIDENCE] = { "min_confidence", TR_PARAM_NUM, 0.5, 0, 1,
                           "least |bull - bear| / 4 for a signal" },
    [P_ALLOW_SHORT] = { "allow_short", TR_PARAM_BOOL, 0, 0, 1,
                        "sell short on a bearish consensus (else only exit)" },
};

const tr_strategy_def tr_strategy_consensus = {
    .name = "consensus",
    .summary = "RSI, MACD, Bollinger Bands and ADX vote; trade on a net "
               "majority of at least min_confidence",
    .params = cons_params,
    .nparams = P_COUNT,
    .create = cons_create,
    .on_bar = cons_on_bar,
    .on_fill = NULL,
    .destroy = cons_destroy,
    .plot = cons_plot,
    .save = cons_save,
    .load = cons_load,
};
