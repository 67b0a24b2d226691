/* jwriter.h: the journal on its own thread, so the engine never waits for
 * a disk.
 *
 * The engine thread appends records to a memory buffer and ends each step;
 * the writer thread swaps the buffer out, appends its records to the
 * journal and writes them as one group; a second thread fsyncs per the
 * journal's policy (after every group with ALWAYS, at most every
 * interval_ms and no later than that after a write with INTERVAL), so that
 * writing never waits for an fsync. Ordering is preserved: records reach
 * the journal in append order.
 *
 * Durability: a record is on disk once tr_jwriter_durable_seq() has passed
 * it (records are numbered 1, 2, ... continuing the journal's sequence).
 * Whatever must not happen before its event is durable (an order sent to a
 * real broker, an API answer) waits with tr_jwriter_wait_durable; paper
 * trading never needs to.
 *
 * Failure: when a write or fsync fails, the writer stops for good and
 * tr_jwriter_failed() turns true; the engine must then halt trading.
 * Records appended after the failure are dropped (they were never durable).
 *
 * Back-pressure: when more than max_buffered bytes wait, append blocks until
 * the writer catches up (only an overloaded disk makes the engine wait). */
#ifndef TR_JWRITER_H
#define TR_JWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "store/journal.h"

typedef struct tr_jwriter tr_jwriter;

/* Take over j (opened, caught up) and start the writer thread. The journal
 * is closed by tr_jwriter_close. TR_ERR_NOMEM, TR_ERR_IO (no thread). */
int tr_jwriter_start(tr_journal *j, size_t max_buffered,
                     tr_jwriter **out /* OUT */);

/* Engine thread: buffer one record; its future sequence number goes to
 * *seq (may be NULL). TR_ERR_IO once the writer has failed, TR_ERR_INVALID,
 * TR_ERR_NOMEM. */
int tr_jwriter_append(tr_jwriter *w, uint16_t type, tr_time time,
                      const void *payload, uint32_t len, uint64_t *seq);

/* Engine thread: the records so far form a group; wake the writer. */
void tr_jwriter_flush(tr_jwriter *w);

/* Any thread. */
int tr_jwriter_failed(tr_jwriter *w);
uint64_t tr_jwriter_durable_seq(tr_jwriter *w);
uint64_t tr_jwriter_written_seq(tr_jwriter *w);

/* A function the writer calls after each group it wrote (seq: the last
 * record written; with the ALWAYS policy the sync thread calls it as
 * records become durable, seq: the last durable record) and once when it
 * fails (failed = 1). It runs without the writer's lock (appends go on
 * meanwhile) but holds up further progress: keep it short, never block.
 * Set it before the first append. */
typedef void (*tr_jwriter_progress_fn)(void *ctx, uint64_t seq, int failed);
void tr_jwriter_on_progress(tr_jwriter *w, tr_jwriter_progress_fn fn,
                            void *ctx);

/* Engine thread: flush, then wait until record seq is durable (or the
 * writer failed: TR_ERR_IO). */
int tr_jwriter_wait_durable(tr_jwriter *w, uint64_t seq);

/* Any thread: wait until record seq, which a flush has already handed to
 * the writer, is durable (syncing if the policy would not soon). Never
 * flushes, so it does not cut the group of a step in progress. TR_ERR_IO
 * when the writer failed, TR_ERR_INVALID when seq was not flushed yet. */
int tr_jwriter_wait_flushed(tr_jwriter *w, uint64_t seq);

/* Engine thread: note record seq (appended, not flushed yet) so that the
 * writer remembers where in the journal it starts (a snapshot after seq
 * stores it: the restart checks and reads the journal from there). One
 * mark at a time; a new one replaces the old. */
void tr_jwriter_mark(tr_jwriter *w, uint64_t seq);

/* Any thread: 1 and the position of the marked record seq (segment and
 * offset as tr_reader_open_at takes them) once it is written; 0 when not
 * (yet) known. */
int tr_jwriter_marked(tr_jwriter *w, uint64_t seq, uint64_t *segment,
                      uint64_t *offset);

/* Write and sync everything buffered, stop the thread, close the journal.
 * TR_ERR_IO when anything failed. NULL is a no-op. */
int tr_jwriter_close(tr_jwriter *w);

#endif
