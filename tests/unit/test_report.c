/* test_report.c: the HTML backtest report (report/report.h).
 *
 * Builds a small run by hand (2 symbols, one of them 12000 minute bars with
 * '<' in its name, indicators in both panes, trades with an open one,
 * fills, a daily equity curve over 3 months), writes the report and reads
 * it back: the file is complete, has the chart library inlined, loads
 * nothing from the network, and its JSON data holds exactly what was put
 * in (monthly returns computed by hand, trade rows, merged candles).
 * Then the thinning limits, the write errors and determinism. */
#define _GNU_SOURCE /* strcasestr */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/time.h"
#include "report/report.h"
#include "test.h"

static char g_dir[256];

static tr_fx fx(double d)
{
    tr_fx v = 0;
    tr_fx_from_double(d, &v);
    return v;
}

static tr_time day(int y, int m, int d)
{
    tr_civil c = {y, m, d, 0, 0, 0, 0, 0};
    tr_time t = 0;
    tr_time_from_civil(&c, &t);
    return t;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The JSON data block of a report, parsed; NULL when missing or invalid. */
static json_t *report_data(const char *html)
{
    const char *open = "<script type=\"application/json\" id=\"tr-data\">";
    const char *a = strstr(html, open);
    if (!a)
        return NULL;
    a += strlen(open);
    const char *b = strstr(a, "</script>");
    if (!b)
        return NULL;
    json_error_t err;
    json_t *j = json_loadb(a, (size_t)(b - a), 0, &err);
    if (!j)
        fprintf(stderr, "JSON error line %d col %d: %s\n", err.line,
                err.column, err.text);
    return j;
}

/* The markup with the bodies of <script> and <style> elements removed. */
static char *markup_only(const char *html)
{
    size_t n = strlen(html);
    char *out = malloc(n + 1);
    size_t k = 0;
    const char *p = html;
    while (*p) {
        if (strncasecmp(p, "<script", 7) == 0 ||
            strncasecmp(p, "<style", 6) == 0) {
            int script = strncasecmp(p, "<script", 7) == 0;
            const char *gt = strchr(p, '>');
            if (!gt)
                break;
            memcpy(out + k, p, (size_t)(gt + 1 - p));
            k += (size_t)(gt + 1 - p);
            const char *end = strstr(gt, script ? "</script" : "</style");
            if (!end)
                break;
            p = end;
            continue;
        }
        out[k++] = *p++;
    }
    out[k] = '\0';
    return out;
}

static double num(const json_t *j) { return json_number_value(j); }

static const json_t *path_get(const json_t *j, const char *key)
{
    return json_object_get(j, key);
}

static int near(double a, double b) { return fabs(a - b) <= 1e-12; }

/* ---- the hand-made run --------------------------------------------------- */

#define N0 60    /* AAPL: daily bars */
#define N1 12000 /* minute bars of the symbol with '<' in its name */
#define SYM1 "</script><B>"

typedef struct run {
    tr_bars bars0, bars1;
    double *sma0, *rsi0, *ema1;
    const char *names0[2], *names1[1];
    const double *vals0[2], *vals1[1];
    int panes0[2], panes1[1];
    tr_stats st_all, st0;
    tr_report_series series[2];
    tr_equity_point eq[100];
    size_t neq;
    tr_trade trades[3];
    tr_fill fills[5];
    tr_report_input in;
} run;

static void run_init(run *r)
{
    memset(r, 0, sizeof *r);
    tr_bars_init(&r->bars0);
    tr_bars_init(&r->bars1);
    tr_bars_reserve(&r->bars0, N0, 0);
    tr_bars_reserve(&r->bars1, N1, 0);
    r->sma0 = malloc(N0 * sizeof(double));
    r->rsi0 = malloc(N0 * sizeof(double));
    r->ema1 = malloc(N1 * sizeof(double));

    /* AAPL: 60 days from 2024-01-01, prices with 2 decimals. */
    for (int i = 0; i < N0; i++) {
        double c = 180.0 + (i % 7) * 1.25 - (i % 3) * 0.5;
        tr_bar b = {day(2024, 1, 1) + (tr_time)i * TR_NS_PER_DAY,
                    fx(c - 0.75), fx(c + 1.5), fx(c - 2.0), fx(c),
                    fx(1000000 + i)};
        tr_bars_push(&r->bars0, &b, 0);
        r->sma0[i] = i < 4 ? NAN : c - 0.125;
        r->rsi0[i] = i < 14 ? NAN : 30.0 + i * 0.5;
    }
    /* 12000 minute bars from 2024-01-02 09:30, prices with 3 decimals. */
    tr_time t0 = day(2024, 1, 2) + (9 * 60 + 30) * TR_NS_PER_MIN;
    for (int i = 0; i < N1; i++) {
        double c = 50.0 + (i % 11) * 0.125 + (i % 5) * 0.001;
        tr_bar b = {t0 + (tr_time)i * TR_NS_PER_MIN, fx(c - 0.01),
                    fx(c + 0.02 + (i % 4) * 0.01), fx(c - 0.03), fx(c),
                    fx(100 + i % 9)};
        tr_bars_push(&r->bars1, &b, 0);
        r->ema1[i] = i < 20 ? NAN : c + 0.5;
    }

    r->names0[0] = "sma_5";
    r->names0[1] = "rsi_14";
    r->vals0[0] = r->sma0;
    r->vals0[1] = r->rsi0;
    r->panes0[0] = 0;
    r->panes0[1] = 1;
    r->names1[0] = "ema<20>";
    r->vals1[0] = r->ema1;
    r->panes1[0] = 0;

    /* Equity: every day from 2024-01-02 to 2024-03-29; month ends at
     * 105000 (+5%), 102900 (-2%), 108045 (+5%); other days wander. */
    r->neq = 0;
    for (tr_time t = day(2024, 1, 2); t <= day(2024, 3, 29);
         t += TR_NS_PER_DAY) {
        tr_civil c;
        tr_time_to_civil(t, &c);
        double e = 100000.0 + (double)((r->neq * 37) % 900) * 3.0;
        if (r->neq == 0)
            e = 100000.0;
        if (c.month == 1 && c.day == 31)
            e = 105000.0;
        if (c.month == 2 && c.day == 29)
            e = 102900.0;
        if (c.month == 3 && c.day == 29)
            e = 108045.0;
        r->eq[r->neq].time = t;
        r->eq[r->neq].equity = fx(e);
        r->eq[r->neq].cash = fx(e);
        r->eq[r->neq].exposure = 0;
        r->neq++;
    }

    tr_time m1 = t0 + 100 * TR_NS_PER_MIN, m2 = t0 + 400 * TR_NS_PER_MIN;
    r->trades[0] = (tr_trade){0, TR_BUY, fx(100), day(2024, 1, 3), fx(185.5),
                              day(2024, 1, 10), fx(190.25), fx(470.5), fx(4.5),
                              7, 0};
    r->trades[1] = (tr_trade){1, TR_SELL, fx(10), m1, fx(50.125), m2,
                              fx(49.5), fx(5.25), fx(1), 300, 0};
    r->trades[2] = (tr_trade){0, TR_BUY, fx(50), day(2024, 2, 20), fx(170.01),
                              0, 0, fx(-12.3), fx(2.25), 10, 1};
    r->fills[0] = (tr_fill){1, 0, TR_BUY, TR_ROLE_ENTRY, fx(100), fx(185.5),
                            fx(2.25), day(2024, 1, 3)};
    r->fills[1] = (tr_fill){2, 0, TR_SELL, TR_ROLE_STOP_LOSS, fx(100),
                            fx(190.25), fx(2.25), day(2024, 1, 10)};
    r->fills[2] = (tr_fill){3, 1, TR_SELL, TR_ROLE_ENTRY, fx(10), fx(50.125),
                            fx(0.5), m1};
    r->fills[3] = (tr_fill){4, 1, TR_BUY, TR_ROLE_EXIT, fx(10), fx(49.5),
                            fx(0.5), m2};
    r->fills[4] = (tr_fill){5, 0, TR_BUY, TR_ROLE_ENTRY, fx(50), fx(170.01),
                            fx(2.25), day(2024, 2, 20)};

    r->st_all.start_equity = fx(100000);
    r->st_all.end_equity = fx(108045);
    r->st_all.total_return = 0.08045;
    r->st_all.sharpe = 1.23456789012345;
    r->st_all.max_drawdown = 0.02;
    r->st_all.max_dd_peak = day(2024, 1, 31);
    r->st_all.max_dd_trough = day(2024, 2, 29);
    r->st_all.trades = 2;
    r->st_all.open_trades = 1;
    r->st_all.wins = 2;
    r->st_all.win_rate = 1.0;
    r->st_all.profit_factor = INFINITY;
    r->st_all.net_pnl = fx(475.75);
    r->st_all.commissions = fx(7.75);
    r->st_all.fills = 5;
    r->st0 = r->st_all;
    r->st0.profit_factor = 2.5;
    r->st0.net_pnl = fx(470.5);

    r->series[0] = (tr_report_series){"AAPL", &r->bars0, 2, r->names0,
                                      r->vals0, r->panes0, &r->st0};
    r->series[1] = (tr_report_series){SYM1, &r->bars1, 1, r->names1,
                                      r->vals1, r->panes1, NULL};
    r->in = (tr_report_input){"sma_cross <fast> & \"slow\"",
                              "config/sma_cross.yaml",
                              r->eq,
                              r->neq,
                              r->trades,
                              3,
                              r->fills,
                              5,
                              r->series,
                              2,
                              &r->st_all};
}

static void run_free(run *r)
{
    tr_bars_free(&r->bars0);
    tr_bars_free(&r->bars1);
    free(r->sma0);
    free(r->rsi0);
    free(r->ema1);
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", g_dir, name);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_page(void)
{
    run r;
    run_init(&r);
    char path[512], tmp[600];
    path_in(path, sizeof path, "report.html");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);

    CHECK_EQ_I64(tr_report_html_write(path, &r.in), TR_OK);
    CHECK(file_exists(path));
    CHECK_MSG(!file_exists(tmp), "%s left behind", tmp);
    size_t len = 0;
    char *html = read_all(path, &len);
    if (!CHECK(html != NULL)) {
        run_free(&r);
        return;
    }
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, "</html>\n") == html + len - 8);
    /* The library is inlined: strings of lightweight-charts itself. */
    CHECK(strstr(html, "hitTestTolerance") != NULL);
    CHECK(strstr(html, "window.LightweightCharts=") != NULL);
    CHECK(strstr(html, "createSeriesMarkers") != NULL);
    /* And the page script and style. */
    CHECK(strstr(html, "data-render") != NULL);
    CHECK(strstr(html, "--radius") != NULL);

    /* Nothing outside the scripts refers to the network; no element loads
     * anything (no src= at all, no <link>). */
    char *markup = markup_only(html);
    CHECK(strstr(markup, "http://") == NULL);
    CHECK(strstr(markup, "https://") == NULL);
    CHECK(strcasestr(markup, "src=") == NULL);
    CHECK(strcasestr(markup, "<link") == NULL);
    CHECK(strcasestr(markup, "href=\"http") == NULL);
    CHECK(strstr(markup, "Content-Security-Policy") != NULL);
    free(markup);
    int nscripts = 0;
    for (const char *p = html; (p = strstr(p, "<script")) != NULL; p++)
        nscripts++;
    CHECK_EQ_I64(nscripts, 3);
    CHECK(strcasestr(html, "<script src") == NULL);

    /* The title is escaped as HTML, the symbol with '<' as JSON. */
    CHECK(strstr(html, "<title>sma_cross &lt;fast&gt; &amp; &quot;slow&quot;") !=
          NULL);
    CHECK(strstr(html, SYM1) == NULL);
    CHECK(strstr(html, "\"\\u003c/script\\u003e\\u003cB\\u003e\"") != NULL);
    CHECK(strstr(html, "ema<20>") == NULL);

    json_t *d = report_data(html);
    if (!CHECK(d != NULL)) {
        free(html);
        run_free(&r);
        return;
    }
    CHECK_STR(json_string_value(path_get(d, "title")),
              "sma_cross <fast> & \"slow\"");
    CHECK_STR(json_string_value(path_get(d, "config")), "config/sma_cross.yaml");
    CHECK_STR(json_string_value(path_get(d, "start")), "2024-01-02");
    CHECK_STR(json_string_value(path_get(d, "end")), "2024-03-29");

    /* Statistics: exact money, rounded doubles, infinity flagged. */
    const json_t *st = path_get(d, "stats");
    CHECK(json_is_integer(path_get(st, "start_equity")));
    CHECK(near(num(path_get(st, "start_equity")), 100000));
    CHECK(near(num(path_get(st, "end_equity")), 108045));
    CHECK(near(num(path_get(st, "net_pnl")), 475.75));
    CHECK(near(num(path_get(st, "sharpe")), 1.23456789));
    CHECK(json_is_null(path_get(st, "profit_factor")));
    CHECK(json_is_true(path_get(st, "profit_factor_inf")));
    CHECK_STR(json_string_value(path_get(st, "max_dd_peak")), "2024-01-31");
    CHECK_EQ_I64(json_integer_value(path_get(st, "fills")), 5);

    /* Monthly returns, by hand: Jan 105000/100000, Feb 102900/105000,
     * Mar 108045/102900; the year 108045/100000. */
    const json_t *mon = path_get(d, "monthly");
    CHECK_EQ_I64(json_array_size(mon), 1);
    const json_t *y = json_array_get(mon, 0);
    CHECK_EQ_I64(json_integer_value(path_get(y, "y")), 2024);
    const json_t *m = path_get(y, "m");
    CHECK_EQ_I64(json_array_size(m), 12);
    CHECK_MSG(near(num(json_array_get(m, 0)), 0.05), "Jan %.17g",
              num(json_array_get(m, 0)));
    CHECK_MSG(near(num(json_array_get(m, 1)), -0.02), "Feb %.17g",
              num(json_array_get(m, 1)));
    CHECK_MSG(near(num(json_array_get(m, 2)), 0.05), "Mar %.17g",
              num(json_array_get(m, 2)));
    for (size_t i = 3; i < 12; i++)
        CHECK_MSG(json_is_null(json_array_get(m, i)), "month %zu", i + 1);
    CHECK(near(num(path_get(y, "total")), 0.08045));

    /* Equity: 88 points, all kept (no thinning below the limit). */
    const json_t *eq = path_get(d, "equity");
    CHECK_EQ_I64(json_integer_value(path_get(eq, "n")), (int64_t)r.neq);
    CHECK_EQ_I64(json_array_size(path_get(eq, "t")), (int64_t)r.neq);
    CHECK_EQ_I64(json_array_size(path_get(eq, "v")), (int64_t)r.neq);
    CHECK_EQ_I64(json_integer_value(json_array_get(path_get(eq, "t"), 0)),
                 day(2024, 1, 2) / TR_NS_PER_SEC);
    CHECK(json_is_false(path_get(eq, "intraday")));

    /* Symbols. */
    const json_t *syms = path_get(d, "symbols");
    CHECK_EQ_I64(json_array_size(syms), 2);
    const json_t *s0 = json_array_get(syms, 0), *s1 = json_array_get(syms, 1);
    CHECK_STR(json_string_value(path_get(s0, "symbol")), "AAPL");
    CHECK_EQ_I64(json_integer_value(path_get(s0, "n")), N0);
    CHECK_EQ_I64(json_integer_value(path_get(s0, "candles")), N0);
    CHECK_EQ_I64(json_integer_value(path_get(s0, "merge")), 1);
    CHECK_EQ_I64(json_integer_value(path_get(s0, "decimals")), 2);
    CHECK_EQ_I64(json_array_size(path_get(s0, "c")), N0);
    CHECK(near(num(json_array_get(path_get(s0, "c"), 0)), 180.0));
    CHECK(near(num(json_array_get(path_get(s0, "vol"), 5)), 1000005));
    const json_t *ind = path_get(s0, "ind");
    CHECK_EQ_I64(json_array_size(ind), 2);
    CHECK_STR(json_string_value(path_get(json_array_get(ind, 0), "name")),
              "sma_5");
    CHECK_EQ_I64(json_integer_value(path_get(json_array_get(ind, 0), "pane")), 0);
    CHECK_EQ_I64(json_integer_value(path_get(json_array_get(ind, 1), "pane")), 1);
    const json_t *sma = path_get(json_array_get(ind, 0), "v");
    CHECK(json_is_null(json_array_get(sma, 3)));
    CHECK(near(num(json_array_get(sma, 4)), r.sma0[4]));
    CHECK(near(num(path_get(path_get(s0, "stats"), "profit_factor")), 2.5));

    /* AAPL's fills as markers on their candles. */
    const json_t *mk = path_get(s0, "markers");
    CHECK_EQ_I64(json_array_size(mk), 3);
    CHECK_EQ_I64(json_integer_value(path_get(s0, "markers_total")), 3);
    const json_t *mk0 = json_array_get(mk, 0), *mk1 = json_array_get(mk, 1);
    CHECK_EQ_I64(json_integer_value(json_array_get(mk0, 0)),
                 day(2024, 1, 3) / TR_NS_PER_SEC);
    CHECK_EQ_I64(json_integer_value(json_array_get(mk0, 1)), 1);
    CHECK_STR(json_string_value(json_array_get(mk0, 2)), "entry");
    CHECK(near(num(json_array_get(mk0, 3)), 100));
    CHECK(near(num(json_array_get(mk0, 4)), 185.5));
    CHECK_EQ_I64(json_integer_value(json_array_get(mk1, 1)), -1);
    CHECK_STR(json_string_value(json_array_get(mk1, 2)), "stop_loss");

    /* 12000 minute bars -> candles of 3 bars: 4000 of them. */
    CHECK_STR(json_string_value(path_get(s1, "symbol")), SYM1);
    CHECK_EQ_I64(json_integer_value(path_get(s1, "n")), N1);
    CHECK_EQ_I64(json_integer_value(path_get(s1, "merge")), 3);
    CHECK_EQ_I64(json_integer_value(path_get(s1, "candles")), 4000);
    CHECK_EQ_I64(json_integer_value(path_get(s1, "decimals")), 3);
    CHECK(json_is_true(path_get(s1, "intraday")));
    const char *cols[] = {"t", "o", "h", "l", "c", "vol"};
    for (size_t i = 0; i < 6; i++)
        CHECK_MSG(json_array_size(path_get(s1, cols[i])) == 4000, "%s",
                  cols[i]);
    /* Candle 1 merges bars 3, 4, 5. */
    const tr_bar *b = r.bars1.v;
    tr_fx hi = b[3].high, lo = b[3].low;
    for (int i = 4; i <= 5; i++) {
        hi = b[i].high > hi ? b[i].high : hi;
        lo = b[i].low < lo ? b[i].low : lo;
    }
    CHECK_EQ_I64(json_integer_value(json_array_get(path_get(s1, "t"), 1)),
                 b[3].time / TR_NS_PER_SEC);
    CHECK(near(num(json_array_get(path_get(s1, "o"), 1)), tr_fx_to_double(b[3].open)));
    CHECK(near(num(json_array_get(path_get(s1, "h"), 1)), tr_fx_to_double(hi)));
    CHECK(near(num(json_array_get(path_get(s1, "l"), 1)), tr_fx_to_double(lo)));
    CHECK(near(num(json_array_get(path_get(s1, "c"), 1)), tr_fx_to_double(b[5].close)));
    CHECK(near(num(json_array_get(path_get(s1, "vol"), 1)),
               tr_fx_to_double(b[3].volume + b[4].volume + b[5].volume)));
    const json_t *ema = path_get(json_array_get(path_get(s1, "ind"), 0), "v");
    CHECK_EQ_I64(json_array_size(ema), 4000);
    CHECK(json_is_null(json_array_get(ema, 5)));           /* bars 15..17 */
    CHECK(near(num(json_array_get(ema, 6)), r.ema1[20])); /* bars 18..20 */
    CHECK(near(num(json_array_get(ema, 7)), r.ema1[23])); /* bars 21..23 */
    CHECK_STR(json_string_value(path_get(json_array_get(path_get(s1, "ind"), 0), "name")),
              "ema<20>");
    CHECK(json_is_null(path_get(s1, "stats")));
    /* Its fills land on the candles that hold them (bar 100 -> candle 33). */
    const json_t *mk2 = json_array_get(path_get(s1, "markers"), 0);
    CHECK_EQ_I64(json_integer_value(json_array_get(mk2, 0)),
                 b[99].time / TR_NS_PER_SEC);
    CHECK_EQ_I64(json_integer_value(json_array_get(mk2, 1)), -1);
    CHECK_STR(json_string_value(json_array_get(mk2, 5)), "2024-01-02T11:10:00Z");

    /* Trades. */
    const json_t *tr = path_get(d, "trades");
    CHECK_EQ_I64(json_integer_value(path_get(tr, "total")), 3);
    CHECK_EQ_I64(json_integer_value(path_get(tr, "open")), 1);
    CHECK_EQ_I64(json_integer_value(path_get(tr, "shown")), 3);
    CHECK_EQ_I64(json_integer_value(path_get(tr, "first")), 0);
    const json_t *rows = path_get(tr, "rows");
    CHECK_EQ_I64(json_array_size(rows), 3);
    const json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1),
                 *r2 = json_array_get(rows, 2);
    CHECK_EQ_I64(json_array_size(r0), 13);
    CHECK_STR(json_string_value(json_array_get(r0, 0)), "AAPL");
    CHECK_STR(json_string_value(json_array_get(r0, 1)), "long");
    CHECK(near(num(json_array_get(r0, 2)), 100));
    CHECK_STR(json_string_value(json_array_get(r0, 3)), "2024-01-03");
    CHECK(near(num(json_array_get(r0, 4)), 185.5));
    CHECK_STR(json_string_value(json_array_get(r0, 5)), "2024-01-10");
    CHECK(near(num(json_array_get(r0, 6)), 190.25));
    CHECK(near(num(json_array_get(r0, 7)), 470.5));
    CHECK(near(num(json_array_get(r0, 8)), 4.5));
    CHECK_EQ_I64(json_integer_value(json_array_get(r0, 9)), 7);
    CHECK(json_is_false(json_array_get(r0, 10)));
    CHECK_STR(json_string_value(json_array_get(r1, 0)), SYM1);
    CHECK_STR(json_string_value(json_array_get(r1, 1)), "short");
    CHECK_STR(json_string_value(json_array_get(r1, 3)), "2024-01-02T11:10:00Z");
    CHECK(json_is_true(json_array_get(r2, 10)));
    CHECK(json_is_null(json_array_get(r2, 5)));
    CHECK(json_is_null(json_array_get(r2, 6)));
    CHECK(json_is_null(json_array_get(r2, 12)));
    CHECK(near(num(json_array_get(r2, 4)), 170.01));
    CHECK(near(num(json_array_get(r2, 7)), -12.3));
    /* Prices are written exactly as tr_fx_format gives them. */
    CHECK(strstr(html, ",170.01,") != NULL);
    CHECK(strstr(html, ",-12.3,") != NULL);

    json_decref(d);

    /* Keep a copy for the browser test (tests/e2e/report). */
    const char *keep = getenv("TR_REPORT_SAMPLE_DIR");
    if (keep && *keep) {
        char p[600];
        snprintf(p, sizeof p, "%s/multi.html", keep);
        CHECK_EQ_I64(tr_report_html_write(p, &r.in), TR_OK);
    }

    /* Same input, same bytes. */
    char path2[512];
    path_in(path2, sizeof path2, "report2.html");
    CHECK_EQ_I64(tr_report_html_write(path2, &r.in), TR_OK);
    size_t len2 = 0;
    char *html2 = read_all(path2, &len2);
    CHECK(html2 && len2 == len && memcmp(html, html2, len) == 0);
    free(html2);

    /* Writing again replaces the file. */
    CHECK_EQ_I64(tr_report_html_write(path, &r.in), TR_OK);
    free(html);
    run_free(&r);
}

