/* cmd_backtest.c: `trader backtest -c CONFIG [--out DIR]`. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "core/err.h"
#include "engine/backtest.h"
#include "ind/spec.h"
#include "report/output.h"
#include "report/report.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: trader backtest -c CONFIG [--out DIR] [--no-report]\n"
            "                       [--progress-file FILE]\n"
            "\n"
            "Runs a strategy over historical bars with the same engine as live\n"
            "trading: signals -> risk -> orders -> paper fills -> portfolio.\n"
            "Prints a summary and writes into DIR (default results/NAME, NAME\n"
            "being the config file's name):\n"
            "  trades.csv    round trips (an open trade has an empty exit)\n"
            "  orders.csv    every order and its final status\n"
            "  fills.csv     every fill with price and commission\n"
            "  equity.csv    equity, cash, exposure, drawdown per bar\n"
            "  signals.csv   every signal and what risk decided\n"
            "  metrics.json  statistics, per symbol too\n"
            "  report.html   charts, trades and monthly returns (opens offline)\n"
            "\n"
            "options:\n"
            "  -c, --config CONFIG  the backtest's YAML file (see config/)\n"
            "  -o, --out DIR        output folder\n"
            "      --no-report      skip report.html\n"
            "      --progress-file FILE  keep \"BARS_DONE BARS_TOTAL\" in FILE\n"
            "                       (for programs watching the run: the API)\n"
            "  -h, --help           this help\n"
            "\n"
            "Strategies:\n");
    size_t n;
    const tr_strategy_def *const *all = tr_strategy_list(&n);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "  %-20s %s\n", all[i]->name, all[i]->summary);
        fprintf(out, "  %-20s params:", "");
        for (size_t k = 0; k < all[i]->nparams; k++) {
            const tr_param_def *p = &all[i]->params[k];
            if (p->type == TR_PARAM_BOOL)
                fprintf(out, " %s=%s", p->name, p->def ? "true" : "false");
            else
                fprintf(out, " %s=%g", p->name, p->def);
        }
        fputc('\n', out);
    }
    fprintf(out,
            "\n"
            "Exit status: 0 done, 1 the data has bad rows, 2 bad usage, config\n"
            "or failure.\n");
}

typedef struct progress_ctx {
    tr_progress bar;
    const char *file; /* --progress-file, or NULL */
} progress_ctx;

static void on_progress(void *ctx, size_t done, size_t total)
{
    progress_ctx *pc = ctx;
    tr_progress *p = &pc->bar;
    if (p->total != total)
        tr_progress_start(p, "backtest", total);
    tr_progress_add(p, done - p->done);
    if (pc->file) { /* replaced whole, so a reader never sees half */
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", pc->file);
        FILE *f = fopen(tmp, "w");
        if (f) {
            fprintf(f, "%zu %zu\n", done, total);
            if (fclose(f) == 0)
                rename(tmp, pc->file);
        }
    }
}

