/* momentum.c: RSI, STOCH, WILLR, CCI, ROC and MOM (see momentum.h). */
#include <math.h>
#include <stdlib.h>

#include "core/err.h"
#include "ind/ind_int.h"
#include "ind/momentum.h"

static int period_ok(size_t n)
{
    return n >= 1 && n <= TR__IND_MAX_PERIOD;
}

/* ---- RSI ----------------------------------------------------------------- */

int tr_ind_rsi_init(tr_ind_rsi *r, size_t n)
{
    if (!period_ok(n))
        return TR_ERR_INVALID;
    r->n = n;
    r->seen = 0;
    r->prev = r->gain = r->loss = 0.0;
    return TR_OK;
}

void tr_ind_rsi_free(tr_ind_rsi *r)
{
    (void)r;
}

double tr_ind_rsi_update(tr_ind_rsi *r, double close)
{
    double d = close - r->prev;
    double g = d > 0.0 ? d : 0.0;
    double l = d < 0.0 ? -d : 0.0;
    r->prev = close;
    if (r->seen > r->n) {
        /* Wilder's smoothing, in TA-Lib's order of operations. */
        double n = (double)r->n;
        r->gain = (r->gain * (n - 1.0) + g) / n;
        r->loss = (r->loss * (n - 1.0) + l) / n;
    } else if (r->seen == 0) {
        r->seen = 1; /* row 0 has no change */
        return NAN;
    } else {
        r->gain += g; /* rows 1..n: the seed is the plain mean */
        r->loss += l;
        if (r->seen++ < r->n)
            return NAN;
        r->gain /= (double)r->n;
        r->loss /= (double)r->n;
    }
    double s = r->gain + r->loss;
    return s != 0.0 ? 100.0 * (r->gain / s) : 0.0;
}

int tr_ind_rsi_ready(const tr_ind_rsi *r)
{
    return r->seen > r->n;
}

size_t tr_ind_rsi_warmup(const tr_ind_rsi *r)
{
    return r->n;
}

int tr_ind_rsi_batch(const double *close, size_t len, size_t n, double *out)
{
    tr_ind_rsi r;
    int rc = tr_ind_rsi_init(&r, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_rsi_update(&r, close[i]);
    return TR_OK;
}

/* ---- STOCH --------------------------------------------------------------- */

int tr_ind_stoch_init(tr_ind_stoch *s, size_t k, size_t sk, size_t sd)
{
    if (!period_ok(k) || !period_ok(sk) || !period_ok(sd))
        return TR_ERR_INVALID;
    int rc = tr__mono_init(&s->hi, k);
    if (rc)
        return rc;
    rc = tr__mono_init(&s->lo, k);
    if (rc)
        goto err_hi;
    rc = tr__win_init(&s->fastk, sk);
    if (rc)
        goto err_lo;
    rc = tr__win_init(&s->slowk, sd);
    if (rc)
        goto err_fastk;
    s->seen = 0;
    s->warmup = k + sk + sd - 3;
    return TR_OK;
err_fastk:
    tr__win_free(&s->fastk);
err_lo:
    tr__mono_free(&s->lo);
err_hi:
    tr__mono_free(&s->hi);
    return rc;
}

void tr_ind_stoch_free(tr_ind_stoch *s)
{
    tr__mono_free(&s->hi);
    tr__mono_free(&s->lo);
    tr__win_free(&s->fastk);
    tr__win_free(&s->slowk);
}

void tr_ind_stoch_update(tr_ind_stoch *s, double high, double low,
                         double close, tr_ind_stoch_out *out)
{
    s->seen++;
    double hh = tr__mono_push_max(&s->hi, high);
    double ll = tr__mono_push_min(&s->lo, low);
    out->slowk = out->slowd = NAN;
    if (s->seen < s->hi.n)
        return;
    double fk = hh != ll ? 100.0 * ((close - ll) / (hh - ll)) : 0.0;
    tr__win_push(&s->fastk, fk);
    if (!tr__win_full(&s->fastk))
        return;
    double sk = tr__win_mean(&s->fastk);
    tr__win_push(&s->slowk, sk);
    if (!tr__win_full(&s->slowk))
        return;
    out->slowk = sk;
    out->slowd = tr__win_mean(&s->slowk);
}

int tr_ind_stoch_ready(const tr_ind_stoch *s)
{
    return s->seen > s->warmup;
}

size_t tr_ind_stoch_warmup(const tr_ind_stoch *s)
{
    return s->warmup;
}

int tr_ind_stoch_batch(const double *high, const double *low,
                       const double *close, size_t len, size_t k, size_t sk,
                       size_t sd, double *slowk, double *slowd)
{
    tr_ind_stoch s;
    int rc = tr_ind_stoch_init(&s, k, sk, sd);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++) {
        tr_ind_stoch_out o;
        tr_ind_stoch_update(&s, high[i], low[i], close[i], &o);
        if (slowk)
            slowk[i] = o.slowk;
        if (slowd)
            slowd[i] = o.slowd;
    }
    tr_ind_stoch_free(&s);
    return TR_OK;
}

