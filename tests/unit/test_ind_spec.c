/* test_ind_spec.c: indicators from spec strings: names, defaults, column
 * names and order, warm-ups, readiness, and every kind of bad spec with its
 * message. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "ind/spec.h"
#include "test.h"

/* Parses spec and checks its canonical form, warm-up and column names
 * (NULL-terminated). */
static void check_spec(const char *spec, const char *canon, size_t warmup,
                       const char *const *cols)
{
    tr_ind *ind = NULL;
    char err[256] = "";
    int rc = tr_ind_parse(spec, &ind, err, sizeof err);
    if (!CHECK_MSG(rc == TR_OK && ind, "parse '%s': %d %s", spec, rc, err))
        return;
    CHECK_STR(tr_ind_spec(ind), canon);
    CHECK_EQ_I64(tr_ind_warmup(ind), warmup);
    size_t n = 0;
    while (cols[n])
        n++;
    CHECK_EQ_I64(tr_ind_columns(ind), n);
    for (size_t c = 0; c < n; c++)
        CHECK_STR(tr_ind_column_name(ind, c), cols[c]);
    CHECK(tr_ind_column_name(ind, n) == NULL);
    tr_ind_free(ind);
}

#define COLS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_names_and_defaults(void)
{
    check_spec("sma:20", "sma:20", 19, COLS("sma_20"));
    check_spec("sma", "sma:20", 19, COLS("sma_20"));
    check_spec("SMA:5", "sma:5", 4, COLS("sma_5"));
    check_spec("ema:50", "ema:50", 49, COLS("ema_50"));
    check_spec("wma", "wma:20", 19, COLS("wma_20"));
    check_spec("rsi", "rsi:14", 14, COLS("rsi_14"));
    check_spec("rsi:2", "rsi:2", 2, COLS("rsi_2"));
    check_spec("macd:12:26:9", "macd:12:26:9", 33,
               COLS("macd_12_26_9", "macd_signal_12_26_9",
                    "macd_hist_12_26_9"));
    check_spec("macd", "macd:12:26:9", 33,
               COLS("macd_12_26_9", "macd_signal_12_26_9",
                    "macd_hist_12_26_9"));
    check_spec("macd:5", "macd:5:26:9", 33,
               COLS("macd_5_26_9", "macd_signal_5_26_9", "macd_hist_5_26_9"));
    check_spec("bbands:20:2", "bbands:20:2", 19,
               COLS("bbands_upper_20_2", "bbands_middle_20_2",
                    "bbands_lower_20_2"));
    check_spec("bbands:10:1.5", "bbands:10:1.5", 9,
               COLS("bbands_upper_10_1.5", "bbands_middle_10_1.5",
                    "bbands_lower_10_1.5"));
    check_spec("bbands:10:2.0", "bbands:10:2", 9,
               COLS("bbands_upper_10_2", "bbands_middle_10_2",
                    "bbands_lower_10_2"));
    check_spec("bbands", "bbands:20:2", 19,
               COLS("bbands_upper_20_2", "bbands_middle_20_2",
                    "bbands_lower_20_2"));
    check_spec("atr:14", "atr:14", 14, COLS("atr_14"));
    check_spec("natr", "natr:14", 14, COLS("natr_14"));
    check_spec("trange", "trange", 1, COLS("trange"));
    check_spec("adx:14", "adx:14", 27, COLS("adx_14"));
    check_spec("plus_di:14", "plus_di:14", 14, COLS("plus_di_14"));
    check_spec("minus_di", "minus_di:14", 14, COLS("minus_di_14"));
    check_spec("stoch:14:3:3", "stoch:14:3:3", 17,
               COLS("stoch_slowk_14_3_3", "stoch_slowd_14_3_3"));
    check_spec("stoch:5", "stoch:5:3:3", 8,
               COLS("stoch_slowk_5_3_3", "stoch_slowd_5_3_3"));
    check_spec("obv", "obv", 0, COLS("obv"));
    check_spec("cci:20", "cci:20", 19, COLS("cci_20"));
    check_spec("willr:14", "willr:14", 13, COLS("willr_14"));
    check_spec("mfi:14", "mfi:14", 14, COLS("mfi_14"));
    check_spec("roc:10", "roc:10", 10, COLS("roc_10"));
    check_spec("mom", "mom:10", 10, COLS("mom_10"));
    check_spec("stddev:20", "stddev:20", 19, COLS("stddev_20"));
    check_spec("vwap", "vwap", 0, COLS("vwap"));
}

/* A bad spec: TR_ERR_INVALID, *out untouched, the exact message (or, when
 * prefix is set, a message starting with it). */
static void check_bad(const char *spec, const char *msg, int prefix)
{
    tr_ind *sentinel = (tr_ind *)&sentinel, *ind = sentinel;
    char err[512] = "";
    int rc = tr_ind_parse(spec, &ind, err, sizeof err);
    CHECK_MSG(rc == TR_ERR_INVALID, "'%s' gave %d, expected TR_ERR_INVALID",
              spec, rc);
    CHECK_MSG(ind == sentinel, "'%s': *out changed on failure", spec);
    if (prefix)
        CHECK_MSG(strncmp(err, msg, strlen(msg)) == 0,
                  "'%s': message \"%s\" should start with \"%s\"", spec, err,
                  msg);
    else
        CHECK_STR(err, msg);
}

