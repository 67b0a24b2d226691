/* jwriter.c: a double-buffered journal writer thread and its fsync thread
 * (see jwriter.h).
 *
 * The engine fills `front`; the writer swaps it with `back` under the
 * mutex and writes `back` without holding it, so the engine's appends never
 * wait for write(2) or fsync(2).
 *
 * The fsyncs run on a thread of their own, so that the writer never waits
 * for one either: records that arrive while an fdatasync takes its 1-15 ms
 * are written (and, unless the policy is ALWAYS, answered) at once instead
 * of behind it. Each fsync covers what was written when it started: under
 * ALWAYS, waiters hear of a record only once an fsync that started after
 * its write has returned, so the next group is written while the previous
 * one is being synced (pipelined group commit). `jmu` serialises the two
 * threads' calls on the journal handle; neither holds it across a write or
 * fsync of the other. Lock order: never both `mu` and `jmu`. */
#include "store/jwriter.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/time.h"

typedef struct rec_hdr {
    uint16_t type;
    tr_time time;
    uint32_t len;
} rec_hdr;

typedef struct buffer {
    uint8_t *p;
    size_t len, cap;
} buffer;

struct tr_jwriter {
    tr_journal *j;
    tr_fsync_policy policy;
    pthread_t thread, sync_thread;
    pthread_mutex_t jmu;   /* the journal handle j */
    pthread_mutex_t mu;    /* everything below */
    pthread_cond_t wake;   /* writer: work to do, closing, or failed */
    pthread_cond_t sync_wake; /* sync thread: written, wanted, or stopping */
    pthread_cond_t done;   /* waiters: progress, room, or failure */
    buffer front, back;
    size_t max_buffered;
    uint64_t next_seq;     /* the seq the next append will get */
    uint64_t flushed_seq;  /* appended and handed over by a flush */
    uint64_t written_seq, durable_seq;
    uint64_t sync_wanted;  /* a waiter needs records up to here durable */
    uint64_t last_sync_ms; /* when the last fsync started (INTERVAL) */
    int closing, sync_stop, failed;
    int sync_idle;         /* the sync thread waits for a write, untimed */
    tr_jwriter_progress_fn progress;
    void *progress_ctx;
    /* tr_jwriter_mark: where record mark_seq starts in the journal. */
    uint64_t mark_seq, mark_segment, mark_offset;
    int mark_known;
};

/* Progress for whoever waits to acknowledge: records written to the file
 * (safe from a crash of the process), or with the ALWAYS policy records
 * made durable (safe from a power cut too). Taken with mu held, told after
 * it is released (tell): the progress function may take its time (it
 * answers API clients) without holding up appends. Progress comes from one
 * thread per policy (the writer; the sync thread with ALWAYS), so in
 * order; a failure may come from either. */
typedef struct news {
    tr_jwriter_progress_fn fn;
    void *ctx;
    uint64_t seq;
    int failed;
} news;

static news take_news(const tr_jwriter *w)
{
    return (news){w->progress, w->progress_ctx,
                  w->policy == TR_FSYNC_ALWAYS ? w->durable_seq
                                               : w->written_seq,
                  w->failed};
}

static void tell(news n)
{
    if (n.fn)
        n.fn(n.ctx, n.seq, n.failed);
}

/* Tell the progress function what is new, mu released meanwhile (held on
 * entry and on return). */
static void tell_now(tr_jwriter *w)
{
    news n = take_news(w);
    pthread_mutex_unlock(&w->mu);
    tell(n);
    pthread_mutex_lock(&w->mu);
}

/* A thread's last act (mu held on entry, released on return): a failure
 * is told. */
static void thread_end(tr_jwriter *w)
{
    news n = take_news(w);
    pthread_mutex_unlock(&w->mu);
    if (n.failed)
        tell(n);
}

/* A write or fsync failed: stop for good and wake everyone (mu held; the
 * thread tells the progress function as it ends). */
