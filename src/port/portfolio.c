/* portfolio.c: exact position accounting and round-trip trades. */
#include "port/portfolio.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

int tr_portfolio_init(tr_portfolio *p, tr_fx cash, size_t nsyms)
{
    memset(p, 0, sizeof *p);
    p->pos = calloc(nsyms ? nsyms : 1, sizeof *p->pos);
    if (!p->pos)
        return TR_ERR_NOMEM;
    p->initial_cash = p->cash = cash;
    p->nsyms = nsyms;
    return TR_OK;
}

void tr_portfolio_free(tr_portfolio *p)
{
    free(p->pos);
    p->pos = NULL;
}

static tr_fx fx_abs(tr_fx v)
{
    return v < 0 ? -v : v;
}

/* Re-mark a position to price, keeping the totals in step. */
static int remark(tr_portfolio *p, tr_position *q, tr_fx price)
{
    tr_fx mv;
    if (tr_fx_mul(q->qty, price, &mv) != TR_OK)
        return TR_ERR_RANGE;
    p->mv_total += mv - q->mv;
    p->gross += fx_abs(mv) - fx_abs(q->mv);
    q->mv = mv;
    q->last = price;
    return TR_OK;
}

int tr_portfolio_mark(tr_portfolio *p, tr_sym sym, tr_fx price)
{
    if (sym >= p->nsyms)
        return TR_ERR_INVALID;
    return remark(p, &p->pos[sym], price);
}

/* a + b into *acc, 0 on overflow (then *acc is unchanged). */
static int add_ok(tr_fx *acc, tr_fx b)
{
    tr_fx r;
    if (tr_fx_add(*acc, b, &r) != TR_OK)
        return 0;
    *acc = r;
    return 1;
}

int tr_portfolio_fill(tr_portfolio *p, const tr_fill *f, tr_fx *realized_out)
{
    if (f->sym >= p->nsyms || f->qty <= 0)
        return TR_ERR_INVALID;
    /* Work on copies; commit only when every sum fitted, so a fill that
     * would overflow leaves the portfolio exactly as it was. */
    tr_position q = p->pos[f->sym];
    tr_portfolio t = *p;
    tr_fx notional, signed_qty = f->side == TR_BUY ? f->qty : -f->qty;
    if (tr_fx_mul(f->qty, f->price, &notional) != TR_OK)
        return TR_ERR_RANGE;
    tr_fx signed_notional = f->side == TR_BUY ? notional : -notional;

    /* Split the fill into the part that closes and the part that opens;
     * the two notionals add up to the whole exactly. */
    tr_fx realized = 0;
    int reducing = q.qty != 0 && (q.qty > 0) != (signed_qty > 0);
    if (reducing) {
        tr_fx close_qty = fx_abs(signed_qty) < fx_abs(q.qty)
                              ? fx_abs(signed_qty) : fx_abs(q.qty);
        tr_fx close_notional = notional, removed;
        if (close_qty != f->qty &&
            tr_fx_mul(close_qty, f->price, &close_notional) != TR_OK)
            return TR_ERR_RANGE;
        /* cost removed in proportion to the quantity closed */
        if (tr_fx_muldiv(q.cost, close_qty, fx_abs(q.qty), &removed) != TR_OK)
            return TR_ERR_RANGE;
        /* Long: proceeds - cost. Short: cost is negative (money received),
         * paying close_notional to buy back: -removed - close_notional. */
        realized = q.qty > 0 ? close_notional - removed
                             : -removed - close_notional;
        q.cost -= removed;
        q.qty += q.qty > 0 ? -close_qty : close_qty;
        tr_fx open_qty = f->qty - close_qty;
        if (open_qty > 0) { /* reversal: the rest opens the other way */
            tr_fx open_notional = notional - close_notional;
            q.qty = f->side == TR_BUY ? open_qty : -open_qty;
            q.cost = f->side == TR_BUY ? open_notional : -open_notional;
        }
    } else if (!add_ok(&q.qty, signed_qty) || !add_ok(&q.cost, signed_notional)) {
        return TR_ERR_RANGE;
    }
    if (q.qty == 0)
        q.cost = 0; /* nothing open, nothing owed: exact by construction */
    tr_fx mv, cash_delta;
    if (tr_fx_add(signed_notional, f->commission, &cash_delta) != TR_OK ||
        !add_ok(&q.realized, realized) || !add_ok(&q.commission, f->commission) ||
        !add_ok(&t.realized, realized) || !add_ok(&t.commissions, f->commission) ||
        !add_ok(&t.cash, -cash_delta) || tr_fx_mul(q.qty, f->price, &mv) != TR_OK ||
        !add_ok(&t.mv_total, mv - q.mv) ||
        !add_ok(&t.gross, fx_abs(mv) - fx_abs(q.mv)))
        return TR_ERR_RANGE;
    if ((p->pos[f->sym].qty == 0) != (q.qty == 0))
        t.open_positions += q.qty != 0 ? 1 : (size_t)-1;
    q.mv = mv;
    q.last = f->price;
    t.pos[f->sym] = q; /* t.pos aliases p->pos */
    *p = t;
    if (realized_out)
        *realized_out = realized;
    return TR_OK;
}

