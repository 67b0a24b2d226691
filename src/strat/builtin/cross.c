/* cross.c: the crossover strategies sma_cross, ema_cross and macd_cross.
 *
 * One rule, three pairs of lines: SMA(fast) against SMA(slow), EMA(fast)
 * against EMA(slow), and the MACD line against its signal line. On each
 * closed bar, once both lines exist, the sign of the difference (first -
 * second) goes through the crossover rule of DESIGN.md (tr__cross_update: a
 * cross is a change of sign against the last non-zero difference; ties are
 * no cross; the first sign only initialises). Then:
 *   cross up:   BUY, target +1, when the position is flat or short;
 *   cross down: allow_short: SELL, target -1, when flat or long;
 *               otherwise:   SELL, target 0, only when long.
 * The reason names the lines: "SMA(10) crossed above SMA(30)".
 *
 * The SMAs are compared exactly: with S_f and S_s the integer sums of the
 * last fast and slow fixed-point closes, sign(SMA_f - SMA_s) =
 * sign(S_f * slow - S_s * fast), in 128 bits. Prices on a cent grid make
 * mathematical ties common (plateaus, mirrored moves), and two doubles
 * S_f/fast and S_s/slow can differ by an ulp at such a tie, which would
 * turn it into a cross that exact arithmetic, and DESIGN.md's "an exact tie
 * is not a cross", does not see. The closes live in a ring of `slow` slots
 * per instrument, allocated in create. The EMAs and MACD have no exact form
 * (their weights are not decimal), so they use the streaming indicators of
 * ind/ma.h and a tie there is an exact tie of the doubles. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/fixed.h"
#include "ind/ma.h"
#include "strat/builtin/builtin.h"

typedef __int128 i128;

/* 128-bit values kept as two 64-bit halves: stored as one __int128 field,
 * the compiler spills and reloads it through the stack in a way that stalls
 * store forwarding on every bar (it doubled the cost of sma_cross). */
static inline i128 get128(const uint64_t v[2])
{
    return (i128)(((unsigned __int128)v[1] << 64) | v[0]);
}

static inline void put128(uint64_t v[2], i128 x)
{
    v[0] = (uint64_t)x;
    v[1] = (uint64_t)((unsigned __int128)x >> 64);
}

typedef enum cross_kind { CROSS_SMA, CROSS_EMA, CROSS_MACD } cross_kind;

typedef struct cross_sym {
    union {
        struct {
            tr_fx *ring;  /* the last `slow` closes, in the state's pool */
            size_t head;  /* slot of the next close = the oldest once full */
            uint64_t seen;
            uint64_t sf[2], ss[2]; /* sums of the last fast / slow
                                    * closes, 128-bit (get128/put128) */
        } sma;
        struct {
            tr_ind_ema fast, slow;
        } ema;
        tr_ind_macd macd;
    } u;
    int last; /* sign of the last non-zero difference, 0 before it */
} cross_sym;

typedef struct cross_state {
    cross_kind kind;
    size_t fast, slow, signal;
    int allow_short;
    size_t nsyms;
    tr_fx *pool; /* sma_cross: nsyms rings of `slow` closes */
    char up[128], down[128]; /* the reasons, written once in create */
    cross_sym sym[];
} cross_state;

static void cross_destroy(void *state)
{
    cross_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->nsyms; i++) {
        cross_sym *s = &st->sym[i];
        switch (st->kind) {
        case CROSS_SMA:
            break; /* the rings are in the pool */
        case CROSS_EMA:
            tr_ind_ema_free(&s->u.ema.fast);
            tr_ind_ema_free(&s->u.ema.slow);
            break;
        case CROSS_MACD:
            tr_ind_macd_free(&s->u.macd);
            break;
        }
    }
    free(st->pool);
    free(st);
}

