/* test_engine.c: the engine and the backtest driver (engine/engine.h,
 * engine/backtest.h) on generated data.
 *
 *   (a) accounting invariants of randomized multi-symbol runs: a strategy
 *       that signals at random, costs, slippage, brackets and partial
 *       fills on, risk on and off; equity and cash are rebuilt from the
 *       trades and fills exactly, orders and fills agree, the equity curve
 *       has one point per timestamp;
 *   (b) determinism: the same run twice gives the same records, byte for
 *       byte;
 *   (c) no look-ahead: a strategy only ever sees the bar of the current
 *       step, after that bar's fills; a signal on bar t fills on the next
 *       bar of its instrument, at that bar's open;
 *   (d) the merge of calendars: steps in time order, bars in symbol order,
 *       a missing bar is just absent;
 *   (e) the built-in sma_cross: 100 shares a trade, entries at the open
 *       after a cross, computed here independently. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fixed.h"
#include "data/gen.h"
#include "engine/backtest.h"
#include "engine/engine.h"
#include "ind/ma.h"
#include "strat/strategy.h"
#include "test.h"

#define DAY (INT64_C(86400) * INT64_C(1000000000))

static tr_fx FX(const char *s)
{
    tr_fx v = 0;
    if (tr_fx_parse(s, strlen(s), &v) != TR_OK) {
        fprintf(stderr, "bad number in test: %s\n", s);
        abort();
    }
    return v;
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double unit(uint64_t *x)
{
    return (double)(splitmix(x) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- the probe: what strategies and sinks saw --------------------------- */

typedef struct seen {
    tr_sym sym;
    tr_time time;
    tr_bar bar;
    tr_fx position; /* what the engine reported during on_bar */
} seen;

typedef struct probe {
    tr_time now;       /* the step being run (set by tests that drive steps) */
    int check_now;     /* on_bar asserts bar->time == now */
    seen *v;
    size_t n, cap;
    size_t bad_time;   /* on_bar calls with a bar not of the step */
    size_t bad_fill_time;
    size_t bad_signal_time;
    tr_fill *fills;
    size_t nfills, capfills;
    tr_engine *engine; /* for sinks that look up orders */
    seen *sigs;        /* signals: sym and time */
    size_t nsigs, capsigs;
} probe;

/* Strategies find their probe here (the strategy interface has no user
 * pointer; a test runs one engine at a time). */
static probe *g_probe;

static void probe_push(probe *p, const seen *s)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 1024;
        p->v = realloc(p->v, p->cap * sizeof *p->v);
        if (!p->v)
            abort();
    }
    p->v[p->n++] = *s;
}

static void probe_free(probe *p)
{
    free(p->v);
    free(p->fills);
    free(p->sigs);
    memset(p, 0, sizeof *p);
}

/* ---- a strategy that signals at random ---------------------------------
 * params: seed, prob (chance of a signal per bar), sized (1: sometimes the
 * signal names its own quantity, which also makes adds possible). Each
 * signal is one of: BUY +1, SELL -1, BUY 0 (cover), SELL 0 (exit). */

typedef struct rnd_state {
    uint64_t rng;
    double prob;
    int sized;
    size_t nsyms;
    probe *probe;
} rnd_state;

static const tr_param_def rnd_params[] = {
    {"seed", TR_PARAM_NUM, 1, 0, 1e15, "generator seed"},
    {"prob", TR_PARAM_NUM, 0.1, 0, 1, "chance of a signal per bar"},
    {"sized", TR_PARAM_BOOL, 0, 0, 1, "sometimes name a quantity"},
};

static int rnd_create(const double *params, size_t nsyms, void **state,
                      char *err, size_t errlen)
{
    (void)err, (void)errlen;
    rnd_state *s = calloc(1, sizeof *s);
    if (!s)
        return TR_ERR_NOMEM;
    s->rng = (uint64_t)params[0] * UINT64_C(0x2545F4914F6CDD1D) + 17;
    s->prob = params[1];
    s->sized = params[2] != 0;
    s->nsyms = nsyms;
    s->probe = g_probe;
    *state = s;
    return TR_OK;
}

static void rnd_destroy(void *state)
{
    free(state);
}

static void probe_on_bar(probe *p, tr_strat_ctx *ctx, tr_sym sym,
                         const tr_bar *bar)
{
    if (!p)
        return;
    seen s = {sym, bar->time, *bar, tr_strat_position(ctx, sym)};
    probe_push(p, &s);
    if (p->check_now && bar->time != p->now)
        p->bad_time++;
}

static void rnd_on_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                       const tr_bar *bar)
{
    rnd_state *s = state;
    probe_on_bar(s->probe, ctx, sym, bar);
    if (unit(&s->rng) >= s->prob)
        return;
    static const tr_action act[4] = {TR_SIGNAL_BUY, TR_SIGNAL_SELL,
                                     TR_SIGNAL_BUY, TR_SIGNAL_SELL};
    static const int target[4] = {1, -1, 0, 0};
    int k = (int)(splitmix(&s->rng) % 4);
    tr_signal sig = tr_strat_signal(ctx, sym, bar, act[k]);
    sig.target = target[k];
    if (s->sized && unit(&s->rng) < 0.3) {
        int64_t q = 1 + (int64_t)(splitmix(&s->rng) % 300);
        tr_fx_from_int(q, &sig.qty);
    }
    snprintf(sig.reasons, sizeof sig.reasons, "random %d", k);
    tr_strat_emit(ctx, &sig);
}

static const tr_strategy_def rnd_strategy = {
    .name = "test_random",
    .summary = "random signals for tests",
    .params = rnd_params,
    .nparams = sizeof rnd_params / sizeof rnd_params[0],
    .create = rnd_create,
    .on_bar = rnd_on_bar,
    .on_fill = NULL,
    .destroy = rnd_destroy,
    .plot = NULL,
};

/* ---- data --------------------------------------------------------------- */

static tr_time day0(void)
{
    tr_time t = 0;
    tr_time_parse("2021-03-01", 10, &t); /* a Monday */
    return t;
}

/* Generated bars of symbol idx; then, with drop > 0, each bar after the
 * first is removed with that probability, and the first skip bars go. */
static void make_series(uint64_t seed, unsigned idx, size_t n,
                        tr_gen_interval iv, tr_time start, double drop,
                        size_t skip, tr_bars *out)
{
    tr_bars_init(out);
    tr_gen_opts o = {seed, n, iv, start};
    CHECK_EQ_I64(tr_gen_series(&o, idx, out), TR_OK);
    uint64_t r = seed * 31 + idx;
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++) {
        if (i < skip || (drop > 0 && i > skip && unit(&r) < drop))
            continue;
        out->v[k++] = out->v[i];
    }
    out->n = k;
}

static void free_series(tr_bars *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tr_bars_free(&b[i]);
}

static const char *const names[8] = {"AAA", "BBB", "CCC", "DDD",
                                     "EEE", "FFF", "GGG", "HHH"};

