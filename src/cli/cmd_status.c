/* cmd_status.c: `trader status`: a run's positions, orders, cash, P&L and
 * halts, read from its database alone. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/err.h"
#include "engine/backtest.h"
#include "store/status.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: trader status (-c CONFIG | --db FILE) [--json]\n"
            "\n"
            "The state of a `trader run`, read from its SQLite database only\n"
            "(run.database, kept up to date by the run), so it works while\n"
            "the run trades and after it stopped: open positions with\n"
            "unrealized P&L, open orders, cash, equity, day P&L (equity now\n"
            "minus the last equity of the previous UTC day) and total P&L\n"
            "(against the first equity), halts in force (daily loss today,\n"
            "drawdown, kill switch), the last event, and whether the run is\n"
            "live (its journal does not end with a clean stop), with how\n"
            "long ago its journal was written.\n"
            "\n"
            "options:\n"
            "  -c, --config CONFIG  the run's config (its run.database)\n"
            "      --db FILE        the database file\n"
            "      --json           one JSON object (money: decimal strings)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 fine, 2 bad usage, or no readable database (build\n"
            "it with `trader db rebuild -c CONFIG`).\n");
}

static const char *fx(tr_fx v, char *buf)
{
    tr_fx_format(v, buf, TR_FX_STRLEN);
    return buf;
}

static const char *signed_fx(tr_fx v, char *buf)
{
    buf[0] = v > 0 ? '+' : '\0';
    tr_fx_format(v, buf + (v > 0), TR_FX_STRLEN - 1);
    return buf;
}

static const char *tm(tr_time t, char *buf)
{
    tr_time_format(t, buf, TR_TIME_STRLEN);
    return buf;
}

/* "3 s", "4 min", "2.5 h", "3 days". */
static const char *ago(tr_time now, tr_time then, char *buf, size_t n)
{
    double s = (double)(now - then) / 1e9;
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf(buf, n, "%.0f s", s);
    else if (s < 7200)
        snprintf(buf, n, "%.0f min", s / 60);
    else if (s < 172800)
        snprintf(buf, n, "%.1f h", s / 3600);
    else
        snprintf(buf, n, "%.0f days", s / 86400);
    return buf;
}

static void print_human(const tr_status *s, const char *db, tr_time now)
{
    char a[TR_FX_STRLEN], b[TR_FX_STRLEN], c[TR_FX_STRLEN], d[TR_FX_STRLEN],
        e[TR_FX_STRLEN];
    char t[TR_TIME_STRLEN], ag[32];
    printf("database   %s (schema %d)\n", db, s->schema_version);
    if (s->journal[0])
        printf("journal    %s\n", s->journal);
    if (s->strategy[0])
        printf("run        %s, config %s, %" PRIu64 " start%s\n", s->strategy,
               s->config, s->sessions, s->sessions == 1 ? "" : "s");
    if (!s->last_seq) {
        printf("state      nothing projected yet\n");
        return;
    }
    if (s->live)
        printf("state      LIVE (no clean stop at the end of the journal)");
    else
        printf("state      stopped at %s", tm(s->stopped_at, t));
    if (s->has_journal_written)
        printf("; journal written %s ago",
               ago(now, s->journal_written, ag, sizeof ag));
    printf("\n");
    printf("last event record %" PRIu64 " (%s)", s->last_seq, s->last_type);
    if (s->has_market_time)
        printf(", market time %s", tm(s->last_market_time, t));
    printf("\n");
    if (s->updated)
        printf("projected  %s ago\n", ago(now, s->updated, ag, sizeof ag));
    if (s->has_equity) {
        printf("equity     %s  cash %s  exposure %s  (at %s)\n",
               fx(s->equity, a), fx(s->cash, b), fx(s->exposure, c),
               tm(s->equity_time, t));
        printf("P&L        day %s  total %s  (start equity %s)\n",
               signed_fx(s->day_pnl, d), signed_fx(s->total_pnl, e),
               fx(s->start_equity, a));
    }
    if (s->halt_daily_loss || s->halt_drawdown || s->halt_kill_switch) {
        printf("halts      %s%s%s\n", s->halt_daily_loss ? "DAILY-LOSS " : "",
               s->halt_drawdown ? "DRAWDOWN " : "",
               s->halt_kill_switch ? "KILL-SWITCH " : "");
        printf("           %s (%s)\n", s->halt_message, tm(s->halt_time, t));
    } else {
        printf("halts      none\n");
    }
    printf("activity   %" PRIu64 " bars, %" PRIu64 " signals, %" PRIu64
           " orders, %" PRIu64 " fills\n", s->bars, s->signals, s->orders,
           s->fills);

    printf("\npositions (%zu open)\n", s->npositions);
    if (s->npositions)
        printf("  %-10s %14s %14s %14s %14s %14s\n", "SYMBOL", "QTY",
               "AVG PRICE", "LAST", "UNREALIZED", "REALIZED");
    for (size_t i = 0; i < s->npositions; i++) {
        const tr_status_position *q = &s->positions[i];
        printf("  %-10s %14s %14s %14s %14s %14s\n", q->symbol,
               fx(q->qty, a), fx(q->avg_price, b), fx(q->last_price, c),
               signed_fx(q->unrealized_pnl, d), signed_fx(q->realized_pnl, e));
    }
    printf("\nopen orders (%zu)\n", s->nopen_orders);
    if (s->nopen_orders)
        printf("  %6s %-10s %-4s %-13s %-11s %-16s %12s %12s %12s\n", "ID",
               "SYMBOL", "SIDE", "TYPE", "ROLE", "STATUS", "QTY", "FILLED",
               "PRICE");
    for (size_t i = 0; i < s->nopen_orders; i++) {
        const tr_status_order *o = &s->open_orders[i];
        tr_fx px = o->limit_price ? o->limit_price : o->stop_price;
        printf("  %6" PRIu64 " %-10s %-4s %-13s %-11s %-16s %12s %12s %12s\n",
               o->id, o->symbol, o->side, o->type, o->role, o->status,
               fx(o->qty, a), fx(o->filled_qty, b), px ? fx(px, c) : "-");
    }
}

int tr_cli_status(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *db = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'd': db = optarg; break;
        case 'J': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !config == !db) {
        tr_cli_error("status: give -c CONFIG or --db FILE (see 'trader status "
                     "--help')");
        return 2;
    }
    char err[4800] = "";
    tr_bt_config cfg;
    int have_cfg = 0;
    if (config) {
        if (tr_bt_config_load(config, &cfg, err, sizeof err) != TR_OK) {
            fprintf(stderr, "%s\n", err);
            return 2;
        }
        have_cfg = 1;
        db = cfg.run.database;
    }
    tr_status s;
    int rc = tr_status_read(db, &s, err, sizeof err);
    int status = 0;
    if (rc != TR_OK) {
        tr_cli_error("status: %s", err);
        status = 2;
    } else if (json) {
        char *text = tr_status_json(&s, db, tr_time_now());
        if (!text) {
            tr_cli_error("status: out of memory");
            status = 2;
        } else {
            puts(text);
            free(text);
        }
    } else {
        print_human(&s, db, tr_time_now());
    }
    tr_status_free(&s);
    if (have_cfg)
        tr_bt_config_free(&cfg);
    return status;
}
