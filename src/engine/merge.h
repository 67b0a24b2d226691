/* merge.h: merging several instruments' bar series by time: each step is
 * the set of bars sharing the next timestamp, in symbol id order (missing
 * bars and different calendars are fine). Used by backtests and by the
 * replay feed of live runs. */
#ifndef TR_MERGE_H
#define TR_MERGE_H

#include <stddef.h>

#include "core/symbol.h"
#include "data/bar.h"

typedef struct tr_merge {
    const tr_bars *series; /* borrowed: series[sym] */
    size_t n;
    size_t *cur;           /* next bar of each series */
} tr_merge;

/* TR_OK or TR_ERR_NOMEM. */
int tr_merge_init(tr_merge *m, const tr_bars *series, size_t n);
void tr_merge_free(tr_merge *m);

/* Skip every bar at or before t (resuming after a restart). */
void tr_merge_skip_to(tr_merge *m, tr_time t);

/* The next step: its time, and k bars with their symbols copied into
 * syms[] / bars[] (room for n each). Returns k, 0 at the end. */
size_t tr_merge_next(tr_merge *m, tr_time *t, tr_sym *syms, tr_bar *bars);

#endif