/* The sorted distinct timestamps of all series (caller frees). */
static tr_time *union_times(tr_bars *bars, size_t nsyms, size_t *n)
{
    size_t total = 0;
    for (size_t s = 0; s < nsyms; s++)
        total += bars[s].n;
    tr_time *t = malloc((total ? total : 1) * sizeof *t);
    if (!t)
        abort();
    size_t k = 0;
    for (size_t s = 0; s < nsyms; s++)
        for (size_t i = 0; i < bars[s].n; i++)
            t[k++] = bars[s].v[i].time;
    /* insertion into a sorted prefix keeps this dependency-free */
    for (size_t i = 1; i < k; i++) {
        tr_time x = t[i];
        size_t j = i;
        while (j > 0 && t[j - 1] > x) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = x;
    }
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (m == 0 || t[m - 1] != t[i])
            t[m++] = t[i];
    *n = m;
    return t;
}

/* Index of the bar of series b at time t, or -1. */
static long bar_index(const tr_bars *b, tr_time t)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->v[mid].time < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->n && b->v[lo].time == t ? (long)lo : -1;
}

/* ---- configuration ----------------------------------------------------- */

typedef struct run_spec {
    uint64_t seed;
    size_t nsyms;
    size_t bars;
    int risk_enabled;
    int intraday;
    int tight_halts;  /* small daily-loss and drawdown limits */
    double signal_prob;
} run_spec;

static void make_cfg(tr_engine_cfg *c, const run_spec *sp)
{
    memset(c, 0, sizeof *c);
    c->cash = FX("1000000");
    c->nsyms = sp->nsyms;
    c->fill.costs.per_order = FX("1");
    c->fill.costs.per_share = FX("0.005");
    c->fill.costs.pct = FX("0.01");
    c->fill.costs.minimum = FX("1.5");
    c->fill.costs.slippage_bps = FX("2");
    c->fill.costs.slippage_ticks = FX("1");
    c->fill.costs.tick_size = FX("0.01");
    c->fill.max_volume_share = sp->intraday ? FX("0.05") : FX("0.002");
    c->fill.qty_step = FX("1");
    tr_risk_cfg_default(&c->risk);
    c->risk.enabled = sp->risk_enabled;
    c->risk.sizing = TR_SIZE_PERCENT;
    c->risk.percent = 5;
    c->risk.stop_kind = TR_EXIT_PERCENT;
    c->risk.stop_value = 3;
    c->risk.tp_kind = TR_EXIT_RR;
    c->risk.tp_value = 2;
    c->risk.correlation_lookback = 20;
    if (sp->tight_halts) {
        c->risk.daily_loss_pct = 0.3;
        c->risk.max_drawdown_pct = 2;
    }
    c->strategy = &rnd_strategy;
    c->params[0] = (double)sp->seed;
    c->params[1] = sp->signal_prob;
    c->params[2] = 1;
    c->check_invariants = 1;
}

/* Series for a spec: symbol 0 complete; 1 loses 10% of its bars; 2 starts
 * 25 bars late and loses 5%; 3 runs on a calendar shifted by a week; 4
 * loses 30%. */
static void make_data(const run_spec *sp, tr_bars *bars)
{
    tr_gen_interval iv = sp->intraday ? TR_GEN_1M : TR_GEN_1D;
    for (size_t s = 0; s < sp->nsyms; s++) {
        tr_time start = day0();
        double drop = 0;
        size_t skip = 0;
        switch (s % 5) {
        case 1: drop = 0.10; break;
        case 2: drop = 0.05; skip = 25; break;
        case 3: start += 7 * DAY; break;
        case 4: drop = 0.30; break;
        default: break;
        }
        make_series(sp->seed, (unsigned)s, sp->bars, iv, start, drop, skip,
                    &bars[s]);
    }
}

/* ---- (a) the accounting invariants of one finished run ----------------- */

