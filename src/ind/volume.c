/* volume.c: OBV, MFI and session VWAP (see volume.h). */
#include <math.h>

#include "core/err.h"
#include "ind/ind_int.h"
#include "ind/volume.h"

/* ---- OBV ----------------------------------------------------------------- */

int tr_ind_obv_init(tr_ind_obv *o)
{
    o->prev = o->value = 0.0;
    o->seen = 0;
    return TR_OK;
}

void tr_ind_obv_free(tr_ind_obv *o)
{
    (void)o;
}

double tr_ind_obv_update(tr_ind_obv *o, double close, double volume)
{
    if (o->seen == 0) {
        o->seen = 1;
        o->value = volume;
    } else if (close > o->prev) {
        o->value += volume;
    } else if (close < o->prev) {
        o->value -= volume;
    }
    o->prev = close;
    return o->value;
}

int tr_ind_obv_ready(const tr_ind_obv *o)
{
    return o->seen > 0;
}

size_t tr_ind_obv_warmup(const tr_ind_obv *o)
{
    (void)o;
    return 0;
}

int tr_ind_obv_batch(const double *close, const double *volume, size_t len,
                     double *out)
{
    tr_ind_obv o;
    tr_ind_obv_init(&o);
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_obv_update(&o, close[i], volume[i]);
    return TR_OK;
}

/* ---- MFI ----------------------------------------------------------------- */

int tr_ind_mfi_init(tr_ind_mfi *m, size_t n)
{
    if (n < 1 || n > TR__IND_MAX_PERIOD)
        return TR_ERR_INVALID;
    int rc = tr__win_init(&m->pos, n);
    if (rc)
        return rc;
    rc = tr__win_init(&m->neg, n);
    if (rc) {
        tr__win_free(&m->pos);
        return rc;
    }
    m->prev_tp = 0.0;
    m->seen = 0;
    return TR_OK;
}

void tr_ind_mfi_free(tr_ind_mfi *m)
{
    tr__win_free(&m->pos);
    tr__win_free(&m->neg);
}

double tr_ind_mfi_update(tr_ind_mfi *m, double high, double low,
                         double close, double volume)
{
    double tp = (high + low + close) / 3.0;
    double prev = m->prev_tp;
    m->prev_tp = tp;
    if (m->seen == 0) {
        m->seen = 1;
        return NAN;
    }
    double mf = tp * volume;
    tr__win_push(&m->pos, tp > prev ? mf : 0.0);
    tr__win_push(&m->neg, tp < prev ? mf : 0.0);
    if (!tr__win_full(&m->pos))
        return NAN;
    double p = tr__ksum_get(&m->pos.sum), q = tr__ksum_get(&m->neg.sum);
    double total = p + q;
    return total < 1.0 ? 0.0 : 100.0 * (p / total);
}

int tr_ind_mfi_ready(const tr_ind_mfi *m)
{
    return tr__win_full(&m->pos);
}

size_t tr_ind_mfi_warmup(const tr_ind_mfi *m)
{
    return m->pos.n;
}

int tr_ind_mfi_batch(const double *high, const double *low,
                     const double *close, const double *volume, size_t len,
                     size_t n, double *out)
{
    tr_ind_mfi m;
    int rc = tr_ind_mfi_init(&m, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_mfi_update(&m, high[i], low[i], close[i], volume[i]);
    tr_ind_mfi_free(&m);
    return TR_OK;
}

/* ---- VWAP ---------------------------------------------------------------- */

#define NS_PER_DAY INT64_C(86400000000000)

/* Days since 1970-01-01, floor division so that times before 1970 work. */
static int64_t day_of(int64_t t)
{
    int64_t d = t / NS_PER_DAY;
    return (t % NS_PER_DAY < 0) ? d - 1 : d;
}

int tr_ind_vwap_init(tr_ind_vwap *v)
{
    v->day = 0;
    v->seen = 0;
    tr__ksum_zero(&v->pv);
    tr__ksum_zero(&v->vol);
    return TR_OK;
}

void tr_ind_vwap_free(tr_ind_vwap *v)
{
    (void)v;
}

double tr_ind_vwap_update(tr_ind_vwap *v, int64_t time_ns, double high,
                          double low, double close, double volume)
{
    int64_t day = day_of(time_ns);
    if (v->seen == 0 || day != v->day) { /* a new session */
        v->seen = 1;
        v->day = day;
        tr__ksum_zero(&v->pv);
        tr__ksum_zero(&v->vol);
    }
    double tp = (high + low + close) / 3.0;
    tr__ksum_add(&v->pv, tp * volume);
    tr__ksum_add(&v->vol, volume);
    double vol = tr__ksum_get(&v->vol);
    return vol != 0.0 ? tr__ksum_get(&v->pv) / vol : tp;
}

int tr_ind_vwap_ready(const tr_ind_vwap *v)
{
    return v->seen > 0;
}

size_t tr_ind_vwap_warmup(const tr_ind_vwap *v)
{
    (void)v;
    return 0;
}

int tr_ind_vwap_batch(const int64_t *time_ns, const double *high,
                      const double *low, const double *close,
                      const double *volume, size_t len, double *out)
{
    tr_ind_vwap v;
    tr_ind_vwap_init(&v);
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_vwap_update(&v, time_ns[i], high[i], low[i],
                                    close[i], volume[i]);
    return TR_OK;
}
