/* output.h: the files a backtest writes into its output folder:
 *   trades.csv   one row per round trip (open trades have an empty exit)
 *   orders.csv   every order in its final state
 *   fills.csv    every fill
 *   equity.csv   equity, cash, exposure and drawdown per timestamp
 *   signals.csv  every signal and what risk made of it
 *   metrics.json statistics for the portfolio and per symbol, risk alerts,
 *                rejections by reason
 * Same inputs give byte-identical files: nothing here depends on the wall
 * clock or on the machine. */
#ifndef TR_OUTPUT_H
#define TR_OUTPUT_H

#include "engine/backtest.h"

/* Create dir (and parents) if needed and write the files. TR_ERR_IO with
 * errno and the failing path in err. */
int tr_output_write(const char *dir, const tr_bt_config *cfg,
                    const tr_bt_result *r, char *err, size_t errlen);

#endif
