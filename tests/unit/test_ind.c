/* test_ind.c: indicators on small hand-computed cases: the warm-up row and
 * the seed of each, the first values, readiness, and the 0-denominator
 * conventions. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "ind/dmi.h"
#include "ind/ma.h"
#include "ind/momentum.h"
#include "ind/volatility.h"
#include "ind/volume.h"
#include "test.h"

static int near_(double a, double b, double rel)
{
    if (isnan(a) || isnan(b))
        return 0;
    double s = fmax(fabs(a), fabs(b));
    return fabs(a - b) <= rel * (s > 1.0 ? s : 1.0);
}

#define CHECK_NEAR(a, b, rel)                                                  \
    CHECK_MSG(near_((a), (b), (rel)), "%s ~ %s: got %.17g, expected %.17g",    \
              #a, #b, (double)(a), (double)(b))
#define CHECK_NAN(a)                                                           \
    CHECK_MSG(isnan(a), "%s: expected NaN, got %.17g", #a, (double)(a))
#define CHECK_EQ_D(a, b)                                                       \
    CHECK_MSG((a) == (b), "%s == %s: got %.17g, expected %.17g", #a, #b,       \
              (double)(a), (double)(b))

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_sma(void)
{
    double x[] = {1, 2, 3, 4, 5}, out[5];
    CHECK(tr_ind_sma_batch(x, 5, 3, out) == TR_OK);
    CHECK_NAN(out[0]);
    CHECK_NAN(out[1]);
    CHECK_EQ_D(out[2], 2.0);
    CHECK_EQ_D(out[3], 3.0);
    CHECK_EQ_D(out[4], 4.0);

    tr_ind_sma s;
    CHECK(tr_ind_sma_init(&s, 3) == TR_OK);
    CHECK_EQ_I64(tr_ind_sma_warmup(&s), 2);
    for (int i = 0; i < 3; i++) {
        CHECK(!tr_ind_sma_ready(&s));
        tr_ind_sma_update(&s, x[i]);
    }
    CHECK(tr_ind_sma_ready(&s));
    tr_ind_sma_free(&s);
    tr_ind_sma_free(&s); /* safe twice */

    CHECK(tr_ind_sma_init(&s, 0) == TR_ERR_INVALID);
    CHECK(tr_ind_sma_batch(x, 5, 0, out) == TR_ERR_INVALID);
    /* n = 1 is the input itself. */
    CHECK(tr_ind_sma_batch(x, 5, 1, out) == TR_OK);
    CHECK_EQ_D(out[0], 1.0);
    CHECK_EQ_D(out[4], 5.0);
}

static void test_ema(void)
{
    /* EMA(3) of 1..5: seeded with the SMA of the first 3, then k = 0.5. */
    double x[] = {1, 2, 3, 4, 5}, out[5];
    CHECK(tr_ind_ema_batch(x, 5, 3, out) == TR_OK);
    CHECK_NAN(out[0]);
    CHECK_NAN(out[1]);
    CHECK_EQ_D(out[2], 2.0);
    CHECK_EQ_D(out[3], 3.0);
    CHECK_EQ_D(out[4], 4.0);

    double y[] = {2, 4, 6, 8, 1};
    CHECK(tr_ind_ema_batch(y, 5, 3, out) == TR_OK);
    CHECK_EQ_D(out[2], 4.0);
    CHECK_EQ_D(out[3], 6.0);
    CHECK_EQ_D(out[4], 3.5);

    tr_ind_ema e;
    CHECK(tr_ind_ema_init(&e, 3) == TR_OK);
    CHECK_EQ_I64(tr_ind_ema_warmup(&e), 2);
    tr_ind_ema_update(&e, 1);
    tr_ind_ema_update(&e, 2);
    CHECK(!tr_ind_ema_ready(&e));
    tr_ind_ema_update(&e, 3);
    CHECK(tr_ind_ema_ready(&e));
}

static void test_wma(void)
{
    double x[] = {1, 2, 3, 4}, out[4];
    CHECK(tr_ind_wma_batch(x, 4, 3, out) == TR_OK);
    CHECK_NAN(out[1]);
    CHECK_NEAR(out[2], 14.0 / 6.0, 1e-15); /* (1*1 + 2*2 + 3*3) / 6 */
    CHECK_NEAR(out[3], 20.0 / 6.0, 1e-15); /* (2*1 + 3*2 + 4*3) / 6 */
    tr_ind_wma w;
    CHECK(tr_ind_wma_init(&w, 3) == TR_OK);
    CHECK_EQ_I64(tr_ind_wma_warmup(&w), 2);
    tr_ind_wma_free(&w);
}

