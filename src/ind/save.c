/* save.c: the running state of every streaming indicator, saved and loaded
 * for engine snapshots (ind.h, "Snapshots").
 *
 * What is saved is what updates change: counters, running sums (both
 * halves of a compensated sum), the last value, whole rings (every slot,
 * so that the next updates read exactly what they would have read).
 * Parameters come from the indicator the state is loaded into; the window
 * length is saved anyway and must match. Loading checks every index that
 * later updates use to address a ring, so a loaded indicator is safe to
 * update whatever the bytes were. */
#include <stdlib.h>

#include "core/err.h"
#include "ind/dmi.h"
#include "ind/ind_int.h"
#include "ind/ma.h"
#include "ind/momentum.h"
#include "ind/volatility.h"
#include "ind/volume.h"

/* ---- building blocks ----------------------------------------------------- */

static void ksum_save(const tr__ksum *k, tr_enc *e)
{
    tr_enc_f64(e, k->s);
    tr_enc_f64(e, k->c);
}

static void ksum_load(tr__ksum *k, tr_dec *d)
{
    k->s = tr_dec_f64(d);
    k->c = tr_dec_f64(d);
}

static void ring_save(const double *buf, size_t n, tr_enc *e)
{
    tr_enc_u64(e, n);
    for (size_t i = 0; i < n; i++)
        tr_enc_f64(e, buf[i]);
}

/* A ring of exactly n doubles (the indicator's own length). */
static void ring_load(double *buf, size_t n, tr_dec *d)
{
    if (!tr_dec_check(d, tr_dec_u64(d) == n) ||
        !tr_dec_check(d, tr_dec_left(d) / 8 >= n))
        return;
    for (size_t i = 0; i < n; i++)
        buf[i] = tr_dec_f64(d);
}

/* An index into a ring of n slots, or a count up to n. */
static size_t index_load(tr_dec *d, size_t below)
{
    uint64_t v = tr_dec_u64(d);
    return tr_dec_check(d, v < below) ? (size_t)v : 0;
}

/* A counter (size_t is 64 bits here, like the saved value). */
static size_t size_load(tr_dec *d)
{
    return (size_t)tr_dec_u64(d);
}

static void win_save(const tr__win *w, tr_enc *e)
{
    ring_save(w->buf, w->n, e);
    tr_enc_u64(e, w->head);
    tr_enc_u64(e, w->count);
    ksum_save(&w->sum, e);
}

static void win_load(tr__win *w, tr_dec *d)
{
    ring_load(w->buf, w->n, d);
    w->head = index_load(d, w->n);
    w->count = index_load(d, w->n + 1);
    ksum_load(&w->sum, d);
}

static void mono_save(const tr__mono *m, tr_enc *e)
{
    tr_enc_u64(e, m->n);
    for (size_t i = 0; i < m->n; i++) {
        tr_enc_u64(e, m->q[i].seq);
        tr_enc_f64(e, m->q[i].v);
    }
    tr_enc_u64(e, m->head);
    tr_enc_u64(e, m->size);
    tr_enc_u64(e, m->seq);
}

static void mono_load(tr__mono *m, tr_dec *d)
{
    if (!tr_dec_check(d, tr_dec_u64(d) == m->n) ||
        !tr_dec_check(d, tr_dec_left(d) / 16 >= m->n))
        return;
    for (size_t i = 0; i < m->n; i++) {
        m->q[i].seq = tr_dec_u64(d);
        m->q[i].v = tr_dec_f64(d);
    }
    m->head = index_load(d, m->n);
    m->size = index_load(d, m->n + 1);
    m->seq = tr_dec_u64(d);
}

/* ---- ma.h ---------------------------------------------------------------- */

void tr_ind_sma_save(const tr_ind_sma *s, tr_enc *e)
{
    win_save(&s->w, e);
}

int tr_ind_sma_load(tr_ind_sma *s, tr_dec *d)
{
    win_load(&s->w, d);
    return tr_dec_error(d);
}

void tr_ind_ema_save(const tr_ind_ema *x, tr_enc *e)
{
    tr_enc_u64(e, x->n);
    tr_enc_u64(e, x->seen);
    tr_enc_f64(e, x->value);
    ksum_save(&x->seed, e);
}

int tr_ind_ema_load(tr_ind_ema *x, tr_dec *d)
{
    tr_dec_check(d, tr_dec_u64(d) == x->n);
    x->seen = size_load(d);
    x->value = tr_dec_f64(d);
    ksum_load(&x->seed, d);
    return tr_dec_error(d);
}

void tr_ind_wma_save(const tr_ind_wma *w, tr_enc *e)
{
    ring_save(w->buf, w->n, e);
    tr_enc_u64(e, w->head);
    tr_enc_u64(e, w->seen);
    ksum_save(&w->sum, e);
    ksum_save(&w->wsum, e);
}

