/* view.h: a read-only copy of the live engine's state for other threads
 * (the API, the dashboard), kept by the engine thread.
 *
 * The engine thread records what changes (orders, fills, alerts, equity
 * points) as it happens, without a lock, and publishes after each step and
 * each command: under the view's lock it applies the changes and copies
 * the positions and account figures. Readers take the lock, read, and let
 * go quickly: a reader never sees half a step. */
#ifndef TR_VIEW_H
#define TR_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define TR_VIEW_ALERTS 64       /* the latest risk alerts kept */
#define TR_VIEW_CURVE 4096      /* equity points kept (the latest) */

typedef struct tr_view_state {
    size_t nsyms;
    const char (*symbols)[TR_SYM_MAX_LEN + 1]; /* by tr_sym */
    tr_position *pos;        /* by tr_sym */
    tr_bar *last_bar;        /* by tr_sym; time 0 before the first */
    tr_order *orders;        /* by id - 1 */
    size_t norders;
    tr_fill *fills;          /* in order */
    size_t nfills;
    tr_risk_alert alerts[TR_VIEW_ALERTS]; /* ring */
    size_t nalerts;          /* ever raised; the latest is (nalerts-1) % N */
    tr_equity_point curve[TR_VIEW_CURVE]; /* ring, like alerts */
    size_t ncurve;
    tr_fx initial_cash, cash, equity, exposure, realized, commissions;
    tr_fx day_start_equity;  /* equity at the close of the previous day */
    tr_fx peak_equity;
    size_t open_positions;
    size_t round_trips;      /* closed trades (flat to flat) of the trade log */
    size_t round_trips_won;  /* those with a net profit */
    int halted;              /* any halt in force */
    int kill_switch;
    int strategy_enabled;
    double params[TR_STRAT_MAX_PARAMS];
    tr_time now;             /* market time of the last step */
    uint64_t seq;            /* journal records up to here are reflected */
    uint64_t steps;
    int64_t wall_ns;         /* CLOCK_REALTIME of the last publish */
    int ready;               /* recovery is over, trading */
    int feed_done;           /* the feed ran out */
} tr_view_state;

typedef struct tr_view tr_view;

/* A view of nsyms instruments named symbols[i]; NULL when out of memory. */
tr_view *tr_view_new(size_t nsyms, const char *const *symbols,
                     tr_fx initial_cash);
void tr_view_free(tr_view *v);

/* ---- engine thread: record, then publish ---------------------------------- */
void tr_view_order(tr_view *v, const tr_order *o);
void tr_view_fill(tr_view *v, const tr_fill *f);
void tr_view_alert(tr_view *v, const tr_risk_alert *a);
void tr_view_equity(tr_view *v, const tr_equity_point *pt);
/* Apply what was recorded and copy e's positions and figures; seq is the
 * journal's last record. TR_ERR_NOMEM (the view keeps its old state). */
int tr_view_publish(tr_view *v, const tr_engine *e, uint64_t seq);
void tr_view_set_ready(tr_view *v, int ready, int feed_done);
/* Forget what was recorded and not published yet (a recovery that starts
 * over). */
void tr_view_clear(tr_view *v);

/* ---- any thread: read --------------------------------------------------- */
/* The state, locked until tr_view_release; never NULL. */
const tr_view_state *tr_view_acquire(tr_view *v);
void tr_view_release(tr_view *v);

#endif
