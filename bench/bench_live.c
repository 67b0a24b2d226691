/* bench_live.c: the live engine's latency and memory.
 *   bar in -> order out: time from handing a bar to the engine until the
 *   broker reports the new order, for a strategy that trades on every bar,
 *   risk checks on (target p50 <= 2 us, p99 <= 10 us);
 *   resident memory with 500 symbols, each with 10 streaming indicators and
 *   the engine's per-symbol state (target <= 64 MB);
 *   engine snapshots of 500 symbols trading the consensus strategy (RSI,
 *   MACD, Bollinger Bands, ADX per symbol; risk with ATR stops and the
 *   correlation limit): size, time to save (the engine thread's pause in
 *   `trader run`) and to load into a fresh engine.
 * Journaling is measured by bench_journal; restarts from a snapshot against
 * a full replay by bench_store.sh. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/err.h"
#include "data/gen.h"
#include "engine/engine.h"
#include "ind/spec.h"

static uint64_t ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A strategy that flips between long and short on every bar. */
static int flip_create(const double *p, size_t nsyms, void **state, char *e,
                       size_t n)
{
    (void)p, (void)e, (void)n;
    *state = calloc(nsyms ? nsyms : 1, 1);
    return *state ? TR_OK : TR_ERR_NOMEM;
}

static void flip_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                     const tr_bar *bar)
{
    unsigned char *s = state;
    s[sym] ^= 1;
    tr_signal sig = tr_strat_signal(ctx, sym, bar,
                                    s[sym] ? TR_SIGNAL_BUY : TR_SIGNAL_SELL);
    sig.target = s[sym] ? 1 : -1;
    tr_strat_emit(ctx, &sig);
}

static const tr_strategy_def flip = {
    .name = "flip", .summary = "bench", .create = flip_create,
    .on_bar = flip_bar, .destroy = free,
};

static uint64_t t_in, t_out;
static int seen_order;

