/* paper.c: the paper broker (see paper.h for the fill rules).
 *
 * Orders live in one array indexed by id - 1 (ids are dense and never
 * reused); each instrument has a small book of the ids still open, kept in
 * id order, which gives the deterministic priority of fills. */
#include "exec/paper.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

typedef struct order_state {
    tr_fx notional;     /* sum of qty * price of the fills */
    int64_t live_day;   /* first session the order was live in; -1 none */
    uint64_t legs[2];   /* bracket entry: its stop and take-profit ids */
    uint8_t held;       /* bracket leg waiting for its entry to fill */
    uint8_t triggered;  /* stop-limit has triggered: it is now a limit */
    uint8_t open;       /* in its instrument's book */
    uint8_t fresh;      /* bracket leg that went live inside the current bar */
    tr_fx extreme;      /* trailing stop: best price seen so far */
} order_state;

typedef struct book {
    uint64_t *ids;
    size_t n, cap;
} book;

struct tr_paper {
    tr_paper_opts opts;
    tr_paper_events ev;
    tr_order *orders;
    order_state *st;
    size_t norders, cap;
    size_t nsyms;
    book *books;
    tr_fx *pos;
    /* Per bar being processed. */
    tr_fx vol_left;     /* volume still fillable on this bar */
    int vol_limited;
    int in_bar;         /* inside tr_paper_on_bar */
};

tr_paper *tr_paper_new(const tr_paper_opts *opts, size_t nsyms,
                       const tr_paper_events *ev)
{
    tr_paper *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->opts = *opts;
    if (b->opts.costs.tick_size <= 0)
        b->opts.costs.tick_size = TR_FX_SCALE / 100;
    if (b->opts.qty_step <= 0)
        b->opts.qty_step = TR_FX_ONE;
    if (ev)
        b->ev = *ev;
    b->nsyms = nsyms;
    b->books = calloc(nsyms ? nsyms : 1, sizeof *b->books);
    b->pos = calloc(nsyms ? nsyms : 1, sizeof *b->pos);
    if (!b->books || !b->pos) {
        tr_paper_free(b);
        return NULL;
    }
    return b;
}

void tr_paper_free(tr_paper *b)
{
    if (!b)
        return;
    for (size_t i = 0; b->books && i < b->nsyms; i++)
        free(b->books[i].ids);
    free(b->books);
    free(b->pos);
    free(b->orders);
    free(b->st);
    free(b);
}

const tr_order *tr_paper_order(const tr_paper *b, uint64_t id)
{
    return id >= 1 && id <= b->norders ? &b->orders[id - 1] : NULL;
}

size_t tr_paper_order_count(const tr_paper *b)
{
    return b->norders;
}

tr_order *tr_paper_take_orders(tr_paper *b, size_t *n)
{
    tr_order *o = b->orders;
    *n = b->norders;
    b->orders = NULL;
    b->norders = b->cap = 0;
    free(b->st);
    b->st = NULL;
    for (size_t i = 0; i < b->nsyms; i++)
        b->books[i].n = 0;
    return o;
}

tr_fx tr_paper_position(const tr_paper *b, tr_sym sym)
{
    return sym < b->nsyms ? b->pos[sym] : 0;
}

static tr_fx remaining(const tr_order *o)
{
    return o->qty - o->filled_qty;
}

tr_fx tr_paper_open_qty(const tr_paper *b, tr_sym sym, tr_order_role role,
                        tr_side side)
{
    tr_fx q = 0;
    if (sym >= b->nsyms)
        return 0;
    const book *bk = &b->books[sym];
    for (size_t i = 0; i < bk->n; i++) {
        const tr_order *o = &b->orders[bk->ids[i] - 1];
        if (b->st[bk->ids[i] - 1].open && o->role == role && o->side == side)
            q += remaining(o);
    }
    return q;
}

static void emit_order(tr_paper *b, const tr_order *o)
{
    if (b->ev.order)
        b->ev.order(b->ev.ctx, o);
}

static void set_status(tr_paper *b, tr_order *o, tr_order_status s, tr_time t)
{
    if (o->status == s && s != TR_ORD_PARTIALLY_FILLED)
        return;
    o->status = s;
    o->updated = t;
    if (tr_order_is_final(s))
        b->st[o->id - 1].open = 0;
    emit_order(b, o);
}

