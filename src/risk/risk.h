/* risk.h: between signals and orders. The risk manager sizes every entry,
 * attaches its protective stop and take-profit (a bracket), and vets it
 * against the limits; each refusal carries a reason code. Exits (orders that
 * reduce a position) are never refused: cutting risk is always allowed.
 *
 * Halts: the kill switch (until resumed), the daily loss limit (new entries
 * stop for the rest of the UTC day, with an alert), the drawdown limit
 * (until resumed, with an alert).
 *
 * Threads: the engine thread owns it. */
#ifndef TR_RISK_H
#define TR_RISK_H

#include <stddef.h>

#include "core/codec.h"
#include "data/bar.h"
#include "exec/order.h"
#include "port/portfolio.h"
#include "strat/signal.h"

typedef enum tr_sizing_method {
    TR_SIZE_FIXED = 0, /* qty units */
    TR_SIZE_PERCENT,   /* percent of equity in the position */
    TR_SIZE_RISK,      /* risk risk_pct of equity between entry and stop */
    TR_SIZE_ATR,       /* stop at atr_mult x ATR, then as TR_SIZE_RISK */
} tr_sizing_method;

typedef enum tr_exit_kind {
    TR_EXIT_NONE = 0,
    TR_EXIT_PERCENT, /* value percent away from the entry */
    TR_EXIT_ATR,     /* value x ATR away from the entry */
    TR_EXIT_RR,      /* take profit only: value x the stop distance */
} tr_exit_kind;

typedef struct tr_risk_cfg {
    /* Sizing (always applies). */
    tr_sizing_method sizing;
    tr_fx qty;              /* TR_SIZE_FIXED */
    double percent;         /* TR_SIZE_PERCENT */
    double risk_pct;        /* TR_SIZE_RISK, TR_SIZE_ATR */
    double atr_mult;        /* TR_SIZE_ATR */
    int atr_period;         /* for every ATR use (default 14) */
    tr_fx qty_step;         /* sizes are multiples of this (default 1) */
    tr_fx tick_size;        /* stop and target prices round to it (0.01) */
    /* Brackets (always apply). */
    tr_exit_kind stop_kind;
    double stop_value;
    tr_exit_kind tp_kind;
    double tp_value;
    /* Limits: all off when !enabled. 0 turns one limit off. */
    int enabled;
    double max_position_pct;    /* one position's value, % of equity */
    int max_open_positions;
    double max_portfolio_risk_pct; /* sum of (distance to stop x qty), %;
                                    * a position without a stop risks its
                                    * whole value */
    double max_correlation;     /* of returns with any open position */
    int correlation_lookback;   /* returns compared (default 60) */
    tr_fx max_order_notional;
    double daily_loss_pct;      /* halt entries for the rest of the day */
    double max_drawdown_pct;    /* halt entries until resumed */
    double leverage;            /* buying power = equity x leverage - gross;
                                 * 0 = no buying-power limit */
    int kill_switch;            /* start halted */
} tr_risk_cfg;

/* Defaults: fixed 100 units, no brackets, limits enabled with the values
 * of DESIGN.md (10% per position, 10 positions, 5% portfolio risk, 0.7
 * correlation, 3% daily loss), no drawdown halt, leverage 1. */
void tr_risk_cfg_default(tr_risk_cfg *c);

typedef enum tr_risk_reason {
    TR_RISK_OK = 0,
    TR_RISK_NOTHING_TO_DO,   /* already positioned as the signal wants */
    TR_RISK_KILL_SWITCH,
    TR_RISK_DAILY_LOSS,      /* halted for the day */
    TR_RISK_DRAWDOWN,        /* halted by the drawdown limit */
    TR_RISK_MAX_POSITION,
    TR_RISK_MAX_OPEN_POSITIONS,
    TR_RISK_BUYING_POWER,
    TR_RISK_PORTFOLIO_RISK,
    TR_RISK_CORRELATION,
    TR_RISK_ORDER_NOTIONAL,
    TR_RISK_ZERO_SIZE,       /* sizing gave less than one qty step */
    TR_RISK_NO_STOP,         /* risk sizing without a stop */
    TR_RISK_NOT_READY,       /* ATR or price not known yet */
    TR_RISK_REASON_COUNT
} tr_risk_reason;

/* "max_position", ... (snake case, for files and the API). */
const char *tr_risk_reason_name(tr_risk_reason r);

/* What to do about one signal. */
/* The orders to send are the ones flagged has_*: an exit is sent even when
 * the entry of a reversal was refused (reason says why). */
typedef struct tr_risk_plan {
    tr_risk_reason reason; /* TR_RISK_OK, or why the entry was refused */
    char detail[160];      /* for people: "position 12.5% of equity > 10%" */
    int has_exit, has_entry;
    tr_order exit;         /* market, reduces the current position */
    tr_order entry;        /* market entry of the new position */
    tr_fx stop, take_profit; /* bracket legs of the entry, 0 = none */
} tr_risk_plan;

typedef enum tr_risk_alert_kind {
    TR_ALERT_DAILY_LOSS = 0,
    TR_ALERT_DRAWDOWN,
    TR_ALERT_KILL_SWITCH,
    TR_ALERT_RESUMED,
} tr_risk_alert_kind;

typedef struct tr_risk_alert {
    tr_time time;
    tr_risk_alert_kind kind;
    char message[160];
} tr_risk_alert;

typedef void (*tr_risk_alert_fn)(void *ctx, const tr_risk_alert *a);

typedef struct tr_risk tr_risk;

/* A risk manager for nsyms instruments; NULL when out of memory. */
tr_risk *tr_risk_new(const tr_risk_cfg *cfg, size_t nsyms,
                     tr_risk_alert_fn alert, void *alert_ctx);
void tr_risk_free(tr_risk *r);

/* Feed each bar (ATR, returns for correlation, last price). */
void tr_risk_on_bar(tr_risk *r, tr_sym sym, const tr_bar *bar);

/* Feed the equity after the bars of one timestamp: daily loss and
 * drawdown halts. */
void tr_risk_on_equity(tr_risk *r, tr_time t, tr_fx equity);

/* Turn the kill switch on or off (alerts either way). */
void tr_risk_set_halt(tr_risk *r, int halted, tr_time t);

/* Plan the orders for sig given the portfolio. pending_entry is the
 * quantity of entry orders for sig->sym still open at the broker (a repeat
 * signal while one is pending does nothing). */
void tr_risk_plan_signal(tr_risk *r, const tr_signal *sig,
                         const tr_portfolio *p, tr_fx pending_entry,
                         tr_risk_plan *out);

/* Tell the risk manager a position was closed (its stop no longer counts). */
void tr_risk_position_closed(tr_risk *r, tr_sym sym);

int tr_risk_halted(const tr_risk *r); /* any halt in force */
int tr_risk_kill_switch(const tr_risk *r); /* the kill switch is on */
const tr_risk_cfg *tr_risk_config(const tr_risk *r);

/* Snapshots (engine.h): save writes the halts, the equity marks of the
 * daily-loss and drawdown limits and, per instrument, ATR, the returns kept
 * for the correlation limit, the last price and the open position's stop;
 * load reads them into a manager just made by tr_risk_new with the same
 * config and nsyms. TR_ERR_DATA when the bytes are not such a state. */
void tr_risk_save(const tr_risk *r, tr_enc *e);
int tr_risk_load(tr_risk *r, tr_dec *d);

#endif
