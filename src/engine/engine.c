/* engine.c: the step loop (see engine.h). */
#include "engine/engine.h"

#include "engine/command.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/journal.h" /* tr_crc32c */

struct tr_engine {
    tr_engine_cfg cfg;
    tr_engine_sink sink;
    tr_paper *broker;
    tr_portfolio port;
    tr_trade_log trades;
    tr_risk *risk;
    void *strat;          /* the strategy's state */
    tr_strat_ctx ctx;
    tr_bar *last;         /* last[sym]: the latest bar, for order references */
    size_t *bars_seen;
    tr_time now;
    tr_time last_timer;   /* INT64_MIN before the first */
    int started;
    int strat_disabled;   /* signals of the strategy are dropped */
    tr_commands *cmds;    /* answers to referenced controls (command.h) */
    int err;              /* first error raised inside a callback */
    uint64_t fingerprint; /* of cfg, for snapshots */
};

static int config_fingerprint(const tr_engine_cfg *c, uint64_t *out);

static void on_fill(void *vctx, const tr_order *o, const tr_fill *f)
{
    tr_engine *e = vctx;
    (void)o;
    tr_fx before = e->port.pos[f->sym].qty, realized = 0;
    int rc = tr_portfolio_fill(&e->port, f, &realized);
    if (rc == TR_OK)
        rc = tr_trade_log_fill(&e->trades, f, before, realized);
    if (rc != TR_OK && !e->err)
        e->err = rc;
    if (e->port.pos[f->sym].qty == 0)
        tr_risk_position_closed(e->risk, f->sym);
    if (e->sink.fill)
        e->sink.fill(e->sink.ctx, f);
    if (e->cfg.strategy->on_fill)
        e->cfg.strategy->on_fill(e->strat, &e->ctx, f);
}

static void on_order(void *vctx, const tr_order *o)
{
    tr_engine *e = vctx;
    if (e->sink.order)
        e->sink.order(e->sink.ctx, o);
}

static void on_alert(void *vctx, const tr_risk_alert *a)
{
    tr_engine *e = vctx;
    if (e->sink.alert)
        e->sink.alert(e->sink.ctx, a);
}

static tr_fx ctx_position(void *vctx, tr_sym sym)
{
    tr_engine *e = vctx;
    return sym < e->cfg.nsyms ? e->port.pos[sym].qty : 0;
}

/* Plan sig through risk and send what the plan says; limit_price > 0 makes
 * the entry a limit order, pending_check lets a repeat signal do nothing
 * while an entry is still open (strategies), ans (may be NULL) gets the
 * outcome. */
static void plan_and_send(tr_engine *e, const tr_signal *sig,
                          tr_fx limit_price, tr_tif tif, int pending_check,
                          tr_engine_answer *ans)
{
    tr_side want = sig->target > 0 ? TR_BUY : TR_SELL;
    tr_fx pending = pending_check ? tr_paper_open_qty(e->broker, sig->sym,
                                                      TR_ROLE_ENTRY, want)
                                  : 0;
    tr_risk_plan plan;
    tr_risk_plan_signal(e->risk, sig, &e->port, pending, &plan);
    if (plan.has_entry) {
        plan.entry.tif = tif;
        if (limit_price > 0) {
            plan.entry.type = TR_ORD_LIMIT;
            plan.entry.limit_price = limit_price;
        }
    }
    if (e->sink.signal)
        e->sink.signal(e->sink.ctx, sig, &plan);
    const tr_bar *last = &e->last[sig->sym];
    int rc = TR_OK;
    if (plan.has_exit)
        rc = tr_paper_submit(e->broker, &plan.exit, e->now, last);
    if (plan.has_entry && rc != TR_ERR_NOMEM)
        rc = tr_paper_submit_bracket(e->broker, &plan.entry, plan.stop,
                                     plan.take_profit, e->now, last, NULL,
                                     NULL);
    if (rc == TR_ERR_NOMEM && !e->err)
        e->err = rc;
    if (ans) {
        memset(ans, 0, sizeof *ans);
        ans->reason = plan.reason;
        memcpy(ans->detail, plan.detail, sizeof ans->detail);
        const tr_order *o = plan.has_entry ? &plan.entry
                            : plan.has_exit ? &plan.exit : NULL;
        if (o && o->status != TR_ORD_REJECTED) {
            ans->executed = 1;
            ans->order_id = o->id;
            ans->qty = o->qty;
        }
    }
}

