/* test_risk.c: the risk manager (risk/risk.h) rule by rule, with numbers
 * computed by hand: sizing, bracket prices, every rejection reason, halts
 * and their alerts, exits that are never refused, the enabled switch and
 * repeat signals. Each case builds its own portfolio and risk manager; a
 * limit under test is the only one switched on (cfg_open). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fixed.h"
#include "port/portfolio.h"
#include "risk/risk.h"
#include "test.h"

#define HOUR (INT64_C(3600) * INT64_C(1000000000))
#define DAY  (INT64_C(24) * HOUR)
#define T0   (INT64_C(19724) * DAY) /* 2024-01-02, a Tuesday */

static tr_fx FX(const char *s)
{
    tr_fx v = 0;
    if (tr_fx_parse(s, strlen(s), &v) != TR_OK) {
        fprintf(stderr, "bad number in test: %s\n", s);
        abort();
    }
    return v;
}

/* ---- fixtures -------------------------------------------------------- */

typedef struct alerts {
    tr_risk_alert v[32];
    size_t n;
} alerts;

static void on_alert(void *ctx, const tr_risk_alert *a)
{
    alerts *al = ctx;
    if (al->n < sizeof al->v / sizeof al->v[0])
        al->v[al->n++] = *a;
}

/* Defaults with every limit off but still enabled (and leverage so large
 * that buying power never binds), so one limit at a time can be tested. */
static void cfg_open(tr_risk_cfg *c)
{
    tr_risk_cfg_default(c);
    c->enabled = 1;
    c->max_position_pct = 0;
    c->max_open_positions = 0;
    c->max_portfolio_risk_pct = 0;
    c->max_correlation = 0;
    c->max_order_notional = 0;
    c->daily_loss_pct = 0;
    c->max_drawdown_pct = 0;
    c->leverage = 1000;
    c->kill_switch = 0;
}

static tr_bar mkbar(tr_time t, const char *o, const char *h, const char *l,
                    const char *c)
{
    tr_bar b = {t, FX(o), FX(h), FX(l), FX(c), FX("1000000")};
    return b;
}

/* A flat bar at price (open = high = low = close). */
static void price(tr_risk *r, tr_sym sym, tr_time t, const char *px)
{
    tr_bar b = mkbar(t, px, px, px, px);
    tr_risk_on_bar(r, sym, &b);
}

static tr_signal mksig(tr_sym sym, tr_action a, int target)
{
    tr_signal s;
    memset(&s, 0, sizeof s);
    s.sym = sym;
    s.time = T0;
    s.action = a;
    s.target = target;
    s.confidence = 1;
    strcpy(s.strategy, "probe");
    return s;
}

/* Put a position into p the way the engine would: a fill, then a mark. */
static void hold(tr_portfolio *p, tr_sym sym, const char *signed_qty,
                 const char *px)
{
    tr_fill f;
    memset(&f, 0, sizeof f);
    f.sym = sym;
    f.qty = FX(signed_qty);
    f.side = f.qty > 0 ? TR_BUY : TR_SELL;
    if (f.qty < 0)
        f.qty = -f.qty;
    f.price = FX(px);
    f.time = T0;
    CHECK_EQ_I64(tr_portfolio_fill(p, &f, NULL), TR_OK);
    CHECK_EQ_I64(tr_portfolio_mark(p, sym, FX(px)), TR_OK);
}

static tr_risk_plan plan(tr_risk *r, const tr_signal *s, const tr_portfolio *p,
                         tr_fx pending)
{
    tr_risk_plan out;
    memset(&out, 0x5a, sizeof out); /* the planner must set everything */
    tr_risk_plan_signal(r, s, p, pending, &out);
    return out;
}

/* Check a plan's reason, naming both sides. */
#define CHECK_REASON(pl, want)                                                 \
    CHECK_MSG((pl).reason == (want), "reason %s, expected %s (%s)",            \
              tr_risk_reason_name((pl).reason), tr_risk_reason_name(want),     \
              (pl).detail)

/* A refused entry: reason, a detail for people, no entry order. */
#define CHECK_REFUSED(pl, want)                                                \
    do {                                                                       \
        CHECK_REASON(pl, want);                                                \
        CHECK((pl).has_entry == 0);                                            \
        CHECK((pl).detail[0] != '\0');                                         \
    } while (0)

static void check_entry(const tr_risk_plan *pl, tr_sym sym, tr_side side,
                        const char *qty, int line)
{
    test_check_(pl->reason == TR_RISK_OK && pl->has_entry, __FILE__, line,
                "entry expected: reason %s (%s), has_entry %d",
                tr_risk_reason_name(pl->reason), pl->detail, pl->has_entry);
    if (!pl->has_entry)
        return;
    const tr_order *o = &pl->entry;
    test_check_(o->sym == sym && o->side == side && o->type == TR_ORD_MARKET &&
                    o->role == TR_ROLE_ENTRY && o->qty == FX(qty) &&
                    strcmp(o->strategy, "probe") == 0,
                __FILE__, line,
                "entry: sym %u side %d type %d role %d qty %" PRId64
                " strategy '%s'; expected sym %u side %d market entry qty %s",
                (unsigned)o->sym, (int)o->side, (int)o->type, (int)o->role,
                o->qty, o->strategy, (unsigned)sym, (int)side, qty);
}
#define CHECK_ENTRY(pl, sym, side, qty)                                        \
    check_entry(&(pl), sym, side, qty, __LINE__)