/* 1234567.5 -> "1,234,567.50" */
static const char *money(tr_fx v, char *buf, size_t size)
{
    double d = tr_fx_to_double(v);
    char raw[64];
    snprintf(raw, sizeof raw, "%.2f", fabs(d));
    char *dot = strchr(raw, '.');
    size_t int_len = (size_t)(dot - raw), k = 0;
    if (d < 0 && k + 1 < size)
        buf[k++] = '-';
    for (size_t i = 0; i < int_len && k + 2 < size; i++) {
        if (i && (int_len - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = raw[i];
    }
    snprintf(buf + k, size - k, "%s", dot);
    return buf;
}

static void print_summary(const tr_bt_config *cfg, const tr_bt_result *r)
{
    const tr_stats *s = &r->stats;
    char a[48], b[48], t1[TR_TIME_STRLEN], t2[TR_TIME_STRLEN];
    printf("\nBacktest %s: %s on", cfg->name, cfg->engine.strategy->name);
    for (size_t i = 0; i < r->nsyms && i < 6; i++)
        printf(" %s", tr_symtab_name(r->symbols, (tr_sym)i));
    if (r->nsyms > 6)
        printf(" and %zu more", r->nsyms - 6);
    printf("\n");
    if (r->equity.n) {
        tr_time_format_short(r->equity.v[0].time, t1, sizeof t1);
        tr_time_format_short(r->equity.v[r->equity.n - 1].time, t2, sizeof t2);
        printf("  %-16s %s .. %s (%zu bars)\n", "period", t1, t2, r->bars_total);
    }
    printf("  %-16s %s -> %s\n", "equity", money(s->start_equity, a, sizeof a),
           money(r->final_equity, b, sizeof b));
    printf("  %-16s %+.2f%%   CAGR %+.2f%%   volatility %.2f%%\n",
           "total return", 100 * s->total_return, 100 * s->cagr,
           100 * s->ann_volatility);
    printf("  %-16s %.2f   Sortino %.2f   Calmar %.2f\n", "Sharpe", s->sharpe,
           s->sortino, s->calmar);
    tr_time_format_short(s->max_dd_peak, t1, sizeof t1);
    tr_time_format_short(s->max_dd_trough, t2, sizeof t2);
    printf("  %-16s %.2f%% (%s .. %s), longest %.0f days under water\n",
           "max drawdown", 100 * s->max_drawdown, t1, t2,
           s->max_dd_duration_days);
    printf("  %-16s %zu closed, %zu open   win rate %.1f%%   profit factor ",
           "trades", s->trades, s->open_trades, 100 * s->win_rate);
    if (isinf(s->profit_factor))
        printf("inf\n");
    else
        printf("%.2f\n", s->profit_factor);
    printf("  %-16s avg win %s   avg loss %s   expectancy %s\n", "",
           money(s->avg_win, a, sizeof a), money(s->avg_loss, b, sizeof b),
           money(s->expectancy, t1, sizeof t1));
    printf("  %-16s in market %.1f%%   turnover %.2fx   commissions %s\n",
           "activity", 100 * s->time_in_market, s->turnover_ratio,
           money(s->commissions, a, sizeof a));

    size_t executed = 0, counts[TR_RISK_REASON_COUNT] = {0};
    for (size_t i = 0; i < r->signals.n; i++) {
        counts[r->signals.v[i].reason]++;
        executed += r->signals.v[i].reason == TR_RISK_OK;
    }
    printf("  %-16s %zu: %zu executed", "signals", r->signals.n, executed);
    if (executed < r->signals.n) {
        printf(", %zu rejected (", r->signals.n - executed);
        int first = 1;
        for (int k = 1; k < TR_RISK_REASON_COUNT; k++)
            if (counts[k]) {
                printf("%s%s %zu", first ? "" : ", ",
                       tr_risk_reason_name((tr_risk_reason)k), counts[k]);
                first = 0;
            }
        printf(")");
    }
    printf("\n");
    for (size_t i = 0; i < r->alerts.n; i++) {
        tr_time_format_short(r->alerts.v[i].time, t1, sizeof t1);
        printf("  %-16s %s %s\n", i ? "" : "risk alerts", t1,
               r->alerts.v[i].message);
    }
    if (r->nsyms > 1) {
        printf("\n  %-10s %12s %8s %7s %9s %9s\n", "symbol", "net P&L",
               "trades", "win %", "in mkt %", "return %");
        for (size_t i = 0; i < r->nsyms; i++) {
            const tr_stats *q = &r->sym_stats[i];
            printf("  %-10s %12s %8zu %7.1f %9.1f %9.2f\n",
                   tr_symtab_name(r->symbols, (tr_sym)i),
                   money(q->net_pnl, a, sizeof a), q->trades,
                   100 * q->win_rate, 100 * q->time_in_market,
                   100 * q->total_return);
        }
    }
}

/* Indicators worth drawing with the strategy, computed over each symbol. */
typedef struct plot_data {
    size_t nind;
    char **names;
    double **values; /* [ind * nsyms + sym] */
    int *pane;
} plot_data;

static int price_scale(const char *spec)
{
    static const char *over[] = {"sma", "ema", "wma", "bbands", "vwap"};
    for (size_t i = 0; i < sizeof over / sizeof over[0]; i++)
        if (!strncmp(spec, over[i], strlen(over[i])))
            return 1;
    return 0;
}

static void plot_free(plot_data *p, size_t nsyms)
{
    for (size_t i = 0; i < p->nind; i++)
        free(p->names[i]);
    for (size_t i = 0; i < p->nind * nsyms; i++)
        free(p->values[i]);
    free(p->names), free(p->values), free(p->pane);
}

static int plot_build(const tr_bt_config *cfg, const tr_bt_result *r,
                      plot_data *out)
{
    memset(out, 0, sizeof *out);
    char specs[512] = "";
    if (cfg->engine.strategy->plot)
        cfg->engine.strategy->plot(cfg->engine.params, specs, sizeof specs);
    size_t cap = 16, nsyms = r->nsyms;
    out->names = calloc(cap, sizeof *out->names);
    out->values = calloc(cap * nsyms, sizeof *out->values);
    out->pane = calloc(cap, sizeof *out->pane);
    if (!out->names || !out->values || !out->pane)
        return TR_ERR_NOMEM;
    for (char *tok = strtok(specs, " "); tok; tok = strtok(NULL, " ")) {
        tr_ind *probe;
        if (tr_ind_parse(tok, &probe, NULL, 0) != TR_OK)
            continue;
        size_t cols = tr_ind_columns(probe);
        tr_ind_free(probe);
        for (size_t c = 0; c < cols && out->nind < cap; c++) {
            size_t k = out->nind++;
            out->pane[k] = !price_scale(tok);
            for (size_t s = 0; s < nsyms; s++) {
                const tr_bars *b = &r->bars[s];
                tr_ind *ind;
                double *v = malloc((b->n ? b->n : 1) * sizeof *v);
                out->values[k * nsyms + s] = v;
                if (!v || tr_ind_parse(tok, &ind, NULL, 0) != TR_OK)
                    return TR_ERR_NOMEM;
                if (!out->names[k])
                    out->names[k] = strdup(tr_ind_column_name(ind, c));
                for (size_t j = 0; j < b->n; j++) {
                    const tr_bar *x = &b->v[j];
                    tr_ind_input in = {x->time, tr_fx_to_double(x->open),
                                       tr_fx_to_double(x->high),
                                       tr_fx_to_double(x->low),
                                       tr_fx_to_double(x->close),
                                       tr_fx_to_double(x->volume)};
                    tr_ind_update(ind, &in);
                    v[j] = tr_ind_value(ind, c);
                }
                tr_ind_free(ind);
            }
        }
    }
    return TR_OK;
}

static int write_report(const char *path, const tr_bt_config *cfg,
                        const tr_bt_result *r)
{
    plot_data pd;
    int rc = plot_build(cfg, r, &pd);
    tr_report_series *series = calloc(r->nsyms, sizeof *series);
    const char **names = calloc(pd.nind ? pd.nind : 1, sizeof *names);
    const double **vals = calloc((pd.nind ? pd.nind : 1) * r->nsyms,
                                 sizeof *vals);
    if (rc == TR_OK && (!series || !names || !vals))
        rc = TR_ERR_NOMEM;
    if (rc == TR_OK) {
        for (size_t k = 0; k < pd.nind; k++)
            names[k] = pd.names[k];
        for (size_t s = 0; s < r->nsyms; s++) {
            for (size_t k = 0; k < pd.nind; k++)
                vals[s * pd.nind + k] = pd.values[k * r->nsyms + s];
            series[s].symbol = tr_symtab_name(r->symbols, (tr_sym)s);
            series[s].bars = &r->bars[s];
            series[s].nind = pd.nind;
            series[s].ind_names = names;
            series[s].ind_values = vals + s * pd.nind;
            series[s].ind_pane = pd.pane;
            series[s].stats = &r->sym_stats[s];
        }
        char title[160];
        snprintf(title, sizeof title, "%s on %s%s", cfg->engine.strategy->name,
                 series[0].symbol, r->nsyms > 1 ? " and others" : "");
        tr_report_input in = {
            .title = title, .config_name = cfg->path,
            .equity = r->equity.v, .nequity = r->equity.n,
            .trades = r->trades, .ntrades = r->ntrades,
            .fills = r->fills.v, .nfills = r->fills.n,
            .series = series, .nseries = r->nsyms, .stats = &r->stats,
        };
        rc = tr_report_html_write(path, &in);
    }
    free(series), free(names), free(vals);
    plot_free(&pd, r->nsyms);
    return rc;
}

int tr_cli_backtest(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},
        {"no-report", no_argument, NULL, 'n'},
        {"progress-file", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *out = NULL, *progress_file = NULL;
    int report = 1, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': out = optarg; break;
        case 'n': report = 0; break;
        case 'p': progress_file = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        tr_cli_error("backtest: unexpected argument '%s'", argv[optind]);
        return 2;
    }
    if (!config) {
        tr_cli_error("backtest: -c CONFIG is required (examples in config/)");
        return 2;
    }
    char err[1024] = "";
    tr_bt_config cfg;
    int rc = tr_bt_config_load(config, &cfg, err, sizeof err);
    if (rc != TR_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    char outdir[4096];
    snprintf(outdir, sizeof outdir, "%s", out ? out : "");
    if (!out)
        snprintf(outdir, sizeof outdir, "results/%s", cfg.name);

    progress_ctx pc = {{0}, progress_file};
    tr_bt_result res;
    rc = tr_bt_run(&cfg, on_progress, &pc, &res, err, sizeof err);
    if (pc.bar.total)
        tr_progress_finish(&pc.bar);
    if (rc != TR_OK) {
        fprintf(stderr, "trader: backtest: %s\n", err);
        tr_bt_result_free(&res);
        tr_bt_config_free(&cfg);
        return rc == TR_ERR_DATA ? 1 : 2;
    }
    print_summary(&cfg, &res);
    rc = tr_output_write(outdir, &cfg, &res, err, sizeof err);
    if (rc == TR_OK && report) {
        char path[4200];
        snprintf(path, sizeof path, "%s/report.html", outdir);
        if (write_report(path, &cfg, &res) != TR_OK) {
            tr_cli_error("backtest: cannot write '%s': %s", path,
                         strerror(errno));
            rc = TR_ERR_IO;
        }
    } else if (rc != TR_OK) {
        tr_cli_error("backtest: %s", err);
    }
    if (rc == TR_OK)
        printf("\n  %-16s %s/ (trades.csv orders.csv fills.csv equity.csv "
               "signals.csv metrics.json%s)\n  %-16s %.0f bars/s\n", "written to",
               outdir, report ? " report.html" : "", "speed",
               res.seconds > 0 ? (double)res.bars_total / res.seconds : 0.0);
    tr_bt_result_free(&res);
    tr_bt_config_free(&cfg);
    return rc == TR_OK ? 0 : 2;
}