/* A long equity curve keeps at most 5000 points, among them its lowest
 * and highest, and its deepest drawdown; times increase strictly. */
static void test_equity_thinning(void)
{
    size_t n = 12000;
    tr_equity_point *eq = calloc(n, sizeof *eq);
    tr_time t0 = day(2023, 6, 1) + 9 * 3600 * TR_NS_PER_SEC;
    size_t imin = 7777, imax = 4321;
    for (size_t i = 0; i < n; i++) {
        eq[i].time = t0 + (tr_time)i * TR_NS_PER_MIN;
        eq[i].equity = fx(50000.0 + (double)((i * 7919) % 1000));
    }
    eq[imin].equity = fx(40000.5);
    eq[imax].equity = fx(60000.25);
    tr_report_input in = {0};
    in.title = "long curve";
    in.equity = eq;
    in.nequity = n;
    char path[512];
    path_in(path, sizeof path, "equity.html");
    CHECK_EQ_I64(tr_report_html_write(path, &in), TR_OK);
    char *html = read_all(path, NULL);
    json_t *d = html ? report_data(html) : NULL;
    if (CHECK(d != NULL)) {
        const json_t *e = path_get(d, "equity");
        const json_t *t = path_get(e, "t"), *v = path_get(e, "v");
        const json_t *ddt = path_get(e, "dd_t"), *dd = path_get(e, "dd");
        size_t m = json_array_size(t);
        CHECK_EQ_I64(json_integer_value(path_get(e, "n")), (int64_t)n);
        CHECK_MSG(m > 1000 && m <= 5000, "%zu points", m);
        CHECK_EQ_I64(json_array_size(v), (int64_t)m);
        CHECK(json_array_size(ddt) <= 5000);
        CHECK_EQ_I64(json_array_size(ddt), (int64_t)json_array_size(dd));
        int has_min = 0, has_max = 0, increasing = 1;
        for (size_t i = 0; i < m; i++) {
            double x = num(json_array_get(v, i));
            has_min |= x == 40000.5;
            has_max |= x == 60000.25;
            if (i && json_integer_value(json_array_get(t, i)) <=
                         json_integer_value(json_array_get(t, i - 1)))
                increasing = 0;
        }
        CHECK(has_min);
        CHECK(has_max);
        CHECK(increasing);
        /* The deepest drawdown: 40000.5 against the peak 60000.25. */
        double want = 40000.5 / 60000.25 - 1, lowest = 0;
        for (size_t i = 0; i < json_array_size(dd); i++)
            if (num(json_array_get(dd, i)) < lowest)
                lowest = num(json_array_get(dd, i));
        CHECK_MSG(fabs(lowest - want) < 1e-6, "dd %.9g want %.9g", lowest, want);
        CHECK(json_is_true(path_get(e, "intraday")));
        /* June 2023 .. June 2023 (12000 minutes < 9 days). */
        const json_t *y = json_array_get(path_get(d, "monthly"), 0);
        CHECK_EQ_I64(json_integer_value(path_get(y, "y")), 2023);
        CHECK(json_is_null(json_array_get(path_get(y, "m"), 4)));
        CHECK(json_is_number(json_array_get(path_get(y, "m"), 5)));
        CHECK(json_is_null(path_get(d, "stats")));
        json_decref(d);
    }
    free(html);
    free(eq);
}