static void check_exit(const tr_risk_plan *pl, tr_sym sym, tr_side side,
                       const char *qty, int line)
{
    test_check_(pl->has_exit, __FILE__, line, "exit expected (reason %s)",
                tr_risk_reason_name(pl->reason));
    if (!pl->has_exit)
        return;
    const tr_order *o = &pl->exit;
    test_check_(o->sym == sym && o->side == side && o->type == TR_ORD_MARKET &&
                    o->role == TR_ROLE_EXIT && o->qty == FX(qty),
                __FILE__, line,
                "exit: sym %u side %d type %d role %d qty %" PRId64
                "; expected sym %u side %d market exit qty %s",
                (unsigned)o->sym, (int)o->side, (int)o->type, (int)o->role,
                o->qty, (unsigned)sym, (int)side, qty);
}
#define CHECK_EXIT(pl, sym, side, qty) check_exit(&(pl), sym, side, qty, __LINE__)

typedef struct fixture {
    tr_risk_cfg cfg;
    tr_risk *r;
    tr_portfolio p;
    alerts al;
} fixture;

static void fx_start(fixture *f, const tr_risk_cfg *cfg, size_t nsyms,
                     const char *cash)
{
    memset(&f->al, 0, sizeof f->al);
    f->cfg = *cfg;
    f->r = tr_risk_new(cfg, nsyms, on_alert, &f->al);
    CHECK(f->r != NULL);
    CHECK_EQ_I64(tr_portfolio_init(&f->p, FX(cash), nsyms), TR_OK);
}

static void fx_end(fixture *f)
{
    tr_risk_free(f->r);
    tr_portfolio_free(&f->p);
}

/* ---- defaults and names --------------------------------------------- */

static void test_defaults(void)
{
    tr_risk_cfg c;
    memset(&c, 0x7f, sizeof c);
    tr_risk_cfg_default(&c);
    CHECK_EQ_I64(c.sizing, TR_SIZE_FIXED);
    CHECK_EQ_I64(c.qty, FX("100"));
    CHECK_EQ_I64(c.stop_kind, TR_EXIT_NONE);
    CHECK_EQ_I64(c.tp_kind, TR_EXIT_NONE);
    CHECK_EQ_I64(c.enabled, 1);
    CHECK(c.max_position_pct == 10);
    CHECK_EQ_I64(c.max_open_positions, 10);
    CHECK(c.max_portfolio_risk_pct == 5);
    CHECK(c.max_correlation == 0.7);
    CHECK(c.daily_loss_pct == 3);
    CHECK(c.max_drawdown_pct == 0);
    CHECK(c.leverage == 1);
    CHECK_EQ_I64(c.kill_switch, 0);
    CHECK_EQ_I64(c.atr_period, 14);
    CHECK_EQ_I64(c.qty_step, FX("1"));
    CHECK_EQ_I64(c.tick_size, FX("0.01"));
    CHECK_EQ_I64(c.correlation_lookback, 60);
    CHECK_EQ_I64(c.max_order_notional, 0);
}

static void test_reason_names(void)
{
    static const char *const want[TR_RISK_REASON_COUNT] = {
        "ok",           "nothing_to_do", "kill_switch",   "daily_loss",
        "drawdown",     "max_position",  "max_open_positions",
        "buying_power", "portfolio_risk", "correlation",  "order_notional",
        "zero_size",    "no_stop",       "not_ready",
    };
    for (int i = 0; i < TR_RISK_REASON_COUNT; i++)
        CHECK_STR(tr_risk_reason_name((tr_risk_reason)i), want[i]);
    CHECK(tr_risk_reason_name(TR_RISK_REASON_COUNT) != NULL);
    CHECK(tr_risk_reason_name((tr_risk_reason)-1) != NULL);
}

/* ---- sizing ----------------------------------------------------------- */

static void test_sizing_fixed(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    fixture f;
    fx_start(&f, &c, 2, "100000");
    price(f.r, 0, T0, "50");

    tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    CHECK_EQ_I64(pl.has_exit, 0);
    CHECK_EQ_I64(pl.stop, 0); /* no brackets configured */
    CHECK_EQ_I64(pl.take_profit, 0);

    s = mksig(0, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_SELL, "100");

    /* The signal's own quantity wins over the configured size. */
    s = mksig(0, TR_SIGNAL_BUY, 1);
    s.qty = FX("40");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "40");
    fx_end(&f);

    /* Floored to whole qty steps: 105 with steps of 10 -> 100. */
    c.qty = FX("105");
    c.qty_step = FX("10");
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "50");
    s = mksig(0, TR_SIGNAL_BUY, 1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    fx_end(&f);
}

/* percent: 10% of equity 100000 at 33 = 303.0303.. -> 303 (step 1),
 * 303.030 (step 0.001). Equity counts open positions at their marks. */
static void test_sizing_percent(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.sizing = TR_SIZE_PERCENT;
    c.percent = 10;
    fixture f;
    fx_start(&f, &c, 2, "100000");
    price(f.r, 0, T0, "33");
    tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "303");
    fx_end(&f);

    c.qty_step = FX("0.001");
    fx_start(&f, &c, 2, "100000");
    price(f.r, 0, T0, "33");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "303.03");
    fx_end(&f);

    /* Equity 100000 - 10000 + 200 x 60 = 102000 after sym 1 rose from 50
     * to 60: 10% = 10200 at 25 -> 408. */
    c.qty_step = FX("1");
    fx_start(&f, &c, 2, "100000");
    hold(&f.p, 1, "200", "50");
    CHECK_EQ_I64(tr_portfolio_mark(&f.p, 1, FX("60")), TR_OK);
    price(f.r, 0, T0, "25");
    s = mksig(0, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_SELL, "408");
    fx_end(&f);
}

