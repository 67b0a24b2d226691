/* test_command.c: controls from outside the engine: external signals,
 * orders by hand, cancels, closes, halts and strategy controls carried out
 * on the engine (hand-computed fills), their idempotency, the command
 * queue between threads, and a live run that journals them and rebuilds
 * the same state from the journal after a restart. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "engine/command.h"
#include "engine/live.h"
#include "engine/view.h"
#include "test.h"
#include "tmpdir.h"

#define DAY ((tr_time)86400 * TR_NS_PER_SEC)
#define T0 ((tr_time)19723 * DAY) /* 2024-01-01 */

static tr_fx FX(const char *s)
{
    tr_fx v = 0;
    if (tr_fx_parse(s, strlen(s), &v) != TR_OK) {
        fprintf(stderr, "bad literal %s\n", s);
        exit(2);
    }
    return v;
}

/* ---- a silent strategy: only commands trade --------------------------------- */

static int silent_create(const double *params, size_t nsyms, void **state,
                         char *err, size_t errlen)
{
    (void)nsyms;
    if (params[0] < 0) {
        snprintf(err, errlen, "x must not be negative");
        return TR_ERR_INVALID;
    }
    *state = malloc(1);
    return *state ? TR_OK : TR_ERR_NOMEM;
}

static void silent_on_bar(void *state, tr_strat_ctx *ctx, tr_sym sym,
                          const tr_bar *bar)
{
    (void)state, (void)ctx, (void)sym, (void)bar;
}

static const tr_param_def silent_params[] = {
    {"x", TR_PARAM_NUM, 1, -10, 10, "a parameter the strategy checks"}};

static const tr_strategy_def silent = {
    .name = "silent",
    .summary = "never signals",
    .params = silent_params,
    .nparams = 1,
    .create = silent_create,
    .on_bar = silent_on_bar,
    .destroy = free,
};

typedef struct recorder {
    tr_order orders[64];
    size_t norders;
    tr_fill fills[64];
    size_t nfills;
} recorder;

static void rec_order(void *ctx, const tr_order *o)
{
    recorder *r = ctx;
    if (r->norders < 64)
        r->orders[r->norders++] = *o;
}

static void rec_fill(void *ctx, const tr_fill *f)
{
    recorder *r = ctx;
    if (r->nfills < 64)
        r->fills[r->nfills++] = *f;
}

static tr_engine *new_engine(recorder *rec, int risk_on)
{
    tr_engine_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cash = FX("100000");
    cfg.nsyms = 2;
    tr_risk_cfg_default(&cfg.risk);
    cfg.risk.enabled = risk_on;
    cfg.strategy = &silent;
    cfg.params[0] = 1;
    cfg.check_invariants = 1;
    tr_engine_sink sink = {rec, NULL, rec_order, rec_fill, NULL, NULL};
    tr_engine *e = NULL;
    char err[128];
    if (tr_engine_new(&cfg, &sink, &e, err, sizeof err) != TR_OK) {
        fprintf(stderr, "engine: %s\n", err);
        exit(2);
    }
    return e;
}

static void step(tr_engine *e, int day, const char *o, const char *h,
                 const char *l, const char *c)
{
    tr_sym syms[2] = {0, 1};
    tr_time t = T0 + day * DAY;
    tr_bar bars[2] = {{t, FX(o), FX(h), FX(l), FX(c), FX("100000")},
                      {t, FX("50"), FX("50"), FX("50"), FX("50"),
                       FX("100000")}};
    CHECK_EQ_I64(tr_engine_step(e, t, syms, bars, 2), TR_OK);
}

static tr_ev_control ctl_of(tr_control_kind kind)
{
    tr_ev_control c;
    memset(&c, 0, sizeof c);
    c.kind = (uint16_t)kind;
    c.enabled = -1;
    snprintf(c.who, sizeof c.who, "test");
    return c;
}

/* Signals, orders, cancels and closes on one instrument, by hand:
 *   day 0 bar 100; BUY 10 (signal s1)        -> market entry, order 1
 *   day 1 open 101: fills 10 @ 101          cash 100000 - 1010 = 98990
 *   s1 again                                 -> the first answer, nothing new
 *   limit buy 5 @ 90 by hand                 -> order 2 (an add: through risk)
 *   cancel 2; cancel 2 again                 -> not found
 *   SELL (long 10)                            -> exit 10, order 3
 *   day 2 open 104: exit fills @ 104          cash 98990 + 1040 = 100030
 *   close (flat)                              -> not found
 *   HOLD                                      -> nothing to do */
