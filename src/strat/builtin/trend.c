/* trend.c: the trend-following strategies momentum and breakout, both long
 * only.
 *
 * momentum, once ROC(lookback) (percent) exists:
 *   flat and ROC >  threshold  -> BUY, target +1
 *   long and ROC < -threshold  -> SELL, target 0
 *
 * breakout (Donchian channels, Turtle style), on exact fixed-point prices:
 *   flat and close > the highest high of the previous `entry` bars
 *                                                   -> BUY, target +1
 *   long and close < the lowest low of the previous `exit` bars
 *                                                   -> SELL, target 0
 * "Previous" excludes the bar being decided on (a bar's own high is never
 * below its close, so including it would make an upside breakout
 * impossible). The entry rule needs `entry` earlier bars, the exit rule
 * `exit` earlier bars; before that each stays silent. Both comparisons are
 * strict: touching the channel is no breakout.
 *
 * The channels are rolling max/min kept in monotonic deques: each bar's high
 * (low) enters its deque once and leaves it at most once, so a bar costs
 * O(1) amortised; each deque is a ring of `entry` (`exit`) slots allocated in
 * create, so on_bar allocates nothing. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/fixed.h"
#include "ind/momentum.h"
#include "strat/builtin/builtin.h"

/* ---- momentum ------------------------------------------------------------ */

typedef struct mom_state {
    size_t lookback, nsyms;
    double threshold;
    char th_txt[40];
    tr_ind_roc roc[]; /* per instrument */
} mom_state;

static void mom_destroy(void *state)
{
    mom_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->nsyms; i++)
        tr_ind_roc_free(&st->roc[i]);
    free(st);
}

static int mom_create(const double *params, size_t nsyms, void **state,
                      char *err, size_t errlen)
{
    const tr_strategy_def *def = &tr_strategy_momentum;
    int rc = tr__strat_check_params(def, params, err, errlen);
    if (rc != TR_OK)
        return rc;
    mom_state *st = tr__strat_alloc(sizeof *st, nsyms, sizeof st->roc[0]);
    if (!st)
        goto nomem;
    st->lookback = (size_t)params[0];
    st->threshold = params[1];
    tr__strat_fmt_num(st->threshold, st->th_txt, sizeof st->th_txt);
    st->nsyms = nsyms;
    for (size_t i = 0; i < nsyms; i++) {
        if (tr_ind_roc_init(&st->roc[i], st->lookback) != TR_OK) {
            mom_destroy(st);
            goto nomem; /* the period was checked: only memory can fail */
        }
    }
    *state = st;
    return TR_OK;
nomem:
    tr__strat_fail(err, errlen, def->name, "out of memory");
    return TR_ERR_NOMEM;
}

static void mom_on_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                       const tr_bar *bar)
{
    mom_state *st = state;
    assert(sym < st->nsyms);
    if (sym >= st->nsyms)
        return;
    tr_ind_roc *r = &st->roc[sym];
    double v = tr_ind_roc_update(r, tr_fx_to_double(bar->close));
    if (!tr_ind_roc_ready(r))
        return;
    tr_fx pos = tr_strat_position(ctx, sym);
    if (pos == 0 && v > st->threshold)
        tr__strat_emit(ctx, sym, bar, TR_SIGNAL_BUY, 1,
                       "ROC(%zu) %+.2f%% above %s%%", st->lookback, v,
                       st->th_txt);
    else if (pos > 0 && v < -st->threshold)
        tr__strat_emit(ctx, sym, bar, TR_SIGNAL_SELL, 0,
                       "ROC(%zu) %+.2f%% below -%s%%", st->lookback, v,
                       st->th_txt);
}

static void mom_save(const void *state, tr_enc *e)
{
    const mom_state *st = state;
    tr_enc_u64(e, st->nsyms);
    for (size_t i = 0; i < st->nsyms; i++)
        tr_ind_roc_save(&st->roc[i], e);
}

static int mom_load(void *state, tr_dec *d)
{
    mom_state *st = state;
    if (!tr_dec_check(d, tr_dec_u64(d) == st->nsyms))
        return TR_ERR_DATA;
    for (size_t i = 0; i < st->nsyms && !tr_dec_error(d); i++)
        tr_ind_roc_load(&st->roc[i], d);
    return tr_dec_error(d);
}

static void mom_plot(const double *params, char *buf, size_t size)
{
    snprintf(buf, size, "roc:%.0f", params[0]);
}

static const tr_param_def mom_params[] = {
    { "lookback", TR_PARAM_INT, 20, 1, TR__STRAT_MAX_PERIOD,
      "bars of the rate of change" },
    { "threshold", TR_PARAM_NUM, 0, 0, 1000,
      "percent: buy above +threshold, exit below -threshold" },
};

