/* test_paper.c: the fill model as tapes of operations and expected results.
 *
 *   opts KEY=VALUE ...           broker options (before the first order)
 *   submit ID SIDE TYPE QTY [limit=P] [stop=P] [tif=T] [trail=A] [trail%=P]
 *                               [role=exit]
 *   bracket ID SIDE QTY stop=S tp=T [limit=P]  entry ID, legs ID+1, ID+2
 *   cancel ID
 *   replace ID NEW_ID [qty=Q] [limit=P] [stop=P]
 *   close                                      the current day's session ends
 *   bar OPEN HIGH LOW CLOSE [VOLUME]           the next day's bar
 *   fill ID QTY PRICE [COMMISSION]             the next fill, in order
 *   status ID NAME
 *   pos QTY                                    broker position
 *
 * Every fill must be expected: a bar with fills left unexpected fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "exec/paper.h"
#include "test.h"

#define MAXF 64

typedef struct tape {
    const char *name;
    tr_paper_opts opts;
    tr_paper *b;
    tr_fill fills[MAXF];
    size_t nfills, next_fill;
    tr_bar last;
    int have_last;
    tr_time day;
    int line;
} tape;

static void on_fill(void *ctx, const tr_order *o, const tr_fill *f)
{
    tape *t = ctx;
    (void)o;
    if (t->nfills < MAXF)
        t->fills[t->nfills++] = *f;
}

static tr_fx fxv(const char *s)
{
    tr_fx v = 0;
    if (tr_fx_parse(s, strlen(s), &v) != TR_OK)
        fprintf(stderr, "bad number in tape: %s\n", s);
    return v;
}

static void ensure_broker(tape *t)
{
    if (!t->b) {
        tr_paper_events ev = {t, NULL, on_fill};
        t->b = tr_paper_new(&t->opts, 1, &ev);
    }
}

static int expect_fills_done(tape *t)
{
    return CHECK_MSG(t->next_fill == t->nfills,
                     "%s:%d: %zu unexpected fill(s), first: order %llu qty %g "
                     "@ %g", t->name, t->line, t->nfills - t->next_fill,
                     t->next_fill < t->nfills
                         ? (unsigned long long)t->fills[t->next_fill].order_id
                         : 0ULL,
                     t->next_fill < t->nfills
                         ? tr_fx_to_double(t->fills[t->next_fill].qty) : 0.0,
                     t->next_fill < t->nfills
                         ? tr_fx_to_double(t->fills[t->next_fill].price) : 0.0);
}

static tr_order_status status_of(const char *s)
{
    for (int k = TR_ORD_NEW; k <= TR_ORD_REPLACED; k++)
        if (!strcmp(tr_order_status_name((tr_order_status)k), s))
            return (tr_order_status)k;
    return (tr_order_status)-1;
}

static void order_opt(tr_order *o, const char *kv)
{
    if (!strncmp(kv, "limit=", 6)) o->limit_price = fxv(kv + 6);
    else if (!strncmp(kv, "stop=", 5)) o->stop_price = fxv(kv + 5);
    else if (!strncmp(kv, "trail=", 6)) o->trail_amount = fxv(kv + 6);
    else if (!strncmp(kv, "trail%=", 7)) o->trail_percent = fxv(kv + 7);
    else if (!strcmp(kv, "role=exit")) o->role = TR_ROLE_EXIT;
    else if (!strcmp(kv, "tif=day")) o->tif = TR_TIF_DAY;
    else if (!strcmp(kv, "tif=ioc")) o->tif = TR_TIF_IOC;
    else if (!strcmp(kv, "tif=fok")) o->tif = TR_TIF_FOK;
    else fprintf(stderr, "unknown order option %s\n", kv);
}

static tr_order_type type_of(const char *s)
{
    if (!strcmp(s, "limit")) return TR_ORD_LIMIT;
    if (!strcmp(s, "stop")) return TR_ORD_STOP;
    if (!strcmp(s, "stop_limit")) return TR_ORD_STOP_LIMIT;
    if (!strcmp(s, "trailing")) return TR_ORD_TRAILING_STOP;
    return TR_ORD_MARKET;
}

static void run(const char *name, const char *const *ops)
{
    tape t;
    memset(&t, 0, sizeof t);
    t.name = name;
    tr_time_parse("2024-01-01", 10, &t.day);
    for (int i = 0; ops[i]; i++) {
        t.line = i + 1;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", ops[i]);
        char *w[12] = {0};
        int n = 0;
        for (char *tok = strtok(buf, " "); tok && n < 12; tok = strtok(NULL, " "))
            w[n++] = tok;
        if (!strcmp(w[0], "opts")) {
            for (int k = 1; k < n; k++) {
                char *eq = strchr(w[k], '=');
                *eq = '\0';
                tr_fx v = fxv(eq + 1);
                if (!strcmp(w[k], "volume")) t.opts.max_volume_share = v;
                else if (!strcmp(w[k], "step")) t.opts.qty_step = v;
                else if (!strcmp(w[k], "bps")) t.opts.costs.slippage_bps = v;
                else if (!strcmp(w[k], "ticks")) t.opts.costs.slippage_ticks = v;
                else if (!strcmp(w[k], "per_order")) t.opts.costs.per_order = v;
                else if (!strcmp(w[k], "per_share")) t.opts.costs.per_share = v;
                else if (!strcmp(w[k], "pct")) t.opts.costs.pct = v;
                else if (!strcmp(w[k], "min")) t.opts.costs.minimum = v;
                else if (!strcmp(w[k], "at_close")) t.opts.fill_at_close = v != 0;
            }
        } else if (!strcmp(w[0], "submit") || !strcmp(w[0], "bracket")) {
            ensure_broker(&t);
            int bracket = w[0][0] == 'b';
            tr_order o = {0};
            o.side = !strcmp(w[2], "buy") ? TR_BUY : TR_SELL;
            int k = 3;
            o.type = bracket ? TR_ORD_MARKET : type_of(w[k++]);
            o.qty = fxv(w[k++]);
            tr_fx stop = 0, tp = 0;
            for (; k < n; k++) {
                if (bracket && !strncmp(w[k], "stop=", 5)) stop = fxv(w[k] + 5);
                else if (bracket && !strncmp(w[k], "tp=", 3)) tp = fxv(w[k] + 3);
                else order_opt(&o, w[k]);
            }
            if (bracket && o.limit_price)
                o.type = TR_ORD_LIMIT;
            int rc = bracket ? tr_paper_submit_bracket(t.b, &o, stop, tp, t.day,
                                                       t.have_last ? &t.last : NULL,
                                                       NULL, NULL)
                             : tr_paper_submit(t.b, &o, t.day,
                                               t.have_last ? &t.last : NULL);
            CHECK_MSG(rc == TR_OK && o.id == (uint64_t)atoi(w[1]),
                      "%s:%d: submit gave id %llu rc %d", name, t.line,
                      (unsigned long long)o.id, rc);
        } else if (!strcmp(w[0], "cancel")) {
            CHECK_MSG(tr_paper_cancel(t.b, (uint64_t)atoi(w[1]), t.day) == TR_OK,
                      "%s:%d: cancel", name, t.line);
        } else if (!strcmp(w[0], "replace")) {
            tr_fx q = 0, lim = 0, stp = 0;
            for (int k = 3; k < n; k++) {
                if (!strncmp(w[k], "qty=", 4)) q = fxv(w[k] + 4);
                else if (!strncmp(w[k], "limit=", 6)) lim = fxv(w[k] + 6);
                else if (!strncmp(w[k], "stop=", 5)) stp = fxv(w[k] + 5);
            }
            uint64_t nid = 0;
            int rc = tr_paper_replace(t.b, (uint64_t)atoi(w[1]), q, lim, stp,
                                      t.day, &nid);
            CHECK_MSG(rc == TR_OK && nid == (uint64_t)atoi(w[2]),
                      "%s:%d: replace gave id %llu rc %d", name, t.line,
                      (unsigned long long)nid, rc);
        } else if (!strcmp(w[0], "close")) {
            tr_paper_end_session(t.b, tr_time_day(t.day),
                                 t.day + TR_NS_PER_DAY - 1);
        } else if (!strcmp(w[0], "bar")) {
            ensure_broker(&t);
            expect_fills_done(&t);
            t.day += TR_NS_PER_DAY;
            tr_bar b = {t.day, fxv(w[1]), fxv(w[2]), fxv(w[3]), fxv(w[4]),
                        n > 5 ? fxv(w[5]) : 1000000 * TR_FX_ONE};
            tr_paper_on_bar(t.b, 0, &b);
            t.last = b;
            t.have_last = 1;
        } else if (!strcmp(w[0], "fill")) {
            if (!CHECK_MSG(t.next_fill < t.nfills, "%s:%d: expected a fill, "
                           "none came", name, t.line))
                continue;
            const tr_fill *f = &t.fills[t.next_fill++];
            char got[TR_FX_STRLEN], gotq[TR_FX_STRLEN], gotc[TR_FX_STRLEN];
            tr_fx_format(f->price, got, sizeof got);
            tr_fx_format(f->qty, gotq, sizeof gotq);
            tr_fx_format(f->commission, gotc, sizeof gotc);
            CHECK_MSG(f->order_id == (uint64_t)atoi(w[1]) &&
                          f->qty == fxv(w[2]) && f->price == fxv(w[3]) &&
                          (n < 5 || f->commission == fxv(w[4])),
                      "%s:%d: expected fill %s %s @ %s%s%s, got order %llu "
                      "%s @ %s commission %s", name, t.line, w[1], w[2], w[3],
                      n > 4 ? " commission " : "", n > 4 ? w[4] : "",
                      (unsigned long long)f->order_id, gotq, got, gotc);
        } else if (!strcmp(w[0], "status")) {
            const tr_order *o = tr_paper_order(t.b, (uint64_t)atoi(w[1]));
            CHECK_MSG(o && o->status == status_of(w[2]),
                      "%s:%d: order %s status %s, expected %s", name, t.line,
                      w[1], o ? tr_order_status_name(o->status) : "(none)",
                      w[2]);
        } else if (!strcmp(w[0], "pos")) {
            tr_fx p = tr_paper_position(t.b, 0);
            CHECK_MSG(p == fxv(w[1]), "%s:%d: position %g, expected %s", name,
                      t.line, tr_fx_to_double(p), w[1]);
        } else {
            fprintf(stderr, "%s:%d: unknown tape op %s\n", name, t.line, w[0]);
            CHECK(0);
        }
    }
    expect_fills_done(&t);
    tr_paper_free(t.b);
}

#define TAPE(name, ...)                                                        \
    do {                                                                       \
        static const char *const ops_[] = {__VA_ARGS__, NULL};                 \
        run(name, ops_);                                                       \
    } while (0)

int main(void)
{
    TAPE("market fills at the next open, not on the submit bar",
         "bar 10 11 9 10.5", "submit 1 buy market 100", "status 1 accepted",
         "pos 0", "bar 10.8 11.2 10.1 11", "fill 1 100 10.8",
         "status 1 filled", "pos 100");
    TAPE("fill at the signal bar's close when configured",
         "opts at_close=1", "bar 10 11 9 10.5", "submit 1 buy market 100",
         "fill 1 100 10.5", "pos 100", "bar 12 12 12 12");
    TAPE("buy limit touched fills at the limit",
         "submit 1 buy limit 50 limit=9.5", "bar 10 10.5 9.5 10",
         "fill 1 50 9.5");
    TAPE("buy limit not reached does not fill, then gaps below and fills at "
         "the open",
         "submit 1 buy limit 50 limit=9.5", "bar 10 10.5 9.51 10",
         "status 1 accepted", "bar 9.2 9.8 9 9.6", "fill 1 50 9.2");
    TAPE("sell limit touched but not crossed still fills (touching counts)",
         "submit 1 sell limit 10 limit=12", "bar 11 12 10 11",
         "fill 1 10 12");
    TAPE("sell stop gapped through fills at the open, not at the stop",
         "bar 100 101 99 100", "submit 1 buy market 10",
         "bar 100 101 99 100", "fill 1 10 100",
         "submit 2 sell stop 10 stop=95", "bar 96 97 95.5 96",
         "status 2 accepted", "bar 90 92 88 91", "fill 2 10 90", "pos 0");
    TAPE("buy stop inside the range fills at the stop",
         "submit 1 buy stop 5 stop=11", "bar 10 11.5 9.8 11.2",
         "fill 1 5 11");
    TAPE("stop-limit triggered at the open is a limit there",
         "submit 1 buy stop_limit 5 stop=11 limit=11.5", "bar 11.3 12 11 11.8",
         "fill 1 5 11.3");
    TAPE("stop-limit gapping past its limit rests as a limit",
         "submit 1 buy stop_limit 5 stop=11 limit=11.5", "bar 12 12.5 11.9 12",
         "status 1 accepted", "bar 11.8 12 11.4 11.6", "fill 1 5 11.5");
    TAPE("stop-limit triggered inside the bar fills at its stop",
         "submit 1 sell stop_limit 5 stop=9 limit=8.5", "bar 10 10 8 8.2",
         "fill 1 5 9");
    TAPE("stop-limit triggered inside the bar below its limit waits",
         "submit 1 buy stop_limit 5 stop=11 limit=10.5", "bar 10 11.5 9.9 11",
         "status 1 accepted", "bar 10.8 10.9 10.4 10.6", "fill 1 5 10.5");
    TAPE("bracket: legs go live with the entry and can fill in its bar",
         "bar 100 100 100 100", "bracket 1 buy 10 stop=95 tp=110",
         "status 2 accepted", "bar 100 101 94 96", "fill 1 10 100",
         "fill 2 10 95", "status 3 canceled", "pos 0");
    TAPE("bracket: one bar reaching both legs fills the stop (pessimistic)",
         "bracket 1 buy 10 stop=95 tp=110", "bar 100 100.5 99.5 100",
         "fill 1 10 100", "bar 100 111 94 105", "fill 2 10 95",
         "status 3 canceled", "pos 0");
    TAPE("bracket: an open through the target fills the target at the open",
         "bracket 1 buy 10 stop=95 tp=110", "bar 100 100.5 99.5 100",
         "fill 1 10 100", "bar 112 113 94 96", "fill 3 10 112",
         "status 2 canceled");
    TAPE("bracket legs wait while the entry does not fill",
         "bracket 1 buy 10 stop=95 tp=110 limit=90", "bar 100 120 91 100",
         "status 2 accepted", "bar 100 120 91 100", "cancel 1",
         "status 2 canceled", "status 3 canceled", "bar 80 120 80 100");
    TAPE("short bracket: legs are buys, the stop above",
         "bracket 1 sell 10 stop=105 tp=90", "bar 100 100.5 99.5 100",
         "fill 1 10 100", "pos -10", "bar 99 106 98 104", "fill 2 10 105",
         "pos 0");
    TAPE("partial fills by a share of volume over several bars",
         "opts volume=0.1", "submit 1 buy market 250",
         "bar 10 10 10 10 1000", "fill 1 100 10", "status 1 partially_filled",
         "bar 11 11 11 11 1500", "fill 1 150 11", "status 1 filled",
         "pos 250");
    TAPE("volume share is shared by the orders of a bar in id order",
         "opts volume=0.1", "submit 1 buy market 80", "submit 2 buy market 80",
         "bar 10 10 10 10 1000", "fill 1 80 10", "fill 2 20 10",
         "bar 10 10 10 10 1000", "fill 2 60 10");
    TAPE("IOC fills what the first bar can and cancels the rest",
         "opts volume=0.1", "submit 1 buy market 250 tif=ioc",
         "bar 10 10 10 10 1000", "fill 1 100 10", "status 1 canceled",
         "bar 10 10 10 10 1000");
    TAPE("FOK that cannot fill entirely is cancelled with no fill",
         "opts volume=0.1", "submit 1 buy market 250 tif=fok",
         "bar 10 10 10 10 1000", "status 1 canceled", "pos 0");
    TAPE("FOK that can fill entirely fills",
         "opts volume=0.1", "submit 1 buy market 100 tif=fok",
         "bar 10 10 10 10 1000", "fill 1 100 10", "status 1 filled");
    TAPE("IOC limit not reached on its first bar is cancelled",
         "submit 1 buy limit 10 limit=9 tif=ioc", "bar 10 11 9.5 10",
         "status 1 canceled", "bar 8 9 7 8");
    TAPE("DAY order expires after its first live session",
         "submit 1 buy limit 10 limit=9 tif=day", "bar 10 11 9.5 10",
         "status 1 accepted", "bar 8 9 7 8", "status 1 expired");
    TAPE("session close expires the DAY orders live in it, not ones placed "
         "for the next session",
         "submit 1 buy limit 10 limit=9 tif=day", "bar 10 11 9.5 10",
         "submit 2 buy limit 10 limit=9 tif=day", "submit 3 buy limit 10 "
         "limit=9", "close", "status 1 expired", "status 2 accepted",
         "status 3 accepted", "bar 8.5 9 8 8.8", "fill 2 10 8.5",
         "fill 3 10 8.5");
    TAPE("slippage moves market and stop fills against the trader, never "
         "limits",
         "opts bps=10 ticks=1", "submit 1 buy market 10",
         "submit 2 sell limit 10 limit=115", "bar 100 120 99 110",
         "fill 1 10 100.11", "fill 2 10 115",
         "submit 3 sell stop 10 stop=95", "bar 96 97 94 95",
         "fill 3 10 94.8950");
    TAPE("commission: per order + per share + percent, with a minimum",
         "opts per_order=1 per_share=0.01 pct=0.1 min=2",
         "submit 1 buy market 100", "bar 50 50 50 50",
         /* 1 + 100 x 0.01 + 0.1% of 5000 = 1 + 1 + 5 = 7 */
         "fill 1 100 50 7", "submit 2 buy market 1", "bar 10 10 10 10",
         /* 1 + 0.01 + 0.01 = 1.02 < minimum 2 */
         "fill 2 1 10 2");
    TAPE("commission accrues across partial fills of one order",
         "opts volume=0.1 per_order=1 min=5", "submit 1 buy market 200",
         "bar 10 10 10 10 1000", "fill 1 100 10 5", "bar 10 10 10 10 1000",
         "fill 1 100 10 0");
    TAPE("trailing stop follows the highs of earlier bars only",
         "bar 100 100 100 100", "submit 1 buy market 10",
         "bar 100 100 100 100", "fill 1 10 100",
         "submit 2 sell trailing 10 trail=5",  /* stop 95 from close 100 */
         "bar 101 108 96 107",                 /* 96 > 95: no fill; stop 103 */
         "status 2 accepted", "bar 106 107 102.5 103", "fill 2 10 103",
         "pos 0");
    TAPE("trailing stop in percent",
         "bar 100 100 100 100", "submit 1 sell market 10",
         "bar 100 100 100 100", "fill 1 10 100",
         "submit 2 buy trailing 10 trail%=10", /* stop 110 from close 100 */
         "bar 99 100 90 91",                   /* low 90: stop 99 */
         "bar 95 99.5 94 99", "fill 2 10 99", "pos 0");
    TAPE("exit orders only reduce: an exit after the stop filled is cancelled",
         "bracket 1 buy 10 stop=95", "bar 100 100 100 100", "fill 1 10 100",
         "bar 99 99 94 96", "fill 2 10 95", "pos 0",
         "submit 3 sell market 10 role=exit", "bar 96 97 95 96",
         "status 3 canceled", "pos 0");
    TAPE("a strategy exit cancels the bracket legs it makes pointless",
         "bracket 1 buy 10 stop=90 tp=120", "bar 100 100 100 100",
         "fill 1 10 100", "submit 4 sell market 10 role=exit",
         "bar 101 102 100 101", "fill 4 10 101", "status 2 canceled",
         "status 3 canceled", "pos 0");
    TAPE("partially filled entry: legs cover what filled",
         "opts volume=0.1", "bracket 1 buy 150 stop=95 tp=110",
         "bar 100 101 99 100 1000", "fill 1 100 100",
         /* the entry's last 50 take half the bar's 100, the stop the rest */
         "bar 100 101 94 97 1000", "fill 1 50 100", "fill 2 50 95",
         "pos 100", "bar 94 95 93 94 1000", "fill 2 100 94", "pos 0",
         "status 3 canceled");
    TAPE("replace a limit's price: the old order is replaced, the new fills",
         "submit 1 buy limit 10 limit=9", "bar 10 11 9.5 10",
         "replace 1 2 limit=9.6", "status 1 replaced", "status 2 accepted",
         "bar 9.8 10 9.6 9.9", "fill 2 10 9.6", "status 2 filled");
    TAPE("replace the remaining quantity of a partly filled order",
         "opts volume=0.1", "submit 1 buy limit 300 limit=10",
         "bar 10 10 10 10 1000", "fill 1 100 10", "replace 1 2 qty=50",
         "status 1 replaced", "bar 10 10 10 10 1000", "fill 2 50 10",
         "pos 150");
    TAPE("replace a bracket's stop: the OCO link follows the new leg",
         "bracket 1 buy 10 stop=95 tp=110", "bar 100 100.5 99.5 100",
         "fill 1 10 100", "replace 2 4 stop=98", "status 2 replaced",
         "bar 99 111 97 105", "fill 4 10 98", "status 3 canceled", "pos 0");
    TAPE("replace a held leg before its entry fills",
         "bracket 1 buy 10 stop=95 tp=110 limit=99", "replace 3 4 limit=105",
         "bar 100 106 98.5 104", "fill 1 10 99", "fill 4 10 105",
         "status 2 canceled", "pos 0");
    TAPE("cancel an open order",
         "submit 1 buy limit 10 limit=5", "bar 10 11 9 10", "cancel 1",
         "status 1 canceled", "bar 4 5 3 4");
    {
        /* Invalid orders are rejected, reported and counted. */
        tr_paper_opts o = {0};
        tr_paper *b = tr_paper_new(&o, 1, NULL);
        tr_order bad = {.side = TR_BUY, .type = TR_ORD_LIMIT, .qty = TR_FX_ONE};
        CHECK(tr_paper_submit(b, &bad, 0, NULL) == TR_ERR_INVALID);
        CHECK(bad.status == TR_ORD_REJECTED);
        tr_order zero = {.side = TR_BUY, .type = TR_ORD_MARKET, .qty = 0};
        CHECK(tr_paper_submit(b, &zero, 0, NULL) == TR_ERR_INVALID);
        tr_order trail = {.side = TR_SELL, .type = TR_ORD_TRAILING_STOP,
                          .qty = TR_FX_ONE, .trail_amount = TR_FX_ONE};
        CHECK_MSG(tr_paper_submit(b, &trail, 0, NULL) == TR_ERR_INVALID,
                  "a trailing stop needs a price to trail from");
        CHECK(tr_paper_order_count(b) == 3);
        CHECK(tr_paper_cancel(b, 1, 0) == TR_ERR_NOT_FOUND);
        CHECK(tr_paper_cancel(b, 99, 0) == TR_ERR_NOT_FOUND);
        CHECK(tr_paper_replace(b, 1, 0, 0, 0, 0, NULL) == TR_ERR_NOT_FOUND);
        tr_order lim = {.side = TR_BUY, .type = TR_ORD_LIMIT, .qty = TR_FX_ONE,
                        .limit_price = TR_FX_ONE};
        CHECK(tr_paper_submit(b, &lim, 0, NULL) == TR_OK);
        CHECK_MSG(tr_paper_replace(b, lim.id, 0, 0, TR_FX_ONE, 0, NULL) ==
                      TR_ERR_INVALID, "a limit order has no stop price");
        CHECK(tr_paper_order(b, lim.id)->status == TR_ORD_ACCEPTED);
        tr_paper_free(b);
    }
    /* The state machine. */
    CHECK(tr_order_can_move(TR_ORD_NEW, TR_ORD_ACCEPTED));
    CHECK(!tr_order_can_move(TR_ORD_NEW, TR_ORD_FILLED));
    CHECK(tr_order_can_move(TR_ORD_PARTIALLY_FILLED, TR_ORD_PARTIALLY_FILLED));
    CHECK(!tr_order_can_move(TR_ORD_FILLED, TR_ORD_CANCELED));
    CHECK(!tr_order_can_move(TR_ORD_CANCELED, TR_ORD_ACCEPTED));
    CHECK(tr_order_is_final(TR_ORD_EXPIRED) && !tr_order_is_final(TR_ORD_ACCEPTED));
    return test_summary();
}