static void ctx_emit(void *vctx, const tr_signal *sig)
{
    tr_engine *e = vctx;
    if (sig->sym >= e->cfg.nsyms || e->strat_disabled)
        return;
    plan_and_send(e, sig, 0, TR_TIF_GTC, 1, NULL);
}

int tr_engine_new(const tr_engine_cfg *cfg, const tr_engine_sink *sink,
                  tr_engine **out, char *err, size_t errlen)
{
    tr_engine *e = calloc(1, sizeof *e);
    if (!e)
        return TR_ERR_NOMEM;
    e->cfg = *cfg;
    e->last_timer = INT64_MIN;
    if (sink)
        e->sink = *sink;
    size_t n = cfg->nsyms ? cfg->nsyms : 1;
    tr_paper_events ev = {e, on_order, on_fill};
    e->broker = tr_paper_new(&cfg->fill, cfg->nsyms, &ev);
    e->risk = tr_risk_new(&cfg->risk, cfg->nsyms, on_alert, e);
    e->last = calloc(n, sizeof *e->last);
    e->bars_seen = calloc(n, sizeof *e->bars_seen);
    int rc = TR_ERR_NOMEM;
    if (!e->broker || !e->risk || !e->last || !e->bars_seen ||
        tr_portfolio_init(&e->port, cfg->cash, cfg->nsyms) != TR_OK ||
        tr_trade_log_init(&e->trades, cfg->nsyms) != TR_OK)
        goto fail;
    rc = config_fingerprint(cfg, &e->fingerprint);
    e->cfg.symbols = NULL; /* borrowed for this call only */
    if (rc != TR_OK)
        goto fail;
    e->cmds = tr_commands_new();
    if (!e->cmds) {
        rc = TR_ERR_NOMEM;
        goto fail;
    }
    rc = cfg->strategy->create(cfg->params, cfg->nsyms, &e->strat, err, errlen);
    if (rc != TR_OK)
        goto fail;
    e->ctx.engine = e;
    e->ctx.position = ctx_position;
    e->ctx.emit = ctx_emit;
    e->ctx.strategy_name = cfg->strategy->name;
    *out = e;
    return TR_OK;
fail:
    tr_engine_free(e);
    return rc;
}

void tr_engine_free(tr_engine *e)
{
    if (!e)
        return;
    if (e->strat)
        e->cfg.strategy->destroy(e->strat);
    tr_paper_free(e->broker);
    tr_risk_free(e->risk);
    tr_commands_free(e->cmds);
    tr_portfolio_free(&e->port);
    tr_trade_log_free(&e->trades);
    free(e->last);
    free(e->bars_seen);
    free(e);
}

int tr_engine_step(tr_engine *e, tr_time t, const tr_sym *syms,
                   const tr_bar *bars, size_t n)
{
    /* Refuse a bad step before touching any state. */
    if (e->started && t <= e->now)
        return TR_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (syms[i] >= e->cfg.nsyms || bars[i].time != t)
            return TR_ERR_INVALID;
        for (size_t j = 0; j < i; j++)
            if (syms[j] == syms[i])
                return TR_ERR_INVALID;
    }
    e->started = 1;
    e->now = t;
    for (size_t i = 0; i < n; i++) {
        tr_sym s = syms[i];
        tr_paper_on_bar(e->broker, s, &bars[i]);
        if (tr_portfolio_mark(&e->port, s, bars[i].close) != TR_OK)
            return TR_ERR_RANGE;
        tr_trade_log_bar(&e->trades, s);
        tr_risk_on_bar(e->risk, s, &bars[i]);
        e->last[s] = bars[i];
        e->bars_seen[s]++;
    }
    if (e->err)
        return e->err;
    tr_fx equity = tr_portfolio_equity(&e->port);
    tr_risk_on_equity(e->risk, t, equity);
    if (e->sink.equity) {
        tr_equity_point pt = {t, equity, e->port.cash, e->port.gross};
        e->sink.equity(e->sink.ctx, &pt);
    }
    for (size_t i = 0; i < n; i++)
        e->cfg.strategy->on_bar(e->strat, &e->ctx, syms[i], &bars[i]);
    if (e->cfg.check_invariants) {
        if (!tr_portfolio_check(&e->port))
            return TR_ERR_DATA;
        for (size_t s = 0; s < e->cfg.nsyms; s++)
            if (tr_paper_position(e->broker, (tr_sym)s) != e->port.pos[s].qty)
                return TR_ERR_DATA;
    }
    return e->err;
}