const tr_strategy_def tr_strategy_momentum = {
    .name = "momentum",
    .summary = "long only: buy when ROC(lookback) exceeds +threshold percent, "
               "exit below -threshold",
    .params = mom_params,
    .nparams = sizeof mom_params / sizeof mom_params[0],
    .create = mom_create,
    .on_bar = mom_on_bar,
    .on_fill = NULL,
    .destroy = mom_destroy,
    .plot = mom_plot,
    .save = mom_save,
    .load = mom_load,
};

/* ---- breakout ------------------------------------------------------------ */

typedef struct fx_item {
    uint64_t seq; /* bar number within the instrument */
    tr_fx v;
} fx_item;

/* A rolling max (or min) over the last n bars: values decreasing (for a
 * max) from the front, in a ring of n slots. */
typedef struct fx_mono {
    fx_item *q; /* n slots, in the strategy's pool */
    size_t n, head, size;
} fx_mono;

typedef struct brk_sym {
    fx_mono hi, lo;
    uint64_t seen; /* bars pushed so far = the next bar's seq */
} brk_sym;

typedef struct brk_state {
    size_t entry, exit, nsyms;
    fx_item *pool; /* nsyms * (entry + exit) slots */
    brk_sym sym[];
} brk_state;

/* Drop the items older than bar number oldest. */
static void mono_expire(fx_mono *m, uint64_t oldest)
{
    while (m->size && m->q[m->head].seq < oldest) {
        if (++m->head == m->n)
            m->head = 0;
        m->size--;
    }
}

/* Append bar seq's value v; the caller expired everything outside the
 * window ending at seq, so there is room. is_max picks max or min. */
static void mono_push(fx_mono *m, uint64_t seq, tr_fx v, int is_max)
{
    while (m->size) {
        size_t b = m->head + m->size - 1;
        if (b >= m->n)
            b -= m->n;
        if (is_max ? m->q[b].v > v : m->q[b].v < v)
            break;
        m->size--; /* dominated by v for the rest of its life */
    }
    assert(m->size < m->n);
    size_t t = m->head + m->size;
    if (t >= m->n)
        t -= m->n;
    m->q[t].seq = seq;
    m->q[t].v = v;
    m->size++;
}

/* The extreme of the n bars before bar t (t >= n). */
static tr_fx mono_prev(fx_mono *m, uint64_t t)
{
    mono_expire(m, t - m->n);
    assert(m->size > 0);
    return m->q[m->head].v;
}

static void mono_add(fx_mono *m, uint64_t t, tr_fx v, int is_max)
{
    if (t + 1 > m->n)
        mono_expire(m, t + 1 - m->n);
    mono_push(m, t, v, is_max);
}

static void brk_destroy(void *state)
{
    brk_state *st = state;
    if (!st)
        return;
    free(st->pool);
    free(st);
}

static int brk_create(const double *params, size_t nsyms, void **state,
                      char *err, size_t errlen)
{
    const tr_strategy_def *def = &tr_strategy_breakout;
    int rc = tr__strat_check_params(def, params, err, errlen);
    if (rc != TR_OK)
        return rc;
    size_t entry = (size_t)params[0], exit_n = (size_t)params[1];
    size_t per = entry + exit_n; /* both <= TR__STRAT_MAX_PERIOD */
    brk_state *st = tr__strat_alloc(sizeof *st, nsyms, sizeof st->sym[0]);
    if (!st)
        goto nomem;
    st->entry = entry;
    st->exit = exit_n;
    st->nsyms = nsyms;
    if (nsyms) {
        if (nsyms > SIZE_MAX / per / sizeof(fx_item) ||
            !(st->pool = calloc(nsyms * per, sizeof(fx_item)))) {
            brk_destroy(st);
            goto nomem;
        }
    }
    for (size_t i = 0; i < nsyms; i++) {
        brk_sym *s = &st->sym[i];
        s->hi.q = st->pool + i * per;
        s->hi.n = entry;
        s->lo.q = st->pool + i * per + entry;
        s->lo.n = exit_n;
    }
    *state = st;
    return TR_OK;
nomem:
    tr__strat_fail(err, errlen, def->name, "out of memory");
    return TR_ERR_NOMEM;
}

