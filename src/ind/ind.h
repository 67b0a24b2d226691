/* ind.h: what every streaming indicator of libtrader shares.
 *
 * The indicators live in one header per family:
 *   ind/ma.h          SMA, EMA, WMA, MACD
 *   ind/momentum.h    RSI, STOCH, WILLR, CCI, ROC, MOM
 *   ind/volatility.h  STDDEV, BBANDS, TRANGE, ATR, NATR
 *   ind/dmi.h         ADX, +DI, -DI (Wilder's directional movement)
 *   ind/volume.h      OBV, MFI, session VWAP
 *   ind/spec.h        any of them built from a spec string ("macd:12:26:9")
 *
 * Contract shared by every indicator X:
 *
 *   int    tr_ind_X_init(tr_ind_X *x, params...)
 *          Caller-owned struct; init allocates whatever ring the window needs
 *          (so update never allocates). Returns TR_OK, TR_ERR_INVALID for a
 *          parameter out of range (x is then untouched and need not be
 *          freed) or TR_ERR_NOMEM.
 *   void   tr_ind_X_free(tr_ind_X *x)
 *          Releases the ring; x may be initialised again. Safe on a struct
 *          that owns no memory (every indicator has one, for uniformity).
 *   double tr_ind_X_update(tr_ind_X *x, inputs...)
 *          Feeds the next bar (inputs in time order) and returns the value
 *          for that bar, NAN while warming up. Multi-output indicators fill
 *          a small struct instead. O(1) per update (amortised for the
 *          rolling max/min of STOCH and WILLR and for STDDEV's periodic
 *          re-centring; CCI is O(n), see momentum.h); never allocates.
 *   int    tr_ind_X_ready(const tr_ind_X *x)
 *          1 once the last update produced a value.
 *   size_t tr_ind_X_warmup(const tr_ind_X *x)
 *          The 0-based row of the first value (TA-Lib's lookback): the
 *          first ready update is update number warmup + 1.
 *   int    tr_ind_X_batch(const double *in..., size_t len, params...,
 *                         double *out...)
 *          The same over arrays: out[i] is exactly (bit for bit) what the
 *          i-th streaming update returns, NAN during warm-up. out may not
 *          alias the inputs. TR_OK, TR_ERR_INVALID, TR_ERR_NOMEM.
 *
 *   void   tr_ind_X_save(const tr_ind_X *x, tr_enc *e)
 *   int    tr_ind_X_load(tr_ind_X *x, tr_dec *d)
 *          Snapshots (engine state saved and restored, core/codec.h): save
 *          writes the running state (counters, sums, rings, the last
 *          value: not the parameters); load reads it into x, initialised
 *          with the same parameters, after which x updates bit for bit as
 *          the saved one would have. TR_ERR_DATA when the bytes are not such
 *          a state (cut short, another window length, an index out of
 *          range); x is then safe to free but not to use.
 *
 * Values follow TA-Lib's conventions (DESIGN.md, "Numbers and conventions").
 * Inputs are finite doubles (prices > 0, volume >= 0 for the indicators that
 * divide by them); a NaN input poisons the running state until re-init.
 * Running sums are compensated (TwoSum), so long series do not drift.
 *
 * Threads: an indicator belongs to the thread that updates it (the engine
 * thread); there is no global state, so independent indicators may be used
 * from different threads. */
#ifndef TR_IND_H
#define TR_IND_H

#include <stddef.h>
#include <stdint.h>

#include "core/codec.h"

/* One bar as the generic indicators (spec.h) read it: time in ns UTC (only
 * VWAP looks at it), prices and volume as doubles. */
typedef struct tr_ind_input {
    int64_t time;
    double open, high, low, close, volume;
} tr_ind_input;

/* ---- Private building blocks -------------------------------------------
 * Their layout is here only so that indicator structs can live inside the
 * caller's own structs (no allocation per indicator object); fields are not
 * API. The functions on them are in ind/ind_int.h. */

/* A compensated (TwoSum / Neumaier) running sum: the value is s + c. */
typedef struct tr__ksum {
    double s, c;
} tr__ksum;

/* The last n values in a ring and their compensated sum. */
typedef struct tr__win {
    double *buf;   /* n slots, owned */
    size_t n;      /* window length >= 1 */
    size_t head;   /* next slot to write = the oldest value once full */
    size_t count;  /* values held, <= n */
    tr__ksum sum;  /* sum of the values held */
} tr__win;

/* Rolling maximum or minimum of the last n values: a monotonic deque of
 * (sequence number, value) in a ring of n slots. */
typedef struct tr__mono_item {
    uint64_t seq;
    double v;
} tr__mono_item;

typedef struct tr__mono {
    tr__mono_item *q; /* n slots, owned */
    size_t n;         /* window length >= 1 */
    size_t head;      /* slot of the front (the extreme) */
    size_t size;      /* items held */
    uint64_t seq;     /* sequence number of the next value */
} tr__mono;

#endif