/* risk: 1% of 100000 = 1000 at risk; stop 2% from 50 = 49 (long) or 51
 * (short): 1 a share -> 1000 shares. With the signal's own stop at 48:
 * 2 a share -> 500. */
static void test_sizing_risk(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.sizing = TR_SIZE_RISK;
    c.risk_pct = 1;
    c.stop_kind = TR_EXIT_PERCENT;
    c.stop_value = 2;
    fixture f;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "50");
    tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "1000");
    CHECK_EQ_I64(pl.stop, FX("49"));
    CHECK_EQ_I64(pl.take_profit, 0);

    s = mksig(0, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_SELL, "1000");
    CHECK_EQ_I64(pl.stop, FX("51"));

    s = mksig(0, TR_SIGNAL_BUY, 1);
    s.stop = FX("48");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "500");
    CHECK_EQ_I64(pl.stop, FX("48"));
    fx_end(&f);

    /* risk 0.33%: 330 / 1 = 330 shares, in steps of 100 -> 300. */
    c.risk_pct = 0.33;
    c.qty_step = FX("100");
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "50");
    s = mksig(0, TR_SIGNAL_BUY, 1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "300");
    fx_end(&f);
}

/* Bars for ATR(2): rows 1 and 2 have true ranges 4 and 2, so ATR = 3 from
 * row 2 on (the mean of the first n true ranges). Closes are all 100. */
static void feed_atr_bars(tr_risk *r, tr_sym sym, int upto)
{
    tr_bar b[3] = {
        mkbar(T0, "100", "100", "100", "100"),
        mkbar(T0 + DAY, "100", "102", "98", "100"),
        mkbar(T0 + 2 * DAY, "100", "101", "99", "100"),
    };
    for (int i = 0; i < upto; i++)
        tr_risk_on_bar(r, sym, &b[i]);
}

/* atr: stop 2 x ATR 3 = 6 away (94 long, 106 short); 1% of 100000 = 1000
 * / 6 = 166.67 -> 166. */
static void test_sizing_atr(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.sizing = TR_SIZE_ATR;
    c.risk_pct = 1;
    c.atr_mult = 2;
    c.atr_period = 2;
    fixture f;
    fx_start(&f, &c, 1, "100000");
    feed_atr_bars(f.r, 0, 2);
    tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_NOT_READY); /* ATR(2) needs row 2 */
    tr_bar b = mkbar(T0 + 2 * DAY, "100", "101", "99", "100");
    tr_risk_on_bar(f.r, 0, &b);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "166");
    CHECK_EQ_I64(pl.stop, FX("94"));
    s = mksig(0, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_SELL, "166");
    CHECK_EQ_I64(pl.stop, FX("106"));
    fx_end(&f);
}

/* ---- stop and target prices ------------------------------------------ */

