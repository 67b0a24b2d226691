/* stats.h: performance statistics of a run, for the portfolio and per
 * symbol. Statistics are double (they are measurements, not money);
 * money totals stay tr_fx. Pure functions; any thread. */
#ifndef TR_STATS_H
#define TR_STATS_H

#include <stddef.h>

#include "core/fixed.h"
#include "core/symbol.h"
#include "core/time.h"
#include "exec/order.h"

/* The portfolio after all bars of one timestamp. */
typedef struct tr_equity_point {
    tr_time time;
    tr_fx equity;   /* cash + market value of positions */
    tr_fx cash;
    tr_fx exposure; /* sum of |market value| of positions; 0 = flat */
} tr_equity_point;

/* One round trip: a position opened from flat and closed back to flat (or
 * reversed). Adding to or partly reducing a position stays in one trade;
 * qty is the largest size it reached, entry_price the average entry. */
typedef struct tr_trade {
    tr_sym sym;
    tr_side side;          /* TR_BUY = long, TR_SELL = short */
    tr_fx qty;
    tr_time entry_time;
    tr_fx entry_price;
    tr_time exit_time;     /* valid when !open */
    tr_fx exit_price;      /* average exit price; valid when !open */
    tr_fx pnl;             /* realized, net of commission; when open: unrealized at the last price, net */
    tr_fx commission;      /* entry and exit commissions */
    size_t bars;           /* bars of sym during which it was open */
    int open;              /* still open at the end of the run */
} tr_trade;

typedef struct tr_stats {
    /* Returns, from the equity curve. Annualised with the observed number
     * of points per year: (n - 1) / years between first and last point. */
    tr_fx start_equity, end_equity;
    double total_return;       /* end / start - 1 */
    double cagr;               /* (end/start)^(1/years) - 1 */
    double ann_volatility;     /* sd of point returns (n-1) * sqrt(ppy) */
    double sharpe;             /* mean / sd * sqrt(ppy), risk-free 0 */
    double sortino;            /* mean / downside deviation * sqrt(ppy) */
    double max_drawdown;       /* largest peak-to-trough fall (> 1 only if equity went negative) */
    tr_time max_dd_peak, max_dd_trough;
    double max_dd_duration_days; /* longest peak -> recovery (or end) */
    double calmar;             /* cagr / max_drawdown, 0 when no drawdown */
    double periods_per_year;
    /* Trades (closed ones; open ones are counted apart). */
    size_t trades, open_trades, wins, losses;
    double win_rate;           /* wins / trades */
    double profit_factor;      /* gross profit / gross loss; INFINITY with no loss, 0 with no trade */
    tr_fx gross_profit, gross_loss, net_pnl; /* closed trades, net of commission */
    tr_fx avg_win, avg_loss;   /* avg_loss is negative or 0 */
    tr_fx expectancy;          /* net_pnl / trades */
    /* Activity. */
    double time_in_market;     /* share of points with exposure != 0 */
    tr_fx turnover;            /* sum of |qty * price| of all fills */
    double turnover_ratio;     /* turnover / average equity */
    tr_fx commissions;         /* all fills */
    size_t fills;
} tr_stats;

/* Statistics of a whole run. eq has n >= 1 points in time order. Returns
 * TR_OK, TR_ERR_INVALID (n == 0, times not increasing, start equity <= 0)
 * or TR_ERR_RANGE (a money total overflowed); *out is untouched on error. */
int tr_stats_compute(const tr_equity_point *eq, size_t n,
                     const tr_trade *trades, size_t ntrades,
                     const tr_fill *fills, size_t nfills, tr_stats *out);

/* Statistics of one symbol: the trade and activity figures of its trades
 * and fills; time_in_market = bars held / sym_bars; return figures relative
 * to start_equity (the run's): total_return = net P&L / start_equity, and
 * max_drawdown from the curve start_equity + cumulative closed-trade P&L;
 * end_equity = start_equity + net P&L including open trades. The other
 * return figures are 0. Errors as tr_stats_compute. */
int tr_stats_symbol(tr_sym sym, tr_fx start_equity, size_t sym_bars,
                    const tr_trade *trades, size_t ntrades,
                    const tr_fill *fills, size_t nfills, tr_stats *out);

#endif