/* A new order record (id assigned), or NULL when out of memory. */
static tr_order *new_order(tr_paper *b, const tr_order *tmpl, tr_time now)
{
    if (b->norders == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        tr_order *o = realloc(b->orders, cap * sizeof *o);
        if (!o)
            return NULL;
        b->orders = o;
        order_state *s = realloc(b->st, cap * sizeof *s);
        if (!s)
            return NULL;
        b->st = s;
        b->cap = cap;
    }
    tr_order *o = &b->orders[b->norders];
    *o = *tmpl;
    o->id = ++b->norders;
    o->status = TR_ORD_NEW;
    o->filled_qty = 0;
    o->avg_fill_price = 0;
    o->commission = 0;
    o->created = o->updated = now;
    order_state *s = &b->st[o->id - 1];
    memset(s, 0, sizeof *s);
    s->live_day = -1;
    return o;
}

static int book_add(tr_paper *b, tr_order *o)
{
    book *bk = &b->books[o->sym];
    if (bk->n == bk->cap) {
        size_t cap = bk->cap ? bk->cap * 2 : 8;
        uint64_t *ids = realloc(bk->ids, cap * sizeof *ids);
        if (!ids)
            return TR_ERR_NOMEM;
        bk->ids = ids;
        bk->cap = cap;
    }
    bk->ids[bk->n++] = o->id; /* ids only grow: the book stays in order */
    b->st[o->id - 1].open = 1;
    return TR_OK;
}

static void book_compact(tr_paper *b, tr_sym sym)
{
    book *bk = &b->books[sym];
    size_t k = 0;
    for (size_t i = 0; i < bk->n; i++)
        if (b->st[bk->ids[i] - 1].open)
            bk->ids[k++] = bk->ids[i];
    bk->n = k;
}

static int valid_order(const tr_paper *b, const tr_order *o)
{
    if (o->sym >= b->nsyms || o->qty <= 0 ||
        (o->side != TR_BUY && o->side != TR_SELL))
        return 0;
    switch (o->type) {
    case TR_ORD_MARKET: return 1;
    case TR_ORD_LIMIT: return o->limit_price > 0;
    case TR_ORD_STOP: return o->stop_price > 0;
    case TR_ORD_STOP_LIMIT: return o->stop_price > 0 && o->limit_price > 0;
    case TR_ORD_TRAILING_STOP:
        return (o->trail_amount > 0) != (o->trail_percent > 0);
    }
    return 0;
}

/* Trailing stop level from the best price seen. */
static tr_fx trail_level(const tr_order *o, tr_fx extreme)
{
    tr_fx d = o->trail_amount;
    if (o->trail_percent > 0 &&
        tr_fx_muldiv(extreme, o->trail_percent, 100 * TR_FX_ONE, &d) != TR_OK)
        d = 0;
    return o->side == TR_SELL ? extreme - d : extreme + d;
}

static void fill(tr_paper *b, tr_order *o, tr_fx qty, tr_fx price,
                 int slip, tr_time t);

/* ---- submission ---------------------------------------------------------- */

static int accept(tr_paper *b, tr_order *o, tr_time now, const tr_bar *last)
{
    if (!valid_order(b, o)) {
        set_status(b, o, TR_ORD_REJECTED, now);
        return TR_ERR_INVALID;
    }
    if (o->type == TR_ORD_TRAILING_STOP) {
        tr_fx ref = last ? last->close : 0;
        if (ref <= 0) { /* no price to trail from */
            set_status(b, o, TR_ORD_REJECTED, now);
            return TR_ERR_INVALID;
        }
        b->st[o->id - 1].extreme = ref;
        o->stop_price = trail_level(o, ref);
    }
    if (book_add(b, o) != TR_OK)
        return TR_ERR_NOMEM;
    set_status(b, o, TR_ORD_ACCEPTED, now);
    return TR_OK;
}

int tr_paper_submit(tr_paper *b, tr_order *in, tr_time now, const tr_bar *last)
{
    tr_order *o = new_order(b, in, now);
    if (!o)
        return TR_ERR_NOMEM;
    int rc = accept(b, o, now, last);
    if (rc == TR_OK && b->opts.fill_at_close && o->type == TR_ORD_MARKET &&
        last) {
        b->vol_limited = 0;
        fill(b, o, remaining(o), last->close, 1, now);
    }
    *in = *o;
    return rc;
}

