/* test_snapshot.c: engine-state snapshots (engine.h "snapshots", the
 * module save/load functions and core/codec.h).
 *
 *   (a) continuation: for every built-in strategy, with risk on (ATR
 *       sizing and stops, correlation, daily-loss and drawdown halts),
 *       brackets, partial fills, costs, and orders placed directly at the
 *       broker as an API would (DAY limits and stops that the session
 *       timers expire, IOC stop-limits, trailing stops, bracket limits,
 *       cancels, replaces), an engine runs over generated multi-symbol data
 *       and is saved at several points; a fresh engine loads each snapshot
 *       and runs the rest: every output (signals, orders, fills, equity,
 *       alerts, as the journal encodes them) is byte-identical to the
 *       engine that ran through, and so are the final portfolio, trade log
 *       and orders. Saving changes nothing (a run that saved equals one that
 *       did not); save twice, and load then save, give the same bytes;
 *   (b) damage: every truncation of a snapshot is refused, also with its
 *       checksum made to fit (then the bounds-checked decoder must find
 *       it); random byte flips are refused; flips with a fitting checksum
 *       never crash (a state that still loads is stepped on), ASan clean;
 *   (c) a snapshot of another config (parameters, instruments, cash,
 *       costs, risk, strategy) is refused, and so is loading into an engine
 *       that has run or whose strategy cannot load;
 *   (d) every indicator (via its spec) saved mid-stream and loaded into a
 *       fresh one continues bit for bit;
 *   (e) the codec: bounds, sticky errors, sections, strings, counts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/err.h"
#include "core/fixed.h"
#include "data/gen.h"
#include "engine/engine.h"
#include "ind/spec.h"
#include "store/event.h"
#include "store/journal.h"
#include "strat/strategy.h"
#include "test.h"

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* ---- what an engine outputs, encoded as the journal encodes it ---------- */

typedef struct outlog {
    uint8_t *p;
    size_t len, cap;
    size_t n;
} outlog;

/* Coverage counters: the features a test run must have gone through. */
typedef struct coverage {
    size_t fills, partial, expired, canceled, replaced, correlation,
        halted, alerts, stop_fills, tp_fills, trailing_fills, shorts;
} coverage;

static coverage cov;
static int count_cov; /* only the reference runs count */

static void log_rec(outlog *l, uint16_t type, const uint8_t *p, size_t n)
{
    if (l->len + n + 6 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1 << 16;
        while (cap < l->len + n + 6)
            cap *= 2;
        l->p = realloc(l->p, cap);
        if (!l->p)
            abort();
        l->cap = cap;
    }
    l->p[l->len++] = (uint8_t)type;
    l->p[l->len++] = (uint8_t)(type >> 8);
    for (int i = 0; i < 4; i++)
        l->p[l->len++] = (uint8_t)(n >> (8 * i));
    memcpy(l->p + l->len, p, n);
    l->len += n;
    l->n++;
}

static void on_signal(void *ctx, const tr_signal *sig, const tr_risk_plan *p)
{
    tr_ev_signal e;
    memset(&e, 0, sizeof e);
    e.sig = *sig;
    e.reason = (uint16_t)p->reason;
    memcpy(e.detail, p->detail, sizeof e.detail);
    uint8_t buf[1024];
    tr_ev_buf b = {buf, 0, sizeof buf, 0};
    size_t n = tr_ev_encode_signal(&b, &e);
    CHECK(n > 0);
    log_rec(ctx, TR_EV_SIGNAL, buf, n);
    if (count_cov) {
        cov.correlation += p->reason == TR_RISK_CORRELATION;
        cov.halted += p->reason == TR_RISK_DAILY_LOSS ||
                      p->reason == TR_RISK_DRAWDOWN;
        cov.shorts += p->has_entry && p->entry.side == TR_SELL;
    }
}

static void on_order(void *ctx, const tr_order *o)
{
    uint8_t buf[512];
    tr_ev_buf b = {buf, 0, sizeof buf, 0};
    size_t n = tr_ev_encode_order(&b, o);
    CHECK(n > 0);
    log_rec(ctx, TR_EV_ORDER, buf, n);
    if (count_cov) {
        cov.partial += o->status == TR_ORD_PARTIALLY_FILLED;
        cov.expired += o->status == TR_ORD_EXPIRED;
        cov.canceled += o->status == TR_ORD_CANCELED;
        cov.replaced += o->status == TR_ORD_REPLACED;
    }
}

static void on_fill(void *ctx, const tr_fill *f)
{
    uint8_t buf[128];
    tr_ev_buf b = {buf, 0, sizeof buf, 0};
    size_t n = tr_ev_encode_fill(&b, f);
    CHECK(n > 0);
    log_rec(ctx, TR_EV_FILL, buf, n);
    if (count_cov) {
        cov.fills++;
        cov.stop_fills += f->role == TR_ROLE_STOP_LOSS;
        cov.tp_fills += f->role == TR_ROLE_TAKE_PROFIT;
    }
}

static void on_equity(void *ctx, const tr_equity_point *pt)
{
    uint8_t buf[64];
    tr_ev_buf b = {buf, 0, sizeof buf, 0};
    size_t n = tr_ev_encode_equity(&b, pt);
    CHECK(n > 0);
    log_rec(ctx, TR_EV_EQUITY, buf, n);
}

