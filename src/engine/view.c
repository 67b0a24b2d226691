/* view.c: the engine's state for readers on other threads (see view.h). */
#include "engine/view.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/time.h"
#include "risk/risk.h"

/* Changes recorded since the last publish (engine thread only). */
typedef struct pending {
    tr_order *orders;
    size_t norders, orders_cap;
    tr_fill *fills;
    size_t nfills, fills_cap;
    tr_risk_alert *alerts;
    size_t nalerts, alerts_cap;
    tr_equity_point *curve;
    size_t ncurve, curve_cap;
} pending;

struct tr_view {
    pthread_mutex_t mu;
    tr_view_state st;
    size_t orders_cap, fills_cap;
    char (*names)[TR_SYM_MAX_LEN + 1];
    pending p;
    int64_t day;             /* UTC day of the last equity point */
    tr_fx last_equity;
    int have_equity;
    size_t trades_seen;      /* trade log entries counted into round_trips */
};

tr_view *tr_view_new(size_t nsyms, const char *const *symbols,
                     tr_fx initial_cash)
{
    tr_view *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    size_t n = nsyms ? nsyms : 1;
    v->names = calloc(n, sizeof *v->names);
    v->st.pos = calloc(n, sizeof *v->st.pos);
    v->st.last_bar = calloc(n, sizeof *v->st.last_bar);
    if (!v->names || !v->st.pos || !v->st.last_bar) {
        tr_view_free(v);
        return NULL;
    }
    for (size_t i = 0; i < nsyms; i++)
        strncpy(v->names[i], symbols[i], TR_SYM_MAX_LEN);
    pthread_mutex_init(&v->mu, NULL);
    v->st.nsyms = nsyms;
    v->st.symbols = (const char(*)[TR_SYM_MAX_LEN + 1])v->names;
    v->st.initial_cash = v->st.cash = v->st.equity = initial_cash;
    v->st.day_start_equity = v->st.peak_equity = initial_cash;
    v->st.strategy_enabled = 1;
    return v;
}

void tr_view_free(tr_view *v)
{
    if (!v)
        return;
    if (v->st.symbols)
        pthread_mutex_destroy(&v->mu);
    free(v->names);
    free(v->st.pos);
    free(v->st.last_bar);
    free(v->st.orders);
    free(v->st.fills);
    free(v->p.orders);
    free(v->p.fills);
    free(v->p.alerts);
    free(v->p.curve);
    free(v);
}

/* Append one element of size sz to a growable array; 0 when out of memory
 * (the element is then lost from the view, never from the journal). */
static int push(void **arr, size_t *n, size_t *cap, const void *el, size_t sz)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void *a = realloc(*arr, c * sz);
        if (!a)
            return 0;
        *arr = a;
        *cap = c;
    }
    memcpy((char *)*arr + *n * sz, el, sz);
    (*n)++;
    return 1;
}

void tr_view_order(tr_view *v, const tr_order *o)
{
    push((void **)&v->p.orders, &v->p.norders, &v->p.orders_cap, o, sizeof *o);
}

void tr_view_fill(tr_view *v, const tr_fill *f)
{
    push((void **)&v->p.fills, &v->p.nfills, &v->p.fills_cap, f, sizeof *f);
}

void tr_view_alert(tr_view *v, const tr_risk_alert *a)
{
    push((void **)&v->p.alerts, &v->p.nalerts, &v->p.alerts_cap, a,
         sizeof *a);
}

void tr_view_equity(tr_view *v, const tr_equity_point *pt)
{
    push((void **)&v->p.curve, &v->p.ncurve, &v->p.curve_cap, pt,
         sizeof *pt);
}

