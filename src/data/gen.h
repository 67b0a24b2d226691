/* gen.h: deterministic synthetic market data for demos, tests, benchmarks.
 *
 * Each symbol follows a geometric Brownian motion whose volatility switches
 * between a calm and a stressed regime (a two-state Markov chain), with
 * Poisson jumps, an overnight gap at each session open, an intrabar path
 * that gives consistent high and low, prices on a one-cent grid, and volume
 * that rises with volatility, with the size of the move and (intraday) at
 * the open and close of the session.
 *
 * The same options and symbol index always give the same bars (a private
 * xoshiro256** generator seeded from seed and index; nothing global). */
#ifndef TR_GEN_H
#define TR_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "data/bar.h"

typedef enum tr_gen_interval {
    TR_GEN_1D = 0, /* one bar a weekday, at midnight UTC */
    TR_GEN_1M = 1, /* 390 one-minute bars a weekday, 14:30-21:00 UTC */
} tr_gen_interval;

typedef struct tr_gen_opts {
    uint64_t seed;
    size_t bars;              /* bars per symbol */
    tr_gen_interval interval;
    tr_time start;            /* first session day (a weekday is used) */
} tr_gen_opts;

/* Generate the bars of symbol number index into out (appended).
 * TR_ERR_NOMEM; TR_ERR_RANGE if prices leave the fixed-point range. */
int tr_gen_series(const tr_gen_opts *opts, unsigned index, tr_bars *out);

/* The generated ticker of symbol number index ("SYNA", "SYNB", ... then
 * "SYN0026", ...), written into buf[size]. */
void tr_gen_symbol(unsigned index, char *buf, size_t size);

#endif