static void on_alert(void *ctx, const tr_risk_alert *a)
{
    uint8_t buf[256];
    tr_ev_buf b = {buf, 0, sizeof buf, 0};
    size_t n = tr_ev_encode_alert(&b, a);
    CHECK(n > 0);
    log_rec(ctx, TR_EV_ALERT, buf, n);
    if (count_cov)
        cov.alerts++;
}

/* ---- a market: generated bars, some missing, merged into steps ---------- */

typedef struct market {
    size_t nsyms, nsteps;
    tr_time *t;      /* t[i]: time of step i */
    size_t *k;       /* k[i]: bars in step i */
    tr_sym *syms;    /* syms[i * nsyms + j] */
    tr_bar *bars;    /* bars[i * nsyms + j] */
} market;

static const char *const names[8] = {"AAA", "BBB", "CCC", "DDD",
                                     "EEE", "FFF", "GGG", "HHH"};

static void market_make(market *m, uint64_t seed, size_t nsyms, size_t nbars,
                        tr_gen_interval iv)
{
    memset(m, 0, sizeof *m);
    tr_bars series[8];
    tr_gen_opts o = {seed, nbars, iv, 0};
    tr_time_parse("2021-03-01", 10, &o.start);
    for (size_t s = 0; s < nsyms; s++) {
        tr_bars_init(&series[s]);
        if (tr_gen_series(&o, (unsigned)s, &series[s]) != TR_OK ||
            series[s].n != nbars)
            abort();
    }
    /* Same calendar for all: step i holds bar i of each symbol, except
     * that a few bars are missing (a symbol without a bar in a step). */
    m->nsyms = nsyms;
    m->t = malloc(nbars * sizeof *m->t);
    m->k = malloc(nbars * sizeof *m->k);
    m->syms = malloc(nbars * nsyms * sizeof *m->syms);
    m->bars = malloc(nbars * nsyms * sizeof *m->bars);
    if (!m->t || !m->k || !m->syms || !m->bars)
        abort();
    uint64_t r = seed * 7 + 1;
    for (size_t i = 0; i < nbars; i++) {
        size_t k = 0;
        for (size_t s = 0; s < nsyms; s++) {
            if (i > 0 && splitmix(&r) % 25 == 0)
                continue;
            m->syms[m->nsteps * nsyms + k] = (tr_sym)s;
            m->bars[m->nsteps * nsyms + k] = series[s].v[i];
            k++;
        }
        if (!k)
            continue;
        m->t[m->nsteps] = series[0].v[i].time;
        m->k[m->nsteps] = k;
        m->nsteps++;
    }
    for (size_t s = 0; s < nsyms; s++)
        tr_bars_free(&series[s]);
}

static void market_free(market *m)
{
    free(m->t);
    free(m->k);
    free(m->syms);
    free(m->bars);
    memset(m, 0, sizeof *m);
}

/* ---- configs ------------------------------------------------------------- */

static tr_fx FXI(int64_t num, int64_t den) /* num / den as a tr_fx */
{
    return num * TR_FX_ONE / den;
}

/* Variant 0: ATR sizing (its stop) and a take-profit at 2R; 1: risk
 * sizing, ATR stop and target; 2: percent sizing, percent stop and target,
 * market orders at the signal bar's close. All: costs, slippage, partial
 * fills, the correlation limit, daily-loss and drawdown halts, shorts where
 * the strategy allows them. */
static void make_cfg(tr_engine_cfg *c, const tr_strategy_def *def,
                     int variant, size_t nsyms)
{
    memset(c, 0, sizeof *c);
    c->cash = 1000000 * TR_FX_ONE;
    c->nsyms = nsyms;
    c->strategy = def;
    for (size_t i = 0; i < def->nparams; i++) {
        c->params[i] = def->params[i].def;
        if (!strcmp(def->params[i].name, "allow_short"))
            c->params[i] = 1;
    }
    c->fill.costs.per_share = FXI(5, 1000);
    c->fill.costs.pct = FXI(1, 100);
    c->fill.costs.minimum = TR_FX_ONE;
    c->fill.costs.slippage_bps = 2 * TR_FX_ONE;
    c->fill.costs.slippage_ticks = TR_FX_ONE;
    c->fill.max_volume_share = FXI(2, 10000);
    c->fill.fill_at_close = variant == 2;
    tr_risk_cfg_default(&c->risk);
    c->risk.max_position_pct = 15;
    c->risk.max_open_positions = 4;
    c->risk.max_correlation = 0.5;
    c->risk.correlation_lookback = 20;
    c->risk.daily_loss_pct = 1.5;
    c->risk.max_drawdown_pct = 6;
    switch (variant) {
    case 0:
        c->risk.sizing = TR_SIZE_ATR;
        c->risk.risk_pct = 0.5;
        c->risk.atr_mult = 2;
        c->risk.tp_kind = TR_EXIT_RR;
        c->risk.tp_value = 2;
        break;
    case 1:
        c->risk.sizing = TR_SIZE_RISK;
        c->risk.risk_pct = 0.5;
        c->risk.stop_kind = TR_EXIT_ATR;
        c->risk.stop_value = 1.5;
        c->risk.tp_kind = TR_EXIT_ATR;
        c->risk.tp_value = 3;
        break;
    default:
        c->risk.sizing = TR_SIZE_PERCENT;
        c->risk.percent = 5;
        c->risk.stop_kind = TR_EXIT_PERCENT;
        c->risk.stop_value = 4;
        c->risk.tp_kind = TR_EXIT_PERCENT;
        c->risk.tp_value = 8;
        break;
    }
    c->symbols = names;
    c->check_invariants = 1;
}

