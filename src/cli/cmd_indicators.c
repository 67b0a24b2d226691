/* cmd_indicators.c: `trader indicators`: indicators over a CSV file, as CSV.
 *
 * The whole file is read and validated first (a file with bad rows gives no
 * output at all), then every bar goes through every indicator once and one
 * CSV row is formatted into a large buffer that is written with fwrite. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/fixed.h"
#include "core/time.h"
#include "data/csv.h"
#include "ind/spec.h"

#define OUT_BUF_SIZE ((size_t)1 << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: trader indicators --data FILE --ind SPEC [--ind SPEC ...]\n"
            "\n"
            "Computes indicators over the bars of an OHLCV CSV file (see\n"
            "'trader data check --help' for the accepted layouts) and writes\n"
            "CSV to stdout: a header 'time,<columns>', then one row per bar.\n"
            "A field is empty while its indicator warms up; values have 17\n"
            "significant digits. The time is YYYY-MM-DD when every bar is at\n"
            "midnight UTC, else YYYY-MM-DDTHH:MM:SSZ.\n"
            "\n"
            "options:\n"
            "  -d, --data FILE  the bars\n"
            "  -i, --ind SPEC   an indicator, NAME[:PARAM...]; repeat it for\n"
            "                   more\n"
            "  -h, --help       this help\n"
            "\n"
            "SPEC (parameters in brackets are optional, with their defaults)\n"
            "and the columns it adds:\n");
    size_t n;
    const tr_ind_info *cat = tr_ind_catalog(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-26s %s\n      columns: %s\n", cat[i].syntax,
                cat[i].summary, cat[i].columns);
    fprintf(out,
            "\n"
            "Conventions are TA-Lib's (EMA seeded by an SMA, Wilder smoothing\n"
            "for RSI, ATR and ADX, 0 where a denominator is 0).\n"
            "\n"
            "example:\n"
            "  trader indicators --data ttrc.csv --ind sma:20 --ind rsi "
            "--ind macd:12:26:9\n"
            "\n"
            "Exit status: 0 done, 1 the file has bad rows (each reported as\n"
            "FILE:LINE: reason on stderr; nothing is written), 2 bad usage or\n"
            "the file cannot be read.\n");
}

static void report_row(void *ctx, const char *file, size_t line,
                       const char *reason)
{
    (void)ctx;
    fprintf(stderr, "%s:%zu: %s\n", file, line, reason);
}

/* The output buffer: rows are formatted in place and written in large
 * chunks. */
typedef struct outbuf {
    char *p;
    size_t len, cap;
    int failed;
} outbuf;

static void out_flush(outbuf *o)
{
    if (o->len && !o->failed && fwrite(o->p, 1, o->len, stdout) != o->len)
        o->failed = 1;
    o->len = 0;
}

static void out_ensure(outbuf *o, size_t need)
{
    if (o->cap - o->len < need)
        out_flush(o);
}

static void out_str(outbuf *o, const char *s, size_t n)
{
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void out_char(outbuf *o, char c)
{
    o->p[o->len++] = c;
}

/* ---- %.17g, fast --------------------------------------------------------
 * glibc's printf spends ~400 ns on a %.17g (multi-precision arithmetic):
 * 80% of the command's time. For 1e-5 <= |v| < 1e16, which is every
 * ordinary indicator value, the 17 significant digits are computed exactly
 * here instead: v = m * 2^e with m < 2^53, and m * 10^p (p <= 22) fits in
 * 128 bits, so round(v * 10^p) is an exact shift with round-half-even on the
 * exact remainder, the same digits printf gives. Everything else (0 aside)
 * goes to snprintf. The output is byte-identical to "%.17g". */

typedef unsigned __int128 u128;

static const uint64_t pow10_u64[20] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
    1000000000u, 10000000000u, 100000000000u, 1000000000000u,
    10000000000000u, 100000000000000u, 1000000000000000u,
    10000000000000000u, 100000000000000000u, 1000000000000000000u,
    10000000000000000000u};

static u128 pow10_u128(int p) /* 0 <= p <= 38 */
{
    return p < 20 ? pow10_u64[p] : (u128)pow10_u64[p - 19] * pow10_u64[19];
}

/* The 17 significant digits of a (1e-5 <= a < 1e16) as an integer in
 * [1e16, 1e17) and the decimal exponent of the first digit; 0 when the fast
 * path does not apply. */