int tr_engine_timer(tr_engine *e, tr_timer_kind kind, tr_time t)
{
    if ((e->started && t < e->now) ||
        (kind != TR_TIMER_SESSION_CLOSE && kind != TR_TIMER_SESSION_OPEN))
        return TR_ERR_INVALID;
    if (kind == TR_TIMER_SESSION_CLOSE)
        tr_paper_end_session(e->broker, tr_time_day(t), t);
    e->last_timer = t;
    return e->err;
}

size_t tr_engine_timers_due(tr_time prev, tr_time next, tr_timer_kind *kinds,
                            tr_time *times)
{
    if (prev == INT64_MIN || tr_time_day(prev) == tr_time_day(next))
        return 0;
    kinds[0] = TR_TIMER_SESSION_CLOSE;
    times[0] = (tr_time_day(prev) + 1) * TR_NS_PER_DAY - 1;
    kinds[1] = TR_TIMER_SESSION_OPEN;
    times[1] = tr_time_day(next) * TR_NS_PER_DAY;
    return 2;
}

/* ---- commands --------------------------------------------------------------- */

static void answer_refused(tr_engine_answer *ans, tr_risk_reason why,
                          const char *detail)
{
    memset(ans, 0, sizeof *ans);
    ans->reason = why;
    snprintf(ans->detail, sizeof ans->detail, "%s", detail);
}

int tr_engine_signal(tr_engine *e, const tr_signal *sig, tr_fx limit_price,
                     tr_engine_answer *ans)
{
    if (sig->sym >= e->cfg.nsyms) {
        answer_refused(ans, TR_RISK_NOT_READY, "unknown instrument");
        return TR_ERR_INVALID;
    }
    tr_signal s = *sig;
    tr_fx pos = e->port.pos[s.sym].qty;
    if (s.action == TR_SIGNAL_BUY)
        s.target = pos < 0 ? 0 : 1;
    else if (s.action == TR_SIGNAL_SELL)
        s.target = pos > 0 ? 0 : -1;
    else
        s.target = pos > 0 ? 1 : pos < 0 ? -1 : 0;
    s.time = e->now;
    plan_and_send(e, &s, limit_price, TR_TIF_GTC, 0, ans);
    return e->err;
}