static void fail(tr_jwriter *w)
{
    w->failed = 1;
    pthread_cond_broadcast(&w->done);
    pthread_cond_signal(&w->wake);
    pthread_cond_signal(&w->sync_wake);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *writer_main(void *arg)
{
    tr_jwriter *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->closing && !w->failed && w->flushed_seq == w->written_seq)
            pthread_cond_wait(&w->wake, &w->mu);
        if (w->failed || w->flushed_seq == w->written_seq)
            break; /* failed, or closing with everything written */
        /* Take everything flushed so far (the front buffer may also hold
         * records of a step not yet flushed: they stay for the next turn). */
        buffer taken = w->front;
        uint64_t upto = w->flushed_seq;
        /* Split: records up to flushed_seq go now. */
        size_t cut = 0;
        uint64_t s = w->written_seq;
        while (s < upto) {
            rec_hdr h;
            memcpy(&h, taken.p + cut, sizeof h);
            cut += sizeof h + h.len;
            s++;
        }
        /* back := the part to write; front := the rest. */
        buffer rest = w->back;
        rest.len = 0;
        size_t remain = taken.len - cut;
        if (rest.cap < remain) {
            uint8_t *p = realloc(rest.p, remain);
            if (!p) {
                fail(w);
                break;
            }
            rest.p = p;
            rest.cap = remain;
        }
        if (remain)
            memcpy(rest.p, taken.p + cut, remain);
        rest.len = remain;
        taken.len = cut;
        w->front = rest;
        w->back = taken;
        pthread_cond_broadcast(&w->done); /* room in front again */
        uint64_t mark = w->mark_seq, seg = 0, off = 0;
        int marked = 0;
        pthread_mutex_unlock(&w->mu);

        int rc = TR_OK;
        pthread_mutex_lock(&w->jmu);
        for (size_t o = 0; o < w->back.len && rc == TR_OK;) {
            rec_hdr h;
            memcpy(&h, w->back.p + o, sizeof h);
            uint64_t seq = 0;
            rc = tr_journal_append(w->j, h.type, h.time,
                                   w->back.p + o + sizeof h, h.len, &seq);
            if (rc == TR_OK && seq == mark) {
                tr_journal_tell_last(w->j, &seg, &off);
                marked = 1;
            }
            o += sizeof h + h.len;
        }
        if (rc == TR_OK)
            rc = tr_journal_write(w->j);
        /* A segment roll inside the write made the older ones durable. */
        uint64_t durable = tr_journal_durable_seq(w->j);
        pthread_mutex_unlock(&w->jmu);

        pthread_mutex_lock(&w->mu);
        if (rc != TR_OK)
            fail(w);
        if (w->failed) /* (or an fsync failed meanwhile: nothing more) */
            break;
        w->written_seq = upto;
        if (durable > w->durable_seq)
            w->durable_seq = durable;
        if (marked && w->mark_seq == mark) {
            w->mark_segment = seg;
            w->mark_offset = off;
            w->mark_known = 1;
        }
        /* Written: waiters go on now (ALWAYS: once the sync thread has
         * made it durable). The sync thread is woken only when it waits for
         * a write with no deadline (a wake-up a group is not free). */
        pthread_cond_broadcast(&w->done);
        if (w->sync_idle)
            pthread_cond_signal(&w->sync_wake);
        if (w->policy != TR_FSYNC_ALWAYS)
            tell_now(w);
    }
    thread_end(w);
    return NULL;
}

/* fdatasync what is written, on a duplicate descriptor and outside jmu, so
 * the writer goes on meanwhile. *seq: the last record it covers. */
static int sync_written(tr_jwriter *w, uint64_t *seq)
{
    int fd;
    pthread_mutex_lock(&w->jmu);
    int rc = tr_journal_sync_begin(w->j, &fd, seq);
    if (rc == TR_OK && fd < 0) /* no descriptor to spare: sync in place */
        rc = tr_journal_sync(w->j);
    pthread_mutex_unlock(&w->jmu);
    if (rc != TR_OK || fd < 0)
        return rc;
    int ok = fdatasync(fd) == 0;
    close(fd);
    pthread_mutex_lock(&w->jmu);
    tr_journal_sync_end(w->j, *seq, ok);
    pthread_mutex_unlock(&w->jmu);
    return ok ? TR_OK : TR_ERR_IO;
}