static void check_run(const char *label, const tr_engine_cfg *cfg,
                      tr_bars *bars, size_t nsyms, const tr_bt_result *r)
{
    /* Equity = initial cash + the P&L of every trade, closed and open. */
    tr_fx trade_pnl = 0, trade_comm = 0;
    for (size_t i = 0; i < r->ntrades; i++) {
        trade_pnl += r->trades[i].pnl;
        trade_comm += r->trades[i].commission;
        CHECK_MSG(r->trades[i].qty > 0, "%s: trade %zu qty %" PRId64, label,
                  i, r->trades[i].qty);
        CHECK_MSG(r->trades[i].open || r->trades[i].exit_time >=
                                           r->trades[i].entry_time,
                  "%s: trade %zu exits before it enters", label, i);
        if (i > 0 && r->trades[i - 1].open)
            CHECK_MSG(r->trades[i].open, "%s: a closed trade after an open "
                      "one (%zu)", label, i);
    }
    CHECK_MSG(r->final_equity == cfg->cash + trade_pnl,
              "%s: final equity %" PRId64 " != initial %" PRId64
              " + trade P&L %" PRId64 " (diff %" PRId64 ")",
              label, r->final_equity, cfg->cash, trade_pnl,
              r->final_equity - cfg->cash - trade_pnl);

    /* Cash = initial - signed notional of every fill - commissions. */
    tr_fx cash = cfg->cash, comm = 0;
    tr_fx *pos = calloc(nsyms, sizeof *pos);
    if (!pos)
        abort();
    size_t bad_fill = 0, bad_order_ref = 0, bad_volume = 0, bad_time = 0;
    for (size_t i = 0; i < r->fills.n; i++) {
        const tr_fill *f = &r->fills.v[i];
        tr_fx notional = 0;
        CHECK(tr_fx_mul(f->qty, f->price, &notional) == TR_OK);
        cash -= (f->side == TR_BUY ? notional : -notional) + f->commission;
        comm += f->commission;
        if (f->sym < nsyms)
            pos[f->sym] += f->side == TR_BUY ? f->qty : -f->qty;
        if (f->qty <= 0 || f->price <= 0 || f->commission < 0)
            bad_fill++;
        if (f->order_id < 1 || f->order_id > r->norders) {
            bad_order_ref++;
            continue;
        }
        const tr_order *o = &r->orders[f->order_id - 1];
        if (o->sym != f->sym || o->side != f->side || o->role != f->role ||
            f->qty > o->qty)
            bad_order_ref++;
        /* A fill happens on a bar of its instrument after the order. */
        if (f->sym >= nsyms || bar_index(&bars[f->sym], f->time) < 0 ||
            (cfg->fill.fill_at_close ? f->time < o->created
                                     : f->time <= o->created))
            bad_time++;
        if (i > 0 && f->time < r->fills.v[i - 1].time)
            bad_time++;
    }
    CHECK_MSG(r->final_cash == cash,
              "%s: final cash %" PRId64 " != rebuilt from fills %" PRId64
              " (diff %" PRId64 ")",
              label, r->final_cash, cash, r->final_cash - cash);
    CHECK_MSG(trade_comm == comm,
              "%s: trades' commissions %" PRId64 " != fills' %" PRId64, label,
              trade_comm, comm);
    CHECK_MSG(bad_fill == 0, "%s: %zu fills with bad qty/price/commission",
              label, bad_fill);
    CHECK_MSG(bad_order_ref == 0,
              "%s: %zu fills that disagree with their order", label,
              bad_order_ref);
    CHECK_MSG(bad_time == 0,
              "%s: %zu fills not on a later bar of their instrument", label,
              bad_time);

    /* Partial fills: one bar never fills more than its share of volume. */
    for (size_t i = 0; cfg->fill.max_volume_share > 0 && i < r->fills.n;) {
        size_t j = i;
        tr_fx q = 0;
        while (j < r->fills.n && r->fills.v[j].time == r->fills.v[i].time) {
            j++;
        }
        for (tr_sym s = 0; s < nsyms; s++) {
            q = 0;
            for (size_t k = i; k < j; k++)
                if (r->fills.v[k].sym == s)
                    q += r->fills.v[k].qty;
            if (q == 0)
                continue;
            long b = bar_index(&bars[s], r->fills.v[i].time);
            tr_fx cap = 0;
            if (b >= 0)
                tr_fx_mul(bars[s].v[b].volume, cfg->fill.max_volume_share,
                          &cap);
            if (b < 0 || q > cap)
                bad_volume++;
        }
        i = j;
    }
    CHECK_MSG(bad_volume == 0,
              "%s: %zu bars filled more than max_volume_share of volume",
              label, bad_volume);

    /* Open trades match the positions the fills leave. */
    for (tr_sym s = 0; s < nsyms; s++) {
        size_t open = 0;
        const tr_trade *ot = NULL;
        for (size_t i = 0; i < r->ntrades; i++)
            if (r->trades[i].open && r->trades[i].sym == s)
                open++, ot = &r->trades[i];
        CHECK_MSG(open == (pos[s] != 0),
                  "%s: sym %u position %" PRId64 " but %zu open trades",
                  label, (unsigned)s, pos[s], open);
        if (ot && pos[s] != 0)
            CHECK_MSG(ot->side == (pos[s] > 0 ? TR_BUY : TR_SELL) &&
                          ot->qty >= (pos[s] > 0 ? pos[s] : -pos[s]),
                      "%s: sym %u open trade side/qty vs position", label,
                      (unsigned)s);
    }
    free(pos);

    /* Orders: ids in order, filled_qty within qty and equal to the sum of
     * their fills, status consistent with the fills. */
    size_t bad_orders = 0;
    tr_fx *filled = calloc(r->norders + 1, sizeof *filled);
    tr_fx *fcomm = calloc(r->norders + 1, sizeof *fcomm);
    tr_fx *fnot = calloc(r->norders + 1, sizeof *fnot);
    if (!filled || !fcomm || !fnot)
        abort();
    for (size_t i = 0; i < r->fills.n; i++) {
        uint64_t id = r->fills.v[i].order_id;
        if (id < 1 || id > r->norders)
            continue;
        tr_fx n = 0;
        tr_fx_mul(r->fills.v[i].qty, r->fills.v[i].price, &n);
        filled[id] += r->fills.v[i].qty;
        fcomm[id] += r->fills.v[i].commission;
        fnot[id] += n;
    }
    for (size_t i = 0; i < r->norders; i++) {
        const tr_order *o = &r->orders[i];
        int ok = o->id == i + 1 && o->qty > 0 && o->filled_qty >= 0 &&
                 o->filled_qty <= o->qty && o->filled_qty == filled[o->id] &&
                 o->commission == fcomm[o->id];
        switch (o->status) {
        case TR_ORD_FILLED:
            ok = ok && o->filled_qty == o->qty;
            break;
        case TR_ORD_PARTIALLY_FILLED:
            ok = ok && o->filled_qty > 0 && o->filled_qty < o->qty;
            break;
        case TR_ORD_NEW:
        case TR_ORD_ACCEPTED:
        case TR_ORD_REJECTED:
            ok = ok && o->filled_qty == 0;
            break;
        default:
            break;
        }
        if (o->filled_qty > 0) {
            tr_fx avg = 0;
            tr_fx_div(fnot[o->id], o->filled_qty, &avg);
            ok = ok && avg == o->avg_fill_price;
        }
        if (o->parent_id) { /* a bracket leg: opposite side of its entry */
            ok = ok && o->parent_id < o->id &&
                 r->orders[o->parent_id - 1].side == -o->side &&
                 r->orders[o->parent_id - 1].sym == o->sym &&
                 (o->role == TR_ROLE_STOP_LOSS ||
                  o->role == TR_ROLE_TAKE_PROFIT);
        }
        if (!ok) {
            if (bad_orders < 5)
                fprintf(stderr,
                        "%s: order %" PRIu64 " status %s qty %" PRId64
                        " filled %" PRId64 " (fills %" PRId64 ")\n",
                        label, o->id, tr_order_status_name(o->status), o->qty,
                        o->filled_qty, filled[o->id]);
            bad_orders++;
        }
    }
    CHECK_MSG(bad_orders == 0, "%s: %zu inconsistent orders", label,
              bad_orders);
    free(filled);
    free(fcomm);
    free(fnot);

    /* One equity point per distinct timestamp, in strictly increasing
     * time; the last one is the final equity. */
    size_t nt = 0;
    tr_time *times = union_times(bars, nsyms, &nt);
    CHECK_MSG(r->equity.n == nt, "%s: %zu equity points for %zu timestamps",
              label, r->equity.n, nt);
    CHECK_MSG(r->steps == nt, "%s: %zu steps for %zu timestamps", label,
              r->steps, nt);
    size_t bad_eq = 0;
    for (size_t i = 0; i < r->equity.n && i < nt; i++) {
        if (r->equity.v[i].time != times[i] ||
            (i > 0 && r->equity.v[i].time <= r->equity.v[i - 1].time))
            bad_eq++;
        if (r->equity.v[i].exposure < 0)
            bad_eq++;
    }
    CHECK_MSG(bad_eq == 0, "%s: %zu equity points out of place", label,
              bad_eq);
    if (r->equity.n > 0) {
        CHECK_MSG(r->equity.v[r->equity.n - 1].equity == r->final_equity,
                  "%s: last equity point %" PRId64 " != final equity %" PRId64,
                  label, r->equity.v[r->equity.n - 1].equity, r->final_equity);
        CHECK_MSG(r->equity.v[r->equity.n - 1].cash == r->final_cash,
                  "%s: last equity point's cash != final cash", label);
    }
    free(times);

    /* Halts: after a daily-loss alert no entry is created for the rest
     * of that day; after a drawdown alert none at all (never resumed). */
    size_t bad_halt = 0;
    for (size_t a = 0; a < r->alerts.n; a++) {
        const tr_risk_alert *al = &r->alerts.v[a];
        for (size_t i = 0; i < r->norders; i++) {
            const tr_order *o = &r->orders[i];
            if (o->role != TR_ROLE_ENTRY || o->created < al->time)
                continue;
            if (al->kind == TR_ALERT_DRAWDOWN ||
                (al->kind == TR_ALERT_DAILY_LOSS &&
                 tr_time_day(o->created) == tr_time_day(al->time)))
                bad_halt++;
        }
    }
    for (size_t i = 0; i < r->signals.n; i++) {
        const tr_bt_signal *s = &r->signals.v[i];
        if (s->reason != TR_RISK_DAILY_LOSS && s->reason != TR_RISK_DRAWDOWN)
            continue;
        int found = 0;
        for (size_t a = 0; a < r->alerts.n; a++) {
            const tr_risk_alert *al = &r->alerts.v[a];
            if (al->time <= s->sig.time &&
                ((s->reason == TR_RISK_DRAWDOWN &&
                  al->kind == TR_ALERT_DRAWDOWN) ||
                 (s->reason == TR_RISK_DAILY_LOSS &&
                  al->kind == TR_ALERT_DAILY_LOSS &&
                  tr_time_day(al->time) == tr_time_day(s->sig.time))))
                found = 1;
        }
        if (!found)
            bad_halt++;
    }
    CHECK_MSG(bad_halt == 0, "%s: %zu entries or refusals disagree with the "
              "halt alerts", label, bad_halt);
    if (!cfg->risk.enabled)
        CHECK_MSG(r->alerts.n == 0, "%s: alerts with risk disabled", label);
}