int tr_paper_submit_bracket(tr_paper *b, tr_order *entry, tr_fx stop,
                            tr_fx take_profit, tr_time now, const tr_bar *last,
                            uint64_t *stop_id, uint64_t *tp_id)
{
    tr_order *o = new_order(b, entry, now);
    if (!o)
        return TR_ERR_NOMEM;
    uint64_t eid = o->id;
    int rc = accept(b, o, now, last);
    uint64_t ids[2] = {0, 0};
    if (rc == TR_OK) {
        tr_fx prices[2] = {stop, take_profit};
        for (int k = 0; k < 2; k++) {
            if (prices[k] <= 0)
                continue;
            tr_order leg = {0};
            leg.sym = entry->sym;
            leg.side = entry->side == TR_BUY ? TR_SELL : TR_BUY;
            leg.type = k == 0 ? TR_ORD_STOP : TR_ORD_LIMIT;
            leg.tif = TR_TIF_GTC;
            leg.role = k == 0 ? TR_ROLE_STOP_LOSS : TR_ROLE_TAKE_PROFIT;
            leg.qty = entry->qty;
            leg.stop_price = k == 0 ? prices[k] : 0;
            leg.limit_price = k == 0 ? 0 : prices[k];
            leg.parent_id = eid;
            memcpy(leg.strategy, entry->strategy, sizeof leg.strategy);
            tr_order *l = new_order(b, &leg, now);
            if (!l)
                return TR_ERR_NOMEM;
            ids[k] = l->id;
            b->st[l->id - 1].held = 1;
            if (accept(b, l, now, last) != TR_OK)
                ids[k] = 0;
        }
        o = &b->orders[eid - 1]; /* the array may have moved */
        b->st[eid - 1].legs[0] = ids[0];
        b->st[eid - 1].legs[1] = ids[1];
        if (ids[0] && ids[1]) {
            b->orders[ids[0] - 1].oco_id = ids[1];
            b->orders[ids[1] - 1].oco_id = ids[0];
        }
        if (b->opts.fill_at_close && o->type == TR_ORD_MARKET && last) {
            b->vol_limited = 0;
            fill(b, o, remaining(o), last->close, 1, now);
        }
    }
    *entry = b->orders[eid - 1];
    if (stop_id)
        *stop_id = ids[0];
    if (tp_id)
        *tp_id = ids[1];
    return rc;
}

static void cancel_one(tr_paper *b, tr_order *o, tr_time now)
{
    if (!b->st[o->id - 1].open)
        return;
    set_status(b, o, TR_ORD_CANCELED, now);
    order_state *s = &b->st[o->id - 1];
    for (int k = 0; k < 2; k++)
        if (s->legs[k] && b->st[s->legs[k] - 1].held)
            cancel_one(b, &b->orders[s->legs[k] - 1], now);
}

int tr_paper_cancel(tr_paper *b, uint64_t id, tr_time now)
{
    if (id < 1 || id > b->norders || !b->st[id - 1].open)
        return TR_ERR_NOT_FOUND;
    tr_order *o = &b->orders[id - 1];
    cancel_one(b, o, now);
    book_compact(b, o->sym);
    return TR_OK;
}

int tr_paper_replace(tr_paper *b, uint64_t id, tr_fx qty, tr_fx limit_price,
                     tr_fx stop_price, tr_time now, uint64_t *new_id)
{
    if (id < 1 || id > b->norders || !b->st[id - 1].open)
        return TR_ERR_NOT_FOUND;
    tr_order next = b->orders[id - 1];
    next.qty = qty > 0 ? qty : remaining(&b->orders[id - 1]);
    if (limit_price > 0)
        next.limit_price = limit_price;
    if (stop_price > 0)
        next.stop_price = stop_price;
    if (!valid_order(b, &next) ||
        (limit_price > 0 && next.type != TR_ORD_LIMIT &&
         next.type != TR_ORD_STOP_LIMIT) ||
        (stop_price > 0 && next.type != TR_ORD_STOP &&
         next.type != TR_ORD_STOP_LIMIT))
        return TR_ERR_INVALID;
    order_state old_st = b->st[id - 1];
    tr_order *o = new_order(b, &next, now); /* may move the arrays */
    if (!o)
        return TR_ERR_NOMEM;
    uint64_t nid = o->id;
    o->parent_id = b->orders[id - 1].parent_id;
    o->oco_id = b->orders[id - 1].oco_id;
    b->st[nid - 1].held = old_st.held;
    b->st[nid - 1].extreme = old_st.extreme;
    memcpy(b->st[nid - 1].legs, old_st.legs, sizeof old_st.legs);
    if (book_add(b, o) != TR_OK)
        return TR_ERR_NOMEM;
    /* Move the bracket links over to the new order. */
    if (o->oco_id)
        b->orders[o->oco_id - 1].oco_id = nid;
    if (o->parent_id)
        for (int k = 0; k < 2; k++)
            if (b->st[o->parent_id - 1].legs[k] == id)
                b->st[o->parent_id - 1].legs[k] = nid;
    for (int k = 0; k < 2; k++)
        if (old_st.legs[k])
            b->orders[old_st.legs[k] - 1].parent_id = nid;
    memset(b->st[id - 1].legs, 0, sizeof b->st[id - 1].legs);
    set_status(b, &b->orders[id - 1], TR_ORD_REPLACED, now);
    set_status(b, &b->orders[nid - 1], TR_ORD_ACCEPTED, now);
    book_compact(b, o->sym);
    if (new_id)
        *new_id = nid;
    return TR_OK;
}