static int digits17(double a, uint64_t *digits, int *exp10)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int be = (int)(bits >> 52);                /* a is normal and positive */
    uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int e = be - 1075;                         /* a = m * 2^e, exactly */
    /* floor(log10(a)) is floor((e + 52) * log10(2)) or one more; the loop
     * below settles it. 78913 / 2^18 ~ log10(2). */
    int x = (int)(((int64_t)(e + 52) * 78913) >> 18);
    for (int tries = 0; tries < 3; tries++) {
        int p = 16 - x;
        if (p < 0 || p > 22 || e > 10 || e < -120)
            return 0;
        u128 t = (u128)m * pow10_u128(p); /* < 2^53 * 10^22 < 2^127 */
        u128 n = t, rem = 0, half = 0;
        if (e > 0) {
            n = t << e;
        } else if (e < 0) {
            n = t >> -e;
            rem = t - (n << -e);
            half = (u128)1 << (-e - 1);
        }
        /* The exponent is right when the truncated value has 17 digits. */
        if (n >= (u128)pow10_u64[17]) {
            x++;
            continue;
        }
        if (n < (u128)pow10_u64[16]) {
            x--;
            continue;
        }
        if (rem > half || (rem == half && rem && (n & 1)))
            n++;
        if (n == (u128)pow10_u64[17]) { /* 99...9.5 rounds up to 10^17 */
            n = pow10_u64[16];
            x++;
        }
        *digits = (uint64_t)n;
        *exp10 = x;
        return 1;
    }
    return 0;
}

/* Writes v as "%.17g" would into p (room for 32 bytes); returns the
 * length. */
static size_t format_g17(double v, char *p)
{
    uint64_t n;
    int x;
    double a = fabs(v);
    if (v == 0.0) {
        if (signbit(v)) {
            memcpy(p, "-0", 2);
            return 2;
        }
        *p = '0';
        return 1;
    }
    if (!(a >= 1e-5 && a < 1e16) || !digits17(a, &n, &x)) {
        int w = snprintf(p, 32, "%.17g", v);
        return w > 0 ? (size_t)w : 0;
    }
    char d[17];
    for (int i = 16; i >= 0; i--) {
        d[i] = (char)('0' + n % 10);
        n /= 10;
    }
    int last = 16; /* the last digit kept: %g drops trailing zeros */
    while (last > 0 && d[last] == '0')
        last--;
    char *q = p;
    if (v < 0)
        *q++ = '-';
    if (x < -4) { /* d.ddde-05 */
        *q++ = d[0];
        if (last > 0) {
            *q++ = '.';
            memcpy(q, d + 1, (size_t)last);
            q += last;
        }
        *q++ = 'e';
        *q++ = '-';
        *q++ = (char)('0' + (-x) / 10);
        *q++ = (char)('0' + (-x) % 10);
    } else if (x < 0) { /* 0.000ddd */
        *q++ = '0';
        *q++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *q++ = '0';
        memcpy(q, d, (size_t)last + 1);
        q += last + 1;
    } else { /* ddd.ddd (x <= 15 here) */
        memcpy(q, d, (size_t)x + 1);
        q += x + 1;
        if (last > x) {
            *q++ = '.';
            memcpy(q, d + x + 1, (size_t)(last - x));
            q += last - x;
        }
    }
    return (size_t)(q - p);
}

static void out_double(outbuf *o, double v)
{
    o->len += format_g17(v, o->p + o->len);
}

