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

#include "core/codec.h"
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
    /* Names of instruments 0 .. nsyms-1, or NULL: read by tr_engine_new
     * only, into the config fingerprint that snapshots carry. */
    const char *const *symbols;
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

/* ---- commands from outside (the API, the CLI) ------------------------------
 * Run between steps on the engine thread, at the time of the last step: an
 * order placed now is live from the next bar, like a strategy's. Drivers
 * journal the command before calling these (they are inputs). */

/* What became of a command. */
typedef struct tr_engine_answer {
    int executed;          /* an order went to the broker */
    tr_risk_reason reason; /* TR_RISK_OK, or why the entry was refused */
    char detail[160];      /* for people */
    uint64_t order_id;     /* the entry's id (else the exit's), 0: none */
    tr_fx qty;             /* its quantity */
} tr_engine_answer;

/* An external signal, through the risk manager like a strategy's. BUY
 * covers a short, else goes long; SELL exits a long, else goes short; HOLD
 * does nothing. sig->qty / stop / take_profit override the sizing and the
 * brackets when > 0; limit_price > 0 makes the entry a limit order. */
int tr_engine_signal(tr_engine *e, const tr_signal *sig, tr_fx limit_price,
                     tr_engine_answer *ans /* OUT */);

/* An order by hand: o->sym, side, type, tif, qty, limit_price, stop_price
 * are read (strategy names who asked). An order that reduces the position
 * is an exit, never refused; one that opens, adds or reverses goes through
 * the risk limits (sized as given), with optional bracket legs.
 * TR_ERR_INVALID (nothing placed, ans says why) for a malformed order. */
int tr_engine_order(tr_engine *e, const tr_order *o, tr_fx stop_loss,
                    tr_fx take_profit, tr_engine_answer *ans /* OUT */);

/* Cancel open order id, or every open order when id is 0.
 * TR_ERR_NOT_FOUND when id is not open. */
int tr_engine_cancel(tr_engine *e, uint64_t id);

/* Close the position of sym with a market exit (open entries of sym are
 * cancelled first). TR_ERR_NOT_FOUND when there is no position. */
int tr_engine_close(tr_engine *e, tr_sym sym, tr_engine_answer *ans);

/* The kill switch (halted = 1) or resume (0). */
void tr_engine_halt(tr_engine *e, int halted);

/* Enable or disable the strategy: a disabled one still sees every bar (its
 * indicators stay warm) but its signals are dropped. */
void tr_engine_strategy_enable(tr_engine *e, int enabled);
int tr_engine_strategy_enabled(const tr_engine *e);

/* New strategy parameters (validated, defaults filled in): the strategy
 * starts again with them, warming up from the next bar. TR_ERR_INVALID
 * (nothing changed, message in err) when the strategy refuses them. */
int tr_engine_strategy_params(tr_engine *e, const double *params, char *err,
                              size_t errlen);
const double *tr_engine_strategy_param_values(const tr_engine *e);

/* The answers the engine remembers for controls with a client reference
 * (engine/command.h): part of its state, in its snapshots. */
struct tr_commands;
struct tr_commands *tr_engine_commands(tr_engine *e);
tr_time tr_engine_now(const tr_engine *e);

/* End of the run: open trades are valued and appended to the trade log. */
int tr_engine_finish(tr_engine *e);

/* The time of the last step and of the last timer, INT64_MIN when there
 * was none (a driver resumes its clock and its session timers from them
 * after tr_engine_load). */
void tr_engine_clock(const tr_engine *e, tr_time *last_step,
                     tr_time *last_timer);

