/* command.c: carrying out controls, and the command queue (see command.h). */
#include "engine/command.h"

#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/time.h"

/* ---- remembered answers, by reference ---------------------------------------
 *
 * The newest TR_COMMANDS_KEEP answers, oldest first in a ring, found through
 * a fixed hash index of ring positions (linear probing, deletion by backward
 * shift): no rehash ever, so no pause as the table fills, and bounded
 * memory. A reference older than that is forgotten: resent, it is carried
 * out again. */

typedef struct seen_entry {
    char ref[52]; /* kind letter + ':' + the client's reference */
    tr_cmd_answer ans;
} seen_entry;

#define NO_SLOT UINT32_MAX
#define INDEX_SIZE (2 * TR_COMMANDS_KEEP) /* a power of two */

struct tr_commands {
    seen_entry *ring;  /* grows up to TR_COMMANDS_KEEP */
    size_t ring_cap;
    size_t head, n;    /* the oldest, and how many */
    uint32_t *index;   /* INDEX_SIZE ring positions, NO_SLOT when empty */
};

tr_commands *tr_commands_new(void)
{
    tr_commands *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->index = malloc(INDEX_SIZE * sizeof *c->index);
    if (!c->index) {
        free(c);
        return NULL;
    }
    memset(c->index, 0xff, INDEX_SIZE * sizeof *c->index);
    return c;
}

void tr_commands_free(tr_commands *c)
{
    if (!c)
        return;
    free(c->ring);
    free(c->index);
    free(c);
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* The key of ctl's reference ("" when it has none): signals and orders
 * have separate name spaces. */
static void ref_key(const tr_ev_control *ctl, char key[52])
{
    key[0] = '\0';
    if (!ctl->ref[0] || (ctl->kind != TR_CTL_SIGNAL && ctl->kind != TR_CTL_ORDER))
        return;
    key[0] = ctl->kind == TR_CTL_SIGNAL ? 's' : 'o';
    key[1] = ':';
    memcpy(key + 2, ctl->ref, 48);
    key[51] = '\0';
}

/* The index slot holding key, or the empty slot where it would go. */
static size_t slot_of(const tr_commands *c, const char *key)
{
    size_t i = (size_t)hash(key) & (INDEX_SIZE - 1);
    while (c->index[i] != NO_SLOT && strcmp(c->ring[c->index[i]].ref, key))
        i = (i + 1) & (INDEX_SIZE - 1);
    return i;
}

int tr_commands_seen(const tr_commands *c, const tr_ev_control *ctl,
                     tr_cmd_answer *out)
{
    char key[52];
    ref_key(ctl, key);
    if (!key[0])
        return 0;
    size_t i = slot_of(c, key);
    if (c->index[i] == NO_SLOT)
        return 0;
    *out = c->ring[c->index[i]].ans;
    out->duplicate = 1;
    return 1;
}

/* Remove index slot i, shifting later members of its probe run back. */
static void index_delete(tr_commands *c, size_t i)
{
    size_t j = i;
    for (;;) {
        j = (j + 1) & (INDEX_SIZE - 1);
        if (c->index[j] == NO_SLOT)
            break;
        size_t home = (size_t)hash(c->ring[c->index[j]].ref) & (INDEX_SIZE - 1);
        /* j's entry may move to i unless its home lies cyclically in (i, j] */
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            c->index[i] = c->index[j];
            i = j;
        }
    }
    c->index[i] = NO_SLOT;
}

