/* status.h: what a run looks like, read from its SQLite projection alone
 * (never from the engine's memory), so it works while `trader run` runs
 * and after it stopped: positions, open orders, cash, equity, P&L, halts,
 * and how fresh the projection is. `trader status` prints it; the API can
 * serve the same JSON.
 *
 * Any thread; each call opens its own read-only connection and reads in one
 * transaction (a consistent snapshot even while the follower writes). */
#ifndef TR_STATUS_H
#define TR_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "core/fixed.h"
#include "core/symbol.h"
#include "core/time.h"

typedef struct tr_status_position {
    char symbol[TR_SYM_MAX_LEN + 1]; /* "#12" when the name is unknown */
    tr_fx qty;                       /* signed */
    tr_fx avg_price, last_price;
    tr_fx market_value, unrealized_pnl;
    tr_fx realized_pnl;              /* closed P&L before commissions */
    tr_fx commission;
} tr_status_position;

typedef struct tr_status_order {
    uint64_t id, parent_id;
    char symbol[TR_SYM_MAX_LEN + 1];
    char side[8], type[16], tif[8], role[16], status[20], strategy[24];
    tr_fx qty, filled_qty, limit_price, stop_price; /* 0 = none */
    tr_time created;
} tr_status_order;

typedef struct tr_status {
    int schema_version;
    char journal[1024];   /* the journal it was projected from */
    char config[128];     /* the last session's config file and strategy */
    char strategy[32];
    uint64_t sessions;    /* starts of `trader run` */
    tr_time started;      /* wall time of the last start; 0 = none */
    /* The last record projected. */
    uint64_t last_seq;    /* 0: nothing projected yet */
    char last_type[16];   /* "equity", "stop", ... */
    tr_time last_time;    /* its time (wall time for session and stop) */
    int has_market_time;
    tr_time last_market_time; /* the last market event's time */
    int live;             /* the last record is not a clean stop */
    tr_time stopped_at;   /* wall time of that stop when !live */
    int has_journal_written;
    tr_time journal_written; /* wall time the journal was last written */
    tr_time updated;      /* wall time of the projection's last batch */
    /* The portfolio (from the last EQUITY event). */
    int has_equity;
    tr_time equity_time;
    tr_fx equity, cash, exposure;
    tr_fx start_equity;   /* the first equity */
    tr_fx day_base;       /* the last equity of the previous UTC day (the
                           * first equity when there is none) */
    tr_fx day_pnl;        /* equity - day_base */
    tr_fx total_pnl;      /* equity - start_equity */
    /* Halts (from risk events and control events). */
    int halt_daily_loss;  /* a daily loss halt on the last event's UTC day */
    int halt_drawdown;    /* a drawdown halt not resumed since */
    int halt_kill_switch; /* the kill switch is on */
    char halt_message[160]; /* the latest halting event's message */
    tr_time halt_time;
    /* Counts. */
    uint64_t orders, fills, signals, bars;
    /* Open positions (qty != 0), by symbol id; open orders, by id. */
    tr_status_position *positions;
    size_t npositions;
    tr_status_order *open_orders;
    size_t nopen_orders;
} tr_status;

/* Read the status of the database at db_path into *out (free it with
 * tr_status_free). TR_ERR_NOT_FOUND when the file does not exist (err says
 * to run `trader db rebuild` or start `trader run`), TR_ERR_DATA when it
 * is not a trader database or its schema is too old or too new, TR_ERR_IO
 * (cannot read; locked past 5 s), TR_ERR_NOMEM; err says what. */
int tr_status_read(const char *db_path, tr_status *out, char *err,
                   size_t errlen);

void tr_status_free(tr_status *s);

/* The status as one JSON object (money as exact decimal strings, times as
 * ISO 8601 UTC strings, ages in seconds relative to now_wall, the wall
 * clock in ns). malloc'd, the caller frees; NULL when out of memory. */
char *tr_status_json(const tr_status *s, const char *db_path,
                     tr_time now_wall);

#endif
