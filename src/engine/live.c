/* live.c: journal-first live trading and recovery by replay (see live.h). */
#include "engine/live.h"

#include <errno.h>
#include <inttypes.h>
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

static tr_time wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (tr_time)ts.tv_sec * TR_NS_PER_SEC + ts.tv_nsec;
}

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
    tr_commands *cmds;  /* answers by client reference */
    uint64_t last_seq;  /* the last record appended */
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
    return L->w ? tr_jwriter_append(L->w, type, t, p, len, &L->last_seq)
                : tr_journal_append(L->j, type, t, p, len, &L->last_seq);
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

static int recover(live *L, replay *R, tr_live_stats *st, tr_time *last_t,
                   tr_time *last_timer, char *err, size_t errlen)
{
    tr_reader *r;
    char rerr[4600];
    int rc = tr_reader_open(L->cfg->run.journal, 1, &r, rerr, sizeof rerr);
    if (rc == TR_ERR_NOT_FOUND)
        return TR_OK;
    if (rc != TR_OK) {
        snprintf(err, errlen, "%s", rerr);
        return rc;
    }
    tr_record rec;
    *last_t = INT64_MIN;
    while ((rc = tr_reader_next(r, &rec, rerr, sizeof rerr)) == 1) {
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
            if (R->k) { /* a step before it, whose outputs must follow it */
                *last_t = R->t;
                if ((rc = replay_step(L, R, err, errlen)) != TR_OK)
                    break;
                st->replayed_steps++;
            }
            if (R->have_step && R->matched < L->nouts) {
                snprintf(err, errlen, "record %" PRIu64 ": a timer comes "
                         "while %zu outputs before it are missing", rec.seq,
                         L->nouts - R->matched);
                rc = TR_ERR_DATA;
                break;
            }
            clear_outs(L);
            L->now = rec.time;
            rc = tr_engine_timer(L->e, (tr_timer_kind)tm.kind, rec.time);
            if (rc != TR_OK || L->nomem) {
                snprintf(err, errlen, "record %" PRIu64 ": replaying the "
                         "timer: %s", rec.seq,
                         tr_strerror(rc != TR_OK ? rc : TR_ERR_NOMEM));
                rc = rc != TR_OK ? rc : TR_ERR_NOMEM;
                break;
            }
            R->have_step = 1;
            R->matched = 0;
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
            if (R->k) {
                *last_t = R->t;
                if ((rc = replay_step(L, R, err, errlen)) != TR_OK)
                    break;
                st->replayed_steps++;
            }
            if (R->have_step && R->matched < L->nouts) {
                snprintf(err, errlen, "record %" PRIu64 ": a control comes "
                         "while %zu outputs before it are missing", rec.seq,
                         L->nouts - R->matched);
                rc = TR_ERR_DATA;
                break;
            }
            clear_outs(L);
            L->now = rec.time;
            tr_cmd_answer ans;
            rc = tr_commands_run(L->cmds, L->e, &ctl, &ans);
            if (rc != TR_OK || L->nomem) {
                snprintf(err, errlen, "record %" PRIu64 ": replaying the "
                         "control: %s", rec.seq,
                         tr_strerror(rc != TR_OK ? rc : TR_ERR_NOMEM));
                rc = rc != TR_OK ? rc : TR_ERR_NOMEM;
                break;
            }
            R->have_step = 1;
            R->matched = 0;
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

/* ---- the run --------------------------------------------------------------- */

static void on_journal_report(void *ctx, const char *message)
{
    (void)ctx;
    tr_log(TR_LOG_WARN, "journal", "%s", message);
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
    size_t k;
    int rc = TR_OK;
    while (rc == TR_OK &&
           (k = tr_cmdq_take(L->io->q, batch, sizeof batch / sizeof *batch))) {
        for (size_t i = 0; i < k; i++) {
            tr_cmd *c = batch[i];
            if (rc != TR_OK) { /* the journal failed: refuse the rest */
                c->ans.status = TR_CMD_UNAVAILABLE;
                tr_cmdq_complete(L->io->q, c, 0);
                continue;
            }
            if (tr_commands_seen(L->cmds, &c->ctl, &c->ans)) {
                tr_cmdq_complete(L->io->q, c, 0);
                continue;
            }
            uint8_t buf[1024];
            tr_ev_buf b = {buf, 0, sizeof buf, 0};
            size_t len = tr_ev_encode_control(&b, &c->ctl);
            clear_outs(L);
            L->now = tr_engine_now(L->e);
            rc = len ? jappend(L, TR_EV_CONTROL, L->now, buf, (uint32_t)len)
                     : TR_ERR_INVALID;
            if (rc == TR_OK)
                rc = tr_commands_run(L->cmds, L->e, &c->ctl, &c->ans);
            if (rc == TR_OK)
                rc = L->nomem ? TR_ERR_NOMEM : append_outs(L, 0);
            tr_jwriter_flush(L->w);
            if (rc == TR_OK && tr_jwriter_failed(L->w))
                rc = TR_ERR_IO;
            if (L->view)
                tr_view_publish(L->view, L->e, L->last_seq);
            if (rc != TR_OK)
                c->ans.status = TR_CMD_UNAVAILABLE;
            tr_cmdq_complete(L->io->q, c, rc == TR_OK ? L->last_seq : 0);
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
        if (now >= target_ms || (stop && *stop))
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
    L.cmds = tr_commands_new();
    metrics_init(&L);
    replay R;
    memset(&R, 0, sizeof R);
    tr_bars *bars = calloc(n, sizeof *bars);
    R.syms = malloc(n * sizeof *R.syms);
    R.bars = malloc(n * sizeof *R.bars);
    tr_merge m = {0};
    int rc = TR_ERR_NOMEM;
    if (!bars || !R.syms || !R.bars || !L.cmds)
        goto done;
    rc = tr_bt_load_bars(cfg, bars, err, errlen);
    if (rc != TR_OK)
        goto done;
    tr_journal_opts jo = {.fsync = cfg->run.fsync,
                          .interval_ms = cfg->run.fsync_interval_ms,
                          .segment_bytes = cfg->run.segment_bytes,
                          .report = on_journal_report};
    rc = tr_journal_open(cfg->run.journal, &jo, &L.j, err, errlen);
    if (rc != TR_OK)
        goto done;
    tr_engine_sink sink = {&L, on_signal, on_order, on_fill, on_equity,
                           on_alert};
    rc = tr_engine_new(&cfg->engine, &sink, &L.e, err, errlen);
    if (rc != TR_OK)
        goto done;

    tr_time last_t = INT64_MIN, last_timer = INT64_MIN;
    rc = recover(&L, &R, st, &last_t, &last_timer, err, errlen);
    if (rc != TR_OK)
        goto done;
    if (st->replayed_records)
        tr_log(TR_LOG_INFO, "run", "recovered from the journal: %" PRIu64
               " records, %" PRIu64 " steps replayed and checked",
               st->replayed_records, st->replayed_steps);

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
    rc = tr_journal_append(L.j, TR_EV_SESSION, wall_now(), sbuf,
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
    while (!(stop && *stop) && (k = tr_merge_next(&m, &t, R.syms, R.bars))) {
        if (cfg->run.speed > 0) {
            if (first)
                t0 = t;
            double bar_ms = (double)(t - t0) / 1e6 / cfg->run.speed;
            rc = pace(&L, wall0 + (uint64_t)bar_ms, stop);
            if (rc != TR_OK)
                goto io_fail;
            if (stop && *stop)
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
        tr_jwriter_flush(L.w); /* the step is one group */
        if (rc == TR_OK && tr_jwriter_failed(L.w))
            rc = TR_ERR_IO;
        if (rc != TR_OK)
            goto io_fail;
        if (L.view)
            tr_view_publish(L.view, L.e, L.last_seq);
        st->new_steps++;
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
    st->finished = !(stop && *stop);
    if (st->finished && io && io->serve) {
        /* The feed is over; the API stays: commands until stopped. */
        tr_log(TR_LOG_INFO, "run", "the feed has ended; serving until "
               "stopped (Ctrl-C)");
        if (L.view)
            tr_view_set_ready(L.view, 1, 1);
        while (!(stop && *stop)) {
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
    rc = tr_jwriter_append(L.w, TR_EV_STOP, wall_now(), NULL, 0, &stop_seq);
    if (rc == TR_OK) /* everything of this run is on disk */
        rc = tr_jwriter_wait_durable(L.w, stop_seq);
    if (rc != TR_OK)
        goto io_fail;
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
    tr_merge_free(&m);
    tr_engine_free(L.e);
    for (size_t i = 0; bars && i < n; i++)
        tr_bars_free(&bars[i]);
    free(bars);
    free(R.syms);
    free(R.bars);
    free(L.outs);
    free(L.arena);
    tr_commands_free(L.cmds);
    return rc;
}