static int remember(tr_commands *c, const char *key, const tr_cmd_answer *a)
{
    size_t i = slot_of(c, key);
    if (c->index[i] != NO_SLOT) { /* known: the newest answer stands */
        c->ring[c->index[i]].ans = *a;
        return TR_OK;
    }
    if (c->n == TR_COMMANDS_KEEP) { /* forget the oldest */
        size_t old = slot_of(c, c->ring[c->head].ref);
        index_delete(c, old);
        c->head = (c->head + 1) % TR_COMMANDS_KEEP;
        c->n--;
        i = slot_of(c, key); /* the deletion may have moved the gap */
    } else if (c->n == c->ring_cap) { /* grow; the ring is not wrapped yet */
        size_t cap = c->ring_cap ? c->ring_cap * 2 : 256;
        if (cap > TR_COMMANDS_KEEP)
            cap = TR_COMMANDS_KEEP;
        seen_entry *r = realloc(c->ring, cap * sizeof *r);
        if (!r)
            return TR_ERR_NOMEM;
        c->ring = r;
        c->ring_cap = cap;
    }
    size_t pos = (c->head + c->n) % TR_COMMANDS_KEEP;
    memset(&c->ring[pos], 0, sizeof c->ring[pos]);
    memcpy(c->ring[pos].ref, key, sizeof c->ring[pos].ref);
    c->ring[pos].ans = *a;
    c->ring[pos].ans.duplicate = 0;
    c->index[i] = (uint32_t)pos;
    c->n++;
    return TR_OK;
}

size_t tr_commands_count(const tr_commands *c)
{
    return c->n;
}

void tr_commands_save(const tr_commands *c, tr_enc *out)
{
    tr_enc_u64(out, c->n);
    for (size_t k = 0; k < c->n; k++) { /* oldest first */
        const seen_entry *s = &c->ring[(c->head + k) % TR_COMMANDS_KEEP];
        tr_enc_str(out, s->ref, sizeof s->ref);
        tr_enc_u8(out, (uint8_t)s->ans.status);
        tr_enc_u8(out, (uint8_t)s->ans.a.executed);
        tr_enc_u16(out, (uint16_t)s->ans.a.reason);
        tr_enc_str(out, s->ans.a.detail, sizeof s->ans.a.detail);
        tr_enc_u64(out, s->ans.a.order_id);
        tr_enc_i64(out, s->ans.a.qty);
    }
}

int tr_commands_load(tr_commands *c, tr_dec *in)
{
    size_t n = tr_dec_count(in, TR_COMMANDS_KEEP, 25);
    if (tr_dec_error(in))
        return TR_ERR_DATA;
    tr_commands *fresh = tr_commands_new();
    if (!fresh)
        return TR_ERR_NOMEM;
    int rc = TR_OK;
    for (size_t i = 0; i < n && rc == TR_OK; i++) {
        char key[52];
        tr_cmd_answer a;
        memset(&a, 0, sizeof a);
        tr_dec_str(in, key, sizeof key);
        a.status = (tr_cmd_status)tr_dec_u8(in);
        a.a.executed = tr_dec_u8(in);
        a.a.reason = (tr_risk_reason)tr_dec_u16(in);
        tr_dec_str(in, a.a.detail, sizeof a.a.detail);
        a.a.order_id = tr_dec_u64(in);
        a.a.qty = tr_dec_i64(in);
        if (!tr_dec_check(in, a.status <= TR_CMD_UNAVAILABLE &&
                                  a.a.executed <= 1 &&
                                  a.a.reason < TR_RISK_REASON_COUNT &&
                                  (key[0] == 's' || key[0] == 'o') &&
                                  key[1] == ':') ||
            !tr_dec_check(in, fresh->index[slot_of(fresh, key)] == NO_SLOT))
            rc = TR_ERR_DATA;
        else
            rc = remember(fresh, key, &a);
    }
    if (rc != TR_OK) {
        tr_commands_free(fresh);
        return rc;
    }
    /* Take fresh's content; c keeps its own address (the engine's). */
    free(c->ring);
    free(c->index);
    *c = *fresh;
    free(fresh);
    return TR_OK;
}

/* A signal or order came to nothing placed: refused (an invalid one is an
 * answer too, not an error of the run). */
