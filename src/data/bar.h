/* bar.h: OHLCV bars and growable series of them. */
#ifndef TR_BAR_H
#define TR_BAR_H

#include <stddef.h>

#include "core/fixed.h"
#include "core/time.h"

/* One bar: time is the bar's open time (ns UTC); prices and volume exact. */
typedef struct tr_bar {
    tr_time time;
    tr_fx open, high, low, close;
    tr_fx volume;
} tr_bar;

/* A time-ordered series of bars of one instrument. adj_close is NULL unless
 * the source had an adjusted-close column; then it has n entries too. */
typedef struct tr_bars {
    tr_bar *v;
    tr_fx *adj_close;
    size_t n, cap;
} tr_bars;

/* An empty series (no allocation). */
void tr_bars_init(tr_bars *s);

/* Release the storage; s is empty afterwards and may be reused. */
void tr_bars_free(tr_bars *s);

/* Ensure room for at least cap bars. TR_ERR_NOMEM. */
int tr_bars_reserve(tr_bars *s, size_t cap, int with_adj_close);

/* Append a bar (and its adjusted close when the series has that column).
 * TR_ERR_NOMEM. */
int tr_bars_push(tr_bars *s, const tr_bar *b, tr_fx adj_close);

#endif