/* Monthly returns across a year boundary and with an empty month. */
static void test_monthly_years(void)
{
    tr_equity_point eq[] = {
        {day(2023, 11, 15), fx(1000), 0, 0},
        {day(2023, 11, 30), fx(1100), 0, 0}, /* Nov +10% */
        {day(2023, 12, 29), fx(990), 0, 0},  /* Dec -10% */
        {day(2024, 2, 1), fx(1089), 0, 0},   /* Jan empty, Feb +10% */
    };
    tr_report_input in = {0};
    in.equity = eq;
    in.nequity = 4;
    char path[512];
    path_in(path, sizeof path, "monthly.html");
    CHECK_EQ_I64(tr_report_html_write(path, &in), TR_OK);
    char *html = read_all(path, NULL);
    json_t *d = html ? report_data(html) : NULL;
    if (CHECK(d != NULL)) {
        const json_t *mon = path_get(d, "monthly");
        CHECK_EQ_I64(json_array_size(mon), 2);
        const json_t *y0 = json_array_get(mon, 0), *y1 = json_array_get(mon, 1);
        CHECK(near(num(json_array_get(path_get(y0, "m"), 10)), 0.1));
        CHECK(near(num(json_array_get(path_get(y0, "m"), 11)), -0.1));
        CHECK(near(num(path_get(y0, "total")), -0.01));
        CHECK_EQ_I64(json_integer_value(path_get(y1, "y")), 2024);
        CHECK(json_is_null(json_array_get(path_get(y1, "m"), 0)));
        CHECK(near(num(json_array_get(path_get(y1, "m"), 1)), 0.1));
        CHECK(near(num(path_get(y1, "total")), 0.1));
        /* The default title. */
        CHECK_STR(json_string_value(path_get(d, "title")), "Backtest");
        json_decref(d);
    }
    free(html);
}

