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
 * Snapshots bound the replay: every run.snapshot_every steps (and at a
 * clean stop) the engine's state is saved (engine.h) beside the journal,
 * claiming the last record of the last complete step (at a stop: the stop
 * record) once that record is durable, with the journal position after
 * it. A start loads the newest snapshot that fits this journal and
 * config and replays, with the same check, only the records after it;
 * without a usable one (damaged, of another config or build) it warns and
 * replays the whole journal. Serializing runs on the engine thread between
 * steps; writing and fsyncing the file on a thread of its own.
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
    uint64_t snapshot_seq;     /* the start loaded the engine's state after
                                * this record from a snapshot (0: none) */
    uint64_t replayed_records; /* journal records checked at start (after
                                * the snapshot) */
    uint64_t replayed_steps;
    uint64_t recovery_us;      /* loading the snapshot and replaying */
    uint64_t repaired_records; /* outputs appended after a crash */
    uint64_t new_steps;        /* steps traded in this run */
    uint64_t last_seq;
    tr_fx equity, cash;
    size_t open_positions;
    int finished;              /* the feed ran out (else: stopped) */
    uint64_t snapshots_written;  /* this run, the one at the stop included */
    uint64_t snapshots_skipped;  /* due while the previous one was written */
    size_t snapshot_bytes;       /* the last one's size */
    uint64_t snapshot_save_us_max; /* longest serialization on the engine
                                    * thread while trading (the pause of
                                    * the periodic snapshots) */
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

/* A snapshot file written by tr_live_run holds a small header of its own
 * (the journal position right after the snapshot's record, so that a
 * restart reads only what follows) and then the engine's snapshot: *engine
 * and *engine_len point into data. TR_ERR_DATA when data is not one. Any
 * thread. */
int tr_live_snapshot_parse(const void *data, size_t len, const void **engine,
                           size_t *engine_len, uint64_t *segment,
                           uint64_t *offset);

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
