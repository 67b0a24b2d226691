/* ma.c: SMA, EMA, WMA and MACD (see ma.h for the conventions). */
#include <math.h>
#include <stdlib.h>

#include "core/err.h"
#include "ind/ind_int.h"
#include "ind/ma.h"

static int period_ok(size_t n)
{
    return n >= 1 && n <= TR__IND_MAX_PERIOD;
}

/* ---- SMA ----------------------------------------------------------------- */

int tr_ind_sma_init(tr_ind_sma *s, size_t n)
{
    if (!period_ok(n))
        return TR_ERR_INVALID;
    return tr__win_init(&s->w, n);
}

void tr_ind_sma_free(tr_ind_sma *s)
{
    tr__win_free(&s->w);
}

double tr_ind_sma_update(tr_ind_sma *s, double x)
{
    tr__win_push(&s->w, x);
    return tr__win_full(&s->w) ? tr__win_mean(&s->w) : NAN;
}

int tr_ind_sma_ready(const tr_ind_sma *s)
{
    return tr__win_full(&s->w);
}

size_t tr_ind_sma_warmup(const tr_ind_sma *s)
{
    return s->w.n - 1;
}

int tr_ind_sma_batch(const double *in, size_t len, size_t n, double *out)
{
    tr_ind_sma s;
    int rc = tr_ind_sma_init(&s, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_sma_update(&s, in[i]);
    tr_ind_sma_free(&s);
    return TR_OK;
}

/* ---- EMA ----------------------------------------------------------------- */

int tr_ind_ema_init(tr_ind_ema *e, size_t n)
{
    if (!period_ok(n))
        return TR_ERR_INVALID;
    e->n = n;
    e->seen = 0;
    e->k = 2.0 / ((double)n + 1.0);
    e->value = NAN;
    tr__ksum_zero(&e->seed);
    return TR_OK;
}

void tr_ind_ema_free(tr_ind_ema *e)
{
    (void)e;
}

double tr_ind_ema_update(tr_ind_ema *e, double x)
{
    if (e->seen >= e->n) {
        e->value = (x - e->value) * e->k + e->value;
        return e->value;
    }
    tr__ksum_add(&e->seed, x);
    if (++e->seen < e->n)
        return NAN;
    e->value = tr__ksum_get(&e->seed) / (double)e->n;
    return e->value;
}

int tr_ind_ema_ready(const tr_ind_ema *e)
{
    return e->seen >= e->n;
}

size_t tr_ind_ema_warmup(const tr_ind_ema *e)
{
    return e->n - 1;
}

int tr_ind_ema_batch(const double *in, size_t len, size_t n, double *out)
{
    tr_ind_ema e;
    int rc = tr_ind_ema_init(&e, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_ema_update(&e, in[i]);
    return TR_OK;
}

/* ---- WMA ----------------------------------------------------------------- */

int tr_ind_wma_init(tr_ind_wma *w, size_t n)
{
    if (!period_ok(n))
        return TR_ERR_INVALID;
    double *buf = calloc(n, sizeof *buf);
    if (!buf)
        return TR_ERR_NOMEM;
    w->buf = buf;
    w->n = n;
    w->head = 0;
    w->seen = 0;
    w->div = (double)n * ((double)n + 1.0) / 2.0;
    tr__ksum_zero(&w->sum);
    tr__ksum_zero(&w->wsum);
    return TR_OK;
}

void tr_ind_wma_free(tr_ind_wma *w)
{
    free(w->buf);
    w->buf = NULL;
}

/* Recompute both sums from the ring (oldest weighs 1): run once every n
 * updates, an amortised O(1) that keeps the subtraction of S in the sliding
 * rule from accumulating rounding errors over long series. */
static void wma_resum(tr_ind_wma *w)
{
    tr__ksum_zero(&w->sum);
    tr__ksum_zero(&w->wsum);
    size_t j = w->head; /* the oldest value once the ring is full */
    for (size_t i = 1; i <= w->n; i++) {
        tr__ksum_add(&w->sum, w->buf[j]);
        tr__ksum_add(&w->wsum, (double)i * w->buf[j]);
        if (++j == w->n)
            j = 0;
    }
}

double tr_ind_wma_update(tr_ind_wma *w, double x)
{
    /* Before the window is full the missing values count as zeros, so the
     * one sliding rule also builds the first window. */
    double old = w->seen >= w->n ? w->buf[w->head] : 0.0;
    w->seen++;
    tr__ksum_add(&w->wsum, (double)w->n * x);
    tr__ksum_add(&w->wsum, -tr__ksum_get(&w->sum));
    tr__ksum_add(&w->sum, x);
    tr__ksum_add(&w->sum, -old);
    w->buf[w->head] = x;
    if (++w->head == w->n) {
        w->head = 0;
        if (w->seen > w->n)
            wma_resum(w);
    }
    if (w->seen < w->n)
        return NAN;
    return tr__ksum_get(&w->wsum) / w->div;
}

int tr_ind_wma_ready(const tr_ind_wma *w)
{
    return w->seen >= w->n;
}

size_t tr_ind_wma_warmup(const tr_ind_wma *w)
{
    return w->n - 1;
}

int tr_ind_wma_batch(const double *in, size_t len, size_t n, double *out)
{
    tr_ind_wma w;
    int rc = tr_ind_wma_init(&w, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = tr_ind_wma_update(&w, in[i]);
    tr_ind_wma_free(&w);
    return TR_OK;
}

/* ---- MACD ---------------------------------------------------------------- */

int tr_ind_macd_init(tr_ind_macd *m, size_t fast, size_t slow, size_t signal)
{
    if (!period_ok(fast) || !period_ok(slow) || !period_ok(signal) ||
        fast >= slow)
        return TR_ERR_INVALID;
    tr_ind_ema_init(&m->fast, fast);
    tr_ind_ema_init(&m->slow, slow);
    tr_ind_ema_init(&m->signal, signal);
    m->f = fast;
    m->s = slow;
    m->g = signal;
    m->seen = 0;
    return TR_OK;
}

void tr_ind_macd_free(tr_ind_macd *m)
{
    (void)m;
}

void tr_ind_macd_update(tr_ind_macd *m, double x, tr_ind_macd_out *out)
{
    size_t row = m->seen++;
    double slow = tr_ind_ema_update(&m->slow, x);
    double fast = NAN, macd = NAN, sig = NAN;
    if (row + m->f >= m->s) /* row >= s - f: the fast EMA's first input */
        fast = tr_ind_ema_update(&m->fast, x);
    if (row + 1 >= m->s) { /* both EMAs have values from row s-1 */
        macd = fast - slow;
        sig = tr_ind_ema_update(&m->signal, macd);
    }
    if (row + 2 >= m->s + m->g) {
        out->macd = macd;
        out->signal = sig;
        out->hist = macd - sig;
    } else {
        out->macd = out->signal = out->hist = NAN;
    }
}

int tr_ind_macd_ready(const tr_ind_macd *m)
{
    return m->seen + 1 >= m->s + m->g;
}

size_t tr_ind_macd_warmup(const tr_ind_macd *m)
{
    return m->s + m->g - 2;
}

int tr_ind_macd_batch(const double *in, size_t len, size_t fast, size_t slow,
                      size_t signal, double *macd, double *sig, double *hist)
{
    tr_ind_macd m;
    int rc = tr_ind_macd_init(&m, fast, slow, signal);
    if (rc)
        return rc;
    for (size_t i = 0; i < len; i++) {
        tr_ind_macd_out o;
        tr_ind_macd_update(&m, in[i], &o);
        if (macd)
            macd[i] = o.macd;
        if (sig)
            sig[i] = o.signal;
        if (hist)
            hist[i] = o.hist;
    }
    return TR_OK;
}
