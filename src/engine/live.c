/* live.c: journal-first live trading and recovery by replay (see live.h). */
#include "engine/live.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/metrics.h"
#include "core/err.h"
#include "core/log.h"
#include "engine/merge.h"
#include "store/event.h"
#include "store/jwriter.h"

/* An engine output, encoded, waiting to be journaled or compared. */
typedef struct out_rec {
    uint16_t type;
    tr_time time;
    uint32_t len;
    uint32_t off; /* into the arena */
} out_rec;

typedef struct live {
    const tr_bt_config *cfg;
    const tr_live_io *io;
    tr_view *view;      /* io->view, or NULL */
    /* Metrics (NULL handles when off): looked up once, bumped per event. */
    tr_metric_series *m_events[TR_EV_TYPE_MAX + 1];
    tr_metric_series *m_orders[TR_ORD_REPLACED + 1];
    tr_metric_series *m_reject[TR_RISK_REASON_COUNT];
    tr_metric_series *m_bar_to_order;
    int64_t step_start_ns; /* when the step's bars came in; 0: measured */
    tr_journal *j;      /* recovery writes directly ... */
    tr_jwriter *w;      /* ... trading through the writer thread */
    tr_engine *e;
    tr_time now;        /* the step being processed */
    /* Outputs of the current step, in emission order. */
    out_rec *outs;
    size_t nouts, outs_cap;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    int nomem;
    uint64_t appended; /* seq of the last record appended */
    uint64_t commands_run; /* controls carried out (replayed or new) */
} live;

static int64_t mono_ns(void) /* metrics only */
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Look the metric series up once (nothing when io has no metrics). */
static void metrics_init(live *L)
{
    tr_metrics *m = L->io ? L->io->metrics : NULL;
    if (!m)
        return;
    for (unsigned t = 1; t <= TR_EV_TYPE_MAX; t++)
        L->m_events[t] = tr_metrics_get(m, TR_M_EVENTS_TOTAL,
                                        tr_event_type_name((uint16_t)t), NULL);
    for (unsigned s = 0; s <= TR_ORD_REPLACED; s++)
        L->m_orders[s] = tr_metrics_get(
            m, TR_M_ORDERS_TOTAL, tr_order_status_name((tr_order_status)s),
            NULL);
    for (unsigned r = 1; r < TR_RISK_REASON_COUNT; r++)
        L->m_reject[r] = tr_metrics_get(m, TR_M_REJECTIONS_TOTAL,
                                        tr_risk_reason_name((tr_risk_reason)r),
                                        NULL);
    L->m_bar_to_order = tr_metrics_get(m, TR_M_BAR_TO_ORDER, NULL, NULL);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* pacing and fsync timing only */
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* measuring snapshots only */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reserve room for one more encoded output. */
static tr_ev_buf out_buf(live *L, size_t max)
{
    tr_ev_buf b = {0};
    if (L->arena_len + max > L->arena_cap) {
        size_t cap = L->arena_cap ? L->arena_cap * 2 : 1 << 16;
        while (cap < L->arena_len + max)
            cap *= 2;
        uint8_t *a = realloc(L->arena, cap);
        if (!a) {
            L->nomem = 1;
            return b;
        }
        L->arena = a;
        L->arena_cap = cap;
    }
    b.p = L->arena + L->arena_len;
    b.cap = max;
    return b;
}

static void keep(live *L, uint16_t type, tr_time t, tr_ev_buf *b, size_t len)
{
    if (L->nomem || !len)
        return;
    if (L->nouts == L->outs_cap) {
        size_t cap = L->outs_cap ? L->outs_cap * 2 : 64;
        out_rec *o = realloc(L->outs, cap * sizeof *o);
        if (!o) {
            L->nomem = 1;
            return;
        }
        L->outs = o;
        L->outs_cap = cap;
    }
    L->outs[L->nouts++] = (out_rec){type, t, (uint32_t)len,
                                    (uint32_t)(b->p - L->arena)};
    L->arena_len += len;
}

static void on_signal(void *ctx, const tr_signal *sig, const tr_risk_plan *p)
{
    live *L = ctx;
    if (p->reason == TR_RISK_NOTHING_TO_DO)
        return;
    if (p->reason != TR_RISK_OK && p->reason < TR_RISK_REASON_COUNT)
        tr_metric_inc(L->m_reject[p->reason]);
    tr_ev_signal e;
    memset(&e, 0, sizeof e);
    e.sig = *sig;
    e.reason = (uint16_t)p->reason;
    memcpy(e.detail, p->detail, sizeof e.detail);
    tr_ev_buf b = out_buf(L, 1024);
    if (b.p)
        keep(L, TR_EV_SIGNAL, L->now, &b, tr_ev_encode_signal(&b, &e));
}

static void on_order(void *ctx, const tr_order *o)
{
    live *L = ctx;
    tr_ev_buf b = out_buf(L, 512);
    if (b.p)
        keep(L, TR_EV_ORDER, L->now, &b, tr_ev_encode_order(&b, o));
    if (L->view)
        tr_view_order(L->view, o);
    if ((unsigned)o->status <= TR_ORD_REPLACED)
        tr_metric_inc(L->m_orders[o->status]);
    if (L->step_start_ns && o->status == TR_ORD_ACCEPTED) {
        tr_metric_observe_ns(L->m_bar_to_order, mono_ns() - L->step_start_ns);
        L->step_start_ns = 0; /* the first order of the step */
    }
}

static void on_fill(void *ctx, const tr_fill *f)
{
    live *L = ctx;
    tr_ev_buf b = out_buf(L, 128);
    if (b.p)
        keep(L, TR_EV_FILL, L->now, &b, tr_ev_encode_fill(&b, f));
    if (L->view)
        tr_view_fill(L->view, f);
}

static void on_equity(void *ctx, const tr_equity_point *pt)
{
    live *L = ctx;
    tr_ev_buf b = out_buf(L, 64);
    if (b.p)
        keep(L, TR_EV_EQUITY, L->now, &b, tr_ev_encode_equity(&b, pt));
    if (L->view)
        tr_view_equity(L->view, pt);
}

static void on_alert(void *ctx, const tr_risk_alert *a)
{
    live *L = ctx;
    tr_ev_buf b = out_buf(L, 256);
    if (b.p)
        keep(L, TR_EV_ALERT, L->now, &b, tr_ev_encode_alert(&b, a));
    if (L->view)
        tr_view_alert(L->view, a);
    tr_log(TR_LOG_WARN, "risk", "%s", a->message);
}

static void clear_outs(live *L)
{
    L->nouts = 0;
    L->arena_len = 0;
}

/* Append a record: through the writer thread once trading, else directly. */
static int jappend(live *L, uint16_t type, tr_time t, const void *p,
                   uint32_t len)
{
    if (type <= TR_EV_TYPE_MAX)
        tr_metric_inc(L->m_events[type]);
    return L->w ? tr_jwriter_append(L->w, type, t, p, len, &L->appended)
                : tr_journal_append(L->j, type, t, p, len, &L->appended);
}

static int append_outs(live *L, size_t from)
{
    for (size_t i = from; i < L->nouts; i++) {
        const out_rec *o = &L->outs[i];
        int rc = jappend(L, o->type, o->time, L->arena + o->off, o->len);
        if (rc != TR_OK)
            return rc;
    }
    return TR_OK;
}

static int append_bars(live *L, tr_time t, const tr_sym *syms,
                       const tr_bar *bars, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        uint8_t buf[128];
        tr_ev_buf b = {buf, 0, sizeof buf, 0};
        tr_ev_bar e = {syms[i], (uint32_t)k, bars[i]};
        size_t len = tr_ev_encode_bar(&b, &e);
        int rc = jappend(L, TR_EV_BAR, t, buf, (uint32_t)len);
        if (rc != TR_OK)
            return rc;
    }
    return TR_OK;
}

