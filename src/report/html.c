/* html.c: the self-contained HTML backtest report (report.h).
 *
 * The page is one file with no external reference:
 *
 *   <style>   the page style sheet (src/report/html_page.css)
 *   <script type="application/json" id="tr-data">  the data, written here
 *   <script>  lightweight-charts (vendored from npm)
 *   <script>  the page script (src/report/html_page.js) that builds the
 *             header, metrics, charts and tables from the data
 *
 * The three texts are embedded in libtrader at build time by
 * cmake/embed_js.cmake, so the report works wherever trader is installed.
 * A Content-Security-Policy in the page forbids every network request.
 *
 * This file decides what goes into the data, and keeps the page small:
 *  - a symbol with more than TR_REPORT_MAX_CANDLES bars is drawn with k
 *    consecutive bars merged into one candle (first open, highest high,
 *    lowest low, last close, summed volume; indicators: the last value);
 *  - the equity and drawdown curves are cut into groups of consecutive
 *    points and keep the lowest and the highest point of each group, at most
 *    TR_REPORT_MAX_POINTS points;
 *  - the trades table keeps the last TR_REPORT_MAX_TRADES trades (the page
 *    says so when it cuts), the markers the first TR_REPORT_MAX_MARKERS
 *    fills of each symbol.
 * The monthly returns are computed from the whole equity curve.
 *
 * Numbers: tr_fx values (prices, quantities, money) are written exactly as
 * tr_fx_format gives them, which is valid JSON; statistics with 10
 * significant digits, indicators with 8, drawdowns with 6; NaN and
 * infinities as null. Chart times are whole UTC seconds (what
 * lightweight-charts takes), and no group splits a second, so the times of
 * a chart series always increase strictly. Strings are escaped for JSON and
 * for HTML ('<', '>', '&' as \u003c, \u003e, \u0026), with invalid UTF-8
 * replaced by U+FFFD, so no data can close the <script> element. */
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"

/* Embedded at build time (cmake/embed_js.cmake): NUL-terminated texts. */
extern const unsigned char tr_report_chart_js[];
extern const size_t tr_report_chart_js_len;
extern const unsigned char tr_report_page_js[];
extern const size_t tr_report_page_js_len;
extern const unsigned char tr_report_page_css[];
extern const size_t tr_report_page_css_len;

#define TR_REPORT_MAX_CANDLES 5000
#define TR_REPORT_MAX_POINTS 5000
#define TR_REPORT_MAX_TRADES 2000
#define TR_REPORT_MAX_MARKERS 5000

/* ---- output with a sticky error ------------------------------------------ */

typedef struct wr {
    FILE *f;
    int err; /* errno of the first failed write; 0 while all went well */
} wr;

static void put(wr *w, const char *s, size_t n)
{
    if (w->err || n == 0)
        return;
    if (fwrite(s, 1, n, w->f) != n)
        w->err = errno ? errno : EIO;
}

static void puts_(wr *w, const char *s) { put(w, s, strlen(s)); }