static tr_engine *new_engine(const tr_engine_cfg *c, outlog *log)
{
    tr_engine_sink sink = {log, on_signal, on_order, on_fill, on_equity,
                           on_alert};
    tr_engine *e = NULL;
    char err[256];
    if (tr_engine_new(c, &sink, &e, err, sizeof err) != TR_OK) {
        fprintf(stderr, "engine: %s\n", err);
        abort();
    }
    return e;
}

/* ---- the driver: timers, API orders, steps ------------------------------- */

static tr_fx cents(tr_fx price, int64_t num, int64_t den) /* price*num/den */
{
    tr_fx v = 0, r = 0;
    tr_fx_muldiv(price, num * TR_FX_ONE, den * TR_FX_ONE, &v);
    tr_fx_round_to(v, TR_FX_ONE / 100, &r);
    return r;
}

static tr_order api_order(tr_sym sym, tr_side side, tr_order_type type,
                          tr_tif tif, tr_order_role role, int64_t qty)
{
    tr_order o;
    memset(&o, 0, sizeof o);
    o.sym = sym;
    o.side = side;
    o.type = type;
    o.tif = tif;
    o.role = role;
    o.qty = qty * TR_FX_ONE;
    snprintf(o.strategy, sizeof o.strategy, "api");
    return o;
}

/* Orders an API client places between steps: deterministic in the step
 * number and the engine's own state, so that two engines in the same state
 * place the same ones. */
static void api_actions(tr_engine *e, const market *m, size_t i)
{
    if (i == 0)
        return;
    tr_paper *b = tr_engine_broker_mut(e);
    const tr_portfolio *p = tr_engine_portfolio(e);
    tr_time now = m->t[i - 1];
    for (size_t j = 0; j < m->k[i - 1]; j++) {
        tr_sym s = m->syms[(i - 1) * m->nsyms + j];
        const tr_bar *last = &m->bars[(i - 1) * m->nsyms + j];
        tr_fx c = last->close, pos = p->pos[s].qty;
        tr_order o;
        switch ((i * 7 + s * 3) % 29) {
        case 0: /* a DAY limit under the market: often expires */
            o = api_order(s, TR_BUY, TR_ORD_LIMIT, TR_TIF_DAY, TR_ROLE_ENTRY,
                          7);
            o.limit_price = cents(c, 995, 1000);
            tr_paper_submit(b, &o, now, last);
            break;
        case 4: /* a trailing stop on a long */
            if (pos > 0) {
                o = api_order(s, TR_SELL, TR_ORD_TRAILING_STOP, TR_TIF_GTC,
                              TR_ROLE_EXIT, 1);
                o.qty = pos;
                o.trail_percent = 2 * TR_FX_ONE;
                tr_paper_submit(b, &o, now, last);
            }
            break;
        case 9: /* an IOC stop-limit */
            o = api_order(s, TR_BUY, TR_ORD_STOP_LIMIT, TR_TIF_IOC,
                          TR_ROLE_ENTRY, 3);
            o.stop_price = cents(c, 1005, 1000);
            o.limit_price = cents(c, 1015, 1000);
            tr_paper_submit(b, &o, now, last);
            break;
        case 13: /* a DAY stop that protects a long */
            if (pos > 0) {
                o = api_order(s, TR_SELL, TR_ORD_STOP, TR_TIF_DAY,
                              TR_ROLE_EXIT, 1);
                o.qty = pos;
                o.stop_price = cents(c, 99, 100);
                tr_paper_submit(b, &o, now, last);
            }
            break;
        case 17: { /* cancel the oldest open order of the instrument */
            size_t n = tr_paper_order_count(b);
            for (uint64_t id = 1; id <= n; id++) {
                const tr_order *x = tr_paper_order(b, id);
                if (x->sym == s && !tr_order_is_final(x->status)) {
                    tr_paper_cancel(b, id, now);
                    break;
                }
            }
            break;
        }
        case 20: { /* move the newest open limit of the instrument */
            size_t n = tr_paper_order_count(b);
            for (uint64_t id = n; id >= 1; id--) {
                const tr_order *x = tr_paper_order(b, id);
                if (x->sym == s && x->type == TR_ORD_LIMIT &&
                    !tr_order_is_final(x->status)) {
                    tr_paper_replace(b, id, 0, cents(c, 999, 1000), 0, now,
                                     NULL);
                    break;
                }
            }
            break;
        }
        case 24: /* a bracketed limit entry */
            o = api_order(s, TR_BUY, TR_ORD_LIMIT, TR_TIF_GTC, TR_ROLE_ENTRY,
                          4);
            o.limit_price = cents(c, 998, 1000);
            tr_paper_submit_bracket(b, &o, cents(c, 97, 100),
                                    cents(c, 103, 100), now, last, NULL,
                                    NULL);
            break;
        default:
            break;
        }
    }
}

