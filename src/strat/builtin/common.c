/* common.c: helpers shared by the built-in strategies (builtin.h). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "strat/builtin/builtin.h"

int tr__strat_fail(char *err, size_t errlen, const char *name,
                   const char *fmt, ...)
{
    if (err && errlen) {
        int w = snprintf(err, errlen, "%s: ", name);
        if (w >= 0 && (size_t)w < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + w, errlen - (size_t)w, fmt, ap);
            va_end(ap);
        }
    }
    return TR_ERR_INVALID;
}

void tr__strat_fmt_num(double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, size, "%.17g", v);
}

int tr__strat_check_params(const tr_strategy_def *def, const double *params,
                           char *err, size_t errlen)
{
    for (size_t i = 0; i < def->nparams; i++) {
        const tr_param_def *p = &def->params[i];
        double v = params[i];
        char lo[40], hi[40], got[40];
        tr__strat_fmt_num(p->min, lo, sizeof lo);
        tr__strat_fmt_num(p->max, hi, sizeof hi);
        tr__strat_fmt_num(v, got, sizeof got);
        switch (p->type) {
        case TR_PARAM_BOOL:
            if (v != 0.0 && v != 1.0)
                return tr__strat_fail(err, errlen, def->name,
                                      "%s must be true or false, got %s",
                                      p->name, got);
            break;
        case TR_PARAM_INT:
            if (!(v >= p->min && v <= p->max) || v != floor(v))
                return tr__strat_fail(err, errlen, def->name,
                                      "%s must be a whole number in [%s, %s],"
                                      " got %s",
                                      p->name, lo, hi, got);
            break;
        case TR_PARAM_NUM:
        default:
            if (!(v >= p->min && v <= p->max))
                return tr__strat_fail(err, errlen, def->name,
                                      "%s must be a number in [%s, %s], got %s",
                                      p->name, lo, hi, got);
            break;
        }
    }
    return TR_OK;
}

void *tr__strat_alloc(size_t head, size_t n, size_t elem)
{
    /* Checked before calloc so that an absurd instrument count is a clean
     * TR_ERR_NOMEM, not a sanitizer report. */
    if (elem && n > (SIZE_MAX - head) / elem)
        return NULL;
    return calloc(1, head + n * elem);
}

void tr__strat_emit(tr_strat_ctx *ctx, tr_sym sym, const tr_bar *bar,
                    tr_action action, int target, const char *fmt, ...)
{
    tr_signal sig = tr_strat_signal(ctx, sym, bar, action);
    sig.target = target;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sig.reasons, sizeof sig.reasons, fmt, ap);
    va_end(ap);
    tr_strat_emit(ctx, &sig);
}

void tr__strat_emit_text(tr_strat_ctx *ctx, tr_sym sym, const tr_bar *bar,
                         tr_action action, int target, const char *reason)
{
    tr_signal sig = tr_strat_signal(ctx, sym, bar, action);
    sig.target = target;
    size_t len = strlen(reason);
    if (len >= sizeof sig.reasons)
        len = sizeof sig.reasons - 1;
    memcpy(sig.reasons, reason, len); /* the rest is zero */
    tr_strat_emit(ctx, &sig);
}