static int placed(int rc, tr_cmd_answer *out)
{
    if (rc == TR_ERR_INVALID || (rc == TR_OK && !out->a.executed))
        out->status = TR_CMD_REFUSED;
    return rc == TR_ERR_INVALID ? TR_OK : rc;
}

int tr_commands_run(tr_commands *c, tr_engine *e, const tr_ev_control *ctl,
                    tr_cmd_answer *out)
{
    memset(out, 0, sizeof *out);
    int rc = TR_OK;
    switch ((tr_control_kind)ctl->kind) {
    case TR_CTL_HALT:
    case TR_CTL_RESUME:
        tr_engine_halt(e, ctl->kind == TR_CTL_HALT);
        break;
    case TR_CTL_SIGNAL: {
        tr_signal s;
        memset(&s, 0, sizeof s);
        s.sym = ctl->sym;
        s.action = (tr_action)ctl->action;
        s.confidence = ctl->confidence;
        s.qty = ctl->qty;
        s.stop = ctl->stop_loss;
        s.take_profit = ctl->take_profit;
        memcpy(s.strategy, ctl->strategy, sizeof s.strategy);
        memcpy(s.reasons, ctl->reasons, sizeof s.reasons);
        rc = tr_engine_signal(e, &s, ctl->limit_price, &out->a);
        rc = placed(rc, out);
        break;
    }
    case TR_CTL_ORDER: {
        tr_order o;
        memset(&o, 0, sizeof o);
        o.sym = ctl->sym;
        o.side = ctl->side > 0 ? TR_BUY : TR_SELL;
        o.type = (tr_order_type)ctl->type;
        o.tif = (tr_tif)ctl->tif;
        o.qty = ctl->qty;
        o.limit_price = ctl->limit_price;
        o.stop_price = ctl->stop_price;
        memcpy(o.strategy, ctl->strategy, sizeof o.strategy);
        rc = tr_engine_order(e, &o, ctl->stop_loss, ctl->take_profit,
                             &out->a);
        rc = placed(rc, out);
        break;
    }
    case TR_CTL_CANCEL:
        rc = tr_engine_cancel(e, ctl->id);
        if (rc == TR_ERR_NOT_FOUND) {
            out->status = TR_CMD_NOT_FOUND;
            rc = TR_OK;
        }
        break;
    case TR_CTL_CLOSE:
        rc = tr_engine_close(e, ctl->sym, &out->a);
        if (rc == TR_ERR_NOT_FOUND) {
            out->status = TR_CMD_NOT_FOUND;
            rc = TR_OK;
        }
        break;
    case TR_CTL_STRATEGY:
        if (ctl->nparams) {
            char err[160];
            if (tr_engine_strategy_params(e, ctl->params, err, sizeof err) !=
                TR_OK) {
                out->status = TR_CMD_REFUSED;
                snprintf(out->a.detail, sizeof out->a.detail, "%s", err);
                break;
            }
        }
        if (ctl->enabled >= 0)
            tr_engine_strategy_enable(e, ctl->enabled);
        break;
    default:
        out->status = TR_CMD_REFUSED;
        snprintf(out->a.detail, sizeof out->a.detail, "unknown control");
    }
    char key[52];
    ref_key(ctl, key);
    if (rc == TR_OK && key[0])
        rc = remember(c, key, out);
    return rc;
}

/* ---- the queue ------------------------------------------------------------------ */

struct tr_cmdq {
    pthread_mutex_t mu;
    pthread_cond_t work;  /* engine: commands wait */
    pthread_cond_t done;  /* callers: progress */
    tr_cmd **ring;
    size_t cap, head, n;
    uint64_t written;     /* journal records written so far */
    /* Submitted commands carried out, waiting for the journal to write
     * their records: in completion order, which is journal order. */
    tr_cmd *wait_head, *wait_tail;
    int failed, open;
    int pending;          /* n, readable without the lock (a hint) */
};

