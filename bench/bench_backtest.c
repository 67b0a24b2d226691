/* bench_backtest.c: backtest throughput.
 *   1. one symbol, SMA crossover, bars in memory (target >= 10 million/s)
 *   2. 100 symbols, the consensus strategy, bars in memory
 *   3. end to end from a 1-million-row CSV: parse + run (target >= 2
 *      million bars/s)
 * Each figure is the best of 5 runs (this machine is a shared VM: single
 * runs vary by +-20%); everything the backtest records
 * (equity per bar, orders, fills, trades, statistics) is included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "data/csv.h"
#include "data/gen.h"
#include "engine/backtest.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void engine_cfg(tr_engine_cfg *c, const char *strategy, size_t nsyms)
{
    memset(c, 0, sizeof *c);
    c->cash = 1000000 * TR_FX_ONE;
    c->nsyms = nsyms;
    c->strategy = tr_strategy_find(strategy);
    tr_risk_cfg_default(&c->risk);
    c->risk.enabled = 0;
    for (size_t i = 0; i < c->strategy->nparams; i++)
        c->params[i] = c->strategy->params[i].def;
}

static int gen(size_t nsyms, size_t bars, tr_gen_interval iv, tr_bars *out)
{
    tr_gen_opts o = {.seed = 42, .bars = bars, .interval = iv};
    tr_time_parse("2000-01-03", 10, &o.start);
    for (size_t i = 0; i < nsyms; i++) {
        tr_bars_init(&out[i]);
        if (tr_gen_series(&o, (unsigned)i, &out[i]) != TR_OK)
            return -1;
    }
    return 0;
}

/* Best of 3 runs of the engine over bars in memory; bars/s. */
static double loop_best; /* bars/s of the engine loop alone, last run_mem */

static double run_mem(const char *strategy, tr_bars *bars, size_t nsyms,
                      size_t *trades)
{
    const char **names = malloc(nsyms * sizeof *names);
    char (*buf)[16] = malloc(nsyms * sizeof *buf);
    for (size_t i = 0; i < nsyms; i++) {
        tr_gen_symbol((unsigned)i, buf[i], sizeof buf[i]);
        names[i] = buf[i];
    }
    tr_engine_cfg c;
    engine_cfg(&c, strategy, nsyms);
    double best = 0;
    size_t total = 0;
    for (size_t i = 0; i < nsyms; i++)
        total += bars[i].n;
    for (int r = 0; r < 5; r++) {
        tr_bt_result res;
        char err[256];
        double t0 = now();
        int rc = tr_bt_run_bars(&c, names, bars, nsyms, &res, err, sizeof err);
        double t = now() - t0;
        if (rc != TR_OK) {
            fprintf(stderr, "bench_backtest: %s\n", err);
            exit(1);
        }
        *trades = res.ntrades;
        if (r == 0 || (double)total / res.seconds > loop_best)
            loop_best = (double)total / res.seconds;
        tr_bt_result_free(&res);
        if ((double)total / t > best)
            best = (double)total / t;
    }
    free(names);
    free(buf);
    return best;
}

int main(void)
{
    size_t trades;
    /* 1. One symbol, SMA crossover, 10 million one-minute bars. */
    size_t n1 = 10000000;
    tr_bars one;
    if (gen(1, n1, TR_GEN_1M, &one) != 0)
        return 1;
    double r1 = run_mem("sma_cross", &one, 1, &trades);
    printf("sma_cross, 1 symbol, %zu bars in memory: %.1f million bars/s "
           "(%zu trades; target >= 10 million/s)\n", n1, r1 / 1e6, trades);
    printf("  of which the engine loop alone: %.1f million bars/s (the rest: "
           "statistics, copying results)\n", loop_best / 1e6);
    tr_bars_free(&one);

    /* 2. 100 symbols, consensus, 5000 daily bars each. */
    enum { NSYMS = 100 };
    static tr_bars many[NSYMS];
    if (gen(NSYMS, 5000, TR_GEN_1D, many) != 0)
        return 1;
    double r2 = run_mem("consensus", many, NSYMS, &trades);
    printf("consensus, %d symbols x 5000 bars in memory: %.2f million bars/s "
           "(%zu trades)\n", NSYMS, r2 / 1e6, trades);
    for (int i = 0; i < NSYMS; i++)
        tr_bars_free(&many[i]);

    /* 3. End to end from a CSV file: read + run. */
    size_t n3 = 1000000;
    tr_bars csv;
    if (gen(1, n3, TR_GEN_1M, &csv) != 0)
        return 1;
    char path[256];
    snprintf(path, sizeof path, "/tmp/trader_bench_bt_%d.csv", (int)getpid());
    if (tr_csv_write_file(path, &csv) != TR_OK)
        return 1;
    tr_bars_free(&csv);
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = now();
        tr_bars in;
        tr_bars_init(&in);
        if (tr_csv_read_file(path, NULL, &in, NULL) != TR_OK)
            return 1;
        tr_engine_cfg c;
        engine_cfg(&c, "sma_cross", 1);
        const char *names[] = {"SYNA"};
        tr_bt_result res;
        char err[256];
        if (tr_bt_run_bars(&c, names, &in, 1, &res, err, sizeof err) != TR_OK)
            return 1;
        double t = now() - t0;
        trades = res.ntrades;
        tr_bt_result_free(&res);
        tr_bars_free(&in);
        if ((double)n3 / t > best)
            best = (double)n3 / t;
    }
    remove(path);
    printf("sma_cross end to end from a %zu-row CSV (read + run): %.2f million "
           "bars/s (%zu trades; target >= 2 million/s)\n", n3, best / 1e6,
           trades);
    return 0;
}
