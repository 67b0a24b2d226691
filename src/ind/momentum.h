/* momentum.h: oscillators and rates of change: RSI, STOCH, WILLR, CCI,
 * ROC, MOM, streaming and batch.
 *
 * The contract common to all indicators (init/free/update/ready/warmup/batch,
 * ownership, threads, NAN during warm-up) is in ind/ind.h. Struct fields are
 * private; they are visible only so that callers can embed the structs. */
#ifndef TR_IND_MOMENTUM_H
#define TR_IND_MOMENTUM_H

#include <stddef.h>

#include "ind/ind.h"

/* ---- RSI(n), Wilder -----------------------------------------------------
 * Gains and losses of close-to-close changes; their first averages (row n)
 * are plain means of the first n changes, then avg = (avg*(n-1) + x)/n.
 * RSI = 100 * gain / (gain + loss), 0 when both are 0. Warm-up n. */
typedef struct tr_ind_rsi {
    size_t n, seen;
    double prev, gain, loss;
} tr_ind_rsi;

int tr_ind_rsi_init(tr_ind_rsi *r, size_t n); /* n >= 1 */
void tr_ind_rsi_free(tr_ind_rsi *r);
double tr_ind_rsi_update(tr_ind_rsi *r, double close);
int tr_ind_rsi_ready(const tr_ind_rsi *r);
size_t tr_ind_rsi_warmup(const tr_ind_rsi *r);
int tr_ind_rsi_batch(const double *close, size_t len, size_t n, double *out);
void tr_ind_rsi_save(const tr_ind_rsi *x, tr_enc *e);
int tr_ind_rsi_load(tr_ind_rsi *x, tr_dec *d);

/* ---- STOCH(k, sk, sd): slow stochastic ----------------------------------
 * fast %K = 100 * (close - LL) / (HH - LL) over the last k bars (0 when
 * HH == LL); slow %K = SMA(sk) of fast %K; slow %D = SMA(sd) of slow %K.
 * As in TA-Lib both outputs appear together from row k+sk+sd-3 (the
 * warm-up), although slow %K alone would exist from row k+sk-2. */
typedef struct tr_ind_stoch_out {
    double slowk, slowd; /* NAN while warming up */
} tr_ind_stoch_out;

typedef struct tr_ind_stoch {
    tr__mono hi, lo;
    tr__win fastk, slowk;
    size_t seen, warmup;
} tr_ind_stoch;

int tr_ind_stoch_init(tr_ind_stoch *s, size_t k, size_t sk, size_t sd);
void tr_ind_stoch_free(tr_ind_stoch *s);
void tr_ind_stoch_update(tr_ind_stoch *s, double high, double low,
                         double close, tr_ind_stoch_out *out /* OUT */);
int tr_ind_stoch_ready(const tr_ind_stoch *s);
size_t tr_ind_stoch_warmup(const tr_ind_stoch *s);
/* Either output may be NULL when not wanted. */
int tr_ind_stoch_batch(const double *high, const double *low,
                       const double *close, size_t len, size_t k, size_t sk,
                       size_t sd, double *slowk, double *slowd);
void tr_ind_stoch_save(const tr_ind_stoch *x, tr_enc *e);
int tr_ind_stoch_load(tr_ind_stoch *x, tr_dec *d);

/* ---- WILLR(n): Williams %R, -100..0 -------------------------------------
 * -100 * (HH - close) / (HH - LL) over the last n bars, 0 when HH == LL.
 * Warm-up n-1. */
typedef struct tr_ind_willr {
    tr__mono hi, lo;
    size_t n, seen;
} tr_ind_willr;

int tr_ind_willr_init(tr_ind_willr *w, size_t n); /* n >= 1 */
void tr_ind_willr_free(tr_ind_willr *w);
double tr_ind_willr_update(tr_ind_willr *w, double high, double low,
                           double close);
int tr_ind_willr_ready(const tr_ind_willr *w);
size_t tr_ind_willr_warmup(const tr_ind_willr *w);
int tr_ind_willr_batch(const double *high, const double *low,
                       const double *close, size_t len, size_t n,
                       double *out);
void tr_ind_willr_save(const tr_ind_willr *x, tr_enc *e);
int tr_ind_willr_load(tr_ind_willr *x, tr_dec *d);

/* ---- CCI(n): commodity channel index ------------------------------------
 * tp = (h + l + c)/3; CCI = (tp - mean) / (0.015 * mean deviation) over the
 * last n typical prices, 0 when the deviation (or tp - mean) is 0.
 * Warm-up n-1. O(n) per update: the mean absolute deviation around the
 * current mean has no exact running form (the mean moves), so each update
 * walks the window, as TA-Lib does. */
typedef struct tr_ind_cci {
    double *buf; /* n typical prices, owned */
    size_t n, head, seen;
} tr_ind_cci;

int tr_ind_cci_init(tr_ind_cci *c, size_t n); /* n >= 1 */
void tr_ind_cci_free(tr_ind_cci *c);
double tr_ind_cci_update(tr_ind_cci *c, double high, double low,
                         double close);
int tr_ind_cci_ready(const tr_ind_cci *c);
size_t tr_ind_cci_warmup(const tr_ind_cci *c);
int tr_ind_cci_batch(const double *high, const double *low,
                     const double *close, size_t len, size_t n, double *out);
void tr_ind_cci_save(const tr_ind_cci *x, tr_enc *e);
int tr_ind_cci_load(tr_ind_cci *x, tr_dec *d);

/* ---- ROC(n): rate of change in percent ----------------------------------
 * (x / x[n bars ago] - 1) * 100, 0 when the old value is 0. Warm-up n. */
/* ROC and Momentum both compare a value with the one n bars back: one lag
 * window type serves both. */
typedef struct tr__lag {
    double *buf; /* n values, owned */
    size_t n, head, seen;
} tr__lag;

typedef tr__lag tr_ind_roc;

int tr_ind_roc_init(tr_ind_roc *r, size_t n); /* n >= 1 */
void tr_ind_roc_free(tr_ind_roc *r);
double tr_ind_roc_update(tr_ind_roc *r, double x);
int tr_ind_roc_ready(const tr_ind_roc *r);
size_t tr_ind_roc_warmup(const tr_ind_roc *r);
int tr_ind_roc_batch(const double *in, size_t len, size_t n, double *out);
void tr_ind_roc_save(const tr_ind_roc *x, tr_enc *e);
int tr_ind_roc_load(tr_ind_roc *x, tr_dec *d);

/* ---- MOM(n): momentum, x - x[n bars ago]. Warm-up n. -------------------- */
typedef tr__lag tr_ind_mom;

int tr_ind_mom_init(tr_ind_mom *m, size_t n); /* n >= 1 */
void tr_ind_mom_free(tr_ind_mom *m);
double tr_ind_mom_update(tr_ind_mom *m, double x);
int tr_ind_mom_ready(const tr_ind_mom *m);
size_t tr_ind_mom_warmup(const tr_ind_mom *m);
int tr_ind_mom_batch(const double *in, size_t len, size_t n, double *out);
void tr_ind_mom_save(const tr_ind_mom *x, tr_enc *e);
int tr_ind_mom_load(tr_ind_mom *x, tr_dec *d);

#endif