static void test_commands_by_hand(void)
{
    recorder rec;
    memset(&rec, 0, sizeof rec);
    tr_engine *e = new_engine(&rec, 0);
    tr_commands *cmds = tr_commands_new();
    tr_cmd_answer a;
    step(e, 0, "100", "100", "100", "100");

    tr_ev_control s1 = ctl_of(TR_CTL_SIGNAL);
    s1.sym = 0;
    s1.action = 1;
    s1.qty = FX("10");
    s1.confidence = 1;
    snprintf(s1.ref, sizeof s1.ref, "s1");
    snprintf(s1.strategy, sizeof s1.strategy, "tv");
    CHECK_EQ_I64(tr_commands_seen(cmds, &s1, &a), 0);
    CHECK_EQ_I64(tr_commands_run(cmds, e, &s1, &a), TR_OK);
    CHECK_EQ_I64(a.status, TR_CMD_DONE);
    CHECK_EQ_I64(a.a.executed, 1);
    CHECK_EQ_I64(a.a.order_id, 1);
    CHECK_EQ_I64(a.a.qty, FX("10"));
    CHECK_EQ_I64(a.duplicate, 0);
    step(e, 1, "101", "102", "100", "101");
    CHECK_EQ_I64(rec.nfills, 1);
    CHECK_EQ_I64(rec.fills[0].price, FX("101"));
    const tr_portfolio *p = tr_engine_portfolio(e);
    CHECK_EQ_I64(p->pos[0].qty, FX("10"));
    CHECK_EQ_I64(p->cash, FX("98990"));

    /* The same reference: the first answer, and no new order. */
    size_t orders_before = tr_paper_order_count(tr_engine_broker(e));
    CHECK_EQ_I64(tr_commands_seen(cmds, &s1, &a), 1);
    CHECK_EQ_I64(a.duplicate, 1);
    CHECK_EQ_I64(a.a.order_id, 1);
    CHECK_EQ_I64(tr_paper_order_count(tr_engine_broker(e)), orders_before);
    /* A reference of the order name space is another reference. */
    tr_ev_control o2 = ctl_of(TR_CTL_ORDER);
    snprintf(o2.ref, sizeof o2.ref, "s1");
    CHECK_EQ_I64(tr_commands_seen(cmds, &o2, &a), 0);

    o2.sym = 0;
    o2.side = 1;
    o2.type = TR_ORD_LIMIT;
    o2.tif = TR_TIF_GTC;
    o2.qty = FX("5");
    o2.limit_price = FX("90");
    snprintf(o2.strategy, sizeof o2.strategy, "api");
    CHECK_EQ_I64(tr_commands_run(cmds, e, &o2, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 1);
    CHECK_EQ_I64(a.a.order_id, 2);
    const tr_order *lim = tr_paper_order(tr_engine_broker(e), 2);
    CHECK(lim && lim->type == TR_ORD_LIMIT && lim->limit_price == FX("90") &&
          lim->role == TR_ROLE_ENTRY && lim->status == TR_ORD_ACCEPTED);

    tr_ev_control cx = ctl_of(TR_CTL_CANCEL);
    cx.id = 2;
    CHECK_EQ_I64(tr_commands_run(cmds, e, &cx, &a), TR_OK);
    CHECK_EQ_I64(a.status, TR_CMD_DONE);
    CHECK_EQ_I64(tr_paper_order(tr_engine_broker(e), 2)->status,
                 TR_ORD_CANCELED);
    CHECK_EQ_I64(tr_commands_run(cmds, e, &cx, &a), TR_OK);
    CHECK_EQ_I64(a.status, TR_CMD_NOT_FOUND);

    tr_ev_control sell = ctl_of(TR_CTL_SIGNAL);
    sell.sym = 0;
    sell.action = -1;
    CHECK_EQ_I64(tr_commands_run(cmds, e, &sell, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 1);
    const tr_order *x = tr_paper_order(tr_engine_broker(e), a.a.order_id);
    CHECK(x && x->role == TR_ROLE_EXIT && x->side == TR_SELL &&
          x->qty == FX("10"));
    step(e, 2, "104", "105", "103", "104");
    CHECK_EQ_I64(p->pos[0].qty, 0);
    CHECK_EQ_I64(p->cash, FX("100030"));
    CHECK_EQ_I64(p->realized, FX("30"));

    tr_ev_control cl = ctl_of(TR_CTL_CLOSE);
    cl.sym = 0;
    CHECK_EQ_I64(tr_commands_run(cmds, e, &cl, &a), TR_OK);
    CHECK_EQ_I64(a.status, TR_CMD_NOT_FOUND);

    tr_ev_control hold = ctl_of(TR_CTL_SIGNAL);
    hold.sym = 0;
    hold.action = 0;
    CHECK_EQ_I64(tr_commands_run(cmds, e, &hold, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 0);
    CHECK_EQ_I64(a.status, TR_CMD_REFUSED);
    CHECK_EQ_I64(a.a.reason, TR_RISK_NOTHING_TO_DO);

    /* An unknown instrument is refused, not an error of the run. */
    tr_ev_control bad = ctl_of(TR_CTL_SIGNAL);
    bad.sym = 7;
    bad.action = 1;
    CHECK_EQ_I64(tr_commands_run(cmds, e, &bad, &a), TR_OK);
    CHECK_EQ_I64(a.status, TR_CMD_REFUSED);
    tr_commands_free(cmds);
    tr_engine_free(e);
}

/* With the risk limits on: the kill switch refuses entries but never an
 * exit; closing a position cancels its open entries first; a reversal by
 * hand exits the old position and enters the rest. */
static void test_commands_risk(void)
{
    recorder rec;
    memset(&rec, 0, sizeof rec);
    tr_engine *e = new_engine(&rec, 1);
    tr_commands *cmds = tr_commands_new();
    tr_cmd_answer a;
    step(e, 0, "100", "100", "100", "100");
    tr_ev_control buy = ctl_of(TR_CTL_SIGNAL);
    buy.sym = 0;
    buy.action = 1;
    buy.qty = FX("20"); /* 2000 of 100000: inside 10% per position */
    CHECK_EQ_I64(tr_commands_run(cmds, e, &buy, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 1);
    step(e, 1, "100", "100", "100", "100");
    CHECK_EQ_I64(tr_engine_portfolio(e)->pos[0].qty, FX("20"));

    /* Too large: 200 x 100 = 20% of equity > 10%. */
    tr_ev_control big = buy;
    big.sym = 1;
    big.qty = FX("400"); /* 400 x 50 = 20000 */
    CHECK_EQ_I64(tr_commands_run(cmds, e, &big, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 0);
    CHECK_EQ_I64(a.a.reason, TR_RISK_MAX_POSITION);
    CHECK(strstr(a.a.detail, "limit 10.00%") != NULL);

    tr_ev_control halt = ctl_of(TR_CTL_HALT);
    CHECK_EQ_I64(tr_commands_run(cmds, e, &halt, &a), TR_OK);
    tr_ev_control more = buy;
    more.sym = 1;
    more.qty = FX("10");
    CHECK_EQ_I64(tr_commands_run(cmds, e, &more, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 0);
    CHECK_EQ_I64(a.a.reason, TR_RISK_KILL_SWITCH);
    /* An order that reduces is an exit: allowed while halted. */
    tr_ev_control cut = ctl_of(TR_CTL_ORDER);
    cut.sym = 0;
    cut.side = -1;
    cut.type = TR_ORD_MARKET;
    cut.qty = FX("5");
    CHECK_EQ_I64(tr_commands_run(cmds, e, &cut, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 1);
    CHECK_EQ_I64(tr_paper_order(tr_engine_broker(e), a.a.order_id)->role,
                 TR_ROLE_EXIT);
    /* A reversal by hand is an entry: refused while halted, and then the
     * exit part is not sent either (all or nothing). */
    size_t n_before = tr_paper_order_count(tr_engine_broker(e));
    tr_ev_control rev = cut;
    rev.qty = FX("40");
    CHECK_EQ_I64(tr_commands_run(cmds, e, &rev, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 0);
    CHECK_EQ_I64(a.a.reason, TR_RISK_KILL_SWITCH);
    CHECK_EQ_I64(tr_paper_order_count(tr_engine_broker(e)), n_before);

    tr_ev_control resume = ctl_of(TR_CTL_RESUME);
    CHECK_EQ_I64(tr_commands_run(cmds, e, &resume, &a), TR_OK);
    step(e, 2, "100", "100", "100", "100"); /* the cut of 5 fills */
    CHECK_EQ_I64(tr_engine_portfolio(e)->pos[0].qty, FX("15"));
    /* A limit entry that will not fill, then close: the entry is
     * cancelled, the position exits at the next open. */
    tr_ev_control lim = ctl_of(TR_CTL_ORDER);
    lim.sym = 0;
    lim.side = 1;
    lim.type = TR_ORD_LIMIT;
    lim.qty = FX("5");
    lim.limit_price = FX("80");
    CHECK_EQ_I64(tr_commands_run(cmds, e, &lim, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 1);
    uint64_t lim_id = a.a.order_id;
    tr_ev_control cl = ctl_of(TR_CTL_CLOSE);
    cl.sym = 0;
    CHECK_EQ_I64(tr_commands_run(cmds, e, &cl, &a), TR_OK);
    CHECK_EQ_I64(a.a.executed, 1);
    CHECK_EQ_I64(a.a.qty, FX("15"));
    CHECK_EQ_I64(tr_paper_order(tr_engine_broker(e), lim_id)->status,
                 TR_ORD_CANCELED);
    step(e, 3, "99", "99", "99", "99");
    CHECK_EQ_I64(tr_engine_portfolio(e)->pos[0].qty, 0);

    /* Strategy controls: refused parameters change nothing. */
    tr_ev_control sp = ctl_of(TR_CTL_STRATEGY);
    sp.nparams = 1;
    sp.params[0] = -1;
    CHECK_EQ_I64(tr_commands_run(cmds, e, &sp, &a), TR_OK);
    CHECK_EQ_I64(a.status, TR_CMD_REFUSED);
    CHECK(strstr(a.a.detail, "negative") != NULL);
    CHECK(tr_engine_strategy_param_values(e)[0] == 1);
    sp.params[0] = 3;
    sp.enabled = 0;
    CHECK_EQ_I64(tr_commands_run(cmds, e, &sp, &a), TR_OK);
    CHECK_EQ_I64(a.status, TR_CMD_DONE);
    CHECK(tr_engine_strategy_param_values(e)[0] == 3);
    CHECK_EQ_I64(tr_engine_strategy_enabled(e), 0);
    tr_commands_free(cmds);
    tr_engine_free(e);
}

/* Many references: the table grows and keeps every answer. */
static void test_commands_many_refs(void)
{
    recorder rec;
    memset(&rec, 0, sizeof rec);
    tr_engine *e = new_engine(&rec, 0);
    tr_commands *cmds = tr_commands_new();
    tr_cmd_answer a;
    for (int i = 0; i < 5000; i++) {
        tr_ev_control c = ctl_of(TR_CTL_SIGNAL);
        c.sym = 0;
        c.action = 0; /* HOLD: refused, but remembered */
        snprintf(c.ref, sizeof c.ref, "ref-%d", i);
        CHECK_EQ_I64(tr_commands_run(cmds, e, &c, &a), TR_OK);
    }
    int all = 1;
    for (int i = 0; i < 5000; i++) {
        tr_ev_control c = ctl_of(TR_CTL_SIGNAL);
        snprintf(c.ref, sizeof c.ref, "ref-%d", i);
        all &= tr_commands_seen(cmds, &c, &a) && a.duplicate &&
               a.status == TR_CMD_REFUSED;
    }
    CHECK(all);
    tr_ev_control c = ctl_of(TR_CTL_SIGNAL);
    snprintf(c.ref, sizeof c.ref, "ref-5000");
    CHECK_EQ_I64(tr_commands_seen(cmds, &c, &a), 0);

    /* Past the bound: the oldest are forgotten, in order, and every one
     * kept is still found (the index survives its deletions). */
    const int total = TR_COMMANDS_KEEP + 7000;
    for (int i = 5000; i < total; i++) {
        tr_ev_control k = ctl_of(i % 3 ? TR_CTL_SIGNAL : TR_CTL_ORDER);
        k.sym = 0;
        k.side = 1;
        snprintf(k.ref, sizeof k.ref, "ref-%d", i);
        CHECK_EQ_I64(tr_commands_run(cmds, e, &k, &a), TR_OK);
    }
    CHECK_EQ_I64(tr_commands_count(cmds), TR_COMMANDS_KEEP);
    int first_kept = total - TR_COMMANDS_KEEP, wrong = 0;
    for (int i = 0; i < total; i++) {
        tr_ev_control k = ctl_of(i < 5000 || i % 3 ? TR_CTL_SIGNAL
                                                   : TR_CTL_ORDER);
        snprintf(k.ref, sizeof k.ref, "ref-%d", i);
        wrong += tr_commands_seen(cmds, &k, &a) != (i >= first_kept);
    }
    CHECK_EQ_I64(wrong, 0);
    /* Through a snapshot: the same references, the same order of
     * forgetting. */
    tr_enc x;
    tr_enc_init(&x);
    tr_commands_save(cmds, &x);
    tr_commands *back = tr_commands_new();
    tr_dec d;
    tr_dec_init(&d, x.p, x.len);
    CHECK_EQ_I64(tr_commands_load(back, &d), TR_OK);
    CHECK_EQ_I64(tr_commands_count(back), TR_COMMANDS_KEEP);
    tr_ev_control k = ctl_of(TR_CTL_SIGNAL);
    snprintf(k.ref, sizeof k.ref, "one-more");
    CHECK_EQ_I64(tr_commands_run(back, e, &k, &a), TR_OK);
    tr_ev_control oldest = ctl_of(first_kept % 3 ? TR_CTL_SIGNAL
                                                 : TR_CTL_ORDER);
    snprintf(oldest.ref, sizeof oldest.ref, "ref-%d", first_kept);
    CHECK_EQ_I64(tr_commands_seen(back, &oldest, &a), 0);
    CHECK_EQ_I64(tr_commands_seen(back, &k, &a), 1);
    /* A damaged count or entry is refused. */
    x.p[3] ^= 0x40;
    tr_dec_init(&d, x.p, x.len);
    CHECK(tr_commands_load(back, &d) != TR_OK);
    CHECK_EQ_I64(tr_commands_count(back), TR_COMMANDS_KEEP);
    tr_enc_free(&x);
    tr_commands_free(back);
    tr_commands_free(cmds);
    tr_engine_free(e);
}

/* ---- the queue ---------------------------------------------------------------------- */

typedef struct engine_side {
    tr_cmdq *q;
    volatile int stop;
    uint64_t seq;
    size_t served;
} engine_side;

/* A stand-in engine: answers each command with its own qty, as if it
 * journaled one record; reports the journal a moment later. */
static void *engine_main(void *arg)
{
    engine_side *es = arg;
    while (!__atomic_load_n(&es->stop, __ATOMIC_ACQUIRE)) {
        tr_cmd *batch[16];
        size_t k = tr_cmdq_take(es->q, batch, 16);
        if (!k) {
            tr_cmdq_wait(es->q, 5);
            continue;
        }
        for (size_t i = 0; i < k; i++) {
            batch[i]->ans.a.qty = batch[i]->ctl.qty;
            tr_cmdq_complete(es->q, batch[i], ++es->seq);
            es->served++;
        }
        tr_cmdq_journal_progress(es->q, es->seq, 0);
    }
    return NULL;
}

typedef struct caller {
    tr_cmdq *q;
    int id;
    int bad;
} caller;

static void *caller_main(void *arg)
{
    caller *c = arg;
    for (int i = 0; i < 2000; i++) {
        tr_cmd cmd;
        memset(&cmd, 0, sizeof cmd);
        cmd.ctl.kind = TR_CTL_SIGNAL;
        cmd.ctl.qty = (tr_fx)(c->id * 100000 + i);
        if (tr_cmdq_call(c->q, &cmd, 10000) != TR_OK ||
            cmd.ans.a.qty != cmd.ctl.qty || !cmd.seq)
            c->bad++;
    }
    return NULL;
}

static void test_queue(void)
{
    tr_cmdq *q = tr_cmdq_new(8);
    tr_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    /* Closed until the engine opens it. */
    CHECK_EQ_I64(tr_cmdq_call(q, &cmd, 100), TR_ERR_IO);
    CHECK_EQ_I64(cmd.ans.status, TR_CMD_UNAVAILABLE);
    tr_cmdq_set_open(q, 1);
    /* Nobody takes it: a timeout, and it leaves the queue. */
    CHECK_EQ_I64(tr_cmdq_call(q, &cmd, 50), TR_ERR_IO);
    CHECK_EQ_I64(tr_cmdq_pending(q) && 0, 0);
    tr_cmd *got[4];
    CHECK_EQ_I64(tr_cmdq_take(q, got, 4), 0);

    engine_side es = {q, 0, 0, 0};
    pthread_t et, ct[4];
    pthread_create(&et, NULL, engine_main, &es);
    caller cs[4];
    for (int i = 0; i < 4; i++) {
        cs[i] = (caller){q, i, 0};
        pthread_create(&ct[i], NULL, caller_main, &cs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(ct[i], NULL);
        CHECK_EQ_I64(cs[i].bad, 0);
    }
    __atomic_store_n(&es.stop, 1, __ATOMIC_RELEASE);
    pthread_join(et, NULL);
    CHECK_EQ_I64(es.served, 8000);
    /* A journal failure: answers that wait for the write fail. */
    tr_cmdq_journal_progress(q, es.seq, 1);
    CHECK_EQ_I64(tr_cmdq_call(q, &cmd, 50), TR_ERR_IO);
    tr_cmdq_free(q);
}

/* One call on a thread of its own, to watch when it returns. */
typedef struct one_call {
    tr_cmdq *q;
    tr_cmd cmd;
    int timeout_ms, rc, returned;
} one_call;

static void *one_call_main(void *arg)
{
    one_call *oc = arg;
    oc->rc = tr_cmdq_call(oc->q, &oc->cmd, oc->timeout_ms);
    __atomic_store_n(&oc->returned, 1, __ATOMIC_RELEASE);
    return NULL;
}

static int returned(one_call *oc)
{
    return __atomic_load_n(&oc->returned, __ATOMIC_ACQUIRE);
}

/* When a caller goes on: not when the engine completes its command but
 * once the journal has written the command's records; and a caller that
 * timed out while the engine held its command returns once the engine
 * completes it (its memory is the caller's), not before and not never. */
static void test_queue_waits(void)
{
    tr_cmdq *q = tr_cmdq_new(8);
    tr_cmdq_set_open(q, 1);
    tr_cmd *got[1];
    pthread_t t;

    one_call oc;
    memset(&oc, 0, sizeof oc);
    oc.q = q;
    oc.timeout_ms = 10000;
    pthread_create(&t, NULL, one_call_main, &oc);
    while (!tr_cmdq_take(q, got, 1))
        usleep(100);
    tr_cmdq_complete(q, got[0], 5);
    usleep(30000);
    CHECK_MSG(!returned(&oc), "answered before its records were written");
    tr_cmdq_journal_progress(q, 4, 0);
    usleep(30000);
    CHECK_MSG(!returned(&oc), "answered before record 5 was written");
    tr_cmdq_journal_progress(q, 5, 0);
    pthread_join(t, NULL);
    CHECK_EQ_I64(oc.rc, TR_OK);

    memset(&oc, 0, sizeof oc);
    oc.q = q;
    oc.timeout_ms = 50;
    pthread_create(&t, NULL, one_call_main, &oc);
    while (!tr_cmdq_take(q, got, 1))
        usleep(100);
    usleep(150000); /* past its timeout */
    CHECK_MSG(!returned(&oc), "returned while the engine held its command");
    tr_cmdq_complete(q, got[0], 9);
    pthread_join(t, NULL);
    CHECK_EQ_I64(oc.rc, TR_ERR_IO);
    CHECK_EQ_I64(oc.cmd.ans.status, TR_CMD_UNAVAILABLE);
    tr_cmdq_free(q);
}

/* Submitted commands (tr_cmdq_submit): the completion comes once, on the
 * thread that completes the command, and only when its records are
 * written; a journal failure or a close fails those still waiting. */
typedef struct completions {
    int calls, rc;
    tr_cmd_status status;
} completions;

static void on_done(tr_cmd *c, int rc, void *ctx)
{
    completions *n = ctx;
    n->calls++;
    n->rc = rc;
    n->status = c->ans.status;
}

static void test_queue_submit(void)
{
    tr_cmdq *q = tr_cmdq_new(8);
    tr_cmd a, b, d;
    completions na = {0}, nb = {0}, nd = {0};
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&d, 0, sizeof d);
    CHECK_EQ_I64(tr_cmdq_submit(q, &a, on_done, &na), TR_ERR_IO); /* closed */
    tr_cmdq_set_open(q, 1);
    CHECK_EQ_I64(tr_cmdq_submit(q, &a, on_done, &na), TR_OK);
    CHECK_EQ_I64(tr_cmdq_submit(q, &b, on_done, &nb), TR_OK);
    CHECK_EQ_I64(tr_cmdq_submit(q, &d, on_done, &nd), TR_OK);
    CHECK_EQ_I64(na.calls + nb.calls + nd.calls, 0);
    tr_cmd *got[4];
    CHECK_EQ_I64(tr_cmdq_take(q, got, 4), 3);
    tr_cmdq_complete(q, got[0], 5);
    tr_cmdq_complete(q, got[1], 0); /* a duplicate: journaled nothing */
    tr_cmdq_complete(q, got[2], 7);
    CHECK_EQ_I64(nb.calls, 1);
    CHECK_EQ_I64(nb.rc, TR_OK);
    CHECK_EQ_I64(na.calls + nd.calls, 0);
    tr_cmdq_journal_progress(q, 4, 0);
    CHECK_EQ_I64(na.calls + nd.calls, 0);
    tr_cmdq_journal_progress(q, 6, 0);
    CHECK_EQ_I64(na.calls, 1);
    CHECK_EQ_I64(na.rc, TR_OK);
    CHECK_EQ_I64(nd.calls, 0);
    tr_cmdq_journal_progress(q, 6, 1); /* the journal fails before 7 */
    CHECK_EQ_I64(nd.calls, 1);
    CHECK_EQ_I64(nd.rc, TR_ERR_IO);
    CHECK_EQ_I64(nd.status, TR_CMD_UNAVAILABLE);
    CHECK_EQ_I64(na.calls + nb.calls, 2); /* each once */
    tr_cmdq_free(q);

    /* Closing fails what the engine has not taken, and nothing else. */
    q = tr_cmdq_new(8);
    tr_cmdq_set_open(q, 1);
    memset(&na, 0, sizeof na);
    memset(&nb, 0, sizeof nb);
    CHECK_EQ_I64(tr_cmdq_submit(q, &a, on_done, &na), TR_OK);
    CHECK_EQ_I64(tr_cmdq_take(q, got, 1), 1);
    CHECK_EQ_I64(tr_cmdq_submit(q, &b, on_done, &nb), TR_OK);
    tr_cmdq_set_open(q, 0);
    CHECK_EQ_I64(nb.calls, 1);
    CHECK_EQ_I64(nb.rc, TR_ERR_IO);
    CHECK_EQ_I64(tr_cmdq_take(q, got + 1, 1), 0);
    CHECK_EQ_I64(na.calls, 0);
    tr_cmdq_complete(q, got[0], 3); /* taken before the close: answered */
    tr_cmdq_journal_progress(q, 3, 0);
    CHECK_EQ_I64(na.calls, 1);
    CHECK_EQ_I64(na.rc, TR_OK);
    tr_cmdq_free(q);
}

/* ---- a live run: commands journaled, replayed after a restart ---------------------- */

typedef struct live_thread {
    tr_bt_config *cfg;
    tr_live_io io;
    volatile sig_atomic_t stop;
    int rc;
    tr_live_stats st;
    char err[4800];
} live_thread;

static void *live_main(void *arg)
{
    live_thread *lt = arg;
    lt->rc = tr_live_run(lt->cfg, &lt->stop, &lt->io, &lt->st, lt->err,
                         sizeof lt->err);
    return NULL;
}

static int wait_feed_done(tr_view *v)
{
    for (int i = 0; i < 3000; i++) {
        const tr_view_state *s = tr_view_acquire(v);
        int done = s->ready && s->feed_done;
        tr_view_release(v);
        if (done)
            return 1;
        usleep(2000);
    }
    return 0;
}

typedef struct state_copy {
    tr_fx cash, equity, qty[3];
    size_t norders, nfills;
    int kill, enabled;
    double fast;
    tr_order orders[64];
} state_copy;

static void copy_state(tr_view *v, state_copy *c)
{
    memset(c, 0, sizeof *c);
    const tr_view_state *s = tr_view_acquire(v);
    c->cash = s->cash;
    c->equity = s->equity;
    for (size_t i = 0; i < 3 && i < s->nsyms; i++)
        c->qty[i] = s->pos[i].qty;
    c->norders = s->norders;
    c->nfills = s->nfills;
    c->kill = s->kill_switch;
    c->enabled = s->strategy_enabled;
    c->fast = s->params[0];
    for (size_t i = 0; i < s->norders && i < 64; i++)
        c->orders[i] = s->orders[i];
    tr_view_release(v);
}

static void start_live(live_thread *lt, tr_bt_config *cfg, pthread_t *th)
{
    memset(lt, 0, sizeof *lt);
    lt->cfg = cfg;
    const char *names[3] = {cfg->data[0].symbol, cfg->data[1].symbol,
                            cfg->data[2].symbol};
    lt->io.view = tr_view_new(3, names, cfg->engine.cash);
    lt->io.q = tr_cmdq_new(64);
    lt->io.serve = 1;
    pthread_create(th, NULL, live_main, lt);
}

static void stop_live(live_thread *lt, pthread_t th)
{
    __atomic_store_n(&lt->stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    tr_view_free(lt->io.view);
    tr_cmdq_free(lt->io.q);
}

static tr_cmd_answer call(tr_cmdq *q, tr_ev_control c)
{
    tr_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.ctl = c;
    CHECK_EQ_I64(tr_cmdq_call(q, &cmd, 10000), TR_OK);
    return cmd.ans;
}

/* Remove the engine snapshots of a journal folder (*.snap files). */
static void remove_snapshots(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 5 && !strcmp(e->d_name + n - 5, ".snap")) {
            char p[1400];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            remove(p);
        }
    }
    if (d)
        closedir(d);
}

static void test_live_replay(void)
{
    char *dir = mktmp_named("tr-cmd");
    char path[512], yaml[2048];
    snprintf(path, sizeof path, "%s/live.yaml", dir);
    snprintf(yaml, sizeof yaml,
             "cash: 100000\n"
             "strategy: {name: sma_cross, params: {fast: 5, slow: 20}}\n"
             "sizing: {method: fixed, qty: 10}\n"
             "risk: {enabled: true, max_position_pct: 50}\n"
             "run:\n"
             "  journal: %s/journal\n"
             "  database: %s/trader.db\n"
             "  fsync: os\n"
             "  feed: {type: synthetic, symbols: 3, seed: 4, bars: 300,"
             " speed: max}\n",
             dir, dir);
    FILE *f = fopen(path, "w");
    fputs(yaml, f);
    fclose(f);
    tr_bt_config cfg;
    char err[4800];
    CHECK_EQ_I64(tr_bt_config_load(path, &cfg, err, sizeof err), TR_OK);

    live_thread lt;
    pthread_t th;
    start_live(&lt, &cfg, &th);
    CHECK(wait_feed_done(lt.io.view));
    /* After the feed: a signal, a resting limit order, a duplicate, a
     * disabled strategy and the kill switch. */
    tr_ev_control s = ctl_of(TR_CTL_SIGNAL);
    s.sym = 1;
    s.action = 1;
    s.qty = FX("7");
    snprintf(s.ref, sizeof s.ref, "tv-1");
    tr_cmd_answer a1 = call(lt.io.q, s);
    CHECK_EQ_I64(a1.a.executed, 1);
    tr_cmd_answer a2 = call(lt.io.q, s);
    CHECK_EQ_I64(a2.duplicate, 1);
    CHECK_EQ_I64(a2.a.order_id, a1.a.order_id);
    tr_ev_control o = ctl_of(TR_CTL_ORDER);
    o.sym = 2;
    o.side = 1;
    o.type = TR_ORD_LIMIT;
    o.qty = FX("3");
    o.limit_price = FX("1");
    tr_cmd_answer a3 = call(lt.io.q, o);
    CHECK_EQ_I64(a3.a.executed, 1);
    tr_ev_control st = ctl_of(TR_CTL_STRATEGY);
    st.enabled = 0;
    st.nparams = 2;
    st.params[0] = 7; /* fast 5 -> 7: the strategy starts again */
    st.params[1] = 20;
    tr_cmd_answer sa = call(lt.io.q, st);
    CHECK_EQ_I64(sa.status, TR_CMD_DONE);
    call(lt.io.q, ctl_of(TR_CTL_HALT));
    state_copy before;
    copy_state(lt.io.view, &before);
    CHECK(before.kill && !before.enabled);
    CHECK_EQ_I64(before.orders[a3.a.order_id - 1].status, TR_ORD_ACCEPTED);
    stop_live(&lt, th);
    CHECK_EQ_I64(lt.rc, TR_OK);

    /* Restart: the same state comes back from the journal alone. */
    start_live(&lt, &cfg, &th);
    CHECK(wait_feed_done(lt.io.view));
    state_copy after;
    copy_state(lt.io.view, &after);
    CHECK_EQ_I64(after.cash, before.cash);
    CHECK_EQ_I64(after.equity, before.equity);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_I64(after.qty[i], before.qty[i]);
    CHECK_EQ_I64(after.norders, before.norders);
    CHECK_EQ_I64(after.nfills, before.nfills);
    CHECK_EQ_I64(after.kill, 1);
    CHECK_EQ_I64(after.enabled, 0);
    CHECK(after.fast == 7);
    CHECK(!memcmp(after.orders, before.orders,
                  sizeof(tr_order) * (before.norders < 64 ? before.norders
                                                          : 64)));
    /* The reference is remembered across the restart. */
    tr_cmd_answer a4 = call(lt.io.q, s);
    CHECK_EQ_I64(a4.duplicate, 1);
    CHECK_EQ_I64(a4.a.order_id, a1.a.order_id);
    stop_live(&lt, th);
    CHECK_EQ_I64(lt.rc, TR_OK);
    /* It started from the snapshot written at the clean stop: the
     * controls and the remembered answers came back from it. */
    CHECK(lt.st.snapshot_seq > 0);
    CHECK_MSG(lt.st.replayed_records <= 2, "replayed %" PRIu64,
              lt.st.replayed_records);

    /* Once more, with the snapshots removed: the same from the journal. */
    char snapdir[600];
    snprintf(snapdir, sizeof snapdir, "%s/journal", dir);
    remove_snapshots(snapdir);
    start_live(&lt, &cfg, &th);
    CHECK(wait_feed_done(lt.io.view));
    state_copy full;
    copy_state(lt.io.view, &full);
    CHECK_EQ_I64(full.cash, before.cash);
    CHECK_EQ_I64(full.norders, before.norders);
    CHECK(full.kill == 1 && full.enabled == 0 && full.fast == 7);
    tr_cmd_answer a5 = call(lt.io.q, s);
    CHECK_EQ_I64(a5.duplicate, 1);
    stop_live(&lt, th);
    CHECK_EQ_I64(lt.rc, TR_OK);
    CHECK_EQ_I64(lt.st.snapshot_seq, 0);
    tr_bt_config_free(&cfg);
    rm_tree(dir);
    free(dir);
}

int main(void)
{
    tr_log_setup(TR_LOG_WARN, TR_LOG_TEXT);
    test_commands_by_hand();
    test_commands_risk();
    test_commands_many_refs();
    test_queue();
    test_queue_waits();
    test_queue_submit();
    test_live_replay();
    return test_summary();
}