void tr_paper_cancel_all(tr_paper *b, tr_sym sym, tr_time now)
{
    for (size_t s = 0; s < b->nsyms; s++) {
        if (sym != (tr_sym)-1 && s != sym)
            continue;
        book *bk = &b->books[s];
        for (size_t i = 0; i < bk->n; i++)
            cancel_one(b, &b->orders[bk->ids[i] - 1], now);
        book_compact(b, (tr_sym)s);
    }
}

/* ---- fills --------------------------------------------------------------- */

/* price moved against the trader by the configured slippage. */
static tr_fx slipped(const tr_paper *b, tr_side side, tr_fx price)
{
    const tr_costs *c = &b->opts.costs;
    tr_fx d = 0, ticks = 0;
    if (c->slippage_bps > 0)
        tr_fx_muldiv(price, c->slippage_bps, 10000 * TR_FX_ONE, &d);
    if (c->slippage_ticks > 0)
        tr_fx_mul(c->slippage_ticks, c->tick_size, &ticks);
    tr_fx p = side == TR_BUY ? price + d + ticks : price - d - ticks;
    return p > 0 ? p : price;
}

/* Commission owed for an order that has filled qty for notional so far. */
static tr_fx commission_for(const tr_costs *c, tr_fx qty, tr_fx notional)
{
    tr_fx by_share = 0, by_pct = 0;
    tr_fx_mul(c->per_share, qty, &by_share);
    tr_fx_muldiv(notional, c->pct, 100 * TR_FX_ONE, &by_pct);
    tr_fx total = c->per_order + by_share + by_pct;
    return total < c->minimum ? c->minimum : total;
}

static tr_fx floor_step(tr_fx q, tr_fx step)
{
    return q <= 0 ? 0 : q / step * step;
}

/* The quantity of o that this bar can still fill. */
static tr_fx fillable(const tr_paper *b, const tr_order *o)
{
    tr_fx q = remaining(o);
    if (b->vol_limited && q > b->vol_left)
        q = floor_step(b->vol_left, b->opts.qty_step);
    return q;
}

static void cancel_leg_if_open(tr_paper *b, uint64_t id, tr_time t)
{
    if (id && b->st[id - 1].open)
        cancel_one(b, &b->orders[id - 1], t);
}

/* Exit orders and bracket legs never grow or flip a position. */
static void enforce_reduce_only(tr_paper *b, tr_sym sym, tr_time t)
{
    book *bk = &b->books[sym];
    tr_fx pos = b->pos[sym];
    for (size_t i = 0; i < bk->n; i++) {
        tr_order *o = &b->orders[bk->ids[i] - 1];
        order_state *s = &b->st[o->id - 1];
        if (!s->open || s->held || o->role == TR_ROLE_ENTRY)
            continue;
        tr_fx closable = o->side == TR_SELL ? pos : -pos;
        if (closable <= 0) {
            cancel_one(b, o, t);
        } else if (remaining(o) > closable) {
            o->qty = o->filled_qty + closable;
            o->updated = t;
        }
    }
}