/* ---- snapshots --------------------------------------------------------------
 * The whole engine state between two steps (or timers), so that a restart
 * replays only what came after it: broker (every order and its fill state),
 * portfolio, trade log, risk manager (halts, ATR, returns, stops), the
 * strategy's state (its save/load callbacks), the last bar of each
 * instrument and the clock. A fresh engine of the same config that loads it
 * produces, step after step, byte for byte the outputs the saved engine
 * would have produced.
 *
 * Format (little-endian, src/core/codec.h; nothing raw, doubles as bits):
 *     u32 "TRES"   u32 TR_ENGINE_SNAP_VERSION   u64 config fingerprint
 *     sections: u32 tag, u64 length, bytes; in this order:
 *       HEAD strategy name, nsyms, started, last step, last timer
 *       BARS the last bar and the bar count of each instrument
 *       PAPR tr_paper_save     PORT tr_portfolio_save
 *       TRDS tr_trade_log_save RISK tr_risk_save
 *       STRT the strategy's save callback
 *     u32 CRC32C of everything before it
 * The fingerprint hashes everything of tr_engine_cfg that shapes the state
 * or the outputs (cash, instruments and their names, strategy and
 * parameters, fill and cost options, risk settings), so a snapshot of
 * another config is refused.
 *
 * Adding state later (strategy enable flags, API orders, halts, ...):
 *   - a new field of a module: append it at the end of that module's save,
 *     and in its load read it only when tr_dec_left(d) > 0 (a snapshot from
 *     before the field lacks it: keep the fresh value);
 *   - a new part of the engine: a new section, one line in the table
 *     `sections` of engine.c with save and load functions, marked optional
 *     so that older snapshots without it still load.
 * A snapshot with a section or bytes this build does not know is refused
 * (its state would be lost). Bump TR_ENGINE_SNAP_VERSION only for a change
 * that older snapshots cannot be read under; they are then refused and the
 * driver replays the journal in full. */
#define TR_ENGINE_SNAP_VERSION 1

/* Append e's snapshot to out. TR_ERR_INVALID when the strategy has no
 * save/load callbacks or the engine has failed (a step returned an error),
 * TR_ERR_NOMEM. Reads e only: the engine thread, between steps. */
int tr_engine_save(const tr_engine *e, tr_enc *out);

/* Load a snapshot into e, an engine just made by tr_engine_new (no step or
 * timer yet) from the config the snapshot was saved under. TR_ERR_DATA
 * with the reason in err when data is not such a snapshot: damaged or cut
 * short (checksum), another format version, another config (fingerprint),
 * or a state that does not hold together; TR_ERR_INVALID when e is not
 * fresh or its strategy cannot load; TR_ERR_NOMEM. After any failure e
 * must be freed (make a new one to go on without the snapshot). */
int tr_engine_load(tr_engine *e, const void *data, size_t len, char *err,
                   size_t errlen);

/* What a snapshot says about itself (for `trader journal inspect`),
 * without loading it. TR_ERR_DATA when it is not an engine snapshot. */
typedef struct tr_engine_snap_info {
    uint32_t version;
    uint64_t fingerprint;
    char strategy[32];
    uint64_t nsyms;
    tr_time last_step, last_timer; /* INT64_MIN: none */
} tr_engine_snap_info;

int tr_engine_snapshot_info(const void *data, size_t len,
                            tr_engine_snap_info *out);

/* The fingerprint of e's config (as written into its snapshots). */
uint64_t tr_engine_fingerprint(const tr_engine *e);

/* Read-only views for reports and tests. */
const tr_portfolio *tr_engine_portfolio(const tr_engine *e);
const tr_trade_log *tr_engine_trades(const tr_engine *e);
const tr_paper *tr_engine_broker(const tr_engine *e);
tr_paper *tr_engine_broker_mut(tr_engine *e); /* for tr_paper_take_orders */
tr_risk *tr_engine_risk(tr_engine *e);
const tr_risk *tr_engine_risk_const(const tr_engine *e);
/* The latest bar of sym (all zero before the first). */
const tr_bar *tr_engine_last_bar(const tr_engine *e, tr_sym sym);
size_t tr_engine_bars_seen(const tr_engine *e, tr_sym sym);

#endif