static void brk_on_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                       const tr_bar *bar)
{
    brk_state *st = state;
    assert(sym < st->nsyms);
    if (sym >= st->nsyms)
        return;
    brk_sym *s = &st->sym[sym];
    uint64_t t = s->seen++;

    /* Decide on the channels of the previous bars, then add this bar. */
    tr_fx pos = tr_strat_position(ctx, sym);
    if (pos == 0 && t >= st->entry) {
        tr_fx hh = mono_prev(&s->hi, t);
        if (bar->close > hh) {
            char c[TR_FX_STRLEN], h[TR_FX_STRLEN];
            tr_fx_format(bar->close, c, sizeof c);
            tr_fx_format(hh, h, sizeof h);
            tr__strat_emit(ctx, sym, bar, TR_SIGNAL_BUY, 1,
                           "close %s above the %zu-bar high %s", c, st->entry,
                           h);
        }
    } else if (pos > 0 && t >= st->exit) {
        tr_fx ll = mono_prev(&s->lo, t);
        if (bar->close < ll) {
            char c[TR_FX_STRLEN], l[TR_FX_STRLEN];
            tr_fx_format(bar->close, c, sizeof c);
            tr_fx_format(ll, l, sizeof l);
            tr__strat_emit(ctx, sym, bar, TR_SIGNAL_SELL, 0,
                           "close %s below the %zu-bar low %s", c, st->exit,
                           l);
        }
    }
    mono_add(&s->hi, t, bar->high, 1);
    mono_add(&s->lo, t, bar->low, 0);
}

static void mono_save(const fx_mono *m, tr_enc *e)
{
    tr_enc_u64(e, m->n);
    for (size_t k = 0; k < m->n; k++) {
        tr_enc_u64(e, m->q[k].seq);
        tr_enc_i64(e, m->q[k].v);
    }
    tr_enc_u64(e, m->head);
    tr_enc_u64(e, m->size);
}

/* The deque of an instrument that has seen `seen` bars: its items are the
 * bars seen-n .. seen-1 at most, in increasing order, ending with the last
 * bar (nothing pushes the newest out), so the next mono_add has room and
 * mono_prev finds an item. */
static void mono_load(fx_mono *m, uint64_t seen, tr_dec *d)
{
    if (!tr_dec_check(d, tr_dec_u64(d) == m->n &&
                             tr_dec_left(d) / 16 >= m->n))
        return;
    for (size_t k = 0; k < m->n; k++) {
        m->q[k].seq = tr_dec_u64(d);
        m->q[k].v = tr_dec_i64(d);
    }
    uint64_t head = tr_dec_u64(d), size = tr_dec_u64(d);
    if (!tr_dec_check(d, head < m->n && size <= m->n &&
                             (size > 0) == (seen > 0)))
        return;
    m->head = (size_t)head;
    m->size = (size_t)size;
    uint64_t lo = seen > m->n ? seen - m->n : 0, prev = 0;
    for (size_t k = 0; k < m->size; k++) {
        uint64_t q = m->q[(m->head + k) % m->n].seq;
        if (!tr_dec_check(d, q >= lo && q < seen && (k == 0 || q > prev) &&
                                 (k + 1 < m->size || q == seen - 1)))
            return;
        prev = q;
    }
}

static void brk_save(const void *state, tr_enc *e)
{
    const brk_state *st = state;
    tr_enc_u64(e, st->nsyms);
    for (size_t i = 0; i < st->nsyms; i++) {
        tr_enc_u64(e, st->sym[i].seen);
        mono_save(&st->sym[i].hi, e);
        mono_save(&st->sym[i].lo, e);
    }
}

static int brk_load(void *state, tr_dec *d)
{
    brk_state *st = state;
    if (!tr_dec_check(d, tr_dec_u64(d) == st->nsyms))
        return TR_ERR_DATA;
    for (size_t i = 0; i < st->nsyms && !tr_dec_error(d); i++) {
        brk_sym *s = &st->sym[i];
        s->seen = tr_dec_u64(d);
        mono_load(&s->hi, s->seen, d);
        mono_load(&s->lo, s->seen, d);
    }
    return tr_dec_error(d);
}

static void brk_plot(const double *params, char *buf, size_t size)
{
    /* The channels have no indicator spec (ind/spec.h); nothing to draw. */
    (void)params;
    if (size)
        buf[0] = '\0';
}

static const tr_param_def brk_params[] = {
    { "entry", TR_PARAM_INT, 20, 1, TR__STRAT_MAX_PERIOD,
      "buy when the close tops the highest high of this many previous bars" },
    { "exit", TR_PARAM_INT, 10, 1, TR__STRAT_MAX_PERIOD,
      "exit when the close breaks the lowest low of this many previous bars" },
};

const tr_strategy_def tr_strategy_breakout = {
    .name = "breakout",
    .summary = "long only: buy above the highest high of the previous entry "
               "bars, exit below the lowest low of the previous exit bars",
    .params = brk_params,
    .nparams = sizeof brk_params / sizeof brk_params[0],
    .create = brk_create,
    .on_bar = brk_on_bar,
    .on_fill = NULL,
    .destroy = brk_destroy,
    .plot = brk_plot,
    .save = brk_save,
    .load = brk_load,
};
