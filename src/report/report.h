/* report.h: the self-contained HTML report of a backtest.
 *
 * One file that opens with no network: the charting library
 * (lightweight-charts, vendored from npm at build time) and the data are
 * inlined. It shows the summary metrics, equity and drawdown curves,
 * candles per symbol with the strategy's indicators and trade markers, the
 * trades table, per-symbol statistics and monthly returns. Long series are
 * thinned for the page (candles merged into coarser ones); the CSV files
 * written next to it keep every row. */
#ifndef TR_REPORT_H
#define TR_REPORT_H

#include <stddef.h>

#include "data/bar.h"
#include "port/stats.h"

/* The bars of one symbol with the indicator lines to draw over them. */
typedef struct tr_report_series {
    const char *symbol;
    const tr_bars *bars;
    size_t nind;
    const char *const *ind_names;    /* column names, "sma_10" */
    const double *const *ind_values; /* each bars->n long; NAN = no value */
    const int *ind_pane;             /* per indicator: 0 over the price, 1 own pane */
    const tr_stats *stats;           /* tr_stats_symbol of this symbol */
} tr_report_series;

typedef struct tr_report_input {
    const char *title;            /* "sma_cross on AAPL" */
    const char *config_name;      /* the config file, shown in the header */
    const tr_equity_point *equity;
    size_t nequity;
    const tr_trade *trades;       /* trades[i].sym indexes series */
    size_t ntrades;
    const tr_fill *fills;         /* fills[i].sym indexes series */
    size_t nfills;
    const tr_report_series *series; /* series[sym] for sym 0 .. nseries-1 */
    size_t nseries;
    const tr_stats *stats;        /* the whole run */
} tr_report_input;

/* Write the report to path (via path.tmp and rename). TR_ERR_IO (errno),
 * TR_ERR_NOMEM. */
int tr_report_html_write(const char *path, const tr_report_input *in);

#endif