int tr_ind_wma_load(tr_ind_wma *w, tr_dec *d)
{
    ring_load(w->buf, w->n, d);
    w->head = index_load(d, w->n);
    w->seen = size_load(d);
    ksum_load(&w->sum, d);
    ksum_load(&w->wsum, d);
    return tr_dec_error(d);
}

void tr_ind_macd_save(const tr_ind_macd *m, tr_enc *e)
{
    tr_ind_ema_save(&m->fast, e);
    tr_ind_ema_save(&m->slow, e);
    tr_ind_ema_save(&m->signal, e);
    tr_enc_u64(e, m->seen);
}

int tr_ind_macd_load(tr_ind_macd *m, tr_dec *d)
{
    tr_ind_ema_load(&m->fast, d);
    tr_ind_ema_load(&m->slow, d);
    tr_ind_ema_load(&m->signal, d);
    m->seen = size_load(d);
    return tr_dec_error(d);
}

/* ---- momentum.h ---------------------------------------------------------- */

void tr_ind_rsi_save(const tr_ind_rsi *r, tr_enc *e)
{
    tr_enc_u64(e, r->n);
    tr_enc_u64(e, r->seen);
    tr_enc_f64(e, r->prev);
    tr_enc_f64(e, r->gain);
    tr_enc_f64(e, r->loss);
}

int tr_ind_rsi_load(tr_ind_rsi *r, tr_dec *d)
{
    tr_dec_check(d, tr_dec_u64(d) == r->n);
    r->seen = size_load(d);
    r->prev = tr_dec_f64(d);
    r->gain = tr_dec_f64(d);
    r->loss = tr_dec_f64(d);
    return tr_dec_error(d);
}

void tr_ind_stoch_save(const tr_ind_stoch *s, tr_enc *e)
{
    mono_save(&s->hi, e);
    mono_save(&s->lo, e);
    win_save(&s->fastk, e);
    win_save(&s->slowk, e);
    tr_enc_u64(e, s->seen);
}

int tr_ind_stoch_load(tr_ind_stoch *s, tr_dec *d)
{
    mono_load(&s->hi, d);
    mono_load(&s->lo, d);
    win_load(&s->fastk, d);
    win_load(&s->slowk, d);
    s->seen = size_load(d);
    return tr_dec_error(d);
}

void tr_ind_willr_save(const tr_ind_willr *w, tr_enc *e)
{
    mono_save(&w->hi, e);
    mono_save(&w->lo, e);
    tr_enc_u64(e, w->seen);
}

int tr_ind_willr_load(tr_ind_willr *w, tr_dec *d)
{
    mono_load(&w->hi, d);
    mono_load(&w->lo, d);
    w->seen = size_load(d);
    return tr_dec_error(d);
}

void tr_ind_cci_save(const tr_ind_cci *c, tr_enc *e)
{
    ring_save(c->buf, c->n, e);
    tr_enc_u64(e, c->head);
    tr_enc_u64(e, c->seen);
}

int tr_ind_cci_load(tr_ind_cci *c, tr_dec *d)
{
    ring_load(c->buf, c->n, d);
    c->head = index_load(d, c->n);
    c->seen = size_load(d);
    return tr_dec_error(d);
}

/* ROC and MOM share their state (tr__lag). */
static void lag_save(const tr__lag *l, tr_enc *e)
{
    ring_save(l->buf, l->n, e);
    tr_enc_u64(e, l->head);
    tr_enc_u64(e, l->seen);
}

static int lag_load(tr__lag *l, tr_dec *d)
{
    ring_load(l->buf, l->n, d);
    l->head = index_load(d, l->n);
    l->seen = size_load(d);
    return tr_dec_error(d);
}

void tr_ind_roc_save(const tr_ind_roc *r, tr_enc *e)
{
    lag_save(r, e);
}

int tr_ind_roc_load(tr_ind_roc *r, tr_dec *d)
{
    return lag_load(r, d);
}

void tr_ind_mom_save(const tr_ind_mom *m, tr_enc *e)
{
    lag_save(m, e);
}

int tr_ind_mom_load(tr_ind_mom *m, tr_dec *d)
{
    return lag_load(m, d);
}

/* ---- volatility.h -------------------------------------------------------- */

void tr_ind_stddev_save(const tr_ind_stddev *s, tr_enc *e)
{
    ring_save(s->buf, s->n, e);
    tr_enc_u64(e, s->head);
    tr_enc_u64(e, s->seen);
    tr_enc_u64(e, s->since);
    tr_enc_f64(e, s->k);
    ksum_save(&s->s1, e);
    ksum_save(&s->s2, e);
    tr_enc_f64(e, s->mean);
}

