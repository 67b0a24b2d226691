/* test_ind_cli.c: `trader indicators` end to end (TRADER_BIN): the CSV it
 * writes (header, time column, empty warm-up fields, 17 significant
 * digits), session VWAP over intraday bars by hand, bad rows, usage errors
 * and --help. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/time.h"
#include "ind/spec.h"
#include "test.h"

static char dir[] = "/tmp/test_ind_cli.XXXXXX";
static const char *bin;
static char out[1 << 16], err[1 << 16];
static char big[1 << 24]; /* the output of the all-indicators run */

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void read_file(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static int run_into(const char *args, char *obuf, size_t osize);

/* Run `trader indicators ARGS` in dir; stdout and stderr into out and err.
 * Returns the exit status. */
static int run(const char *args)
{
    return run_into(args, out, sizeof out);
}

static int run_into(const char *args, char *obuf, size_t osize)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' indicators %s >out.txt "
             "2>err.txt", dir, bin, args);
    int st = system(cmd);
    char path[256];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    read_file(path, obuf, osize);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    read_file(path, err, sizeof err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define CHECK_CONTAINS(hay, needle)                                            \
    CHECK_MSG(strstr((hay), (needle)) != NULL,                                 \
              "expected \"%s\" in:\n%s", (needle), (hay))

static void test_vwap_intraday(void)
{
    /* Typical prices 9, 11 | 19, 21 | 30 (zero volume) over three UTC
     * days: VWAP 9, (900 + 3300)/400 = 10.5, then a new session: 19,
     * (950 + 2100)/150 = 20.333..., then a session without volume: tp. */
    write_file("intraday.csv",
               "timestamp,open,high,low,close,volume\n"
               "2024-01-02T14:30:00Z,9,10,8,9,100\n"
               "2024-01-02T14:31:00Z,11,12,10,11,300\n"
               "2024-01-03T14:30:00Z,19,20,18,19,50\n"
               "2024-01-03T20:59:00Z,21,22,20,21,100\n"
               "2024-01-04T00:00:00Z,30,31,29,30,0\n");
    CHECK_EQ_I64(run("--data intraday.csv --ind vwap --ind sma:2"), 0);
    CHECK_STR(out, "time,vwap,sma_2\n"
                   "2024-01-02T14:30:00Z,9,\n"
                   "2024-01-02T14:31:00Z,10.5,10\n"
                   "2024-01-03T14:30:00Z,19,15\n"
                   "2024-01-03T20:59:00Z,20.333333333333332,20\n"
                   "2024-01-04T00:00:00Z,30,25.5\n");
    CHECK_STR(err, "");
}

static void test_daily(void)
{
    write_file("daily.csv",
               "Date,Open,High,Low,Close,Volume\n"
               "2024-01-02,1,1,1,1,10\n"
               "2024-01-03,2,2,2,2,10\n"
               "2024-01-04,3,3,3,3,10\n"
               "2024-01-05,4,4,4,4,10\n"
               "2024-01-08,5,5,5,5,10\n");
    CHECK_EQ_I64(run("--data daily.csv --ind ema:3 --ind macd:2:3:2 "
                     "--ind trange --ind obv"),
                 0);
    CHECK_STR(out, "time,ema_3,macd_2_3_2,macd_signal_2_3_2,macd_hist_2_3_2,"
                   "trange,obv\n"
                   "2024-01-02,,,,,,10\n"
                   "2024-01-03,,,,,1,20\n"
                   "2024-01-04,2,,,,1,30\n"
                   "2024-01-05,3,0.5,0.5,0,1,40\n"
                   "2024-01-08,4,0.5,0.5,0,1,50\n");
    /* %.17g: 17 significant digits, trailing zeros dropped. */
    CHECK_EQ_I64(run("--data daily.csv --ind sma:3 -i bbands:3:1"), 0);
    CHECK_CONTAINS(out, "2024-01-04,2,2.8164965809277263,2,"
                        "1.183503419072274\n");
    /* Only the header when the file has no bars. */
    write_file("empty.csv", "date,open,high,low,close,volume\n");
    CHECK_EQ_I64(run("--data empty.csv --ind rsi"), 0);
    CHECK_STR(out, "time,rsi_14\n");
}

static void test_bad_rows(void)
{
    write_file("bad.csv",
               "date,open,high,low,close,volume\n"
               "2024-01-02,10,11,9,10,100\n"
               "2024-01-03,10,9,9.5,10,100\n"
               "2024-01-04,10,11,9,x,100\n"
               "2024-01-05,10,11,9,10,100\n");
    CHECK_EQ_I64(run("--data bad.csv --ind sma:2"), 1);
    CHECK_STR(out, "");
    CHECK_CONTAINS(err, "bad.csv:3: ");
    CHECK_CONTAINS(err, "bad.csv:4: ");
}

static void test_usage(void)
{
    CHECK_EQ_I64(run("--help"), 0);
    CHECK_CONTAINS(out, "usage: trader indicators --data FILE --ind SPEC");
    const char *specs[] = {"sma[:N=20]", "macd[:F=12[:S=26[:G=9]]]",
                           "stoch_slowk_K_SK_SD", "bbands_lower_N_K",
                           "plus_di_N", "minus_di_N", "vwap", "trange",
                           "obv", "willr_N", "mfi_N", "stddev_N"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        CHECK_CONTAINS(out, specs[i]);
    CHECK_EQ_I64(run("-h"), 0);

    write_file("ok.csv", "date,open,high,low,close,volume\n"
                         "2024-01-02,1,1,1,1,10\n");
    CHECK_EQ_I64(run("--ind sma:2"), 2);
    CHECK_CONTAINS(err, "--data FILE is required");
    CHECK_EQ_I64(run("--data ok.csv"), 2);
    CHECK_CONTAINS(err, "--ind SPEC is required");
    CHECK_EQ_I64(run("--data ok.csv --ind rsi:x"), 2);
    CHECK_CONTAINS(err, "trader: --ind rsi:x: rsi: period must be an integer "
                        ">= 1, got 'x'");
    CHECK_EQ_I64(run("--data ok.csv --ind foo"), 2);
    CHECK_CONTAINS(err, "unknown indicator 'foo' (known: sma, ema");
    CHECK_EQ_I64(run("--data ok.csv --ind sma --bogus"), 2);
    CHECK_CONTAINS(err, "unknown option '--bogus'");
    CHECK_EQ_I64(run("--data ok.csv --ind sma extra"), 2);
    CHECK_CONTAINS(err, "unexpected argument 'extra'");
    CHECK_EQ_I64(run("--data ok.csv --ind"), 2);
    CHECK_CONTAINS(err, "needs a value");
    CHECK_EQ_I64(run("--data missing.csv --ind sma"), 2);
    CHECK_CONTAINS(err, "cannot read 'missing.csv'");
    CHECK_STR(out, "");
}

/* Every indicator over 3000 generated bars: each field of trader's output
 * must be byte for byte snprintf("%.17g") of the library's value for that
 * bar (empty while not ready). This checks the CLI's wiring and its fast
 * number formatting against printf. */
static void test_all_against_library(void)
{
    enum { NB = 3000 };
    static const char *specs[] = {
        "sma:20", "ema:5", "wma:9", "rsi:14", "macd:12:26:9",
        "bbands:20:2", "atr:14", "natr:14", "trange", "adx:14", "plus_di:14",
        "minus_di:14", "stoch:14:3:3", "obv", "cci:20", "willr:14", "mfi:14",
        "roc:10", "mom:10", "stddev:5", "vwap", "bbands:3:0.5", "mom:1"};
    enum { NS = sizeof specs / sizeof specs[0] };
    tr_ind *inds[NS];
    char args[4096] = "--data all.csv";
    for (size_t k = 0; k < NS; k++) {
        CHECK(tr_ind_parse(specs[k], &inds[k], NULL, 0) == 0);
        strcat(args, " --ind ");
        strcat(args, specs[k]);
    }
    /* Hourly bars (epoch seconds in the file) over four months, in cents,
     * some flat, some without volume. */
    static char csv[1 << 18];
    size_t len = (size_t)snprintf(csv, sizeof csv,
                                  "time,open,high,low,close,volume\n");
    static tr_ind_input bars[NB];
    uint64_t s = 7;
    long c = 10000;
    for (int i = 0; i < NB; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        long o = c, step = (long)((s >> 33) % 201) - 100;
        c = c + step > 100 ? c + step : 100;
        long hi = (o > c ? o : c) + (long)((s >> 20) % 50);
        long lo = (o < c ? o : c) - (long)((s >> 10) % 50);
        if (i % 97 < 3)
            hi = lo = o = c; /* flat bars: zero denominators */
        long vol = i % 31 == 0 ? 0 : (long)((s >> 40) % 1000000);
        int64_t t = INT64_C(1704160800) + (int64_t)i * 3600; /* 02:00 */
        bars[i] = (tr_ind_input){t * 1000000000, o / 100.0, hi / 100.0,
                                 lo / 100.0, c / 100.0, (double)vol};
        len += (size_t)snprintf(csv + len, sizeof csv - len,
                                "%lld,%ld.%02ld,%ld.%02ld,%ld.%02ld,"
                                "%ld.%02ld,%ld\n",
                                (long long)t, o / 100, o % 100, hi / 100,
                                hi % 100,
                                lo / 100, lo % 100, c / 100, c % 100, vol);
    }
    write_file("all.csv", csv);
    if (!CHECK_EQ_I64(run_into(args, big, sizeof big), 0)) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    char *line = strtok(big, "\n"); /* the header */
    size_t bad = 0, fields = 0;
    for (int i = 0; i < NB; i++) {
        line = strtok(NULL, "\n");
        if (!CHECK_MSG(line != NULL, "output ends at row %d", i))
            return;
        char expect[8192];
        size_t n = tr_time_format(bars[i].time, expect, sizeof expect);
        for (size_t k = 0; k < NS; k++) {
            tr_ind_update(inds[k], &bars[i]);
            for (size_t col = 0; col < tr_ind_columns(inds[k]); col++) {
                expect[n++] = ',';
                if (tr_ind_ready(inds[k], col))
                    n += (size_t)snprintf(expect + n, sizeof expect - n,
                                          "%.17g", tr_ind_value(inds[k], col));
                fields++;
            }
        }
        expect[n] = '\0';
        if (strcmp(line, expect) != 0 && bad++ < 3)
            CHECK_MSG(0, "row %d:\n  trader:  %s\n  library: %s", i, line,
                      expect);
    }
    CHECK_MSG(bad == 0, "%zu of %d rows differ", bad, NB);
    CHECK(fields > 50000);
    for (size_t k = 0; k < NS; k++)
        tr_ind_free(inds[k]);
}

int main(void)
{
    bin = getenv("TRADER_BIN");
    if (!CHECK_MSG(bin && *bin, "TRADER_BIN is not set"))
        return test_summary();
    if (!CHECK(mkdtemp(dir) != NULL))
        return test_summary();
    test_vwap_intraday();
    test_daily();
    test_bad_rows();
    test_usage();
    test_all_against_library();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