static void test_rsi(void)
{
    /* Changes +1, -0.5, +1.5, -1, +0.5. First value (row 3) from the plain
     * means gain 2.5/3 and loss 0.5/3; then Wilder. */
    double x[] = {10, 11, 10.5, 12, 11, 11.5}, out[6];
    CHECK(tr_ind_rsi_batch(x, 6, 3, out) == TR_OK);
    CHECK_NAN(out[0]);
    CHECK_NAN(out[2]);
    CHECK_NEAR(out[3], 100.0 * 2.5 / 3.0, 1e-14);
    CHECK_NEAR(out[4], 100.0 * 5.0 / 9.0, 1e-14);  /* gain 5/9, loss 4/9 */
    CHECK_NEAR(out[5], 100.0 * 14.5 / 22.5, 1e-14); /* 14.5/27, 8/27 */

    tr_ind_rsi r;
    CHECK(tr_ind_rsi_init(&r, 3) == TR_OK);
    CHECK_EQ_I64(tr_ind_rsi_warmup(&r), 3);
    for (int i = 0; i < 3; i++)
        tr_ind_rsi_update(&r, x[i]);
    CHECK(!tr_ind_rsi_ready(&r));
    tr_ind_rsi_update(&r, x[3]);
    CHECK(tr_ind_rsi_ready(&r));

    /* No change at all: gain + loss = 0 gives 0. Only gains: 100. */
    double flat[] = {5, 5, 5, 5, 5}, up[] = {1, 2, 3, 4, 5};
    CHECK(tr_ind_rsi_batch(flat, 5, 2, out) == TR_OK);
    CHECK_EQ_D(out[2], 0.0);
    CHECK_EQ_D(out[4], 0.0);
    CHECK(tr_ind_rsi_batch(up, 5, 2, out) == TR_OK);
    CHECK_EQ_D(out[2], 100.0);
    CHECK_EQ_D(out[4], 100.0);
}

static void test_macd(void)
{
    /* MACD(2, 3, 2) of 1, 2, 4, 8, 16, 32. Slow EMA(3) seeded at row 2
     * with 7/3; fast EMA(2) starts at row 1, seeded at row 2 with
     * mean(2, 4) = 3; macd = 2/3, 7/6, 79/36, ...; signal EMA(2) seeded at
     * row 3 with mean(2/3, 7/6) = 11/12. */
    double x[] = {1, 2, 4, 8, 16, 32};
    double m[6], s[6], h[6];
    CHECK(tr_ind_macd_batch(x, 6, 2, 3, 2, m, s, h) == TR_OK);
    for (int i = 0; i < 3; i++) {
        CHECK_NAN(m[i]);
        CHECK_NAN(s[i]);
        CHECK_NAN(h[i]);
    }
    CHECK_NEAR(m[3], 7.0 / 6.0, 1e-14);
    CHECK_NEAR(s[3], 11.0 / 12.0, 1e-14);
    CHECK_NEAR(h[3], 0.25, 1e-14);
    CHECK_NEAR(m[4], 79.0 / 36.0, 1e-14);
    CHECK_NEAR(s[4], 191.0 / 108.0, 1e-14);
    CHECK_NEAR(h[4], 46.0 / 108.0, 1e-14);
    CHECK_NEAR(m[5], 929.0 / 216.0, 1e-14);

    tr_ind_macd md;
    CHECK(tr_ind_macd_init(&md, 12, 26, 9) == TR_OK);
    CHECK_EQ_I64(tr_ind_macd_warmup(&md), 33);
    tr_ind_macd_out o;
    for (int i = 0; i < 33; i++) {
        tr_ind_macd_update(&md, 100.0 + i, &o);
        CHECK(!tr_ind_macd_ready(&md));
    }
    CHECK_NAN(o.macd);
    tr_ind_macd_update(&md, 133.0, &o);
    CHECK(tr_ind_macd_ready(&md));
    CHECK(!isnan(o.macd) && !isnan(o.signal) && !isnan(o.hist));
    CHECK(tr_ind_macd_init(&md, 26, 12, 9) == TR_ERR_INVALID);
    CHECK(tr_ind_macd_init(&md, 12, 12, 9) == TR_ERR_INVALID);
    CHECK(tr_ind_macd_init(&md, 12, 26, 0) == TR_ERR_INVALID);
}

