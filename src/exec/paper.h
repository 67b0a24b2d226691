/* paper.h: the paper broker: the one fill simulator used by backtests and
 * by live paper trading (DESIGN.md, "Fill model").
 *
 * Orders are live from the bar after the one they were submitted on (a
 * strategy decides after a bar's close). On each bar of an instrument, in
 * order id order:
 *   - market orders fill at the open (or, with fill_at_close, at the close
 *     of the bar they were submitted on);
 *   - a limit, stop or trailing stop that the open has already gone through
 *     fills at the open (a gap); otherwise at its own price when the bar's
 *     range reaches it (touching counts);
 *   - a stop-limit triggers like a stop; triggered at the open it is a limit
 *     there; triggered inside the bar it fills at its stop price when that
 *     satisfies the limit, else it rests as a limit from the next bar;
 *   - a trailing stop's level comes from the extremes of earlier bars only
 *     (the order of prices inside a bar is unknown); it follows the bar's
 *     high (sell) or low (buy) after the bar;
 *   - bracket legs (stop loss, take profit) go live when their entry fills
 *     and can trigger in the rest of that bar, measured from the fill price;
 *     when one bar reaches both legs the stop fills (the pessimistic
 *     choice) unless the open went through the target first; the other leg
 *     is cancelled (OCO);
 *   - exit orders and bracket legs only ever reduce the position: they are
 *     shrunk or cancelled when the position is smaller or gone;
 *   - with max_volume_share, one bar fills at most that share of its
 *     volume (over all orders of the instrument, in id order); the rest
 *     fills on later bars; IOC cancels what the first live bar cannot fill,
 *     FOK fills all on its first live bar or nothing; DAY orders expire when
 *     their first live session (UTC day) ends.
 * Slippage (bps and ticks, against the trader) applies to market, stop and
 * trailing-stop fills, never to limit fills. Commission of an order is
 * max(minimum, per_order + per_share * qty + pct% of notional), charged as
 * it fills.
 *
 * Threads: one broker belongs to the engine thread. */
#ifndef TR_PAPER_H
#define TR_PAPER_H

#include <stddef.h>

#include "core/codec.h"
#include "data/bar.h"
#include "exec/order.h"

typedef struct tr_costs {
    tr_fx per_order;      /* commission per order */
    tr_fx per_share;      /* commission per unit of quantity */
    tr_fx pct;            /* commission in percent of notional (0.1 = 0.1%) */
    tr_fx minimum;        /* least commission of an order that fills */
    tr_fx slippage_bps;   /* basis points of price, against the trader */
    tr_fx slippage_ticks; /* whole ticks, against the trader */
    tr_fx tick_size;      /* size of a tick (0.01 when 0) */
} tr_costs;

typedef struct tr_paper_opts {
    tr_costs costs;
    tr_fx max_volume_share; /* 0 = no limit; 0.1 = 10% of a bar's volume */
    tr_fx qty_step;         /* partial fills are multiples (1 when 0) */
    int fill_at_close;      /* market orders fill at the submit bar's close */
} tr_paper_opts;

/* Where the broker reports what happens; callbacks run synchronously on
 * the engine thread, the pointers are valid during the call only. */
typedef struct tr_paper_events {
    void *ctx;
    void (*order)(void *ctx, const tr_order *o); /* every status change */
    void (*fill)(void *ctx, const tr_order *o, const tr_fill *f);
} tr_paper_events;

typedef struct tr_paper tr_paper;

/* A broker for instruments 0 .. nsyms-1, or NULL when out of memory. */
tr_paper *tr_paper_new(const tr_paper_opts *opts, size_t nsyms,
                       const tr_paper_events *ev);
void tr_paper_free(tr_paper *b);