/* Run steps [from, to): the session timers due (from the engine's own
 * clock, as a restarted driver gets them), the API's orders, the step. */
static int drive(tr_engine *e, const market *m, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        tr_time last_step, last_timer;
        tr_engine_clock(e, &last_step, &last_timer);
        tr_timer_kind kinds[2];
        tr_time when[2];
        size_t nt = tr_engine_timers_due(last_step, m->t[i], kinds, when);
        for (size_t k = 0; k < nt; k++) {
            if (when[k] <= last_timer)
                continue;
            int rc = tr_engine_timer(e, kinds[k], when[k]);
            if (rc != TR_OK)
                return rc;
        }
        api_actions(e, m, i);
        int rc = tr_engine_step(e, m->t[i], &m->syms[i * m->nsyms],
                                &m->bars[i * m->nsyms], m->k[i]);
        if (rc != TR_OK)
            return rc;
    }
    return TR_OK;
}

/* ---- comparing engines --------------------------------------------------- */

static int same_order(const tr_order *a, const tr_order *b)
{
    return a->id == b->id && a->parent_id == b->parent_id &&
           a->oco_id == b->oco_id && a->sym == b->sym && a->side == b->side &&
           a->type == b->type && a->tif == b->tif && a->role == b->role &&
           a->status == b->status && a->qty == b->qty &&
           a->filled_qty == b->filled_qty &&
           a->avg_fill_price == b->avg_fill_price &&
           a->limit_price == b->limit_price && a->stop_price == b->stop_price &&
           a->trail_amount == b->trail_amount &&
           a->trail_percent == b->trail_percent &&
           a->commission == b->commission && a->created == b->created &&
           a->updated == b->updated && a->reject_code == b->reject_code &&
           strcmp(a->strategy, b->strategy) == 0;
}

static int same_trade(const tr_trade *a, const tr_trade *b)
{
    return a->sym == b->sym && a->side == b->side && a->qty == b->qty &&
           a->entry_time == b->entry_time && a->entry_price == b->entry_price &&
           a->exit_time == b->exit_time && a->exit_price == b->exit_price &&
           a->pnl == b->pnl && a->commission == b->commission &&
           a->bars == b->bars && a->open == b->open;
}

/* The final state of two engines (after tr_engine_finish) is the same. */
static int same_final(const tr_engine *a, const tr_engine *b, const char *what)
{
    const tr_portfolio *p = tr_engine_portfolio(a), *q = tr_engine_portfolio(b);
    int ok = p->cash == q->cash && p->realized == q->realized &&
             p->commissions == q->commissions && p->mv_total == q->mv_total &&
             p->gross == q->gross && p->open_positions == q->open_positions &&
             p->nsyms == q->nsyms &&
             memcmp(p->pos, q->pos, p->nsyms * sizeof *p->pos) == 0;
    CHECK_MSG(ok, "%s: final portfolios differ", what);
    const tr_trade_log *t = tr_engine_trades(a), *u = tr_engine_trades(b);
    int tok = t->n == u->n;
    for (size_t i = 0; tok && i < t->n; i++)
        tok = same_trade(&t->v[i], &u->v[i]);
    CHECK_MSG(tok, "%s: trade logs differ (%zu vs %zu trades)", what, t->n,
              u->n);
    const tr_paper *x = tr_engine_broker(a), *y = tr_engine_broker(b);
    size_t n = tr_paper_order_count(x);
    int ook = n == tr_paper_order_count(y);
    for (uint64_t id = 1; ook && id <= n; id++)
        ook = same_order(tr_paper_order(x, id), tr_paper_order(y, id));
    CHECK_MSG(ook, "%s: orders differ", what);
    return ok && tok && ook;
}

static void save_or_die(const tr_engine *e, tr_enc *x)
{
    tr_enc_reset(x);
    int rc = tr_engine_save(e, x);
    if (rc != TR_OK) {
        fprintf(stderr, "save: %s\n", tr_strerror(rc));
        abort();
    }
}

/* ---- (a) continuation ---------------------------------------------------- */

#define NCUTS 4

