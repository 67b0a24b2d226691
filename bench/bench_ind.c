/* bench_ind.c: nanoseconds per update of every streaming indicator.
 *
 * usage: bench_ind [UPDATES]   (default 5,000,000 per indicator)
 *
 * Bars are generated once (a random walk on a cent grid, 2^20 bars reused
 * round-robin so the inputs stay in memory without measuring the
 * generator); each indicator then runs UPDATES updates, best of 3 timed
 * runs (CLOCK_MONOTONIC). Each figure includes reading the inputs and
 * adding the output to a checksum that is printed, so the compiler cannot
 * drop the work. Target (DESIGN.md): <= 20 ns per update for SMA, EMA and
 * RSI on one core. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ind/dmi.h"
#include "ind/ma.h"
#include "ind/momentum.h"
#include "ind/spec.h"
#include "ind/volatility.h"
#include "ind/volume.h"

#define NB   ((size_t)1 << 20)
#define MASK (NB - 1)

static int64_t *T;
static double *H, *L, *C, *V;
static volatile double sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int make_bars(void)
{
    T = malloc(NB * sizeof *T);
    H = malloc(NB * sizeof *H);
    L = malloc(NB * sizeof *L);
    C = malloc(NB * sizeof *C);
    V = malloc(NB * sizeof *V);
    if (!T || !H || !L || !C || !V)
        return -1;
    uint64_t s = 88172645463325252u;
    double p = 100.0;
    for (size_t i = 0; i < NB; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double u = (double)(s >> 11) / 9007199254740992.0;
        double o = p;
        p = fmax(1.0, round(p * (1.0 + (u - 0.5) * 0.01) * 100.0) / 100.0);
        H[i] = fmax(o, p) + 0.05;
        L[i] = fmin(o, p) - 0.05;
        C[i] = p;
        V[i] = round(1000.0 + u * 50000.0);
        T[i] = INT64_C(1704205800000000000) + (int64_t)i * 60000000000;
    }
    return 0;
}

typedef struct result {
    const char *name;
    double ns;
    double target; /* 0: none */
} result;

static result results[64];
static size_t nresults;

/* Time BODY (which uses loop index i and adds to acc) over `updates`
 * iterations, best of 3 runs, each with a fresh indicator from INIT. */
#define BENCH(NAME, TARGET, DECL, INIT, BODY, FREE)                            \
    do {                                                                       \
        double best = INFINITY, acc = 0.0;                                     \
        for (int run = 0; run < 3; run++) {                                    \
            DECL;                                                              \
            if (INIT) {                                                        \
                fprintf(stderr, "init failed: %s\n", NAME);                    \
                exit(1);                                                       \
            }                                                                  \
            double t0 = now_ns();                                              \
            for (size_t n = 0; n < updates; n++) {                             \
                size_t i = n & MASK;                                           \
                BODY;                                                          \
            }                                                                  \
            double dt = (now_ns() - t0) / (double)updates;                     \
            if (dt < best)                                                     \
                best = dt;                                                     \
            FREE;                                                              \
        }                                                                      \
        sink += acc;                                                           \
        results[nresults++] = (result){NAME, best, TARGET};                    \
    } while (0)

/* acc += v (evaluated once), the warm-up NaNs counted as 0. */
#define ADD(v)                                                                 \
    do {                                                                       \
        double v_ = (v);                                                       \
        acc += v_ == v_ ? v_ : 0.0;                                            \
    } while (0)

