/* reversion.c: the mean-reversion strategies rsi_reversion and
 * bollinger_reversion.
 *
 * rsi_reversion (long only), once RSI(period) exists:
 *   flat and RSI < lower  -> BUY, target +1  ("RSI(14) 25.3 below 30")
 *   long and RSI > upper  -> SELL, target 0  ("RSI(14) 75.2 above 70")
 *
 * bollinger_reversion, once the bands BBANDS(period, k) exist, on the close:
 *   flat and close < lower band               -> BUY, target +1
 *   long and close >= middle band             -> SELL, target 0
 *   allow_short: flat and close > upper band  -> SELL, target -1
 *                short and close <= middle    -> BUY, target 0
 * The comparisons are strict at the outer bands and inclusive at the middle
 * (touching the mean completes the reversion). A short position with
 * allow_short off (someone else's) is left alone. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/fixed.h"
#include "ind/momentum.h"
#include "ind/volatility.h"
#include "strat/builtin/builtin.h"

/* ---- rsi_reversion ------------------------------------------------------- */

typedef struct rsi_state {
    size_t period, nsyms;
    double lower, upper;
    char lo_txt[40], hi_txt[40];
    tr_ind_rsi rsi[]; /* per instrument */
} rsi_state;

static void rsi_destroy(void *state)
{
    rsi_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->nsyms; i++)
        tr_ind_rsi_free(&st->rsi[i]);
    free(st);
}

static int rsi_create(const double *params, size_t nsyms, void **state,
                      char *err, size_t errlen)
{
    const tr_strategy_def *def = &tr_strategy_rsi_reversion;
    int rc = tr__strat_check_params(def, params, err, errlen);
    if (rc != TR_OK)
        return rc;
    char lo[40], hi[40];
    tr__strat_fmt_num(params[1], lo, sizeof lo);
    tr__strat_fmt_num(params[2], hi, sizeof hi);
    if (!(params[1] < params[2]))
        return tr__strat_fail(err, errlen, def->name,
                              "lower (%s) must be less than upper (%s)", lo,
                              hi);
    rsi_state *st = tr__strat_alloc(sizeof *st, nsyms, sizeof st->rsi[0]);
    if (!st) {
        tr__strat_fail(err, errlen, def->name, "out of memory");
        return TR_ERR_NOMEM;
    }
    st->period = (size_t)params[0];
    st->lower = params[1];
    st->upper = params[2];
    snprintf(st->lo_txt, sizeof st->lo_txt, "%s", lo);
    snprintf(st->hi_txt, sizeof st->hi_txt, "%s", hi);
    st->nsyms = nsyms;
    for (size_t i = 0; i < nsyms; i++) {
        rc = tr_ind_rsi_init(&st->rsi[i], st->period);
        if (rc != TR_OK) {
            rsi_destroy(st);
            return tr__strat_fail(err, errlen, def->name,
                                  "period: invalid RSI period");
        }
    }
    *state = st;
    return TR_OK;
}

static void rsi_on_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                       const tr_bar *bar)
{
    rsi_state *st = state;
    assert(sym < st->nsyms);
    if (sym >= st->nsyms)
        return;
    tr_ind_rsi *r = &st->rsi[sym];
    double v = tr_ind_rsi_update(r, tr_fx_to_double(bar->close));
    if (!tr_ind_rsi_ready(r))
        return;
    tr_fx pos = tr_strat_position(ctx, sym);
    if (pos == 0 && v < st->lower)
        tr__strat_emit(ctx, sym, bar, TR_SIGNAL_BUY, 1,
                       "RSI(%zu) %.1f below %s", st->period, v, st->lo_txt);
    else if (pos > 0 && v > st->upper)
        tr__strat_emit(ctx, sym, bar, TR_SIGNAL_SELL, 0,
                       "RSI(%zu) %.1f above %s", st->period, v, st->hi_txt);
}

static void rsi_save(const void *state, tr_enc *e)
{
    const rsi_state *st = state;
    tr_enc_u64(e, st->nsyms);
    for (size_t i = 0; i < st->nsyms; i++)
        tr_ind_rsi_save(&st->rsi[i], e);
}

static int rsi_load(void *state, tr_dec *d)
{
    rsi_state *st = state;
    if (!tr_dec_check(d, tr_dec_u64(d) == st->nsyms))
        return TR_ERR_DATA;
    for (size_t i = 0; i < st->nsyms && !tr_dec_error(d); i++)
        tr_ind_rsi_load(&st->rsi[i], d);
    return tr_dec_error(d);
}

static void rsi_plot(const double *params, char *buf, size_t size)
{
    snprintf(buf, size, "rsi:%.0f", params[0]);
}

static const tr_param_def rsi_params[] = {
    { "period", TR_PARAM_INT, 14, 1, TR__STRAT_MAX_PERIOD,
      "bars of the RSI (Wilder)" },
    { "lower", TR_PARAM_NUM, 30, 0, 100,
      "buy when flat and RSI is below this (less than upper)" },
    { "upper", TR_PARAM_NUM, 70, 0, 100,
      "exit a long when RSI is above this" },
};