int tr_portfolio_check(const tr_portfolio *p)
{
    tr_fx mv = 0, gross = 0, cost = 0, realized = 0, comm = 0;
    size_t open = 0;
    for (size_t i = 0; i < p->nsyms; i++) {
        const tr_position *q = &p->pos[i];
        tr_fx m;
        if (tr_fx_mul(q->qty, q->last, &m) != TR_OK || m != q->mv)
            return 0;
        mv += q->mv;
        gross += fx_abs(q->mv);
        cost += q->cost;
        realized += q->realized;
        comm += q->commission;
        open += q->qty != 0;
        if (q->qty == 0 && q->cost != 0)
            return 0;
    }
    return mv == p->mv_total && gross == p->gross && open == p->open_positions &&
           realized == p->realized && comm == p->commissions &&
           p->cash + p->mv_total ==
               p->initial_cash + p->realized + (mv - cost) - p->commissions;
}

/* ---- round trips --------------------------------------------------------- */

int tr_trade_log_init(tr_trade_log *t, size_t nsyms)
{
    memset(t, 0, sizeof *t);
    size_t n = nsyms ? nsyms : 1;
    t->cur = calloc(n, sizeof *t->cur);
    t->entry_notional = calloc(n, sizeof *t->entry_notional);
    t->exit_notional = calloc(n, sizeof *t->exit_notional);
    t->exit_qty = calloc(n, sizeof *t->exit_qty);
    t->entry_qty = calloc(n, sizeof *t->entry_qty);
    t->net = calloc(n, sizeof *t->net);
    t->nsyms = nsyms;
    if (!t->cur || !t->entry_notional || !t->exit_notional || !t->exit_qty ||
        !t->entry_qty || !t->net) {
        tr_trade_log_free(t);
        return TR_ERR_NOMEM;
    }
    return TR_OK;
}

void tr_trade_log_free(tr_trade_log *t)
{
    free(t->v);
    free(t->cur);
    free(t->entry_notional);
    free(t->exit_notional);
    free(t->exit_qty);
    free(t->entry_qty);
    free(t->net);
    memset(t, 0, sizeof *t);
}

static int push_trade(tr_trade_log *t, const tr_trade *tr)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        tr_trade *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return TR_ERR_NOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = *tr;
    return TR_OK;
}

static void open_trade(tr_trade_log *t, const tr_fill *f, tr_fx qty)
{
    tr_trade *c = &t->cur[f->sym];
    memset(c, 0, sizeof *c);
    c->sym = f->sym;
    c->side = f->side;
    c->qty = qty;
    c->entry_time = f->time;
    c->entry_price = f->price;
    tr_fx_mul(qty, f->price, &t->entry_notional[f->sym]);
    t->entry_qty[f->sym] = qty;
    t->exit_notional[f->sym] = t->exit_qty[f->sym] = t->net[f->sym] = 0;
}