/* ---- recovery ------------------------------------------------------------- */

typedef struct replay {
    tr_sym *syms;
    tr_bar *bars;
    size_t k;         /* bars collected for the step at time t */
    size_t want;      /* bars the step has (from its records) */
    tr_time t;
    size_t matched;   /* outputs of the last step already found in the journal */
    int have_step;    /* a step ran and its outputs are being matched */
} replay;

static int session_matches(const tr_bt_config *cfg, const tr_ev_session *s,
                           char *err, size_t errlen)
{
    int ok = s->nsyms == cfg->ndata &&
             !strcmp(s->strategy, cfg->engine.strategy->name);
    for (size_t i = 0; ok && i < cfg->ndata && i < 64; i++)
        ok = !strcmp(s->symbols[i], cfg->data[i].symbol);
    if (!ok)
        snprintf(err, errlen, "the journal %s belongs to another run (%s with "
                 "%" PRIu32 " symbols, from %s): use another run.journal "
                 "folder for this config", cfg->run.journal, s->strategy,
                 s->nsyms, s->config);
    return ok;
}

/* Run the collected step (outputs kept for matching). */
static int replay_step(live *L, replay *R, char *err, size_t errlen)
{
    if (!R->k)
        return TR_OK;
    clear_outs(L);
    L->now = R->t;
    int rc = tr_engine_step(L->e, R->t, R->syms, R->bars, R->k);
    if (rc != TR_OK || L->nomem) {
        snprintf(err, errlen, "replaying the step at %" PRId64 ": %s", R->t,
                 tr_strerror(rc != TR_OK ? rc : TR_ERR_NOMEM));
        return rc != TR_OK ? rc : TR_ERR_NOMEM;
    }
    R->k = 0;
    R->matched = 0;
    R->have_step = 1;
    return TR_OK;
}

/* Replay the journal from record from_seq on (1, or the one after the
 * snapshot the engine was loaded from; *last_t and *last_timer come in as
 * the engine's clock). */
/* An input between steps (a timer, a control) in the journal: the step
 * before it runs first, and its outputs must all have been found before
 * the input; then the input's own outputs are collected. */
static int before_input(live *L, replay *R, const tr_record *rec,
                        const char *what, tr_live_stats *st, tr_time *last_t,
                        char *err, size_t errlen)
{
    int rc;
    if (R->k) {
        *last_t = R->t;
        if ((rc = replay_step(L, R, err, errlen)) != TR_OK)
            return rc;
        st->replayed_steps++;
    }
    if (R->have_step && R->matched < L->nouts) {
        snprintf(err, errlen, "record %" PRIu64 ": a %s comes while %zu "
                 "outputs before it are missing", rec->seq, what,
                 L->nouts - R->matched);
        return TR_ERR_DATA;
    }
    clear_outs(L);
    L->now = rec->time;
    return TR_OK;
}

/* After the input ran (rc): an error of the engine stops the recovery;
 * else its outputs are matched from the next records. */
static int after_input(live *L, replay *R, const tr_record *rec,
                       const char *what, int rc, char *err, size_t errlen)
{
    if (rc != TR_OK || L->nomem) {
        snprintf(err, errlen, "record %" PRIu64 ": replaying the %s: %s",
                 rec->seq, what, tr_strerror(rc != TR_OK ? rc : TR_ERR_NOMEM));
        return rc != TR_OK ? rc : TR_ERR_NOMEM;
    }
    R->have_step = 1;
    R->matched = 0;
    return TR_OK;
}