int tr_engine_order(tr_engine *e, const tr_order *o, tr_fx stop_loss,
                    tr_fx take_profit, tr_engine_answer *ans)
{
    memset(ans, 0, sizeof *ans);
    if (o->sym >= e->cfg.nsyms || o->qty <= 0 ||
        (o->side != TR_BUY && o->side != TR_SELL)) {
        answer_refused(ans, TR_RISK_NOT_READY,
                       o->sym >= e->cfg.nsyms ? "unknown instrument"
                                              : "quantity must be positive");
        return TR_ERR_INVALID;
    }
    tr_fx pos = e->port.pos[o->sym].qty;
    tr_fx apos = pos < 0 ? -pos : pos;
    int reduces = (pos > 0 && o->side == TR_SELL) ||
                  (pos < 0 && o->side == TR_BUY);
    const tr_bar *last = &e->last[o->sym];
    if (reduces && o->qty <= apos) { /* an exit: cutting risk is allowed */
        tr_order x = *o;
        x.role = TR_ROLE_EXIT;
        int rc = tr_paper_submit(e->broker, &x, e->now, last);
        if (rc == TR_ERR_NOMEM)
            return e->err = rc;
        if (x.status == TR_ORD_REJECTED) {
            answer_refused(ans, TR_RISK_OK, "the broker refused the order");
            return TR_ERR_INVALID;
        }
        ans->executed = 1;
        ans->order_id = x.id;
        ans->qty = x.qty;
        return e->err;
    }
    /* Opens, adds or reverses: the risk limits decide, as for a signal of
     * that size (a reversal exits the old position first). */
    tr_signal s;
    memset(&s, 0, sizeof s);
    s.sym = o->sym;
    s.time = e->now;
    s.action = o->side == TR_BUY ? TR_SIGNAL_BUY : TR_SIGNAL_SELL;
    s.target = o->side == TR_BUY ? 1 : -1;
    s.confidence = 1;
    s.qty = reduces ? o->qty - apos : o->qty;
    s.stop = stop_loss;
    s.take_profit = take_profit;
    memcpy(s.strategy, o->strategy, sizeof s.strategy);
    s.strategy[sizeof s.strategy - 1] = '\0';
    tr_side want = o->side;
    tr_risk_plan plan;
    tr_risk_plan_signal(e->risk, &s, &e->port, 0, &plan);
    if (plan.has_entry) {
        plan.entry.type = o->type;
        plan.entry.tif = o->tif;
        plan.entry.limit_price = o->limit_price;
        plan.entry.stop_price = o->stop_price;
        plan.entry.trail_amount = o->trail_amount;
        plan.entry.trail_percent = o->trail_percent;
        plan.entry.side = want;
    }
    if (e->sink.signal)
        e->sink.signal(e->sink.ctx, &s, &plan);
    ans->reason = plan.reason;
    memcpy(ans->detail, plan.detail, sizeof ans->detail);
    if (!plan.has_entry && plan.reason == TR_RISK_OK)
        return e->err; /* nothing to do */
    int rc = TR_OK;
    if (plan.has_exit && plan.has_entry)
        rc = tr_paper_submit(e->broker, &plan.exit, e->now, last);
    if (plan.has_entry && rc != TR_ERR_NOMEM) {
        rc = tr_paper_submit_bracket(e->broker, &plan.entry, plan.stop,
                                     plan.take_profit, e->now, last, NULL,
                                     NULL);
        if (plan.entry.status == TR_ORD_REJECTED) {
            answer_refused(ans, TR_RISK_OK, "the order is not valid (check "
                           "its type, prices and time in force)");
            return rc == TR_ERR_NOMEM ? (e->err = rc) : TR_ERR_INVALID;
        }
        ans->executed = 1;
        ans->order_id = plan.entry.id;
        ans->qty = plan.entry.qty;
    }
    if (rc == TR_ERR_NOMEM && !e->err)
        e->err = rc;
    return e->err;
}

int tr_engine_cancel(tr_engine *e, uint64_t id)
{
    if (id == 0) {
        tr_paper_cancel_all(e->broker, (tr_sym)-1, e->now);
        return e->err;
    }
    int rc = tr_paper_cancel(e->broker, id, e->now);
    return rc != TR_OK ? rc : e->err;
}

int tr_engine_close(tr_engine *e, tr_sym sym, tr_engine_answer *ans)
{
    memset(ans, 0, sizeof *ans);
    if (sym >= e->cfg.nsyms || e->port.pos[sym].qty == 0) {
        answer_refused(ans, TR_RISK_NOTHING_TO_DO, "no open position");
        return TR_ERR_NOT_FOUND;
    }
    tr_fx pos = e->port.pos[sym].qty;
    tr_paper_cancel_all(e->broker, sym, e->now);
    tr_order x;
    memset(&x, 0, sizeof x);
    x.sym = sym;
    x.side = pos > 0 ? TR_SELL : TR_BUY;
    x.type = TR_ORD_MARKET;
    x.tif = TR_TIF_GTC;
    x.role = TR_ROLE_EXIT;
    x.qty = pos > 0 ? pos : -pos;
    snprintf(x.strategy, sizeof x.strategy, "api");
    int rc = tr_paper_submit(e->broker, &x, e->now, &e->last[sym]);
    if (rc == TR_ERR_NOMEM)
        return e->err = rc;
    ans->executed = x.status != TR_ORD_REJECTED;
    ans->order_id = x.id;
    ans->qty = x.qty;
    return e->err;
}

void tr_engine_halt(tr_engine *e, int halted)
{
    tr_risk_set_halt(e->risk, halted, e->now);
}

void tr_engine_strategy_enable(tr_engine *e, int enabled)
{
    e->strat_disabled = !enabled;
}

int tr_engine_strategy_enabled(const tr_engine *e)
{
    return !e->strat_disabled;
}

int tr_engine_strategy_params(tr_engine *e, const double *params, char *err,
                              size_t errlen)
{
    void *fresh = NULL;
    int rc = e->cfg.strategy->create(params, e->cfg.nsyms, &fresh, err,
                                     errlen);
    if (rc != TR_OK)
        return rc;
    e->cfg.strategy->destroy(e->strat);
    e->strat = fresh;
    memcpy(e->cfg.params, params, sizeof e->cfg.params);
    return TR_OK;
}