int main(int argc, char **argv)
{
    size_t updates = 5000000;
    if (argc > 1) {
        char *end;
        unsigned long long u = strtoull(argv[1], &end, 10);
        if (*end || u == 0) {
            fprintf(stderr, "usage: bench_ind [UPDATES]\n");
            return 2;
        }
        updates = (size_t)u;
    }
    if (make_bars() != 0) {
        fprintf(stderr, "bench_ind: out of memory\n");
        return 1;
    }

    BENCH("sma:20", 20, tr_ind_sma s, tr_ind_sma_init(&s, 20),
          ADD(tr_ind_sma_update(&s, C[i])), tr_ind_sma_free(&s));
    BENCH("ema:20", 20, tr_ind_ema s, tr_ind_ema_init(&s, 20),
          ADD(tr_ind_ema_update(&s, C[i])), tr_ind_ema_free(&s));
    BENCH("rsi:14", 20, tr_ind_rsi s, tr_ind_rsi_init(&s, 14),
          ADD(tr_ind_rsi_update(&s, C[i])), tr_ind_rsi_free(&s));
    BENCH("wma:20", 0, tr_ind_wma s, tr_ind_wma_init(&s, 20),
          ADD(tr_ind_wma_update(&s, C[i])), tr_ind_wma_free(&s));
    BENCH("macd:12:26:9", 0, tr_ind_macd s; tr_ind_macd_out o,
          tr_ind_macd_init(&s, 12, 26, 9),
          tr_ind_macd_update(&s, C[i], &o);
          ADD(o.hist), tr_ind_macd_free(&s));
    BENCH("bbands:20:2", 0, tr_ind_bbands s; tr_ind_bbands_out o,
          tr_ind_bbands_init(&s, 20, 2.0),
          tr_ind_bbands_update(&s, C[i], &o);
          ADD(o.upper), tr_ind_bbands_free(&s));
    BENCH("stddev:20", 0, tr_ind_stddev s, tr_ind_stddev_init(&s, 20),
          ADD(tr_ind_stddev_update(&s, C[i])), tr_ind_stddev_free(&s));
    BENCH("trange", 0, tr_ind_trange s, tr_ind_trange_init(&s),
          ADD(tr_ind_trange_update(&s, H[i], L[i], C[i])),
          tr_ind_trange_free(&s));
    BENCH("atr:14", 0, tr_ind_atr s, tr_ind_atr_init(&s, 14),
          ADD(tr_ind_atr_update(&s, H[i], L[i], C[i])), tr_ind_atr_free(&s));
    BENCH("natr:14", 0, tr_ind_natr s, tr_ind_natr_init(&s, 14),
          ADD(tr_ind_natr_update(&s, H[i], L[i], C[i])),
          tr_ind_natr_free(&s));
    BENCH("adx:14 (+DI, -DI too)", 0, tr_ind_adx s; tr_ind_adx_out o,
          tr_ind_adx_init(&s, 14),
          tr_ind_adx_update(&s, H[i], L[i], C[i], &o);
          ADD(o.adx), tr_ind_adx_free(&s));
    BENCH("stoch:14:3:3", 0, tr_ind_stoch s; tr_ind_stoch_out o,
          tr_ind_stoch_init(&s, 14, 3, 3),
          tr_ind_stoch_update(&s, H[i], L[i], C[i], &o);
          ADD(o.slowd), tr_ind_stoch_free(&s));
    BENCH("willr:14", 0, tr_ind_willr s, tr_ind_willr_init(&s, 14),
          ADD(tr_ind_willr_update(&s, H[i], L[i], C[i])),
          tr_ind_willr_free(&s));
    BENCH("cci:20 (O(n))", 0, tr_ind_cci s, tr_ind_cci_init(&s, 20),
          ADD(tr_ind_cci_update(&s, H[i], L[i], C[i])), tr_ind_cci_free(&s));
    BENCH("mfi:14", 0, tr_ind_mfi s, tr_ind_mfi_init(&s, 14),
          ADD(tr_ind_mfi_update(&s, H[i], L[i], C[i], V[i])),
          tr_ind_mfi_free(&s));
    BENCH("obv", 0, tr_ind_obv s, tr_ind_obv_init(&s),
          ADD(tr_ind_obv_update(&s, C[i], V[i])), tr_ind_obv_free(&s));
    BENCH("roc:10", 0, tr_ind_roc s, tr_ind_roc_init(&s, 10),
          ADD(tr_ind_roc_update(&s, C[i])), tr_ind_roc_free(&s));
    BENCH("mom:10", 0, tr_ind_mom s, tr_ind_mom_init(&s, 10),
          ADD(tr_ind_mom_update(&s, C[i])), tr_ind_mom_free(&s));
    BENCH("vwap", 0, tr_ind_vwap s, tr_ind_vwap_init(&s),
          ADD(tr_ind_vwap_update(&s, T[i], H[i], L[i], C[i], V[i])),
          tr_ind_vwap_free(&s));
    /* The run-time dispatch of spec.h, for comparison with the typed one. */
    BENCH("sma:20 via tr_ind (spec)", 0, tr_ind *s = NULL;
          tr_ind_input in, tr_ind_parse("sma:20", &s, NULL, 0),
          in.time = T[i]; in.open = C[i]; in.high = H[i]; in.low = L[i];
          in.close = C[i]; in.volume = V[i]; tr_ind_update(s, &in);
          ADD(tr_ind_value(s, 0)), tr_ind_free(s));

    printf("%-28s %10s\n", "indicator", "ns/update");
    int over = 0;
    for (size_t k = 0; k < nresults; k++) {
        const result *r = &results[k];
        printf("%-28s %10.2f", r->name, r->ns);
        if (r->target > 0) {
            printf("   target <= %.0f: %s", r->target,
                   r->ns <= r->target ? "ok" : "OVER");
            over |= r->ns > r->target;
        }
        printf("\n");
    }
    printf("(%zu updates each, best of 3; checksum %.6g)\n", updates,
           (double)sink);
    free(T);
    free(H);
    free(L);
    free(C);
    free(V);
    if (over)
        printf("some indicator is over its target\n");
    return 0;
}
