/* order.c: the order state machine and the names used in files and APIs. */
#include "exec/order.h"

int tr_order_is_final(tr_order_status s)
{
    return s == TR_ORD_FILLED || s == TR_ORD_CANCELED ||
           s == TR_ORD_REJECTED || s == TR_ORD_EXPIRED ||
           s == TR_ORD_REPLACED;
}

int tr_order_can_move(tr_order_status a, tr_order_status b)
{
    switch (a) {
    case TR_ORD_NEW:
        return b == TR_ORD_ACCEPTED || b == TR_ORD_REJECTED;
    case TR_ORD_ACCEPTED:
    case TR_ORD_PARTIALLY_FILLED:
        return b == TR_ORD_PARTIALLY_FILLED || b == TR_ORD_FILLED ||
               b == TR_ORD_CANCELED || b == TR_ORD_EXPIRED ||
               b == TR_ORD_REPLACED;
    default:
        return 0; /* final states never move */
    }
}

const char *tr_order_type_name(tr_order_type t)
{
    switch (t) {
    case TR_ORD_MARKET: return "market";
    case TR_ORD_LIMIT: return "limit";
    case TR_ORD_STOP: return "stop";
    case TR_ORD_STOP_LIMIT: return "stop_limit";
    case TR_ORD_TRAILING_STOP: return "trailing_stop";
    }
    return "unknown";
}

const char *tr_tif_name(tr_tif t)
{
    switch (t) {
    case TR_TIF_GTC: return "gtc";
    case TR_TIF_DAY: return "day";
    case TR_TIF_IOC: return "ioc";
    case TR_TIF_FOK: return "fok";
    }
    return "unknown";
}

const char *tr_order_status_name(tr_order_status s)
{
    switch (s) {
    case TR_ORD_NEW: return "new";
    case TR_ORD_ACCEPTED: return "accepted";
    case TR_ORD_PARTIALLY_FILLED: return "partially_filled";
    case TR_ORD_FILLED: return "filled";
    case TR_ORD_CANCELED: return "canceled";
    case TR_ORD_REJECTED: return "rejected";
    case TR_ORD_EXPIRED: return "expired";
    case TR_ORD_REPLACED: return "replaced";
    }
    return "unknown";
}

const char *tr_side_name(tr_side s)
{
    return s == TR_BUY ? "buy" : "sell";
}

const char *tr_order_role_name(tr_order_role r)
{
    switch (r) {
    case TR_ROLE_ENTRY: return "entry";
    case TR_ROLE_EXIT: return "exit";
    case TR_ROLE_STOP_LOSS: return "stop_loss";
    case TR_ROLE_TAKE_PROFIT: return "take_profit";
    }
    return "unknown";
}