static void test_exit_prices(void)
{
    tr_risk_cfg c;
    fixture f;
    tr_signal buy = mksig(0, TR_SIGNAL_BUY, 1);
    tr_signal sell = mksig(0, TR_SIGNAL_SELL, -1);
    tr_risk_plan pl;

    /* percent at 33.33: stop 1.5% = 0.49995 -> 32.83005 -> 32.83 (long),
     * 33.82995 -> 33.83 (short); target 4% = 1.3332 -> 34.6632 -> 34.66,
     * 31.9968 -> 32.00. */
    cfg_open(&c);
    c.stop_kind = TR_EXIT_PERCENT;
    c.stop_value = 1.5;
    c.tp_kind = TR_EXIT_PERCENT;
    c.tp_value = 4;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "33.33");
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    CHECK_EQ_I64(pl.stop, FX("32.83"));
    CHECK_EQ_I64(pl.take_profit, FX("34.66"));
    pl = plan(f.r, &sell, &f.p, 0);
    CHECK_EQ_I64(pl.stop, FX("33.83"));
    CHECK_EQ_I64(pl.take_profit, FX("32"));
    fx_end(&f);

    /* The same on a 0.05 tick: 32.83005 -> 32.85, 33.82995 -> 33.85,
     * 34.6632 -> 34.65, 31.9968 -> 32.00. */
    c.tick_size = FX("0.05");
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "33.33");
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_EQ_I64(pl.stop, FX("32.85"));
    CHECK_EQ_I64(pl.take_profit, FX("34.65"));
    pl = plan(f.r, &sell, &f.p, 0);
    CHECK_EQ_I64(pl.stop, FX("33.85"));
    CHECK_EQ_I64(pl.take_profit, FX("32"));
    fx_end(&f);

    /* atr (ATR = 3 at 100): stop 1.5 x 3 = 4.5 -> 95.5 / 104.5; target
     * 2.5 x 3 = 7.5 -> 107.5 / 92.5. */
    cfg_open(&c);
    c.atr_period = 2;
    c.stop_kind = TR_EXIT_ATR;
    c.stop_value = 1.5;
    c.tp_kind = TR_EXIT_ATR;
    c.tp_value = 2.5;
    fx_start(&f, &c, 1, "100000");
    feed_atr_bars(f.r, 0, 3);
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    CHECK_EQ_I64(pl.stop, FX("95.5"));
    CHECK_EQ_I64(pl.take_profit, FX("107.5"));
    pl = plan(f.r, &sell, &f.p, 0);
    CHECK_EQ_I64(pl.stop, FX("104.5"));
    CHECK_EQ_I64(pl.take_profit, FX("92.5"));
    fx_end(&f);

    /* An ATR target before ATR is ready: not ready, even with fixed size. */
    cfg_open(&c);
    c.atr_period = 2;
    c.tp_kind = TR_EXIT_ATR;
    c.tp_value = 2;
    fx_start(&f, &c, 1, "100000");
    feed_atr_bars(f.r, 0, 2);
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_NOT_READY);
    fx_end(&f);

    /* rr: stop 2% of 100 = 98 / 102, target 1.5 x 2 = 3 -> 103 / 97.
     * At 33.33 with a 1.5% stop (32.83, 0.50 away after rounding) and
     * rr 2: 33.33 + 1.00 = 34.33 / 33.33 - 1.00 = 32.33. */
    cfg_open(&c);
    c.stop_kind = TR_EXIT_PERCENT;
    c.stop_value = 2;
    c.tp_kind = TR_EXIT_RR;
    c.tp_value = 1.5;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "100");
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_EQ_I64(pl.stop, FX("98"));
    CHECK_EQ_I64(pl.take_profit, FX("103"));
    pl = plan(f.r, &sell, &f.p, 0);
    CHECK_EQ_I64(pl.stop, FX("102"));
    CHECK_EQ_I64(pl.take_profit, FX("97"));
    fx_end(&f);

    c.stop_value = 1.5;
    c.tp_value = 2;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "33.33");
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_EQ_I64(pl.stop, FX("32.83"));
    CHECK_EQ_I64(pl.take_profit, FX("34.33"));
    pl = plan(f.r, &sell, &f.p, 0);
    CHECK_EQ_I64(pl.stop, FX("33.83"));
    CHECK_EQ_I64(pl.take_profit, FX("32.33"));
    fx_end(&f);

    /* The signal's own stop and target win over the configured ones. */
    cfg_open(&c);
    c.stop_kind = TR_EXIT_PERCENT;
    c.stop_value = 2;
    c.tp_kind = TR_EXIT_PERCENT;
    c.tp_value = 2;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "100");
    tr_signal own = buy;
    own.stop = FX("90");
    own.take_profit = FX("125");
    pl = plan(f.r, &own, &f.p, 0);
    CHECK_EQ_I64(pl.stop, FX("90"));
    CHECK_EQ_I64(pl.take_profit, FX("125"));
    fx_end(&f);
}

/* ---- halts ------------------------------------------------------------ */