static int recover(live *L, replay *R, uint64_t from_seq, uint64_t segment,
                   uint64_t offset, tr_live_stats *st, tr_time *last_t,
                   tr_time *last_timer, char *err, size_t errlen)
{
    tr_reader *r;
    char rerr[4600];
    if (from_seq > tr_journal_last_seq(L->j))
        return TR_OK; /* nothing after the snapshot */
    /* The reader starts at the snapshot's record where the snapshot says it
     * is (else at the segment that holds record from_seq). */
    int rc = from_seq > 1 && segment && offset
                 ? tr_reader_open_at(L->cfg->run.journal, from_seq - 1,
                                     segment, offset, &r, rerr, sizeof rerr)
                 : tr_reader_open(L->cfg->run.journal, from_seq, &r, rerr,
                                  sizeof rerr);
    if (rc == TR_ERR_NOT_FOUND)
        return TR_OK;
    if (rc != TR_OK) {
        snprintf(err, errlen, "%s", rerr);
        return rc;
    }
    tr_record rec;
    while ((rc = tr_reader_next(r, &rec, rerr, sizeof rerr)) == 1) {
        if (rec.seq < from_seq)
            continue; /* the snapshot's own record */
        st->replayed_records++;
        if (rec.type == TR_EV_SESSION) {
            tr_ev_session s;
            if (tr_ev_decode_session(rec.payload, rec.len, &s) != TR_OK ||
                !session_matches(L->cfg, &s, err, errlen)) {
                if (!err[0])
                    snprintf(err, errlen, "record %" PRIu64 ": bad session",
                             rec.seq);
                rc = TR_ERR_DATA;
                break;
            }
            continue;
        }
        if (rec.type == TR_EV_STOP)
            continue;
        if (rec.type == TR_EV_VOID) { /* an incomplete step, given up */
            R->k = 0;
            continue;
        }
        if (rec.type == TR_EV_TIMER) {
            tr_ev_timer tm;
            if (tr_ev_decode_timer(rec.payload, rec.len, &tm) != TR_OK) {
                snprintf(err, errlen, "record %" PRIu64 ": bad timer", rec.seq);
                rc = TR_ERR_DATA;
                break;
            }
            if ((rc = before_input(L, R, &rec, "timer", st, last_t, err,
                                   errlen)) != TR_OK ||
                (rc = after_input(L, R, &rec, "timer",
                                  tr_engine_timer(L->e, (tr_timer_kind)tm.kind,
                                                  rec.time),
                                  err, errlen)) != TR_OK)
                break;
            *last_timer = rec.time;
            continue;
        }
        if (rec.type == TR_EV_CONTROL) { /* an input between steps */
            tr_ev_control ctl;
            if (tr_ev_decode_control(rec.payload, rec.len, &ctl) != TR_OK) {
                snprintf(err, errlen, "record %" PRIu64 ": bad control",
                         rec.seq);
                rc = TR_ERR_DATA;
                break;
            }
            tr_cmd_answer ans;
            if ((rc = before_input(L, R, &rec, "control", st, last_t, err,
                                   errlen)) != TR_OK ||
                (rc = after_input(L, R, &rec, "control",
                                  tr_commands_run(tr_engine_commands(L->e),
                                                  L->e, &ctl, &ans),
                                  err, errlen)) != TR_OK)
                break;
            L->commands_run++;
            continue;
        }
        if (rec.type == TR_EV_BAR) {
            tr_ev_bar b;
            if (tr_ev_decode_bar(rec.payload, rec.len, &b) != TR_OK ||
                b.sym >= L->cfg->ndata) {
                snprintf(err, errlen, "record %" PRIu64 ": bad bar", rec.seq);
                rc = TR_ERR_DATA;
                break;
            }
            if (R->have_step && R->matched < L->nouts) {
                snprintf(err, errlen, "record %" PRIu64 ": a new step starts "
                         "while %zu outputs of the previous one are missing",
                         rec.seq, L->nouts - R->matched);
                rc = TR_ERR_DATA;
                break;
            }
            if (R->k && rec.time != R->t) {
                *last_t = R->t;
                if ((rc = replay_step(L, R, err, errlen)) != TR_OK)
                    break;
                st->replayed_steps++;
            }
            R->have_step = 0;
            R->t = rec.time;
            R->want = b.step_bars;
            if (R->k >= L->cfg->ndata) {
                snprintf(err, errlen, "record %" PRIu64 ": too many bars in "
                         "one step", rec.seq);
                rc = TR_ERR_DATA;
                break;
            }
            R->syms[R->k] = b.sym;
            R->bars[R->k++] = b.bar;
            continue;
        }
        /* An output: run the step if it has not run, then compare. */
        if (R->k && R->k < R->want) {
            snprintf(err, errlen, "record %" PRIu64 ": the step at its time "
                     "has %zu of its %zu bars", rec.seq, R->k, R->want);
            rc = TR_ERR_DATA;
            break;
        }
        if (R->k) {
            *last_t = R->t;
            if ((rc = replay_step(L, R, err, errlen)) != TR_OK)
                break;
            st->replayed_steps++;
        }
        const out_rec *o = R->matched < L->nouts ? &L->outs[R->matched] : NULL;
        if (!o || o->type != rec.type || o->len != rec.len ||
            memcmp(L->arena + o->off, rec.payload, rec.len) != 0) {
            snprintf(err, errlen, "record %" PRIu64 " (%s) differs from what "
                     "the engine produces on replay: the config or the code "
                     "changed since it was written; keep this journal with "
                     "the build and config that wrote it", rec.seq,
                     tr_event_type_name(rec.type));
            rc = TR_ERR_DATA;
            break;
        }
        R->matched++;
    }
    tr_reader_close(r);
    if (rc < 0) {
        if (!err[0])
            snprintf(err, errlen, "%s", rerr);
        return rc;
    }
    /* The journal may end inside a step. With all its bars, run it and
     * append the outputs that a crash kept from the disk; with only some
     * (a torn write), void them: the feed delivers the step again. */
    if (R->k && R->k < R->want) {
        rc = tr_journal_append(L->j, TR_EV_VOID, R->t, NULL, 0, NULL);
        if (rc == TR_OK)
            rc = tr_journal_commit(L->j, now_ms());
        if (rc != TR_OK) {
            snprintf(err, errlen, "journal %s: cannot append: %s",
                     L->cfg->run.journal, strerror(errno));
            return rc;
        }
        tr_log(TR_LOG_WARN, "journal", "the last step was cut short by a "
               "crash (%zu of %zu bars): it will be traded again", R->k,
               R->want);
        R->k = 0;
    }
    if (R->k) {
        *last_t = R->t;
        if ((rc = replay_step(L, R, err, errlen)) != TR_OK)
            return rc;
        st->replayed_steps++;
    }
    if (R->have_step && R->matched < L->nouts) {
        st->repaired_records = L->nouts - R->matched;
        rc = append_outs(L, R->matched);
        if (rc == TR_OK)
            rc = tr_journal_commit(L->j, now_ms());
        if (rc != TR_OK) {
            snprintf(err, errlen, "journal %s: cannot append: %s",
                     L->cfg->run.journal, strerror(errno));
            return rc;
        }
        tr_log(TR_LOG_WARN, "journal", "appended %" PRIu64 " outputs of the "
               "last step that the previous run did not get to write",
               st->repaired_records);
    }
    clear_outs(L);
    return TR_OK;
}

/* ---- snapshots ------------------------------------------------------------
 * The engine thread serializes the engine at a step boundary (well under a
 * millisecond for hundreds of instruments: bench_live) into the writer's
 * buffer; the snapshot thread then waits until the journal has made the
 * snapshot's last record durable (a snapshot never claims a record that a
 * crash could still take away), and writes, fsyncs and renames the file.
 * One snapshot at a time: while one is being written the next one due is
 * skipped, so the engine never waits for a disk. The last snapshot, at a
 * clean stop, is written by the engine thread itself: it trades no more. */