static void fill(tr_paper *b, tr_order *o, tr_fx qty, tr_fx price, int slip,
                 tr_time t)
{
    if (qty <= 0)
        return;
    order_state *s = &b->st[o->id - 1];
    if (o->role != TR_ROLE_ENTRY) { /* reduce-only: never grow or flip */
        tr_fx closable = o->side == TR_SELL ? b->pos[o->sym] : -b->pos[o->sym];
        if (closable <= 0) {
            cancel_one(b, o, t);
            return;
        }
        if (qty > closable) {
            qty = closable;
            o->qty = o->filled_qty + closable;
        }
    }
    if (slip)
        price = slipped(b, o->side, price);
    tr_fx notional = 0;
    tr_fx_mul(qty, price, &notional);
    s->notional += notional;
    o->filled_qty += qty;
    tr_fx_div(s->notional, o->filled_qty, &o->avg_fill_price);
    tr_fx owed = commission_for(&b->opts.costs, o->filled_qty, s->notional);
    tr_fill f;
    memset(&f, 0, sizeof f); /* padding too: records are compared and hashed */
    f.order_id = o->id;
    f.sym = o->sym;
    f.side = o->side;
    f.role = o->role;
    f.qty = qty;
    f.price = price;
    f.commission = owed - o->commission;
    f.time = t;
    o->commission = owed;
    if (b->vol_limited)
        b->vol_left -= qty;
    b->pos[o->sym] += o->side == TR_BUY ? qty : -qty;
    set_status(b, o,
               o->filled_qty == o->qty ? TR_ORD_FILLED
                                       : TR_ORD_PARTIALLY_FILLED, t);
    if (b->ev.fill)
        b->ev.fill(b->ev.ctx, o, &f);

    /* Bracket entry: its legs cover what has filled, from now on. */
    for (int k = 0; k < 2; k++) {
        uint64_t lid = s->legs[k];
        if (!lid || !b->st[lid - 1].open)
            continue;
        tr_order *leg = &b->orders[lid - 1];
        leg->qty = o->filled_qty;
        if (b->st[lid - 1].held)
            b->st[lid - 1].fresh = (uint8_t)b->in_bar;
        b->st[lid - 1].held = 0;
    }
    /* A leg that filled completely cancels the other one. */
    if (o->oco_id && o->status == TR_ORD_FILLED)
        cancel_leg_if_open(b, o->oco_id, t);
    enforce_reduce_only(b, o->sym, t);
}

/* Where a stop is hit from reference price ref over [lo, hi]: 1 with *px
 * set, 0 when not reached. A buy stop is hit at or above its price. */
static int stop_hit(tr_side side, tr_fx stop, tr_fx ref, tr_fx lo, tr_fx hi,
                    tr_fx *px)
{
    if (side == TR_BUY) {
        if (ref >= stop) return *px = ref, 1;
        if (hi >= stop) return *px = stop, 1;
    } else {
        if (ref <= stop) return *px = ref, 1;
        if (lo <= stop) return *px = stop, 1;
    }
    return 0;
}

/* A buy limit fills at or below its price. */
static int limit_hit(tr_side side, tr_fx limit, tr_fx ref, tr_fx lo, tr_fx hi,
                     tr_fx *px)
{
    if (side == TR_BUY) {
        if (ref <= limit) return *px = ref, 1;
        if (lo <= limit) return *px = limit, 1;
    } else {
        if (ref >= limit) return *px = ref, 1;
        if (hi >= limit) return *px = limit, 1;
    }
    return 0;
}

/* Where o would fill on this bar, measured from ref (the open, or the
 * entry's fill price for legs that went live inside the bar): 1 and
 * *px / *slip, or 0. */
static int fill_price(tr_paper *b, tr_order *o, tr_fx ref, const tr_bar *bar,
                      tr_fx *px, int *slip)
{
    order_state *s = &b->st[o->id - 1];
    *slip = 0;
    switch (o->type) {
    case TR_ORD_MARKET:
        *px = ref;
        *slip = 1;
        return 1;
    case TR_ORD_LIMIT:
        return limit_hit(o->side, o->limit_price, ref, bar->low, bar->high, px);
    case TR_ORD_STOP:
    case TR_ORD_TRAILING_STOP:
        *slip = 1;
        return stop_hit(o->side, o->stop_price, ref, bar->low, bar->high, px);
    case TR_ORD_STOP_LIMIT:
        if (s->triggered)
            return limit_hit(o->side, o->limit_price, ref, bar->low,
                             bar->high, px);
        if (!stop_hit(o->side, o->stop_price, ref, bar->low, bar->high, px))
            return 0;
        s->triggered = 1;
        if (*px == ref) /* triggered at the reference: a limit from there */
            return limit_hit(o->side, o->limit_price, ref, bar->low,
                             bar->high, px);
        /* Triggered inside the bar at the stop price: fills there if the
         * limit allows it; otherwise rests as a limit from the next bar. */
        return o->side == TR_BUY ? o->stop_price <= o->limit_price
                                 : o->stop_price >= o->limit_price;
    }
    return 0;
}