/* Whether an fsync is due now (mu held): ALWAYS after every write, INTERVAL
 * once the last one is interval_ms old (*wait_ms: how long until then),
 * any policy when a waiter wants it or the writer closes; only for records
 * not yet durable. */
static int sync_due(tr_jwriter *w, uint64_t *wait_ms)
{
    *wait_ms = 0;
    if (w->written_seq <= w->durable_seq)
        return 0;
    if (w->policy == TR_FSYNC_ALWAYS || w->sync_wanted > w->durable_seq ||
        w->sync_stop)
        return 1;
    if (w->policy != TR_FSYNC_INTERVAL)
        return 0;
    uint64_t at = w->last_sync_ms + tr_journal_interval_ms(w->j),
             now = now_ms();
    if (now >= at)
        return 1;
    *wait_ms = at - now;
    return 0;
}

static void *sync_main(void *arg)
{
    tr_jwriter *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        uint64_t wait_ms;
        int due = 0;
        while (!w->failed && !(due = sync_due(w, &wait_ms)) &&
               !w->sync_stop) {
            if (!wait_ms) {
                w->sync_idle = 1;
                pthread_cond_wait(&w->sync_wake, &w->mu);
                w->sync_idle = 0;
                continue;
            }
            struct timespec ts = tr_deadline_ms(wait_ms);
            pthread_cond_timedwait(&w->sync_wake, &w->mu, &ts);
        }
        if (!due) /* stopping with everything durable, or failed */
            break;
        w->last_sync_ms = now_ms();
        pthread_mutex_unlock(&w->mu);
        uint64_t seq = 0;
        int rc = sync_written(w, &seq);
        pthread_mutex_lock(&w->mu);
        if (rc != TR_OK) {
            fail(w);
            break;
        }
        if (seq > w->durable_seq)
            w->durable_seq = seq;
        pthread_cond_broadcast(&w->done);
        if (w->policy == TR_FSYNC_ALWAYS)
            tell_now(w);
    }
    thread_end(w);
    return NULL;
}

int tr_jwriter_start(tr_journal *j, size_t max_buffered, tr_jwriter **out)
{
    tr_jwriter *w = calloc(1, sizeof *w);
    if (!w)
        return TR_ERR_NOMEM;
    w->j = j;
    w->policy = tr_journal_policy(j);
    w->max_buffered = max_buffered ? max_buffered : (size_t)64 << 20;
    w->next_seq = tr_journal_last_seq(j) + 1;
    w->flushed_seq = w->written_seq = tr_journal_last_seq(j);
    w->durable_seq = tr_journal_durable_seq(j);
    pthread_mutex_init(&w->jmu, NULL);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->done, NULL);
    pthread_condattr_t ca; /* the sync thread's INTERVAL deadlines */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->sync_wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
        goto fail;
    if (pthread_create(&w->sync_thread, NULL, sync_main, w) != 0) {
        pthread_mutex_lock(&w->mu);
        w->closing = 1;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
        goto fail;
    }
    *out = w;
    return TR_OK;
fail:
    pthread_mutex_destroy(&w->jmu);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->sync_wake);
    pthread_cond_destroy(&w->done);
    free(w);
    return TR_ERR_IO;
}

int tr_jwriter_append(tr_jwriter *w, uint16_t type, tr_time time,
                      const void *payload, uint32_t len, uint64_t *seq)
{
    if (len > TR_JOURNAL_MAX_PAYLOAD)
        return TR_ERR_INVALID;
    pthread_mutex_lock(&w->mu);
    while (!w->failed && w->front.len > w->max_buffered)
        pthread_cond_wait(&w->done, &w->mu); /* back-pressure */
    if (w->failed) {
        pthread_mutex_unlock(&w->mu);
        return TR_ERR_IO;
    }
    size_t need = sizeof(rec_hdr) + len;
    if (w->front.len + need > w->front.cap) {
        size_t cap = w->front.cap ? w->front.cap : 1 << 16;
        while (cap < w->front.len + need)
            cap *= 2;
        uint8_t *p = realloc(w->front.p, cap);
        if (!p) {
            pthread_mutex_unlock(&w->mu);
            return TR_ERR_NOMEM;
        }
        w->front.p = p;
        w->front.cap = cap;
    }
    rec_hdr h = {type, time, len};
    memcpy(w->front.p + w->front.len, &h, sizeof h);
    if (len)
        memcpy(w->front.p + w->front.len + sizeof h, payload, len);
    w->front.len += need;
    if (seq)
        *seq = w->next_seq;
    w->next_seq++;
    pthread_mutex_unlock(&w->mu);
    return TR_OK;
}