/* A snapshot file of `trader run` (live.h): the driver's header, then the
 * engine's snapshot (engine.h):
 *     u32 "TRLV"  u32 version 1  u64 segment  u64 offset
 * where segment/offset is where the snapshot's own record starts in the
 * journal (0 0: unknown): a restart checks the journal's tail and reads the
 * records after the snapshot from there, not from the segment's start. */
#define LIVE_SNAP_MAGIC TR_TAG('T', 'R', 'L', 'V')
#define LIVE_SNAP_HEADER 24

int tr_live_snapshot_parse(const void *data, size_t len, const void **engine,
                           size_t *engine_len, uint64_t *segment,
                           uint64_t *offset)
{
    tr_dec d;
    tr_dec_init(&d, data, len);
    uint32_t magic = tr_dec_u32(&d), version = tr_dec_u32(&d);
    *segment = tr_dec_u64(&d);
    *offset = tr_dec_u64(&d);
    if (tr_dec_error(&d) || magic != LIVE_SNAP_MAGIC || version != 1)
        return TR_ERR_DATA;
    *engine = (const uint8_t *)data + LIVE_SNAP_HEADER;
    *engine_len = len - LIVE_SNAP_HEADER;
    return TR_OK;
}

/* Fill in the position of a saved snapshot (its header was reserved). */
static void set_position(tr_enc *buf, uint64_t segment, uint64_t offset)
{
    for (int i = 0; i < 8; i++) {
        buf->p[8 + i] = (uint8_t)(segment >> (8 * i));
        buf->p[16 + i] = (uint8_t)(offset >> (8 * i));
    }
}

typedef struct snapw {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    tr_jwriter *w;
    const char *dir;
    tr_enc buf;           /* the engine thread fills it while !pending */
    uint64_t seq;         /* state after this record */
    int pending;          /* buf holds a snapshot for the thread */
    int quit, started;
    uint64_t written_seq; /* the newest snapshot written */
    uint64_t written;
    uint64_t write_ns_max;
} snapw;

/* Room in buf for a snapshot of about n bytes and a quarter more, its
 * pages touched: the engine thread's next serialization then neither
 * reallocates nor faults pages in (unless the state grew by a quarter). */
static void snapw_prepare(tr_enc *buf, size_t n)
{
    size_t want = n + n / 4 + 65536, had = buf->cap;
    if (had < want && tr_enc_reserve(buf, want - buf->len) == TR_OK)
        memset(buf->p + had, 0, buf->cap - had);
}

static void *snapw_main(void *arg)
{
    snapw *sw = arg;
    pthread_mutex_lock(&sw->mu);
    for (;;) {
        while (!sw->pending && !sw->quit)
            pthread_cond_wait(&sw->cv, &sw->mu);
        if (!sw->pending)
            break;
        uint64_t seq = sw->seq;
        pthread_mutex_unlock(&sw->mu);
        uint64_t t0 = now_ns();
        char err[4600] = "";
        int rc = tr_jwriter_wait_flushed(sw->w, seq);
        uint64_t segment, offset;
        if (rc == TR_OK && tr_jwriter_marked(sw->w, seq, &segment, &offset))
            set_position(&sw->buf, segment, offset);
        if (rc == TR_OK)
            rc = tr_snapshot_write(sw->dir, seq, sw->buf.p, sw->buf.len, err,
                                   sizeof err);
        uint64_t dt = now_ns() - t0;
        if (rc != TR_OK)
            tr_log(TR_LOG_WARN, "run", "snapshot after record %" PRIu64 " not "
                   "written: %s (trading goes on; a restart replays more of "
                   "the journal)", seq, err[0] ? err : tr_strerror(rc));
        else
            tr_log(TR_LOG_DEBUG, "run", "snapshot after record %" PRIu64
                   " written: %zu bytes in %.1f ms", seq, sw->buf.len,
                   (double)dt / 1e6);
        snapw_prepare(&sw->buf, sw->buf.len); /* for the next one */
        pthread_mutex_lock(&sw->mu);
        if (rc == TR_OK) {
            sw->written_seq = seq;
            sw->written++;
            if (dt > sw->write_ns_max)
                sw->write_ns_max = dt;
        }
        sw->pending = 0;
    }
    pthread_mutex_unlock(&sw->mu);
    return NULL;
}

static void snapw_init(snapw *sw, const char *dir)
{
    memset(sw, 0, sizeof *sw);
    sw->dir = dir;
    tr_enc_init(&sw->buf);
    pthread_mutex_init(&sw->mu, NULL);
    pthread_cond_init(&sw->cv, NULL);
}

/* Start the thread (once the journal writer runs). Without it, snapshots
 * are only written at a clean stop. */
static void snapw_start(snapw *sw, tr_jwriter *w)
{
    sw->w = w;
    sw->started = pthread_create(&sw->th, NULL, snapw_main, sw) == 0;
    if (!sw->started)
        tr_log(TR_LOG_WARN, "run", "no snapshot thread: engine snapshots are "
               "written at a clean stop only");
}

/* Let the thread finish what it writes and stop it. */
static void snapw_stop(snapw *sw)
{
    if (!sw->started)
        return;
    pthread_mutex_lock(&sw->mu);
    sw->quit = 1;
    pthread_cond_signal(&sw->cv);
    pthread_mutex_unlock(&sw->mu);
    pthread_join(sw->th, NULL);
    sw->started = 0;
}

static void snapw_free(snapw *sw)
{
    snapw_stop(sw);
    tr_enc_free(&sw->buf);
    pthread_mutex_destroy(&sw->mu);
    pthread_cond_destroy(&sw->cv);
}

/* Engine thread: serialize into sw->buf (only while no snapshot is pending:
 * then the thread does not read it). While trading, the time it takes is
 * the engine's pause (st->snapshot_save_us_max). TR_OK, or the error of the
 * save. */
static int snapshot_save(snapw *sw, const tr_engine *e, int trading,
                         tr_live_stats *st)
{
    uint64_t t0 = now_ns();
    tr_enc_reset(&sw->buf);
    tr_enc_u32(&sw->buf, LIVE_SNAP_MAGIC);
    tr_enc_u32(&sw->buf, 1);
    tr_enc_u64(&sw->buf, 0); /* the position, once known */
    tr_enc_u64(&sw->buf, 0);
    int rc = tr_engine_save(e, &sw->buf);
    uint64_t dt = now_ns() - t0;
    if (rc != TR_OK)
        return rc;
    st->snapshot_bytes = sw->buf.len;
    if (trading && dt / 1000 > st->snapshot_save_us_max)
        st->snapshot_save_us_max = dt / 1000;
    tr_log(TR_LOG_DEBUG, "run", "engine state serialized: %zu bytes in %.3f "
           "ms", sw->buf.len, (double)dt / 1e6);
    return TR_OK;
}