tr_commands *tr_engine_commands(tr_engine *e)
{
    return e->cmds;
}

const double *tr_engine_strategy_param_values(const tr_engine *e)
{
    return e->cfg.params;
}

tr_time tr_engine_now(const tr_engine *e)
{
    return e->now;
}

int tr_engine_finish(tr_engine *e)
{
    return tr_trade_log_finish(&e->trades, &e->port);
}

const tr_portfolio *tr_engine_portfolio(const tr_engine *e)
{
    return &e->port;
}

const tr_trade_log *tr_engine_trades(const tr_engine *e)
{
    return &e->trades;
}

const tr_paper *tr_engine_broker(const tr_engine *e)
{
    return e->broker;
}

tr_paper *tr_engine_broker_mut(tr_engine *e)
{
    return e->broker;
}

tr_risk *tr_engine_risk(tr_engine *e)
{
    return e->risk;
}

const tr_risk *tr_engine_risk_const(const tr_engine *e)
{
    return e->risk;
}

const tr_bar *tr_engine_last_bar(const tr_engine *e, tr_sym sym)
{
    return &e->last[sym < e->cfg.nsyms ? sym : 0];
}

size_t tr_engine_bars_seen(const tr_engine *e, tr_sym sym)
{
    return sym < e->cfg.nsyms ? e->bars_seen[sym] : 0;
}

void tr_engine_clock(const tr_engine *e, tr_time *last_step,
                     tr_time *last_timer)
{
    *last_step = e->started ? e->now : INT64_MIN;
    *last_timer = e->last_timer;
}

/* ---- snapshots (engine.h) ------------------------------------------------ */

#define SNAP_MAGIC TR_TAG('T', 'R', 'E', 'S')

/* FNV-1a, 64 bits: a fingerprint, not a defence against forgery. */
static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

/* Everything of the config that shapes the state or the outputs, in a
 * fixed order (check_invariants does neither). */
static int config_fingerprint(const tr_engine_cfg *c, uint64_t *out)
{
    tr_enc x;
    tr_enc_init(&x);
    tr_enc_u32(&x, TR_ENGINE_SNAP_VERSION);
    tr_enc_i64(&x, c->cash);
    tr_enc_u64(&x, c->nsyms);
    for (size_t i = 0; i < c->nsyms; i++)
        tr_enc_str(&x, c->symbols ? c->symbols[i] : "", TR_SYM_MAX_LEN + 1);
    const tr_costs *k = &c->fill.costs;
    tr_enc_i64(&x, k->per_order);
    tr_enc_i64(&x, k->per_share);
    tr_enc_i64(&x, k->pct);
    tr_enc_i64(&x, k->minimum);
    tr_enc_i64(&x, k->slippage_bps);
    tr_enc_i64(&x, k->slippage_ticks);
    tr_enc_i64(&x, k->tick_size);
    tr_enc_i64(&x, c->fill.max_volume_share);
    tr_enc_i64(&x, c->fill.qty_step);
    tr_enc_i32(&x, c->fill.fill_at_close);
    const tr_risk_cfg *r = &c->risk;
    tr_enc_i32(&x, (int32_t)r->sizing);
    tr_enc_i64(&x, r->qty);
    tr_enc_f64(&x, r->percent);
    tr_enc_f64(&x, r->risk_pct);
    tr_enc_f64(&x, r->atr_mult);
    tr_enc_i32(&x, r->atr_period);
    tr_enc_i64(&x, r->qty_step);
    tr_enc_i64(&x, r->tick_size);
    tr_enc_i32(&x, (int32_t)r->stop_kind);
    tr_enc_f64(&x, r->stop_value);
    tr_enc_i32(&x, (int32_t)r->tp_kind);
    tr_enc_f64(&x, r->tp_value);
    tr_enc_i32(&x, r->enabled);
    tr_enc_f64(&x, r->max_position_pct);
    tr_enc_i32(&x, r->max_open_positions);
    tr_enc_f64(&x, r->max_portfolio_risk_pct);
    tr_enc_f64(&x, r->max_correlation);
    tr_enc_i32(&x, r->correlation_lookback);
    tr_enc_i64(&x, r->max_order_notional);
    tr_enc_f64(&x, r->daily_loss_pct);
    tr_enc_f64(&x, r->max_drawdown_pct);
    tr_enc_f64(&x, r->leverage);
    tr_enc_i32(&x, r->kill_switch);
    tr_enc_str(&x, c->strategy->name, 64);
    tr_enc_u64(&x, c->strategy->nparams);
    for (size_t i = 0; i < c->strategy->nparams && i < TR_STRAT_MAX_PARAMS;
         i++)
        tr_enc_f64(&x, c->params[i]);
    int rc = tr_enc_error(&x);
    if (rc == TR_OK)
        *out = fnv1a(x.p, x.len);
    tr_enc_free(&x);
    return rc;
}