static void test_stddev_bbands(void)
{
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9}, out[8];
    CHECK(tr_ind_stddev_batch(x, 8, 8, out) == TR_OK);
    CHECK_NAN(out[6]);
    CHECK_NEAR(out[7], 2.0, 1e-15); /* the textbook population sd */
    CHECK(tr_ind_stddev_batch(x, 8, 4, out) == TR_OK);
    CHECK_NAN(out[2]);
    CHECK_NEAR(out[3], sqrt(0.75), 1e-15); /* 2 4 4 4 */
    CHECK_NEAR(out[7], sqrt(2.75), 1e-15); /* 5 5 7 9 */

    /* A constant window is exactly 0, also after a jump. */
    double c[] = {1.1, 7.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    CHECK(tr_ind_stddev_batch(c, 8, 3, out) == TR_OK);
    CHECK_EQ_D(out[4], 0.0);
    CHECK_EQ_D(out[7], 0.0);

    double up[3], mid[3], lo[3], y[] = {1, 2, 3};
    CHECK(tr_ind_bbands_batch(y, 3, 3, 2.0, up, mid, lo) == TR_OK);
    CHECK_NAN(up[1]);
    CHECK_NAN(mid[1]);
    CHECK_EQ_D(mid[2], 2.0);
    CHECK_NEAR(up[2], 2.0 + 2.0 * sqrt(2.0 / 3.0), 1e-15);
    CHECK_NEAR(lo[2], 2.0 - 2.0 * sqrt(2.0 / 3.0), 1e-15);
    tr_ind_bbands b;
    CHECK(tr_ind_bbands_init(&b, 20, -1.0) == TR_ERR_INVALID);
    CHECK(tr_ind_bbands_init(&b, 20, NAN) == TR_ERR_INVALID);
    CHECK(tr_ind_bbands_init(&b, 20, 0.0) == TR_OK);
    CHECK_EQ_I64(tr_ind_bbands_warmup(&b), 19);
    tr_ind_bbands_free(&b);
}

/* Bars for the high/low/close indicators. */
static const double H5[] = {10, 11, 12, 11, 9};
static const double L5[] = {8, 9, 10, 7, 8.5};
static const double C5[] = {9, 10, 11, 8, 9};

static void test_trange_atr_natr(void)
{
    /* TR: -, 2, 2, 4 (gap: |11 - 7|), 1 (|8 - 9|). */
    double tr[5], atr[5], natr[5];
    CHECK(tr_ind_trange_batch(H5, L5, C5, 5, tr) == TR_OK);
    CHECK_NAN(tr[0]);
    CHECK_EQ_D(tr[1], 2.0);
    CHECK_EQ_D(tr[2], 2.0);
    CHECK_EQ_D(tr[3], 4.0);
    CHECK_EQ_D(tr[4], 1.0);
    double gh[] = {10, 15}, gl[] = {9, 14}, gc[] = {10, 14.5};
    CHECK(tr_ind_trange_batch(gh, gl, gc, 2, tr) == TR_OK);
    CHECK_EQ_D(tr[1], 5.0); /* a gap up: from the previous close */

    /* ATR(3): first value (row 3) is the mean of the first 3 TR. */
    CHECK(tr_ind_atr_batch(H5, L5, C5, 5, 3, atr) == TR_OK);
    CHECK_NAN(atr[2]);
    CHECK_NEAR(atr[3], 8.0 / 3.0, 1e-15);
    CHECK_NEAR(atr[4], 19.0 / 9.0, 1e-15); /* (8/3 * 2 + 1) / 3 */
    CHECK(tr_ind_natr_batch(H5, L5, C5, 5, 3, natr) == TR_OK);
    CHECK_NAN(natr[2]);
    CHECK_NEAR(natr[3], 8.0 / 3.0 / 8.0 * 100.0, 1e-15);
    tr_ind_atr a;
    CHECK(tr_ind_atr_init(&a, 3) == TR_OK);
    CHECK_EQ_I64(tr_ind_atr_warmup(&a), 3);
    for (int i = 0; i < 3; i++)
        tr_ind_atr_update(&a, H5[i], L5[i], C5[i]);
    CHECK(!tr_ind_atr_ready(&a));
    tr_ind_atr_update(&a, H5[3], L5[3], C5[3]);
    CHECK(tr_ind_atr_ready(&a));
    tr_ind_trange t;
    tr_ind_trange_init(&t);
    CHECK_EQ_I64(tr_ind_trange_warmup(&t), 1);
    tr_ind_trange_update(&t, 1, 1, 1);
    CHECK(!tr_ind_trange_ready(&t));
    tr_ind_trange_update(&t, 1, 1, 1);
    CHECK(tr_ind_trange_ready(&t));
}

