/* backtest.h: a backtest = the engine fed from CSV history.
 *
 * The driver merges any number of instruments' bar series by time
 * (different calendars and missing bars are fine: each step holds the bars
 * that exist at that timestamp) and collects everything the engine records,
 * for the output files and the report. */
#ifndef TR_BACKTEST_H
#define TR_BACKTEST_H

#include <stddef.h>

#include "core/config.h"
#include "engine/engine.h"
#include "store/journal.h"

#define TR_BT_MAX_SYMBOLS 4096

typedef struct tr_bt_data {
    char symbol[TR_SYM_MAX_LEN + 1];
    char *path;  /* resolved path of the CSV file (owned) */
} tr_bt_data;

/* The `run:` section: how `trader run` trades live (ignored by backtests). */
typedef enum tr_feed_kind {
    TR_FEED_REPLAY = 0,  /* the data: files, replayed at `speed` */
    TR_FEED_SYNTHETIC,   /* generated bars (symbols, seed), at `speed` */
} tr_feed_kind;

typedef struct tr_run_section {
    char *journal;            /* folder; default run/NAME/journal */
    char *database;           /* SQLite file; default run/NAME/trader.db */
    tr_fsync_policy fsync;    /* default interval */
    uint32_t fsync_interval_ms; /* default 10 */
    uint64_t segment_bytes;   /* journal segment size; default 64 MiB */
    uint64_t snapshot_every;  /* engine snapshot every N steps traded;
                               * 0 = only at a clean stop; default 10000 */
    tr_feed_kind feed;
    double speed;             /* bar time per wall time; 0 = as fast as possible */
    uint32_t synth_symbols;   /* synthetic feed */
    uint64_t synth_seed;
    size_t synth_bars;
    int synth_minute;         /* 1m bars (else 1d) */
} tr_run_section;

/* The `api:` section: the HTTP API of `trader run` (off without it). */
typedef struct tr_api_section {
    int enabled;              /* the section is present and not disabled */
    char *host;               /* listen address; default 127.0.0.1 */
    int port;                 /* default 8080; 0 picks a free port */
    char *keys;               /* API key store; default next to database */
    char *tls_cert, *tls_key; /* both or neither */
    char *web;                /* static files served at /, or NULL */
    uint32_t rate_limit;      /* requests per minute per key; default 100 */
    uint32_t max_body_kb;     /* default 1024 */
    uint32_t workers;         /* request threads; default 2 */
    int metrics_public;       /* /metrics without a key; default true */
} tr_api_section;

typedef struct tr_bt_config {
    char *name;            /* the config file's base name, without .yaml */
    char *path;            /* the config file */
    tr_engine_cfg engine;  /* nsyms = ndata */
    tr_bt_data *data;
    size_t ndata;
    tr_time from, to;      /* bars outside [from, to] are skipped; 0 = open */
    tr_run_section run;
    tr_api_section api;
} tr_bt_config;

/* Load and validate a backtest config (YAML; see the examples in config/ and the
 * README for the keys). Errors are "FILE:LINE: path: reason" in err; the
 * return is TR_ERR_INVALID, TR_ERR_NOT_FOUND (the file, or a data file), or
 * TR_ERR_NOMEM. On success free the config with tr_bt_config_free. */
int tr_bt_config_load(const char *path, tr_bt_config *out, char *err,
                      size_t errlen);
void tr_bt_config_free(tr_bt_config *c);

/* A growable array of records. */
#define TR_VEC(T)                                                              \
    struct {                                                                   \
        T *v;                                                                  \
        size_t n, cap;                                                         \
    }

typedef struct tr_bt_signal {
    tr_signal sig;
    tr_risk_reason reason;
    char detail[160];
} tr_bt_signal;

typedef struct tr_bt_result {
    tr_symtab *symbols;           /* ids 0 .. ndata-1 in config order */
    tr_bars *bars;                /* bars[sym], as loaded (and filtered) */
    TR_VEC(tr_equity_point) equity;
    TR_VEC(tr_fill) fills;
    TR_VEC(tr_bt_signal) signals;
    TR_VEC(tr_risk_alert) alerts;
    tr_order *orders;             /* every order, final state, id order */
    size_t norders;
    tr_trade *trades;             /* closed trades then open ones */
    size_t ntrades;
    tr_stats stats;
    tr_stats *sym_stats;          /* per symbol */
    size_t nsyms;
    tr_fx final_cash, final_equity;
    size_t steps, bars_total;
    double seconds;               /* wall time of the engine loop */
    int owns_bars;                /* bars were loaded by tr_bt_run */
} tr_bt_result;

/* Progress: called about every 1% of the bars with bars done and total. */
typedef void (*tr_bt_progress_fn)(void *ctx, size_t done, size_t total);

/* Read the data files (refusing bad rows: each reported through
 * report_bad(ctx, "FILE:LINE: reason")), run the engine over the merged
 * series, and compute the statistics. TR_ERR_DATA when a data file has bad
 * rows, TR_ERR_INVALID / NOT_FOUND / NOMEM / RANGE, with a message in err. */
int tr_bt_run(const tr_bt_config *cfg, tr_bt_progress_fn progress,
              void *progress_ctx, tr_bt_result *out, char *err, size_t errlen);

/* The same over bars already in memory (bars[i] for symbol i); used by
 * tests and benchmarks. The result keeps pointers to bars (not copied). */
int tr_bt_run_bars(const tr_engine_cfg *cfg, const char *const *symbols,
                   tr_bars *bars, size_t nsyms, tr_bt_result *out, char *err,
                   size_t errlen);

void tr_bt_result_free(tr_bt_result *r);

/* The bars a config trades: its data files (bad rows refused, each printed
 * to stderr as FILE:LINE: reason), or the synthetic feed's generated bars;
 * filtered to [from, to]. bars[] has cfg->ndata series, initialised by the
 * caller. TR_ERR_DATA / TR_ERR_IO / TR_ERR_NOMEM with a message in err. */
int tr_bt_load_bars(const tr_bt_config *cfg, tr_bars *bars, char *err,
                    size_t errlen);

#endif