static void test_kill_switch(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.kill_switch = 1;
    fixture f;
    fx_start(&f, &c, 2, "100000");
    price(f.r, 0, T0, "50");
    price(f.r, 1, T0, "20");
    CHECK(tr_risk_halted(f.r));
    tr_signal buy = mksig(0, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl = plan(f.r, &buy, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_KILL_SWITCH);
    CHECK_EQ_I64(pl.has_exit, 0);

    /* Exits pass while halted: sell a long, cover a short. */
    hold(&f.p, 0, "100", "50");
    hold(&f.p, 1, "-30", "20");
    tr_signal out = mksig(0, TR_SIGNAL_SELL, 0);
    pl = plan(f.r, &out, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_OK);
    CHECK_EXIT(pl, 0, TR_SELL, "100");
    CHECK_EQ_I64(pl.has_entry, 0);
    out = mksig(1, TR_SIGNAL_BUY, 0);
    pl = plan(f.r, &out, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_OK);
    CHECK_EXIT(pl, 1, TR_BUY, "30");
    /* A reversal while halted: the exit half still goes out. */
    tr_signal rev = mksig(0, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &rev, &f.p, 0);
    CHECK_EXIT(pl, 0, TR_SELL, "100");
    CHECK_REFUSED(pl, TR_RISK_KILL_SWITCH);

    /* Resume: an alert, entries pass. */
    CHECK_EQ_I64(f.al.n, 0);
    tr_risk_set_halt(f.r, 0, T0 + HOUR);
    CHECK(!tr_risk_halted(f.r));
    CHECK_EQ_I64(f.al.n, 1);
    CHECK_EQ_I64(f.al.v[0].kind, TR_ALERT_RESUMED);
    CHECK_EQ_I64(f.al.v[0].time, T0 + HOUR);
    CHECK(f.al.v[0].message[0] != '\0');
    tr_signal buy1 = mksig(1, TR_SIGNAL_BUY, 1); /* reverse the short */
    pl = plan(f.r, &buy1, &f.p, 0);
    CHECK_EXIT(pl, 1, TR_BUY, "30");
    CHECK_ENTRY(pl, 1, TR_BUY, "100");

    /* And on again: an alert, entries refused. */
    tr_risk_set_halt(f.r, 1, T0 + 2 * HOUR);
    CHECK(tr_risk_halted(f.r));
    CHECK_EQ_I64(f.al.n, 2);
    CHECK_EQ_I64(f.al.v[1].kind, TR_ALERT_KILL_SWITCH);
    CHECK_EQ_I64(f.al.v[1].time, T0 + 2 * HOUR);
    pl = plan(f.r, &buy1, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_KILL_SWITCH);
    fx_end(&f);
}

/* Daily loss 3%: 100000 -> 97100 (2.9%) nothing; -> 97000 (3%, the limit)
 * halts with one alert; -> 96000 no second alert; the next day's first
 * equity lifts it; a 3.1% loss from the previous day's close (its last
 * equity point, 99000) halts again. */
static void test_daily_loss(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.daily_loss_pct = 3;
    fixture f;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "50");
    tr_signal buy = mksig(0, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl;

    tr_risk_on_equity(f.r, T0, FX("100000"));
    tr_risk_on_equity(f.r, T0 + HOUR, FX("97100"));
    CHECK(!tr_risk_halted(f.r));
    CHECK_EQ_I64(f.al.n, 0);
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");

    tr_risk_on_equity(f.r, T0 + 2 * HOUR, FX("97000"));
    CHECK_MSG(tr_risk_halted(f.r), "a loss of exactly the limit halts");
    CHECK_EQ_I64(f.al.n, 1);
    if (f.al.n >= 1) {
        CHECK_EQ_I64(f.al.v[0].kind, TR_ALERT_DAILY_LOSS);
        CHECK_EQ_I64(f.al.v[0].time, T0 + 2 * HOUR);
        CHECK(f.al.v[0].message[0] != '\0');
    }
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_DAILY_LOSS);

    tr_risk_on_equity(f.r, T0 + 3 * HOUR, FX("96000"));
    CHECK_EQ_I64(f.al.n, 1);
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_DAILY_LOSS);
    /* Even recovering within the day does not lift it. */
    tr_risk_on_equity(f.r, T0 + 4 * HOUR, FX("99000"));
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_DAILY_LOSS);

    /* Exits pass. */
    hold(&f.p, 0, "100", "50");
    tr_signal out = mksig(0, TR_SIGNAL_SELL, 0);
    pl = plan(f.r, &out, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_OK);
    CHECK_EXIT(pl, 0, TR_SELL, "100");
    tr_portfolio_free(&f.p);
    CHECK_EQ_I64(tr_portfolio_init(&f.p, FX("100000"), 1), TR_OK);

    /* The next UTC day: lifted (98000 is 1.01% below day 1's close). */
    tr_risk_on_equity(f.r, T0 + DAY, FX("98000"));
    CHECK(!tr_risk_halted(f.r));
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    CHECK_EQ_I64(f.al.n, 1);

    /* Day 2 starts from day 1's close (99000): 95931 is a 3.1% loss. */
    tr_risk_on_equity(f.r, T0 + DAY + HOUR, FX("95931"));
    CHECK(tr_risk_halted(f.r));
    CHECK_EQ_I64(f.al.n, 2);
    if (f.al.n >= 2) {
        CHECK_EQ_I64(f.al.v[1].kind, TR_ALERT_DAILY_LOSS);
        CHECK_EQ_I64(f.al.v[1].time, T0 + DAY + HOUR);
    }
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_DAILY_LOSS);
    fx_end(&f);
}

/* Drawdown 10%: peak 110000, 100000 (9.09%) nothing, 99000 (10%) halts
 * with an alert; it holds on later days until resumed; after the resume
 * the drawdown is measured from the equity at that time. */
static void test_drawdown(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.max_drawdown_pct = 10;
    fixture f;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "50");
    tr_signal buy = mksig(0, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl;

    tr_risk_on_equity(f.r, T0, FX("100000"));
    tr_risk_on_equity(f.r, T0 + DAY, FX("110000"));
    tr_risk_on_equity(f.r, T0 + 2 * DAY, FX("100000"));
    CHECK(!tr_risk_halted(f.r));
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    CHECK_EQ_I64(f.al.n, 0);

    tr_risk_on_equity(f.r, T0 + 3 * DAY, FX("99000"));
    CHECK(tr_risk_halted(f.r));
    CHECK_EQ_I64(f.al.n, 1);
    if (f.al.n >= 1) {
        CHECK_EQ_I64(f.al.v[0].kind, TR_ALERT_DRAWDOWN);
        CHECK_EQ_I64(f.al.v[0].time, T0 + 3 * DAY);
        CHECK(f.al.v[0].message[0] != '\0');
    }
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_DRAWDOWN);

    /* Days later, recovered a bit: still halted, no new alert. */
    tr_risk_on_equity(f.r, T0 + 6 * DAY, FX("105000"));
    CHECK(tr_risk_halted(f.r));
    CHECK_EQ_I64(f.al.n, 1);
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_DRAWDOWN);

    /* Exits pass. */
    hold(&f.p, 0, "-100", "50");
    tr_signal out = mksig(0, TR_SIGNAL_BUY, 0);
    pl = plan(f.r, &out, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_OK);
    CHECK_EXIT(pl, 0, TR_BUY, "100");
    tr_portfolio_free(&f.p);
    CHECK_EQ_I64(tr_portfolio_init(&f.p, FX("100000"), 1), TR_OK);

    tr_risk_set_halt(f.r, 0, T0 + 6 * DAY + HOUR);
    CHECK(!tr_risk_halted(f.r));
    CHECK_EQ_I64(f.al.n, 2);
    if (f.al.n >= 2)
        CHECK_EQ_I64(f.al.v[1].kind, TR_ALERT_RESUMED);
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");

    /* From 105000: 99750 is 5%, 94500 is 10% again. */
    tr_risk_on_equity(f.r, T0 + 7 * DAY, FX("99750"));
    CHECK(!tr_risk_halted(f.r));
    tr_risk_on_equity(f.r, T0 + 8 * DAY, FX("94500"));
    CHECK(tr_risk_halted(f.r));
    CHECK_EQ_I64(f.al.n, 3);
    pl = plan(f.r, &buy, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_DRAWDOWN);
    fx_end(&f);
}