int tr_view_publish(tr_view *v, const tr_engine *e, uint64_t seq)
{
    tr_view_state *s = &v->st;
    pthread_mutex_lock(&v->mu);
    int rc = TR_OK;
    for (size_t i = 0; i < v->p.norders; i++) {
        const tr_order *o = &v->p.orders[i];
        if (o->id == 0)
            continue;
        if (o->id > v->orders_cap) {
            size_t c = v->orders_cap ? v->orders_cap * 2 : 256;
            while (c < o->id)
                c *= 2;
            tr_order *a = realloc(s->orders, c * sizeof *a);
            if (!a) {
                rc = TR_ERR_NOMEM;
                break;
            }
            s->orders = a;
            v->orders_cap = c;
        }
        if (o->id > s->norders) {
            memset(s->orders + s->norders, 0,
                   (o->id - s->norders) * sizeof *s->orders);
            s->norders = o->id;
        }
        s->orders[o->id - 1] = *o;
    }
    for (size_t i = 0; i < v->p.nfills && rc == TR_OK; i++)
        if (!push((void **)&s->fills, &s->nfills, &v->fills_cap,
                  &v->p.fills[i], sizeof *s->fills))
            rc = TR_ERR_NOMEM;
    for (size_t i = 0; i < v->p.nalerts; i++) {
        const tr_risk_alert *a = &v->p.alerts[i];
        s->alerts[s->nalerts++ % TR_VIEW_ALERTS] = *a;
    }
    for (size_t i = 0; i < v->p.ncurve; i++) {
        const tr_equity_point *pt = &v->p.curve[i];
        int64_t day = tr_time_day(pt->time);
        if (!v->have_equity)
            v->day = day;
        else if (day != v->day) {
            v->day = day;
            s->day_start_equity = v->last_equity;
        }
        v->have_equity = 1;
        v->last_equity = pt->equity;
        if (pt->equity > s->peak_equity)
            s->peak_equity = pt->equity;
        s->curve[s->ncurve++ % TR_VIEW_CURVE] = *pt;
    }
    v->p.norders = v->p.nfills = v->p.nalerts = v->p.ncurve = 0;

    const tr_portfolio *port = tr_engine_portfolio(e);
    memcpy(s->pos, port->pos, s->nsyms * sizeof *s->pos);
    for (size_t i = 0; i < s->nsyms; i++)
        s->last_bar[i] = *tr_engine_last_bar(e, (tr_sym)i);
    s->cash = port->cash;
    s->equity = tr_portfolio_equity(port);
    s->exposure = port->gross;
    s->realized = port->realized;
    s->commissions = port->commissions;
    s->open_positions = port->open_positions;
    const tr_trade_log *tl = tr_engine_trades(e);
    for (; v->trades_seen < tl->n; v->trades_seen++) {
        const tr_trade *t = &tl->v[v->trades_seen];
        if (t->open) /* valued at the end of a run, not closed */
            continue;
        s->round_trips++;
        s->round_trips_won += t->pnl > 0;
    }
    const tr_risk *r = tr_engine_risk_const(e);
    s->halted = tr_risk_halted(r);
    s->kill_switch = tr_risk_kill_switch(r);
    s->strategy_enabled = tr_engine_strategy_enabled(e);
    memcpy(s->params, tr_engine_strategy_param_values(e), sizeof s->params);
    s->now = tr_engine_now(e);
    s->seq = seq;
    s->steps++;
    /* For the feed-lag gauge only: the view is not business state. */
    s->wall_ns = tr_time_now();
    pthread_mutex_unlock(&v->mu);
    return rc;
}

void tr_view_clear(tr_view *v)
{
    v->p.norders = v->p.nfills = v->p.nalerts = v->p.ncurve = 0;
}

void tr_view_set_ready(tr_view *v, int ready, int feed_done)
{
    pthread_mutex_lock(&v->mu);
    v->st.ready = ready;
    v->st.feed_done = feed_done;
    pthread_mutex_unlock(&v->mu);
}

const tr_view_state *tr_view_acquire(tr_view *v)
{
    pthread_mutex_lock(&v->mu);
    return &v->st;
}

void tr_view_release(tr_view *v)
{
    pthread_mutex_unlock(&v->mu);
}