static void test_adx(void)
{
    /* Worked by hand (dmi.h's rules), n = 2:
     *   row 1: +DM 2, TR 3 (the plain sums)
     *   row 2: +DM 2-1+1 = 2, -DM 0, TR 3-1.5+3 = 4.5: +DI 400/9, DX 100
     *   row 3: +DM 1, -DM 3, TR 6.25: +DI 16, -DI 48, DX 50; ADX 75
     *   row 4: +DM 0.5, -DM 2.5, TR 7.125: DX 200/3; ADX (75 + 200/3)/2 */
    double h[] = {10, 12, 13, 11, 10}, l[] = {8, 9, 10, 7, 6};
    double c[] = {9, 11, 10, 8, 7};
    double adx[5], pdi[5], mdi[5];
    CHECK(tr_ind_adx_batch(h, l, c, 5, 2, adx, pdi, mdi) == TR_OK);
    CHECK_NAN(pdi[1]);
    CHECK_NAN(mdi[1]);
    CHECK_NEAR(pdi[2], 400.0 / 9.0, 1e-14);
    CHECK_EQ_D(mdi[2], 0.0);
    CHECK_NAN(adx[2]);
    CHECK_NEAR(pdi[3], 16.0, 1e-14);
    CHECK_NEAR(mdi[3], 48.0, 1e-14);
    CHECK_NEAR(adx[3], 75.0, 1e-14);
    CHECK_NEAR(pdi[4], 100.0 * 0.5 / 7.125, 1e-14);
    CHECK_NEAR(mdi[4], 100.0 * 2.5 / 7.125, 1e-14);
    CHECK_NEAR(adx[4], (75.0 + 200.0 / 3.0) / 2.0, 1e-14);

    tr_ind_adx a;
    CHECK(tr_ind_adx_init(&a, 14) == TR_OK);
    CHECK_EQ_I64(tr_ind_adx_warmup(&a), 27);
    CHECK_EQ_I64(tr_ind_adx_di_warmup(&a), 14);
    tr_ind_adx_out o;
    for (int i = 0; i < 28; i++) {
        CHECK(tr_ind_adx_di_ready(&a) == (i > 14));
        CHECK(!tr_ind_adx_ready(&a));
        /* Flat bars: every denominator is 0, every value 0. */
        tr_ind_adx_update(&a, 5, 5, 5, &o);
    }
    CHECK(tr_ind_adx_ready(&a));
    CHECK_EQ_D(o.adx, 0.0);
    CHECK_EQ_D(o.plus_di, 0.0);
    CHECK_EQ_D(o.minus_di, 0.0);
}

static void test_stoch(void)
{
    /* STOCH(3, 2, 2): fast %K 75 (row 2), 100/3, 100; slow %K from row 3;
     * both outputs from row 4 = 3+2+2-3. */
    double h[] = {10, 11, 12, 12, 13}, l[] = {8, 9, 9, 10, 11};
    double c[] = {9, 10, 11, 10, 13};
    double k[5], d[5];
    CHECK(tr_ind_stoch_batch(h, l, c, 5, 3, 2, 2, k, d) == TR_OK);
    for (int i = 0; i < 4; i++) {
        CHECK_NAN(k[i]);
        CHECK_NAN(d[i]);
    }
    CHECK_NEAR(k[4], 200.0 / 3.0, 1e-14);
    CHECK_NEAR(d[4], 725.0 / 12.0, 1e-14);

    tr_ind_stoch s;
    CHECK(tr_ind_stoch_init(&s, 14, 3, 3) == TR_OK);
    CHECK_EQ_I64(tr_ind_stoch_warmup(&s), 17);
    tr_ind_stoch_out o;
    for (int i = 0; i < 18; i++) {
        CHECK(!tr_ind_stoch_ready(&s));
        tr_ind_stoch_update(&s, 7, 7, 7, &o); /* HH == LL: fast %K = 0 */
    }
    CHECK(tr_ind_stoch_ready(&s));
    CHECK_EQ_D(o.slowk, 0.0);
    CHECK_EQ_D(o.slowd, 0.0);
    tr_ind_stoch_free(&s);
    CHECK(tr_ind_stoch_init(&s, 14, 0, 3) == TR_ERR_INVALID);
}