static void test_errors(void)
{
    check_bad("rsi:x", "rsi: period must be an integer >= 1, got 'x'", 0);
    check_bad("foo", "unknown indicator 'foo' (known: sma, ema, wma, rsi, "
                     "macd, bbands, atr, natr, trange, adx, plus_di, "
                     "minus_di, stoch, obv, cci, willr, mfi, roc, mom, "
                     "stddev, vwap)",
              0);
    check_bad("", "empty indicator spec", 1);
    check_bad(":20", "unknown indicator '' (known: sma", 1);
    check_bad("sma:0", "sma: period must be an integer >= 1, got '0'", 0);
    check_bad("sma:-3", "sma: period must be an integer >= 1, got '-3'", 0);
    check_bad("sma:+3", "sma: period must be an integer >= 1, got '+3'", 0);
    check_bad("sma:2.5", "sma: period must be an integer >= 1, got '2.5'", 0);
    check_bad("sma: 20", "sma: period must be an integer >= 1, got ' 20'", 0);
    check_bad("sma:", "sma: period must be an integer >= 1, got ''", 0);
    check_bad("sma:20000000",
              "sma: period must be at most 10000000, got '20000000'", 0);
    check_bad("sma:99999999999999999999999",
              "sma: period must be at most 10000000, got "
              "'99999999999999999999999'",
              0);
    check_bad("sma:20:3",
              "sma: too many parameters in 'sma:20:3' (expected sma[:N=20])",
              0);
    check_bad("obv:3", "obv: takes no parameters, got 'obv:3'", 0);
    check_bad("macd:26:12",
              "macd: fast period (26) must be less than slow period (12)", 0);
    check_bad("macd:12:12:9",
              "macd: fast period (12) must be less than slow period (12)", 0);
    check_bad("macd:12:26:0",
              "macd: signal period must be an integer >= 1, got '0'", 0);
    check_bad("stoch:14:x",
              "stoch: slow K period must be an integer >= 1, got 'x'", 0);
    check_bad("bbands:20:-1",
              "bbands: deviation multiplier must be a number >= 0, got '-1'",
              0);
    check_bad("bbands:20:nan",
              "bbands: deviation multiplier must be a number >= 0, got 'nan'",
              0);
    check_bad("bbands:20:inf",
              "bbands: deviation multiplier must be a number >= 0, got 'inf'",
              0);
    check_bad("bbands:20:1e999",
              "bbands: deviation multiplier must be a number >= 0, got "
              "'1e999'",
              0);
    check_bad("bbands:20:0x10",
              "bbands: deviation multiplier must be a number >= 0, got "
              "'0x10'",
              0);
    check_bad("bbands:20:2x",
              "bbands: deviation multiplier must be a number >= 0, got '2x'",
              0);
    check_bad("smax", "unknown indicator 'smax'", 1);

    /* A short buffer truncates; a NULL buffer of size 0 is allowed. */
    char small[8];
    tr_ind *ind = NULL;
    CHECK(tr_ind_parse("rsi:x", &ind, small, sizeof small) == TR_ERR_INVALID);
    CHECK_STR(small, "rsi: pe");
    CHECK(tr_ind_parse("rsi:x", &ind, NULL, 0) == TR_ERR_INVALID);
    CHECK(tr_ind_parse(NULL, &ind, NULL, 0) == TR_ERR_INVALID);
    tr_ind_free(NULL);
}

static void test_values(void)
{
    tr_ind *ind = NULL;
    CHECK(tr_ind_parse("stoch:3:2:2", &ind, NULL, 0) == TR_OK);
    if (!ind)
        return;
    CHECK_EQ_I64(tr_ind_column_warmup(ind, 0), 4);
    CHECK_EQ_I64(tr_ind_column_warmup(ind, 1), 4);
    double h[] = {10, 11, 12, 12, 13}, l[] = {8, 9, 9, 10, 11};
    double c[] = {9, 10, 11, 10, 13};
    for (int i = 0; i < 5; i++) {
        CHECK(!tr_ind_ready(ind, 0));
        CHECK(!tr_ind_ready(ind, 1));
        CHECK(isnan(tr_ind_value(ind, 0)));
        tr_ind_input in = {0, c[i], h[i], l[i], c[i], 100};
        tr_ind_update(ind, &in);
    }
    CHECK(tr_ind_ready(ind, 0));
    CHECK(tr_ind_ready(ind, 1));
    CHECK(!tr_ind_ready(ind, 2));
    CHECK(isnan(tr_ind_value(ind, 2)));
    CHECK(fabs(tr_ind_value(ind, 0) - 200.0 / 3.0) < 1e-12);
    CHECK(fabs(tr_ind_value(ind, 1) - 725.0 / 12.0) < 1e-12);
    tr_ind_free(ind);

    /* adx and plus_di from one spec each, different warm-ups. */
    CHECK(tr_ind_parse("adx:3", &ind, NULL, 0) == TR_OK);
    CHECK_EQ_I64(tr_ind_column_warmup(ind, 0), 5);
    tr_ind_free(ind);
    CHECK(tr_ind_parse("plus_di:3", &ind, NULL, 0) == TR_OK);
    CHECK_EQ_I64(tr_ind_column_warmup(ind, 0), 3);
    tr_ind_free(ind);
}

static void test_catalog(void)
{
    size_t n = 0;
    const tr_ind_info *cat = tr_ind_catalog(&n);
    CHECK_EQ_I64(n, 21);
    for (size_t i = 0; i < n; i++) {
        /* The name in each syntax parses with its defaults. */
        char name[32];
        size_t len = strcspn(cat[i].syntax, "[");
        snprintf(name, sizeof name, "%.*s", (int)len, cat[i].syntax);
        tr_ind *ind = NULL;
        CHECK_MSG(tr_ind_parse(name, &ind, NULL, 0) == TR_OK, "catalog '%s'",
                  name);
        CHECK(cat[i].columns && cat[i].summary);
        tr_ind_free(ind);
    }
}

int main(void)
{
    test_names_and_defaults();
    test_errors();
    test_values();
    test_catalog();
    return test_summary();
}
