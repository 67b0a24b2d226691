/* cmd_indicators.c: `trader indicators`: indicators over a CSV file, as CSV.
 *
 * The whole file is read and validated first (a file with bad rows gives no
 * output at all), then every bar goes through every indicator once and one
 * CSV row is formatted into a large buffer that is written with fwrite. */
#include <errno.h>
#include <getopt.h>
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
            "  -i, --ind SPEC   an indicator, NAME[:PARAM...]; repeat for more\n"
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

static void out_double(outbuf *o, double v)
{
    /* %.17g of a double is at most 24 characters. */
    int w = snprintf(o->p + o->len, o->cap - o->len, "%.17g", v);
    if (w > 0)
        o->len += (size_t)w;
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
    size_t row_max = TR_TIME_STRLEN + 2 + ncols * 26; /* time + ",%.17g" */
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