static void test_willr(void)
{
    double h[] = {10, 11, 12, 12, 13}, l[] = {8, 9, 9, 10, 11};
    double c[] = {9, 10, 11, 10, 13};
    double out[5];
    CHECK(tr_ind_willr_batch(h, l, c, 5, 3, out) == TR_OK);
    CHECK_NAN(out[1]);
    CHECK_NEAR(out[2], -25.0, 1e-15);
    CHECK_NEAR(out[3], -200.0 / 3.0, 1e-15);
    CHECK_EQ_D(out[4], 0.0); /* close at the high */
    CHECK(!signbit(out[4]));  /* +0, not -0 */
    double f[] = {3, 3, 3};
    CHECK(tr_ind_willr_batch(f, f, f, 3, 2, out) == TR_OK);
    CHECK_EQ_D(out[1], 0.0); /* HH == LL */
    CHECK_EQ_D(out[2], 0.0);
}

static void test_cci(void)
{
    /* Typical prices 1, 2, 3: mean 2, mean deviation 2/3: 1 / 0.01. */
    double p[] = {1, 2, 3, 3, 3, 3}, out[6];
    CHECK(tr_ind_cci_batch(p, p, p, 6, 3, out) == TR_OK);
    CHECK_NAN(out[1]);
    CHECK_NEAR(out[2], 100.0, 1e-13);
    CHECK_EQ_D(out[5], 0.0); /* constant window: deviation 0 */
    double h[] = {3, 5}, l[] = {1, 1}, c[] = {2, 3}; /* tp 2, 3 */
    CHECK(tr_ind_cci_batch(h, l, c, 2, 2, out) == TR_OK);
    CHECK_NEAR(out[1], 0.5 / (0.015 * 0.5), 1e-13);
}

static void test_roc_mom(void)
{
    double x[] = {10, 11, 12, 0, 15, 9}, r[6], m[6];
    CHECK(tr_ind_roc_batch(x, 6, 2, r) == TR_OK);
    CHECK(tr_ind_mom_batch(x, 6, 2, m) == TR_OK);
    CHECK_NAN(r[1]);
    CHECK_NAN(m[1]);
    CHECK_NEAR(r[2], 20.0, 1e-14);
    CHECK_NEAR(r[3], -100.0, 1e-14);
    CHECK_NEAR(r[4], 25.0, 1e-14);
    CHECK_EQ_D(r[5], 0.0); /* the old value is 0 */
    CHECK_EQ_D(m[2], 2.0);
    CHECK_EQ_D(m[3], -11.0);
    CHECK_EQ_D(m[4], 3.0);
    CHECK_EQ_D(m[5], 9.0);
    tr_ind_roc ro;
    CHECK(tr_ind_roc_init(&ro, 2) == TR_OK);
    CHECK_EQ_I64(tr_ind_roc_warmup(&ro), 2);
    tr_ind_roc_update(&ro, 1);
    tr_ind_roc_update(&ro, 1);
    CHECK(!tr_ind_roc_ready(&ro));
    tr_ind_roc_update(&ro, 1);
    CHECK(tr_ind_roc_ready(&ro));
    tr_ind_roc_free(&ro);
    tr_ind_mom mo;
    CHECK(tr_ind_mom_init(&mo, 1) == TR_OK);
    CHECK(isnan(tr_ind_mom_update(&mo, 4)));
    CHECK(!tr_ind_mom_ready(&mo));
    double m2 = tr_ind_mom_update(&mo, 6);
    CHECK_EQ_D(m2, 2.0);
    CHECK(tr_ind_mom_ready(&mo));
    tr_ind_mom_free(&mo);
}