static int cross_create(const tr_strategy_def *def, cross_kind kind,
                        const double *params, size_t nsyms, void **state,
                        char *err, size_t errlen)
{
    int rc = tr__strat_check_params(def, params, err, errlen);
    if (rc != TR_OK)
        return rc;
    size_t fast = (size_t)params[0], slow = (size_t)params[1];
    size_t signal = kind == CROSS_MACD ? (size_t)params[2] : 0;
    int allow_short = params[kind == CROSS_MACD ? 3 : 2] != 0.0;
    if (fast >= slow)
        return tr__strat_fail(err, errlen, def->name,
                              "fast (%zu) must be less than slow (%zu)", fast,
                              slow);

    cross_state *st = tr__strat_alloc(sizeof *st, nsyms, sizeof st->sym[0]);
    if (!st)
        goto nomem;
    st->kind = kind;
    st->fast = fast;
    st->slow = slow;
    st->signal = signal;
    st->allow_short = allow_short;
    st->nsyms = nsyms;
    if (kind == CROSS_SMA && nsyms) {
        if (nsyms > SIZE_MAX / slow / sizeof(tr_fx) ||
            !(st->pool = calloc(nsyms * slow, sizeof(tr_fx)))) {
            cross_destroy(st);
            goto nomem;
        }
    }
    switch (kind) {
    case CROSS_SMA:
    case CROSS_EMA: {
        const char *n = kind == CROSS_SMA ? "SMA" : "EMA";
        snprintf(st->up, sizeof st->up, "%s(%zu) crossed above %s(%zu)", n,
                 fast, n, slow);
        snprintf(st->down, sizeof st->down, "%s(%zu) crossed below %s(%zu)",
                 n, fast, n, slow);
        break;
    }
    case CROSS_MACD:
        snprintf(st->up, sizeof st->up,
                 "MACD(%zu,%zu,%zu) crossed above its signal line", fast, slow,
                 signal);
        snprintf(st->down, sizeof st->down,
                 "MACD(%zu,%zu,%zu) crossed below its signal line", fast, slow,
                 signal);
        break;
    }

    for (size_t i = 0; i < nsyms; i++) {
        cross_sym *s = &st->sym[i];
        switch (kind) {
        case CROSS_SMA:
            s->u.sma.ring = st->pool + i * slow;
            rc = TR_OK;
            break;
        case CROSS_EMA:
            rc = tr_ind_ema_init(&s->u.ema.fast, fast);
            if (rc == TR_OK)
                rc = tr_ind_ema_init(&s->u.ema.slow, slow);
            break;
        case CROSS_MACD:
            rc = tr_ind_macd_init(&s->u.macd, fast, slow, signal);
            break;
        }
        if (rc != TR_OK) {
            cross_destroy(st);
            if (rc == TR_ERR_NOMEM)
                goto nomem;
            return tr__strat_fail(err, errlen, def->name,
                                  "invalid indicator parameters");
        }
    }
    *state = st;
    return TR_OK;

nomem:
    tr__strat_fail(err, errlen, def->name, "out of memory");
    return TR_ERR_NOMEM;
}