int tr_ind_stddev_load(tr_ind_stddev *s, tr_dec *d)
{
    ring_load(s->buf, s->n, d);
    s->head = index_load(d, s->n);
    s->seen = size_load(d);
    s->since = size_load(d);
    s->k = tr_dec_f64(d);
    ksum_load(&s->s1, d);
    ksum_load(&s->s2, d);
    s->mean = tr_dec_f64(d);
    return tr_dec_error(d);
}

void tr_ind_bbands_save(const tr_ind_bbands *b, tr_enc *e)
{
    tr_ind_stddev_save(&b->sd, e);
}

int tr_ind_bbands_load(tr_ind_bbands *b, tr_dec *d)
{
    return tr_ind_stddev_load(&b->sd, d);
}

void tr_ind_trange_save(const tr_ind_trange *t, tr_enc *e)
{
    tr_enc_f64(e, t->prev_close);
    tr_enc_u64(e, t->seen);
}

int tr_ind_trange_load(tr_ind_trange *t, tr_dec *d)
{
    t->prev_close = tr_dec_f64(d);
    t->seen = size_load(d);
    return tr_dec_error(d);
}

void tr_ind_atr_save(const tr_ind_atr *a, tr_enc *e)
{
    tr_ind_trange_save(&a->tr, e);
    tr_enc_u64(e, a->n);
    tr_enc_u64(e, a->seen);
    tr_enc_f64(e, a->value);
}

int tr_ind_atr_load(tr_ind_atr *a, tr_dec *d)
{
    tr_ind_trange_load(&a->tr, d);
    tr_dec_check(d, tr_dec_u64(d) == a->n);
    a->seen = size_load(d);
    a->value = tr_dec_f64(d);
    return tr_dec_error(d);
}

void tr_ind_natr_save(const tr_ind_natr *a, tr_enc *e)
{
    tr_ind_atr_save(&a->atr, e);
}

int tr_ind_natr_load(tr_ind_natr *a, tr_dec *d)
{
    return tr_ind_atr_load(&a->atr, d);
}

/* ---- dmi.h --------------------------------------------------------------- */

void tr_ind_adx_save(const tr_ind_adx *a, tr_enc *e)
{
    tr_enc_u64(e, a->n);
    tr_enc_u64(e, a->seen);
    tr_enc_f64(e, a->ph);
    tr_enc_f64(e, a->pl);
    tr_enc_f64(e, a->pc);
    tr_enc_f64(e, a->pdm);
    tr_enc_f64(e, a->mdm);
    tr_enc_f64(e, a->tr);
    tr_enc_f64(e, a->adx);
}

int tr_ind_adx_load(tr_ind_adx *a, tr_dec *d)
{
    tr_dec_check(d, tr_dec_u64(d) == a->n);
    a->seen = size_load(d);
    a->ph = tr_dec_f64(d);
    a->pl = tr_dec_f64(d);
    a->pc = tr_dec_f64(d);
    a->pdm = tr_dec_f64(d);
    a->mdm = tr_dec_f64(d);
    a->tr = tr_dec_f64(d);
    a->adx = tr_dec_f64(d);
    return tr_dec_error(d);
}

/* ---- volume.h ------------------------------------------------------------ */

void tr_ind_obv_save(const tr_ind_obv *o, tr_enc *e)
{
    tr_enc_f64(e, o->prev);
    tr_enc_f64(e, o->value);
    tr_enc_u64(e, o->seen);
}

int tr_ind_obv_load(tr_ind_obv *o, tr_dec *d)
{
    o->prev = tr_dec_f64(d);
    o->value = tr_dec_f64(d);
    o->seen = size_load(d);
    return tr_dec_error(d);
}

void tr_ind_mfi_save(const tr_ind_mfi *m, tr_enc *e)
{
    win_save(&m->pos, e);
    win_save(&m->neg, e);
    tr_enc_f64(e, m->prev_tp);
    tr_enc_u64(e, m->seen);
}

int tr_ind_mfi_load(tr_ind_mfi *m, tr_dec *d)
{
    win_load(&m->pos, d);
    win_load(&m->neg, d);
    m->prev_tp = tr_dec_f64(d);
    m->seen = size_load(d);
    return tr_dec_error(d);
}

void tr_ind_vwap_save(const tr_ind_vwap *v, tr_enc *e)
{
    tr_enc_i64(e, v->day);
    ksum_save(&v->pv, e);
    ksum_save(&v->vol, e);
    tr_enc_u64(e, v->seen);
}

int tr_ind_vwap_load(tr_ind_vwap *v, tr_dec *d)
{
    v->day = tr_dec_i64(d);
    ksum_load(&v->pv, d);
    ksum_load(&v->vol, d);
    v->seen = size_load(d);
    return tr_dec_error(d);
}