/* Any thread: is a snapshot being written? */
static int snapw_busy(snapw *sw)
{
    pthread_mutex_lock(&sw->mu);
    int busy = sw->pending;
    pthread_mutex_unlock(&sw->mu);
    return busy;
}

/* Engine thread, at a step boundary after record seq (marked at the
 * journal writer before the step's flush): a snapshot for the thread,
 * unless it is still writing the previous one. */
static void snapshot_offer(snapw *sw, const tr_engine *e, uint64_t seq,
                           tr_live_stats *st)
{
    if (snapw_busy(sw)) {
        st->snapshots_skipped++;
        return;
    }
    if (snapshot_save(sw, e, 1, st) != TR_OK)
        return; /* out of memory: the next one may fit */
    pthread_mutex_lock(&sw->mu);
    sw->seq = seq;
    sw->pending = 1;
    pthread_cond_signal(&sw->cv);
    pthread_mutex_unlock(&sw->mu);
}

/* Where the newest snapshot's record is, as a hint for opening the journal
 * (checked there: only a position that holds that record is used). */
static void snapshot_hint(const char *dir, tr_journal_opts *jo)
{
    tr_snapshot_info *v = NULL;
    size_t n = 0;
    uint8_t h[LIVE_SNAP_HEADER];
    const void *e;
    size_t elen;
    uint64_t seg, off;
    if (tr_snapshot_list(dir, 0, &v, &n) == TR_OK && n &&
        tr_snapshot_peek(dir, v[n - 1].seq, h, sizeof h) == TR_OK &&
        tr_live_snapshot_parse(h, sizeof h, &e, &elen, &seg, &off) == TR_OK) {
        jo->start_seq = v[n - 1].seq;
        jo->start_segment = seg;
        jo->start_offset = off;
    }
    free(v);
}

/* Load the newest snapshot this journal and config can use into L->e (a
 * fresh engine). One that is damaged, ahead of the journal, of another
 * config or another format is skipped with a warning and the one before
 * is tried; with none, the whole journal is replayed. A failed load leaves
 * the engine unusable, so it is made anew. */
static int load_snapshot(live *L, const tr_engine_cfg *ecfg,
                         const tr_engine_sink *sink, tr_live_stats *st,
                         uint64_t *segment, uint64_t *offset, size_t *size,
                         char *err, size_t errlen)
{
    const char *dir = L->cfg->run.journal;
    tr_snapshot_info *v = NULL;
    size_t n = 0;
    if (!ecfg->strategy->load || tr_snapshot_list(dir, 0, &v, &n) != TR_OK)
        return TR_OK;
    uint64_t last = tr_journal_last_seq(L->j);
    for (size_t i = n; i-- > 0;) {
        char why[4600] = "";
        if (v[i].seq > last) {
            snprintf(why, sizeof why, "it holds the state after record %"
                     PRIu64 " but the journal ends at record %" PRIu64,
                     v[i].seq, last);
        } else {
            void *data = NULL;
            size_t len = 0;
            int rc = tr_snapshot_read_at(dir, v[i].seq, &data, &len, why,
                                         sizeof why);
            if (rc == TR_ERR_DATA)
                snprintf(why, sizeof why, "damaged (header or checksum)");
            const void *edata;
            size_t elen;
            if (rc == TR_OK &&
                tr_live_snapshot_parse(data, len, &edata, &elen, segment,
                                       offset) != TR_OK) {
                snprintf(why, sizeof why, "not a snapshot of trader run");
                free(data);
                rc = TR_ERR_DATA;
            } else if (rc == TR_OK) {
                rc = tr_engine_load(L->e, edata, elen, why, sizeof why);
                free(data);
                if (rc == TR_OK) {
                    st->snapshot_seq = v[i].seq;
                    *size = len;
                    break;
                }
                tr_engine_free(L->e);
                L->e = NULL;
                rc = tr_engine_new(ecfg, sink, &L->e, err, errlen);
                if (rc != TR_OK) {
                    free(v);
                    return rc;
                }
            }
        }
        tr_log(TR_LOG_WARN, "run", "snapshot %s/snapshot-%020" PRIu64 ".snap "
               "not used: %s; %s", dir, v[i].seq, why,
               i ? "trying the one before it"
                 : "replaying the whole journal instead");
    }
    free(v);
    return TR_OK;
}

/* ---- the run --------------------------------------------------------------- */

/* A start from a snapshot replays only what follows it, so the view (the
 * API's history of orders, fills, equity and alerts) is seeded first: the
 * orders as the snapshot's broker holds them, the rest from the journal's
 * records up to the snapshot (read, not replayed). */
static void seed_view(live *L, uint64_t upto)
{
    const tr_paper *b = tr_engine_broker(L->e);
    for (uint64_t id = 1; id <= tr_paper_order_count(b); id++)
        tr_view_order(L->view, tr_paper_order(b, id));
    tr_reader *r;
    char rerr[4600];
    if (tr_reader_open(L->cfg->run.journal, 0, &r, rerr, sizeof rerr) !=
        TR_OK)
        return;
    tr_record rec;
    while (tr_reader_next(r, &rec, rerr, sizeof rerr) == 1 &&
           rec.seq <= upto) {
        if (rec.type == TR_EV_FILL) {
            tr_fill f;
            if (tr_ev_decode_fill(rec.payload, rec.len, &f) == TR_OK)
                tr_view_fill(L->view, &f);
        } else if (rec.type == TR_EV_EQUITY) {
            tr_equity_point pt;
            if (tr_ev_decode_equity(rec.payload, rec.len, &pt) == TR_OK)
                tr_view_equity(L->view, &pt);
        } else if (rec.type == TR_EV_ALERT) {
            tr_risk_alert a;
            if (tr_ev_decode_alert(rec.payload, rec.len, &a) == TR_OK)
                tr_view_alert(L->view, &a);
        }
    }
    tr_reader_close(r);
}

static void on_journal_report(void *ctx, const char *message)
{
    (void)ctx;
    tr_log(TR_LOG_WARN, "journal", "%s", message);
}

/* *stop is set by a signal handler, or by another thread (tests, an
 * embedding program): read it atomically. */