int tr_trade_log_fill(tr_trade_log *t, const tr_fill *f, tr_fx pos_before,
                      tr_fx realized)
{
    if (f->sym >= t->nsyms)
        return TR_ERR_INVALID;
    tr_trade *c = &t->cur[f->sym];
    tr_fx signed_qty = f->side == TR_BUY ? f->qty : -f->qty;
    tr_fx after = pos_before + signed_qty;
    if (pos_before == 0) {
        open_trade(t, f, f->qty);
        c->commission = f->commission;
        t->net[f->sym] = -f->commission;
        return TR_OK;
    }
    int adding = (pos_before > 0) == (signed_qty > 0);
    if (adding) { /* the entry price becomes the average of all entries */
        tr_fx n;
        tr_fx_mul(f->qty, f->price, &n);
        t->entry_notional[f->sym] += n;
        t->entry_qty[f->sym] += f->qty;
        tr_fx_div(t->entry_notional[f->sym], t->entry_qty[f->sym],
                  &c->entry_price);
        tr_fx size = after < 0 ? -after : after;
        if (size > c->qty)
            c->qty = size;
        c->commission += f->commission;
        t->net[f->sym] -= f->commission;
        return TR_OK;
    }
    /* Reducing, closing or reversing. */
    tr_fx abs_before = pos_before < 0 ? -pos_before : pos_before;
    tr_fx close_qty = f->qty < abs_before ? f->qty : abs_before;
    tr_fx close_comm = f->commission;
    if (close_qty < f->qty) /* reversal: commission split by quantity */
        tr_fx_muldiv(f->commission, close_qty, f->qty, &close_comm);
    tr_fx n;
    tr_fx_mul(close_qty, f->price, &n);
    t->exit_notional[f->sym] += n;
    t->exit_qty[f->sym] += close_qty;
    c->commission += close_comm;
    t->net[f->sym] += realized - close_comm;
    if (close_qty == abs_before) {
        c->exit_time = f->time;
        tr_fx_div(t->exit_notional[f->sym], t->exit_qty[f->sym],
                  &c->exit_price);
        c->pnl = t->net[f->sym];
        c->open = 0;
        int rc = push_trade(t, c);
        if (rc != TR_OK)
            return rc;
        memset(c, 0, sizeof *c);
        if (close_qty < f->qty) {
            open_trade(t, f, f->qty - close_qty);
            c->commission = f->commission - close_comm;
            t->net[f->sym] = -c->commission;
        }
    }
    return TR_OK;
}

void tr_trade_log_bar(tr_trade_log *t, tr_sym sym)
{
    if (sym < t->nsyms && t->cur[sym].qty != 0)
        t->cur[sym].bars++;
}

int tr_trade_log_finish(tr_trade_log *t, const tr_portfolio *p)
{
    for (size_t s = 0; s < t->nsyms; s++) {
        tr_trade *c = &t->cur[s];
        if (c->qty == 0)
            continue;
        const tr_position *q = &p->pos[s];
        c->open = 1;
        c->pnl = t->net[s] + (q->mv - q->cost);
        int rc = push_trade(t, c);
        if (rc != TR_OK)
            return rc;
    }
    return TR_OK;
}

/* ---- snapshots ----------------------------------------------------------- */

void tr_portfolio_save(const tr_portfolio *p, tr_enc *e)
{
    tr_enc_u64(e, p->nsyms);
    tr_enc_i64(e, p->initial_cash);
    tr_enc_i64(e, p->cash);
    tr_enc_i64(e, p->realized);
    tr_enc_i64(e, p->commissions);
    tr_enc_i64(e, p->mv_total);
    tr_enc_i64(e, p->gross);
    tr_enc_u64(e, p->open_positions);
    for (size_t i = 0; i < p->nsyms; i++) {
        const tr_position *q = &p->pos[i];
        tr_enc_i64(e, q->qty);
        tr_enc_i64(e, q->cost);
        tr_enc_i64(e, q->last);
        tr_enc_i64(e, q->mv);
        tr_enc_i64(e, q->realized);
        tr_enc_i64(e, q->commission);
    }
}

