/* ind_int.h: private helpers of the indicators (not API): compensated sums,
 * rolling windows, rolling max/min, and the parameter limits.
 *
 * The helpers are static inline because they sit on every update's path. */
#ifndef TR_IND_INT_H
#define TR_IND_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "ind/ind.h"

/* Largest window any indicator accepts: a typo like sma:20000000000 must be
 * refused, not allocated. */
#define TR__IND_MAX_PERIOD ((size_t)10000000)

/* ---- compensated sum ----------------------------------------------------
 * Knuth's TwoSum gives the exact rounding error of each addition without a
 * branch; accumulating those errors in c keeps s + c within about one ulp of
 * the exact sum however many values went in and out, so a rolling window
 * over millions of bars does not drift (a plain running sum does). */

static inline void tr__ksum_zero(tr__ksum *k)
{
    k->s = 0.0;
    k->c = 0.0;
}

static inline void tr__ksum_add(tr__ksum *k, double x)
{
    double t = k->s + x;
    double bp = t - k->s;
    k->c += (k->s - (t - bp)) + (x - bp);
    k->s = t;
}

static inline double tr__ksum_get(const tr__ksum *k)
{
    return k->s + k->c;
}

/* ---- rolling window ------------------------------------------------------ */

/* n >= 1. TR_ERR_NOMEM; w is untouched on failure. */
int tr__win_init(tr__win *w, size_t n);
void tr__win_free(tr__win *w);
void tr__win_reset(tr__win *w);

static inline int tr__win_full(const tr__win *w)
{
    return w->count == w->n;
}

/* Append x, dropping the oldest value once the window is full. */
static inline void tr__win_push(tr__win *w, double x)
{
    if (w->count == w->n)
        tr__ksum_add(&w->sum, -w->buf[w->head]);
    else
        w->count++;
    w->buf[w->head] = x;
    if (++w->head == w->n)
        w->head = 0;
    tr__ksum_add(&w->sum, x);
}

static inline double tr__win_mean(const tr__win *w)
{
    return tr__ksum_get(&w->sum) / (double)w->n;
}

/* ---- rolling max / min --------------------------------------------------
 * Each value enters the deque once and leaves it at most once, so a push is
 * amortised O(1); the front is the extreme of the last n values. */

int tr__mono_init(tr__mono *m, size_t n);
void tr__mono_free(tr__mono *m);

static inline void tr__mono_expire(tr__mono *m)
{
    /* The window after this push is seq-n+1 .. seq. */
    while (m->size && m->q[m->head].seq + m->n <= m->seq) {
        if (++m->head == m->n)
            m->head = 0;
        m->size--;
    }
}

static inline void tr__mono_append(tr__mono *m, double x)
{
    size_t tail = m->head + m->size;
    if (tail >= m->n)
        tail -= m->n;
    m->q[tail].seq = m->seq++;
    m->q[tail].v = x;
    m->size++;
}

static inline size_t tr__mono_back(const tr__mono *m)
{
    size_t b = m->head + m->size - 1;
    return b >= m->n ? b - m->n : b;
}

/* Push x into a rolling maximum; returns the maximum of the last n values. */
static inline double tr__mono_push_max(tr__mono *m, double x)
{
    tr__mono_expire(m);
    while (m->size && m->q[tr__mono_back(m)].v <= x)
        m->size--;
    tr__mono_append(m, x);
    return m->q[m->head].v;
}

/* Push x into a rolling minimum; returns the minimum of the last n values. */
static inline double tr__mono_push_min(tr__mono *m, double x)
{
    tr__mono_expire(m);
    while (m->size && m->q[tr__mono_back(m)].v >= x)
        m->size--;
    tr__mono_append(m, x);
    return m->q[m->head].v;
}

/* ---- true range ---------------------------------------------------------
 * TA-Lib's TRUE_RANGE: the largest of h - l, |pc - h|, |pc - l|. */
static inline double tr__true_range(double h, double l, double pc)
{
    double r = h - l;
    double a = fabs(pc - h);
    double b = fabs(pc - l);
    if (a > r)
        r = a;
    if (b > r)
        r = b;
    return r;
}

#endif
