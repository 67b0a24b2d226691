/* test_ind_stream.c: for every indicator over a few thousand generated
 * bars, streaming output = batch output = spec (tr_ind) output, bit for
 * bit, readiness flips exactly at the warm-up row; window indicators agree
 * with a naive per-window computation; and the rolling standard deviation
 * stays within 1e-9 of an exact two-pass computation on series built to
 * break running sums (large offsets, steps, spikes, constant stretches,
 * millions of bars). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "ind/dmi.h"
#include "ind/ma.h"
#include "ind/momentum.h"
#include "ind/spec.h"
#include "ind/volatility.h"
#include "ind/volume.h"
#include "test.h"

#define NBARS 6000

static int64_t T[NBARS];
static double O[NBARS], H[NBARS], L[NBARS], C[NBARS], V[NBARS];

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static double urand(void) /* [0, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* A random walk on a one-cent grid (so ties and flat bars happen), minute
 * bars over several UTC days, some bars without volume. */
static void make_bars(void)
{
    double p = 100.0;
    int64_t t = INT64_C(1704205800000000000); /* 2024-01-02T14:30:00Z */
    for (int i = 0; i < NBARS; i++) {
        double o = p;
        double c = round(o * exp((urand() - 0.5) * 0.02) * 100.0) / 100.0;
        if (urand() < 0.05)
            c = o; /* unchanged close */
        if (c < 1.0)
            c = 1.0;
        double hi = round(fmax(o, c) * (1.0 + urand() * 0.01) * 100.0) / 100.0;
        double lo = round(fmin(o, c) * (1.0 - urand() * 0.01) * 100.0) / 100.0;
        if (urand() < 0.02)
            hi = lo = o = c; /* a flat bar */
        T[i] = t;
        O[i] = o;
        H[i] = hi;
        L[i] = lo;
        C[i] = c;
        V[i] = urand() < 0.03 ? 0.0 : round(1000.0 + urand() * 100000.0);
        p = c;
        t += (i % 390 == 389) ? INT64_C(86400000000000) - 389 * 60000000000
                              : INT64_C(60000000000);
    }
}

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* ---- streaming == batch == spec ----------------------------------------- */

/* Compares batch output b with streaming output s and the spec indicator's
 * column col (fed with the same bars); checks the warm-up row. */
typedef struct series_check {
    const char *what;
    size_t warmup;
    size_t bad_stream, bad_spec, bad_ready;
} series_check;

static void check_row(series_check *k, size_t i, double batch, double stream,
                      int stream_ready, const tr_ind *ind, size_t col)
{
    if (!same(batch, stream))
        k->bad_stream++;
    if (ind && !same(batch, tr_ind_value(ind, col)))
        k->bad_spec++;
    int should = i >= k->warmup;
    if (stream_ready != should || isnan(batch) == should ||
        (ind && tr_ind_ready(ind, col) != should))
        k->bad_ready++;
}

static void report(const series_check *k)
{
    CHECK_MSG(k->bad_stream == 0, "%s: %zu rows where streaming != batch",
              k->what, k->bad_stream);
    CHECK_MSG(k->bad_spec == 0, "%s: %zu rows where spec != batch", k->what,
              k->bad_spec);
    CHECK_MSG(k->bad_ready == 0,
              "%s: %zu rows where readiness disagrees with warm-up %zu",
              k->what, k->bad_ready, k->warmup);
}

static tr_ind *spec_new(const char *spec)
{
    tr_ind *ind = NULL;
    char err[256];
    int rc = tr_ind_parse(spec, &ind, err, sizeof err);
    CHECK_MSG(rc == TR_OK, "parse %s: %s", spec, err);
    return ind;
}

static void spec_feed(tr_ind *ind, size_t i)
{
    tr_ind_input in = {T[i], O[i], H[i], L[i], C[i], V[i]};
    tr_ind_update(ind, &in);
}

static double A[NBARS], B[NBARS], Cc[NBARS];