/* ---- limits ----------------------------------------------------------- */

/* 10% of 100000 = 10000 at 50: 200 shares pass (exactly the limit), 201
 * (10.05%) do not; adding to a 100-share position: 100 more pass, 101 not;
 * a reversal does not count the position being closed. */
static void test_max_position(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.max_position_pct = 10;
    fixture f;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "50");
    tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
    s.qty = FX("201");
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_MAX_POSITION);
    s.qty = FX("200");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "200");
    s = mksig(0, TR_SIGNAL_SELL, -1);
    s.qty = FX("201");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_MAX_POSITION);

    hold(&f.p, 0, "100", "50");
    s = mksig(0, TR_SIGNAL_BUY, 1);
    s.qty = FX("101");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_MAX_POSITION);
    s.qty = FX("100");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    CHECK_EQ_I64(pl.has_exit, 0);

    s = mksig(0, TR_SIGNAL_SELL, -1);
    s.qty = FX("200");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_EXIT(pl, 0, TR_SELL, "100");
    CHECK_ENTRY(pl, 0, TR_SELL, "200");
    fx_end(&f);
}

static void test_max_open_positions(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.max_open_positions = 2;
    fixture f;
    fx_start(&f, &c, 3, "100000");
    for (tr_sym i = 0; i < 3; i++)
        price(f.r, i, T0, "10");
    hold(&f.p, 0, "100", "10");
    tr_signal s = mksig(2, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 2, TR_BUY, "100"); /* 1 open: a second is fine */

    hold(&f.p, 1, "-100", "10");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_MAX_OPEN_POSITIONS);
    s = mksig(2, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_MAX_OPEN_POSITIONS);

    /* Reversing an open one keeps the count. */
    s = mksig(0, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_EXIT(pl, 0, TR_SELL, "100");
    CHECK_ENTRY(pl, 0, TR_SELL, "100");
    /* Adding to an open one too. */
    s = mksig(1, TR_SIGNAL_SELL, -1);
    s.qty = FX("10");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 1, TR_SELL, "10");
    /* Exits always. */
    s = mksig(1, TR_SIGNAL_BUY, 0);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_OK);
    CHECK_EXIT(pl, 1, TR_BUY, "100");
    fx_end(&f);
}

/* Buying power = equity x leverage - gross exposure. */
static void test_buying_power(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.leverage = 1;
    fixture f;
    fx_start(&f, &c, 2, "100000");
    price(f.r, 0, T0, "50");
    price(f.r, 1, T0, "50");
    tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
    s.qty = FX("2001");
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_BUYING_POWER);
    s.qty = FX("2000");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "2000");
    s = mksig(0, TR_SIGNAL_SELL, -1); /* shorts need it too */
    s.qty = FX("2001");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_BUYING_POWER);

    /* 1200 x 50 = 60000 held: 40000 left = 800 shares. */
    hold(&f.p, 1, "1200", "50");
    CHECK_EQ_I64(tr_portfolio_equity(&f.p), FX("100000"));
    s = mksig(0, TR_SIGNAL_BUY, 1);
    s.qty = FX("801");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_BUYING_POWER);
    s.qty = FX("800");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "800");
    fx_end(&f);

    /* Leverage 2: 200000 - 60000 = 140000 = 2800 shares. */
    c.leverage = 2;
    fx_start(&f, &c, 2, "100000");
    price(f.r, 0, T0, "50");
    hold(&f.p, 1, "1200", "50");
    s.qty = FX("2801");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_BUYING_POWER);
    s.qty = FX("2800");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "2800");
    fx_end(&f);
}

/* Portfolio risk 5% with 2% stops: sym 1 (1000 @ 50, stop 49) risks 1000;
 * sym 0 at 100 (stop 98, 2 a share) may add 4000 = 2000 shares, not 2001. */
static void test_portfolio_risk(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.max_portfolio_risk_pct = 5;
    c.stop_kind = TR_EXIT_PERCENT;
    c.stop_value = 2;
    fixture f;
    fx_start(&f, &c, 2, "100000");
    price(f.r, 0, T0, "100");
    price(f.r, 1, T0, "50");
    tr_signal s = mksig(1, TR_SIGNAL_BUY, 1);
    s.qty = FX("1000");
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 1, TR_BUY, "1000");
    CHECK_EQ_I64(pl.stop, FX("49"));
    hold(&f.p, 1, "1000", "50");

    s = mksig(0, TR_SIGNAL_BUY, 1);
    s.qty = FX("2001");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_PORTFOLIO_RISK);
    s.qty = FX("2000");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "2000");
    CHECK_EQ_I64(pl.stop, FX("98"));
    /* Alone (sym 1 closed) 2500 shares = 5000 = 5% pass. */
    fx_end(&f);

    fx_start(&f, &c, 2, "100000");
    price(f.r, 0, T0, "100");
    s.qty = FX("2501");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_PORTFOLIO_RISK);
    s.qty = FX("2500");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "2500");
    fx_end(&f);
}