uint64_t tr_engine_fingerprint(const tr_engine *e)
{
    return e->fingerprint;
}

/* ---- the sections ---- */

static void head_save(const tr_engine *e, tr_enc *x)
{
    tr_enc_str(x, e->cfg.strategy->name, 32);
    tr_enc_u64(x, e->cfg.nsyms);
    tr_enc_u8(x, (uint8_t)e->started);
    tr_enc_i64(x, e->started ? e->now : INT64_MIN);
    tr_enc_i64(x, e->last_timer);
}

static int head_read(tr_dec *d, tr_engine_snap_info *info)
{
    tr_dec_str(d, info->strategy, sizeof info->strategy);
    info->nsyms = tr_dec_u64(d);
    uint8_t started = tr_dec_u8(d);
    info->last_step = tr_dec_i64(d);
    info->last_timer = tr_dec_i64(d);
    tr_dec_check(d, started <= 1 &&
                        (started == 1) == (info->last_step != INT64_MIN));
    return tr_dec_error(d);
}

static int head_load(tr_engine *e, tr_dec *d)
{
    tr_engine_snap_info info;
    memset(&info, 0, sizeof info);
    if (head_read(d, &info) != TR_OK ||
        !tr_dec_check(d, info.nsyms == e->cfg.nsyms))
        return TR_ERR_DATA;
    e->started = info.last_step != INT64_MIN;
    e->now = e->started ? info.last_step : 0;
    e->last_timer = info.last_timer;
    return TR_OK;
}

static void bars_save(const tr_engine *e, tr_enc *x)
{
    for (size_t s = 0; s < e->cfg.nsyms; s++) {
        const tr_bar *b = &e->last[s];
        tr_enc_i64(x, b->time);
        tr_enc_i64(x, b->open);
        tr_enc_i64(x, b->high);
        tr_enc_i64(x, b->low);
        tr_enc_i64(x, b->close);
        tr_enc_i64(x, b->volume);
        tr_enc_u64(x, e->bars_seen[s]);
    }
}

static int bars_load(tr_engine *e, tr_dec *d)
{
    for (size_t s = 0; s < e->cfg.nsyms; s++) {
        tr_bar *b = &e->last[s];
        b->time = tr_dec_i64(d);
        b->open = tr_dec_i64(d);
        b->high = tr_dec_i64(d);
        b->low = tr_dec_i64(d);
        b->close = tr_dec_i64(d);
        b->volume = tr_dec_i64(d);
        e->bars_seen[s] = (size_t)tr_dec_u64(d);
    }
    return tr_dec_error(d);
}

static void paper_save(const tr_engine *e, tr_enc *x)
{
    tr_paper_save(e->broker, x);
}

static int paper_load(tr_engine *e, tr_dec *d)
{
    return tr_paper_load(e->broker, d);
}

static void port_save(const tr_engine *e, tr_enc *x)
{
    tr_portfolio_save(&e->port, x);
}

static int port_load(tr_engine *e, tr_dec *d)
{
    return tr_portfolio_load(&e->port, d);
}

static void trades_save(const tr_engine *e, tr_enc *x)
{
    tr_trade_log_save(&e->trades, x);
}

static int trades_load(tr_engine *e, tr_dec *d)
{
    return tr_trade_log_load(&e->trades, d);
}

static void risk_save(const tr_engine *e, tr_enc *x)
{
    tr_risk_save(e->risk, x);
}

static int risk_load(tr_engine *e, tr_dec *d)
{
    return tr_risk_load(e->risk, d);
}

/* Controls from outside: the strategy's switch and the parameters in force
 * (the config's, or the API's since), before the strategy's own state,
 * whose shape they decide. */
static void ctrl_save(const tr_engine *e, tr_enc *x)
{
    tr_enc_u8(x, (uint8_t)e->strat_disabled);
    tr_enc_u32(x, TR_STRAT_MAX_PARAMS);
    for (size_t i = 0; i < TR_STRAT_MAX_PARAMS; i++)
        tr_enc_f64(x, e->cfg.params[i]);
}

