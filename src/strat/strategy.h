/* strategy.h: the interface every strategy implements, and the registry of
 * built-in strategies.
 *
 * A strategy sees each bar after its close (never before: no look-ahead by
 * construction) and emits signals through its context; it never places
 * orders and never knows whether it runs in a backtest or live. Its state is
 * per instrument: arrays indexed by tr_sym (0 .. nsyms-1), allocated in
 * create, so on_bar allocates nothing.
 *
 * Threads: every callback runs on the engine thread. */
#ifndef TR_STRATEGY_H
#define TR_STRATEGY_H

#include <stddef.h>

#include "core/codec.h"
#include "data/bar.h"
#include "exec/order.h"
#include "strat/signal.h"

/* What a strategy may ask of the engine during a callback. The engine (or a
 * test) fills it in; strategies use the inline helpers below. */
typedef struct tr_strat_ctx {
    void *engine;
    tr_fx (*position)(void *engine, tr_sym sym); /* signed quantity */
    void (*emit)(void *engine, const tr_signal *sig);
    const char *strategy_name; /* copied into signals by tr_strat_signal */
} tr_strat_ctx;

static inline tr_fx tr_strat_position(const tr_strat_ctx *c, tr_sym sym)
{
    return c->position(c->engine, sym);
}

static inline void tr_strat_emit(tr_strat_ctx *c, const tr_signal *sig)
{
    c->emit(c->engine, sig);
}

/* A parameter a strategy accepts from its config (`params:`). */
typedef enum tr_param_type {
    TR_PARAM_INT = 0, /* whole number in [min, max] */
    TR_PARAM_NUM,     /* any number in [min, max] */
    TR_PARAM_BOOL,    /* true/false (stored as 1/0) */
} tr_param_type;

typedef struct tr_param_def {
    const char *name;
    tr_param_type type;
    double def, min, max;
    const char *help;
} tr_param_def;

#define TR_STRAT_MAX_PARAMS 16

typedef struct tr_strategy_def {
    const char *name;    /* "sma_cross" */
    const char *summary; /* one line for --help */
    const tr_param_def *params;
    size_t nparams;

    /* Build the state for nsyms instruments from validated parameter
     * values (params[i] belongs to params-def i, defaults filled in).
     * Cross-parameter rules (fast < slow) are checked here: on failure
     * return TR_ERR_INVALID with a message in err. The state is owned by the
     * caller, released with destroy. */
    int (*create)(const double *params, size_t nsyms, void **state /* OUT */,
                  char *err, size_t errlen);
    /* One closed bar of instrument sym. */
    void (*on_bar)(void *state, tr_strat_ctx *ctx, tr_sym sym,
                   const tr_bar *bar);
    /* A fill of an order this strategy caused; may be NULL. */
    void (*on_fill)(void *state, tr_strat_ctx *ctx, const tr_fill *fill);
    void (*destroy)(void *state);
    /* The indicators worth drawing with this strategy's trades, as specs
     * separated by spaces ("sma:10 sma:30"), written into buf; may be NULL. */
    void (*plot)(const double *params, char *buf, size_t size);
    /* Snapshots (engine.h). save writes everything on_bar and on_fill
     * change (indicator state through the tr_ind_X_save helpers, rings,
     * crossover memory), never the parameters, which come from the config;
     * doubles as their bits (tr_enc_f64) so that the state restores
     * exactly. load reads it into a state just made by create with the same
     * parameters and nsyms, after which every callback behaves exactly as
     * it would have on the saved state; TR_ERR_DATA when the bytes are not
     * such a state (check sizes and every index that on_bar uses), and then
     * the state may only be destroyed. Both NULL: the strategy cannot be
     * snapshotted, and live runs of it replay the whole journal. */
    void (*save)(const void *state, tr_enc *e);
    int (*load)(void *state, tr_dec *d);
} tr_strategy_def;

/* The built-in strategy called name, or NULL. */
const tr_strategy_def *tr_strategy_find(const char *name);

/* All built-in strategies; *n gets their number. */
const tr_strategy_def *const *tr_strategy_list(size_t *n);

/* A signal pre-filled for this context, symbol, bar and action: time =
 * bar->time, confidence 1, target from action (+1 buy, -1 sell; callers set
 * 0 for exits), strategy name copied, everything else zero. */
tr_signal tr_strat_signal(const tr_strat_ctx *ctx, tr_sym sym,
                          const tr_bar *bar, tr_action action);

#endif
