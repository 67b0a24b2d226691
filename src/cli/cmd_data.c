/* cmd_data.c: `trader data check` and `trader data gen`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "core/err.h"
#include "core/files.h"
#include "data/csv.h"
#include "data/gaps.h"
#include "data/gen.h"

/* ---- data check ---------------------------------------------------------- */

static void check_usage(FILE *out)
{
    fprintf(out,
            "usage: trader data check [--allow-missing N] FILE...\n"
            "\n"
            "Validates OHLCV CSV files (header: date|time|timestamp|datetime,\n"
            "open, high, low, close, optional adj close, volume, in any case\n"
            "and order). Prints one line per problem:\n"
            "    FILE:LINE: reason\n"
            "for unparsable or missing fields, non-positive or non-finite\n"
            "prices, high/low inconsistent with open/close, negative volume,\n"
            "duplicate or out-of-order times and out-of-range values, and\n"
            "    FILE:LINE: warning: gap of N missing sessions ...\n"
            "for missing sessions (weekdays for daily data, intervals within a\n"
            "day for intraday data).\n"
            "\n"
            "options:\n"
            "  --allow-missing N  missing sessions in a row not worth a warning\n"
            "                     (default 1: a single exchange holiday)\n"
            "  -h, --help         this help\n"
            "\n"
            "Exit status: 0 all rows valid (warnings allowed), 1 some row is\n"
            "invalid, 2 a file cannot be read or bad usage.\n");
}

static void print_problem(void *ctx, const char *file, size_t line,
                          const char *reason)
{
    (void)ctx;
    printf("%s:%zu: %s\n", file, line, reason);
}

typedef struct line_log {
    size_t *lines; /* lines[i]: the file line of bar i */
    size_t n, cap;
    int nomem;
} line_log;

typedef struct gap_ctx {
    const char *file;
    const tr_bars *bars;
    const size_t *lines;
} gap_ctx;

static void print_gap(void *vctx, size_t i, int64_t missing)
{
    gap_ctx *g = vctx;
    char a[TR_TIME_STRLEN], b[TR_TIME_STRLEN];
    tr_time_format_short(g->bars->v[i - 1].time, a, sizeof a);
    tr_time_format_short(g->bars->v[i].time, b, sizeof b);
    printf("%s:%zu: warning: gap of %lld missing session%s between %s and "
           "%s\n", g->file, g->lines[i], (long long)missing,
           missing == 1 ? "" : "s", a, b);
}

static void log_line(void *ctx, size_t line)
{
    line_log *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        size_t *v = realloc(l->lines, cap * sizeof *v);
        if (!v) {
            l->nomem = 1;
            return;
        }
        l->lines = v;
        l->cap = cap;
    }
    l->lines[l->n++] = line;
}

static int data_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"allow-missing", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long allow = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': {
            char *end;
            allow = strtol(optarg, &end, 10);
            if (*end || allow < 0) {
                tr_cli_error("--allow-missing takes a whole number >= 0, got "
                             "'%s'", optarg);
                return 2;
            }
            break;
        }
        case 'h':
            check_usage(stdout);
            return 0;
        default:
            check_usage(stderr);
            return 2;
        }
    }
    if (optind == argc) {
        tr_cli_error("data check: no FILE given");
        check_usage(stderr);
        return 2;
    }
    int status = 0;
    size_t files = 0, rows = 0, bad = 0, gaps = 0;
    for (int i = optind; i < argc; i++) {
        tr_bars s;
        tr_bars_init(&s);
        line_log lines = {0};
        tr_csv_opts opts = {.report = print_problem,
                            .accepted = log_line,
                            .accepted_ctx = &lines};
        size_t nbad = 0;
        int rc = tr_csv_read_file(argv[i], &opts, &s, &nbad);
        if (lines.nomem)
            rc = TR_ERR_NOMEM;
        if (rc == TR_ERR_NOT_FOUND || rc == TR_ERR_IO || rc == TR_ERR_NOMEM) {
            printf("%s: cannot read: %s\n", argv[i],
                   rc == TR_ERR_NOMEM ? tr_strerror(rc) : strerror(errno));
            status = 2;
            tr_bars_free(&s);
            free(lines.lines);
            continue;
        }
        files++;
        rows += s.n;
        bad += nbad;
        if (rc == TR_ERR_DATA && status == 0)
            status = 1;
        gap_ctx g = {argv[i], &s, lines.lines};
        gaps += tr_gaps_scan(&s, allow, print_gap, &g);
        tr_bars_free(&s);
        free(lines.lines);
    }
    fflush(stdout);
    fprintf(stderr, "checked %zu file%s: %zu valid rows, %zu invalid, %zu "
            "gap warning%s\n", files, files == 1 ? "" : "s", rows, bad, gaps,
            gaps == 1 ? "" : "s");
    return status;
}

/* ---- data gen ------------------------------------------------------------ */

