/* cmd_run.c: `trader run -c CONFIG`: live paper trading, journaled. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/metrics.h"
#include "api/service.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "engine/live.h"
#include "store/projection.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: trader run -c CONFIG\n"
            "\n"
            "Trades the config's strategy live on the paper broker: the same\n"
            "engine as `trader backtest`, fed bar by bar from the run feed, with\n"
            "every input and every decision written to the event journal first.\n"
            "Stop it with Ctrl-C (or SIGTERM): it finishes the current bar,\n"
            "flushes the journal, writes a snapshot of the engine and exits.\n"
            "Started again, it loads the newest snapshot and replays the journal\n"
            "after it (checking that the engine reproduces every journaled event)\n"
            "and goes on where it stopped, even after a kill -9.\n"
            "\n"
            "The config is a backtest config with a `run:` section:\n"
            "  run:\n"
            "    journal: run/demo/journal     # default run/NAME/journal\n"
            "    fsync: interval               # always | interval | os\n"
            "    fsync_interval_ms: 10\n"
            "    snapshot_every: 10000         # steps; 0 = only at a clean stop\n"
            "    feed:\n"
            "      type: replay                # replay the data: files, or\n"
            "                                  # synthetic (symbols, seed, bars,\n"
            "                                  # interval 1m|1d)\n"
            "      speed: 60                   # bar time per wall time; max = no\n"
            "                                  # waiting\n"
            "  api:                            # optional: the HTTP API, the\n"
            "    listen: 127.0.0.1:8080        # WebSocket stream and /metrics\n"
            "    rate_limit: 100               # requests a minute per key\n"
            "\n"
            "With an api: section the run serves the REST API under /api/v1\n"
            "(keys from `trader keys create`), and goes on serving after the\n"
            "feed ends, until stopped.\n"
            "\n"
            "options:\n"
            "  -c, --config CONFIG  the YAML file (see config/paper.yaml)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 stopped cleanly or the feed ended, 1 bad data, 2 bad\n"
            "usage, config or journal, 3 the journal could not be written\n"
            "(trading halted; nothing acknowledged was lost).\n");
}

int tr_cli_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!config || optind != argc) {
        tr_cli_error("run: -c CONFIG is required (see 'trader run --help')");
        return 2;
    }
    char err[4800] = "";
    tr_bt_config cfg;
    int rc = tr_bt_config_load(config, &cfg, err, sizeof err);
    if (rc != TR_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    tr_log(TR_LOG_INFO, "run", "starting %s: %s on %zu symbol%s, journal %s, "
           "feed %s at %s", cfg.name, cfg.engine.strategy->name, cfg.ndata,
           cfg.ndata == 1 ? "" : "s", cfg.run.journal,
           cfg.run.feed == TR_FEED_SYNTHETIC ? "synthetic" : "replay",
           cfg.run.speed > 0 ? "a set speed" : "max speed");
    /* The database is a projection of the journal, kept up to date by its
     * own thread: the engine never waits for it, and it catches up from
     * the journal whenever it falls behind or the database goes away. */
    tr_proj_follower *proj = NULL;
    char perr[1024] = "";
    if (tr_proj_follow_start(cfg.run.journal, cfg.run.database, &proj, perr,
                             sizeof perr) != TR_OK) {
        tr_log(TR_LOG_WARN, "store", "database %s not projected: %s (trading "
               "goes on; `trader db rebuild` recreates it from the journal)",
               cfg.run.database, perr);
        proj = NULL;
    }
    /* The API around the run: a view of the engine's state for reads, a
     * command queue for changes, metrics, and the HTTP server. */
    tr_live_io io = {0};
    tr_service *svc = NULL;
    tr_metrics *metrics = NULL;
    if (cfg.api.enabled) {
        const char **names = calloc(cfg.ndata ? cfg.ndata : 1, sizeof *names);
        for (size_t i = 0; names && i < cfg.ndata; i++)
            names[i] = cfg.data[i].symbol;
        io.view = names ? tr_view_new(cfg.ndata, names, cfg.engine.cash) : NULL;
        free(names);
        io.q = tr_cmdq_new(1024);
        io.serve = 1;
        if (tr_metrics_new(&metrics) == TR_OK &&
            tr_metrics_register_standard(metrics, tr_cli_version(),
                                         (double)time(NULL), NULL) != TR_OK) {
            tr_metrics_free(metrics);
            metrics = NULL;
        }
        io.metrics = metrics;
        if (!io.view || !io.q || !metrics) {
            tr_cli_error("run: out of memory");
            rc = TR_ERR_NOMEM;
        } else {
            rc = tr_service_start(&cfg, io.view, io.q, metrics, &svc, err,
                                  sizeof err);
        }
        if (rc != TR_OK) {
            tr_log(TR_LOG_ERROR, "api", "%s", err);
            tr_proj_follow_stop(proj);
            tr_view_free(io.view);
            tr_cmdq_free(io.q);
            tr_metrics_free(metrics);
            tr_bt_config_free(&cfg);
            return 2;
        }
        tr_log(TR_LOG_INFO, "api", "serving http%s://%s:%d/api/v1 (keys: %s)",
               cfg.api.tls_cert ? "s" : "", cfg.api.host,
               tr_service_port(svc), cfg.api.keys);
    }
    tr_live_stats st;
    rc = tr_live_run(&cfg, &stop_requested, cfg.api.enabled ? &io : NULL, &st,
                     err, sizeof err);
    tr_service_stop(svc);
    tr_view_free(io.view);
    tr_cmdq_free(io.q);
    tr_metrics_free(metrics);
    if (proj && tr_proj_follow_stop(proj) != TR_OK)
        tr_log(TR_LOG_WARN, "store", "database %s is behind the journal: "
               "`trader db rebuild -c %s` brings it up to date",
               cfg.run.database, config);
    if (rc != TR_OK) {
        tr_log(TR_LOG_ERROR, "run", "%s", err);
        tr_bt_config_free(&cfg);
        return rc == TR_ERR_IO ? 3 : rc == TR_ERR_DATA && !st.replayed_records ? 1 : 2;
    }
    char eq[TR_FX_STRLEN], cash[TR_FX_STRLEN];
    tr_fx_format(st.equity, eq, sizeof eq);
    tr_fx_format(st.cash, cash, sizeof cash);
    char from[64] = "";
    if (st.snapshot_seq)
        snprintf(from, sizeof from, " after the snapshot of record %" PRIu64,
                 st.snapshot_seq);
    tr_log(TR_LOG_INFO, "run", "%s: %" PRIu64 " steps traded this run (%" PRIu64
           " steps, %" PRIu64 " records replayed from the journal%s, %" PRIu64
           " records repaired); equity %s, cash %s, %zu open position%s; "
           "journal at record %" PRIu64 "; %" PRIu64 " snapshots written (%zu "
           "bytes; while trading, at most %.3f ms on the engine thread)",
           st.finished ? "feed finished" : "stopped", st.new_steps,
           st.replayed_steps, st.replayed_records, from, st.repaired_records,
           eq, cash, st.open_positions, st.open_positions == 1 ? "" : "s",
           st.last_seq, st.snapshots_written, st.snapshot_bytes,
           (double)st.snapshot_save_us_max / 1000.0);
    tr_bt_config_free(&cfg);
    return 0;
}