tr_cmdq *tr_cmdq_new(size_t cap)
{
    tr_cmdq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->cap = cap ? cap : 1024;
    q->ring = calloc(q->cap, sizeof *q->ring);
    if (!q->ring) {
        free(q);
        return NULL;
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->work, &ca);
    pthread_cond_init(&q->done, &ca);
    pthread_condattr_destroy(&ca);
    return q;
}

void tr_cmdq_free(tr_cmdq *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->done);
    free(q->ring);
    free(q);
}

/* Put c in the ring for the engine (q->mu held); TR_OK, TR_ERR_IO (closed,
 * failed), TR_ERR_FULL. */
static int enqueue(tr_cmdq *q, tr_cmd *c)
{
    memset(&c->ans, 0, sizeof c->ans);
    c->done = 0;
    c->abandoned = 0;
    c->seq = 0;
    c->next = NULL;
    int rc = !q->open || q->failed ? TR_ERR_IO
             : q->n == q->cap      ? TR_ERR_FULL
                                   : TR_OK;
    if (rc != TR_OK) {
        c->ans.status = TR_CMD_UNAVAILABLE;
        return rc;
    }
    q->ring[(q->head + q->n) % q->cap] = c;
    q->n++;
    __atomic_store_n(&q->pending, 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&q->work);
    return TR_OK;
}

/* Call a submitted command's completion (never under q->mu). */
static void finish(tr_cmd *c, int rc)
{
    if (rc != TR_OK)
        c->ans.status = TR_CMD_UNAVAILABLE;
    c->fn(c, rc, c->fn_ctx);
}

/* Call the completions of a list linked by next. */
static void finish_list(tr_cmd *c, int rc)
{
    while (c) {
        tr_cmd *next = c->next; /* c may be gone after its completion */
        finish(c, rc);
        c = next;
    }
}

