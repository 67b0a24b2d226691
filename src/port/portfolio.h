/* portfolio.h: cash, positions and P&L, exact to the last fixed-point unit.
 *
 * A position keeps its signed quantity and its cost (the signed notional
 * paid for the open quantity); average price = cost / qty is derived, so no
 * rounding of an average ever leaks into P&L. Reducing a position removes
 * cost in proportion (one rounding, half to even) and realizes
 * proceeds - removed cost. With market value mv = qty * last (rounded):
 *
 *   equity = cash + sum(mv)
 *          = initial cash + realized + sum(mv - cost) - commissions
 *
 * holds exactly after every fill and mark; tr_portfolio_check asserts it.
 *
 * Threads: the engine thread owns the portfolio. */
#ifndef TR_PORTFOLIO_H
#define TR_PORTFOLIO_H

#include <stddef.h>

#include "core/codec.h"
#include "exec/order.h"
#include "port/stats.h"

typedef struct tr_position {
    tr_fx qty;        /* signed: > 0 long, < 0 short */
    tr_fx cost;       /* signed notional of the open quantity */
    tr_fx last;       /* last mark price, 0 before the first */
    tr_fx mv;         /* qty * last, rounded */
    tr_fx realized;   /* closed P&L, before commissions */
    tr_fx commission; /* paid on this instrument */
} tr_position;

typedef struct tr_portfolio {
    tr_fx initial_cash;
    tr_fx cash;
    tr_fx realized;     /* sum over positions */
    tr_fx commissions;  /* sum over positions */
    tr_fx mv_total;     /* sum of mv (kept incrementally, exact) */
    tr_fx gross;        /* sum of |mv| */
    size_t open_positions;
    size_t nsyms;
    tr_position *pos;   /* pos[sym] */
} tr_portfolio;

int tr_portfolio_init(tr_portfolio *p, tr_fx cash, size_t nsyms);
void tr_portfolio_free(tr_portfolio *p);

/* Apply a fill: cash, quantity, cost, realized P&L, commission. The fill's
 * price also marks the position. *realized_out (may be NULL) gets the P&L
 * this fill realized (before commission). TR_ERR_RANGE on overflow (the
 * portfolio is then unchanged). */
int tr_portfolio_fill(tr_portfolio *p, const tr_fill *f, tr_fx *realized_out);

/* Mark sym at price (a bar's close). TR_ERR_RANGE on overflow. */
int tr_portfolio_mark(tr_portfolio *p, tr_sym sym, tr_fx price);

static inline tr_fx tr_portfolio_equity(const tr_portfolio *p)
{
    return p->cash + p->mv_total;
}

/* Recompute every derived total from the positions and compare, and check
 * the accounting identity above. 1 when all holds exactly. */
int tr_portfolio_check(const tr_portfolio *p);

/* Snapshots (engine.h): save writes cash, totals and every position; load
 * reads them into a portfolio initialised for the same nsyms. TR_ERR_DATA
 * when the bytes are not such a state (another nsyms, cut short, or the
 * accounting identity does not hold). */
void tr_portfolio_save(const tr_portfolio *p, tr_enc *e);
int tr_portfolio_load(tr_portfolio *p, tr_dec *d);

/* ---- round trips -------------------------------------------------------- */

/* Builds tr_trade records from fills: a trade opens when a position leaves
 * zero and closes when it returns to zero; a fill that crosses zero closes
 * one trade and opens the next with the rest. */
typedef struct tr_trade_log {
    tr_trade *v;      /* closed trades, then (after finish) open ones */
    size_t n, cap;
    tr_trade *cur;    /* cur[sym]: the open trade, qty == 0 when none */
    /* Per sym, for the open trade: */
    tr_fx *entry_notional, *entry_qty, *exit_notional, *exit_qty;
    tr_fx *net; /* realized P&L so far, net of commissions */
    size_t nsyms;
} tr_trade_log;

int tr_trade_log_init(tr_trade_log *t, size_t nsyms);
void tr_trade_log_free(tr_trade_log *t);

/* Record a fill after it was applied to p (pos_before = the signed
 * quantity before the fill, realized = what tr_portfolio_fill realized).
 * TR_ERR_NOMEM. */
int tr_trade_log_fill(tr_trade_log *t, const tr_fill *f, tr_fx pos_before,
                      tr_fx realized);

/* Count a bar of sym during which a trade is open (call after the mark). */
void tr_trade_log_bar(tr_trade_log *t, tr_sym sym);

/* Append the trades still open, valued at the portfolio's marks
 * (unrealized, net of their commissions so far), flagged open. */
int tr_trade_log_finish(tr_trade_log *t, const tr_portfolio *p);

/* Snapshots: every closed trade and the open trade of each instrument with
 * its running sums; load into a log just initialised for the same nsyms.
 * TR_ERR_DATA, TR_ERR_NOMEM; after a failure the log may only be freed. */
void tr_trade_log_save(const tr_trade_log *t, tr_enc *e);
int tr_trade_log_load(tr_trade_log *t, tr_dec *d);

#endif