static int run_spec_once(const run_spec *sp, tr_bars *bars,
                         tr_engine_cfg *cfg, tr_bt_result *res)
{
    char err[256] = "";
    make_cfg(cfg, sp);
    int rc = tr_bt_run_bars(cfg, names, bars, sp->nsyms, res, err, sizeof err);
    if (rc != TR_OK)
        fprintf(stderr, "run: %s (%s)\n", tr_strerror(rc), err);
    return rc;
}

static void test_random_runs(void)
{
    static const run_spec specs[] = {
        /* seed nsyms bars risk intraday tight prob */
        {1, 3, 400, 1, 0, 0, 0.08},
        {1, 3, 400, 0, 0, 0, 0.08},
        {2, 4, 500, 1, 0, 0, 0.15},
        {2, 4, 500, 0, 0, 0, 0.15},
        {3, 5, 350, 1, 0, 1, 0.10},
        {3, 5, 350, 0, 0, 1, 0.10},
        {4, 5, 600, 1, 0, 0, 0.30},
        {5, 3, 300, 0, 0, 0, 0.50},
        {6, 2, 1200, 1, 1, 1, 0.02},
        {7, 2, 900, 0, 1, 0, 0.02},
    };
    size_t total_fills = 0, total_partial = 0, total_legs = 0,
           total_alerts = 0, total_refused = 0, total_trades = 0;
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        const run_spec *sp = &specs[k];
        char label[96];
        snprintf(label, sizeof label, "seed %llu, %zu symbols, risk %s%s%s",
                 (unsigned long long)sp->seed, sp->nsyms,
                 sp->risk_enabled ? "on" : "off",
                 sp->intraday ? ", 1-minute" : "",
                 sp->tight_halts ? ", tight halts" : "");
        tr_bars bars[5];
        make_data(sp, bars);
        tr_engine_cfg cfg;
        tr_bt_result res;
        int rc = run_spec_once(sp, bars, &cfg, &res);
        CHECK_MSG(rc == TR_OK, "%s: run failed: %s", label, tr_strerror(rc));
        if (rc == TR_OK) {
            check_run(label, &cfg, bars, sp->nsyms, &res);
            total_fills += res.fills.n;
            total_trades += res.ntrades;
            total_alerts += res.alerts.n;
            for (size_t i = 0; i < res.norders; i++) {
                if (res.orders[i].parent_id)
                    total_legs += res.orders[i].filled_qty > 0;
                total_partial += res.orders[i].filled_qty > 0 &&
                                 res.orders[i].filled_qty < res.orders[i].qty;
            }
            for (size_t i = 0; i < res.signals.n; i++)
                total_refused += res.signals.v[i].reason != TR_RISK_OK;
        }
        tr_bt_result_free(&res);
        free_series(bars, sp->nsyms);
    }
    /* The runs must exercise what they claim to. */
    CHECK_MSG(total_fills > 500, "only %zu fills", total_fills);
    CHECK_MSG(total_trades > 100, "only %zu trades", total_trades);
    CHECK_MSG(total_legs > 10, "only %zu bracket legs filled", total_legs);
    CHECK_MSG(total_partial > 0 || total_fills == 0,
              "no order ended partly filled");
    CHECK_MSG(total_alerts > 0, "no halt alert in the tight-halt runs");
    CHECK_MSG(total_refused > 0, "risk refused nothing");
}

/* More than one fill per order shows partial fills really happen. */
static void test_partial_fills_happen(void)
{
    run_spec sp = {11, 3, 300, 0, 0, 0, 0.2};
    tr_bars bars[3];
    make_data(&sp, bars);
    tr_engine_cfg cfg;
    tr_bt_result res;
    CHECK_EQ_I64(run_spec_once(&sp, bars, &cfg, &res), TR_OK);
    size_t multi = 0;
    for (size_t i = 1; i < res.fills.n; i++)
        for (size_t j = 0; j < i; j++)
            if (res.fills.v[j].order_id == res.fills.v[i].order_id) {
                multi++;
                break;
            }
    CHECK_MSG(multi > 0, "no order filled over several bars");
    check_run("partial fills", &cfg, bars, 3, &res);
    tr_bt_result_free(&res);
    free_series(bars, 3);
}

/* ---- (b) determinism ---------------------------------------------------- */

#define SAME_ARRAY(label, a, na, b, nb)                                        \
    do {                                                                       \
        CHECK_MSG((na) == (nb), "%s: %s count %zu vs %zu", label, #a,          \
                  (size_t)(na), (size_t)(nb));                                 \
        if ((na) == (nb) && (na) > 0)                                          \
            CHECK_MSG(memcmp((a), (b), (na) * sizeof *(a)) == 0,               \
                      "%s: %s differ between identical runs", label, #a);      \
    } while (0)

/* When the bytes of two fill arrays differ, whether any field does (or
 * only the padding between fields, i.e. uninitialised bytes). */
static void explain_fills(const char *label, const tr_fill *a,
                          const tr_fill *b, size_t n)
{
    size_t fields = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&a[i], &b[i], sizeof a[i]) == 0)
            continue;
        bytes++;
        if (a[i].order_id != b[i].order_id || a[i].sym != b[i].sym ||
            a[i].side != b[i].side || a[i].role != b[i].role ||
            a[i].qty != b[i].qty || a[i].price != b[i].price ||
            a[i].commission != b[i].commission || a[i].time != b[i].time)
            fields++;
    }
    if (bytes)
        fprintf(stderr,
                "%s: %zu of %zu fills differ in their bytes, %zu in a field "
                "(the rest only in padding: uninitialised bytes in tr_fill "
                "records)\n",
                label, bytes, n, fields);
    CHECK_MSG(fields == 0, "%s: %zu fills differ in a field", label, fields);
}

