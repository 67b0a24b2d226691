/* engine.h: the engine: one thread consuming time-ordered bars, wiring
 * broker, portfolio, strategy and risk. Backtests and live trading run this
 * same code; only what feeds it (history or a live feed) and where its
 * records go (files or the journal) differ.
 *
 * One step = all bars that share a timestamp, in the order given (the
 * driver gives symbol id order). A step runs:
 *   1. for each bar: the broker fills what the bar reaches (fills update
 *      the portfolio and the trade log), the position is marked at the
 *      close, the risk manager sees the bar;
 *   2. the equity point of the timestamp; daily-loss and drawdown halts;
 *   3. for each bar: the strategy sees the closed bar and may signal; each
 *      signal goes through the risk manager; orders go to the broker,
 *      live from the next bar.
 * Nothing in a step reads the wall clock: the time is the bars' time.
 *
 * Threads: everything here runs on the engine thread. */
#ifndef TR_ENGINE_H
#define TR_ENGINE_H

#include <stddef.h>

#include "exec/paper.h"
#include "port/portfolio.h"
#include "risk/risk.h"
#include "strat/strategy.h"

typedef struct tr_engine_cfg {
    tr_fx cash;
    size_t nsyms;
    tr_paper_opts fill;
    tr_risk_cfg risk;
    const tr_strategy_def *strategy;
    double params[TR_STRAT_MAX_PARAMS]; /* validated, defaults filled in */
    int check_invariants; /* assert the accounting identity every step */
} tr_engine_cfg;

/* Where the engine's records go. Every callback is optional; pointers are
 * valid during the call only. */
typedef struct tr_engine_sink {
    void *ctx;
    /* A signal and what risk made of it (plan->reason). */
    void (*signal)(void *ctx, const tr_signal *sig, const tr_risk_plan *plan);
    void (*order)(void *ctx, const tr_order *o); /* every status change */
    void (*fill)(void *ctx, const tr_fill *f);
    void (*equity)(void *ctx, const tr_equity_point *pt);
    void (*alert)(void *ctx, const tr_risk_alert *a);
} tr_engine_sink;

typedef struct tr_engine tr_engine;

/* A new engine; TR_ERR_INVALID (strategy rejected its parameters: message
 * in err) or TR_ERR_NOMEM. */
int tr_engine_new(const tr_engine_cfg *cfg, const tr_engine_sink *sink,
                  tr_engine **out /* OUT */, char *err, size_t errlen);
void tr_engine_free(tr_engine *e);

/* One step: n bars, all at time t, of distinct instruments. Returns TR_OK,
 * TR_ERR_INVALID (time not after the last step, a bar's time is not t, an
 * unknown or repeated instrument; such a step changes nothing), TR_ERR_RANGE (an amount left the
 * fixed-point range: the run must stop), TR_ERR_NOMEM, or TR_ERR_DATA when
 * check_invariants found the accounting broken. */
int tr_engine_step(tr_engine *e, tr_time t, const tr_sym *syms,
                   const tr_bar *bars, size_t n);

/* Session timers. Drivers call them between steps, from the bars' own
 * times so that backtests and live runs see the same ones: when the next
 * step falls on another UTC day than the last, SESSION_CLOSE for the old
 * day (at its last nanosecond), then SESSION_OPEN for the new day (at its
 * midnight). Days without bars have no timers. */
typedef enum tr_timer_kind {
    TR_TIMER_SESSION_CLOSE = 1, /* DAY orders live in the session expire */
    TR_TIMER_SESSION_OPEN = 2,
} tr_timer_kind;

/* Fire a timer at time t (>= the last step's time; it does not advance the
 * engine's clock). TR_ERR_INVALID for an unknown kind or a time before the
 * last step. */
int tr_engine_timer(tr_engine *e, tr_timer_kind kind, tr_time t);

/* The timers due before a step at time next, given the previous step at
 * time prev (INT64_MIN: none): fills kinds[] and times[] (room for 2) and
 * returns how many. */
size_t tr_engine_timers_due(tr_time prev, tr_time next, tr_timer_kind *kinds,
                            tr_time *times);

/* End of the run: open trades are valued and appended to the trade log. */
int tr_engine_finish(tr_engine *e);

/* Read-only views for reports and tests. */
const tr_portfolio *tr_engine_portfolio(const tr_engine *e);
const tr_trade_log *tr_engine_trades(const tr_engine *e);
const tr_paper *tr_engine_broker(const tr_engine *e);
tr_paper *tr_engine_broker_mut(tr_engine *e); /* for tr_paper_take_orders */
tr_risk *tr_engine_risk(tr_engine *e);
size_t tr_engine_bars_seen(const tr_engine *e, tr_sym sym);

#endif