/* More than 2000 trades: the last 2000 are shown, and the page knows it. */
static void test_trades_cut(void)
{
    size_t n = 2500;
    tr_trade *t = calloc(n, sizeof *t);
    for (size_t i = 0; i < n; i++) {
        t[i].sym = 0;
        t[i].side = TR_BUY;
        t[i].qty = fx((double)(i + 1));
        t[i].entry_time = day(2024, 1, 1) + (tr_time)i * TR_NS_PER_MIN;
        t[i].exit_time = t[i].entry_time + TR_NS_PER_MIN;
        t[i].entry_price = t[i].exit_price = fx(10);
    }
    tr_report_input in = {0};
    in.trades = t;
    in.ntrades = n;
    char path[512];
    path_in(path, sizeof path, "trades.html");
    CHECK_EQ_I64(tr_report_html_write(path, &in), TR_OK);
    char *html = read_all(path, NULL);
    json_t *d = html ? report_data(html) : NULL;
    if (CHECK(d != NULL)) {
        const json_t *tr = path_get(d, "trades");
        CHECK_EQ_I64(json_integer_value(path_get(tr, "total")), 2500);
        CHECK_EQ_I64(json_integer_value(path_get(tr, "shown")), 2000);
        CHECK_EQ_I64(json_integer_value(path_get(tr, "first")), 500);
        const json_t *rows = path_get(tr, "rows");
        CHECK_EQ_I64(json_array_size(rows), 2000);
        CHECK(near(num(json_array_get(json_array_get(rows, 0), 2)), 501));
        /* A trade of a symbol with no series still gets a name. */
        CHECK_STR(json_string_value(json_array_get(json_array_get(rows, 0), 0)), "?");
        json_decref(d);
    }
    free(html);
    free(t);
}