static void test_determinism(void)
{
    run_spec specs[] = {
        {21, 4, 400, 1, 0, 1, 0.15},
        {22, 3, 400, 0, 0, 0, 0.20},
    };
    for (size_t k = 0; k < 2; k++) {
        tr_bars bars[4];
        make_data(&specs[k], bars);
        tr_engine_cfg cfg;
        tr_bt_result a, b;
        CHECK_EQ_I64(run_spec_once(&specs[k], bars, &cfg, &a), TR_OK);
        /* Disturb the heap and stack between the runs. */
        void *junk = malloc(1 << 16);
        if (junk)
            memset(junk, 0xa5, 1 << 16);
        free(junk);
        CHECK_EQ_I64(run_spec_once(&specs[k], bars, &cfg, &b), TR_OK);
        const char *label = k ? "determinism, risk off" : "determinism, risk on";
        SAME_ARRAY(label, a.fills.v, a.fills.n, b.fills.v, b.fills.n);
        if (a.fills.n == b.fills.n)
            explain_fills(label, a.fills.v, b.fills.v, a.fills.n);
        SAME_ARRAY(label, a.orders, a.norders, b.orders, b.norders);
        SAME_ARRAY(label, a.equity.v, a.equity.n, b.equity.v, b.equity.n);
        SAME_ARRAY(label, a.trades, a.ntrades, b.trades, b.ntrades);
        SAME_ARRAY(label, a.signals.v, a.signals.n, b.signals.v, b.signals.n);
        SAME_ARRAY(label, a.alerts.v, a.alerts.n, b.alerts.v, b.alerts.n);
        CHECK_EQ_I64(a.final_cash, b.final_cash);
        CHECK_EQ_I64(a.final_equity, b.final_equity);
        CHECK(a.fills.n > 0);
        tr_bt_result_free(&a);
        tr_bt_result_free(&b);
        free_series(bars, specs[k].nsyms);
    }
}

/* ---- (c) no look-ahead --------------------------------------------------- */

static void la_fill(void *ctx, const tr_fill *f)
{
    probe *p = ctx;
    if (f->time != p->now)
        p->bad_fill_time++;
    if (p->nfills == p->capfills) {
        p->capfills = p->capfills ? 2 * p->capfills : 256;
        p->fills = realloc(p->fills, p->capfills * sizeof *p->fills);
        if (!p->fills)
            abort();
    }
    p->fills[p->nfills++] = *f;
}

static void la_signal(void *ctx, const tr_signal *sig, const tr_risk_plan *pl)
{
    probe *p = ctx;
    (void)pl;
    if (sig->time != p->now)
        p->bad_signal_time++;
    if (p->nsigs == p->capsigs) {
        p->capsigs = p->capsigs ? 2 * p->capsigs : 256;
        p->sigs = realloc(p->sigs, p->capsigs * sizeof *p->sigs);
        if (!p->sigs)
            abort();
    }
    memset(&p->sigs[p->nsigs], 0, sizeof *p->sigs);
    p->sigs[p->nsigs].sym = sig->sym;
    p->sigs[p->nsigs].time = sig->time;
    p->nsigs++;
}

/* Drive the engine step by step (the driver's merge, done here) so the
 * test knows the step time while the strategy runs. Market orders only
 * fill at opens; no slippage and no volume cap, so each fill price can be
 * compared with a bar's open exactly. */
static void test_no_lookahead(void)
{
    enum { NS = 3 };
    run_spec sp = {31, NS, 400, 0, 0, 0, 0.2};
    tr_bars bars[NS];
    make_data(&sp, bars);
    tr_engine_cfg cfg;
    make_cfg(&cfg, &sp);
    memset(&cfg.fill, 0, sizeof cfg.fill);
    cfg.fill.costs.per_share = FX("0.01");
    cfg.risk.stop_kind = TR_EXIT_NONE; /* market orders only */
    cfg.risk.tp_kind = TR_EXIT_NONE;

    probe p;
    memset(&p, 0, sizeof p);
    p.check_now = 1;
    g_probe = &p;
    tr_engine_sink sink = {&p, la_signal, NULL, la_fill, NULL, NULL};
    tr_engine *e = NULL;
    char err[128];
    CHECK_EQ_I64(tr_engine_new(&cfg, &sink, &e, err, sizeof err), TR_OK);
    g_probe = NULL;
    if (!e)
        return;
    p.engine = e;

    size_t cur[NS] = {0};
    tr_sym syms[NS];
    tr_bar step[NS];
    for (;;) {
        tr_time t = INT64_MAX;
        for (size_t s = 0; s < NS; s++)
            if (cur[s] < bars[s].n && bars[s].v[cur[s]].time < t)
                t = bars[s].v[cur[s]].time;
        if (t == INT64_MAX)
            break;
        size_t k = 0;
        for (size_t s = 0; s < NS; s++)
            if (cur[s] < bars[s].n && bars[s].v[cur[s]].time == t) {
                syms[k] = (tr_sym)s;
                step[k++] = bars[s].v[cur[s]++];
            }
        p.now = t;
        int rc = tr_engine_step(e, t, syms, step, k);
        if (rc != TR_OK) {
            CHECK_MSG(0, "step failed: %s", tr_strerror(rc));
            break;
        }
    }
    CHECK_EQ_I64(tr_engine_finish(e), TR_OK);

    CHECK_MSG(p.bad_time == 0, "%zu on_bar calls saw a bar not of the step",
              p.bad_time);
    CHECK_MSG(p.bad_fill_time == 0, "%zu fills not at the step's time",
              p.bad_fill_time);
    CHECK_MSG(p.bad_signal_time == 0, "%zu signals not at the step's time",
              p.bad_signal_time);
    size_t total = 0;
    for (size_t s = 0; s < NS; s++)
        total += bars[s].n;
    CHECK_EQ_I64(p.n, total); /* every bar seen exactly once */
    for (tr_sym s = 0; s < NS; s++)
        CHECK_EQ_I64(tr_engine_bars_seen(e, s), bars[s].n);

    /* During on_bar(t) the position already holds the fills of bar t and
     * nothing later. */
    size_t bad_pos = 0;
    for (size_t i = 0; i < p.n; i++) {
        tr_fx q = 0;
        for (size_t j = 0; j < p.nfills; j++)
            if (p.fills[j].sym == p.v[i].sym && p.fills[j].time <= p.v[i].time)
                q += p.fills[j].side == TR_BUY ? p.fills[j].qty
                                               : -p.fills[j].qty;
        if (q != p.v[i].position)
            bad_pos++;
        /* the bar given is the data's bar, unchanged */
        long b = bar_index(&bars[p.v[i].sym], p.v[i].time);
        if (b < 0 || memcmp(&bars[p.v[i].sym].v[b], &p.v[i].bar,
                            sizeof p.v[i].bar) != 0)
            bad_pos++;
    }
    CHECK_MSG(bad_pos == 0, "%zu on_bar calls saw a position or bar that "
              "disagrees with the fills up to that bar", bad_pos);

    /* Each order created on bar t of its instrument fills on bar t+1, all
     * of it, at that bar's open; one created on the last bar never fills. */
    const tr_paper *br = tr_engine_broker(e);
    size_t norders = tr_paper_order_count(br), checked = 0, bad = 0;
    for (uint64_t id = 1; id <= norders; id++) {
        const tr_order *o = tr_paper_order(br, id);
        long b = bar_index(&bars[o->sym], o->created);
        if (b < 0) {
            bad++;
            continue;
        }
        /* every order comes from a signal of its instrument at that bar */
        int from_signal = 0;
        for (size_t j = 0; j < p.nsigs && !from_signal; j++)
            from_signal = p.sigs[j].sym == o->sym &&
                          p.sigs[j].time == o->created;
        if (!from_signal)
            bad++;
        size_t nf = 0;
        for (size_t j = 0; j < p.nfills; j++) {
            const tr_fill *f = &p.fills[j];
            if (f->order_id != id)
                continue;
            nf++;
            if ((size_t)b + 1 >= bars[o->sym].n ||
                f->time != bars[o->sym].v[b + 1].time ||
                f->price != bars[o->sym].v[b + 1].open || f->qty != o->qty ||
                f->time <= o->created) {
                if (bad < 5)
                    fprintf(stderr,
                            "order %" PRIu64 " created %" PRId64
                            " filled at %" PRId64 " price %" PRId64 "\n",
                            id, o->created, f->time, f->price);
                bad++;
            }
        }
        if ((size_t)b + 1 == bars[o->sym].n && nf != 0)
            bad++; /* placed on the last bar */
        if ((size_t)b + 1 < bars[o->sym].n && o->type == TR_ORD_MARKET &&
            o->role == TR_ROLE_ENTRY && nf != 1)
            bad++; /* an entry market order fills on the next bar */
        checked += nf;
    }
    CHECK_MSG(bad == 0, "%zu orders broke next-bar-open filling", bad);
    CHECK_MSG(checked > 50, "only %zu fills checked", checked);
    CHECK_EQ_I64(checked, p.nfills);

    tr_engine_free(e);
    probe_free(&p);
    free_series(bars, NS);
}