/* ---- WILLR --------------------------------------------------------------- */

int tr_ind_willr_init(tr_ind_willr *w, size_t n)
{
    if (!period_ok(n))
        return TR_ERR_INVALID;
    int rc = tr__mono_init(&w->hi, n);
    if (rc)
        return rc;
    rc = tr__mono_init(&w->lo, n);
    if (rc) {
        tr__mono_free(&w->hi);
        return rc;
    }
    w->n = n;
    w->seen = 0;
    return TR_OK;
}

void tr_ind_willr_free(tr_ind_willr *w)
{
    tr__mono_free(&w->hi);
    tr__mono_free(&w->lo);
}

double tr_ind_willr_update(tr_ind_willr *w, double high, double low,
                           double close)
{
    double hh = tr__mono_push_max(&w->hi, high);
    double ll = tr__mono_push_min(&w->lo, low);
    if (++w->seen < w->n)
        return NAN;
    /* (close - hh) rather than -(hh - close): the same value, but a close
     * at the high gives +0 rather than -0. */
    return hh != ll ? 100.0 * ((close - hh) / (hh - ll)) : 0.0;
}

int tr_ind_willr_ready(const tr_ind_willr *w)
{
    return w->seen >= w->n;
}

size_t tr_ind_willr_warmup(const tr_ind_willr *w)
{
    return w->n - 1;
}

