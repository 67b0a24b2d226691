/* volatility.c: STDDEV, BBANDS, TRANGE, ATR and NATR (see volatility.h).
 *
 * The rolling standard deviation is the one place where a naive running
 * form fails badly: sum(x^2) - sum(x)^2/n loses every digit when the mean is
 * large against the spread (prices around 1e4 moving by cents), and a
 * constant window should give exactly 0, not sqrt of a rounding residue.
 * Sums around an origin K inside the window, compensated, and re-centred
 * when they start to cancel, give a few ulps of the two-pass result. */
#include <math.h>
#include <stdlib.h>

#include "core/err.h"
#include "ind/ind_int.h"
#include "ind/volatility.h"

static int period_ok(size_t n)
{
    return n >= 1 && n <= TR__IND_MAX_PERIOD;
}

/* ---- STDDEV -------------------------------------------------------------- */

int tr_ind_stddev_init(tr_ind_stddev *s, size_t n)
{
    if (!period_ok(n))
        return TR_ERR_INVALID;
    double *buf = calloc(n, sizeof *buf);
    if (!buf)
        return TR_ERR_NOMEM;
    s->buf = buf;
    s->n = n;
    s->head = 0;
    s->seen = 0;
    s->since = 0;
    s->k = 0.0;
    s->mean = NAN;
    tr__ksum_zero(&s->s1);
    tr__ksum_zero(&s->s2);
    return TR_OK;
}

void tr_ind_stddev_free(tr_ind_stddev *s)
{
    free(s->buf);
    s->buf = NULL;
}

/* Recompute the sums of a full window around K = the window value nearest
 * its mean. Then sum((x-K)^2) <= 2 * sum((x-mean)^2): at most one bit of
 * the variance is lost to cancellation, and a constant window sums to 0. */
static void sd_recentre(tr_ind_stddev *s)
{
    size_t n = s->n;
    tr__ksum t;
    tr__ksum_zero(&t);
    for (size_t i = 0; i < n; i++)
        tr__ksum_add(&t, s->buf[i]);
    double mean = tr__ksum_get(&t) / (double)n;
    double k = s->buf[0], best = fabs(s->buf[0] - mean);
    for (size_t i = 1; i < n; i++) {
        double d = fabs(s->buf[i] - mean);
        if (d < best) {
            best = d;
            k = s->buf[i];
        }
    }
    s->k = k;
    tr__ksum_zero(&s->s1);
    tr__ksum_zero(&s->s2);
    for (size_t i = 0; i < n; i++) {
        double d = s->buf[i] - k;
        tr__ksum_add(&s->s1, d);
        tr__ksum_add(&s->s2, d * d);
    }
    s->since = 0;
}

double tr_ind_stddev_update(tr_ind_stddev *s, double x)
{
    if (s->seen >= s->n) {
        /* The same d as when this value came in (or was re-centred), so
         * its terms leave the compensated sums exactly. */
        double d = s->buf[s->head] - s->k;
        tr__ksum_add(&s->s1, -d);
        tr__ksum_add(&s->s2, -(d * d));
    } else if (s->seen == 0) {
        s->k = x;
    }
    s->seen++;
    s->buf[s->head] = x;
    if (++s->head == s->n)
        s->head = 0;
    double d = x - s->k;
    tr__ksum_add(&s->s1, d);
    tr__ksum_add(&s->s2, d * d);
    if (s->seen < s->n)
        return NAN;

    if (++s->since >= s->n)
        sd_recentre(s);
    double n = (double)s->n;
    double a = tr__ksum_get(&s->s1), b = tr__ksum_get(&s->s2);
    double m2 = b - a * a / n;
    if (m2 < 1e-4 * b) { /* cancelling: K has drifted away from the mean */
        sd_recentre(s);
        a = tr__ksum_get(&s->s1);
        b = tr__ksum_get(&s->s2);
        m2 = b - a * a / n;
    }
    if (m2 < 0.0)
        m2 = 0.0;
    s->mean = s->k + a / n;
    return sqrt(m2 / n);
}

int tr_ind_stddev_ready(const tr_ind_stddev *s)
{
    return s->seen >= s->n;
}

size_t tr_ind_stddev_warmup(const tr_ind_stddev *s)
{
    return s->n - 1;
}