int tr_portfolio_load(tr_portfolio *p, tr_dec *d)
{
    if (!tr_dec_check(d, tr_dec_u64(d) == p->nsyms))
        return TR_ERR_DATA;
    p->initial_cash = tr_dec_i64(d);
    p->cash = tr_dec_i64(d);
    p->realized = tr_dec_i64(d);
    p->commissions = tr_dec_i64(d);
    p->mv_total = tr_dec_i64(d);
    p->gross = tr_dec_i64(d);
    p->open_positions = (size_t)tr_dec_u64(d);
    for (size_t i = 0; i < p->nsyms; i++) {
        tr_position *q = &p->pos[i];
        q->qty = tr_dec_i64(d);
        q->cost = tr_dec_i64(d);
        q->last = tr_dec_i64(d);
        q->mv = tr_dec_i64(d);
        q->realized = tr_dec_i64(d);
        q->commission = tr_dec_i64(d);
    }
    /* The accounting identity holds in any state the engine saved. */
    tr_dec_check(d, tr_portfolio_check(p));
    return tr_dec_error(d);
}

/* Encoded size of one trade (tr_dec_count). */
#define TRADE_BYTES 73

static void trade_save(const tr_trade *t, tr_enc *e)
{
    tr_enc_u32(e, t->sym);
    tr_enc_i32(e, t->side);
    tr_enc_i64(e, t->qty);
    tr_enc_i64(e, t->entry_time);
    tr_enc_i64(e, t->entry_price);
    tr_enc_i64(e, t->exit_time);
    tr_enc_i64(e, t->exit_price);
    tr_enc_i64(e, t->pnl);
    tr_enc_i64(e, t->commission);
    tr_enc_u64(e, t->bars);
    tr_enc_u8(e, (uint8_t)t->open);
}

static void trade_load(tr_trade *t, size_t nsyms, tr_dec *d)
{
    memset(t, 0, sizeof *t); /* padding too: trades are compared */
    t->sym = tr_dec_u32(d);
    int32_t side = tr_dec_i32(d);
    /* An empty slot of cur[] is all zero: side 0 there. */
    tr_dec_check(d, t->sym < nsyms &&
                        (side == TR_BUY || side == TR_SELL || side == 0));
    t->side = (tr_side)side;
    t->qty = tr_dec_i64(d);
    t->entry_time = tr_dec_i64(d);
    t->entry_price = tr_dec_i64(d);
    t->exit_time = tr_dec_i64(d);
    t->exit_price = tr_dec_i64(d);
    t->pnl = tr_dec_i64(d);
    t->commission = tr_dec_i64(d);
    t->bars = (size_t)tr_dec_u64(d);
    uint8_t open = tr_dec_u8(d);
    tr_dec_check(d, open <= 1);
    t->open = open;
}

void tr_trade_log_save(const tr_trade_log *t, tr_enc *e)
{
    tr_enc_u64(e, t->nsyms);
    tr_enc_u64(e, t->n);
    for (size_t i = 0; i < t->n; i++)
        trade_save(&t->v[i], e);
    for (size_t s = 0; s < t->nsyms; s++) {
        trade_save(&t->cur[s], e);
        tr_enc_i64(e, t->entry_notional[s]);
        tr_enc_i64(e, t->entry_qty[s]);
        tr_enc_i64(e, t->exit_notional[s]);
        tr_enc_i64(e, t->exit_qty[s]);
        tr_enc_i64(e, t->net[s]);
    }
}

int tr_trade_log_load(tr_trade_log *t, tr_dec *d)
{
    if (!tr_dec_check(d, tr_dec_u64(d) == t->nsyms) || t->n)
        return TR_ERR_DATA;
    size_t n = tr_dec_count(d, SIZE_MAX / sizeof(tr_trade), TRADE_BYTES);
    if (tr_dec_error(d))
        return TR_ERR_DATA;
    if (n > t->cap) {
        tr_trade *v = realloc(t->v, n * sizeof *v);
        if (!v)
            return TR_ERR_NOMEM;
        t->v = v;
        t->cap = n;
    }
    for (size_t i = 0; i < n; i++)
        trade_load(&t->v[i], t->nsyms, d);
    t->n = tr_dec_error(d) ? 0 : n;
    for (size_t s = 0; s < t->nsyms; s++) {
        trade_load(&t->cur[s], t->nsyms, d);
        t->entry_notional[s] = tr_dec_i64(d);
        t->entry_qty[s] = tr_dec_i64(d);
        t->exit_notional[s] = tr_dec_i64(d);
        t->exit_qty[s] = tr_dec_i64(d);
        t->net[s] = tr_dec_i64(d);
    }
    return tr_dec_error(d);
}