static void on_order(void *ctx, const tr_order *o)
{
    (void)ctx;
    if (!seen_order && o->status == TR_ORD_ACCEPTED && o->role == TR_ROLE_ENTRY) {
        t_out = ns_now();
        seen_order = 1;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

/* ---- snapshots --------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench_snapshots(void)
{
    enum { SYMS = 500, BARS = 2000, REPS = 21 };
    tr_engine_cfg c;
    memset(&c, 0, sizeof c);
    c.cash = 10000000 * TR_FX_ONE;
    c.nsyms = SYMS;
    c.strategy = tr_strategy_find("consensus");
    for (size_t i = 0; i < c.strategy->nparams; i++)
        c.params[i] = c.strategy->params[i].def;
    tr_risk_cfg_default(&c.risk);
    c.risk.sizing = TR_SIZE_PERCENT;
    c.risk.percent = 2;
    c.risk.max_open_positions = 50;
    c.risk.max_portfolio_risk_pct = 50;
    c.risk.stop_kind = TR_EXIT_ATR;
    c.risk.stop_value = 2;
    c.risk.tp_kind = TR_EXIT_RR;
    c.risk.tp_value = 2;
    tr_engine *e;
    char err[256];
    if (tr_engine_new(&c, NULL, &e, err, sizeof err) != TR_OK)
        exit(1);
    tr_bars *all = calloc(SYMS, sizeof *all);
    tr_gen_opts g = {.seed = 9, .bars = BARS, .interval = TR_GEN_1D};
    tr_time_parse("2015-01-02", 10, &g.start);
    for (unsigned s = 0; s < SYMS; s++)
        tr_gen_series(&g, s, &all[s]);
    static tr_sym syms[SYMS];
    static tr_bar step[SYMS];
    for (size_t i = 0; i < BARS; i++) {
        for (unsigned s = 0; s < SYMS; s++) {
            syms[s] = s;
            step[s] = all[s].v[i];
        }
        if (tr_engine_step(e, step[0].time, syms, step, SYMS) != TR_OK)
            exit(1);
    }
    for (unsigned s = 0; s < SYMS; s++)
        tr_bars_free(&all[s]);
    free(all);

    /* Save: the first into an empty buffer (as the first snapshot of a run,
     * which grows it), then into the kept buffer (every later one). */
    tr_enc x;
    tr_enc_init(&x);
    uint64_t t0 = ns_now();
    if (tr_engine_save(e, &x) != TR_OK)
        exit(1);
    double first_ms = (double)(ns_now() - t0) / 1e6;
    double save[REPS], load[REPS];
    for (int r = 0; r < REPS; r++) {
        tr_enc_reset(&x);
        t0 = ns_now();
        if (tr_engine_save(e, &x) != TR_OK)
            exit(1);
        save[r] = (double)(ns_now() - t0) / 1e6;
    }
    for (int r = 0; r < REPS; r++) {
        tr_engine *f;
        if (tr_engine_new(&c, NULL, &f, err, sizeof err) != TR_OK)
            exit(1);
        t0 = ns_now();
        if (tr_engine_load(f, x.p, x.len, err, sizeof err) != TR_OK) {
            fprintf(stderr, "load: %s\n", err);
            exit(1);
        }
        load[r] = (double)(ns_now() - t0) / 1e6;
        tr_engine_free(f);
    }
    qsort(save, REPS, sizeof save[0], cmp_dbl);
    qsort(load, REPS, sizeof load[0], cmp_dbl);
    size_t orders = tr_paper_order_count(tr_engine_broker(e));
    size_t trades = tr_engine_trades(e)->n;
    printf("snapshot, %d symbols x consensus (RSI, MACD, BBANDS, ADX) + risk "
           "(ATR, correlation returns) after %d steps, %zu orders and %zu "
           "closed trades kept: %.2f MB; save %.2f ms (median; max %.2f; the "
           "first, growing its buffer, %.2f), load into a fresh engine %.2f "
           "ms (median; max %.2f)\n", SYMS, BARS, orders, trades,
           (double)x.len / 1048576.0, save[REPS / 2], save[REPS - 1],
           first_ms, load[REPS / 2], load[REPS - 1]);
    /* Without the history that grows with time: the per-symbol state. */
    tr_engine *f;
    if (tr_engine_new(&c, NULL, &f, err, sizeof err) != TR_OK)
        exit(1);
    for (size_t i = 0; i < 100; i++) {
        for (unsigned s = 0; s < SYMS; s++) {
            syms[s] = s;
            step[s] = (tr_bar){(tr_time)(i + 1) * 86400 * TR_NS_PER_SEC,
                               100 * TR_FX_ONE, 101 * TR_FX_ONE,
                               99 * TR_FX_ONE, 100 * TR_FX_ONE,
                               1000 * TR_FX_ONE};
        }
        if (tr_engine_step(f, step[0].time, syms, step, SYMS) != TR_OK)
            exit(1);
    }
    for (int r = 0; r < REPS; r++) {
        tr_enc_reset(&x);
        t0 = ns_now();
        tr_engine_save(f, &x);
        save[r] = (double)(ns_now() - t0) / 1e6;
    }
    qsort(save, REPS, sizeof save[0], cmp_dbl);
    printf("  of which the per-symbol state (flat, no order yet): %.2f MB = "
           "%.0f bytes a symbol, saved in %.2f ms; each order kept adds ~170 "
           "bytes, each closed trade ~73\n", (double)x.len / 1048576.0,
           (double)x.len / SYMS, save[REPS / 2]);
    tr_engine_free(f);
    tr_enc_free(&x);
    tr_engine_free(e);
}

int main(void)
{
    /* ---- latency ---- */
    enum { N = 200000 };
    tr_bars bars;
    tr_bars_init(&bars);
    tr_gen_opts o = {.seed = 3, .bars = N, .interval = TR_GEN_1M};
    tr_time_parse("2024-01-02", 10, &o.start);
    if (tr_gen_series(&o, 0, &bars) != TR_OK)
        return 1;
    tr_engine_cfg c;
    memset(&c, 0, sizeof c);
    c.cash = 100000000 * TR_FX_ONE;
    c.nsyms = 1;
    c.strategy = &flip;
    tr_risk_cfg_default(&c.risk);
    c.risk.max_position_pct = 100;
    c.risk.max_portfolio_risk_pct = 0;
    c.risk.sizing = TR_SIZE_FIXED;
    c.risk.qty = 10 * TR_FX_ONE;
    tr_engine_sink sink = {.order = on_order};
    tr_engine *e;
    char err[256];
    if (tr_engine_new(&c, &sink, &e, err, sizeof err) != TR_OK)
        return 1;
    uint64_t *lat = malloc(N * sizeof *lat);
    size_t nl = 0;
    for (size_t i = 0; i < N; i++) {
        tr_sym s0 = 0;
        seen_order = 0;
        t_in = ns_now();
        if (tr_engine_step(e, bars.v[i].time, &s0, &bars.v[i], 1) != TR_OK)
            return 1;
        if (seen_order && i > 100) /* after warm caches */
            lat[nl++] = t_out - t_in;
    }
    tr_engine_free(e);
    qsort(lat, nl, sizeof *lat, cmp_u64);
    printf("bar in -> order out, in process, risk on (%zu orders): p50 %.2f us, "
           "p99 %.2f us, p99.9 %.2f us, max %.1f us (targets p50 <= 2, p99 <= 10)\n",
           nl, lat[nl / 2] / 1e3, lat[nl * 99 / 100] / 1e3,
           lat[nl * 999 / 1000] / 1e3, lat[nl - 1] / 1e3);
    free(lat);
    tr_bars_free(&bars);

    /* ---- memory: 500 symbols x 10 indicators, live engine ---- */
    long before = rss_kb();
    enum { SYMS = 500, INDS = 10, BARS = 2000 };
    static const char *specs[INDS] = {"sma:20", "ema:50", "rsi:14",
                                      "macd:12:26:9", "bbands:20:2", "atr:14",
                                      "adx:14", "stoch:14:3:3", "cci:20",
                                      "mfi:14"};
    tr_ind **inds = malloc(SYMS * INDS * sizeof *inds);
    for (size_t i = 0; i < SYMS * INDS; i++)
        if (tr_ind_parse(specs[i % INDS], &inds[i], err, sizeof err) != TR_OK)
            return 1;
    memset(&c, 0, sizeof c);
    c.cash = 100000000 * TR_FX_ONE;
    c.nsyms = SYMS;
    c.strategy = tr_strategy_find("consensus");
    for (size_t i = 0; i < c.strategy->nparams; i++)
        c.params[i] = c.strategy->params[i].def;
    tr_risk_cfg_default(&c.risk);
    if (tr_engine_new(&c, NULL, &e, err, sizeof err) != TR_OK)
        return 1;
    /* Feed bars generated one day at a time (the feed keeps no history). */
    tr_sym syms[SYMS];
    tr_bar step[SYMS];
    tr_bars one;
    tr_bars_init(&one);
    tr_gen_opts g = {.seed = 9, .bars = BARS, .interval = TR_GEN_1D};
    tr_time_parse("2015-01-02", 10, &g.start);
    tr_bars *all = calloc(SYMS, sizeof *all);
    for (unsigned s = 0; s < SYMS; s++) /* generated up front, freed below */
        tr_gen_series(&g, s, &all[s]);
    for (size_t i = 0; i < BARS; i++) {
        for (unsigned s = 0; s < SYMS; s++) {
            syms[s] = s;
            step[s] = all[s].v[i];
            const tr_bar *b = &step[s];
            tr_ind_input in = {b->time, tr_fx_to_double(b->open),
                               tr_fx_to_double(b->high), tr_fx_to_double(b->low),
                               tr_fx_to_double(b->close),
                               tr_fx_to_double(b->volume)};
            for (size_t k = 0; k < INDS; k++)
                tr_ind_update(inds[s * INDS + k], &in);
        }
        if (tr_engine_step(e, step[0].time, syms, step, SYMS) != TR_OK)
            return 1;
    }
    size_t history = 0;
    for (unsigned s = 0; s < SYMS; s++) {
        history += all[s].cap * sizeof(tr_bar);
        tr_bars_free(&all[s]);
    }
    free(all);
    malloc_trim(0); /* give the freed history back before measuring */
    long after = rss_kb();
    printf("resident memory, %d symbols x %d indicators + the engine after %d "
           "steps: %.1f MB for the process (%.1f MB above the empty process; "
           "the bench's own %.1f MB of generated history already freed; "
           "target <= 64 MB)\n", SYMS, INDS, BARS, after / 1024.0,
           (after - before) / 1024.0, (double)history / 1048576.0);
    tr_engine_free(e);
    for (size_t i = 0; i < SYMS * INDS; i++)
        tr_ind_free(inds[i]);
    free(inds);

    bench_snapshots();
    return 0;
}
