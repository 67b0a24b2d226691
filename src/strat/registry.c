/* registry.c: the table of built-in strategies, and the signal helpers every
 * strategy uses (strategy.h, signal.h). */
#include <string.h>

#include "strat/builtin/builtin.h"
#include "strat/signal.h"
#include "strat/strategy.h"

/* In the order `trader strategies` lists them: the crossovers, the
 * reversions, the trend followers, then the consensus of indicators. */
static const tr_strategy_def *const builtins[] = {
    &tr_strategy_sma_cross,
    &tr_strategy_ema_cross,
    &tr_strategy_macd_cross,
    &tr_strategy_rsi_reversion,
    &tr_strategy_bollinger_reversion,
    &tr_strategy_momentum,
    &tr_strategy_breakout,
    &tr_strategy_consensus,
};

#define NBUILTINS (sizeof builtins / sizeof builtins[0])

const tr_strategy_def *tr_strategy_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NBUILTINS; i++)
        if (strcmp(builtins[i]->name, name) == 0)
            return builtins[i];
    return NULL;
}

const tr_strategy_def *const *tr_strategy_list(size_t *n)
{
    if (n)
        *n = NBUILTINS;
    return builtins;
}

tr_signal tr_strat_signal(const tr_strat_ctx *ctx, tr_sym sym,
                          const tr_bar *bar, tr_action action)
{
    tr_signal s;
    memset(&s, 0, sizeof s); /* padding too: signals are journalled */
    s.sym = sym;
    s.time = bar ? bar->time : 0;
    s.action = action;
    s.target = action == TR_SIGNAL_BUY ? 1 : action == TR_SIGNAL_SELL ? -1 : 0;
    s.confidence = 1.0;
    if (ctx && ctx->strategy_name) {
        size_t len = strlen(ctx->strategy_name);
        if (len >= sizeof s.strategy)
            len = sizeof s.strategy - 1; /* truncated, still terminated */
        memcpy(s.strategy, ctx->strategy_name, len);
    }
    return s;
}

const char *tr_action_name(tr_action a)
{
    switch (a) {
    case TR_SIGNAL_BUY: return "buy";
    case TR_SIGNAL_SELL: return "sell";
    case TR_HOLD: return "hold";
    }
    return "unknown"; /* not a tr_action; never NULL */
}