static void test_continuation(const tr_strategy_def *def, int variant,
                              const market *m)
{
    tr_engine_cfg c;
    make_cfg(&c, def, variant, m->nsyms);
    char what[96];
    snprintf(what, sizeof what, "%s (variant %d)", def->name, variant);

    /* The reference: never saved. */
    outlog ref = {0};
    count_cov = 1;
    tr_engine *r = new_engine(&c, &ref);
    CHECK_MSG(drive(r, m, 0, m->nsteps) == TR_OK, "%s: reference run", what);
    count_cov = 0;

    /* A: the same run, saved at the cuts (the first before any step). */
    size_t cuts[NCUTS] = {0, m->nsteps / 7, m->nsteps / 2,
                          m->nsteps * 9 / 10};
    size_t offs[NCUTS];
    tr_time clk_step[NCUTS], clk_timer[NCUTS];
    tr_enc snaps[NCUTS], again;
    tr_enc_init(&again);
    outlog la = {0};
    tr_engine *a = new_engine(&c, &la);
    size_t at = 0;
    for (int k = 0; k < NCUTS; k++) {
        CHECK(drive(a, m, at, cuts[k]) == TR_OK);
        at = cuts[k];
        tr_enc_init(&snaps[k]);
        save_or_die(a, &snaps[k]);
        save_or_die(a, &again);
        CHECK_MSG(again.len == snaps[k].len &&
                      memcmp(again.p, snaps[k].p, again.len) == 0,
                  "%s: two saves at step %zu differ", what, at);
        offs[k] = la.len;
        tr_engine_clock(a, &clk_step[k], &clk_timer[k]);
    }
    CHECK(drive(a, m, at, m->nsteps) == TR_OK);
    CHECK_MSG(la.len == ref.len && memcmp(la.p, ref.p, la.len) == 0,
              "%s: saving changed the run", what);
    CHECK_EQ_I64(tr_engine_finish(a), TR_OK);
    CHECK_EQ_I64(tr_engine_finish(r), TR_OK);
    same_final(a, r, what);

    /* B: a fresh engine from each snapshot, run to the end. */
    for (int k = 0; k < NCUTS; k++) {
        outlog lb = {0};
        tr_engine *b = new_engine(&c, &lb);
        char err[256] = "";
        int rc = tr_engine_load(b, snaps[k].p, snaps[k].len, err, sizeof err);
        if (!CHECK_MSG(rc == TR_OK, "%s: load at step %zu: %s", what,
                       cuts[k], err)) {
            tr_engine_free(b);
            free(lb.p);
            continue;
        }
        save_or_die(b, &again); /* load then save: the same bytes */
        CHECK_MSG(again.len == snaps[k].len &&
                      memcmp(again.p, snaps[k].p, again.len) == 0,
                  "%s: save after load at step %zu differs", what, cuts[k]);
        tr_time ls, lt;
        tr_engine_clock(b, &ls, &lt);
        CHECK_MSG(ls == clk_step[k] && lt == clk_timer[k] &&
                      ls == (cuts[k] ? m->t[cuts[k] - 1] : INT64_MIN),
                  "%s: clock after a load at step %zu", what, cuts[k]);
        CHECK(drive(b, m, cuts[k], m->nsteps) == TR_OK);
        size_t want = la.len - offs[k];
        int same = lb.len == want &&
                   memcmp(lb.p, la.p + offs[k], want) == 0;
        if (!CHECK_MSG(same, "%s: outputs after a load at step %zu differ "
                       "(%zu vs %zu bytes)", what, cuts[k], lb.len, want)) {
            size_t i = 0;
            while (i < lb.len && i < want && lb.p[i] == la.p[offs[k] + i])
                i++;
            fprintf(stderr, "  first difference at byte %zu\n", i);
        }
        CHECK_EQ_I64(tr_engine_finish(b), TR_OK);
        char w2[160];
        snprintf(w2, sizeof w2, "%s from step %zu", what, cuts[k]);
        same_final(b, r, w2);
        tr_engine_free(b);
        free(lb.p);
    }
    /* The snapshot says what it is. */
    tr_engine_snap_info info;
    CHECK_EQ_I64(tr_engine_snapshot_info(snaps[2].p, snaps[2].len, &info),
                 TR_OK);
    CHECK_EQ_I64(info.version, TR_ENGINE_SNAP_VERSION);
    CHECK_STR(info.strategy, def->name);
    CHECK_EQ_I64(info.nsyms, m->nsyms);
    CHECK_EQ_I64(info.last_step, m->t[cuts[2] - 1]);
    CHECK(info.fingerprint == tr_engine_fingerprint(a));

    for (int k = 0; k < NCUTS; k++)
        tr_enc_free(&snaps[k]);
    tr_enc_free(&again);
    tr_engine_free(a);
    tr_engine_free(r);
    free(la.p);
    free(ref.p);
}

/* ---- (b) damage ---------------------------------------------------------- */

