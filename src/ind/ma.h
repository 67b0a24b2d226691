/* ma.h: moving averages (SMA, EMA, WMA) and MACD, streaming and batch.
 *
 * The contract common to all indicators (init/free/update/ready/warmup/batch,
 * ownership, threads, NAN during warm-up) is in ind/ind.h. Struct fields are
 * private; they are visible only so that callers can embed the structs. */
#ifndef TR_IND_MA_H
#define TR_IND_MA_H

#include <stddef.h>

#include "ind/ind.h"

/* ---- SMA: simple moving average of the last n values --------------------
 * Warm-up n-1. The window sum is compensated, so the mean stays within an
 * ulp or two of the exact window mean over any length of series. */
typedef struct tr_ind_sma {
    tr__win w;
} tr_ind_sma;

int tr_ind_sma_init(tr_ind_sma *s, size_t n); /* n >= 1 */
void tr_ind_sma_free(tr_ind_sma *s);
double tr_ind_sma_update(tr_ind_sma *s, double x);
int tr_ind_sma_ready(const tr_ind_sma *s);
size_t tr_ind_sma_warmup(const tr_ind_sma *s);
int tr_ind_sma_batch(const double *in, size_t len, size_t n, double *out);
void tr_ind_sma_save(const tr_ind_sma *x, tr_enc *e);
int tr_ind_sma_load(tr_ind_sma *x, tr_dec *d);

/* ---- EMA: exponential moving average ------------------------------------
 * k = 2/(n+1); the first value (row n-1) is the SMA of the first n values,
 * then e = (x - e) * k + e (TA-Lib). Warm-up n-1. No allocation. */
typedef struct tr_ind_ema {
    size_t n, seen;
    double k, value;
    tr__ksum seed; /* sum of the first n values */
} tr_ind_ema;

int tr_ind_ema_init(tr_ind_ema *e, size_t n); /* n >= 1 */
void tr_ind_ema_free(tr_ind_ema *e);
double tr_ind_ema_update(tr_ind_ema *e, double x);
int tr_ind_ema_ready(const tr_ind_ema *e);
size_t tr_ind_ema_warmup(const tr_ind_ema *e);
int tr_ind_ema_batch(const double *in, size_t len, size_t n, double *out);
void tr_ind_ema_save(const tr_ind_ema *x, tr_enc *e);
int tr_ind_ema_load(tr_ind_ema *x, tr_dec *d);

/* ---- WMA: linearly weighted moving average ------------------------------
 * Weights 1..n, the newest value weighs n; divisor n(n+1)/2. Warm-up n-1.
 * O(1): the weighted sum slides as W' = W - S + n*x (S the plain sum of the
 * previous window), both sums compensated. */
typedef struct tr_ind_wma {
    double *buf; /* n slots, owned */
    size_t n, head, seen;
    double div;
    tr__ksum sum, wsum;
} tr_ind_wma;

int tr_ind_wma_init(tr_ind_wma *w, size_t n); /* n >= 1 */
void tr_ind_wma_free(tr_ind_wma *w);
double tr_ind_wma_update(tr_ind_wma *w, double x);
int tr_ind_wma_ready(const tr_ind_wma *w);
size_t tr_ind_wma_warmup(const tr_ind_wma *w);
int tr_ind_wma_batch(const double *in, size_t len, size_t n, double *out);
void tr_ind_wma_save(const tr_ind_wma *x, tr_enc *e);
int tr_ind_wma_load(tr_ind_wma *x, tr_dec *d);

/* ---- MACD(fast f, slow s, signal g) -------------------------------------
 * TA-Lib's layout: both EMAs produce their first value at row s-1 (the
 * fast EMA starts at row s-f, so it is seeded with the mean of the f values
 * ending at row s-1); macd = fast - slow; signal = EMA(g) of macd, seeded
 * with the mean of its first g values; hist = macd - signal. All three
 * outputs appear together from row s+g-2 (the warm-up). 1 <= f < s, g >= 1.
 * No allocation. */
typedef struct tr_ind_macd_out {
    double macd, signal, hist; /* NAN while warming up */
} tr_ind_macd_out;

typedef struct tr_ind_macd {
    tr_ind_ema fast, slow, signal;
    size_t f, s, g, seen;
} tr_ind_macd;

int tr_ind_macd_init(tr_ind_macd *m, size_t fast, size_t slow, size_t signal);
void tr_ind_macd_free(tr_ind_macd *m);
void tr_ind_macd_update(tr_ind_macd *m, double x,
                        tr_ind_macd_out *out /* OUT */);
int tr_ind_macd_ready(const tr_ind_macd *m);
size_t tr_ind_macd_warmup(const tr_ind_macd *m);
/* Any of the three outputs may be NULL when not wanted. */
int tr_ind_macd_batch(const double *in, size_t len, size_t fast, size_t slow,
                      size_t signal, double *macd, double *sig, double *hist);
void tr_ind_macd_save(const tr_ind_macd *x, tr_enc *e);
int tr_ind_macd_load(tr_ind_macd *x, tr_dec *d);

#endif
