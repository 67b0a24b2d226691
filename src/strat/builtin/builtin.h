/* builtin.h: the built-in strategies and the helpers they share (private to
 * src/strat; the public face is strat/strategy.h's registry).
 *
 * Every built-in strategy follows the same pattern:
 *   - create validates every parameter against its tr_param_def (type,
 *     range, whole numbers) and the cross-parameter rules, then allocates
 *     the state: a header with the parameters and a per-instrument array
 *     indexed by tr_sym, whose indicators are initialised there (plus one
 *     pool for the price rings of sma_cross and breakout), so on_bar
 *     allocates nothing;
 *   - on_bar feeds the closed bar's prices (as doubles, tr_fx_to_double) to
 *     the streaming indicators of src/ind and stays silent until every
 *     indicator the rule needs is ready; where a rule compares prices that
 *     have an exact form (sma_cross's two means, breakout's channels) it
 *     works on the fixed-point prices instead, so that a tie is a tie;
 *   - entries and exits are gated on the position the engine reports
 *     (flat, long, short), so a signal is not repeated once it was acted on;
 *   - a signal starts from tr_strat_signal and gets its target and a reason.
 *
 * Threads: the engine thread, like every strategy callback. */
#ifndef TR_STRAT_BUILTIN_H
#define TR_STRAT_BUILTIN_H

#include <stddef.h>

#include "strat/strategy.h"

extern const tr_strategy_def tr_strategy_sma_cross;
extern const tr_strategy_def tr_strategy_ema_cross;
extern const tr_strategy_def tr_strategy_macd_cross;
extern const tr_strategy_def tr_strategy_rsi_reversion;
extern const tr_strategy_def tr_strategy_bollinger_reversion;
extern const tr_strategy_def tr_strategy_momentum;
extern const tr_strategy_def tr_strategy_breakout;
extern const tr_strategy_def tr_strategy_consensus;

/* Largest period any built-in strategy accepts (per instrument, a window of
 * this many doubles may be allocated). */
#define TR__STRAT_MAX_PERIOD 100000

/* ---- the crossover rule (DESIGN.md, "Numbers and conventions") ----------
 * *last is the sign (+1/-1) of the last non-zero difference, 0 before the
 * first one. Feed each ready difference (fast - slow); returns +1 for a
 * cross up, -1 for a cross down, 0 otherwise. An exact tie (diff == 0, or
 * NaN) changes nothing and is not a cross, so a cross after a tie is judged
 * against the difference before the tie; the first non-zero difference
 * only initialises *last. */
static inline int tr__cross_update(int *last, double diff)
{
    int s = (diff > 0.0) - (diff < 0.0);
    if (s == 0)
        return 0;
    int prev = *last;
    *last = s;
    return (prev != 0 && prev != s) ? s : 0;
}

/* Check params (def->nparams values) against def's types and ranges:
 * TR_ERR_INVALID with "NAME: PARAM must be a whole number in [1, 100000],
 * got 0.5" (or "a number in", "true or false") in err, else TR_OK. */
int tr__strat_check_params(const tr_strategy_def *def, const double *params,
                           char *err, size_t errlen);

/* Write "NAME: " + printf text into err (when errlen > 0); returns
 * TR_ERR_INVALID, so a create can `return tr__strat_fail(...)`. */
int tr__strat_fail(char *err, size_t errlen, const char *name,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* calloc(1, head + n * elem), or NULL when the size overflows or memory is
 * short. The block is zeroed, so every indicator in it may be freed even if
 * its init never ran. */
void *tr__strat_alloc(size_t head, size_t n, size_t elem);

/* Emit a signal of action with this target and a printf-formatted reason
 * (truncated to fit tr_signal.reasons). */
void tr__strat_emit(tr_strat_ctx *ctx, tr_sym sym, const tr_bar *bar,
                    tr_action action, int target, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* The same with a fixed reason (no formatting on the signal path). */
void tr__strat_emit_text(tr_strat_ctx *ctx, tr_sym sym, const tr_bar *bar,
                         tr_action action, int target, const char *reason);

/* A number as the spec syntax writes it back: "2", "1.5" (shortest of
 * %.15g / %.17g that reads back exactly), into buf[size]. */
void tr__strat_fmt_num(double v, char *buf, size_t size);

#endif