/* Submit an order: sym, side, type, tif, role, qty, limit_price,
 * stop_price, trail_amount / trail_percent and strategy are read from *o;
 * the broker sets id, status, created/updated and writes the result back
 * to *o. last is the instrument's latest bar (its close is the reference of
 * trailing stops and fill_at_close); it may be NULL when there is none yet.
 * An order that cannot be valid (qty <= 0, missing or non-positive prices)
 * is REJECTED (reported like any order) and TR_ERR_INVALID is returned.
 * TR_ERR_NOMEM. */
int tr_paper_submit(tr_paper *b, tr_order *o, tr_time now, const tr_bar *last);

/* Submit entry with a protective stop and/or a take-profit (0 = no such
 * leg). Legs are sell orders for a buy entry and the other way round; they
 * wait (held) until the entry fills and then cover what it filled. Ids of
 * the legs are written to *stop_id / *tp_id (0 when absent; may be NULL). */
int tr_paper_submit_bracket(tr_paper *b, tr_order *entry, tr_fx stop,
                            tr_fx take_profit, tr_time now, const tr_bar *last,
                            uint64_t *stop_id, uint64_t *tp_id);

/* Cancel an open order (and its held legs). TR_ERR_NOT_FOUND when no such
 * order is open. */
int tr_paper_cancel(tr_paper *b, uint64_t id, tr_time now);

/* Replace an open order: it becomes REPLACED and a new order (id written
 * to *new_id) takes its place with the same fields but qty = the new
 * remaining quantity (0 keeps the old remaining) and new limit / stop
 * prices (0 keeps the old ones). Bracket links move to the new order, and a
 * held leg stays held. The new order is live from the next bar, like any
 * submission. TR_ERR_NOT_FOUND when no such order is open, TR_ERR_INVALID
 * (nothing changed) when the result would not be a valid order,
 * TR_ERR_NOMEM. */
int tr_paper_replace(tr_paper *b, uint64_t id, tr_fx qty, tr_fx limit_price,
                     tr_fx stop_price, tr_time now, uint64_t *new_id);

/* Cancel every open order of sym (all instruments when sym is (tr_sym)-1). */
void tr_paper_cancel_all(tr_paper *b, tr_sym sym, tr_time now);

/* The session of UTC day `day` (days since 1970) closed at time t: DAY
 * orders that were live in it expire now (orders placed for the next
 * session stay). */
void tr_paper_end_session(tr_paper *b, int64_t day, tr_time t);

/* Process one bar of sym: fills, expiries, trailing levels. */
void tr_paper_on_bar(tr_paper *b, tr_sym sym, const tr_bar *bar);

/* Orders are numbered 1 .. tr_paper_order_count(); the pointer is borrowed
 * until the next call into the broker. NULL for unknown ids. */
const tr_order *tr_paper_order(const tr_paper *b, uint64_t id);
size_t tr_paper_order_count(const tr_paper *b);

/* Hand over every order record (ids 1..*n in order) to the caller, who
 * frees the array with free(); the broker must not be used afterwards
 * except to be freed. NULL with *n = 0 when there are none. */
tr_order *tr_paper_take_orders(tr_paper *b, size_t *n /* OUT */);

/* The broker's own view of the position (signed quantity). */
tr_fx tr_paper_position(const tr_paper *b, tr_sym sym);

/* Remaining quantity of open orders of sym with this role and side. */
tr_fx tr_paper_open_qty(const tr_paper *b, tr_sym sym, tr_order_role role,
                        tr_side side);

/* Snapshots (engine.h): save writes the broker's state between steps
 * (every order with its fill state, the books of open orders, positions;
 * not the options, which come from the config); load reads it into a broker
 * just made by tr_paper_new with the same options and nsyms, which then
 * behaves exactly as the saved one would have. TR_ERR_DATA when the bytes
 * are not such a state (every id, link and index is checked), TR_ERR_NOMEM;
 * after a failure the broker may only be freed. */
void tr_paper_save(const tr_paper *b, tr_enc *e);
int tr_paper_load(tr_paper *b, tr_dec *d);

#endif