static void gen_usage(FILE *out)
{
    fprintf(out,
            "usage: trader data gen --out DIR [--symbols N] [--bars N]\n"
            "                       [--seed S] [--interval 1d|1m] [--start DATE]\n"
            "\n"
            "Writes deterministic synthetic OHLCV data, one CSV per symbol\n"
            "(DIR/SYNA.csv, DIR/SYNB.csv, ...): geometric Brownian motion with\n"
            "calm and stressed volatility regimes, jumps, overnight gaps,\n"
            "consistent OHLC on a one-cent grid and volume that follows\n"
            "volatility. The same options always give the same files.\n"
            "\n"
            "options:\n"
            "  --out DIR          output folder (created if missing)\n"
            "  --symbols N        number of symbols (default 1)\n"
            "  --bars N           bars per symbol (default 1000)\n"
            "  --seed S           random seed (default 1)\n"
            "  --interval 1d|1m   daily bars, or 390 one-minute bars a day\n"
            "                     14:30-21:00 UTC (default 1d)\n"
            "  --start DATE       first day (default 2015-01-02 for 1d,\n"
            "                     2024-01-02 for 1m)\n"
            "  -h, --help         this help\n");
}

static int parse_count(const char *opt, const char *s, unsigned long long max,
                       unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-' || s[0] == '\0' || v > max) {
        tr_cli_error("%s takes a whole number from 0 to %llu, got '%s'", opt,
                     max, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int data_gen(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"symbols", required_argument, NULL, 'n'},
        {"bars", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, 's'},
        {"interval", required_argument, NULL, 'i'},
        {"start", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *start = NULL;
    unsigned long long symbols = 1, bars = 1000, seed = 1;
    tr_gen_interval interval = TR_GEN_1D;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'n':
            if (parse_count("--symbols", optarg, 100000, &symbols)) return 2;
            break;
        case 'b':
            if (parse_count("--bars", optarg, 100000000, &bars)) return 2;
            break;
        case 's':
            if (parse_count("--seed", optarg, UINT64_MAX, &seed)) return 2;
            break;
        case 'i':
            if (!strcmp(optarg, "1d")) interval = TR_GEN_1D;
            else if (!strcmp(optarg, "1m")) interval = TR_GEN_1M;
            else {
                tr_cli_error("--interval is 1d or 1m, got '%s'", optarg);
                return 2;
            }
            break;
        case 't': start = optarg; break;
        case 'h': gen_usage(stdout); return 0;
        default: gen_usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        tr_cli_error("data gen: unexpected argument '%s'", argv[optind]);
        return 2;
    }
    if (!out) {
        tr_cli_error("data gen: --out DIR is required");
        gen_usage(stderr);
        return 2;
    }
    tr_gen_opts o = {.seed = seed, .bars = bars, .interval = interval};
    const char *def = interval == TR_GEN_1D ? "2015-01-02" : "2024-01-02";
    if (!start)
        start = def;
    if (tr_time_parse(start, strlen(start), &o.start) != TR_OK) {
        tr_cli_error("--start: cannot parse date '%s' (e.g. 2015-01-02)", start);
        return 2;
    }
    if (tr_mkdir_p(out) != 0) {
        tr_cli_error("cannot create folder '%s': %s", out, strerror(errno));
        return 2;
    }
    tr_progress bar;
    tr_progress_start(&bar, "generating", symbols);
    for (unsigned i = 0; i < symbols; i++) {
        tr_bars s;
        tr_bars_init(&s);
        char name[32], path[4096];
        tr_gen_symbol(i, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s.csv", out, name);
        int rc = tr_gen_series(&o, i, &s);
        if (rc == TR_OK && tr_csv_write_file(path, &s) != TR_OK) {
            tr_cli_error("cannot write '%s': %s", path, strerror(errno));
            tr_bars_free(&s);
            return 2;
        }
        tr_bars_free(&s);
        if (rc != TR_OK) {
            tr_cli_error("generating %s: %s", name, tr_strerror(rc));
            return 2;
        }
        tr_progress_add(&bar, 1);
    }
    tr_progress_finish(&bar);
    fprintf(stderr, "wrote %llu file%s of %llu bars to %s/\n", symbols,
            symbols == 1 ? "" : "s", bars, out);
    return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

static void data_usage(FILE *out)
{
    fprintf(out, "usage: trader data check [OPTIONS] FILE...\n"
                 "       trader data gen --out DIR [OPTIONS]\n"
                 "\n"
                 "  check   validate OHLCV CSV files, report bad rows and gaps\n"
                 "  gen     write deterministic synthetic OHLCV data\n"
                 "\n"
                 "'trader data check --help' and 'trader data gen --help' say "
                 "more.\n");
}

int tr_cli_data(int argc, char **argv)
{
    if (argc < 2) {
        data_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        data_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "check"))
        return data_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "gen"))
        return data_gen(argc - 1, argv + 1);
    tr_cli_error("data: unknown action '%s' (check or gen)", argv[1]);
    return 2;
}
