/* test_portfolio.c: the portfolio's exact accounting and the round-trip
 * trade log, against numbers computed by hand (port/portfolio.h).
 *
 * Every amount below is written as decimal text and parsed, so each expected
 * value is the exact tr_fx the hand calculation gives; nothing is compared
 * with a tolerance. After every operation the accounting identity
 *
 *   cash + sum(mv) = initial + realized + sum(mv - cost) - commissions
 *
 * is checked by tr_portfolio_check and, independently, by this file. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fixed.h"
#include "port/portfolio.h"
#include "test.h"

#define DAY (INT64_C(86400) * INT64_C(1000000000))

/* The tr_fx of decimal text; aborts the test on a typo. */
static tr_fx FX(const char *s)
{
    tr_fx v = 0;
    if (tr_fx_parse(s, strlen(s), &v) != TR_OK) {
        fprintf(stderr, "bad number in test: %s\n", s);
        abort();
    }
    return v;
}

static tr_fill mkfill(tr_sym sym, tr_side side, const char *qty,
                      const char *price, const char *comm, tr_time t)
{
    tr_fill f;
    memset(&f, 0, sizeof f);
    f.order_id = 1;
    f.sym = sym;
    f.side = side;
    f.role = TR_ROLE_ENTRY;
    f.qty = FX(qty);
    f.price = FX(price);
    f.commission = FX(comm);
    f.time = t;
    return f;
}

/* The identity of portfolio.h recomputed here from the positions. */
static int identity_holds(const tr_portfolio *p)
{
    tr_fx mv = 0, cost = 0, realized = 0, comm = 0;
    for (size_t i = 0; i < p->nsyms; i++) {
        mv += p->pos[i].mv;
        cost += p->pos[i].cost;
        realized += p->pos[i].realized;
        comm += p->pos[i].commission;
    }
    return mv == p->mv_total && realized == p->realized &&
           comm == p->commissions &&
           tr_portfolio_equity(p) ==
               p->initial_cash + realized + (mv - cost) - comm;
}

#define CHECK_BOTH(p)                                                          \
    do {                                                                       \
        CHECK(tr_portfolio_check(p));                                          \
        CHECK(identity_holds(p));                                              \
    } while (0)

/* ---- the hand-computed tape ---------------------------------------------
 *
 *  step                       qty   cost   last  mv     realized comm cash
 *  start                        0      0     -     0        0      0  10000
 *  buy 100 @ 10, comm 1       100   1000    10  1000        0      1   8999
 *  sell 40 @ 12, comm 1        60    600    12   720       80      2   9478
 *     (removed cost 1000*40/100 = 400; realized 480 - 400 = 80)
 *  sell 100 @ 11, comm 2      -40   -440    11  -440      140      4  10576
 *     (closes 60: removed 600, realized 660 - 600 = 60; opens short 40,
 *      cost -(1100 - 660) = -440)
 *  mark 10.5                  -40   -440  10.5  -420      140      4  10576
 *  buy 40 @ 9, comm 1           0      0     9     0      220      5  10215
 *     (covers: realized = 440 - 360 = 80)
 *
 *  equity = cash + mv: 9999, 10198, 10136, 10156, 10215. */
