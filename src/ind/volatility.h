/* volatility.h: STDDEV, Bollinger Bands, TRANGE, ATR and NATR, streaming
 * and batch.
 *
 * The contract common to all indicators (init/free/update/ready/warmup/batch,
 * ownership, threads, NAN during warm-up) is in ind/ind.h. Struct fields are
 * private; they are visible only so that callers can embed the structs. */
#ifndef TR_IND_VOLATILITY_H
#define TR_IND_VOLATILITY_H

#include <stddef.h>

#include "ind/ind.h"

/* ---- STDDEV(n): population standard deviation of the last n values ------
 * Warm-up n-1. Accuracy: within ~1e-12 relative of an exact two-pass
 * computation of each window (0 exactly for a constant window), however
 * long the series. The window's sums of (x - K) and (x - K)^2 are kept
 * around an origin K taken from the window and compensated; every n updates
 * (amortised O(1)), and whenever the sums cancel to less than 1e-4 of their
 * size, they are recomputed from the ring around a new K = the window value
 * nearest the mean, which bounds the cancellation to a factor of 2. */
typedef struct tr_ind_stddev {
    double *buf; /* n values, owned */
    size_t n, head, seen, since;
    double k;          /* origin of the sums */
    tr__ksum s1, s2;   /* sum of (x - k) and of (x - k)^2 over the window */
    double mean;       /* of the last window, for BBANDS */
} tr_ind_stddev;

int tr_ind_stddev_init(tr_ind_stddev *s, size_t n); /* n >= 1 */
void tr_ind_stddev_free(tr_ind_stddev *s);
double tr_ind_stddev_update(tr_ind_stddev *s, double x);
int tr_ind_stddev_ready(const tr_ind_stddev *s);
size_t tr_ind_stddev_warmup(const tr_ind_stddev *s);
int tr_ind_stddev_batch(const double *in, size_t len, size_t n, double *out);
void tr_ind_stddev_save(const tr_ind_stddev *x, tr_enc *e);
int tr_ind_stddev_load(tr_ind_stddev *x, tr_dec *d);

/* ---- BBANDS(n, k): Bollinger Bands --------------------------------------
 * middle = mean of the last n values (SMA), upper/lower = middle +- k * sd
 * with the population sd above. Warm-up n-1. k >= 0 and finite. */
typedef struct tr_ind_bbands_out {
    double upper, middle, lower; /* NAN while warming up */
} tr_ind_bbands_out;

typedef struct tr_ind_bbands {
    tr_ind_stddev sd;
    double mult;
} tr_ind_bbands;

int tr_ind_bbands_init(tr_ind_bbands *b, size_t n, double k);
void tr_ind_bbands_free(tr_ind_bbands *b);
void tr_ind_bbands_update(tr_ind_bbands *b, double x,
                          tr_ind_bbands_out *out /* OUT */);
int tr_ind_bbands_ready(const tr_ind_bbands *b);
size_t tr_ind_bbands_warmup(const tr_ind_bbands *b);
/* Any of the three outputs may be NULL when not wanted. */
int tr_ind_bbands_batch(const double *in, size_t len, size_t n, double k,
                        double *upper, double *middle, double *lower);
void tr_ind_bbands_save(const tr_ind_bbands *x, tr_enc *e);
int tr_ind_bbands_load(tr_ind_bbands *x, tr_dec *d);

/* ---- TRANGE: true range -------------------------------------------------
 * max(h - l, |prev close - h|, |prev close - l|); row 0 has no previous
 * close and no value (TA-Lib). Warm-up 1. No allocation. */
typedef struct tr_ind_trange {
    double prev_close;
    size_t seen;
} tr_ind_trange;

int tr_ind_trange_init(tr_ind_trange *t);
void tr_ind_trange_free(tr_ind_trange *t);
double tr_ind_trange_update(tr_ind_trange *t, double high, double low,
                            double close);
int tr_ind_trange_ready(const tr_ind_trange *t);
size_t tr_ind_trange_warmup(const tr_ind_trange *t);
int tr_ind_trange_batch(const double *high, const double *low,
                        const double *close, size_t len, double *out);
void tr_ind_trange_save(const tr_ind_trange *x, tr_enc *e);
int tr_ind_trange_load(tr_ind_trange *x, tr_dec *d);

/* ---- ATR(n): average true range, Wilder ---------------------------------
 * First value (row n) = mean of the true ranges of rows 1..n, then
 * atr = (atr*(n-1) + tr)/n. Warm-up n. No allocation. */
typedef struct tr_ind_atr {
    tr_ind_trange tr;
    size_t n, seen;
    double value;
} tr_ind_atr;

int tr_ind_atr_init(tr_ind_atr *a, size_t n); /* n >= 1 */
void tr_ind_atr_free(tr_ind_atr *a);
double tr_ind_atr_update(tr_ind_atr *a, double high, double low,
                         double close);
int tr_ind_atr_ready(const tr_ind_atr *a);
size_t tr_ind_atr_warmup(const tr_ind_atr *a);
int tr_ind_atr_batch(const double *high, const double *low,
                     const double *close, size_t len, size_t n, double *out);
void tr_ind_atr_save(const tr_ind_atr *x, tr_enc *e);
int tr_ind_atr_load(tr_ind_atr *x, tr_dec *d);

/* ---- NATR(n): ATR as a percentage of the close --------------------------
 * (atr / close) * 100, 0 when close is 0. Warm-up n. No allocation. */
typedef struct tr_ind_natr {
    tr_ind_atr atr;
} tr_ind_natr;

int tr_ind_natr_init(tr_ind_natr *a, size_t n); /* n >= 1 */
void tr_ind_natr_free(tr_ind_natr *a);
double tr_ind_natr_update(tr_ind_natr *a, double high, double low,
                          double close);
int tr_ind_natr_ready(const tr_ind_natr *a);
size_t tr_ind_natr_warmup(const tr_ind_natr *a);
int tr_ind_natr_batch(const double *high, const double *low,
                      const double *close, size_t len, size_t n,
                      double *out);
void tr_ind_natr_save(const tr_ind_natr *x, tr_enc *e);
int tr_ind_natr_load(tr_ind_natr *x, tr_dec *d);

#endif