/* Bars and points within one second share a candle / a point: chart times
 * must increase strictly. */
static void test_subsecond(void)
{
    tr_bars bars;
    tr_bars_init(&bars);
    tr_time t0 = day(2024, 5, 6) + 10 * 3600 * TR_NS_PER_SEC;
    tr_time ts[] = {t0 + 100 * TR_NS_PER_MS, t0 + 200 * TR_NS_PER_MS,
                    t0 + 900 * TR_NS_PER_MS, t0 + TR_NS_PER_SEC,
                    t0 + 3 * TR_NS_PER_SEC};
    tr_equity_point eq[5];
    for (int i = 0; i < 5; i++) {
        tr_bar b = {ts[i], fx(10 + i), fx(11 + i), fx(9 + i), fx(10.5 + i),
                    fx(1)};
        tr_bars_push(&bars, &b, 0);
        eq[i] = (tr_equity_point){ts[i], fx(1000 + i * (i % 2 ? -1 : 1)), 0, 0};
    }
    tr_report_series s = {"TICK", &bars, 0, NULL, NULL, NULL, NULL};
    tr_report_input in = {0};
    in.equity = eq;
    in.nequity = 5;
    in.series = &s;
    in.nseries = 1;
    char path[512];
    path_in(path, sizeof path, "subsecond.html");
    CHECK_EQ_I64(tr_report_html_write(path, &in), TR_OK);
    char *html = read_all(path, NULL);
    json_t *d = html ? report_data(html) : NULL;
    if (CHECK(d != NULL)) {
        const json_t *s0 = json_array_get(path_get(d, "symbols"), 0);
        CHECK_EQ_I64(json_integer_value(path_get(s0, "candles")), 3);
        const json_t *t = path_get(s0, "t");
        CHECK_EQ_I64(json_integer_value(json_array_get(t, 0)), t0 / TR_NS_PER_SEC);
        CHECK_EQ_I64(json_integer_value(json_array_get(t, 1)), t0 / TR_NS_PER_SEC + 1);
        CHECK_EQ_I64(json_integer_value(json_array_get(t, 2)), t0 / TR_NS_PER_SEC + 3);
        /* The first candle: bars 0..2. */
        CHECK(near(num(json_array_get(path_get(s0, "o"), 0)), 10));
        CHECK(near(num(json_array_get(path_get(s0, "h"), 0)), 13));
        CHECK(near(num(json_array_get(path_get(s0, "l"), 0)), 9));
        CHECK(near(num(json_array_get(path_get(s0, "c"), 0)), 12.5));
        CHECK(near(num(json_array_get(path_get(s0, "vol"), 0)), 3));
        const json_t *et = path_get(path_get(d, "equity"), "t");
        CHECK_EQ_I64(json_array_size(et), 3);
        for (size_t i = 1; i < json_array_size(et); i++)
            CHECK(json_integer_value(json_array_get(et, i)) >
                  json_integer_value(json_array_get(et, i - 1)));
        json_decref(d);
    }
    free(html);
    tr_bars_free(&bars);
}