__attribute__((format(printf, 2, 3))) static void putf(wr *w, const char *fmt,
                                                       ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(w, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* ---- JSON values ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min, cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, min = 0x80, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, min = 0x800, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* s as a JSON string, safe inside an HTML <script> element; NULL as null. */
static void put_jstr(wr *w, const char *str)
{
    if (!str) {
        puts_(w, "null");
        return;
    }
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    char buf[256];
    size_t k = 0;
    buf[k++] = '"';
    for (size_t i = 0; i < n;) {
        if (k > sizeof buf - 16) {
            put(w, buf, k);
            k = 0;
        }
        unsigned c = s[i];
        if (c < 0x80) {
            switch (c) {
            case '"': buf[k++] = '\\', buf[k++] = '"'; break;
            case '\\': buf[k++] = '\\', buf[k++] = '\\'; break;
            case '\n': buf[k++] = '\\', buf[k++] = 'n'; break;
            case '\r': buf[k++] = '\\', buf[k++] = 'r'; break;
            case '\t': buf[k++] = '\\', buf[k++] = 't'; break;
            default:
                if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7F)
                    k += (size_t)snprintf(buf + k, 7, "\\u%04x", c);
                else
                    buf[k++] = (char)c;
            }
            i++;
            continue;
        }
        size_t len = utf8_len(s + i, n - i);
        if (len == 0) {
            memcpy(buf + k, "\\ufffd", 6), k += 6;
            i++;
        } else if (len == 3 && c == 0xE2 && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            /* U+2028/2029: valid JSON, but not JavaScript before ES2019. */
            k += (size_t)snprintf(buf + k, 7, "\\u%04x",
                                  s[i + 2] == 0xA8 ? 0x2028u : 0x2029u);
            i += 3;
        } else {
            memcpy(buf + k, s + i, len), k += len;
            i += len;
        }
    }
    buf[k++] = '"';
    put(w, buf, k);
}

/* "key": */
static void put_key(wr *w, const char *key)
{
    put_jstr(w, key);
    put(w, ":", 1);
}

static void put_fx(wr *w, tr_fx v)
{
    char buf[TR_FX_STRLEN];
    put(w, buf, tr_fx_format(v, buf, sizeof buf));
}

/* v with sig significant digits, or null when not finite. The decimal
 * point is forced to '.' whatever the C locale says. */
static void put_dbl(wr *w, double v, int sig)
{
    if (!isfinite(v)) {
        puts_(w, "null");
        return;
    }
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.*g", sig, v);
    if (n <= 0 || (size_t)n >= sizeof buf) {
        puts_(w, "null");
        return;
    }
    for (int i = 0; i < n; i++)
        if (buf[i] == ',')
            buf[i] = '.';
    put(w, buf, (size_t)n);
}

/* Whole seconds since the epoch, rounded down (also before 1970). */
static int64_t secs_of(tr_time t)
{
    int64_t s = t / TR_NS_PER_SEC;
    return (t % TR_NS_PER_SEC < 0) ? s - 1 : s;
}

static void put_secs(wr *w, tr_time t) { putf(w, "%lld", (long long)secs_of(t)); }

/* The time as text: a date for midnight, else the full UTC time. */
static void put_ttext(wr *w, tr_time t)
{
    char buf[TR_TIME_STRLEN];
    size_t n = tr_time_format_short(t, buf, sizeof buf);
    put(w, "\"", 1);
    put(w, buf, n);
    put(w, "\"", 1);
}

static void put_size(wr *w, size_t v) { putf(w, "%zu", v); }

/* ---- grouping of time series ---------------------------------------------- */

/* The times of an array of structs that start with a tr_time (tr_bar,
 * tr_equity_point). */
typedef struct tseq {
    const unsigned char *base;
    size_t stride;
} tseq;

static int64_t tseq_secs(tseq s, size_t i)
{
    tr_time t;
    memcpy(&t, s.base + i * s.stride, sizeof t);
    return secs_of(t);
}

/* The end of the group that starts at a: k points, then on while the next
 * point falls in the same second as the last one (a chart cannot show two
 * points in one second). */
static size_t group_end(tseq ts, size_t n, size_t a, size_t k)
{
    size_t b = n - a > k ? a + k : n;
    while (b < n && tseq_secs(ts, b) == tseq_secs(ts, b - 1))
        b++;
    return b;
}

/* Group size that brings n points down to at most max groups. */
static size_t group_size(size_t n, size_t max)
{
    return n > max ? (n + max - 1) / max : 1;
}

/* Indices of the points of a curve to draw: groups of g points, each giving
 * its lowest and highest point (by key) in time order, one when both fall
 * in the same second. out has room for n. Returns the count. */
static size_t thin_minmax(tseq ts, const double *key, size_t n, size_t g,
                          size_t *out)
{
    size_t m = 0;
    for (size_t a = 0; a < n;) {
        size_t b = group_end(ts, n, a, g);
        size_t lo = a, hi = a;
        for (size_t i = a + 1; i < b; i++) {
            if (key[i] < key[lo])
                lo = i;
            if (key[i] > key[hi])
                hi = i;
        }
        size_t first = lo < hi ? lo : hi, last = lo < hi ? hi : lo;
        if (first != last && tseq_secs(ts, first) != tseq_secs(ts, last))
            out[m++] = first;
        out[m++] = last;
        a = b;
    }
    return m;
}

/* ---- sections ------------------------------------------------------------- */

static void put_stats(wr *w, const tr_stats *s)
{
    if (!s) {
        puts_(w, "null");
        return;
    }
    put(w, "{", 1);
#define FX(k) put_key(w, #k), put_fx(w, s->k), put(w, ",", 1)
#define DB(k) put_key(w, #k), put_dbl(w, s->k, 10), put(w, ",", 1)
#define SZ(k) put_key(w, #k), put_size(w, s->k), put(w, ",", 1)
#define TM(k) put_key(w, #k), put_ttext(w, s->k), put(w, ",", 1)
    FX(start_equity);
    FX(end_equity);
    DB(total_return);
    DB(cagr);
    DB(ann_volatility);
    DB(sharpe);
    DB(sortino);
    DB(max_drawdown);
    TM(max_dd_peak);
    TM(max_dd_trough);
    DB(max_dd_duration_days);
    DB(calmar);
    DB(periods_per_year);
    SZ(trades);
    SZ(open_trades);
    SZ(wins);
    SZ(losses);
    DB(win_rate);
    DB(profit_factor);
    FX(gross_profit);
    FX(gross_loss);
    FX(net_pnl);
    FX(avg_win);
    FX(avg_loss);
    FX(expectancy);
    DB(time_in_market);
    FX(turnover);
    DB(turnover_ratio);
    FX(commissions);
#undef FX
#undef DB
#undef TM
    /* Profit factor is INFINITY when nothing was lost: say so, since JSON
     * has no infinity. */
    put_key(w, "profit_factor_inf");
    puts_(w, isinf(s->profit_factor) && s->profit_factor > 0 ? "true" : "false");
    put(w, ",", 1);
    put_key(w, "fills");
    put_size(w, s->fills);
#undef SZ
    put(w, "}", 1);
}

/* The role's name as in files and the API (tr_order_role_name's). */
static const char *role_name(tr_order_role r)
{
    switch (r) {
    case TR_ROLE_ENTRY: return "entry";
    case TR_ROLE_EXIT: return "exit";
    case TR_ROLE_STOP_LOSS: return "stop_loss";
    case TR_ROLE_TAKE_PROFIT: return "take_profit";
    }
    return "fill";
}

static const char *sym_name(const tr_report_input *in, tr_sym sym)
{
    if (sym < in->nseries && in->series[sym].symbol)
        return in->series[sym].symbol;
    return "?";
}

/* The equity curve and its drawdown, each thinned to at most
 * TR_REPORT_MAX_POINTS points. */
static int put_equity(wr *w, const tr_report_input *in)
{
    size_t n = in->equity ? in->nequity : 0;
    const tr_equity_point *eq = in->equity;
    put_key(w, "equity");
    putf(w, "{\"n\":%zu,", n);
    if (n == 0) {
        puts_(w, "\"intraday\":false,\"t\":[],\"v\":[],\"dd_t\":[],\"dd\":[]}");
        return TR_OK;
    }
    double *key = malloc(n * sizeof *key);
    double *dd = malloc(n * sizeof *dd);
    size_t *idx = malloc(n * sizeof *idx);
    if (!key || !dd || !idx) {
        free(key), free(dd), free(idx);
        return TR_ERR_NOMEM;
    }
    tseq ts = {(const unsigned char *)eq, sizeof *eq};
    size_t g = group_size(n, TR_REPORT_MAX_POINTS / 2);
    tr_fx peak = eq[0].equity;
    int intraday = 0;
    for (size_t i = 0; i < n; i++) {
        if (eq[i].equity > peak)
            peak = eq[i].equity;
        key[i] = tr_fx_to_double(eq[i].equity);
        dd[i] = peak > 0 ? key[i] / tr_fx_to_double(peak) - 1.0 : 0.0;
        if (eq[i].time % TR_NS_PER_DAY != 0)
            intraday = 1;
    }
    putf(w, "\"intraday\":%s,", intraday ? "true" : "false");

    size_t m = thin_minmax(ts, key, n, g, idx);
    puts_(w, "\"t\":[");
    for (size_t i = 0; i < m; i++) {
        if (i)
            put(w, ",", 1);
        put_secs(w, eq[idx[i]].time);
    }
    puts_(w, "],\"v\":[");
    for (size_t i = 0; i < m; i++) {
        if (i)
            put(w, ",", 1);
        put_fx(w, eq[idx[i]].equity);
    }
    puts_(w, "],");

    m = thin_minmax(ts, dd, n, g, idx);
    puts_(w, "\"dd_t\":[");
    for (size_t i = 0; i < m; i++) {
        if (i)
            put(w, ",", 1);
        put_secs(w, eq[idx[i]].time);
    }
    puts_(w, "],\"dd\":[");
    for (size_t i = 0; i < m; i++) {
        if (i)
            put(w, ",", 1);
        put_dbl(w, dd[idx[i]], 6);
    }
    puts_(w, "]}");
    free(key), free(dd), free(idx);
    return TR_OK;
}

/* Monthly returns: last equity of the month / last equity of the month
 * before - 1 (the first month against the first point), and per year the
 * product of its months. One row a calendar year from the first to the
 * last; months without points are null. */
static int put_monthly(wr *w, const tr_report_input *in)
{
    size_t n = in->equity ? in->nequity : 0;
    const tr_equity_point *eq = in->equity;
    put_key(w, "monthly");
    if (n == 0) {
        puts_(w, "[]");
        return TR_OK;
    }
    tr_civil c0, c1;
    tr_time_to_civil(eq[0].time, &c0);
    tr_time_to_civil(eq[n - 1].time, &c1);
    size_t nyears = c1.year >= c0.year ? (size_t)(c1.year - c0.year) + 1 : 1;
    /* Per year: 12 month returns and the year's total. */
    double *r = malloc(nyears * 13 * sizeof *r);
    if (!r)
        return TR_ERR_NOMEM;
    for (size_t i = 0; i < nyears * 13; i++)
        r[i] = NAN;

    double base = tr_fx_to_double(eq[0].equity); /* end of the last month */
    double year_base = base;
    long cur = -1; /* year * 12 + month - 1 of the month being read */
    double last = base;
    for (size_t i = 0; i <= n; i++) {
        long ym = -1;
        if (i < n) {
            tr_civil c;
            tr_time_to_civil(eq[i].time, &c);
            ym = (long)c.year * 12 + c.month - 1;
        }
        if (cur != -1 && ym != cur) { /* month cur is complete */
            long y = cur / 12 - c0.year, mo = cur % 12;
            if (y >= 0 && (size_t)y < nyears) {
                r[(size_t)y * 13 + (size_t)mo] =
                    base > 0 ? last / base - 1.0 : NAN;
                /* The year ends with this month when the next is in
                 * another year (or there is none). */
                if (ym == -1 || ym / 12 != cur / 12) {
                    r[(size_t)y * 13 + 12] =
                        year_base > 0 ? last / year_base - 1.0 : NAN;
                    year_base = last;
                }
            }
            base = last;
        }
        if (i < n) {
            cur = ym;
            last = tr_fx_to_double(eq[i].equity);
        }
    }

    put(w, "[", 1);
    for (size_t y = 0; y < nyears; y++) {
        if (y)
            put(w, ",", 1);
        putf(w, "{\"y\":%d,\"m\":[", c0.year + (int)y);
        for (int mo = 0; mo < 12; mo++) {
            if (mo)
                put(w, ",", 1);
            put_dbl(w, r[y * 13 + (size_t)mo], 10);
        }
        puts_(w, "],\"total\":");
        put_dbl(w, r[y * 13 + 12], 10);
        put(w, "}", 1);
    }
    put(w, "]", 1);
    free(r);
    return TR_OK;
}

/* Decimals of v's shortest exact form (0..8). */
static int fx_decimals(tr_fx v)
{
    int64_t f = v % TR_FX_SCALE;
    if (f == 0)
        return 0;
    int d = TR_FX_DECIMALS;
    while (f % 10 == 0) {
        f /= 10;
        d--;
    }
    return d;
}

/* Index of the group that holds time t: the last group that starts at or
 * before t (the first group for earlier times). */
static size_t group_of(const tr_bar *v, const size_t *starts, size_t ng,
                       tr_time t)
{
    size_t lo = 0, hi = ng; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[starts[mid]].time <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* One trade marker: [time, side, role, qty, price, time text]. */
static void put_marker(wr *w, int64_t t, int side, const char *role, tr_fx qty,
                       tr_fx price, tr_time when)
{
    putf(w, "[%lld,%d,", (long long)t, side);
    put_jstr(w, role);
    put(w, ",", 1);
    put_fx(w, qty);
    put(w, ",", 1);
    put_fx(w, price);
    put(w, ",", 1);
    put_ttext(w, when);
    put(w, "]", 1);
}

/* The markers of symbol sym on the chart's candles: the fills, or the
 * trades' entries and exits when the run gave no fills. */
static void put_markers(wr *w, const tr_report_input *in, tr_sym sym,
                        const tr_bar *v, const size_t *starts, size_t ng)
{
    size_t total = 0, shown = 0;
    put_key(w, "markers");
    put(w, "[", 1);
    if (ng > 0 && in->fills && in->nfills > 0) {
        for (size_t i = 0; i < in->nfills; i++) {
            const tr_fill *f = &in->fills[i];
            if (f->sym != sym)
                continue;
            if (total++ >= TR_REPORT_MAX_MARKERS)
                continue;
            if (shown++)
                put(w, ",", 1);
            size_t gi = group_of(v, starts, ng, f->time);
            put_marker(w, secs_of(v[starts[gi]].time), f->side == TR_SELL ? -1 : 1,
                       role_name(f->role), f->qty, f->price, f->time);
        }
    } else if (ng > 0 && in->trades) {
        for (size_t i = 0; i < in->ntrades; i++) {
            const tr_trade *tr = &in->trades[i];
            if (tr->sym != sym)
                continue;
            int side = tr->side == TR_SELL ? -1 : 1;
            for (int leg = 0; leg < (tr->open ? 1 : 2); leg++) {
                if (total++ >= TR_REPORT_MAX_MARKERS)
                    continue;
                if (shown++)
                    put(w, ",", 1);
                tr_time t = leg ? tr->exit_time : tr->entry_time;
                size_t gi = group_of(v, starts, ng, t);
                put_marker(w, secs_of(v[starts[gi]].time), leg ? -side : side,
                           leg ? "exit" : "entry", tr->qty,
                           leg ? tr->exit_price : tr->entry_price, t);
            }
        }
    }
    putf(w, "],\"markers_total\":%zu", total);
}

/* One symbol: candles (merged when long), volume, indicators, markers and
 * its statistics. */
static int put_series(wr *w, const tr_report_input *in, tr_sym sym)
{
    const tr_report_series *s = &in->series[sym];
    const tr_bar *v = s->bars ? s->bars->v : NULL;
    size_t n = v ? s->bars->n : 0;
    size_t k = group_size(n, TR_REPORT_MAX_CANDLES);
    size_t *starts = malloc((n + 1) * sizeof *starts);
    if (!starts)
        return TR_ERR_NOMEM;
    tseq ts = {(const unsigned char *)v, sizeof *v};
    size_t ng = 0;
    int dec = 2, intraday = 0;
    for (size_t a = 0; a < n; a = group_end(ts, n, a, k))
        starts[ng++] = a;
    starts[ng] = n;
    for (size_t i = 0; i < n; i++) {
        int d = fx_decimals(v[i].open);
        int d2 = fx_decimals(v[i].high), d3 = fx_decimals(v[i].low),
            d4 = fx_decimals(v[i].close);
        d = d2 > d ? d2 : d;
        d = d3 > d ? d3 : d;
        d = d4 > d ? d4 : d;
        if (d > dec)
            dec = d;
        if (v[i].time % TR_NS_PER_DAY != 0)
            intraday = 1;
    }

    put(w, "{", 1);
    put_key(w, "symbol");
    put_jstr(w, s->symbol ? s->symbol : "?");
    putf(w, ",\"n\":%zu,\"merge\":%zu,\"candles\":%zu,\"decimals\":%d,"
            "\"intraday\":%s,",
         n, k, ng, dec, intraday ? "true" : "false");
    if (n > 0) {
        put_key(w, "first");
        put_ttext(w, v[0].time);
        put(w, ",", 1);
        put_key(w, "last");
        put_ttext(w, v[n - 1].time);
        put(w, ",", 1);
    }

    /* Columns, one value a candle. */
    puts_(w, "\"t\":[");
    for (size_t g = 0; g < ng; g++) {
        if (g)
            put(w, ",", 1);
        put_secs(w, v[starts[g]].time);
    }
    puts_(w, "],\"o\":[");
    for (size_t g = 0; g < ng; g++) {
        if (g)
            put(w, ",", 1);
        put_fx(w, v[starts[g]].open);
    }
    puts_(w, "],\"h\":[");
    for (size_t g = 0; g < ng; g++) {
        tr_fx h = v[starts[g]].high;
        for (size_t i = starts[g] + 1; i < starts[g + 1]; i++)
            if (v[i].high > h)
                h = v[i].high;
        if (g)
            put(w, ",", 1);
        put_fx(w, h);
    }
    puts_(w, "],\"l\":[");
    for (size_t g = 0; g < ng; g++) {
        tr_fx l = v[starts[g]].low;
        for (size_t i = starts[g] + 1; i < starts[g + 1]; i++)
            if (v[i].low < l)
                l = v[i].low;
        if (g)
            put(w, ",", 1);
        put_fx(w, l);
    }
    puts_(w, "],\"c\":[");
    for (size_t g = 0; g < ng; g++) {
        if (g)
            put(w, ",", 1);
        put_fx(w, v[starts[g + 1] - 1].close);
    }
    puts_(w, "],\"vol\":[");
    for (size_t g = 0; g < ng; g++) {
        tr_fx sum = 0;
        for (size_t i = starts[g]; i < starts[g + 1]; i++)
            if (tr_fx_add(sum, v[i].volume, &sum) != TR_OK)
                sum = v[i].volume < 0 ? TR_FX_MIN : TR_FX_MAX; /* saturate */
        if (g)
            put(w, ",", 1);
        put_fx(w, sum);
    }
    puts_(w, "],\"ind\":[");
    size_t shown_ind = 0;
    for (size_t j = 0; j < s->nind; j++) {
        const double *iv = s->ind_values ? s->ind_values[j] : NULL;
        if (!iv)
            continue;
        if (shown_ind++)
            put(w, ",", 1);
        put(w, "{", 1);
        put_key(w, "name");
        put_jstr(w, s->ind_names && s->ind_names[j] ? s->ind_names[j] : "?");
        putf(w, ",\"pane\":%d,\"v\":[", s->ind_pane && s->ind_pane[j] ? 1 : 0);
        for (size_t g = 0; g < ng; g++) {
            if (g)
                put(w, ",", 1);
            put_dbl(w, iv[starts[g + 1] - 1], 8);
        }
        puts_(w, "]}");
    }
    puts_(w, "],");
    put_markers(w, in, sym, v, starts, ng);
    put(w, ",", 1);
    put_key(w, "stats");
    put_stats(w, s->stats);
    put(w, "}", 1);
    free(starts);
    return TR_OK;
}

/* The trades table: the last TR_REPORT_MAX_TRADES trades, one array a row
 * in the order of "cols". */
static void put_trades(wr *w, const tr_report_input *in)
{
    size_t n = in->trades ? in->ntrades : 0;
    size_t first = n > TR_REPORT_MAX_TRADES ? n - TR_REPORT_MAX_TRADES : 0;
    size_t nopen = 0;
    for (size_t i = 0; i < n; i++)
        nopen += in->trades[i].open != 0;
    put_key(w, "trades");
    putf(w, "{\"total\":%zu,\"open\":%zu,\"first\":%zu,\"shown\":%zu,", n,
         nopen, first, n - first);
    puts_(w, "\"cols\":[\"symbol\",\"side\",\"qty\",\"entry_time\","
             "\"entry_price\",\"exit_time\",\"exit_price\",\"pnl\","
             "\"commission\",\"bars\",\"open\",\"entry_t\",\"exit_t\"],"
             "\"rows\":[");
    for (size_t i = first; i < n; i++) {
        const tr_trade *t = &in->trades[i];
        if (i > first)
            put(w, ",\n", 2);
        put(w, "[", 1);
        put_jstr(w, sym_name(in, t->sym));
        puts_(w, t->side == TR_SELL ? ",\"short\"," : ",\"long\",");
        put_fx(w, t->qty);
        put(w, ",", 1);
        put_ttext(w, t->entry_time);
        put(w, ",", 1);
        put_fx(w, t->entry_price);
        put(w, ",", 1);
        if (t->open) {
            puts_(w, "null,null,");
        } else {
            put_ttext(w, t->exit_time);
            put(w, ",", 1);
            put_fx(w, t->exit_price);
            put(w, ",", 1);
        }
        put_fx(w, t->pnl);
        put(w, ",", 1);
        put_fx(w, t->commission);
        putf(w, ",%zu,%s,", t->bars, t->open ? "true" : "false");
        put_secs(w, t->entry_time);
        put(w, ",", 1);
        if (t->open)
            puts_(w, "null");
        else
            put_secs(w, t->exit_time);
        put(w, "]", 1);
    }
    puts_(w, "]}");
}

static int put_data(wr *w, const tr_report_input *in)
{
    int rc;
    put(w, "{", 1);
    putf(w, "\"version\":1,\"limits\":{\"candles\":%d,\"points\":%d,"
            "\"trades\":%d,\"markers\":%d},",
         TR_REPORT_MAX_CANDLES, TR_REPORT_MAX_POINTS, TR_REPORT_MAX_TRADES,
         TR_REPORT_MAX_MARKERS);
    put_key(w, "title");
    put_jstr(w, in->title ? in->title : "Backtest");
    put(w, ",", 1);
    put_key(w, "config");
    put_jstr(w, in->config_name);
    put(w, ",", 1);

    /* The period: the equity curve's, else the bars'. */
    int have = 0;
    tr_time start = 0, end = 0;
    if (in->equity && in->nequity > 0) {
        start = in->equity[0].time;
        end = in->equity[in->nequity - 1].time;
        have = 1;
    } else {
        for (size_t i = 0; i < in->nseries; i++) {
            const tr_bars *b = in->series[i].bars;
            if (!b || b->n == 0)
                continue;
            if (!have || b->v[0].time < start)
                start = b->v[0].time;
            if (!have || b->v[b->n - 1].time > end)
                end = b->v[b->n - 1].time;
            have = 1;
        }
    }
    put_key(w, "start");
    if (have)
        put_ttext(w, start);
    else
        puts_(w, "null");
    put(w, ",", 1);
    put_key(w, "end");
    if (have)
        put_ttext(w, end);
    else
        puts_(w, "null");
    puts_(w, ",\"days\":");
    put_dbl(w, have ? (double)(end - start) / (double)TR_NS_PER_DAY : 0, 6);
    put(w, ",", 1);

    put_key(w, "stats");
    put_stats(w, in->stats);
    puts_(w, ",\n");
    if ((rc = put_equity(w, in)) != TR_OK)
        return rc;
    puts_(w, ",\n");
    if ((rc = put_monthly(w, in)) != TR_OK)
        return rc;
    puts_(w, ",\n");
    put_key(w, "symbols");
    put(w, "[", 1);
    for (size_t i = 0; i < in->nseries; i++) {
        if (i)
            puts_(w, ",\n");
        if ((rc = put_series(w, in, (tr_sym)i)) != TR_OK)
            return rc;
    }
    puts_(w, "],\n");
    put_trades(w, in);
    put(w, "}", 1);
    return TR_OK;
}

/* s escaped as HTML text. */
static void put_html(wr *w, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': puts_(w, "&amp;"); break;
        case '<': puts_(w, "&lt;"); break;
        case '>': puts_(w, "&gt;"); break;
        case '"': puts_(w, "&quot;"); break;
        case '\'': puts_(w, "&#39;"); break;
        default: put(w, s, 1);
        }
    }
}

