/* dmi.c: +DI, -DI and ADX (see dmi.h), in TA-Lib's order of operations. */
#include <math.h>

#include "core/err.h"
#include "ind/dmi.h"
#include "ind/ind_int.h"

int tr_ind_adx_init(tr_ind_adx *a, size_t n)
{
    if (n < 1 || n > TR__IND_MAX_PERIOD)
        return TR_ERR_INVALID;
    a->n = n;
    a->seen = 0;
    a->ph = a->pl = a->pc = 0.0;
    a->pdm = a->mdm = a->tr = 0.0;
    a->adx = 0.0;
    return TR_OK;
}

void tr_ind_adx_free(tr_ind_adx *a)
{
    (void)a;
}

void tr_ind_adx_update(tr_ind_adx *a, double high, double low, double close,
                       tr_ind_adx_out *out)
{
    size_t row = a->seen;
    if (a->seen < 2 * a->n) /* seen stops at 2n: all that matters */
        a->seen++;
    out->adx = out->plus_di = out->minus_di = NAN;
    double up = high - a->ph, down = a->pl - low;
    double tr = tr__true_range(high, low, a->pc);
    a->ph = high;
    a->pl = low;
    a->pc = close;
    if (row == 0)
        return;
    double pdm = 0.0, mdm = 0.0;
    if (down > 0.0 && up < down)
        mdm = down;
    else if (up > 0.0 && up > down)
        pdm = up;
    double n = (double)a->n;
    if (row < a->n) { /* rows 1..n-1: plain sums */
        a->pdm += pdm;
        a->mdm += mdm;
        a->tr += tr;
        return;
    }
    a->pdm = a->pdm - a->pdm / n + pdm;
    a->mdm = a->mdm - a->mdm / n + mdm;
    a->tr = a->tr - a->tr / n + tr;
    double pdi = 0.0, mdi = 0.0, dx = 0.0;
    if (a->tr != 0.0) {
        pdi = 100.0 * (a->pdm / a->tr);
        mdi = 100.0 * (a->mdm / a->tr);
        double s = pdi + mdi;
        if (s != 0.0)
            dx = 100.0 * (fabs(mdi - pdi) / s);
    }
    out->plus_di = pdi;
    out->minus_di = mdi;
    if (row + 1 < 2 * a->n) { /* rows n..2n-2: summing the first DX */
        a->adx += dx;
        return;
    }
    if (row + 1 == 2 * a->n) /* row 2n-1: the n-th DX; the seed */
        a->adx = (a->adx + dx) / n;
    else
        a->adx = (a->adx * (n - 1.0) + dx) / n;
    out->adx = a->adx;
}

int tr_ind_adx_ready(const tr_ind_adx *a)
{
    return a->seen >= 2 * a->n;
}

size_t tr_ind_adx_warmup(const tr_ind_adx *a)
{
    return 2 * a->n - 1;
}

int tr_ind_adx_di_ready(const tr_ind_adx *a)
{
    return a->seen > a->n;
}

size_t tr_ind_adx_di_warmup(const tr_ind_adx *a)
{
    return a->n;
}

int tr_ind_adx_batch(const double *high, const double *low,
                     const double *close, size_t len, size_t n, double *adx,
                     double *plus_di, double *minus_di)
{
    tr_ind_adx a;
    int rc = tr_ind_adx_init(&a, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++) {
        tr_ind_adx_out o;
        tr_ind_adx_update(&a, high[i], low[i], close[i], &o);
        if (adx)
            adx[i] = o.adx;
        if (plus_di)
            plus_di[i] = o.plus_di;
        if (minus_di)
            minus_di[i] = o.minus_di;
    }
    return TR_OK;
}