int tr_ind_stddev_batch(const double *in, size_t len, size_t n, double *out)
{
    tr_ind_stddev s;
    int rc = tr_ind_stddev_init(&s, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_stddev_update(&s, in[i]);
    tr_ind_stddev_free(&s);
    return TR_OK;
}

/* ---- BBANDS -------------------------------------------------------------- */

int tr_ind_bbands_init(tr_ind_bbands *b, size_t n, double k)
{
    if (!(k >= 0.0) || !isfinite(k))
        return TR_ERR_INVALID;
    int rc = tr_ind_stddev_init(&b->sd, n);
    if (rc)
        return rc;
    b->mult = k;
    return TR_OK;
}

void tr_ind_bbands_free(tr_ind_bbands *b)
{
    tr_ind_stddev_free(&b->sd);
}

void tr_ind_bbands_update(tr_ind_bbands *b, double x, tr_ind_bbands_out *out)
{
    double sd = tr_ind_stddev_update(&b->sd, x);
    if (isnan(sd)) {
        out->upper = out->middle = out->lower = NAN;
        return;
    }
    double w = sd * b->mult;
    out->middle = b->sd.mean;
    out->upper = out->middle + w;
    out->lower = out->middle - w;
}

int tr_ind_bbands_ready(const tr_ind_bbands *b)
{
    return tr_ind_stddev_ready(&b->sd);
}

size_t tr_ind_bbands_warmup(const tr_ind_bbands *b)
{
    return tr_ind_stddev_warmup(&b->sd);
}

int tr_ind_bbands_batch(const double *in, size_t len, size_t n, double k,
                        double *upper, double *middle, double *lower)
{
    tr_ind_bbands b;
    int rc = tr_ind_bbands_init(&b, n, k);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++) {
        tr_ind_bbands_out o;
        tr_ind_bbands_update(&b, in[i], &o);
        if (upper)
            upper[i] = o.upper;
        if (middle)
            middle[i] = o.middle;
        if (lower)
            lower[i] = o.lower;
    }
    tr_ind_bbands_free(&b);
    return TR_OK;
}

/* ---- TRANGE -------------------------------------------------------------- */

int tr_ind_trange_init(tr_ind_trange *t)
{
    t->prev_close = 0.0;
    t->seen = 0;
    return TR_OK;
}

void tr_ind_trange_free(tr_ind_trange *t)
{
    (void)t;
}

double tr_ind_trange_update(tr_ind_trange *t, double high, double low,
                            double close)
{
    double pc = t->prev_close;
    t->prev_close = close;
    if (t->seen < 2 && t->seen++ == 0) /* seen stops at 2 */
        return NAN;
    return tr__true_range(high, low, pc);
}

int tr_ind_trange_ready(const tr_ind_trange *t)
{
    return t->seen >= 2;
}

size_t tr_ind_trange_warmup(const tr_ind_trange *t)
{
    (void)t;
    return 1;
}

int tr_ind_trange_batch(const double *high, const double *low,
                        const double *close, size_t len, double *out)
{
    tr_ind_trange t;
    tr_ind_trange_init(&t);
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_trange_update(&t, high[i], low[i], close[i]);
    return TR_OK;
}

/* ---- ATR ----------------------------------------------------------------- */

int tr_ind_atr_init(tr_ind_atr *a, size_t n)
{
    if (!period_ok(n))
        return TR_ERR_INVALID;
    tr_ind_trange_init(&a->tr);
    a->n = n;
    a->seen = 0;
    a->value = 0.0;
    return TR_OK;
}

void tr_ind_atr_free(tr_ind_atr *a)
{
    (void)a;
}

double tr_ind_atr_update(tr_ind_atr *a, double high, double low,
                         double close)
{
    double tr = tr_ind_trange_update(&a->tr, high, low, close);
    if (a->seen > a->n) {
        double n = (double)a->n;
        a->value = (a->value * (n - 1.0) + tr) / n;
        return a->value;
    }
    if (a->seen++ == 0) /* row 0: no true range yet */
        return NAN;
    a->value += tr; /* rows 1..n: the seed is the plain mean */
    if (a->seen <= a->n)
        return NAN;
    a->value /= (double)a->n;
    return a->value;
}

int tr_ind_atr_ready(const tr_ind_atr *a)
{
    return a->seen > a->n;
}

size_t tr_ind_atr_warmup(const tr_ind_atr *a)
{
    return a->n;
}

int tr_ind_atr_batch(const double *high, const double *low,
                     const double *close, size_t len, size_t n, double *out)
{
    tr_ind_atr a;
    int rc = tr_ind_atr_init(&a, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_atr_update(&a, high[i], low[i], close[i]);
    return TR_OK;
}

/* ---- NATR ---------------------------------------------------------------- */

int tr_ind_natr_init(tr_ind_natr *a, size_t n)
{
    return tr_ind_atr_init(&a->atr, n);
}

void tr_ind_natr_free(tr_ind_natr *a)
{
    (void)a;
}

double tr_ind_natr_update(tr_ind_natr *a, double high, double low,
                          double close)
{
    double atr = tr_ind_atr_update(&a->atr, high, low, close);
    if (isnan(atr))
        return NAN;
    return close != 0.0 ? (atr / close) * 100.0 : 0.0;
}

int tr_ind_natr_ready(const tr_ind_natr *a)
{
    return tr_ind_atr_ready(&a->atr);
}

size_t tr_ind_natr_warmup(const tr_ind_natr *a)
{
    return tr_ind_atr_warmup(&a->atr);
}

int tr_ind_natr_batch(const double *high, const double *low,
                      const double *close, size_t len, size_t n,
                      double *out)
{
    tr_ind_natr a;
    int rc = tr_ind_natr_init(&a, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_natr_update(&a, high[i], low[i], close[i]);
    return TR_OK;
}