static int stopping(volatile sig_atomic_t *stop)
{
    return stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE);
}

/* Carry out the commands waiting in the queue: each is journaled (an
 * input), run, its outputs journaled, and the group handed to the writer;
 * the caller's answer waits for the write. A repeated client reference gets
 * the first answer and journals nothing. */
static int serve_commands(live *L)
{
    if (!L->io || !L->io->q)
        return TR_OK;
    tr_cmd *batch[64];
    uint64_t seqs[64];
    size_t k;
    int rc = TR_OK;
    while (rc == TR_OK &&
           (k = tr_cmdq_take(L->io->q, batch, sizeof batch / sizeof *batch))) {
        /* The batch is journaled as one group, the view published once,
         * then every caller answered: under load, one writer wake-up and
         * one publish serve many commands. */
        for (size_t i = 0; i < k; i++) {
            tr_cmd *c = batch[i];
            seqs[i] = 0;
            if (rc != TR_OK) { /* the journal failed: refuse the rest */
                c->ans.status = TR_CMD_UNAVAILABLE;
                continue;
            }
            if (tr_commands_seen(tr_engine_commands(L->e), &c->ctl, &c->ans))
                continue;
            uint8_t buf[1024];
            tr_ev_buf b = {buf, 0, sizeof buf, 0};
            size_t len = tr_ev_encode_control(&b, &c->ctl);
            clear_outs(L);
            L->now = tr_engine_now(L->e);
            rc = len ? jappend(L, TR_EV_CONTROL, L->now, buf, (uint32_t)len)
                     : TR_ERR_INVALID;
            if (rc == TR_OK)
                rc = tr_commands_run(tr_engine_commands(L->e), L->e, &c->ctl,
                                     &c->ans);
            if (rc == TR_OK)
                rc = L->nomem ? TR_ERR_NOMEM : append_outs(L, 0);
            if (rc != TR_OK)
                c->ans.status = TR_CMD_UNAVAILABLE;
            seqs[i] = L->appended;
            L->commands_run++;
        }
        tr_jwriter_flush(L->w);
        if (rc == TR_OK && tr_jwriter_failed(L->w))
            rc = TR_ERR_IO;
        if (L->view)
            tr_view_publish(L->view, L->e, L->appended);
        for (size_t i = 0; i < k; i++) {
            if (rc != TR_OK && batch[i]->ans.status != TR_CMD_UNAVAILABLE &&
                seqs[i]) /* carried out, but the journal failed after it */
                batch[i]->ans.status = TR_CMD_UNAVAILABLE;
            tr_cmdq_complete(L->io->q, batch[i],
                             batch[i]->ans.status == TR_CMD_UNAVAILABLE
                                 ? 0
                                 : seqs[i]);
        }
    }
    return rc;
}

/* Wait until wall time target_ms (monotonic), serving commands and waking
 * to check *stop. */
