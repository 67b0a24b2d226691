/* live.h: `trader run`: the engine trading live on a feed, every event
 * journaled first.
 *
 * Each step appends the step's bars (the inputs) to the journal, runs the
 * engine (whose signals, orders, fills, equity and alerts are appended as
 * they happen) and commits the step as one group. The journal is the
 * truth: on start the engine is rebuilt by replaying the journaled inputs,
 * and every output it produces again must equal, byte for byte, the output
 * journaled the first time (determinism, checked); outputs that a crash
 * kept from reaching the disk are appended then. The feed resumes after
 * the last journaled step, so a run killed at any moment and restarted
 * ends exactly where an uninterrupted run ends. Paper orders never leave
 * the process, so nothing is ever sent twice.
 *
 * Threads: tr_live_run runs the engine on the calling thread. */
#ifndef TR_LIVE_H
#define TR_LIVE_H

#include <signal.h>
#include <stdint.h>

#include "engine/backtest.h"
#include "engine/command.h"
#include "engine/view.h"

typedef struct tr_live_stats {
    uint64_t replayed_records; /* journal records checked at start */
    uint64_t replayed_steps;
    uint64_t repaired_records; /* outputs appended after a crash */
    uint64_t new_steps;        /* steps traded in this run */
    uint64_t last_seq;
    tr_fx equity, cash;
    size_t open_positions;
    int finished;              /* the feed ran out (else: stopped) */
} tr_live_stats;

/* What a live run shares with the threads around it (all optional):
 * commands come in through q between steps, the engine's state goes out
 * through view, and with serve the run goes on after the feed ends,
 * taking commands, until *stop. */
typedef struct tr_live_io {
    tr_cmdq *q;
    tr_view *view;
    struct tr_metrics *metrics; /* counters and latencies, or NULL */
    int serve;
} tr_live_io;

/* Run cfg live until the feed ends or *stop becomes nonzero (set it from a
 * SIGINT/SIGTERM handler). Returns TR_OK after a clean stop (journal
 * committed and synced), TR_ERR_IO when the journal cannot be written
 * (trading halted; nothing acknowledged was lost), TR_ERR_DATA when the
 * journal does not match this config or fails the replay check, or the
 * errors of loading data; err says what and where. */
int tr_live_run(const tr_bt_config *cfg, volatile sig_atomic_t *stop,
                const tr_live_io *io, tr_live_stats *st, char *err,
                size_t errlen);

#endif