/* Correlation over 5 returns, limit 0.7.
 *   sym 0: 100 101  99 102 100 103
 *   sym 1:  50 50.5 49.5 51 50 51.5   identical returns: rho = 1
 *   sym 2: 100  99 101  98 100  97    rho = -0.9999
 *   sym 3:  80  82  84  85  86  88    rho = -0.0005 */
static const char *const corr_px[4][6] = {
    {"100", "101", "99", "102", "100", "103"},
    {"50", "50.5", "49.5", "51", "50", "51.5"},
    {"100", "99", "101", "98", "100", "97"},
    {"80", "82", "84", "85", "86", "88"},
};

static void corr_case(int held_sym, const char *held_qty, tr_action a,
                      int target, tr_risk_reason want, int nbars, int line)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.max_correlation = 0.7;
    c.correlation_lookback = 5;
    fixture f;
    fx_start(&f, &c, 4, "1000000");
    for (int i = 0; i < nbars; i++)
        for (tr_sym s = 0; s < 4; s++)
            price(f.r, s, T0 + i * DAY, corr_px[s][i]);
    hold(&f.p, (tr_sym)held_sym, held_qty, corr_px[held_sym][nbars - 1]);
    tr_signal s = mksig(0, a, target);
    s.qty = FX("10");
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    test_check_(pl.reason == want && pl.has_entry == (want == TR_RISK_OK),
                __FILE__, line,
                "correlation case (held sym %d %s, signal %s target %d, %d "
                "bars): reason %s (%s), expected %s",
                held_sym, held_qty, tr_action_name(a), target, nbars,
                tr_risk_reason_name(pl.reason), pl.detail,
                tr_risk_reason_name(want));
    fx_end(&f);
}

static void test_correlation(void)
{
    /* Long the twin, buying: the same bet twice. */
    corr_case(1, "100", TR_SIGNAL_BUY, 1, TR_RISK_CORRELATION, 6, __LINE__);
    /* Long the twin, shorting: a hedge. */
    corr_case(1, "100", TR_SIGNAL_SELL, -1, TR_RISK_OK, 6, __LINE__);
    /* Short the twin, shorting: the same bet; buying: a hedge. */
    corr_case(1, "-100", TR_SIGNAL_SELL, -1, TR_RISK_CORRELATION, 6,
              __LINE__);
    corr_case(1, "-100", TR_SIGNAL_BUY, 1, TR_RISK_OK, 6, __LINE__);
    /* Long the mirror image: buying is a hedge, shorting the same bet. */
    corr_case(2, "100", TR_SIGNAL_BUY, 1, TR_RISK_OK, 6, __LINE__);
    corr_case(2, "100", TR_SIGNAL_SELL, -1, TR_RISK_CORRELATION, 6, __LINE__);
    /* Uncorrelated: either way. */
    corr_case(3, "100", TR_SIGNAL_BUY, 1, TR_RISK_OK, 6, __LINE__);
    corr_case(3, "100", TR_SIGNAL_SELL, -1, TR_RISK_OK, 6, __LINE__);
    /* Fewer returns than the lookback: no verdict, accepted. */
    corr_case(1, "100", TR_SIGNAL_BUY, 1, TR_RISK_OK, 5, __LINE__);
}

static void test_order_notional(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.max_order_notional = FX("5000");
    fixture f;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "50");
    tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
    s.qty = FX("101");
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_ORDER_NOTIONAL);
    s.qty = FX("100");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    fx_end(&f);
}

/* percent 0.01% of 100000 = 10 at 50 = 0.2 of a share -> 0; risk sizing
 * with nothing to put the stop at; no price yet. These hold whether the
 * limits are enabled or not: sizing always applies. */
static void test_sizing_refusals(void)
{
    for (int enabled = 0; enabled <= 1; enabled++) {
        tr_risk_cfg c;
        cfg_open(&c);
        c.enabled = enabled;
        c.sizing = TR_SIZE_PERCENT;
        c.percent = 0.01;
        fixture f;
        fx_start(&f, &c, 2, "100000");
        tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
        tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
        CHECK_REFUSED(pl, TR_RISK_NOT_READY); /* no bar seen yet */
        price(f.r, 0, T0, "50");
        pl = plan(f.r, &s, &f.p, 0);
        CHECK_REFUSED(pl, TR_RISK_ZERO_SIZE);
        /* 0.05% = 50 -> exactly one share. */
        fx_end(&f);
        c.percent = 0.05;
        fx_start(&f, &c, 2, "100000");
        price(f.r, 0, T0, "50");
        pl = plan(f.r, &s, &f.p, 0);
        CHECK_ENTRY(pl, 0, TR_BUY, "1");
        fx_end(&f);

        c.sizing = TR_SIZE_RISK;
        c.risk_pct = 1;
        c.stop_kind = TR_EXIT_NONE;
        fx_start(&f, &c, 2, "100000");
        price(f.r, 0, T0, "50");
        pl = plan(f.r, &s, &f.p, 0);
        CHECK_REFUSED(pl, TR_RISK_NO_STOP);
        tr_signal own = s;
        own.stop = FX("45"); /* 1000 / 5 = 200 */
        pl = plan(f.r, &own, &f.p, 0);
        CHECK_ENTRY(pl, 0, TR_BUY, "200");
        fx_end(&f);
    }
}

/* ---- nothing to do -------------------------------------------------- */

