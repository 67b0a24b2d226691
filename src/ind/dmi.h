/* dmi.h: Wilder's directional movement: +DI, -DI and ADX, streaming and
 * batch. One object computes all three (they share every running sum).
 *
 * The contract common to all indicators (init/free/update/ready/warmup/batch,
 * ownership, threads, NAN during warm-up) is in ind/ind.h. Struct fields are
 * private; they are visible only so that callers can embed the structs.
 *
 * From row 1 on: up = h - prev h, down = prev l - l; +DM = up when up > 0
 * and up > down, else 0; -DM = down when down > 0 and down > up, else 0;
 * TR the true range. Rows 1..n-1 sum them; from row n each running sum S
 * becomes S - S/n + value (TA-Lib), and
 *   +DI = 100 * S(+DM) / S(TR), -DI = 100 * S(-DM) / S(TR)  (0 if S(TR) = 0)
 *   DX  = 100 * |+DI - -DI| / (+DI + -DI)            (0 if the sum is 0)
 *   ADX = mean of the first n DX (rows n..2n-1), then (adx*(n-1) + dx)/n.
 * Warm-up: n for +DI and -DI, 2n-1 for ADX. No allocation. */
#ifndef TR_IND_DMI_H
#define TR_IND_DMI_H

#include <stddef.h>

#include "ind/ind.h"

typedef struct tr_ind_adx_out {
    double adx;      /* NAN before row 2n-1 */
    double plus_di;  /* NAN before row n */
    double minus_di; /* NAN before row n */
} tr_ind_adx_out;

typedef struct tr_ind_adx {
    size_t n, seen;
    double ph, pl, pc;        /* previous bar */
    double pdm, mdm, tr;      /* Wilder running sums */
    double adx;               /* sum of DX while seeding, then ADX */
} tr_ind_adx;

int tr_ind_adx_init(tr_ind_adx *a, size_t n); /* n >= 1 */
void tr_ind_adx_free(tr_ind_adx *a);
void tr_ind_adx_update(tr_ind_adx *a, double high, double low, double close,
                       tr_ind_adx_out *out /* OUT */);
/* ADX readiness and warm-up (2n-1). */
int tr_ind_adx_ready(const tr_ind_adx *a);
size_t tr_ind_adx_warmup(const tr_ind_adx *a);
/* +DI / -DI readiness and warm-up (n). */
int tr_ind_adx_di_ready(const tr_ind_adx *a);
size_t tr_ind_adx_di_warmup(const tr_ind_adx *a);
/* Any of the three outputs may be NULL when not wanted. */
int tr_ind_adx_batch(const double *high, const double *low,
                     const double *close, size_t len, size_t n, double *adx,
                     double *plus_di, double *minus_di);
void tr_ind_adx_save(const tr_ind_adx *x, tr_enc *e);
int tr_ind_adx_load(tr_ind_adx *x, tr_dec *d);

#endif
