/* strat_fake.h: a fake engine context for strategy tests: it answers
 * positions from an array and records every signal with the index of the
 * bar it was emitted on; in "broker" mode it also sets the position to the
 * signal's target at once (as a fill before the next bar would). Shared by
 * test_strat.c and test_strat_consensus.c. */
#ifndef TR_TEST_STRAT_FAKE_H
#define TR_TEST_STRAT_FAKE_H

#include <stdint.h>

#include "strat/strategy.h"

#define MAXSYM 4
#define MAXREC 4096

typedef struct rec {
    size_t bar; /* index of the symbol's bar the signal was emitted on */
    tr_signal sig;
} rec;

typedef struct fake {
    tr_fx pos[MAXSYM];
    int broker; /* apply each signal's target to the position at once */
    size_t bar[MAXSYM];
    size_t n, overflow;
    rec r[MAXREC];
} fake;

static tr_fx fake_position(void *engine, tr_sym sym)
{
    fake *f = engine;
    return sym < MAXSYM ? f->pos[sym] : 0;
}

static void fake_emit(void *engine, const tr_signal *sig)
{
    fake *f = engine;
    if (f->n == MAXREC) {
        f->overflow++;
        return;
    }
    f->r[f->n].bar = sig->sym < MAXSYM ? f->bar[sig->sym] : SIZE_MAX;
    f->r[f->n].sig = *sig;
    f->n++;
    if (f->broker && sig->sym < MAXSYM)
        f->pos[sig->sym] = (tr_fx)sig->target * 100 * TR_FX_ONE;
}

#endif