static void test_nothing_to_do(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    fixture f;
    fx_start(&f, &c, 2, "100000");
    price(f.r, 0, T0, "50");
    price(f.r, 1, T0, "50");
    tr_risk_plan pl;
    tr_signal s;

    s = mksig(0, TR_HOLD, 0);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_NOTHING_TO_DO);
    CHECK(!pl.has_entry && !pl.has_exit);
    s = mksig(0, TR_SIGNAL_SELL, 0); /* exit while flat */
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_NOTHING_TO_DO);
    CHECK(!pl.has_entry && !pl.has_exit);
    s = mksig(0, TR_SIGNAL_BUY, 0);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_NOTHING_TO_DO);

    /* A repeat while the first entry is still pending at the broker. */
    s = mksig(0, TR_SIGNAL_BUY, 1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    pl = plan(f.r, &s, &f.p, FX("100"));
    CHECK_REASON(pl, TR_RISK_NOTHING_TO_DO);
    CHECK(!pl.has_entry && !pl.has_exit);
    s = mksig(0, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &s, &f.p, FX("100"));
    CHECK_REASON(pl, TR_RISK_NOTHING_TO_DO);
    CHECK(!pl.has_entry && !pl.has_exit);

    /* Already positioned as wanted. */
    hold(&f.p, 0, "100", "50");
    s = mksig(0, TR_SIGNAL_BUY, 1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_NOTHING_TO_DO);
    CHECK(!pl.has_entry && !pl.has_exit);
    hold(&f.p, 1, "-100", "50");
    s = mksig(1, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_NOTHING_TO_DO);

    /* A halt does not turn "nothing to do" into a refusal. */
    tr_risk_set_halt(f.r, 1, T0);
    s = mksig(0, TR_SIGNAL_BUY, 1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REASON(pl, TR_RISK_NOTHING_TO_DO);
    fx_end(&f);
}

/* ---- enabled = 0 -------------------------------------------------------- */

static void test_disabled(void)
{
    tr_risk_cfg c;
    tr_risk_cfg_default(&c);
    c.enabled = 0;
    c.kill_switch = 1;
    c.max_position_pct = 0.001;
    c.max_open_positions = 1;
    c.max_portfolio_risk_pct = 0.001;
    c.max_correlation = 0.01;
    c.correlation_lookback = 5;
    c.max_order_notional = FX("1");
    c.daily_loss_pct = 0.1;
    c.max_drawdown_pct = 0.1;
    c.leverage = 0.001;
    c.sizing = TR_SIZE_PERCENT;
    c.percent = 10;
    fixture f;
    fx_start(&f, &c, 4, "100000");
    for (int i = 0; i < 6; i++)
        for (tr_sym s = 0; s < 4; s++)
            price(f.r, s, T0 + i * DAY, corr_px[s][i]);
    tr_risk_on_equity(f.r, T0, FX("100000"));
    tr_risk_on_equity(f.r, T0 + HOUR, FX("50000"));
    tr_risk_on_equity(f.r, T0 + DAY, FX("40000"));
    hold(&f.p, 1, "1000", "51.5");
    hold(&f.p, 2, "-1000", "97");
    /* equity 100000 (bought and marked at the same price): 10% at 103 =
     * 97.08 -> 97, although every limit would refuse it. */
    tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "97");
    s = mksig(0, TR_SIGNAL_SELL, -1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_SELL, "97");
    s.qty = FX("100000");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_SELL, "100000");
    /* Brackets still apply. */
    fx_end(&f);
    c.stop_kind = TR_EXIT_PERCENT;
    c.stop_value = 10;
    c.tp_kind = TR_EXIT_RR;
    c.tp_value = 2;
    fx_start(&f, &c, 1, "100000");
    price(f.r, 0, T0, "100");
    s = mksig(0, TR_SIGNAL_BUY, 1);
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_ENTRY(pl, 0, TR_BUY, "100");
    CHECK_EQ_I64(pl.stop, FX("90"));
    CHECK_EQ_I64(pl.take_profit, FX("120"));
    fx_end(&f);
}

/* The first limit that fails is reported, in the order of risk.h's reason
 * list after the halts: the kill switch wins over everything. */
static void test_halt_before_limits(void)
{
    tr_risk_cfg c;
    cfg_open(&c);
    c.kill_switch = 1;
    c.max_order_notional = FX("1");
    fixture f;
    fx_start(&f, &c, 1, "100000");
    /* Even before any price: the halt is the reason, not "not ready". */
    tr_signal s = mksig(0, TR_SIGNAL_BUY, 1);
    tr_risk_plan pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_KILL_SWITCH);
    price(f.r, 0, T0, "50");
    pl = plan(f.r, &s, &f.p, 0);
    CHECK_REFUSED(pl, TR_RISK_KILL_SWITCH);
    fx_end(&f);
}

int main(void)
{
    test_defaults();
    test_reason_names();
    test_sizing_fixed();
    test_sizing_percent();
    test_sizing_risk();
    test_sizing_atr();
    test_exit_prices();
    test_kill_switch();
    test_daily_loss();
    test_drawdown();
    test_max_position();
    test_max_open_positions();
    test_buying_power();
    test_portfolio_risk();
    test_correlation();
    test_order_notional();
    test_sizing_refusals();
    test_nothing_to_do();
    test_disabled();
    test_halt_before_limits();
    return test_summary();
}
