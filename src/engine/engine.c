/* engine.c: the step loop (see engine.h). */
#include "engine/engine.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

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
    int started;
    int strat_disabled;   /* signals of the strategy are dropped */
    int err;              /* first error raised inside a callback */
};

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
