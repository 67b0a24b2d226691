/* signal.h: what strategies (and, later, API clients) emit: a wish, never
 * an order. The risk manager turns signals into orders, or refuses them. */
#ifndef TR_SIGNAL_H
#define TR_SIGNAL_H

#include "core/fixed.h"
#include "core/symbol.h"
#include "core/time.h"

typedef enum tr_action {
    TR_HOLD = 0,
    TR_SIGNAL_BUY = 1,
    TR_SIGNAL_SELL = -1,
} tr_action;

typedef struct tr_signal {
    tr_sym sym;
    tr_time time;        /* the time of the bar it was decided on (which
                          * was complete: strategies see closed bars) */
    tr_action action;
    /* The position the strategy wants afterwards: +1 long, 0 flat, -1
     * short. BUY with target 0 covers a short; SELL with target 0 exits a
     * long; SELL with target -1 goes (or reverses to) short. */
    int target;
    double confidence;   /* 0..1 */
    tr_fx qty;           /* 0: the risk manager sizes it */
    tr_fx stop;          /* protective stop price, 0 = none (risk decides) */
    tr_fx take_profit;   /* target price, 0 = none (risk decides) */
    int votes_bull, votes_bear; /* consensus-style strategies; else 0 */
    char strategy[24];
    char reasons[160];   /* "RSI oversold; MACD bullish cross" */
} tr_signal;

const char *tr_action_name(tr_action a); /* "buy", "sell", "hold" */

#endif