/* Evaluate an order (or a bracket's pair of legs) on this bar. */
static void evaluate(tr_paper *b, tr_order *o, tr_fx ref, const tr_bar *bar)
{
    tr_fx px;
    int slip;
    tr_order *sib = o->oco_id && b->st[o->oco_id - 1].open &&
                            !b->st[o->oco_id - 1].held
                        ? &b->orders[o->oco_id - 1]
                        : NULL;
    if (sib) {
        /* Both legs of a bracket together: a leg the reference price has
         * already gone through fills first (stop, then target); otherwise,
         * when the range reaches both, the stop fills. */
        tr_order *stop = o->role == TR_ROLE_STOP_LOSS ? o : sib;
        tr_order *target = stop == o ? sib : o;
        tr_fx q;
        if (stop_hit(stop->side, stop->stop_price, ref, ref, ref, &px)) {
            q = fillable(b, stop);
            fill(b, stop, q, px, 1, bar->time);
        } else if (limit_hit(target->side, target->limit_price, ref, ref, ref,
                             &px)) {
            q = fillable(b, target);
            fill(b, target, q, px, 0, bar->time);
        } else if (stop_hit(stop->side, stop->stop_price, ref, bar->low,
                            bar->high, &px)) {
            q = fillable(b, stop);
            fill(b, stop, q, px, 1, bar->time);
        } else if (limit_hit(target->side, target->limit_price, ref, bar->low,
                             bar->high, &px)) {
            q = fillable(b, target);
            fill(b, target, q, px, 0, bar->time);
        }
        return;
    }
    if (!fill_price(b, o, ref, bar, &px, &slip))
        return;
    tr_fx q = fillable(b, o);
    if (o->tif == TR_TIF_FOK && q < remaining(o))
        return; /* cancelled by the caller: FOK is all or nothing */
    fill(b, o, q, px, slip, bar->time);
}

void tr_paper_end_session(tr_paper *b, int64_t day, tr_time t)
{
    for (size_t s = 0; s < b->nsyms; s++) {
        book *bk = &b->books[s];
        for (size_t i = 0; i < bk->n; i++) {
            tr_order *o = &b->orders[bk->ids[i] - 1];
            const order_state *st = &b->st[o->id - 1];
            if (st->open && o->tif == TR_TIF_DAY && st->live_day == day)
                set_status(b, o, TR_ORD_EXPIRED, t);
        }
        book_compact(b, (tr_sym)s);
    }
}

void tr_paper_on_bar(tr_paper *b, tr_sym sym, const tr_bar *bar)
{
    if (sym >= b->nsyms || b->books[sym].n == 0)
        return; /* nothing open: the common case, kept cheap */
    book *bk = &b->books[sym];
    int64_t day = tr_time_day(bar->time);
    b->in_bar = 1;
    b->vol_limited = b->opts.max_volume_share > 0;
    b->vol_left = 0;
    if (b->vol_limited)
        tr_fx_mul(bar->volume, b->opts.max_volume_share, &b->vol_left);

    /* Orders that went live in the book's current size; legs activated by
     * a fill on this bar are evaluated afterwards, from the fill price. */
    size_t n = bk->n;
    for (size_t i = 0; i < n; i++) {
        tr_order *o = &b->orders[bk->ids[i] - 1];
        order_state *s = &b->st[o->id - 1];
        if (!s->open || s->held || s->fresh)
            continue;
        if (o->tif == TR_TIF_DAY && s->live_day >= 0 && s->live_day < day) {
            set_status(b, o, TR_ORD_EXPIRED, bar->time);
            continue;
        }
        if (s->live_day < 0)
            s->live_day = day;
        /* Pairs are evaluated once, from their first leg. */
        if (o->oco_id && o->oco_id < o->id && b->st[o->oco_id - 1].open &&
            !b->st[o->oco_id - 1].held)
            continue;
        evaluate(b, o, bar->open, bar);
        if ((o->tif == TR_TIF_IOC || o->tif == TR_TIF_FOK) && s->open)
            set_status(b, o, TR_ORD_CANCELED, bar->time);
    }
    /* Legs that went live during this bar: the rest of the bar, measured
     * from their entry's average fill price. */
    for (size_t i = 0; i < bk->n; i++) {
        tr_order *o = &b->orders[bk->ids[i] - 1];
        order_state *s = &b->st[o->id - 1];
        if (!s->fresh)
            continue;
        s->fresh = 0;
        s->live_day = day;
        if (o->oco_id) /* the pair is evaluated once, from this leg */
            b->st[o->oco_id - 1].fresh = 0;
        if (s->open)
            evaluate(b, o, b->orders[o->parent_id - 1].avg_fill_price, bar);
    }
    /* Trailing stops follow this bar's extreme for the next bars. */
    for (size_t i = 0; i < bk->n; i++) {
        tr_order *o = &b->orders[bk->ids[i] - 1];
        order_state *s = &b->st[o->id - 1];
        if (!s->open || o->type != TR_ORD_TRAILING_STOP)
            continue;
        tr_fx best = o->side == TR_SELL ? bar->high : bar->low;
        if (o->side == TR_SELL ? best > s->extreme : best < s->extreme) {
            s->extreme = best;
            o->stop_price = trail_level(o, best);
        }
    }
    b->in_bar = 0;
    book_compact(b, sym);
}