/* data[0..len) with its last 4 bytes replaced by a fitting CRC32C. */
static void fix_crc(uint8_t *data, size_t len)
{
    uint32_t crc = tr_crc32c(0, data, len - 4);
    for (int i = 0; i < 4; i++)
        data[len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

/* Load into a fresh engine; when it loads, step on it (the state must be
 * safe to run, whatever it holds). Returns the load's code. */
static int try_load(const tr_engine_cfg *c, const market *m, size_t from,
                    const uint8_t *data, size_t len, int run)
{
    outlog l = {0};
    tr_engine *e = new_engine(c, &l);
    char err[256];
    int rc = tr_engine_load(e, data, len, err, sizeof err);
    if (rc == TR_OK && run) {
        size_t to = from + 10 < m->nsteps ? from + 10 : m->nsteps;
        drive(e, m, from, to); /* any outcome but a crash */
    }
    tr_engine_free(e);
    free(l.p);
    return rc;
}

static void test_damage(const tr_strategy_def *def, const market *m,
                        size_t cut, int every_length, int nflips)
{
    tr_engine_cfg c;
    make_cfg(&c, def, 0, m->nsyms);
    outlog l = {0};
    tr_engine *e = new_engine(&c, &l);
    CHECK(drive(e, m, 0, cut) == TR_OK);
    tr_enc s;
    tr_enc_init(&s);
    save_or_die(e, &s);
    tr_engine_free(e);
    free(l.p);
    CHECK_EQ_I64(try_load(&c, m, cut, s.p, s.len, 1), TR_OK);

    uint8_t *buf = malloc(s.len);
    size_t refused = 0, tried = 0, fixed_refused = 0;
    for (size_t n = 0; n < s.len; n++) {
        if (!every_length && n % 97 != 0 && n + 64 < s.len)
            continue;
        tried++;
        /* cut short as it is */
        memcpy(buf, s.p, n);
        refused += try_load(&c, m, cut, buf, n, 0) == TR_ERR_DATA;
        /* cut short with a checksum that fits: the decoder must see it */
        if (n >= 4) {
            memcpy(buf, s.p, n);
            fix_crc(buf, n);
            fixed_refused += try_load(&c, m, cut, buf, n, 0) == TR_ERR_DATA;
        } else {
            fixed_refused++;
        }
    }
    CHECK_MSG(refused == tried && fixed_refused == tried,
              "%s: truncations refused %zu and %zu (CRC fitted) of %zu",
              def->name, refused, fixed_refused, tried);

    uint64_t rng = 99;
    size_t flips_refused = 0, loaded = 0;
    for (int i = 0; i < nflips; i++) {
        memcpy(buf, s.p, s.len);
        size_t pos = splitmix(&rng) % s.len;
        buf[pos] ^= (uint8_t)(1u << (splitmix(&rng) % 8));
        flips_refused += try_load(&c, m, cut, buf, s.len, 0) == TR_ERR_DATA;
        if (pos < s.len - 4) { /* the same with a fitting checksum */
            fix_crc(buf, s.len);
            loaded += try_load(&c, m, cut, buf, s.len, 1) == TR_OK;
        }
    }
    CHECK_MSG(flips_refused == (size_t)nflips, "%s: %zu of %d flips refused",
              def->name, flips_refused, nflips);
    printf("%s: %zu-byte snapshot, %zu truncations refused; %d flips "
           "refused; with fitting checksums %zu of them still loaded (and "
           "ran)\n", def->name, s.len, tried, nflips, loaded);
    free(buf);
    tr_enc_free(&s);
}

/* ---- (c) another config -------------------------------------------------- */

static const tr_strategy_def nosave = {
    .name = "nosave", .summary = "no snapshots",
};

static void test_other_config(const market *m)
{
    const tr_strategy_def *sma = tr_strategy_find("sma_cross");
    tr_engine_cfg c;
    make_cfg(&c, sma, 1, m->nsyms);
    outlog l = {0};
    tr_engine *e = new_engine(&c, &l);
    CHECK(drive(e, m, 0, 60) == TR_OK);
    tr_enc s;
    tr_enc_init(&s);
    save_or_die(e, &s);

    /* The run's names but the third (CCC -> ZZZ): another instrument. */
    static const char *const other_names[8] = {"AAA", "BBB", "ZZZ", "DDD",
                                               "EEE", "FFF", "GGG", "HHH"};
    for (int k = 0; k < 7; k++) {
        tr_engine_cfg o;
        make_cfg(&o, sma, 1, m->nsyms);
        const char *what = "";
        switch (k) {
        case 0: o.params[0] = 11; what = "a parameter"; break;
        case 1: o.symbols = other_names; what = "a symbol"; break;
        case 2: o.cash += 1; what = "cash"; break;
        case 3: o.fill.costs.pct += 1; what = "commission"; break;
        case 4: o.risk.max_correlation = 0.6; what = "risk"; break;
        case 5:
            make_cfg(&o, tr_strategy_find("ema_cross"), 1, m->nsyms);
            what = "the strategy";
            break;
        default: make_cfg(&o, sma, 1, m->nsyms - 1); what = "nsyms"; break;
        }
        outlog lo = {0};
        tr_engine *x = new_engine(&o, &lo);
        char err[256] = "";
        int rc = tr_engine_load(x, s.p, s.len, err, sizeof err);
        CHECK_MSG(rc == TR_ERR_DATA && strstr(err, "another config"),
                  "another %s: %d \"%s\"", what, rc, err);
        tr_engine_free(x);
        free(lo.p);
    }
    /* The same config but check_invariants: loads (it changes nothing). */
    tr_engine_cfg same;
    make_cfg(&same, sma, 1, m->nsyms);
    same.check_invariants = 0;
    CHECK_EQ_I64(try_load(&same, m, 60, s.p, s.len, 1), TR_OK);

    /* Not into an engine that has run. */
    char err[256] = "";
    CHECK_EQ_I64(tr_engine_load(e, s.p, s.len, err, sizeof err),
                 TR_ERR_INVALID);

    /* A strategy without save/load cannot be saved or loaded. */
    tr_engine_cfg n = c;
    n.strategy = &nosave;
    tr_strategy_def ns = *sma;
    ns.save = NULL;
    ns.load = NULL;
    n.strategy = &ns;
    outlog ln = {0};
    tr_engine *x = new_engine(&n, &ln);
    tr_enc t;
    tr_enc_init(&t);
    CHECK_EQ_I64(tr_engine_save(x, &t), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_engine_load(x, s.p, s.len, err, sizeof err),
                 TR_ERR_INVALID);
    tr_engine_free(x);
    free(ln.p);
    tr_enc_free(&t);

    /* Not a snapshot at all, and another format version. */
    uint8_t junk[64] = {1, 2, 3};
    CHECK_EQ_I64(try_load(&c, m, 60, junk, sizeof junk, 0), TR_ERR_DATA);
    uint8_t *v2 = malloc(s.len);
    memcpy(v2, s.p, s.len);
    v2[4] = 2; /* the version field */
    fix_crc(v2, s.len);
    x = new_engine(&c, &ln);
    CHECK_EQ_I64(tr_engine_load(x, v2, s.len, err, sizeof err), TR_ERR_DATA);
    CHECK_MSG(strstr(err, "format version 2") != NULL, "version: %s", err);
    tr_engine_free(x);
    free(ln.p);
    free(v2);

    tr_enc_free(&s);
    tr_engine_free(e);
    free(l.p);
}

/* ---- (d) indicators ------------------------------------------------------ */

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void test_indicators(void)
{
    static const char *const specs[] = {
        "sma:7", "ema:9", "wma:5", "rsi:6", "macd:4:9:3", "bbands:8:1.5",
        "atr:5", "natr:5", "trange", "adx:4", "plus_di:4", "minus_di:4",
        "stoch:6:3:2", "obv", "cci:6", "willr:5", "mfi:5", "roc:4", "mom:3",
        "stddev:6", "vwap", "sma:1", "stddev:1",
    };
    size_t count;
    tr_ind_catalog(&count);
    CHECK_MSG(sizeof specs / sizeof specs[0] >= count,
              "every catalog entry is tested (%zu)", count);
    enum { N = 400 };
    tr_bars bars;
    tr_bars_init(&bars);
    tr_gen_opts o = {5, N, TR_GEN_1M, 0};
    tr_time_parse("2022-06-01", 10, &o.start);
    CHECK_EQ_I64(tr_gen_series(&o, 1, &bars), TR_OK);
    static const size_t cuts[] = {0, 1, 3, 17, 200, 399};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
            tr_ind *a, *b;
            char err[128];
            if (tr_ind_parse(specs[i], &a, err, sizeof err) != TR_OK ||
                tr_ind_parse(specs[i], &b, err, sizeof err) != TR_OK)
                abort();
            int ok = 1;
            for (size_t j = 0; j < N; j++) {
                if (j == cuts[k]) {
                    tr_enc e;
                    tr_enc_init(&e);
                    tr_ind_save(a, &e);
                    tr_dec d;
                    tr_dec_init(&d, e.p, e.len);
                    ok = tr_ind_load(b, &d) == TR_OK &&
                         tr_dec_finish(&d) == TR_OK;
                    /* refused by an indicator of another spec */
                    tr_ind *other;
                    tr_ind_parse(i % 2 ? "sma:8" : "ema:8", &other, err,
                                 sizeof err);
                    tr_dec_init(&d, e.p, e.len);
                    CHECK_MSG(tr_ind_load(other, &d) == TR_ERR_DATA,
                              "%s loaded into another spec", specs[i]);
                    tr_ind_free(other);
                    /* and every truncation is refused */
                    for (size_t n = 0; n < e.len; n++) {
                        tr_ind *t;
                        tr_ind_parse(specs[i], &t, err, sizeof err);
                        tr_dec_init(&d, e.p, n);
                        int rc = tr_ind_load(t, &d);
                        if (rc == TR_OK)
                            rc = tr_dec_finish(&d);
                        if (rc != TR_ERR_DATA)
                            ok = 0;
                        tr_ind_free(t);
                    }
                    tr_enc_free(&e);
                }
                const tr_bar *x = &bars.v[j];
                tr_ind_input in = {x->time, tr_fx_to_double(x->open),
                                   tr_fx_to_double(x->high),
                                   tr_fx_to_double(x->low),
                                   tr_fx_to_double(x->close),
                                   tr_fx_to_double(x->volume)};
                tr_ind_update(a, &in);
                if (j >= cuts[k]) {
                    tr_ind_update(b, &in);
                    for (size_t col = 0; col < tr_ind_columns(a); col++)
                        if (!same_bits(tr_ind_value(a, col),
                                       tr_ind_value(b, col)))
                            ok = 0;
                }
            }
            CHECK_MSG(ok, "%s saved after %zu bars continues bit for bit",
                      specs[i], cuts[k]);
            tr_ind_free(a);
            tr_ind_free(b);
        }
    }
    tr_bars_free(&bars);
}