#define ONE_INPUT(NAME, N, SPEC, WARM)                                         \
    do {                                                                       \
        CHECK(tr_ind_##NAME##_batch(C, NBARS, N, A) == TR_OK);                 \
        tr_ind_##NAME s;                                                       \
        CHECK(tr_ind_##NAME##_init(&s, N) == TR_OK);                           \
        tr_ind *ind = spec_new(SPEC);                                          \
        series_check k = {SPEC, WARM, 0, 0, 0};                                \
        CHECK_EQ_I64(tr_ind_##NAME##_warmup(&s), WARM);                        \
        if (ind)                                                               \
            CHECK_EQ_I64(tr_ind_warmup(ind), WARM);                            \
        for (size_t i = 0; i < NBARS; i++) {                                   \
            double v = tr_ind_##NAME##_update(&s, C[i]);                       \
            if (ind)                                                           \
                spec_feed(ind, i);                                             \
            check_row(&k, i, A[i], v, tr_ind_##NAME##_ready(&s), ind, 0);      \
        }                                                                      \
        report(&k);                                                            \
        tr_ind_##NAME##_free(&s);                                              \
        tr_ind_free(ind);                                                      \
    } while (0)

#define HLC_INPUT(NAME, N, SPEC, WARM)                                         \
    do {                                                                       \
        CHECK(tr_ind_##NAME##_batch(H, L, C, NBARS, N, A) == TR_OK);           \
        tr_ind_##NAME s;                                                       \
        CHECK(tr_ind_##NAME##_init(&s, N) == TR_OK);                           \
        tr_ind *ind = spec_new(SPEC);                                          \
        series_check k = {SPEC, WARM, 0, 0, 0};                                \
        CHECK_EQ_I64(tr_ind_##NAME##_warmup(&s), WARM);                        \
        for (size_t i = 0; i < NBARS; i++) {                                   \
            double v = tr_ind_##NAME##_update(&s, H[i], L[i], C[i]);           \
            if (ind)                                                           \
                spec_feed(ind, i);                                             \
            check_row(&k, i, A[i], v, tr_ind_##NAME##_ready(&s), ind, 0);      \
        }                                                                      \
        report(&k);                                                            \
        tr_ind_##NAME##_free(&s);                                              \
        tr_ind_free(ind);                                                      \
    } while (0)

static void test_stream_equals_batch(void)
{
    ONE_INPUT(sma, 20, "sma:20", 19);
    ONE_INPUT(sma, 1, "sma:1", 0);
    ONE_INPUT(ema, 20, "ema:20", 19);
    ONE_INPUT(ema, 3, "ema:3", 2);
    ONE_INPUT(wma, 20, "wma:20", 19);
    ONE_INPUT(wma, 7, "wma:7", 6);
    ONE_INPUT(rsi, 14, "rsi:14", 14);
    ONE_INPUT(rsi, 2, "rsi:2", 2);
    ONE_INPUT(stddev, 20, "stddev:20", 19);
    ONE_INPUT(stddev, 1, "stddev:1", 0);
    ONE_INPUT(roc, 10, "roc:10", 10);
    ONE_INPUT(mom, 10, "mom:10", 10);
    HLC_INPUT(atr, 14, "atr:14", 14);
    HLC_INPUT(natr, 14, "natr:14", 14);
    HLC_INPUT(willr, 14, "willr:14", 13);
    HLC_INPUT(cci, 20, "cci:20", 19);

    { /* TRANGE */
        CHECK(tr_ind_trange_batch(H, L, C, NBARS, A) == TR_OK);
        tr_ind_trange s;
        tr_ind_trange_init(&s);
        tr_ind *ind = spec_new("trange");
        series_check k = {"trange", 1, 0, 0, 0};
        for (size_t i = 0; i < NBARS; i++) {
            double v = tr_ind_trange_update(&s, H[i], L[i], C[i]);
            spec_feed(ind, i);
            check_row(&k, i, A[i], v, tr_ind_trange_ready(&s), ind, 0);
        }
        report(&k);
        tr_ind_free(ind);
    }
    { /* OBV */
        CHECK(tr_ind_obv_batch(C, V, NBARS, A) == TR_OK);
        tr_ind_obv s;
        tr_ind_obv_init(&s);
        tr_ind *ind = spec_new("obv");
        series_check k = {"obv", 0, 0, 0, 0};
        for (size_t i = 0; i < NBARS; i++) {
            double v = tr_ind_obv_update(&s, C[i], V[i]);
            spec_feed(ind, i);
            check_row(&k, i, A[i], v, tr_ind_obv_ready(&s), ind, 0);
        }
        report(&k);
        tr_ind_free(ind);
    }
    { /* MFI */
        CHECK(tr_ind_mfi_batch(H, L, C, V, NBARS, 14, A) == TR_OK);
        tr_ind_mfi s;
        CHECK(tr_ind_mfi_init(&s, 14) == TR_OK);
        tr_ind *ind = spec_new("mfi:14");
        series_check k = {"mfi:14", 14, 0, 0, 0};
        for (size_t i = 0; i < NBARS; i++) {
            double v = tr_ind_mfi_update(&s, H[i], L[i], C[i], V[i]);
            spec_feed(ind, i);
            check_row(&k, i, A[i], v, tr_ind_mfi_ready(&s), ind, 0);
        }
        report(&k);
        tr_ind_mfi_free(&s);
        tr_ind_free(ind);
    }
    { /* VWAP */
        CHECK(tr_ind_vwap_batch(T, H, L, C, V, NBARS, A) == TR_OK);
        tr_ind_vwap s;
        tr_ind_vwap_init(&s);
        tr_ind *ind = spec_new("vwap");
        series_check k = {"vwap", 0, 0, 0, 0};
        for (size_t i = 0; i < NBARS; i++) {
            double v = tr_ind_vwap_update(&s, T[i], H[i], L[i], C[i], V[i]);
            spec_feed(ind, i);
            check_row(&k, i, A[i], v, tr_ind_vwap_ready(&s), ind, 0);
        }
        report(&k);
        tr_ind_free(ind);
    }
    { /* MACD */
        CHECK(tr_ind_macd_batch(C, NBARS, 12, 26, 9, A, B, Cc) == TR_OK);
        tr_ind_macd s;
        CHECK(tr_ind_macd_init(&s, 12, 26, 9) == TR_OK);
        tr_ind *ind = spec_new("macd:12:26:9");
        series_check k[3] = {{"macd", 33, 0, 0, 0},
                             {"macd signal", 33, 0, 0, 0},
                             {"macd hist", 33, 0, 0, 0}};
        for (size_t i = 0; i < NBARS; i++) {
            tr_ind_macd_out o;
            tr_ind_macd_update(&s, C[i], &o);
            spec_feed(ind, i);
            int r = tr_ind_macd_ready(&s);
            check_row(&k[0], i, A[i], o.macd, r, ind, 0);
            check_row(&k[1], i, B[i], o.signal, r, ind, 1);
            check_row(&k[2], i, Cc[i], o.hist, r, ind, 2);
        }
        for (int j = 0; j < 3; j++)
            report(&k[j]);
        tr_ind_free(ind);
    }
    { /* BBANDS */
        CHECK(tr_ind_bbands_batch(C, NBARS, 20, 2.0, A, B, Cc) == TR_OK);
        tr_ind_bbands s;
        CHECK(tr_ind_bbands_init(&s, 20, 2.0) == TR_OK);
        tr_ind *ind = spec_new("bbands:20:2");
        series_check k[3] = {{"bbands upper", 19, 0, 0, 0},
                             {"bbands middle", 19, 0, 0, 0},
                             {"bbands lower", 19, 0, 0, 0}};
        for (size_t i = 0; i < NBARS; i++) {
            tr_ind_bbands_out o;
            tr_ind_bbands_update(&s, C[i], &o);
            spec_feed(ind, i);
            int r = tr_ind_bbands_ready(&s);
            check_row(&k[0], i, A[i], o.upper, r, ind, 0);
            check_row(&k[1], i, B[i], o.middle, r, ind, 1);
            check_row(&k[2], i, Cc[i], o.lower, r, ind, 2);
        }
        for (int j = 0; j < 3; j++)
            report(&k[j]);
        tr_ind_bbands_free(&s);
        tr_ind_free(ind);
    }
    { /* ADX, +DI, -DI */
        CHECK(tr_ind_adx_batch(H, L, C, NBARS, 14, A, B, Cc) == TR_OK);
        tr_ind_adx s;
        CHECK(tr_ind_adx_init(&s, 14) == TR_OK);
        tr_ind *adx = spec_new("adx:14"), *pdi = spec_new("plus_di:14"),
               *mdi = spec_new("minus_di:14");
        series_check k[3] = {{"adx", 27, 0, 0, 0},
                             {"plus_di", 14, 0, 0, 0},
                             {"minus_di", 14, 0, 0, 0}};
        for (size_t i = 0; i < NBARS; i++) {
            tr_ind_adx_out o;
            tr_ind_adx_update(&s, H[i], L[i], C[i], &o);
            spec_feed(adx, i);
            spec_feed(pdi, i);
            spec_feed(mdi, i);
            check_row(&k[0], i, A[i], o.adx, tr_ind_adx_ready(&s), adx, 0);
            check_row(&k[1], i, B[i], o.plus_di, tr_ind_adx_di_ready(&s), pdi,
                      0);
            check_row(&k[2], i, Cc[i], o.minus_di, tr_ind_adx_di_ready(&s),
                      mdi, 0);
        }
        for (int j = 0; j < 3; j++)
            report(&k[j]);
        tr_ind_free(adx);
        tr_ind_free(pdi);
        tr_ind_free(mdi);
    }
    { /* STOCH */
        CHECK(tr_ind_stoch_batch(H, L, C, NBARS, 14, 3, 3, A, B) == TR_OK);
        tr_ind_stoch s;
        CHECK(tr_ind_stoch_init(&s, 14, 3, 3) == TR_OK);
        tr_ind *ind = spec_new("stoch:14:3:3");
        series_check k[2] = {{"stoch slowk", 17, 0, 0, 0},
                             {"stoch slowd", 17, 0, 0, 0}};
        for (size_t i = 0; i < NBARS; i++) {
            tr_ind_stoch_out o;
            tr_ind_stoch_update(&s, H[i], L[i], C[i], &o);
            spec_feed(ind, i);
            int r = tr_ind_stoch_ready(&s);
            check_row(&k[0], i, A[i], o.slowk, r, ind, 0);
            check_row(&k[1], i, B[i], o.slowd, r, ind, 1);
        }
        report(&k[0]);
        report(&k[1]);
        tr_ind_stoch_free(&s);
        tr_ind_free(ind);
    }
}

/* ---- against naive per-window computations ------------------------------ */

/* max relative error of got[] against want[] from row `from`, relative to
 * max(|want|, floor). NaN in either counts as an infinite error. */
static double max_err(const double *got, const long double *want,
                      size_t from, size_t len, double floor)
{
    double worst = 0.0;
    for (size_t i = from; i < len; i++) {
        double w = (double)want[i];
        double e = isnan(got[i]) || isnan(w)
                       ? INFINITY
                       : fabs(got[i] - w) / fmax(fabs(w), floor);
        if (e > worst)
            worst = e;
    }
    return worst;
}

static long double W[NBARS];

static void test_against_naive(void)
{
    const size_t n = 20;
    /* SMA and BBANDS' middle */
    for (size_t i = n - 1; i < NBARS; i++) {
        long double s = 0;
        for (size_t j = i + 1 - n; j <= i; j++)
            s += C[j];
        W[i] = s / n;
    }
    CHECK(tr_ind_sma_batch(C, NBARS, n, A) == TR_OK);
    double e = max_err(A, W, n - 1, NBARS, 1.0);
    CHECK_MSG(e < 1e-14, "sma vs naive: %.3g", e);
    CHECK(tr_ind_bbands_batch(C, NBARS, n, 2.0, NULL, A, NULL) == TR_OK);
    e = max_err(A, W, n - 1, NBARS, 1.0);
    CHECK_MSG(e < 1e-14, "bbands middle vs naive: %.3g", e);

    /* WMA */
    for (size_t i = n - 1; i < NBARS; i++) {
        long double s = 0;
        for (size_t j = 0; j < n; j++)
            s += (long double)(j + 1) * C[i + 1 - n + j];
        W[i] = s / (n * (n + 1) / 2);
    }
    CHECK(tr_ind_wma_batch(C, NBARS, n, A) == TR_OK);
    e = max_err(A, W, n - 1, NBARS, 1.0);
    CHECK_MSG(e < 1e-14, "wma vs naive: %.3g", e);

    /* STOCH (fast %K by window scan, then plain means) and WILLR */
    static double fk[NBARS], sk[NBARS];
    for (size_t i = 13; i < NBARS; i++) {
        double hh = H[i], ll = L[i];
        for (size_t j = i - 13; j < i; j++) {
            hh = fmax(hh, H[j]);
            ll = fmin(ll, L[j]);
        }
        fk[i] = hh != ll ? 100.0 * (C[i] - ll) / (hh - ll) : 0.0;
        W[i] = hh != ll ? -100.0 * (hh - C[i]) / (hh - ll) : 0.0;
    }
    CHECK(tr_ind_willr_batch(H, L, C, NBARS, 14, A) == TR_OK);
    e = max_err(A, W, 13, NBARS, 1.0);
    CHECK_MSG(e < 1e-14, "willr vs naive: %.3g", e);
    for (size_t i = 15; i < NBARS; i++)
        sk[i] = (fk[i] + fk[i - 1] + fk[i - 2]) / 3.0;
    for (size_t i = 17; i < NBARS; i++)
        W[i] = (sk[i] + sk[i - 1] + sk[i - 2]) / 3.0;
    CHECK(tr_ind_stoch_batch(H, L, C, NBARS, 14, 3, 3, NULL, A) == TR_OK);
    e = max_err(A, W, 17, NBARS, 1.0);
    CHECK_MSG(e < 1e-12, "stoch slowd vs naive: %.3g", e);

    /* MFI */
    for (size_t i = 14; i < NBARS; i++) {
        long double pos = 0, neg = 0;
        for (size_t j = i - 13; j <= i; j++) {
            double tp = (H[j] + L[j] + C[j]) / 3.0;
            double pp = (H[j - 1] + L[j - 1] + C[j - 1]) / 3.0;
            if (tp > pp)
                pos += (long double)tp * V[j];
            else if (tp < pp)
                neg += (long double)tp * V[j];
        }
        W[i] = pos + neg < 1 ? 0 : 100 * pos / (pos + neg);
    }
    CHECK(tr_ind_mfi_batch(H, L, C, V, NBARS, 14, A) == TR_OK);
    e = max_err(A, W, 14, NBARS, 1.0);
    CHECK_MSG(e < 1e-12, "mfi vs naive: %.3g", e);

    /* CCI */
    for (size_t i = n - 1; i < NBARS; i++) {
        long double m = 0, d = 0;
        for (size_t j = i + 1 - n; j <= i; j++)
            m += (H[j] + L[j] + C[j]) / 3.0;
        m /= n;
        for (size_t j = i + 1 - n; j <= i; j++) {
            long double x = (H[j] + L[j] + C[j]) / 3.0 - m;
            d += x < 0 ? -x : x;
        }
        long double x = (H[i] + L[i] + C[i]) / 3.0 - m;
        W[i] = d == 0 ? 0 : x / (0.015L * (d / n));
    }
    CHECK(tr_ind_cci_batch(H, L, C, NBARS, n, A) == TR_OK);
    e = max_err(A, W, n - 1, NBARS, 1.0);
    CHECK_MSG(e < 1e-9, "cci vs naive: %.3g", e);

    /* VWAP: per-session sums */
    long double pv = 0, vol = 0;
    for (size_t i = 0; i < NBARS; i++) {
        if (i == 0 || T[i] / INT64_C(86400000000000) !=
                          T[i - 1] / INT64_C(86400000000000))
            pv = vol = 0;
        double tp = (H[i] + L[i] + C[i]) / 3.0;
        pv += (long double)tp * V[i];
        vol += V[i];
        W[i] = vol != 0 ? pv / vol : tp;
    }
    CHECK(tr_ind_vwap_batch(T, H, L, C, V, NBARS, A) == TR_OK);
    e = max_err(A, W, 0, NBARS, 1.0);
    CHECK_MSG(e < 1e-14, "vwap vs naive: %.3g", e);
}

/* ---- STDDEV accuracy ----------------------------------------------------- */

/* Exact-ish population sd of x[i+1-n .. i]: two passes in long double. */
static long double sd_exact(const double *x, size_t i, size_t n)
{
    long double m = 0, s = 0;
    for (size_t j = i + 1 - n; j <= i; j++)
        m += x[j];
    m /= n;
    for (size_t j = i + 1 - n; j <= i; j++)
        s += (x[j] - m) * (x[j] - m);
    return sqrtl(s / n);
}

/* Compares stddev(n) over x with the exact value: relative 1e-9, and exactly
 * 0 wherever the window is constant. */
static void check_sd(const char *what, const double *x, size_t len, size_t n)
{
    double *out = malloc(len * sizeof *out);
    CHECK(out != NULL);
    if (!out)
        return;
    CHECK(tr_ind_stddev_batch(x, len, n, out) == TR_OK);
    double worst = 0.0;
    size_t bad_zero = 0, worst_row = 0;
    for (size_t i = n - 1; i < len; i++) {
        long double want = sd_exact(x, i, n);
        int constant = 1;
        for (size_t j = i + 1 - n; j < i && constant; j++)
            constant = x[j] == x[i];
        if (constant) {
            bad_zero += out[i] != 0.0;
            continue;
        }
        double e = (double)(fabsl(out[i] - want) / want);
        if (!(e <= worst)) {
            worst = e;
            worst_row = i;
        }
    }
    CHECK_MSG(worst < 1e-9, "stddev:%zu %s: relative error %.3g at row %zu",
              n, what, worst, worst_row);
    CHECK_MSG(bad_zero == 0, "stddev:%zu %s: %zu constant windows not 0", n,
              what, bad_zero);
    free(out);
}

static void test_stddev_accuracy(void)
{
    enum { LEN = 20000 };
    static double x[LEN];
    size_t ns[] = {2, 5, 20, 100, 1000};

    /* A large offset with a tiny spread: naive sums lose everything. */
    for (size_t i = 0; i < LEN; i++)
        x[i] = 1e6 + (urand() - 0.5) * 1e-3;
    for (size_t k = 0; k < 5; k++)
        check_sd("offset 1e6, spread 1e-3", x, LEN, ns[k]);

    /* Steps between constant stretches of non-representable prices. */
    for (size_t i = 0; i < LEN; i++)
        x[i] = (i / 150) % 2 ? 200.3 : 100.1 + (double)((i / 300) % 7) * 0.7;
    for (size_t k = 0; k < 4; k++)
        check_sd("steps and flat stretches", x, LEN, ns[k]);

    /* A spike of 1e8 among values near 1 with small noise: after it leaves
     * the window, the residue must not stay in the sums. */
    for (size_t i = 0; i < LEN; i++)
        x[i] = 1.0 + urand() * 1e-4 + (i % 5000 == 100 ? 1e8 : 0.0);
    for (size_t k = 0; k < 5; k++)
        check_sd("spikes", x, LEN, ns[k]);

    /* A random walk that trends far from where it started. */
    double p = 10.0;
    for (size_t i = 0; i < LEN; i++) {
        p *= exp((urand() - 0.48) * 0.01);
        x[i] = round(p * 100.0) / 100.0;
    }
    for (size_t k = 0; k < 5; k++)
        check_sd("trending walk on a cent grid", x, LEN, ns[k]);
}

/* Millions of updates: the compensated sums must not drift. */
static void test_long_run(void)
{
    enum { LONG = 3000000, N = 50 };
    tr_ind_sma sma;
    tr_ind_stddev sd;
    tr_ind_wma wma;
    CHECK(tr_ind_sma_init(&sma, N) == TR_OK);
    CHECK(tr_ind_stddev_init(&sd, N) == TR_OK);
    CHECK(tr_ind_wma_init(&wma, N) == TR_OK);
    static double last[N];
    double p = 5000.0, m = 0, s = 0, w = 0;
    for (size_t i = 0; i < LONG; i++) {
        p += (urand() - 0.5) * 3.0;
        if (p < 10.0)
            p = 10.0;
        double x = round(p * 100.0) / 100.0 + (i % 1000 == 7 ? 1e6 : 0.0);
        last[i % N] = x;
        m = tr_ind_sma_update(&sma, x);
        s = tr_ind_stddev_update(&sd, x);
        w = tr_ind_wma_update(&wma, x);
    }
    long double ms = 0, ss = 0, ws = 0;
    for (size_t j = 0; j < N; j++)
        ms += last[j];
    ms /= N;
    for (size_t j = 0; j < N; j++)
        ss += (last[j] - ms) * (last[j] - ms);
    ss = sqrtl(ss / N);
    /* last[] is a ring: the oldest value sits at LONG % N. */
    for (size_t j = 0; j < N; j++)
        ws += (long double)(j + 1) * last[(LONG + j) % N];
    ws /= N * (N + 1) / 2;
    CHECK_MSG(fabsl(m - ms) / ms < 1e-14,
              "sma after %d updates: %.17g vs %.17Lg", LONG, m, ms);
    CHECK_MSG(fabsl(s - ss) / ss < 1e-12,
              "stddev after %d updates: %.17g vs %.17Lg", LONG, s, ss);
    CHECK_MSG(fabsl(w - ws) / ws < 1e-14,
              "wma after %d updates: %.17g vs %.17Lg", LONG, w, ws);
    tr_ind_sma_free(&sma);
    tr_ind_stddev_free(&sd);
    tr_ind_wma_free(&wma);
}

int main(void)
{
    make_bars();
    test_stream_equals_batch();
    test_against_naive();
    test_stddev_accuracy();
    test_long_run();
    return test_summary();
}