static int pace(live *L, uint64_t target_ms, volatile sig_atomic_t *stop)
{
    for (;;) {
        int rc = serve_commands(L);
        if (rc != TR_OK)
            return rc;
        uint64_t now = now_ms();
        if (now >= target_ms || stopping(stop))
            return TR_OK;
        uint64_t d = target_ms - now;
        if (d > 100)
            d = 100;
        if (L->io && L->io->q) {
            tr_cmdq_wait(L->io->q, (int)d);
        } else {
            struct timespec ts = {(time_t)(d / 1000),
                                  (long)(d % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
    }
}

static void on_writer_progress(void *ctx, uint64_t seq, int failed)
{
    tr_cmdq_journal_progress(ctx, seq, failed);
}

int tr_live_run(const tr_bt_config *cfg, volatile sig_atomic_t *stop,
                const tr_live_io *io, tr_live_stats *st, char *err,
                size_t errlen)
{
    memset(st, 0, sizeof *st);
    err[0] = '\0';
    size_t n = cfg->ndata;
    live L;
    memset(&L, 0, sizeof L);
    L.cfg = cfg;
    L.io = io;
    L.view = io ? io->view : NULL;
    metrics_init(&L);
    replay R;
    memset(&R, 0, sizeof R);
    tr_bars *bars = calloc(n, sizeof *bars);
    R.syms = malloc(n * sizeof *R.syms);
    R.bars = malloc(n * sizeof *R.bars);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    tr_merge m = {0};
    snapw sw;
    snapw_init(&sw, cfg->run.journal);
    int rc = TR_ERR_NOMEM;
    if (!bars || !R.syms || !R.bars || !names)
        goto done;
    /* The instruments' names are part of the config fingerprint that
     * snapshots carry. */
    for (size_t i = 0; i < n; i++)
        names[i] = cfg->data[i].symbol;
    tr_engine_cfg ecfg = cfg->engine;
    ecfg.symbols = names;
    rc = tr_bt_load_bars(cfg, bars, err, errlen);
    if (rc != TR_OK)
        goto done;
    tr_journal_opts jo = {.fsync = cfg->run.fsync,
                          .interval_ms = cfg->run.fsync_interval_ms,
                          .segment_bytes = cfg->run.segment_bytes,
                          .report = on_journal_report};
    snapshot_hint(cfg->run.journal, &jo);
    rc = tr_journal_open(cfg->run.journal, &jo, &L.j, err, errlen);
    if (rc != TR_OK)
        goto done;
    tr_engine_sink sink = {&L, on_signal, on_order, on_fill, on_equity,
                           on_alert};
    rc = tr_engine_new(&ecfg, &sink, &L.e, err, errlen);
    if (rc != TR_OK)
        goto done;

    /* The engine from the newest usable snapshot, then the journal after
     * it replayed and checked (all of it without a snapshot). */
    uint64_t r0 = now_ns(), segment = 0, offset = 0;
    size_t snap_len = 0;
    rc = load_snapshot(&L, &ecfg, &sink, st, &segment, &offset, &snap_len,
                       err, errlen);
    if (rc != TR_OK)
        goto done;
    if (st->snapshot_seq && L.view)
        seed_view(&L, st->snapshot_seq);
    tr_time last_t, last_timer;
    tr_engine_clock(L.e, &last_t, &last_timer);
    rc = recover(&L, &R, st->snapshot_seq + 1, segment, offset, st, &last_t,
                 &last_timer, err, errlen);
    if (rc != TR_OK && rc != TR_ERR_IO && rc != TR_ERR_NOMEM &&
        st->snapshot_seq) {
        /* The journal after the snapshot does not replay from it (a
         * snapshot that does not belong to this journal): nothing was
         * appended yet, so start over from record 1. */
        tr_log(TR_LOG_WARN, "run", "the journal after the snapshot of record "
               "%" PRIu64 " does not replay from it (%s): replaying the whole "
               "journal instead", st->snapshot_seq, err);
        err[0] = '\0';
        tr_engine_free(L.e);
        L.e = NULL;
        rc = tr_engine_new(&ecfg, &sink, &L.e, err, errlen);
        if (rc != TR_OK)
            goto done;
        clear_outs(&L);
        if (L.view)
            tr_view_clear(L.view);
        R.k = R.want = R.matched = 0;
        R.have_step = 0;
        st->snapshot_seq = st->replayed_records = st->replayed_steps = 0;
        tr_engine_clock(L.e, &last_t, &last_timer);
        rc = recover(&L, &R, 1, 0, 0, st, &last_t, &last_timer, err, errlen);
    }
    if (rc != TR_OK)
        goto done;
    st->recovery_us = (now_ns() - r0) / 1000;
    if (st->snapshot_seq)
        tr_log(TR_LOG_INFO, "run", "recovered from the snapshot after record "
               "%" PRIu64 " and the %" PRIu64 " journal records after it (%"
               PRIu64 " steps replayed and checked) in %.1f ms",
               st->snapshot_seq, st->replayed_records, st->replayed_steps,
               (double)st->recovery_us / 1000.0);
    else if (st->replayed_records)
        tr_log(TR_LOG_INFO, "run", "recovered from the journal: %" PRIu64
               " records, %" PRIu64 " steps replayed and checked in %.1f ms",
               st->replayed_records, st->replayed_steps,
               (double)st->recovery_us / 1000.0);
    /* Every record so far is part of the engine's state: a snapshot now
     * would be of the state after the last one. */
    uint64_t covered = tr_journal_last_seq(L.j);
    uint64_t since_snapshot = 0;
    int can_snapshot = ecfg.strategy->save && ecfg.strategy->load;

    /* A session record for this start. */
    tr_ev_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.config, sizeof s.config, "%s", cfg->path ? cfg->path : "");
    snprintf(s.strategy, sizeof s.strategy, "%s", cfg->engine.strategy->name);
    s.nsyms = (uint32_t)n;
    for (size_t i = 0; i < n && i < 64; i++)
        memcpy(s.symbols[i], cfg->data[i].symbol, sizeof s.symbols[i]);
    uint8_t sbuf[4096];
    tr_ev_buf sb = {sbuf, 0, sizeof sbuf, 0};
    size_t slen = tr_ev_encode_session(&sb, &s);
    /* Session and stop records carry the wall-clock time of the start and
     * the stop: they describe the process, not market events, and replay
     * ignores their times. */
    rc = tr_journal_append(L.j, TR_EV_SESSION, tr_time_now(), sbuf,
                           (uint32_t)slen, NULL);
    if (rc == TR_OK)
        rc = tr_journal_commit(L.j, now_ms());
    if (rc != TR_OK)
        goto io_fail;

    rc = tr_merge_init(&m, bars, n);
    if (rc != TR_OK)
        goto done;
    /* From here the journal is written by its own thread: the engine
     * never waits for a disk (only for memory, if the disk falls far
     * behind). */
    rc = tr_jwriter_start(L.j, 0, &L.w);
    if (rc != TR_OK)
        goto io_fail;
    L.j = NULL;
    if (can_snapshot && cfg->run.snapshot_every) {
        snapw_prepare(&sw.buf, snap_len);
        snapw_start(&sw, L.w);
    }
    if (L.view)
        tr_view_publish(L.view, L.e, tr_jwriter_written_seq(L.w));
    if (io && io->q) {
        tr_jwriter_on_progress(L.w, on_writer_progress, io->q);
        tr_cmdq_set_open(io->q, 1);
    }
    if (L.view)
        tr_view_set_ready(L.view, 1, 0);
    if (last_t != INT64_MIN)
        tr_merge_skip_to(&m, last_t);
    tr_time t, t0 = 0;
    uint64_t wall0 = now_ms(), last_report = wall0;
    size_t k;
    int first = 1;
    while (!stopping(stop) && (k = tr_merge_next(&m, &t, R.syms, R.bars))) {
        if (cfg->run.speed > 0) {
            if (first)
                t0 = t;
            double bar_ms = (double)(t - t0) / 1e6 / cfg->run.speed;
            rc = pace(&L, wall0 + (uint64_t)bar_ms, stop);
            if (rc != TR_OK)
                goto io_fail;
            if (stopping(stop))
                break;
        } else if (io && io->q && tr_cmdq_pending(io->q)) {
            rc = serve_commands(&L);
            if (rc != TR_OK)
                goto io_fail;
        }
        first = 0;
        clear_outs(&L);
        /* Session timers, from the bars' times (as in a backtest); each is
         * an input journaled before its effects. */
        tr_timer_kind kinds[2];
        tr_time when[2];
        size_t nt = tr_engine_timers_due(last_t, t, kinds, when);
        rc = TR_OK;
        for (size_t i = 0; i < nt && rc == TR_OK; i++) {
            if (when[i] <= last_timer)
                continue; /* fired before a restart */
            uint8_t tb[8];
            tr_ev_buf b = {tb, 0, sizeof tb, 0};
            tr_ev_timer tm = {(uint8_t)kinds[i]};
            size_t tl = tr_ev_encode_timer(&b, &tm);
            rc = jappend(&L, TR_EV_TIMER, when[i], tb, (uint32_t)tl);
            size_t from = L.nouts;
            L.now = when[i];
            if (rc == TR_OK)
                rc = tr_engine_timer(L.e, kinds[i], when[i]);
            if (rc == TR_OK)
                rc = L.nomem ? TR_ERR_NOMEM : append_outs(&L, from);
            last_timer = when[i];
        }
        last_t = t;
        L.now = t;
        if (L.m_bar_to_order)
            L.step_start_ns = mono_ns();
        size_t from = L.nouts;
        if (rc == TR_OK)
            rc = append_bars(&L, t, R.syms, R.bars, k);
        if (rc == TR_OK) {
            rc = tr_engine_step(L.e, t, R.syms, R.bars, k);
            if (rc != TR_OK) {
                snprintf(err, errlen, "engine: %s", tr_strerror(rc));
                goto done;
            }
            rc = L.nomem ? TR_ERR_NOMEM : append_outs(&L, from);
        }
        L.step_start_ns = 0;
        /* A snapshot due after this step: the writer notes where the
         * step's last record ends. */
        if (rc == TR_OK && sw.started &&
            since_snapshot + 1 >= cfg->run.snapshot_every && !snapw_busy(&sw))
            tr_jwriter_mark(L.w, L.appended);
        tr_jwriter_flush(L.w); /* the step is one group */
        if (rc == TR_OK && tr_jwriter_failed(L.w))
            rc = TR_ERR_IO;
        if (rc != TR_OK)
            goto io_fail;
        if (L.view)
            tr_view_publish(L.view, L.e, L.appended);
        st->new_steps++;
        covered = L.appended; /* the step's last record */
        if (sw.started && ++since_snapshot >= cfg->run.snapshot_every) {
            since_snapshot = 0;
            snapshot_offer(&sw, L.e, covered, st);
        }
        uint64_t wall = now_ms();
        if (wall - last_report >= 10000) { /* a heartbeat for the log */
            last_report = wall;
            char at[TR_TIME_STRLEN], eq[TR_FX_STRLEN];
            tr_time_format_short(t, at, sizeof at);
            tr_fx_format(tr_portfolio_equity(tr_engine_portfolio(L.e)), eq,
                         sizeof eq);
            tr_log(TR_LOG_INFO, "run", "at %s: %" PRIu64 " steps, equity %s, "
                   "%zu open positions, journal record %" PRIu64, at,
                   st->new_steps, eq,
                   tr_engine_portfolio(L.e)->open_positions,
                   tr_jwriter_written_seq(L.w));
        }
    }
    st->finished = !stopping(stop);
    if (st->finished && io && io->serve) {
        /* The feed is over; the API stays: commands until stopped. */
        tr_log(TR_LOG_INFO, "run", "the feed has ended; serving until "
               "stopped (Ctrl-C)");
        if (L.view)
            tr_view_set_ready(L.view, 1, 1);
        while (!stopping(stop)) {
            rc = pace(&L, now_ms() + 100, stop);
            if (rc != TR_OK)
                goto io_fail;
        }
    }
    if (io && io->q)
        tr_cmdq_set_open(io->q, 0);
    rc = serve_commands(&L); /* taken before the close: answer them */
    if (rc != TR_OK)
        goto io_fail;
    uint64_t stop_seq = 0;
    snapw_stop(&sw); /* the mark is the stop's from here */
    rc = tr_jwriter_append(L.w, TR_EV_STOP, tr_time_now(), NULL, 0, &stop_seq);
    if (rc == TR_OK) {
        tr_jwriter_mark(L.w, stop_seq);
        rc = tr_jwriter_wait_durable(L.w, stop_seq); /* all on disk */
    }
    if (rc != TR_OK)
        goto io_fail;
    /* The state at the stop (durable now): it follows the last step's
     * records and the stop record, which changes nothing, so it claims the
     * stop record and the next start replays nothing. Trading is over, so
     * the engine thread writes it itself. Not when nothing but session and
     * stop records followed the loaded snapshot: the state is the same. */
    st->snapshots_written = sw.written;
    if (L.appended > covered) /* controls carried out after the last step */
        covered = L.appended;
    if (can_snapshot && covered > sw.written_seq &&
        covered > st->snapshot_seq &&
        (st->new_steps || st->replayed_steps || st->repaired_records ||
         L.commands_run || !st->snapshot_seq)) {
        uint64_t w0 = now_ns(), seg, off;
        char serr[4600] = "";
        int src = snapshot_save(&sw, L.e, 0, st);
        if (src == TR_OK && tr_jwriter_marked(L.w, stop_seq, &seg, &off))
            set_position(&sw.buf, seg, off);
        if (src == TR_OK)
            src = tr_snapshot_write(cfg->run.journal, stop_seq, sw.buf.p,
                                    sw.buf.len, serr, sizeof serr);
        if (src == TR_OK) {
            st->snapshots_written++;
            tr_log(TR_LOG_INFO, "run", "snapshot after record %" PRIu64
                   " written (%zu bytes in %.1f ms): the next start replays "
                   "from there", stop_seq, sw.buf.len,
                   (double)(now_ns() - w0) / 1e6);
        } else {
            tr_log(TR_LOG_WARN, "run", "snapshot after record %" PRIu64
                   " not written: %s (the next start replays more of the "
                   "journal)", stop_seq, serr[0] ? serr : tr_strerror(src));
        }
    }
    goto done;

io_fail:
    snprintf(err, errlen, "journal %s: write failed (%s): trading halted; "
             "every acknowledged event is on disk", cfg->run.journal,
             rc == TR_ERR_IO ? strerror(errno) : tr_strerror(rc));
    tr_log(TR_LOG_ERROR, "journal", "%s", err);
    rc = TR_ERR_IO;
done:
    if (io && io->q)
        tr_cmdq_set_open(io->q, 0);
    if (L.view)
        tr_view_set_ready(L.view, 0, st->finished);
    snapw_stop(&sw); /* before the journal writer it waits on goes */
    if (!st->snapshots_written)
        st->snapshots_written = sw.written;
    if (L.e) {
        const tr_portfolio *p = tr_engine_portfolio(L.e);
        st->equity = tr_portfolio_equity(p);
        st->cash = p->cash;
        st->open_positions = p->open_positions;
    }
    if (L.w) {
        st->last_seq = tr_jwriter_written_seq(L.w);
        int crc = tr_jwriter_close(L.w); /* writes what is left, syncs */
        if (rc == TR_OK && crc != TR_OK) {
            snprintf(err, errlen, "journal %s: final sync failed: %s",
                     cfg->run.journal, strerror(errno));
            rc = TR_ERR_IO;
        }
    }
    if (L.j) {
        st->last_seq = tr_journal_last_seq(L.j);
        int crc = tr_journal_close(L.j);
        if (rc == TR_OK && crc != TR_OK) {
            snprintf(err, errlen, "journal %s: final sync failed: %s",
                     cfg->run.journal, strerror(errno));
            rc = TR_ERR_IO;
        }
    }
    snapw_free(&sw);
    free(names);
    tr_merge_free(&m);
    tr_engine_free(L.e);
    for (size_t i = 0; bars && i < n; i++)
        tr_bars_free(&bars[i]);
    free(bars);
    free(R.syms);
    free(R.bars);
    free(L.outs);
    free(L.arena);
    return rc;
}