/* ---- snapshots ----------------------------------------------------------- */

/* Encoded size of one order with its state, at least (tr_dec_count). */
#define ORDER_BYTES 150

static void order_save(const tr_order *o, const order_state *s, tr_enc *e)
{
    tr_enc_u64(e, o->id);
    tr_enc_u64(e, o->parent_id);
    tr_enc_u64(e, o->oco_id);
    tr_enc_u32(e, o->sym);
    tr_enc_i32(e, o->side);
    tr_enc_u8(e, (uint8_t)o->type);
    tr_enc_u8(e, (uint8_t)o->tif);
    tr_enc_u8(e, (uint8_t)o->role);
    tr_enc_u8(e, (uint8_t)o->status);
    tr_enc_i64(e, o->qty);
    tr_enc_i64(e, o->filled_qty);
    tr_enc_i64(e, o->avg_fill_price);
    tr_enc_i64(e, o->limit_price);
    tr_enc_i64(e, o->stop_price);
    tr_enc_i64(e, o->trail_amount);
    tr_enc_i64(e, o->trail_percent);
    tr_enc_i64(e, o->commission);
    tr_enc_i64(e, o->created);
    tr_enc_i64(e, o->updated);
    tr_enc_u32(e, o->reject_code);
    tr_enc_str(e, o->strategy, sizeof o->strategy);
    tr_enc_i64(e, s->notional);
    tr_enc_i64(e, s->live_day);
    tr_enc_u64(e, s->legs[0]);
    tr_enc_u64(e, s->legs[1]);
    tr_enc_u8(e, s->held);
    tr_enc_u8(e, s->triggered);
    tr_enc_u8(e, s->open);
    tr_enc_u8(e, s->fresh);
    tr_enc_i64(e, s->extreme);
}

void tr_paper_save(const tr_paper *b, tr_enc *e)
{
    tr_enc_u64(e, b->nsyms);
    tr_enc_u64(e, b->norders);
    for (size_t i = 0; i < b->norders; i++)
        order_save(&b->orders[i], &b->st[i], e);
    for (size_t s = 0; s < b->nsyms; s++) {
        tr_enc_i64(e, b->pos[s]);
        tr_enc_u64(e, b->books[s].n);
        for (size_t i = 0; i < b->books[s].n; i++)
            tr_enc_u64(e, b->books[s].ids[i]);
    }
}

/* An order id of this broker, or 0 (none) when zero_ok. */
static int id_ok(uint64_t id, size_t norders, int zero_ok)
{
    return id ? id <= norders : zero_ok;
}