void tr_jwriter_flush(tr_jwriter *w)
{
    pthread_mutex_lock(&w->mu);
    if (w->flushed_seq != w->next_seq - 1) {
        w->flushed_seq = w->next_seq - 1;
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->mu);
}

int tr_jwriter_failed(tr_jwriter *w)
{
    pthread_mutex_lock(&w->mu);
    int f = w->failed;
    pthread_mutex_unlock(&w->mu);
    return f;
}

uint64_t tr_jwriter_durable_seq(tr_jwriter *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t s = w->durable_seq;
    pthread_mutex_unlock(&w->mu);
    return s;
}

uint64_t tr_jwriter_written_seq(tr_jwriter *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t s = w->written_seq;
    pthread_mutex_unlock(&w->mu);
    return s;
}

void tr_jwriter_on_progress(tr_jwriter *w, tr_jwriter_progress_fn fn,
                            void *ctx)
{
    pthread_mutex_lock(&w->mu);
    w->progress = fn;
    w->progress_ctx = ctx;
    tell(take_news(w));
    pthread_mutex_unlock(&w->mu);
}

int tr_jwriter_wait_durable(tr_jwriter *w, uint64_t seq)
{
    tr_jwriter_flush(w);
    return tr_jwriter_wait_flushed(w, seq);
}

int tr_jwriter_wait_flushed(tr_jwriter *w, uint64_t seq)
{
    pthread_mutex_lock(&w->mu);
    if (seq > w->flushed_seq) {
        pthread_mutex_unlock(&w->mu);
        return TR_ERR_INVALID;
    }
    if (seq > w->sync_wanted) {
        w->sync_wanted = seq;
        pthread_cond_signal(&w->sync_wake);
    }
    int rc = TR_OK;
    while (w->durable_seq < seq) {
        if (w->failed) {
            rc = TR_ERR_IO;
            break;
        }
        pthread_cond_wait(&w->done, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void tr_jwriter_mark(tr_jwriter *w, uint64_t seq)
{
    pthread_mutex_lock(&w->mu);
    w->mark_seq = seq;
    w->mark_known = 0;
    pthread_mutex_unlock(&w->mu);
}

int tr_jwriter_marked(tr_jwriter *w, uint64_t seq, uint64_t *segment,
                      uint64_t *offset)
{
    pthread_mutex_lock(&w->mu);
    int known = w->mark_known && w->mark_seq == seq;
    if (known) {
        *segment = w->mark_segment;
        *offset = w->mark_offset;
    }
    pthread_mutex_unlock(&w->mu);
    return known;
}

int tr_jwriter_close(tr_jwriter *w)
{
    if (!w)
        return TR_OK;
    tr_jwriter_flush(w);
    pthread_mutex_lock(&w->mu);
    w->closing = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL); /* everything written */
    pthread_mutex_lock(&w->mu);
    w->sync_stop = 1;
    pthread_cond_signal(&w->sync_wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->sync_thread, NULL);
    int rc = w->failed ? TR_ERR_IO : TR_OK;
    int crc = tr_journal_close(w->j); /* and the last fsync */
    if (rc == TR_OK)
        rc = crc;
    pthread_mutex_destroy(&w->jmu);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->sync_wake);
    pthread_cond_destroy(&w->done);
    free(w->front.p);
    free(w->back.p);
    free(w);
    return rc;
}
