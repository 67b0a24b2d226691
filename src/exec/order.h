/* order.h: orders, their life cycle, and fills.
 *
 * An order moves through a small state machine (tr_order_can_move lists the
 * legal moves):
 *
 *   NEW -> ACCEPTED | REJECTED
 *   ACCEPTED -> PARTIALLY_FILLED | FILLED | CANCELED | EXPIRED | REPLACED
 *   PARTIALLY_FILLED -> PARTIALLY_FILLED | FILLED | CANCELED | EXPIRED
 *                       | REPLACED
 *   FILLED, CANCELED, REJECTED, EXPIRED, REPLACED: final
 *
 * Quantities are positive; the side gives the direction. filled_qty never
 * exceeds qty. Ids are assigned by the order book in submission order, so
 * they are deterministic; client ids are derived from them. */
#ifndef TR_ORDER_H
#define TR_ORDER_H

#include <stdint.h>

#include "core/fixed.h"
#include "core/symbol.h"
#include "core/time.h"

typedef enum tr_side {
    TR_BUY = 1,
    TR_SELL = -1,
} tr_side;

typedef enum tr_order_type {
    TR_ORD_MARKET = 0,
    TR_ORD_LIMIT,
    TR_ORD_STOP,
    TR_ORD_STOP_LIMIT,
    TR_ORD_TRAILING_STOP,
} tr_order_type;

typedef enum tr_tif {
    TR_TIF_GTC = 0, /* until filled or canceled */
    TR_TIF_DAY,     /* expires at the end of the first session it is live */
    TR_TIF_IOC,     /* what the first live bar can fill; the rest canceled */
    TR_TIF_FOK,     /* all in the first live bar, or canceled */
} tr_tif;

typedef enum tr_order_status {
    TR_ORD_NEW = 0,
    TR_ORD_ACCEPTED,
    TR_ORD_PARTIALLY_FILLED,
    TR_ORD_FILLED,
    TR_ORD_CANCELED,
    TR_ORD_REJECTED,
    TR_ORD_EXPIRED,
    TR_ORD_REPLACED,
} tr_order_status;

/* What an order is for, so reports and risk can tell entries from exits. */
typedef enum tr_order_role {
    TR_ROLE_ENTRY = 0,  /* opens or adds to a position */
    TR_ROLE_EXIT,       /* closes or reduces (a strategy's exit signal) */
    TR_ROLE_STOP_LOSS,  /* bracket leg */
    TR_ROLE_TAKE_PROFIT /* bracket leg */
} tr_order_role;

typedef struct tr_order {
    uint64_t id;            /* 1, 2, 3, ... in submission order */
    uint64_t parent_id;     /* bracket legs: the entry's id; else 0 */
    uint64_t oco_id;        /* the other leg of a bracket; else 0 */
    tr_sym sym;
    tr_side side;
    tr_order_type type;
    tr_tif tif;
    tr_order_role role;
    tr_order_status status;
    tr_fx qty;              /* > 0 */
    tr_fx filled_qty;       /* 0 .. qty */
    tr_fx avg_fill_price;   /* volume-weighted, 0 before the first fill */
    tr_fx limit_price;      /* LIMIT, STOP_LIMIT; else 0 */
    tr_fx stop_price;       /* STOP, STOP_LIMIT, TRAILING_STOP (current) */
    tr_fx trail_amount;     /* TRAILING_STOP: distance in price, or 0 */
    tr_fx trail_percent;    /* TRAILING_STOP: distance in percent, or 0 */
    tr_fx commission;       /* charged so far */
    tr_time created;        /* event time of submission */
    tr_time updated;        /* event time of the last change */
    uint32_t reject_code;   /* tr_risk_reason when REJECTED by risk */
    char strategy[24];      /* who asked for it ("sma_cross", "api") */
} tr_order;

typedef struct tr_fill {
    uint64_t order_id;
    tr_sym sym;
    tr_side side;
    tr_order_role role;
    tr_fx qty;        /* > 0 */
    tr_fx price;
    tr_fx commission;
    tr_time time;     /* event time of the bar that filled it */
} tr_fill;

/* 1 when an order may move from status a to status b. */
int tr_order_can_move(tr_order_status a, tr_order_status b);

/* 1 for FILLED, CANCELED, REJECTED, EXPIRED, REPLACED. */
int tr_order_is_final(tr_order_status s);

/* Lower-case names as used in files and the API: "market", "stop_limit",
 * "gtc", "partially_filled", "buy", "stop_loss", ... Never NULL. */
const char *tr_order_type_name(tr_order_type t);
const char *tr_tif_name(tr_tif t);
const char *tr_order_status_name(tr_order_status s);
const char *tr_side_name(tr_side s);
const char *tr_order_role_name(tr_order_role r);

#endif
