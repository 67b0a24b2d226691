/* volume.h: volume-weighted indicators: OBV, MFI and session VWAP,
 * streaming and batch.
 *
 * The contract common to all indicators (init/free/update/ready/warmup/batch,
 * ownership, threads, NAN during warm-up) is in ind/ind.h. Struct fields are
 * private; they are visible only so that callers can embed the structs. */
#ifndef TR_IND_VOLUME_H
#define TR_IND_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#include "ind/ind.h"

/* ---- OBV: on-balance volume ---------------------------------------------
 * Starts at the first bar's volume; then adds the volume when the close
 * rises, subtracts it when it falls, keeps it when equal. Warm-up 0.
 * No allocation. */
typedef struct tr_ind_obv {
    double prev, value;
    size_t seen;
} tr_ind_obv;

int tr_ind_obv_init(tr_ind_obv *o);
void tr_ind_obv_free(tr_ind_obv *o);
double tr_ind_obv_update(tr_ind_obv *o, double close, double volume);
int tr_ind_obv_ready(const tr_ind_obv *o);
size_t tr_ind_obv_warmup(const tr_ind_obv *o);
int tr_ind_obv_batch(const double *close, const double *volume, size_t len,
                     double *out);
void tr_ind_obv_save(const tr_ind_obv *x, tr_enc *e);
int tr_ind_obv_load(tr_ind_obv *x, tr_dec *d);

/* ---- MFI(n): money flow index -------------------------------------------
 * tp = (h + l + c)/3 in double; the flow tp * volume is positive when tp
 * rose from the previous bar, negative when it fell, neither when equal.
 * MFI = 100 * pos / (pos + neg) over the last n flows (rows 1..), 0 when
 * pos + neg < 1 (TA-Lib). Warm-up n. */
typedef struct tr_ind_mfi {
    tr__win pos, neg;
    double prev_tp;
    size_t seen;
} tr_ind_mfi;

int tr_ind_mfi_init(tr_ind_mfi *m, size_t n); /* n >= 1 */
void tr_ind_mfi_free(tr_ind_mfi *m);
double tr_ind_mfi_update(tr_ind_mfi *m, double high, double low,
                         double close, double volume);
int tr_ind_mfi_ready(const tr_ind_mfi *m);
size_t tr_ind_mfi_warmup(const tr_ind_mfi *m);
int tr_ind_mfi_batch(const double *high, const double *low,
                     const double *close, const double *volume, size_t len,
                     size_t n, double *out);
void tr_ind_mfi_save(const tr_ind_mfi *x, tr_enc *e);
int tr_ind_mfi_load(tr_ind_mfi *x, tr_dec *d);

/* ---- VWAP: session volume-weighted average price ------------------------
 * sum(tp * volume) / sum(volume) over the bars of the current session,
 * tp = (h + l + c)/3. A session starts at the first bar and whenever the
 * UTC calendar day of the bar time (int64 ns since the epoch, UTC) differs
 * from the previous bar's. While the session's volume is still 0 the value
 * is the latest bar's typical price (a price, not 0: strategies compare it
 * with prices). Warm-up 0. No allocation. */
typedef struct tr_ind_vwap {
    int64_t day;
    tr__ksum pv, vol;
    size_t seen;
} tr_ind_vwap;

int tr_ind_vwap_init(tr_ind_vwap *v);
void tr_ind_vwap_free(tr_ind_vwap *v);
double tr_ind_vwap_update(tr_ind_vwap *v, int64_t time_ns, double high,
                          double low, double close, double volume);
int tr_ind_vwap_ready(const tr_ind_vwap *v);
size_t tr_ind_vwap_warmup(const tr_ind_vwap *v);
int tr_ind_vwap_batch(const int64_t *time_ns, const double *high,
                      const double *low, const double *close,
                      const double *volume, size_t len, double *out);
void tr_ind_vwap_save(const tr_ind_vwap *x, tr_enc *e);
int tr_ind_vwap_load(tr_ind_vwap *x, tr_dec *d);

#endif