static void cross_on_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                         const tr_bar *bar)
{
    cross_state *st = state;
    assert(sym < st->nsyms);
    if (sym >= st->nsyms)
        return;
    cross_sym *s = &st->sym[sym];
    double a = 0.0, b = 0.0;
    int ready;
    switch (st->kind) {
    case CROSS_SMA: {
        /* The slot of the close `fast` bars back, read before the slot of
         * the close `slow` bars back (head) is overwritten (fast < slow). */
        size_t head = s->u.sma.head, n = st->slow;
        size_t fo = head >= st->fast ? head - st->fast : head + n - st->fast;
        uint64_t seen = s->u.sma.seen;
        tr_fx x = bar->close;
        i128 sf = get128(s->u.sma.sf) + x, ss = get128(s->u.sma.ss) + x;
        if (seen >= st->fast)
            sf -= s->u.sma.ring[fo];
        if (seen >= n)
            ss -= s->u.sma.ring[head];
        s->u.sma.ring[head] = x;
        s->u.sma.head = head + 1 == n ? 0 : head + 1;
        s->u.sma.seen = ++seen;
        put128(s->u.sma.sf, sf);
        put128(s->u.sma.ss, ss);
        ready = seen >= n;
        if (ready) {
            i128 d = sf * (i128)st->slow - ss * (i128)st->fast;
            a = (double)((d > 0) - (d < 0)); /* only the sign is used */
        }
        break;
    }
    case CROSS_EMA: {
        double x = tr_fx_to_double(bar->close);
        a = tr_ind_ema_update(&s->u.ema.fast, x);
        b = tr_ind_ema_update(&s->u.ema.slow, x);
        ready = tr_ind_ema_ready(&s->u.ema.fast) &&
                tr_ind_ema_ready(&s->u.ema.slow);
        break;
    }
    case CROSS_MACD:
    default: {
        tr_ind_macd_out m;
        tr_ind_macd_update(&s->u.macd, tr_fx_to_double(bar->close), &m);
        a = m.macd;
        b = m.signal;
        ready = tr_ind_macd_ready(&s->u.macd);
        break;
    }
    }
    if (!ready)
        return;

    int c = tr__cross_update(&s->last, a - b);
    if (c == 0)
        return;
    tr_fx pos = tr_strat_position(ctx, sym);
    if (c > 0) {
        if (pos <= 0)
            tr__strat_emit_text(ctx, sym, bar, TR_SIGNAL_BUY, 1, st->up);
    } else if (st->allow_short ? pos >= 0 : pos > 0) {
        tr__strat_emit_text(ctx, sym, bar, TR_SIGNAL_SELL,
                            st->allow_short ? -1 : 0, st->down);
    }
}

/* ---- snapshots ----------------------------------------------------------- */

static void cross_save(const void *state, tr_enc *e)
{
    const cross_state *st = state;
    tr_enc_u64(e, st->nsyms);
    for (size_t i = 0; i < st->nsyms; i++) {
        const cross_sym *s = &st->sym[i];
        switch (st->kind) {
        case CROSS_SMA:
            tr_enc_u64(e, st->slow);
            for (size_t k = 0; k < st->slow; k++)
                tr_enc_i64(e, s->u.sma.ring[k]);
            tr_enc_u64(e, s->u.sma.head);
            tr_enc_u64(e, s->u.sma.seen);
            for (int k = 0; k < 2; k++) {
                tr_enc_u64(e, s->u.sma.sf[k]);
                tr_enc_u64(e, s->u.sma.ss[k]);
            }
            break;
        case CROSS_EMA:
            tr_ind_ema_save(&s->u.ema.fast, e);
            tr_ind_ema_save(&s->u.ema.slow, e);
            break;
        case CROSS_MACD:
            tr_ind_macd_save(&s->u.macd, e);
            break;
        }
        tr_enc_i32(e, s->last);
    }
}

static int cross_load(void *state, tr_dec *d)
{
    cross_state *st = state;
    if (!tr_dec_check(d, tr_dec_u64(d) == st->nsyms))
        return TR_ERR_DATA;
    for (size_t i = 0; i < st->nsyms && !tr_dec_error(d); i++) {
        cross_sym *s = &st->sym[i];
        switch (st->kind) {
        case CROSS_SMA:
            if (!tr_dec_check(d, tr_dec_u64(d) == st->slow &&
                                     tr_dec_left(d) / 8 >= st->slow))
                return TR_ERR_DATA;
            for (size_t k = 0; k < st->slow; k++)
                s->u.sma.ring[k] = tr_dec_i64(d);
            uint64_t head = tr_dec_u64(d);
            if (!tr_dec_check(d, head < st->slow))
                return TR_ERR_DATA;
            s->u.sma.head = (size_t)head;
            s->u.sma.seen = tr_dec_u64(d);
            for (int k = 0; k < 2; k++) {
                s->u.sma.sf[k] = tr_dec_u64(d);
                s->u.sma.ss[k] = tr_dec_u64(d);
            }
            break;
        case CROSS_EMA:
            tr_ind_ema_load(&s->u.ema.fast, d);
            tr_ind_ema_load(&s->u.ema.slow, d);
            break;
        case CROSS_MACD:
            tr_ind_macd_load(&s->u.macd, d);
            break;
        }
        int32_t last = tr_dec_i32(d);
        tr_dec_check(d, last >= -1 && last <= 1);
        s->last = last;
    }
    return tr_dec_error(d);
}