/* The empty run still gives a valid page. */
static void test_empty(void)
{
    tr_report_input in = {0};
    char path[512];
    path_in(path, sizeof path, "empty.html");
    CHECK_EQ_I64(tr_report_html_write(path, &in), TR_OK);
    char *html = read_all(path, NULL);
    json_t *d = html ? report_data(html) : NULL;
    if (CHECK(d != NULL)) {
        CHECK(json_is_null(path_get(d, "start")));
        CHECK_EQ_I64(json_array_size(path_get(d, "symbols")), 0);
        CHECK_EQ_I64(json_array_size(path_get(d, "monthly")), 0);
        CHECK_EQ_I64(json_integer_value(path_get(path_get(d, "equity"), "n")), 0);
        json_decref(d);
    }
    free(html);
}

/* Strings: control characters, quotes, invalid UTF-8, U+2028 and valid
 * UTF-8 survive as JSON. */
static void test_strings(void)
{
    tr_report_input in = {0};
    in.title = "a\"b\\c\n\t\x01 \xC3\xA9 \xE2\x80\xA8 \xFF\xC3 </SCRIPT> <!-- &";
    in.config_name = "\xE2\x82\xAC.yaml";
    char path[512];
    path_in(path, sizeof path, "strings.html");
    CHECK_EQ_I64(tr_report_html_write(path, &in), TR_OK);
    char *html = read_all(path, NULL);
    CHECK(html && strcasestr(html, "</SCRIPT> <!--") == NULL);
    json_t *d = html ? report_data(html) : NULL;
    if (CHECK(d != NULL)) {
        CHECK_STR(json_string_value(path_get(d, "title")),
                  "a\"b\\c\n\t\x01 \xC3\xA9 \xE2\x80\xA8 \xEF\xBF\xBD\xEF\xBF\xBD"
                  " </SCRIPT> <!-- &");
        CHECK_STR(json_string_value(path_get(d, "config")), "\xE2\x82\xAC.yaml");
        json_decref(d);
    }
    free(html);
}