/* The fill_at_close option: market orders fill at the close of the bar they
 * were decided on, never at an earlier bar. */
static void test_fill_at_close(void)
{
    run_spec sp = {32, 2, 200, 0, 0, 0, 0.2};
    tr_bars bars[2];
    make_data(&sp, bars);
    tr_engine_cfg cfg;
    make_cfg(&cfg, &sp);
    memset(&cfg.fill, 0, sizeof cfg.fill);
    cfg.fill.fill_at_close = 1;
    cfg.risk.stop_kind = TR_EXIT_NONE;
    cfg.risk.tp_kind = TR_EXIT_NONE;
    tr_bt_result res;
    char err[128];
    CHECK_EQ_I64(tr_bt_run_bars(&cfg, names, bars, 2, &res, err, sizeof err),
                 TR_OK);
    size_t bad = 0;
    for (size_t i = 0; i < res.fills.n; i++) {
        const tr_fill *f = &res.fills.v[i];
        const tr_order *o = &res.orders[f->order_id - 1];
        long b = bar_index(&bars[f->sym], f->time);
        if (b < 0 || f->time != o->created ||
            f->price != bars[f->sym].v[b].close)
            bad++;
    }
    CHECK_MSG(bad == 0, "%zu fills not at the signal bar's close", bad);
    CHECK(res.fills.n > 10);
    check_run("fill at close", &cfg, bars, 2, &res);
    tr_bt_result_free(&res);
    free_series(bars, 2);
}

/* ---- (d) the merge of calendars ----------------------------------------- */

/* A recorder strategy: the probe logs each on_bar; never signals. */
static int rec_create(const double *params, size_t nsyms, void **state,
                      char *err, size_t errlen)
{
    (void)params, (void)nsyms, (void)err, (void)errlen;
    *state = g_probe;
    return TR_OK;
}

static void rec_on_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                       const tr_bar *bar)
{
    probe_on_bar(state, ctx, sym, bar);
}

static void rec_destroy(void *state)
{
    (void)state;
}

static const tr_strategy_def rec_strategy = {
    .name = "test_recorder",
    .summary = "records what it sees",
    .params = NULL,
    .nparams = 0,
    .create = rec_create,
    .on_bar = rec_on_bar,
    .on_fill = NULL,
    .destroy = rec_destroy,
    .plot = NULL,
};

static void rec_cfg(tr_engine_cfg *cfg, size_t nsyms)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->cash = FX("100000");
    cfg->nsyms = nsyms;
    tr_risk_cfg_default(&cfg->risk);
    cfg->strategy = &rec_strategy;
    cfg->check_invariants = 1;
}

static tr_bar day_bar(int day, const char *px)
{
    tr_bar b = {day0() + day * DAY, FX(px), FX(px), FX(px), FX(px),
                FX("1000")};
    return b;
}

/* Hand-made calendars:
 *   sym 0: days 0 1 2   4
 *   sym 1: days   1 2 3 4
 *   sym 2: days 0       4
 * steps: d0 [0 2], d1 [0 1], d2 [0 1], d3 [1], d4 [0 1 2]. */
static void test_merge_small(void)
{
    static const int days[3][5] = {{0, 1, 2, 4, -1},
                                   {1, 2, 3, 4, -1},
                                   {0, 4, -1, -1, -1}};
    tr_bars bars[3];
    for (int s = 0; s < 3; s++) {
        tr_bars_init(&bars[s]);
        for (int i = 0; days[s][i] >= 0; i++) {
            tr_bar b = day_bar(days[s][i], s == 0 ? "10" : s == 1 ? "20" : "30");
            CHECK_EQ_I64(tr_bars_push(&bars[s], &b, 0), TR_OK);
        }
    }
    probe p;
    memset(&p, 0, sizeof p);
    g_probe = &p;
    tr_engine_cfg cfg;
    rec_cfg(&cfg, 3);
    tr_bt_result res;
    char err[128];
    CHECK_EQ_I64(tr_bt_run_bars(&cfg, names, bars, 3, &res, err, sizeof err),
                 TR_OK);
    g_probe = NULL;
    static const int want[][2] = {{0, 0}, {0, 2}, {1, 0}, {1, 1}, {2, 0},
                                  {2, 1}, {3, 1}, {4, 0}, {4, 1}, {4, 2}};
    size_t nw = sizeof want / sizeof want[0];
    CHECK_EQ_I64(p.n, nw);
    for (size_t i = 0; i < nw && i < p.n; i++)
        CHECK_MSG(p.v[i].time == day0() + want[i][0] * DAY &&
                      p.v[i].sym == (tr_sym)want[i][1],
                  "on_bar %zu: sym %u day %" PRId64 ", expected sym %d day %d",
                  i, (unsigned)p.v[i].sym, (p.v[i].time - day0()) / DAY,
                  want[i][1], want[i][0]);
    CHECK_EQ_I64(res.steps, 5);
    CHECK_EQ_I64(res.equity.n, 5);
    CHECK_EQ_I64(res.bars_total, 10);
    for (size_t i = 0; i < res.equity.n; i++) {
        CHECK_EQ_I64(res.equity.v[i].time, day0() + (tr_time)i * DAY);
        CHECK_EQ_I64(res.equity.v[i].equity, FX("100000"));
    }
    tr_bt_result_free(&res);
    probe_free(&p);
    free_series(bars, 3);
}