/* ---- the three definitions ---------------------------------------------- */

#define PERIOD(nm, d, lo, help)                                                \
    { nm, TR_PARAM_INT, d, lo, TR__STRAT_MAX_PERIOD, help }
#define ALLOW_SHORT                                                            \
    { "allow_short", TR_PARAM_BOOL, 0, 0, 1,                                   \
      "sell short on a cross down (else only exit a long)" }

static const tr_param_def sma_params[] = {
    PERIOD("fast", 10, 1, "bars of the fast SMA (less than slow)"),
    PERIOD("slow", 30, 2, "bars of the slow SMA"),
    ALLOW_SHORT,
};

static const tr_param_def ema_params[] = {
    PERIOD("fast", 12, 1, "bars of the fast EMA (less than slow)"),
    PERIOD("slow", 26, 2, "bars of the slow EMA"),
    ALLOW_SHORT,
};

static const tr_param_def macd_params[] = {
    PERIOD("fast", 12, 1, "bars of MACD's fast EMA (less than slow)"),
    PERIOD("slow", 26, 2, "bars of MACD's slow EMA"),
    PERIOD("signal", 9, 1, "bars of the signal line's EMA"),
    ALLOW_SHORT,
};

static int sma_create(const double *params, size_t nsyms, void **state,
                      char *err, size_t errlen)
{
    return cross_create(&tr_strategy_sma_cross, CROSS_SMA, params, nsyms,
                        state, err, errlen);
}

static int ema_create(const double *params, size_t nsyms, void **state,
                      char *err, size_t errlen)
{
    return cross_create(&tr_strategy_ema_cross, CROSS_EMA, params, nsyms,
                        state, err, errlen);
}

static int macd_create(const double *params, size_t nsyms, void **state,
                       char *err, size_t errlen)
{
    return cross_create(&tr_strategy_macd_cross, CROSS_MACD, params, nsyms,
                        state, err, errlen);
}

static void sma_plot(const double *params, char *buf, size_t size)
{
    snprintf(buf, size, "sma:%.0f sma:%.0f", params[0], params[1]);
}

static void ema_plot(const double *params, char *buf, size_t size)
{
    snprintf(buf, size, "ema:%.0f ema:%.0f", params[0], params[1]);
}

static void macd_plot(const double *params, char *buf, size_t size)
{
    snprintf(buf, size, "macd:%.0f:%.0f:%.0f", params[0], params[1],
             params[2]);
}

const tr_strategy_def tr_strategy_sma_cross = {
    .name = "sma_cross",
    .summary = "buy when SMA(fast) crosses above SMA(slow), exit (or short) "
               "when it crosses below",
    .params = sma_params,
    .nparams = sizeof sma_params / sizeof sma_params[0],
    .create = sma_create,
    .on_bar = cross_on_bar,
    .on_fill = NULL,
    .destroy = cross_destroy,
    .plot = sma_plot,
    .save = cross_save,
    .load = cross_load,
};

const tr_strategy_def tr_strategy_ema_cross = {
    .name = "ema_cross",
    .summary = "buy when EMA(fast) crosses above EMA(slow), exit (or short) "
               "when it crosses below",
    .params = ema_params,
    .nparams = sizeof ema_params / sizeof ema_params[0],
    .create = ema_create,
    .on_bar = cross_on_bar,
    .on_fill = NULL,
    .destroy = cross_destroy,
    .plot = ema_plot,
    .save = cross_save,
    .load = cross_load,
};

const tr_strategy_def tr_strategy_macd_cross = {
    .name = "macd_cross",
    .summary = "buy when the MACD line crosses above its signal line, exit "
               "(or short) when it crosses below",
    .params = macd_params,
    .nparams = sizeof macd_params / sizeof macd_params[0],
    .create = macd_create,
    .on_bar = cross_on_bar,
    .on_fill = NULL,
    .destroy = cross_destroy,
    .plot = macd_plot,
    .save = cross_save,
    .load = cross_load,
};
