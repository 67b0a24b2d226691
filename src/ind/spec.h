/* spec.h: any indicator built from a spec string ("sma:20", "macd:12:26:9"),
 * with named output columns: what the CLI, strategies and configuration use
 * when the indicator is chosen at run time.
 *
 * Specs: NAME[:P1[:P2[:P3]]]; NAME is case-insensitive; trailing parameters
 * may be left out and take the defaults shown (rsi = rsi:14,
 * macd:5 = macd:5:26:9). Periods are integers 1..10000000. Columns, in
 * order (parameters as written back in canonical form, e.g. 1.5, 2):
 *
 *   sma[:N=20]              sma_N
 *   ema[:N=20]              ema_N
 *   wma[:N=20]              wma_N
 *   rsi[:N=14]              rsi_N
 *   macd[:F=12[:S=26[:G=9]]] macd_F_S_G, macd_signal_F_S_G, macd_hist_F_S_G
 *                           (F < S)
 *   bbands[:N=20[:K=2]]     bbands_upper_N_K, bbands_middle_N_K,
 *                           bbands_lower_N_K (K a number >= 0)
 *   atr[:N=14]              atr_N
 *   natr[:N=14]             natr_N
 *   trange                  trange
 *   adx[:N=14]              adx_N
 *   plus_di[:N=14]          plus_di_N
 *   minus_di[:N=14]         minus_di_N
 *   stoch[:K=14[:SK=3[:SD=3]]] stoch_slowk_K_SK_SD, stoch_slowd_K_SK_SD
 *   obv                     obv
 *   cci[:N=20]              cci_N
 *   willr[:N=14]            willr_N
 *   mfi[:N=14]              mfi_N
 *   roc[:N=10]              roc_N
 *   mom[:N=10]              mom_N
 *   stddev[:N=20]           stddev_N
 *   vwap                    vwap
 *
 * The values, warm-ups and conventions are those of the typed indicators
 * (ind/ma.h, momentum.h, volatility.h, dmi.h, volume.h): a tr_ind is a thin
 * dispatch over them, with the same O(1) update and no allocation after
 * tr_ind_parse. Threads: a tr_ind belongs to the thread that updates it
 * (the engine thread); the catalog is immutable and may be read anywhere. */
#ifndef TR_IND_SPEC_H
#define TR_IND_SPEC_H

#include <stddef.h>

#include "ind/ind.h"

typedef struct tr_ind tr_ind; /* any indicator built from a spec string */

/* Parse spec and build the indicator. On success *out is a new indicator
 * that the caller owns (release it with tr_ind_free) and err is untouched.
 * On failure *out is untouched and the return is TR_ERR_INVALID with a
 * message in err[errlen] such as
 *   "rsi: period must be an integer >= 1, got 'x'"
 *   "unknown indicator 'foo' (known: sma, ema, ...)"
 * or TR_ERR_NOMEM ("out of memory"). err may be NULL when errlen is 0. */
int tr_ind_parse(const char *spec, tr_ind **out /* OUT */, char *err,
                 size_t errlen);

/* Release an indicator from tr_ind_parse; NULL is a no-op. */
void tr_ind_free(tr_ind *ind);

/* The canonical spec, defaults filled in ("rsi" gives "rsi:14"). Borrowed
 * until tr_ind_free. */
const char *tr_ind_spec(const tr_ind *ind);

/* Number of output columns (1 to 3). */
size_t tr_ind_columns(const tr_ind *ind);

/* Name of column col ("sma_20", "macd_signal_12_26_9", ...), unique for a
 * given canonical spec; borrowed until tr_ind_free. NULL if col is out of
 * range. */
const char *tr_ind_column_name(const tr_ind *ind, size_t col);

/* Feed the next bar (bars in time order). O(1) (CCI: O(n)); never
 * allocates. */
void tr_ind_update(tr_ind *ind, const tr_ind_input *in);

/* 1 when column col has a value for the last bar, 0 while it warms up (and
 * for col out of range). */
int tr_ind_ready(const tr_ind *ind, size_t col);

/* Column col's value for the last bar; NAN while not ready. */
double tr_ind_value(const tr_ind *ind, size_t col);

/* First valid 0-based row of column col, and of all columns (the largest;
 * adx:14's column is valid from 27, plus_di:14's from 14). */
size_t tr_ind_column_warmup(const tr_ind *ind, size_t col);
size_t tr_ind_warmup(const tr_ind *ind);

/* Snapshots: the state of ind (its spec, its last values and the typed
 * indicator's state, ind.h), and back into an indicator parsed from the
 * same spec. TR_ERR_DATA when the bytes are not the state of an indicator
 * of that spec; ind may then only be freed. */
void tr_ind_save(const tr_ind *ind, tr_enc *e);
int tr_ind_load(tr_ind *ind, tr_dec *d);

/* The known indicators, for usage texts: syntax "macd[:F=12[:S=26[:G=9]]]",
 * columns "macd_F_S_G, macd_signal_F_S_G, macd_hist_F_S_G", a one-line
 * summary. *count gets the number of entries; static storage. */
typedef struct tr_ind_info {
    const char *syntax;
    const char *columns;
    const char *summary;
} tr_ind_info;

const tr_ind_info *tr_ind_catalog(size_t *count /* OUT */);

#endif