static int ctrl_load(tr_engine *e, tr_dec *d)
{
    uint8_t disabled = tr_dec_u8(d);
    uint32_t n = tr_dec_u32(d);
    double p[TR_STRAT_MAX_PARAMS];
    for (size_t i = 0; i < TR_STRAT_MAX_PARAMS; i++)
        p[i] = tr_dec_f64(d);
    if (!tr_dec_check(d, disabled <= 1 && n == TR_STRAT_MAX_PARAMS))
        return TR_ERR_DATA;
    if (memcmp(p, e->cfg.params, sizeof p) != 0 &&
        tr_engine_strategy_params(e, p, NULL, 0) != TR_OK)
        return TR_ERR_DATA;
    e->strat_disabled = disabled;
    return TR_OK;
}

static void cmds_save(const tr_engine *e, tr_enc *x)
{
    tr_commands_save(e->cmds, x);
}

static int cmds_load(tr_engine *e, tr_dec *d)
{
    return tr_commands_load(e->cmds, d);
}

static void strat_save(const tr_engine *e, tr_enc *x)
{
    e->cfg.strategy->save(e->strat, x);
}

static int strat_load(tr_engine *e, tr_dec *d)
{
    return e->cfg.strategy->load(e->strat, d);
}

/* The sections, in the order they are written. To add state, add a line
 * (optional = 1 for anything added after version 1: snapshots written
 * before it lack the section, and the fresh engine's state stands). */
typedef struct snap_section {
    uint32_t tag;
    const char *name;
    void (*save)(const tr_engine *e, tr_enc *x);
    int (*load)(tr_engine *e, tr_dec *d);
    int optional;
} snap_section;

static const snap_section sections[] = {
    {TR_TAG('H', 'E', 'A', 'D'), "engine", head_save, head_load, 0},
    {TR_TAG('B', 'A', 'R', 'S'), "last bars", bars_save, bars_load, 0},
    {TR_TAG('P', 'A', 'P', 'R'), "broker", paper_save, paper_load, 0},
    {TR_TAG('P', 'O', 'R', 'T'), "portfolio", port_save, port_load, 0},
    {TR_TAG('T', 'R', 'D', 'S'), "trade log", trades_save, trades_load, 0},
    {TR_TAG('R', 'I', 'S', 'K'), "risk", risk_save, risk_load, 0},
    {TR_TAG('C', 'T', 'R', 'L'), "controls", ctrl_save, ctrl_load, 0},
    {TR_TAG('S', 'T', 'R', 'T'), "strategy", strat_save, strat_load, 0},
    {TR_TAG('C', 'M', 'D', 'S'), "answers", cmds_save, cmds_load, 0},
};

#define NSECTIONS (sizeof sections / sizeof sections[0])

int tr_engine_save(const tr_engine *e, tr_enc *out)
{
    if (e->err || !e->cfg.strategy->save || !e->cfg.strategy->load)
        return TR_ERR_INVALID;
    size_t start = out->len;
    tr_enc_u32(out, SNAP_MAGIC);
    tr_enc_u32(out, TR_ENGINE_SNAP_VERSION);
    tr_enc_u64(out, e->fingerprint);
    for (size_t i = 0; i < NSECTIONS; i++) {
        size_t mark = tr_enc_begin(out, sections[i].tag);
        sections[i].save(e, out);
        tr_enc_end(out, mark);
    }
    if (tr_enc_error(out))
        return tr_enc_error(out);
    tr_enc_u32(out, tr_crc32c(0, out->p + start, out->len - start));
    return tr_enc_error(out);
}

/* The header of a snapshot whose checksum holds: d is left after it. */
static int snap_open(const void *data, size_t len, tr_dec *d,
                     uint32_t *version, uint64_t *fp, char *err,
                     size_t errlen)
{
    const uint8_t *p = data;
    if (!p || len < 20) {
        tr_errf(err, errlen, "cut short (%zu bytes)", len);
        return TR_ERR_DATA;
    }
    uint32_t crc = (uint32_t)p[len - 4] | (uint32_t)p[len - 3] << 8 |
                   (uint32_t)p[len - 2] << 16 | (uint32_t)p[len - 1] << 24;
    if (tr_crc32c(0, p, len - 4) != crc) {
        tr_errf(err, errlen, "damaged (checksum mismatch)");
        return TR_ERR_DATA;
    }
    tr_dec_init(d, p, len - 4);
    uint32_t magic = tr_dec_u32(d);
    *version = tr_dec_u32(d);
    *fp = tr_dec_u64(d);
    if (magic != SNAP_MAGIC) {
        tr_errf(err, errlen, "not an engine snapshot");
        return TR_ERR_DATA;
    }
    return TR_OK;
}