static void test_hand_tape(void)
{
    tr_portfolio p;
    CHECK_EQ_I64(tr_portfolio_init(&p, FX("10000"), 2), TR_OK);
    CHECK_EQ_I64(p.initial_cash, FX("10000"));
    CHECK_EQ_I64(p.cash, FX("10000"));
    CHECK_EQ_I64(tr_portfolio_equity(&p), FX("10000"));
    CHECK_EQ_I64(p.open_positions, 0);
    CHECK_BOTH(&p);

    tr_fx r = -1;
    tr_fill f = mkfill(0, TR_BUY, "100", "10", "1", 1 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(r, 0);
    CHECK_EQ_I64(p.pos[0].qty, FX("100"));
    CHECK_EQ_I64(p.pos[0].cost, FX("1000"));
    CHECK_EQ_I64(p.pos[0].last, FX("10"));
    CHECK_EQ_I64(p.pos[0].mv, FX("1000"));
    CHECK_EQ_I64(p.pos[0].realized, 0);
    CHECK_EQ_I64(p.pos[0].commission, FX("1"));
    CHECK_EQ_I64(p.cash, FX("8999"));
    CHECK_EQ_I64(tr_portfolio_equity(&p), FX("9999"));
    CHECK_EQ_I64(p.gross, FX("1000"));
    CHECK_EQ_I64(p.open_positions, 1);
    CHECK_BOTH(&p);

    f = mkfill(0, TR_SELL, "40", "12", "1", 2 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(r, FX("80"));
    CHECK_EQ_I64(p.pos[0].qty, FX("60"));
    CHECK_EQ_I64(p.pos[0].cost, FX("600"));
    CHECK_EQ_I64(p.pos[0].mv, FX("720"));
    CHECK_EQ_I64(p.pos[0].realized, FX("80"));
    CHECK_EQ_I64(p.realized, FX("80"));
    CHECK_EQ_I64(p.commissions, FX("2"));
    CHECK_EQ_I64(p.cash, FX("9478"));
    CHECK_EQ_I64(tr_portfolio_equity(&p), FX("10198"));
    CHECK_EQ_I64(p.open_positions, 1);
    CHECK_BOTH(&p);

    /* Reversal: closes 60 (realizes 60), opens a short of 40. */
    f = mkfill(0, TR_SELL, "100", "11", "2", 3 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(r, FX("60"));
    CHECK_EQ_I64(p.pos[0].qty, FX("-40"));
    CHECK_EQ_I64(p.pos[0].cost, FX("-440"));
    CHECK_EQ_I64(p.pos[0].mv, FX("-440"));
    CHECK_EQ_I64(p.pos[0].realized, FX("140"));
    CHECK_EQ_I64(p.realized, FX("140"));
    CHECK_EQ_I64(p.commissions, FX("4"));
    CHECK_EQ_I64(p.cash, FX("10576"));
    CHECK_EQ_I64(tr_portfolio_equity(&p), FX("10136"));
    CHECK_EQ_I64(p.gross, FX("440"));
    CHECK_EQ_I64(p.open_positions, 1);
    CHECK_BOTH(&p);

    CHECK_EQ_I64(tr_portfolio_mark(&p, 0, FX("10.5")), TR_OK);
    CHECK_EQ_I64(p.pos[0].last, FX("10.5"));
    CHECK_EQ_I64(p.pos[0].mv, FX("-420"));
    CHECK_EQ_I64(p.mv_total, FX("-420"));
    CHECK_EQ_I64(p.gross, FX("420"));
    CHECK_EQ_I64(p.cash, FX("10576"));
    CHECK_EQ_I64(tr_portfolio_equity(&p), FX("10156"));
    CHECK_BOTH(&p);

    /* Cover the short at 9: realizes 440 - 360 = 80. */
    f = mkfill(0, TR_BUY, "40", "9", "1", 4 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(r, FX("80"));
    CHECK_EQ_I64(p.pos[0].qty, 0);
    CHECK_EQ_I64(p.pos[0].cost, 0);
    CHECK_EQ_I64(p.pos[0].mv, 0);
    CHECK_EQ_I64(p.pos[0].realized, FX("220"));
    CHECK_EQ_I64(p.pos[0].commission, FX("5"));
    CHECK_EQ_I64(p.realized, FX("220"));
    CHECK_EQ_I64(p.commissions, FX("5"));
    CHECK_EQ_I64(p.cash, FX("10215"));
    CHECK_EQ_I64(tr_portfolio_equity(&p), FX("10215"));
    CHECK_EQ_I64(p.gross, 0);
    CHECK_EQ_I64(p.mv_total, 0);
    CHECK_EQ_I64(p.open_positions, 0);
    CHECK_BOTH(&p);
    /* Flat: equity = initial + realized - commissions. */
    CHECK_EQ_I64(tr_portfolio_equity(&p),
                 p.initial_cash + p.realized - p.commissions);

    /* realized_out may be NULL. */
    f = mkfill(1, TR_BUY, "1", "5", "0", 5 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, NULL), TR_OK);
    CHECK_EQ_I64(p.cash, FX("10210"));
    CHECK_BOTH(&p);
    tr_portfolio_free(&p);
}

/* Two instruments at once: the totals are sums over positions, a short
 * adds cash, gross counts |mv|.
 *
 *  buy 10 sym0 @ 100 comm 0.5:  cash 5000 - 1000 - 0.5 = 3999.5
 *  sell 20 sym1 @ 50 comm 0.25: cash 3999.5 + 1000 - 0.25 = 4999.25
 *  mark sym0 110 (mv 1100), sym1 55 (mv -1100)
 *  mv_total 0, gross 2200, equity 4999.25
 *  = 5000 + 0 + (1100 - 1000) + (-1100 + 1000) - 0.75 */
static void test_two_symbols(void)
{
    tr_portfolio p;
    CHECK_EQ_I64(tr_portfolio_init(&p, FX("5000"), 3), TR_OK);
    tr_fill f = mkfill(0, TR_BUY, "10", "100", "0.5", DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, NULL), TR_OK);
    f = mkfill(1, TR_SELL, "20", "50", "0.25", DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, NULL), TR_OK);
    CHECK_EQ_I64(p.cash, FX("4999.25"));
    CHECK_EQ_I64(p.pos[1].qty, FX("-20"));
    CHECK_EQ_I64(p.pos[1].cost, FX("-1000"));
    CHECK_EQ_I64(p.open_positions, 2);
    CHECK_BOTH(&p);
    CHECK_EQ_I64(tr_portfolio_mark(&p, 0, FX("110")), TR_OK);
    CHECK_EQ_I64(tr_portfolio_mark(&p, 1, FX("55")), TR_OK);
    CHECK_EQ_I64(p.mv_total, 0);
    CHECK_EQ_I64(p.gross, FX("2200"));
    CHECK_EQ_I64(tr_portfolio_equity(&p), FX("4999.25"));
    CHECK_EQ_I64(p.commissions, FX("0.75"));
    CHECK_BOTH(&p);
    /* Marking a flat instrument changes nothing but its last price. */
    CHECK_EQ_I64(tr_portfolio_mark(&p, 2, FX("7")), TR_OK);
    CHECK_EQ_I64(p.pos[2].mv, 0);
    CHECK_EQ_I64(p.open_positions, 2);
    CHECK_BOTH(&p);
    tr_portfolio_free(&p);
}

/* Proportional cost that does not divide evenly.
 *
 *  buy 1 @ 10 and 2 @ 10.00000001: qty 3, cost 30.00000002
 *  sell 1 @ 11: removed = 30.00000002 / 3 = 10.0000000066.. -> 10.00000001
 *               realized 0.99999999, cost left 20.00000001
 *  sell 1 @ 11: removed = 20.00000001 / 2 = 10.000000005 -> 10.00000000
 *               (half to even), realized 1, cost left 10.00000001
 *  sell 1 @ 11: removed = 10.00000001, realized 0.99999999, cost 0
 *  realized in all 2.99999998 = 33 - 30.00000002: no unit leaked. */
static void test_awkward_cost(void)
{
    tr_portfolio p;
    CHECK_EQ_I64(tr_portfolio_init(&p, FX("1000"), 1), TR_OK);
    tr_fx r;
    tr_fill f = mkfill(0, TR_BUY, "1", "10", "0", DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    f = mkfill(0, TR_BUY, "2", "10.00000001", "0", DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(p.pos[0].qty, FX("3"));
    CHECK_EQ_I64(p.pos[0].cost, FX("30.00000002"));
    CHECK_EQ_I64(p.cash, FX("969.99999998"));
    CHECK_BOTH(&p);

    f = mkfill(0, TR_SELL, "1", "11", "0", 2 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(r, FX("0.99999999"));
    CHECK_EQ_I64(p.pos[0].cost, FX("20.00000001"));
    CHECK_EQ_I64(p.pos[0].qty, FX("2"));
    CHECK_BOTH(&p);

    f = mkfill(0, TR_SELL, "1", "11", "0", 3 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(r, FX("1"));
    CHECK_EQ_I64(p.pos[0].cost, FX("10.00000001"));
    CHECK_BOTH(&p);

    f = mkfill(0, TR_SELL, "1", "11", "0", 4 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(r, FX("0.99999999"));
    CHECK_EQ_I64(p.pos[0].cost, 0);
    CHECK_EQ_I64(p.pos[0].qty, 0);
    CHECK_EQ_I64(p.realized, FX("2.99999998"));
    CHECK_EQ_I64(p.cash, FX("1002.99999998"));
    CHECK_EQ_I64(tr_portfolio_equity(&p), FX("1002.99999998"));
    CHECK_BOTH(&p);

    /* The same on the short side, fractional quantities, a reversal in
     * the middle: sell 3 @ 7.00000001 (cost -21.00000003), buy 1.5 @ 6:
     * removed = -21.00000003 * 1.5 / 3 = -10.500000015 -> -10.50000002
     * (half to even), realized 10.50000002 - 9 = 1.50000002, cost left
     * -10.50000001; buy 2.5 @ 6.5 covers 1.5 (removed -10.50000001,
     * realized 10.50000001 - 9.75 = 0.75000001) and opens long 1 (cost
     * 16.25 - 9.75 = 6.5). */
    tr_portfolio_free(&p);
    CHECK_EQ_I64(tr_portfolio_init(&p, FX("100"), 1), TR_OK);
    f = mkfill(0, TR_SELL, "3", "7.00000001", "0", DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(p.pos[0].cost, FX("-21.00000003"));
    f = mkfill(0, TR_BUY, "1.5", "6", "0", 2 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(r, FX("1.50000002"));
    CHECK_EQ_I64(p.pos[0].cost, FX("-10.50000001"));
    CHECK_EQ_I64(p.pos[0].qty, FX("-1.5"));
    CHECK_BOTH(&p);
    f = mkfill(0, TR_BUY, "2.5", "6.5", "0", 3 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_OK);
    CHECK_EQ_I64(r, FX("0.75000001"));
    CHECK_EQ_I64(p.pos[0].qty, FX("1"));
    CHECK_EQ_I64(p.pos[0].cost, FX("6.5"));
    CHECK_EQ_I64(p.realized, FX("2.25000003"));
    /* cash 100 + 21.00000003 - 9 - 16.25 = 95.75000003 */
    CHECK_EQ_I64(p.cash, FX("95.75000003"));
    CHECK_BOTH(&p);
    tr_portfolio_free(&p);
}

/* A copy with its own position array, to corrupt. */
static void clone(const tr_portfolio *src, tr_portfolio *dst,
                  tr_position *pos)
{
    *dst = *src;
    memcpy(pos, src->pos, src->nsyms * sizeof *pos);
    dst->pos = pos;
}

static void test_check_detects_corruption(void)
{
    tr_portfolio p;
    CHECK_EQ_I64(tr_portfolio_init(&p, FX("10000"), 2), TR_OK);
    tr_fill f = mkfill(0, TR_BUY, "100", "10", "1", DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, NULL), TR_OK);
    f = mkfill(0, TR_SELL, "30", "12", "1", 2 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, NULL), TR_OK);
    f = mkfill(1, TR_SELL, "5", "20", "0.5", 2 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, NULL), TR_OK);
    CHECK_EQ_I64(tr_portfolio_mark(&p, 1, FX("19")), TR_OK);
    CHECK(tr_portfolio_check(&p));

    tr_portfolio c;
    tr_position pos[2];
    static const char *const what[] = {
        "cash",       "initial_cash",   "realized",      "commissions",
        "mv_total",   "gross",          "open_positions", "pos.qty",
        "pos.cost",   "pos.last",       "pos.mv",        "pos.realized",
        "pos.commission", "flat pos with cost",
    };
    for (size_t k = 0; k < sizeof what / sizeof what[0]; k++) {
        clone(&p, &c, pos);
        CHECK_MSG(tr_portfolio_check(&c), "clone before corrupting %s",
                  what[k]);
        switch (k) {
        case 0: c.cash += 1; break;
        case 1: c.initial_cash -= 1; break;
        case 2: c.realized += 1; break;
        case 3: c.commissions += 1; break;
        case 4: c.mv_total += 1; break;
        case 5: c.gross += 1; break;
        case 6: c.open_positions += 1; break;
        case 7: pos[0].qty += 1; break;
        case 8: pos[0].cost += 1; break;
        case 9: pos[1].last += 1; break;
        case 10: pos[1].mv -= 1; break;
        case 11: pos[0].realized += 1; break;
        case 12: pos[1].commission += 1; break;
        case 13:
            /* sym 1 flattened by hand but a cost left behind */
            c.mv_total -= pos[1].mv;
            c.gross -= pos[1].mv < 0 ? -pos[1].mv : pos[1].mv;
            c.open_positions -= 1;
            pos[1].qty = 0;
            pos[1].mv = 0;
            break;
        }
        CHECK_MSG(!tr_portfolio_check(&c), "check must fail after corrupting %s",
                  what[k]);
    }
    tr_portfolio_free(&p);
}

static int same_portfolio(const tr_portfolio *a, const tr_portfolio *b,
                          const tr_position *saved)
{
    return a->initial_cash == b->initial_cash && a->cash == b->cash &&
           a->realized == b->realized && a->commissions == b->commissions &&
           a->mv_total == b->mv_total && a->gross == b->gross &&
           a->open_positions == b->open_positions && a->nsyms == b->nsyms &&
           memcmp(a->pos, saved, a->nsyms * sizeof *saved) == 0;
}

static void test_overflow(void)
{
    tr_portfolio p, before;
    tr_position saved[2];
    CHECK_EQ_I64(tr_portfolio_init(&p, FX("1000000000"), 2), TR_OK);
    tr_fill f = mkfill(0, TR_BUY, "1500000", "1", "1", DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, NULL), TR_OK);
    CHECK(tr_portfolio_check(&p));

    /* The fill's own notional leaves the range: 1e6 x 1e5 = 1e11. */
    before = p;
    memcpy(saved, p.pos, sizeof saved);
    tr_fx r = 12345;
    f = mkfill(1, TR_BUY, "1000000", "100000", "1", 2 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_ERR_RANGE);
    CHECK_MSG(same_portfolio(&p, &before, saved),
              "portfolio changed by a fill whose notional overflows");
    CHECK(tr_portfolio_check(&p));

    /* Same for a sell (a short that would open beyond the range). */
    f = mkfill(1, TR_SELL, "1000000", "100000", "1", 2 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_ERR_RANGE);
    CHECK_MSG(same_portfolio(&p, &before, saved),
              "portfolio changed by a short whose notional overflows");

    /* The fill's notional fits (1e6 x 5e4 = 5e10) but the position it
     * leaves does not: 2.5e6 x 5e4 = 1.25e11 of market value. */
    f = mkfill(0, TR_BUY, "1000000", "50000", "1", 2 * DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, &r), TR_ERR_RANGE);
    CHECK_MSG(same_portfolio(&p, &before, saved),
              "portfolio changed by a fill whose resulting market value "
              "overflows: cash %" PRId64 " (was %" PRId64 "), commissions "
              "%" PRId64 " (was %" PRId64 ")",
              p.cash, before.cash, p.commissions, before.commissions);
    CHECK_MSG(tr_portfolio_check(&p),
              "accounting identity broken after a refused fill");

    /* A mark that overflows: refused, nothing changes. */
    tr_portfolio_free(&p);
    CHECK_EQ_I64(tr_portfolio_init(&p, FX("1000000000"), 2), TR_OK);
    f = mkfill(0, TR_BUY, "1500000", "1", "1", DAY);
    CHECK_EQ_I64(tr_portfolio_fill(&p, &f, NULL), TR_OK);
    before = p;
    memcpy(saved, p.pos, sizeof saved);
    CHECK_EQ_I64(tr_portfolio_mark(&p, 0, FX("90000")), TR_ERR_RANGE);
    CHECK_MSG(same_portfolio(&p, &before, saved),
              "portfolio changed by a mark that overflows");
    CHECK(tr_portfolio_check(&p));
    /* And it still works afterwards. */
    CHECK_EQ_I64(tr_portfolio_mark(&p, 0, FX("2")), TR_OK);
    CHECK_EQ_I64(tr_portfolio_equity(&p), FX("1000000000") - FX("1") +
                                              FX("1500000"));
    CHECK(tr_portfolio_check(&p));
    tr_portfolio_free(&p);
}

/* ---- trade log ------------------------------------------------------------ */

typedef struct book {
    tr_portfolio p;
    tr_trade_log t;
} book;

static void book_init(book *b, const char *cash, size_t nsyms)
{
    CHECK_EQ_I64(tr_portfolio_init(&b->p, FX(cash), nsyms), TR_OK);
    CHECK_EQ_I64(tr_trade_log_init(&b->t, nsyms), TR_OK);
}

static void book_free(book *b)
{
    tr_portfolio_free(&b->p);
    tr_trade_log_free(&b->t);
}

/* A fill the way the engine applies it. */
static void apply(book *b, tr_fill f)
{
    tr_fx before = b->p.pos[f.sym].qty, realized = 0;
    CHECK_EQ_I64(tr_portfolio_fill(&b->p, &f, &realized), TR_OK);
    CHECK_EQ_I64(tr_trade_log_fill(&b->t, &f, before, realized), TR_OK);
    CHECK_BOTH(&b->p);
}

/* The end of a bar: mark at the close, count the bar. */
static void bar_end(book *b, tr_sym sym, const char *close)
{
    CHECK_EQ_I64(tr_portfolio_mark(&b->p, sym, FX(close)), TR_OK);
    tr_trade_log_bar(&b->t, sym);
    CHECK_BOTH(&b->p);
}

/* Long round trip with an add and a partial close.
 *
 *  bar 1: buy 100 @ 10 (comm 1)            close 10.5
 *  bar 2: buy 50 @ 13 (comm 1)             close 13
 *         entry = (1000 + 650) / 150 = 11, size 150
 *  bar 3: sell 50 @ 14 (comm 1)            close 14
 *         removed 1650 * 50/150 = 550, realized 700 - 550 = 150
 *  bar 4: sell 100 @ 12 (comm 1): closed   close 12
 *         removed 1100, realized 100
 *  trade: long 150, entry 11, exit (700 + 1200)/150 = 12.66666667,
 *         pnl 150 + 100 - 4 = 246, commission 4, 3 bars (1, 2, 3). */
static void test_trade_long_round_trip(void)
{
    book b;
    book_init(&b, "100000", 2);
    apply(&b, mkfill(0, TR_BUY, "100", "10", "1", 1 * DAY));
    bar_end(&b, 0, "10.5");
    CHECK_EQ_I64(b.t.n, 0);
    apply(&b, mkfill(0, TR_BUY, "50", "13", "1", 2 * DAY));
    bar_end(&b, 0, "13");
    apply(&b, mkfill(0, TR_SELL, "50", "14", "1", 3 * DAY));
    bar_end(&b, 0, "14");
    CHECK_EQ_I64(b.t.n, 0); /* a partial close keeps the trade open */
    apply(&b, mkfill(0, TR_SELL, "100", "12", "1", 4 * DAY));
    bar_end(&b, 0, "12");
    bar_end(&b, 0, "12.5"); /* flat: not counted */
    CHECK_EQ_I64(b.t.n, 1);
    if (b.t.n >= 1) {
        const tr_trade *t = &b.t.v[0];
        CHECK_EQ_I64(t->sym, 0);
        CHECK_EQ_I64(t->side, TR_BUY);
        CHECK_EQ_I64(t->qty, FX("150"));
        CHECK_EQ_I64(t->entry_time, 1 * DAY);
        CHECK_EQ_I64(t->entry_price, FX("11"));
        CHECK_EQ_I64(t->exit_time, 4 * DAY);
        CHECK_EQ_I64(t->exit_price, FX("12.66666667"));
        CHECK_EQ_I64(t->pnl, FX("246"));
        CHECK_EQ_I64(t->commission, FX("4"));
        CHECK_EQ_I64(t->bars, 3);
        CHECK_EQ_I64(t->open, 0);
    }
    /* The trade's P&L is the whole change of equity. */
    CHECK_EQ_I64(tr_portfolio_equity(&b.p) - b.p.initial_cash, FX("246"));
    CHECK_EQ_I64(tr_trade_log_finish(&b.t, &b.p), TR_OK);
    CHECK_EQ_I64(b.t.n, 1); /* nothing open */
    book_free(&b);
}

/* Short, reversed into a long that stays open.
 *
 *  bar 5: sell 30 @ 20 (comm 0.6)          close 19
 *  bar 6: buy 50 @ 18 (comm 1): covers 30 (realized 600 - 540 = 60,
 *         commission share 1 x 30/50 = 0.6) and opens long 20 @ 18 with
 *         commission 0.4                   close 18.5
 *  bar 7: -                                close 19
 *  short trade: qty 30, entry 20, exit 18, pnl 60 - 1.2 = 58.8, comm 1.2,
 *               1 bar (bar 5)
 *  open long after finish: qty 20, entry 18, pnl -0.4 + (380 - 360) = 19.6,
 *               comm 0.4, bars 2 (6, 7), open. */
static void test_trade_reversal_and_open(void)
{
    book b;
    book_init(&b, "100000", 1);
    apply(&b, mkfill(0, TR_SELL, "30", "20", "0.6", 5 * DAY));
    bar_end(&b, 0, "19");
    apply(&b, mkfill(0, TR_BUY, "50", "18", "1", 6 * DAY));
    bar_end(&b, 0, "18.5");
    bar_end(&b, 0, "19");
    CHECK_EQ_I64(b.t.n, 1);
    if (b.t.n >= 1) {
        const tr_trade *t = &b.t.v[0];
        CHECK_EQ_I64(t->side, TR_SELL);
        CHECK_EQ_I64(t->qty, FX("30"));
        CHECK_EQ_I64(t->entry_time, 5 * DAY);
        CHECK_EQ_I64(t->entry_price, FX("20"));
        CHECK_EQ_I64(t->exit_time, 6 * DAY);
        CHECK_EQ_I64(t->exit_price, FX("18"));
        CHECK_EQ_I64(t->commission, FX("1.2"));
        CHECK_EQ_I64(t->pnl, FX("58.8"));
        CHECK_EQ_I64(t->bars, 1);
        CHECK_EQ_I64(t->open, 0);
    }
    CHECK_EQ_I64(tr_trade_log_finish(&b.t, &b.p), TR_OK);
    CHECK_EQ_I64(b.t.n, 2);
    if (b.t.n >= 2) {
        const tr_trade *t = &b.t.v[1];
        CHECK_EQ_I64(t->side, TR_BUY);
        CHECK_EQ_I64(t->qty, FX("20"));
        CHECK_EQ_I64(t->entry_time, 6 * DAY);
        CHECK_EQ_I64(t->entry_price, FX("18"));
        CHECK_EQ_I64(t->commission, FX("0.4"));
        CHECK_EQ_I64(t->pnl, FX("19.6"));
        CHECK_EQ_I64(t->bars, 2);
        CHECK_EQ_I64(t->open, 1);
        /* closed + open P&L = equity - initial */
        CHECK_EQ_I64(b.t.v[0].pnl + t->pnl,
                     tr_portfolio_equity(&b.p) - b.p.initial_cash);
    }
    book_free(&b);
}

/* A reversal whose commission does not split evenly: the two shares
 * still add up to the whole, and the trades' P&L to the equity change.
 *
 *  buy 1 @ 10 (comm 0), sell 3 @ 11 (comm 1): closes 1 (share
 *  1 x 1/3 = 0.33333333), opens short 2 (share 0.66666667).
 *  closed trade pnl 1 - 0.33333333 = 0.66666667.
 *  buy 2 @ 10.5 (comm 0.1): covers; pnl 1 - 0.66666667 - 0.1 = 0.23333333 */
static void test_trade_uneven_commission_split(void)
{
    book b;
    book_init(&b, "1000", 1);
    apply(&b, mkfill(0, TR_BUY, "1", "10", "0", 1 * DAY));
    bar_end(&b, 0, "10");
    apply(&b, mkfill(0, TR_SELL, "3", "11", "1", 2 * DAY));
    bar_end(&b, 0, "11");
    CHECK_EQ_I64(b.t.n, 1);
    apply(&b, mkfill(0, TR_BUY, "2", "10.5", "0.1", 3 * DAY));
    bar_end(&b, 0, "10.5");
    CHECK_EQ_I64(b.t.n, 2);
    if (b.t.n >= 2) {
        CHECK_EQ_I64(b.t.v[0].commission, FX("0.33333333"));
        CHECK_EQ_I64(b.t.v[0].pnl, FX("0.66666667"));
        CHECK_EQ_I64(b.t.v[1].side, TR_SELL);
        CHECK_EQ_I64(b.t.v[1].qty, FX("2"));
        CHECK_EQ_I64(b.t.v[1].entry_price, FX("11"));
        CHECK_EQ_I64(b.t.v[1].exit_price, FX("10.5"));
        CHECK_EQ_I64(b.t.v[1].commission, FX("0.76666667"));
        CHECK_EQ_I64(b.t.v[1].pnl, FX("0.23333333"));
        CHECK_EQ_I64(b.t.v[0].commission + b.t.v[1].commission, FX("1.1"));
        CHECK_EQ_I64(b.t.v[0].pnl + b.t.v[1].pnl,
                     tr_portfolio_equity(&b.p) - b.p.initial_cash);
    }
    book_free(&b);
}

/* Several instruments interleaved; the log keeps one open trade per
 * instrument, closed trades in the order they closed. */
static void test_trade_interleaved(void)
{
    book b;
    book_init(&b, "50000", 3);
    apply(&b, mkfill(0, TR_BUY, "10", "100", "1", 1 * DAY));
    apply(&b, mkfill(1, TR_SELL, "20", "50", "1", 1 * DAY));
    bar_end(&b, 0, "101");
    bar_end(&b, 1, "49");
    bar_end(&b, 2, "30"); /* flat: nothing counted */
    apply(&b, mkfill(1, TR_BUY, "20", "48", "1", 2 * DAY)); /* +40 - 2 */
    bar_end(&b, 0, "102");
    bar_end(&b, 1, "48");
    apply(&b, mkfill(2, TR_BUY, "5", "30", "0", 3 * DAY));
    bar_end(&b, 0, "99");
    bar_end(&b, 2, "31");
    apply(&b, mkfill(0, TR_SELL, "10", "99", "1", 4 * DAY)); /* -10 - 2 */
    bar_end(&b, 0, "99");
    bar_end(&b, 2, "32");
    CHECK_EQ_I64(b.t.n, 2);
    if (b.t.n >= 2) {
        CHECK_EQ_I64(b.t.v[0].sym, 1);
        CHECK_EQ_I64(b.t.v[0].pnl, FX("38"));
        CHECK_EQ_I64(b.t.v[0].bars, 1);
        CHECK_EQ_I64(b.t.v[1].sym, 0);
        CHECK_EQ_I64(b.t.v[1].pnl, FX("-12"));
        CHECK_EQ_I64(b.t.v[1].bars, 3);
        CHECK_EQ_I64(b.t.v[1].exit_price, FX("99"));
    }
    CHECK_EQ_I64(tr_trade_log_finish(&b.t, &b.p), TR_OK);
    CHECK_EQ_I64(b.t.n, 3);
    if (b.t.n >= 3) {
        CHECK_EQ_I64(b.t.v[2].sym, 2);
        CHECK_EQ_I64(b.t.v[2].open, 1);
        CHECK_EQ_I64(b.t.v[2].pnl, FX("10")); /* 5 x (32 - 30) */
        CHECK_EQ_I64(b.t.v[2].bars, 2);
        tr_fx sum = 0;
        for (size_t i = 0; i < b.t.n; i++)
            sum += b.t.v[i].pnl;
        CHECK_EQ_I64(sum, tr_portfolio_equity(&b.p) - b.p.initial_cash);
    }
    book_free(&b);
}

int main(void)
{
    test_hand_tape();
    test_two_symbols();
    test_awkward_cost();
    test_check_detects_corruption();
    test_overflow();
    test_trade_long_round_trip();
    test_trade_reversal_and_open();
    test_trade_uneven_commission_split();
    test_trade_interleaved();
    return test_summary();
}