static void test_errors(void)
{
    run r;
    run_init(&r);
    char path[512];
    path_in(path, sizeof path, "no/such/dir/report.html");
    errno = 0;
    CHECK_EQ_I64(tr_report_html_write(path, &r.in), TR_ERR_IO);
    CHECK_EQ_I64(errno, ENOENT);

    /* The target is a directory: the rename fails, nothing is left behind. */
    char dir[512], tmp[600];
    path_in(dir, sizeof dir, "adir.html");
    CHECK(mkdir(dir, 0700) == 0);
    path_in(path, sizeof path, "adir.html/x");
    FILE *f = fopen(path, "w"); /* non-empty, so rename cannot replace it */
    if (f)
        fclose(f);
    CHECK_EQ_I64(tr_report_html_write(dir, &r.in), TR_ERR_IO);
    snprintf(tmp, sizeof tmp, "%s.tmp", dir);
    CHECK(!file_exists(tmp));
    remove(path);
    rmdir(dir);

    CHECK_EQ_I64(tr_report_html_write(NULL, &r.in), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_report_html_write("", &r.in), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_report_html_write(path, NULL), TR_ERR_INVALID);
    r.in.series = NULL;
    CHECK_EQ_I64(tr_report_html_write(path, &r.in), TR_ERR_INVALID);
    run_free(&r);
}