/* Generated calendars (gaps, late starts, a shifted calendar, 1-minute
 * bars): on_bar sees every bar once, in (time, symbol) order. */
static void test_merge_generated(void)
{
    for (int intraday = 0; intraday <= 1; intraday++) {
        run_spec sp = {41 + (uint64_t)intraday, 5, intraday ? 800 : 300, 0,
                       intraday, 0, 0};
        tr_bars bars[5];
        make_data(&sp, bars);
        probe p;
        memset(&p, 0, sizeof p);
        g_probe = &p;
        tr_engine_cfg cfg;
        rec_cfg(&cfg, 5);
        tr_bt_result res;
        char err[128];
        CHECK_EQ_I64(
            tr_bt_run_bars(&cfg, names, bars, 5, &res, err, sizeof err),
            TR_OK);
        g_probe = NULL;
        size_t total = 0, bad = 0;
        size_t idx[5] = {0};
        for (size_t s = 0; s < 5; s++)
            total += bars[s].n;
        CHECK_EQ_I64(p.n, total);
        for (size_t i = 0; i < p.n; i++) {
            const seen *v = &p.v[i];
            /* the next bar of its symbol, in order */
            if (v->sym >= 5 || idx[v->sym] >= bars[v->sym].n ||
                bars[v->sym].v[idx[v->sym]].time != v->time)
                bad++;
            else
                idx[v->sym]++;
            if (i > 0 && (p.v[i - 1].time > v->time ||
                          (p.v[i - 1].time == v->time &&
                           p.v[i - 1].sym >= v->sym)))
                bad++;
            /* no symbol's earlier bar is still waiting */
            for (size_t s = 0; s < 5; s++)
                if (idx[s] < bars[s].n && bars[s].v[idx[s]].time < v->time)
                    bad++;
        }
        CHECK_MSG(bad == 0, "%s merge: %zu bars out of order",
                  intraday ? "1-minute" : "daily", bad);
        size_t nt = 0;
        free(union_times(bars, 5, &nt));
        CHECK_EQ_I64(res.steps, nt);
        CHECK_EQ_I64(res.equity.n, nt);
        CHECK_EQ_I64(res.bars_total, total);
        tr_bt_result_free(&res);
        probe_free(&p);
        free_series(bars, 5);
    }
}

/* tr_engine_step refuses what a driver must never give it. */
static void test_step_refusals(void)
{
    probe p;
    memset(&p, 0, sizeof p);
    g_probe = &p;
    tr_engine_cfg cfg;
    rec_cfg(&cfg, 2);
    tr_engine *e = NULL;
    char err[128];
    CHECK_EQ_I64(tr_engine_new(&cfg, NULL, &e, err, sizeof err), TR_OK);
    g_probe = NULL;
    if (!e)
        return;
    tr_bar b1 = day_bar(1, "10"), b2 = day_bar(2, "10"), b3 = day_bar(3, "10");
    tr_sym s0 = 0, s5 = 5;
    CHECK_EQ_I64(tr_engine_step(e, b2.time, &s0, &b2, 1), TR_OK);
    CHECK_EQ_I64(tr_engine_step(e, b2.time, &s0, &b2, 1), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_engine_step(e, b1.time, &s0, &b1, 1), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_engine_step(e, b3.time + 1, &s0, &b3, 1), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_engine_step(e, day0() + 4 * DAY, &s5, &b3, 1),
                 TR_ERR_INVALID);
    tr_engine_free(e);
    probe_free(&p);

    /* A strategy that refuses its parameters: TR_ERR_INVALID and a
     * message; nothing leaks (the sanitizer build checks). */
    const tr_strategy_def *sma = tr_strategy_find("sma_cross");
    CHECK(sma != NULL);
    if (!sma)
        return;
    memset(&cfg, 0, sizeof cfg);
    cfg.cash = FX("1000");
    cfg.nsyms = 1;
    tr_risk_cfg_default(&cfg.risk);
    cfg.strategy = sma;
    cfg.params[0] = 30;
    cfg.params[1] = 10;
    err[0] = '\0';
    e = NULL;
    CHECK_EQ_I64(tr_engine_new(&cfg, NULL, &e, err, sizeof err),
                 TR_ERR_INVALID);
    CHECK(err[0] != '\0');
    if (e)
        tr_engine_free(e);
}

/* A refused step harms nothing (DESIGN.md, invariant 7): after a step
 * refused for a bad bar, the engine has not counted any of its bars and
 * takes a corrected step at the same time. */
static void test_refused_step_harmless(void)
{
    probe p;
    memset(&p, 0, sizeof p);
    g_probe = &p;
    tr_engine_cfg cfg;
    rec_cfg(&cfg, 2);
    tr_engine *e = NULL;
    char err[128];
    CHECK_EQ_I64(tr_engine_new(&cfg, NULL, &e, err, sizeof err), TR_OK);
    g_probe = NULL;
    if (!e)
        return;
    tr_bar b1 = day_bar(1, "10");
    tr_bar two[2] = {day_bar(2, "11"), day_bar(2, "12")};
    tr_sym s0 = 0, bad_syms[2] = {0, 7}, good_syms[2] = {0, 1};
    CHECK_EQ_I64(tr_engine_step(e, b1.time, &s0, &b1, 1), TR_OK);
    CHECK_EQ_I64(tr_engine_step(e, two[0].time, bad_syms, two, 2),
                 TR_ERR_INVALID);
    CHECK_MSG(tr_engine_bars_seen(e, 0) == 1,
              "a refused step counted a bar of sym 0 (bars seen %zu, "
              "expected 1)", tr_engine_bars_seen(e, 0));
    CHECK_MSG(tr_engine_portfolio(e)->pos[0].last == FX("10"),
              "a refused step marked sym 0 at %" PRId64 " (expected the "
              "previous close 10)", tr_engine_portfolio(e)->pos[0].last);
    CHECK_MSG(p.n == 1, "the strategy saw %zu bars, expected 1", p.n);
    int rc = tr_engine_step(e, two[0].time, good_syms, two, 2);
    CHECK_MSG(rc == TR_OK, "the corrected step at the same time was "
              "refused: %s", tr_strerror(rc));
    tr_engine_free(e);
    probe_free(&p);
}

/* ---- (e) sma_cross ------------------------------------------------------- */

typedef struct want_fill {
    tr_time time;
    tr_side side;
    tr_fx price;
} want_fill;