int tr_engine_snapshot_info(const void *data, size_t len,
                            tr_engine_snap_info *out)
{
    memset(out, 0, sizeof *out);
    tr_dec d, body;
    if (snap_open(data, len, &d, &out->version, &out->fingerprint, NULL, 0) !=
            TR_OK ||
        !tr_dec_expect(&d, sections[0].tag, &body))
        return TR_ERR_DATA;
    return head_read(&body, out);
}

int tr_engine_load(tr_engine *e, const void *data, size_t len, char *err,
                   size_t errlen)
{
    if (e->started || e->last_timer != INT64_MIN ||
        tr_paper_order_count(e->broker) != 0) {
        tr_errf(err, errlen, "the engine has already run");
        return TR_ERR_INVALID;
    }
    if (!e->cfg.strategy->load) {
        tr_errf(err, errlen, "strategy %s cannot load a snapshot",
                  e->cfg.strategy->name);
        return TR_ERR_INVALID;
    }
    tr_dec d;
    uint32_t version;
    uint64_t fp;
    int rc = snap_open(data, len, &d, &version, &fp, err, errlen);
    if (rc != TR_OK)
        return rc;
    if (version != TR_ENGINE_SNAP_VERSION) {
        tr_errf(err, errlen, "format version %" PRIu32 ", this build reads "
                  "%d", version, TR_ENGINE_SNAP_VERSION);
        return TR_ERR_DATA;
    }
    if (fp != e->fingerprint) {
        tr_engine_snap_info info;
        if (tr_engine_snapshot_info(data, len, &info) == TR_OK)
            tr_errf(err, errlen, "written under another config (%s on %"
                      PRIu64 " instruments, or other parameters, costs or "
                      "risk settings)", info.strategy, info.nsyms);
        else
            tr_errf(err, errlen, "written under another config");
        return TR_ERR_DATA;
    }
    int seen[NSECTIONS] = {0};
    uint32_t tag;
    tr_dec body;
    size_t next = 0; /* sections come in table order */
    while (tr_dec_section(&d, &tag, &body)) {
        size_t i = next;
        while (i < NSECTIONS && sections[i].tag != tag)
            i++;
        if (i == NSECTIONS) {
            char t[5] = {(char)tag, (char)(tag >> 8), (char)(tag >> 16),
                         (char)(tag >> 24), 0};
            for (int k = 0; k < 4; k++)
                if (t[k] < 0x20 || t[k] > 0x7e)
                    t[k] = '?';
            tr_errf(err, errlen, "unknown or misplaced section '%s'", t);
            return TR_ERR_DATA;
        }
        rc = sections[i].load(e, &body);
        if (rc == TR_OK && tr_dec_finish(&body) != TR_OK)
            rc = TR_ERR_DATA;
        if (rc != TR_OK) {
            tr_errf(err, errlen, "the %s section %s", sections[i].name,
                      rc == TR_ERR_NOMEM ? "needs more memory than there is"
                                         : "does not hold together");
            return rc;
        }
        seen[i] = 1;
        next = i + 1;
    }
    if (tr_dec_finish(&d) != TR_OK) {
        tr_errf(err, errlen, "cut short inside a section");
        return TR_ERR_DATA;
    }
    for (size_t i = 0; i < NSECTIONS; i++)
        if (!seen[i] && !sections[i].optional) {
            tr_errf(err, errlen, "the %s section is missing",
                      sections[i].name);
            return TR_ERR_DATA;
        }
    /* The broker's and the portfolio's positions agree in any saved state. */
    for (size_t s = 0; s < e->cfg.nsyms; s++)
        if (tr_paper_position(e->broker, (tr_sym)s) != e->port.pos[s].qty) {
            tr_errf(err, errlen, "broker and portfolio disagree on "
                      "instrument %zu", s);
            return TR_ERR_DATA;
        }
    return TR_OK;
}