/* ---- (e) the codec ------------------------------------------------------- */

static void test_codec(void)
{
    tr_enc e;
    tr_enc_init(&e);
    tr_enc_u8(&e, 0xAB);
    tr_enc_u16(&e, 0x1234);
    tr_enc_u32(&e, 0xDEADBEEF);
    tr_enc_i64(&e, -5);
    tr_enc_f64(&e, -0.0);
    size_t mark = tr_enc_begin(&e, TR_TAG('T', 'E', 'S', 'T'));
    tr_enc_str(&e, "hello", 3); /* at most 3 bytes: "hel" */
    tr_enc_u64(&e, 7);          /* a count */
    tr_enc_end(&e, mark);
    CHECK_EQ_I64(tr_enc_error(&e), TR_OK);
    /* little-endian on the wire */
    CHECK(e.p[0] == 0xAB && e.p[1] == 0x34 && e.p[2] == 0x12 &&
          e.p[3] == 0xEF && e.p[6] == 0xDE);

    tr_dec d, body;
    tr_dec_init(&d, e.p, e.len);
    CHECK_EQ_I64(tr_dec_u8(&d), 0xAB);
    CHECK_EQ_I64(tr_dec_u16(&d), 0x1234);
    CHECK_EQ_I64(tr_dec_u32(&d), 0xDEADBEEF);
    CHECK_EQ_I64(tr_dec_i64(&d), -5);
    double z = tr_dec_f64(&d);
    CHECK(z == 0.0 && signbit(z));
    CHECK(tr_dec_expect(&d, TR_TAG('T', 'E', 'S', 'T'), &body));
    char s[8];
    tr_dec_str(&body, s, sizeof s);
    CHECK_STR(s, "hel");
    CHECK_EQ_I64(tr_dec_count(&body, 6, 0), 0); /* over the max */
    CHECK_EQ_I64(tr_dec_error(&body), TR_ERR_DATA);
    CHECK_EQ_I64(tr_dec_u64(&body), 0); /* sticky */
    CHECK_EQ_I64(tr_dec_finish(&d), TR_OK);
    CHECK_EQ_I64(tr_dec_u8(&d), 0); /* past the end */
    CHECK_EQ_I64(tr_dec_error(&d), TR_ERR_DATA);

    /* a string that does not fit its buffer, a count beyond the data */
    tr_dec_init(&d, e.p, e.len);
    for (int i = 0; i < 23; i++)
        tr_dec_u8(&d);
    tr_dec_section(&d, &(uint32_t){0}, &body);
    tr_dec_str(&body, s, 3);
    CHECK_EQ_I64(tr_dec_error(&body), TR_ERR_DATA);
    uint8_t big[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    tr_dec_init(&d, big, sizeof big);
    CHECK_EQ_I64(tr_dec_count(&d, SIZE_MAX, 1), 0);
    CHECK_EQ_I64(tr_dec_error(&d), TR_ERR_DATA);
    /* a section longer than what is left */
    tr_dec_init(&d, e.p, e.len - 1);
    for (int i = 0; i < 23; i++)
        tr_dec_u8(&d);
    CHECK(!tr_dec_section(&d, &(uint32_t){0}, &body));
    CHECK_EQ_I64(tr_dec_error(&d), TR_ERR_DATA);
    /* an empty decoder */
    tr_dec_init(&d, NULL, 0);
    CHECK(!tr_dec_section(&d, &(uint32_t){0}, &body));
    CHECK_EQ_I64(tr_dec_finish(&d), TR_OK);
    tr_enc_free(&e);
}

int main(void)
{
    test_codec();
    test_indicators();

    market m;
    market_make(&m, 11, 6, 500, TR_GEN_1D);
    size_t n;
    const tr_strategy_def *const *list = tr_strategy_list(&n);
    for (size_t i = 0; i < n; i++)
        for (int v = 0; v < 3; v++)
            test_continuation(list[i], v, &m);
    /* One-minute bars: many steps a session, DAY orders live all day. */
    market mm;
    market_make(&mm, 12, 4, 1600, TR_GEN_1M);
    test_continuation(tr_strategy_find("consensus"), 0, &mm);
    test_continuation(tr_strategy_find("breakout"), 2, &mm);
    market_free(&mm);
    printf("coverage of the reference runs: %zu fills (%zu stop-loss, %zu "
           "take-profit), %zu partial, %zu expired, %zu canceled, %zu "
           "replaced, %zu refused for correlation, %zu for a halt, %zu "
           "alerts, %zu short entries\n", cov.fills, cov.stop_fills,
           cov.tp_fills, cov.partial, cov.expired, cov.canceled, cov.replaced,
           cov.correlation, cov.halted, cov.alerts, cov.shorts);
    CHECK(cov.fills > 1000 && cov.stop_fills > 0 && cov.tp_fills > 0 &&
          cov.partial > 0 && cov.expired > 0 && cov.canceled > 0 &&
          cov.replaced > 0 && cov.correlation > 0 && cov.halted > 0 &&
          cov.alerts > 0 && cov.shorts > 0);

    market small;
    market_make(&small, 3, 2, 80, TR_GEN_1D);
    test_damage(tr_strategy_find("consensus"), &small, 60, 1, 3000);
    test_damage(tr_strategy_find("breakout"), &small, 60, 1, 1000);
    test_damage(tr_strategy_find("sma_cross"), &m, 300, 0, 300);
    market_free(&small);
    test_other_config(&m);
    market_free(&m);
    return test_summary();
}