static void test_sma_cross(void)
{
    const tr_strategy_def *sma = tr_strategy_find("sma_cross");
    CHECK(sma != NULL);
    if (!sma)
        return;
    enum { FAST = 10, SLOW = 30, NS = 2 };
    tr_bars bars[NS];
    for (unsigned s = 0; s < NS; s++)
        make_series(51, s, 1500, TR_GEN_1D, day0(), s ? 0.1 : 0, 0, &bars[s]);

    tr_engine_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cash = FX("1000000");
    cfg.nsyms = NS;
    tr_risk_cfg_default(&cfg.risk);
    cfg.risk.enabled = 0;
    cfg.risk.sizing = TR_SIZE_FIXED;
    cfg.risk.qty = FX("100");
    cfg.strategy = sma;
    cfg.params[0] = FAST;
    cfg.params[1] = SLOW;
    cfg.params[2] = 0; /* long only */
    cfg.check_invariants = 1;
    tr_bt_result res;
    char err[128];
    int rc = tr_bt_run_bars(&cfg, names, bars, NS, &res, err, sizeof err);
    CHECK_MSG(rc == TR_OK, "sma_cross run: %s", err);
    if (rc != TR_OK) {
        free_series(bars, NS);
        return;
    }

    /* The expected fills, from the closes: SMA(10) and SMA(30), the
     * crossover rule of DESIGN.md (a change of sign against the last
     * non-zero difference; a tie is no cross and keeps that sign), long
     * on a cross up when flat, flat on a cross down when long, each at
     * the next bar's open. */
    size_t nwant_total = 0, nmatch = 0;
    for (unsigned s = 0; s < NS; s++) {
        want_fill *want = calloc(bars[s].n + 1, sizeof *want);
        if (!want)
            abort();
        size_t nw = 0;
        tr_ind_sma f, sl;
        tr_ind_sma_init(&f, FAST);
        tr_ind_sma_init(&sl, SLOW);
        int last = 0;
        tr_fx pos = 0;
        int pending = 0; /* +1 buy, -1 sell at the next open */
        for (size_t i = 0; i < bars[s].n; i++) {
            const tr_bar *b = &bars[s].v[i];
            if (pending) {
                want[nw].time = b->time;
                want[nw].side = pending > 0 ? TR_BUY : TR_SELL;
                want[nw].price = b->open;
                nw++;
                pos = pending > 0 ? FX("100") : 0;
                pending = 0;
            }
            double x = tr_fx_to_double(b->close);
            double a = tr_ind_sma_update(&f, x), c = tr_ind_sma_update(&sl, x);
            if (!tr_ind_sma_ready(&f) || !tr_ind_sma_ready(&sl))
                continue;
            double d = a - c;
            int sign = (d > 0) - (d < 0);
            if (sign == 0)
                continue;
            int cross = last != 0 && sign != last ? sign : 0;
            last = sign;
            if (cross > 0 && pos == 0)
                pending = 1;
            else if (cross < 0 && pos > 0)
                pending = -1;
        }
        tr_ind_sma_free(&f);
        tr_ind_sma_free(&sl);

        size_t k = 0, bad = 0;
        for (size_t i = 0; i < res.fills.n; i++) {
            const tr_fill *fl = &res.fills.v[i];
            if (fl->sym != s)
                continue;
            if (fl->qty != FX("100"))
                bad++;
            if (k >= nw || fl->time != want[k].time ||
                fl->side != want[k].side || fl->price != want[k].price) {
                if (bad < 3)
                    fprintf(stderr,
                            "sym %u fill %zu: time %" PRId64 " side %d "
                            "price %" PRId64 "; expected time %" PRId64
                            " side %d price %" PRId64 "\n",
                            s, k, fl->time, (int)fl->side, fl->price,
                            k < nw ? want[k].time : 0,
                            k < nw ? (int)want[k].side : 0,
                            k < nw ? want[k].price : 0);
                bad++;
            } else {
                nmatch++;
            }
            k++;
        }
        CHECK_MSG(k == nw, "sym %u: %zu fills, expected %zu", s, k, nw);
        CHECK_MSG(bad == 0, "sym %u: %zu fills differ from the crosses", s,
                  bad);
        nwant_total += nw;
        free(want);
    }
    CHECK_MSG(nwant_total > 20, "only %zu crosses acted on", nwant_total);
    CHECK_EQ_I64(nmatch, nwant_total);

    /* Every trade is 100 shares, long, entered and left at an open. */
    size_t bad = 0;
    for (size_t i = 0; i < res.ntrades; i++) {
        const tr_trade *t = &res.trades[i];
        long b = bar_index(&bars[t->sym], t->entry_time);
        if (t->qty != FX("100") || t->side != TR_BUY || b < 0 ||
            t->entry_price != bars[t->sym].v[b].open)
            bad++;
        if (!t->open) {
            long x = bar_index(&bars[t->sym], t->exit_time);
            if (x < 0 || t->exit_price != bars[t->sym].v[x].open ||
                x <= b)
                bad++;
        }
    }
    CHECK_MSG(bad == 0, "%zu trades not 100 shares from open to open", bad);
    CHECK(res.ntrades > 10);
    /* No costs: the trades' P&L is 100 x (exit - entry), and adds up to
     * the equity. */
    tr_fx sum = 0;
    for (size_t i = 0; i < res.ntrades; i++) {
        const tr_trade *t = &res.trades[i];
        if (!t->open)
            CHECK_EQ_I64(t->pnl, (t->exit_price - t->entry_price) * 100);
        sum += t->pnl;
    }
    CHECK_EQ_I64(res.final_equity, cfg.cash + sum);
    /* Risk disabled: every signal went through. */
    for (size_t i = 0; i < res.signals.n; i++)
        CHECK_EQ_I64(res.signals.v[i].reason, TR_RISK_OK);
    tr_bt_result_free(&res);
    free_series(bars, NS);
}

int main(void)
{
    test_random_runs();
    test_partial_fills_happen();
    test_determinism();
    test_no_lookahead();
    test_fill_at_close();
    test_step_refusals();
    test_refused_step_harmless();
    test_sma_cross();
    /* Last: runs without a single trade (a recorder strategy). */
    test_merge_small();
    test_merge_generated();
    {
        /* Session timers: only across a day change, close at the old day's
         * last nanosecond, open at the new day's midnight. */
        tr_timer_kind k[2];
        tr_time w[2], a, b;
        tr_time_parse("2024-01-05T20:59:00Z", 20, &a);
        tr_time_parse("2024-01-08T14:30:00Z", 20, &b);
        CHECK_EQ_I64(tr_engine_timers_due(INT64_MIN, b, k, w), 0);
        CHECK_EQ_I64(tr_engine_timers_due(a, a + TR_NS_PER_MIN, k, w), 0);
        CHECK_EQ_I64(tr_engine_timers_due(a, b, k, w), 2);
        CHECK(k[0] == TR_TIMER_SESSION_CLOSE && k[1] == TR_TIMER_SESSION_OPEN);
        char s0[TR_TIME_STRLEN], s1[TR_TIME_STRLEN];
        tr_time_format(w[0], s0, sizeof s0);
        tr_time_format(w[1], s1, sizeof s1);
        CHECK_STR(s0, "2024-01-05T23:59:59.999999999Z");
        CHECK_STR(s1, "2024-01-08T00:00:00Z");
    }
    return test_summary();
}
