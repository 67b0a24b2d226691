/* command.h: controls from outside (API, CLI) carried out on the engine,
 * and the queue that brings them to the engine thread.
 *
 * A control is an input like a bar: the engine thread journals it, runs it
 * (tr_commands_run) and journals what it caused; replay runs it again.
 * Controls that carry a client reference (a signal id, a client order id)
 * are idempotent: a repeat gets the first answer and changes nothing.
 *
 * The queue: any thread submits a tr_cmd and waits (tr_cmdq_call), or
 * submits it with a completion function and goes on (tr_cmdq_submit); the
 * engine thread takes the pending ones between steps (tr_cmdq_take), runs
 * them, and completes each with the journal sequence number of its last
 * record. The caller's answer (the wait's end, the completion's call) waits
 * until that record is written to the journal file
 * (tr_cmdq_journal_progress, called by the journal writer), so nothing is
 * acknowledged that a crash of the process could lose. */
#ifndef TR_COMMAND_H
#define TR_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "core/codec.h"
#include "engine/engine.h"
#include "store/event.h"

/* What a control came to. */
typedef enum tr_cmd_status {
    TR_CMD_DONE = 0,      /* carried out (executed or not: see answer) */
    TR_CMD_REFUSED,       /* refused by risk or as invalid: see answer */
    TR_CMD_NOT_FOUND,     /* no such order / position */
    TR_CMD_UNAVAILABLE,   /* the engine is stopping or the journal failed */
} tr_cmd_status;

typedef struct tr_cmd_answer {
    tr_cmd_status status;
    tr_engine_answer a;
    int duplicate;        /* a repeat of an earlier reference */
} tr_cmd_answer;

/* ---- carrying controls out (engine thread) ------------------------------ */

typedef struct tr_commands tr_commands;

/* Answers remembered: the newest this many references (a resend older than
 * that is carried out again). */
#define TR_COMMANDS_KEEP 16384

tr_commands *tr_commands_new(void); /* NULL when out of memory */
void tr_commands_free(tr_commands *c);
size_t tr_commands_count(const tr_commands *c); /* remembered now */

/* The answer already given to ctl's reference: 1 (and *out) when ctl has a
 * reference that was seen before, else 0. */
int tr_commands_seen(const tr_commands *c, const tr_ev_control *ctl,
                     tr_cmd_answer *out);

/* The remembered answers in a snapshot (engine.c keeps them with the
 * engine's state); load replaces c's content. TR_ERR_DATA, TR_ERR_NOMEM. */
void tr_commands_save(const tr_commands *c, tr_enc *out);
int tr_commands_load(tr_commands *c, tr_dec *in);

/* Carry out ctl on e and remember the answer under its reference. Returns
 * an engine error (TR_ERR_NOMEM, TR_ERR_RANGE) that must stop the run;
 * refusals are answers, not errors. */
int tr_commands_run(tr_commands *c, tr_engine *e, const tr_ev_control *ctl,
                    tr_cmd_answer *out);

/* ---- the queue (any thread / engine thread) ------------------------------ */

typedef struct tr_cmd tr_cmd;

/* tr_cmdq_submit's completion: rc TR_OK (c->ans filled) or TR_ERR_IO
 * (closed, or the journal failed: ans.status is TR_CMD_UNAVAILABLE). */
typedef void (*tr_cmd_done_fn)(tr_cmd *c, int rc, void *ctx);

struct tr_cmd {
    tr_ev_control ctl;   /* in */
    tr_cmd_answer ans;   /* out */
    uint64_t seq;        /* out: the last journal record it caused */
    int done;            /* guarded by the queue */
    int abandoned;       /* guarded by the queue: the caller timed out */
    tr_cmd_done_fn fn;   /* the queue's: tr_cmdq_submit's completion */
    void *fn_ctx;
    tr_cmd *next;        /* the queue's: waiting for the journal */
};

typedef struct tr_cmdq tr_cmdq;

/* A queue of at most cap waiting commands; NULL when out of memory. */
tr_cmdq *tr_cmdq_new(size_t cap);
void tr_cmdq_free(tr_cmdq *q);

/* Any thread: submit c and wait until it is carried out and journaled, or
 * timeout_ms passed. TR_OK (c->ans filled), TR_ERR_FULL (queue full),
 * TR_ERR_IO (closed, the journal failed, or timeout: ans.status is
 * TR_CMD_UNAVAILABLE). */
int tr_cmdq_call(tr_cmdq *q, tr_cmd *c, int timeout_ms);

/* Any thread: submit c and return at once; fn(c, rc, ctx) is called once
 * c is carried out and journaled (or cannot be), on the thread that made
 * it so: usually the journal writer's (from tr_cmdq_journal_progress),
 * else the engine's or the one closing the queue; never under the queue's
 * lock and never inside this call. fn must be short and never block: it
 * holds up the answers after it. c belongs to the queue until fn. No
 * timeout: the engine completes every command it takes, and closing the
 * queue fails those it has not. TR_OK, or TR_ERR_FULL / TR_ERR_IO (not
 * submitted, fn is not called). */
int tr_cmdq_submit(tr_cmdq *q, tr_cmd *c, tr_cmd_done_fn fn, void *ctx);

/* Engine thread: take up to max waiting commands (0 when none). */
size_t tr_cmdq_take(tr_cmdq *q, tr_cmd **out, size_t max);

/* Engine thread: 1 when commands wait (a cheap check between steps). */
int tr_cmdq_pending(tr_cmdq *q);

/* Engine thread: wait up to ms for a command (returns early on one). */
void tr_cmdq_wait(tr_cmdq *q, int ms);

/* Engine thread: c is carried out; its records end at seq. */
void tr_cmdq_complete(tr_cmdq *q, tr_cmd *c, uint64_t seq);

/* The journal writer (any thread): records up to seq are written; failed:
 * the journal failed for good (waiters get TR_ERR_IO). */
void tr_cmdq_journal_progress(tr_cmdq *q, uint64_t seq, int failed);

/* Journal records written so far (as reported by the writer). Any thread. */
uint64_t tr_cmdq_written(tr_cmdq *q);

/* Open (accepting) or closed (every waiting and new call gets TR_ERR_IO).
 * A new queue is closed until the engine is ready. */
void tr_cmdq_set_open(tr_cmdq *q, int open);

#endif