int tr_ind_willr_batch(const double *high, const double *low,
                       const double *close, size_t len, size_t n,
                       double *out)
{
    tr_ind_willr w;
    int rc = tr_ind_willr_init(&w, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_willr_update(&w, high[i], low[i], close[i]);
    tr_ind_willr_free(&w);
    return TR_OK;
}

/* ---- CCI ----------------------------------------------------------------- */

int tr_ind_cci_init(tr_ind_cci *c, size_t n)
{
    if (!period_ok(n))
        return TR_ERR_INVALID;
    double *buf = calloc(n, sizeof *buf);
    if (!buf)
        return TR_ERR_NOMEM;
    c->buf = buf;
    c->n = n;
    c->head = 0;
    c->seen = 0;
    return TR_OK;
}

void tr_ind_cci_free(tr_ind_cci *c)
{
    free(c->buf);
    c->buf = NULL;
}

double tr_ind_cci_update(tr_ind_cci *c, double high, double low,
                         double close)
{
    double tp = (high + low + close) / 3.0;
    c->buf[c->head] = tp;
    if (++c->head == c->n)
        c->head = 0;
    if (++c->seen < c->n)
        return NAN;
    /* O(n): mean, then the mean absolute deviation around it. */
    double n = (double)c->n;
    tr__ksum sum;
    tr__ksum_zero(&sum);
    for (size_t i = 0; i < c->n; i++)
        tr__ksum_add(&sum, c->buf[i]);
    double mean = tr__ksum_get(&sum) / n;
    double dev = 0.0;
    for (size_t i = 0; i < c->n; i++)
        dev += fabs(c->buf[i] - mean);
    double d = tp - mean;
    if (d == 0.0 || dev == 0.0)
        return 0.0;
    return d / (0.015 * (dev / n));
}

int tr_ind_cci_ready(const tr_ind_cci *c)
{
    return c->seen >= c->n;
}

size_t tr_ind_cci_warmup(const tr_ind_cci *c)
{
    return c->n - 1;
}

int tr_ind_cci_batch(const double *high, const double *low,
                     const double *close, size_t len, size_t n, double *out)
{
    tr_ind_cci c;
    int rc = tr_ind_cci_init(&c, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_cci_update(&c, high[i], low[i], close[i]);
    tr_ind_cci_free(&c);
    return TR_OK;
}

/* ---- ROC and MOM: a ring of the last n values ---------------------------- */

static int lag_init(double **buf, size_t n)
{
    if (!period_ok(n))
        return TR_ERR_INVALID;
    *buf = calloc(n, sizeof **buf);
    return *buf ? TR_OK : TR_ERR_NOMEM;
}

/* Store x; return the value n updates back (meaningful once seen > n). */
static inline double lag_push(double *buf, size_t n, size_t *head, double x)
{
    double old = buf[*head];
    buf[*head] = x;
    if (++*head == n)
        *head = 0;
    return old;
}

static int lag_open(tr__lag *l, size_t n)
{
    int rc = lag_init(&l->buf, n);
    if (rc)
        return rc;
    l->n = n;
    l->head = 0;
    l->seen = 0;
    return TR_OK;
}

static void lag_close(tr__lag *l)
{
    free(l->buf);
    l->buf = NULL;
}

/* Store x; 1 with *old = the value n updates back once there is one. */
static inline int lag_step(tr__lag *l, double x, double *old)
{
    *old = lag_push(l->buf, l->n, &l->head, x);
    if (l->seen <= l->n && l->seen++ < l->n) /* seen stops at n+1 */
        return 0;
    return 1;
}

int tr_ind_roc_init(tr_ind_roc *r, size_t n)
{
    return lag_open(r, n);
}

void tr_ind_roc_free(tr_ind_roc *r)
{
    lag_close(r);
}

double tr_ind_roc_update(tr_ind_roc *r, double x)
{
    double old;
    if (!lag_step(r, x, &old))
        return NAN;
    return old != 0.0 ? (x / old - 1.0) * 100.0 : 0.0;
}

int tr_ind_roc_ready(const tr_ind_roc *r)
{
    return r->seen > r->n;
}

size_t tr_ind_roc_warmup(const tr_ind_roc *r)
{
    return r->n;
}

int tr_ind_roc_batch(const double *in, size_t len, size_t n, double *out)
{
    tr_ind_roc r;
    int rc = tr_ind_roc_init(&r, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_roc_update(&r, in[i]);
    tr_ind_roc_free(&r);
    return TR_OK;
}

int tr_ind_mom_init(tr_ind_mom *m, size_t n)
{
    return lag_open(m, n);
}

void tr_ind_mom_free(tr_ind_mom *m)
{
    lag_close(m);
}

double tr_ind_mom_update(tr_ind_mom *m, double x)
{
    double old;
    return lag_step(m, x, &old) ? x - old : NAN;
}

int tr_ind_mom_ready(const tr_ind_mom *m)
{
    return tr_ind_roc_ready(m);
}

size_t tr_ind_mom_warmup(const tr_ind_mom *m)
{
    return m->n;
}

int tr_ind_mom_batch(const double *in, size_t len, size_t n, double *out)
{
    tr_ind_mom m;
    int rc = tr_ind_mom_init(&m, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_mom_update(&m, in[i]);
    tr_ind_mom_free(&m);
    return TR_OK;
}