static void order_load(tr_order *o, order_state *s, uint64_t id, size_t nsyms,
                       size_t norders, tr_dec *d)
{
    memset(o, 0, sizeof *o);
    memset(s, 0, sizeof *s);
    o->id = tr_dec_u64(d);
    o->parent_id = tr_dec_u64(d);
    o->oco_id = tr_dec_u64(d);
    o->sym = tr_dec_u32(d);
    int32_t side = tr_dec_i32(d);
    uint8_t type = tr_dec_u8(d), tif = tr_dec_u8(d), role = tr_dec_u8(d);
    uint8_t status = tr_dec_u8(d);
    tr_dec_check(d, o->id == id && id_ok(o->parent_id, norders, 1) &&
                        id_ok(o->oco_id, norders, 1) && o->oco_id != id &&
                        o->sym < nsyms && (side == TR_BUY || side == TR_SELL) &&
                        type <= TR_ORD_TRAILING_STOP && tif <= TR_TIF_FOK &&
                        role <= TR_ROLE_TAKE_PROFIT &&
                        status <= TR_ORD_REPLACED);
    o->side = side == TR_BUY ? TR_BUY : TR_SELL;
    o->type = (tr_order_type)type;
    o->tif = (tr_tif)tif;
    o->role = (tr_order_role)role;
    o->status = (tr_order_status)status;
    o->qty = tr_dec_i64(d);
    o->filled_qty = tr_dec_i64(d);
    o->avg_fill_price = tr_dec_i64(d);
    o->limit_price = tr_dec_i64(d);
    o->stop_price = tr_dec_i64(d);
    o->trail_amount = tr_dec_i64(d);
    o->trail_percent = tr_dec_i64(d);
    o->commission = tr_dec_i64(d);
    o->created = tr_dec_i64(d);
    o->updated = tr_dec_i64(d);
    o->reject_code = tr_dec_u32(d);
    tr_dec_str(d, o->strategy, sizeof o->strategy);
    s->notional = tr_dec_i64(d);
    s->live_day = tr_dec_i64(d);
    s->legs[0] = tr_dec_u64(d);
    s->legs[1] = tr_dec_u64(d);
    s->held = tr_dec_u8(d);
    s->triggered = tr_dec_u8(d);
    s->open = tr_dec_u8(d);
    s->fresh = tr_dec_u8(d);
    s->extreme = tr_dec_i64(d);
    /* fresh only lives inside tr_paper_on_bar: never between steps. */
    tr_dec_check(d, id_ok(s->legs[0], norders, 1) &&
                        id_ok(s->legs[1], norders, 1) && s->held <= 1 &&
                        s->triggered <= 1 && s->open <= 1 && s->fresh == 0);
}

int tr_paper_load(tr_paper *b, tr_dec *d)
{
    if (!tr_dec_check(d, tr_dec_u64(d) == b->nsyms) || b->norders)
        return TR_ERR_DATA;
    size_t n = tr_dec_count(d, SIZE_MAX / sizeof(tr_order), ORDER_BYTES);
    if (tr_dec_error(d))
        return TR_ERR_DATA;
    if (n) {
        b->orders = malloc(n * sizeof *b->orders);
        b->st = malloc(n * sizeof *b->st);
        if (!b->orders || !b->st)
            return TR_ERR_NOMEM;
        b->cap = n;
    }
    for (size_t i = 0; i < n && !tr_dec_error(d); i++)
        order_load(&b->orders[i], &b->st[i], i + 1, b->nsyms, n, d);
    if (tr_dec_error(d))
        return TR_ERR_DATA;
    b->norders = n;
    /* An entry's legs point back to it: a leg that goes live reads its
     * entry's fill price through parent_id, which must then be an order. */
    for (size_t i = 0; i < n; i++) {
        const tr_order *o = &b->orders[i];
        const order_state *s = &b->st[i];
        for (int k = 0; k < 2; k++)
            if (!tr_dec_check(d, !s->legs[k] ||
                                     b->orders[s->legs[k] - 1].parent_id ==
                                         o->id))
                return TR_ERR_DATA;
    }
    for (size_t s = 0; s < b->nsyms; s++) {
        b->pos[s] = tr_dec_i64(d);
        size_t k = tr_dec_count(d, n, 8);
        book *bk = &b->books[s];
        if (tr_dec_error(d))
            return TR_ERR_DATA;
        if (k > bk->cap) {
            uint64_t *ids = realloc(bk->ids, k * sizeof *ids);
            if (!ids)
                return TR_ERR_NOMEM;
            bk->ids = ids;
            bk->cap = k;
        }
        for (size_t i = 0; i < k; i++) {
            uint64_t id = tr_dec_u64(d);
            /* In id order, of this instrument (the book's invariants). */
            if (!tr_dec_check(d, id_ok(id, n, 0) &&
                                     b->orders[id - 1].sym == s &&
                                     (i == 0 || id > bk->ids[i - 1])))
                return TR_ERR_DATA;
            bk->ids[i] = id;
            bk->n = i + 1;
        }
    }
    return tr_dec_error(d);
}
