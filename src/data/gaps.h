/* gaps.h: finding missing sessions in a bar series.
 *
 * The bar interval is the most common spacing between consecutive bars.
 * Daily (or slower) data: a gap is a run of weekdays with no bar (weekends
 * are never gaps; exchange holidays are single weekdays, hence the
 * tolerance). Weekly or monthly data: missing whole intervals. Intraday data: a gap is a run of missing intervals inside one
 * UTC day (the night between sessions is not a gap). */
#ifndef TR_GAPS_H
#define TR_GAPS_H

#include <stddef.h>
#include <stdint.h>

#include "data/bar.h"

/* One gap: bars[index - 1] and bars[index] are `missing` sessions apart. */
typedef void (*tr_gap_fn)(void *ctx, size_t index, int64_t missing);

/* The most common positive spacing between bars (ns), 0 with < 2 bars. */
int64_t tr_gaps_interval(const tr_bars *s);

/* Call fn for each gap of more than `tolerance` missing sessions; returns the
 * number of gaps reported. */
size_t tr_gaps_scan(const tr_bars *s, int64_t tolerance, tr_gap_fn fn,
                    void *ctx);

#endif