int tr_cmdq_submit(tr_cmdq *q, tr_cmd *c, tr_cmd_done_fn fn, void *ctx)
{
    c->fn = fn;
    c->fn_ctx = ctx;
    pthread_mutex_lock(&q->mu);
    int rc = enqueue(q, c);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int tr_cmdq_call(tr_cmdq *q, tr_cmd *c, int timeout_ms)
{
    c->fn = NULL;
    struct timespec until =
        tr_deadline_ms(timeout_ms > 0 ? (uint64_t)timeout_ms : 0);
    pthread_mutex_lock(&q->mu);
    int rc = enqueue(q, c);
    if (rc != TR_OK) {
        pthread_mutex_unlock(&q->mu);
        return rc;
    }
    /* Carried out, then its records written. */
    while (!(c->done && (q->written >= c->seq || q->failed))) {
        if (!q->open && !c->done) {
            rc = TR_ERR_IO;
            break;
        }
        if (pthread_cond_timedwait(&q->done, &q->mu, &until) == ETIMEDOUT) {
            rc = TR_ERR_IO;
            break;
        }
    }
    if (rc == TR_OK && q->failed && q->written < c->seq)
        rc = TR_ERR_IO;
    if (rc != TR_OK && !c->done) {
        /* Still waiting in the ring: take it out, the engine never sees it.
         * Already taken: the engine completes every command it takes, and
         * c's memory is the caller's, so wait for that. */
        int found = 0;
        for (size_t i = 0; i < q->n && !found; i++) {
            if (q->ring[(q->head + i) % q->cap] != c)
                continue;
            found = 1;
            for (size_t j = i; j + 1 < q->n; j++)
                q->ring[(q->head + j) % q->cap] =
                    q->ring[(q->head + j + 1) % q->cap];
            q->n--;
        }
        c->abandoned = 1; /* tr_cmdq_complete wakes us at once */
        while (!found && !c->done)
            pthread_cond_wait(&q->done, &q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    if (rc != TR_OK)
        c->ans.status = TR_CMD_UNAVAILABLE;
    return rc;
}

size_t tr_cmdq_take(tr_cmdq *q, tr_cmd **out, size_t max)
{
    if (!__atomic_load_n(&q->pending, __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&q->mu);
    size_t k = 0;
    while (k < max && q->n) {
        out[k++] = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
    }
    if (!q->n)
        __atomic_store_n(&q->pending, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&q->mu);
    return k;
}

int tr_cmdq_pending(tr_cmdq *q)
{
    return __atomic_load_n(&q->pending, __ATOMIC_ACQUIRE);
}

void tr_cmdq_wait(tr_cmdq *q, int ms)
{
    if (ms <= 0)
        return;
    struct timespec until = tr_deadline_ms((uint64_t)ms);
    pthread_mutex_lock(&q->mu);
    while (!q->n)
        if (pthread_cond_timedwait(&q->work, &q->mu, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&q->mu);
}

void tr_cmdq_complete(tr_cmdq *q, tr_cmd *c, uint64_t seq)
{
    pthread_mutex_lock(&q->mu);
    c->seq = seq;
    c->done = 1;
    if (c->fn) { /* submitted: answer now, or once its records are written */
        int ready = seq <= q->written || q->failed;
        if (!ready) {
            if (q->wait_tail)
                q->wait_tail->next = c;
            else
                q->wait_head = c;
            q->wait_tail = c;
        }
        int rc = seq <= q->written ? TR_OK : TR_ERR_IO;
        pthread_mutex_unlock(&q->mu);
        if (ready)
            finish(c, rc);
        return;
    }
    /* Wake the caller only when it can go on now; usually its records are
     * not written yet and the journal's progress wakes it (a wake-up that
     * finds them unwritten costs two context switches for nothing). */
    if (seq <= q->written || q->failed || !q->open || c->abandoned)
        pthread_cond_broadcast(&q->done);
    pthread_mutex_unlock(&q->mu);
}

void tr_cmdq_journal_progress(tr_cmdq *q, uint64_t seq, int failed)
{
    pthread_mutex_lock(&q->mu);
    if (seq > q->written)
        q->written = seq;
    if (failed)
        q->failed = 1;
    /* Submitted commands: those now written are answered; after a failure
     * the rest never will be. */
    tr_cmd *ok = NULL, *lost = NULL, **tail = &ok;
    while (q->wait_head && q->wait_head->seq <= q->written) {
        *tail = q->wait_head;
        tail = &q->wait_head->next;
        q->wait_head = q->wait_head->next;
    }
    *tail = NULL;
    if (q->failed) {
        lost = q->wait_head;
        q->wait_head = NULL;
    }
    if (!q->wait_head)
        q->wait_tail = NULL;
    pthread_cond_broadcast(&q->done);
    pthread_mutex_unlock(&q->mu);
    finish_list(ok, TR_OK);
    finish_list(lost, TR_ERR_IO);
}

uint64_t tr_cmdq_written(tr_cmdq *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t w = q->written;
    pthread_mutex_unlock(&q->mu);
    return w;
}

void tr_cmdq_set_open(tr_cmdq *q, int open)
{
    pthread_mutex_lock(&q->mu);
    q->open = open;
    /* Closing: submitted commands the engine has not taken fail now (a
     * caller of tr_cmdq_call takes its own out). */
    tr_cmd *lost = NULL, **tail = &lost;
    size_t kept = 0;
    for (size_t i = 0; !open && i < q->n; i++) {
        tr_cmd *c = q->ring[(q->head + i) % q->cap];
        if (c->fn) {
            *tail = c;
            tail = &c->next;
        } else {
            q->ring[(q->head + kept++) % q->cap] = c;
        }
    }
    *tail = NULL;
    if (!open) {
        q->n = kept;
        if (!kept)
            __atomic_store_n(&q->pending, 0, __ATOMIC_RELEASE);
    }
    pthread_cond_broadcast(&q->done);
    pthread_mutex_unlock(&q->mu);
    finish_list(lost, TR_ERR_IO);
}