static int put_page(wr *w, const tr_report_input *in)
{
    puts_(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
             "<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, "
             "initial-scale=1\">\n"
             /* Everything is inline; nothing may be fetched. */
             "<meta http-equiv=\"Content-Security-Policy\" content=\""
             "default-src 'none'; script-src 'unsafe-inline'; "
             "style-src 'unsafe-inline'; img-src data:\">\n"
             "<meta name=\"generator\" content=\"trader\">\n<title>");
    put_html(w, in->title ? in->title : "Backtest");
    puts_(w, " \xE2\x80\x94 backtest report</title>\n<style>\n");
    put(w, (const char *)tr_report_page_css, tr_report_page_css_len);
    puts_(w, "</style>\n</head>\n<body>\n"
             "<noscript><p class=\"noscript\">This report draws its charts "
             "and tables with JavaScript; please enable it.</p></noscript>\n"
             "<div id=\"app\"></div>\n"
             "<script type=\"application/json\" id=\"tr-data\">\n");
    int rc = put_data(w, in);
    if (rc != TR_OK)
        return rc;
    puts_(w, "\n</script>\n<script>\n");
    put(w, (const char *)tr_report_chart_js, tr_report_chart_js_len);
    puts_(w, "\n</script>\n<script>\n");
    put(w, (const char *)tr_report_page_js, tr_report_page_js_len);
    puts_(w, "\n</script>\n</body>\n</html>\n");
    return TR_OK;
}

int tr_report_html_write(const char *path, const tr_report_input *in)
{
    if (!path || !*path || !in || (in->nseries > 0 && !in->series))
        return TR_ERR_INVALID;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp)
        return TR_ERR_NOMEM;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);

    wr w = {fopen(tmp, "wb"), 0};
    if (!w.f) {
        int e = errno;
        free(tmp);
        errno = e;
        return TR_ERR_IO;
    }
    int rc = put_page(&w, in);
    if (rc == TR_OK && !w.err && fflush(w.f) != 0)
        w.err = errno ? errno : EIO;
    if (rc == TR_OK && !w.err && fsync(fileno(w.f)) != 0 && errno != EINVAL)
        w.err = errno;
    if (fclose(w.f) != 0 && !w.err)
        w.err = errno ? errno : EIO;
    if (rc == TR_OK && w.err)
        rc = TR_ERR_IO;
    if (rc == TR_OK && rename(tmp, path) != 0) {
        w.err = errno;
        rc = TR_ERR_IO;
    }
    if (rc != TR_OK) {
        unlink(tmp);
        if (w.err)
            errno = w.err;
    }
    free(tmp);
    return rc;
}