/* The size of a 1-symbol, 2500-bar daily run (printed for the README). */
static void test_size(void)
{
    size_t n = 2500;
    tr_bars bars;
    tr_bars_init(&bars);
    tr_bars_reserve(&bars, n, 0);
    double *sma = malloc(n * sizeof *sma), *rsi = malloc(n * sizeof *rsi);
    tr_equity_point *eq = calloc(n, sizeof *eq);
    double c = 100;
    for (size_t i = 0; i < n; i++) {
        c *= 1.0 + 0.01 * sin((double)i * 0.37) + 0.0004;
        tr_fx cl = fx(round(c * 100) / 100);
        tr_bar b = {day(2015, 1, 1) + (tr_time)i * TR_NS_PER_DAY,
                    cl - fx(0.35), cl + fx(0.8), cl - fx(0.9), cl,
                    fx(1234567 + (double)(i % 1000) * 1000)};
        tr_bars_push(&bars, &b, 0);
        sma[i] = c * 0.99;
        rsi[i] = 50 + 20 * sin((double)i * 0.1);
        eq[i].time = b.time;
        eq[i].equity = fx(round((100000 + c * 50) * 100) / 100);
    }
    const char *names[] = {"sma_20", "rsi_14"};
    const double *vals[] = {sma, rsi};
    int panes[] = {0, 1};
    tr_trade tr[100];
    tr_fill fl[200];
    for (size_t i = 0; i < 100; i++) {
        tr_time a = bars.v[i * 24 + 3].time, b = bars.v[i * 24 + 15].time;
        tr[i] = (tr_trade){0, TR_BUY, fx(100), a, bars.v[i * 24 + 3].open, b,
                           bars.v[i * 24 + 15].open, fx(12.5), fx(2), 12, 0};
        fl[2 * i] = (tr_fill){2 * i + 1, 0, TR_BUY, TR_ROLE_ENTRY, fx(100),
                              tr[i].entry_price, fx(1), a};
        fl[2 * i + 1] = (tr_fill){2 * i + 2, 0, TR_SELL, TR_ROLE_EXIT, fx(100),
                                  tr[i].exit_price, fx(1), b};
    }
    tr_stats st = {0};
    st.start_equity = eq[0].equity;
    st.end_equity = eq[n - 1].equity;
    tr_report_series s = {"SPY", &bars, 2, names, vals, panes, &st};
    tr_report_input in = {"sma_cross on SPY", "sma_cross.yaml", eq, n, tr, 100,
                          fl, 200, &s, 1, &st};
    char path[512];
    path_in(path, sizeof path, "size.html");
    CHECK_EQ_I64(tr_report_html_write(path, &in), TR_OK);
    struct stat sb;
    if (CHECK(stat(path, &sb) == 0)) {
        printf("report size, 1 symbol, 2500 daily bars, 2 indicators, 100 "
               "trades: %lld bytes\n",
               (long long)sb.st_size);
        CHECK(sb.st_size < 1024 * 1024);
    }
    /* Keep a copy for the browser test (tests/e2e/report). */
    const char *keep = getenv("TR_REPORT_SAMPLE_DIR");
    if (keep && *keep) {
        char p[600];
        snprintf(p, sizeof p, "%s/sample.html", keep);
        CHECK_EQ_I64(tr_report_html_write(p, &in), TR_OK);
    }
    free(sma);
    free(rsi);
    free(eq);
    tr_bars_free(&bars);
}

/* Remove the test's directory and the files in it. */
static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[600];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            remove(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/tr_report_XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_page();
    test_equity_thinning();
    test_monthly_years();
    test_trades_cut();
    test_subsecond();
    test_empty();
    test_strings();
    test_errors();
    test_size();
    rm_tree(g_dir);
    return test_summary();
}