const tr_strategy_def tr_strategy_rsi_reversion = {
    .name = "rsi_reversion",
    .summary = "long only: buy when RSI falls below lower, exit when it rises "
               "above upper",
    .params = rsi_params,
    .nparams = sizeof rsi_params / sizeof rsi_params[0],
    .create = rsi_create,
    .on_bar = rsi_on_bar,
    .on_fill = NULL,
    .destroy = rsi_destroy,
    .plot = rsi_plot,
    .save = rsi_save,
    .load = rsi_load,
};

/* ---- bollinger_reversion ------------------------------------------------- */

typedef struct bb_state {
    size_t period, nsyms;
    double k;
    int allow_short;
    char k_txt[40];
    tr_ind_bbands bb[]; /* per instrument */
} bb_state;

static void bb_destroy(void *state)
{
    bb_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->nsyms; i++)
        tr_ind_bbands_free(&st->bb[i]);
    free(st);
}

static int bb_create(const double *params, size_t nsyms, void **state,
                     char *err, size_t errlen)
{
    const tr_strategy_def *def = &tr_strategy_bollinger_reversion;
    int rc = tr__strat_check_params(def, params, err, errlen);
    if (rc != TR_OK)
        return rc;
    bb_state *st = tr__strat_alloc(sizeof *st, nsyms, sizeof st->bb[0]);
    if (!st) {
        tr__strat_fail(err, errlen, def->name, "out of memory");
        return TR_ERR_NOMEM;
    }
    st->period = (size_t)params[0];
    st->k = params[1];
    st->allow_short = params[2] != 0.0;
    tr__strat_fmt_num(st->k, st->k_txt, sizeof st->k_txt);
    st->nsyms = nsyms;
    for (size_t i = 0; i < nsyms; i++) {
        rc = tr_ind_bbands_init(&st->bb[i], st->period, st->k);
        if (rc != TR_OK) {
            bb_destroy(st);
            if (rc == TR_ERR_NOMEM) {
                tr__strat_fail(err, errlen, def->name, "out of memory");
                return TR_ERR_NOMEM;
            }
            return tr__strat_fail(err, errlen, def->name,
                                  "invalid Bollinger Band parameters");
        }
    }
    *state = st;
    return TR_OK;
}

static void bb_on_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                      const tr_bar *bar)
{
    bb_state *st = state;
    assert(sym < st->nsyms);
    if (sym >= st->nsyms)
        return;
    tr_ind_bbands *b = &st->bb[sym];
    double c = tr_fx_to_double(bar->close);
    tr_ind_bbands_out o;
    tr_ind_bbands_update(b, c, &o);
    if (!tr_ind_bbands_ready(b))
        return;
    tr_fx pos = tr_strat_position(ctx, sym);
    if (pos == 0) {
        if (c < o.lower)
            tr__strat_emit(ctx, sym, bar, TR_SIGNAL_BUY, 1,
                           "close below lower Bollinger band (%zu, %s)",
                           st->period, st->k_txt);
        else if (st->allow_short && c > o.upper)
            tr__strat_emit(ctx, sym, bar, TR_SIGNAL_SELL, -1,
                           "close above upper Bollinger band (%zu, %s)",
                           st->period, st->k_txt);
    } else if (pos > 0) {
        if (c >= o.middle)
            tr__strat_emit(ctx, sym, bar, TR_SIGNAL_SELL, 0,
                           "close back at the middle band (SMA %zu)",
                           st->period);
    } else if (st->allow_short && c <= o.middle) {
        tr__strat_emit(ctx, sym, bar, TR_SIGNAL_BUY, 0,
                       "close back at the middle band (SMA %zu)", st->period);
    }
}

static void bb_save(const void *state, tr_enc *e)
{
    const bb_state *st = state;
    tr_enc_u64(e, st->nsyms);
    for (size_t i = 0; i < st->nsyms; i++)
        tr_ind_bbands_save(&st->bb[i], e);
}

static int bb_load(void *state, tr_dec *d)
{
    bb_state *st = state;
    if (!tr_dec_check(d, tr_dec_u64(d) == st->nsyms))
        return TR_ERR_DATA;
    for (size_t i = 0; i < st->nsyms && !tr_dec_error(d); i++)
        tr_ind_bbands_load(&st->bb[i], d);
    return tr_dec_error(d);
}

static void bb_plot(const double *params, char *buf, size_t size)
{
    char k[40];
    tr__strat_fmt_num(params[1], k, sizeof k);
    snprintf(buf, size, "bbands:%.0f:%s", params[0], k);
}

static const tr_param_def bb_params[] = {
    { "period", TR_PARAM_INT, 20, 1, TR__STRAT_MAX_PERIOD,
      "bars of the middle band (SMA) and the standard deviation" },
    { "k", TR_PARAM_NUM, 2, 0, 100,
      "band width in population standard deviations" },
    { "allow_short", TR_PARAM_BOOL, 0, 0, 1,
      "also sell short above the upper band, cover at the middle" },
};

const tr_strategy_def tr_strategy_bollinger_reversion = {
    .name = "bollinger_reversion",
    .summary = "buy below the lower Bollinger band, exit at the middle band "
               "(mirror for shorts)",
    .params = bb_params,
    .nparams = sizeof bb_params / sizeof bb_params[0],
    .create = bb_create,
    .on_bar = bb_on_bar,
    .on_fill = NULL,
    .destroy = bb_destroy,
    .plot = bb_plot,
    .save = bb_save,
    .load = bb_load,
};