static int run(const char *path, tr_ind **inds, size_t ninds)
{
    tr_bars bars;
    tr_bars_init(&bars);
    tr_csv_opts opts = {.report = report_row};
    size_t bad = 0;
    int rc = tr_csv_read_file(path, &opts, &bars, &bad);
    if (rc == TR_ERR_DATA) {
        tr_cli_error("%s: %zu bad row%s; no output written", path, bad,
                     bad == 1 ? "" : "s");
        tr_bars_free(&bars);
        return 1;
    }
    if (rc != TR_OK) {
        tr_cli_error("cannot read '%s': %s", path,
                     rc == TR_ERR_NOT_FOUND || rc == TR_ERR_IO
                         ? strerror(errno)
                         : tr_strerror(rc));
        tr_bars_free(&bars);
        return 2;
    }

    size_t ncols = 0, name_len = 0;
    for (size_t i = 0; i < ninds; i++)
        for (size_t c = 0; c < tr_ind_columns(inds[i]); c++) {
            ncols++;
            name_len += strlen(tr_ind_column_name(inds[i], c)) + 1;
        }
    /* time, then "," and a %.17g (at most 24 characters) per column. */
    size_t row_max = TR_TIME_STRLEN + 2 + ncols * 33;
    size_t cap = OUT_BUF_SIZE;
    if (cap < row_max + name_len + 8)
        cap = row_max + name_len + 8;
    outbuf o = {malloc(cap), 0, cap, 0};
    if (!o.p) {
        tr_cli_error("%s", tr_strerror(TR_ERR_NOMEM));
        tr_bars_free(&bars);
        return 2;
    }

    out_str(&o, "time", 4);
    for (size_t i = 0; i < ninds; i++)
        for (size_t c = 0; c < tr_ind_columns(inds[i]); c++) {
            const char *name = tr_ind_column_name(inds[i], c);
            out_char(&o, ',');
            out_str(&o, name, strlen(name));
        }
    out_char(&o, '\n');

    int dates = tr_bars_all_midnight(&bars);
    for (size_t r = 0; r < bars.n && !o.failed; r++) {
        const tr_bar *b = &bars.v[r];
        tr_ind_input in = {
            .time = b->time,
            .open = tr_fx_to_double(b->open),
            .high = tr_fx_to_double(b->high),
            .low = tr_fx_to_double(b->low),
            .close = tr_fx_to_double(b->close),
            .volume = tr_fx_to_double(b->volume),
        };
        out_ensure(&o, row_max);
        size_t w = dates ? tr_time_format_date(b->time, o.p + o.len,
                                               o.cap - o.len)
                         : tr_time_format(b->time, o.p + o.len,
                                          o.cap - o.len);
        o.len += w;
        for (size_t i = 0; i < ninds; i++) {
            tr_ind_update(inds[i], &in);
            for (size_t c = 0; c < tr_ind_columns(inds[i]); c++) {
                out_char(&o, ',');
                if (tr_ind_ready(inds[i], c))
                    out_double(&o, tr_ind_value(inds[i], c));
            }
        }
        out_char(&o, '\n');
    }
    out_flush(&o);
    if (!o.failed && fflush(stdout) != 0)
        o.failed = 1;
    int status = 0;
    if (o.failed) {
        tr_cli_error("writing the output: %s", strerror(errno));
        status = 2;
    }
    free(o.p);
    tr_bars_free(&bars);
    return status;
}

int tr_cli_indicators(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"ind", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL;
    /* At most one indicator per argument. */
    tr_ind **inds = calloc((size_t)(argc > 0 ? argc : 1), sizeof *inds);
    size_t ninds = 0;
    int status = 2, c;
    if (!inds) {
        tr_cli_error("%s", tr_strerror(TR_ERR_NOMEM));
        return 2;
    }
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:i:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'i': {
            char err[512];
            int rc = tr_ind_parse(optarg, &inds[ninds], err, sizeof err);
            if (rc) {
                tr_cli_error("--ind %s: %s", optarg, err);
                goto done;
            }
            ninds++;
            break;
        }
        case 'h':
            usage(stdout);
            status = 0;
            goto done;
        case ':':
            tr_cli_error("indicators: option '%s' needs a value; see "
                         "'trader indicators --help'",
                         argv[optind - 1]);
            goto done;
        default:
            if (optopt)
                tr_cli_error("indicators: unknown option '-%c'; see "
                             "'trader indicators --help'",
                             optopt);
            else
                tr_cli_error("indicators: unknown option '%s'; see "
                             "'trader indicators --help'",
                             argv[optind - 1]);
            goto done;
        }
    }
    if (optind < argc) {
        tr_cli_error("indicators: unexpected argument '%s'; see 'trader "
                     "indicators --help'",
                     argv[optind]);
        goto done;
    }
    if (!data) {
        tr_cli_error("indicators: --data FILE is required; see 'trader "
                     "indicators --help'");
        goto done;
    }
    if (ninds == 0) {
        tr_cli_error("indicators: at least one --ind SPEC is required (e.g. "
                     "--ind sma:20); see 'trader indicators --help'");
        goto done;
    }
    status = run(data, inds, ninds);
done:
    for (size_t i = 0; i < ninds; i++)
        tr_ind_free(inds[i]);
    free(inds);
    return status;
}