static void test_obv_mfi(void)
{
    double c[] = {10, 11, 11, 9, 12}, v[] = {100, 200, 300, 400, 500};
    double out[5];
    CHECK(tr_ind_obv_batch(c, v, 5, out) == TR_OK);
    CHECK_EQ_D(out[0], 100.0);
    CHECK_EQ_D(out[1], 300.0);
    CHECK_EQ_D(out[2], 300.0);
    CHECK_EQ_D(out[3], -100.0);
    CHECK_EQ_D(out[4], 400.0);

    /* MFI(2) with typical prices 10, 11, 10.5, 12: flows +2200, -3150,
     * +4800. */
    double tp[] = {10, 11, 10.5, 12}, vol[] = {100, 200, 300, 400};
    CHECK(tr_ind_mfi_batch(tp, tp, tp, vol, 4, 2, out) == TR_OK);
    CHECK_NAN(out[0]);
    CHECK_NAN(out[1]);
    CHECK_NEAR(out[2], 100.0 * 2200.0 / 5350.0, 1e-14);
    CHECK_NEAR(out[3], 100.0 * 4800.0 / 7950.0, 1e-14);
    /* The typical price is (h + l + c) / 3 in double. */
    double h[] = {3, 4}, l[] = {1, 1}, cl[] = {2, 2}, vv[] = {10, 10};
    CHECK(tr_ind_mfi_batch(h, l, cl, vv, 2, 1, out) == TR_OK);
    CHECK_EQ_D(out[1], 100.0); /* tp 2 -> 7/3: all positive */
    /* Money flow total below 1 (no volume): 0. */
    double z[] = {0, 0, 0, 0};
    CHECK(tr_ind_mfi_batch(tp, tp, tp, z, 4, 2, out) == TR_OK);
    CHECK_EQ_D(out[2], 0.0);
    CHECK_EQ_D(out[3], 0.0);
    tr_ind_mfi m;
    CHECK(tr_ind_mfi_init(&m, 14) == TR_OK);
    CHECK_EQ_I64(tr_ind_mfi_warmup(&m), 14);
    tr_ind_mfi_free(&m);
}

static void test_vwap(void)
{
    const int64_t day = INT64_C(86400000000000);
    const int64_t t0 = 19724 * day + INT64_C(52200) * 1000000000; /* 14:30 */
    int64_t t[] = {t0, t0 + 60000000000, t0 + day, t0 + day + 60000000000,
                   t0 + 2 * day};
    double h[] = {10, 12, 20, 22, 31}, l[] = {8, 10, 18, 20, 29};
    double c[] = {9, 11, 19, 21, 30}, v[] = {100, 300, 50, 0, 0};
    double out[5];
    CHECK(tr_ind_vwap_batch(t, h, l, c, v, 5, out) == TR_OK);
    CHECK_EQ_D(out[0], 9.0);                    /* tp 9 */
    CHECK_EQ_D(out[1], (900.0 + 3300.0) / 400); /* 10.5 */
    CHECK_EQ_D(out[2], 19.0);                   /* a new UTC day */
    CHECK_EQ_D(out[3], 19.0);                   /* no volume: no weight */
    CHECK_EQ_D(out[4], 30.0); /* a session without volume: the tp */

    /* The day boundary is UTC midnight, also before 1970. */
    int64_t tn[] = {-day - 1, -1, 0};
    double p1[] = {1, 2, 3}, vol[] = {1, 1, 1};
    CHECK(tr_ind_vwap_batch(tn, p1, p1, p1, vol, 3, out) == TR_OK);
    CHECK_EQ_D(out[0], 1.0);
    CHECK_EQ_D(out[1], 2.0); /* -1 ns is 1969-12-31, not 1969-12-30 */
    CHECK_EQ_D(out[2], 3.0);
    int64_t ts[] = {-2, -1};
    CHECK(tr_ind_vwap_batch(ts, p1, p1, p1, vol, 2, out) == TR_OK);
    CHECK_EQ_D(out[1], 1.5); /* same day */

    tr_ind_vwap w;
    tr_ind_vwap_init(&w);
    CHECK(!tr_ind_vwap_ready(&w));
    CHECK_EQ_I64(tr_ind_vwap_warmup(&w), 0);
    tr_ind_vwap_update(&w, 0, 1, 1, 1, 1);
    CHECK(tr_ind_vwap_ready(&w));
}

int main(void)
{
    test_sma();
    test_ema();
    test_wma();
    test_rsi();
    test_macd();
    test_stddev_bbands();
    test_trange_atr_natr();
    test_adx();
    test_stoch();
    test_willr();
    test_cci();
    test_roc_mom();
    test_obv_mfi();
    test_vwap();
    return test_summary();
}
