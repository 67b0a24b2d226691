/* api_read.c: the API's reads: state from the engine's view, bars and
 * signals from the SQLite store, metrics. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "api/api_int.h"
#include "core/err.h"
#include "core/log.h"
#include "risk/risk.h"

/* A list answer: {"key": [ ... ]}; list_answer closes it and answers 200. */
static void list_open(tr_jw *w, const char *key)
{
    tr_jw_init(w);
    tr_jw_obj(w);
    tr_jw_key(w, key);
    tr_jw_arr(w);
}

static void list_answer(tr_jw *w, tr_api_response *r)
{
    tr_jw_end(w);
    tr_jw_end(w);
    tr__api_json(r, 200, w);
}

void tr__api_health(tr_api *a, tr_api_response *r)
{
    (void)a;
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "status", "ok");
    tr_jw_end(&w);
    tr__api_json(r, 200, &w);
}

void tr__api_ready(tr_api *a, tr_api_response *r)
{
    const tr_view_state *s = tr_view_acquire(a->d.view);
    int ready = s->ready;
    int feed_done = s->feed_done;
    tr_time now = s->now;
    uint64_t seq = s->seq;
    tr_view_release(a->d.view);
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "status", ready ? "ready" : "starting");
    tr_jw_key(&w, "components");
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "engine", ready ? "trading" : "starting");
    tr_jw_kstr(&w, "journal", ready ? "ok" : "starting");
    tr_jw_kstr(&w, "feed", feed_done ? "ended" : ready ? "ok" : "starting");
    tr_jw_kstr(&w, "broker", "paper");
    sqlite3 *db = NULL;
    int store_ok = sqlite3_open_v2(a->d.cfg->run.database, &db,
                                   SQLITE_OPEN_READONLY, NULL) == SQLITE_OK;
    sqlite3_close(db);
    tr_jw_kstr(&w, "store", store_ok ? "ok" : "missing");
    tr_jw_end(&w);
    tr_jw_kint(&w, "journal_seq", (int64_t)seq);
    tr_jw_ktime(&w, "market_time", now);
    tr_jw_end(&w);
    tr__api_json(r, ready ? 200 : 503, &w);
}

static tr_fx unrealized(const tr_position *p)
{
    return p->mv - p->cost;
}

static void write_account(tr_jw *w, const tr_view_state *s,
                          const tr_bt_config *cfg)
{
    tr_fx upnl = 0;
    for (size_t i = 0; i < s->nsyms; i++)
        upnl += unrealized(&s->pos[i]);
    tr_jw_kfx(w, "cash", s->cash);
    tr_jw_kfx(w, "equity", s->equity);
    tr_jw_kfx(w, "initial_cash", s->initial_cash);
    tr_jw_kfx(w, "exposure", s->exposure);
    tr_jw_knum(w, "exposure_pct",
               s->equity > 0 ? tr_fx_to_double(s->exposure) /
                                   tr_fx_to_double(s->equity) * 100
                             : 0);
    tr_jw_kfx(w, "day_pnl", s->equity - s->day_start_equity);
    tr_jw_kfx(w, "total_pnl", s->equity - s->initial_cash);
    tr_jw_kfx(w, "realized_pnl", s->realized);
    tr_jw_kfx(w, "unrealized_pnl", upnl);
    tr_jw_kfx(w, "commissions", s->commissions);
    tr_jw_kint(w, "open_positions", (int64_t)s->open_positions);
    tr_jw_kint(w, "max_open_positions",
               cfg->engine.risk.enabled ? cfg->engine.risk.max_open_positions
                                        : 0);
    tr_jw_kbool(w, "halted", s->halted);
    tr_jw_ktime(w, "market_time", s->now);
}

void tr__api_account(tr_api *a, const tr_api_request *req,
                     const tr_key_info *who, const char (*seg)[96],
                     tr_api_response *r)
{
    (void)req, (void)seg;
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "broker", "paper");
    tr_jw_kstr(&w, "currency", "USD");
    tr_jw_kstr(&w, "key_id", who->id);
    tr_jw_kstr(&w, "role", tr_role_name(who->role));
    const tr_view_state *s = tr_view_acquire(a->d.view);
    write_account(&w, s, a->d.cfg);
    double lev = a->d.cfg->engine.risk.leverage;
    tr_jw_knum(&w, "buying_power",
               lev > 0 ? tr_fx_to_double(s->equity) * lev -
                             tr_fx_to_double(s->exposure)
                       : NAN);
    tr_view_release(a->d.view);
    tr_jw_end(&w);
    tr__api_json(r, 200, &w);
}

void tr__api_portfolio(tr_api *a, const tr_api_request *req,
                       const tr_key_info *who, const char (*seg)[96],
                       tr_api_response *r)
{
    (void)req, (void)who, (void)seg;
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    const tr_view_state *s = tr_view_acquire(a->d.view);
    write_account(&w, s, a->d.cfg);
    tr_jw_kfx(&w, "peak_equity", s->peak_equity);
    tr_jw_knum(&w, "drawdown_pct",
               s->peak_equity > 0
                   ? (tr_fx_to_double(s->peak_equity) -
                      tr_fx_to_double(s->equity)) /
                         tr_fx_to_double(s->peak_equity) * 100
                   : 0);
    /* The equity curve kept in the view (the latest points). */
    tr_jw_key(&w, "equity_curve");
    tr_jw_arr(&w);
    size_t n = s->ncurve < TR_VIEW_CURVE ? s->ncurve : TR_VIEW_CURVE;
    for (size_t i = s->ncurve - n; i < s->ncurve; i++) {
        const tr_equity_point *p = &s->curve[i % TR_VIEW_CURVE];
        tr_jw_arr(&w);
        tr_jw_time(&w, p->time);
        tr_jw_fx(&w, p->equity);
        tr_jw_end(&w);
    }
    tr_jw_end(&w);
    tr_view_release(a->d.view);
    tr_jw_end(&w);
    tr__api_json(r, 200, &w);
}

/* The open stop-loss and take-profit prices of sym's position. */
static void exits_of(const tr_view_state *s, tr_sym sym, tr_fx *stop,
                     tr_fx *tp)
{
    *stop = *tp = 0;
    for (size_t i = s->norders; i-- > 0;) {
        const tr_order *o = &s->orders[i];
        if (o->sym != sym || tr_order_is_final(o->status) || !o->id)
            continue;
        if (o->role == TR_ROLE_STOP_LOSS && !*stop)
            *stop = o->stop_price;
        if (o->role == TR_ROLE_TAKE_PROFIT && !*tp)
            *tp = o->limit_price;
    }
}

static void write_position(tr_jw *w, const tr_view_state *s, tr_sym i)
{
    const tr_position *p = &s->pos[i];
    tr_fx stop, tp;
    exits_of(s, i, &stop, &tp);
    tr_jw_obj(w);
    tr_jw_kstr(w, "symbol", s->symbols[i]);
    tr_jw_kfx(w, "qty", p->qty);
    tr_jw_kstr(w, "side", p->qty > 0 ? "long" : p->qty < 0 ? "short" : "flat");
    tr_fx avg = 0;
    if (p->qty) /* cost / qty, exact to the fixed-point step */
        tr_fx_div(p->cost, p->qty, &avg);
    tr_jw_kfx(w, "avg_price", avg);
    tr_jw_kfx(w, "last_price", p->last);
    tr_jw_kfx(w, "market_value", p->mv);
    tr_jw_kfx(w, "unrealized_pnl", unrealized(p));
    tr_jw_kfx(w, "realized_pnl", p->realized);
    tr_jw_kfx(w, "commission", p->commission);
    tr_jw_knum(w, "pct_of_equity",
               s->equity > 0 ? tr_fx_to_double(p->mv) /
                                   tr_fx_to_double(s->equity) * 100
                             : 0);
    tr_jw_key(w, "stop_loss");
    if (stop)
        tr_jw_fx(w, stop);
    else
        tr_jw_null(w);
    tr_jw_key(w, "take_profit");
    if (tp)
        tr_jw_fx(w, tp);
    else
        tr_jw_null(w);
    tr_jw_end(w);
}

void tr__api_positions(tr_api *a, const tr_api_request *req,
                       const tr_key_info *who, const char (*seg)[96],
                       tr_api_response *r)
{
    (void)who, (void)seg;
    char all[8] = "";
    tr__api_query(req->query, "all", all, sizeof all);
    int with_flat = !strcmp(all, "true") || !strcmp(all, "1");
    tr_jw w;
    list_open(&w, "positions");
    const tr_view_state *s = tr_view_acquire(a->d.view);
    for (size_t i = 0; i < s->nsyms; i++)
        if (s->pos[i].qty || with_flat)
            write_position(&w, s, (tr_sym)i);
    tr_view_release(a->d.view);
    list_answer(&w, r);
}

void tr__api_position(tr_api *a, const tr_api_request *req,
                      const tr_key_info *who, const char (*seg)[96],
                      tr_api_response *r)
{
    (void)req, (void)who;
    tr_sym sym;
    if (!tr__api_symbol(a, seg[1], NULL, &sym, r))
        return;
    tr_jw w;
    tr_jw_init(&w);
    const tr_view_state *s = tr_view_acquire(a->d.view);
    write_position(&w, s, sym);
    tr_view_release(a->d.view);
    tr__api_json(r, 200, &w);
}

static void write_order(tr_jw *w, const tr_view_state *s, const tr_order *o)
{
    tr_jw_obj(w);
    tr_jw_kint(w, "id", (int64_t)o->id);
    tr_jw_kstr(w, "symbol", o->sym < s->nsyms ? s->symbols[o->sym] : "?");
    tr_jw_kstr(w, "side", tr_side_name(o->side));
    tr_jw_kstr(w, "type", tr_order_type_name(o->type));
    tr_jw_kstr(w, "time_in_force", tr_tif_name(o->tif));
    tr_jw_kstr(w, "role", tr_order_role_name(o->role));
    tr_jw_kstr(w, "status", tr_order_status_name(o->status));
    tr_jw_kfx(w, "qty", o->qty);
    tr_jw_kfx(w, "filled_qty", o->filled_qty);
    tr_jw_kfx(w, "avg_fill_price", o->avg_fill_price);
    if (o->limit_price)
        tr_jw_kfx(w, "limit_price", o->limit_price);
    if (o->stop_price)
        tr_jw_kfx(w, "stop_price", o->stop_price);
    tr_jw_kfx(w, "commission", o->commission);
    if (o->parent_id)
        tr_jw_kint(w, "parent_id", (int64_t)o->parent_id);
    tr_jw_ktime(w, "created_at", o->created);
    tr_jw_ktime(w, "updated_at", o->updated);
    tr_jw_kstr(w, "strategy", o->strategy);
    tr_jw_end(w);
}

/* The filters of a list: ?limit=N (1..10000, default 100), ?since=ISO
 * time, ?symbol=S. */
typedef struct {
    size_t limit;
    tr_time since;
    tr_sym sym;
    int has_sym;
} list_filter;

static int list_filters(tr_api *a, const tr_api_request *req, list_filter *f,
                        tr_api_response *r)
{
    char buf[64];
    f->limit = 100;
    f->since = INT64_MIN;
    f->sym = 0;
    f->has_sym = 0;
    if (tr__api_query(req->query, "limit", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (!*buf || *end || v < 1 || v > 10000) {
            tr__api_error(r, 400, "invalid", "limit must be a whole number "
                          "from 1 to 10000", "limit");
            return 0;
        }
        f->limit = (size_t)v;
    }
    if (tr__api_query(req->query, "since", buf, sizeof buf) &&
        tr_time_parse(buf, strlen(buf), &f->since) != TR_OK) {
        tr__api_error(r, 400, "invalid", "since must be a date or time such "
                      "as 2024-01-31 or 2024-01-31T14:30:00Z", "since");
        return 0;
    }
    if (tr__api_query(req->query, "symbol", buf, sizeof buf)) {
        if (!tr__api_symbol(a, buf, "symbol", &f->sym, r))
            return 0;
        f->has_sym = 1;
    }
    return 1;
}

void tr__api_orders(tr_api *a, const tr_api_request *req,
                    const tr_key_info *who, const char (*seg)[96],
                    tr_api_response *r)
{
    (void)who, (void)seg;
    list_filter f;
    if (!list_filters(a, req, &f, r))
        return;
    char st[24] = "";
    int want = -1, open_only = 0;
    if (tr__api_query(req->query, "status", st, sizeof st)) {
        if (!strcmp(st, "open"))
            open_only = 1;
        else if (strcmp(st, "all") != 0) {
            for (int k = TR_ORD_NEW; k <= TR_ORD_REPLACED && want < 0; k++)
                if (!strcmp(st, tr_order_status_name((tr_order_status)k)))
                    want = k;
            if (want < 0) {
                tr__api_error(r, 400, "invalid", "status must be open, all, "
                              "or an order status (accepted, "
                              "partially_filled, filled, canceled, rejected, "
                              "expired, replaced)", "status");
                return;
            }
        }
    }
    tr_jw w;
    list_open(&w, "orders");
    const tr_view_state *s = tr_view_acquire(a->d.view);
    size_t k = 0;
    for (size_t i = s->norders; i-- > 0 && k < f.limit;) { /* newest first */
        const tr_order *o = &s->orders[i];
        if (!o->id || (f.has_sym && o->sym != f.sym) ||
            o->updated < f.since ||
            (open_only && tr_order_is_final(o->status)) ||
            (want >= 0 && (int)o->status != want))
            continue;
        write_order(&w, s, o);
        k++;
    }
    tr_view_release(a->d.view);
    list_answer(&w, r);
}

/* An order id from the path: digits, or the client id "tr-N". */
int tr__api_order_id(const char *s, uint64_t *id)
{
    if (!strncmp(s, "tr-", 3))
        s += 3;
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
        return 0;
    *id = strtoull(s, NULL, 10);
    return *id > 0;
}

void tr__api_order(tr_api *a, const tr_api_request *req,
                   const tr_key_info *who, const char (*seg)[96],
                   tr_api_response *r)
{
    (void)req, (void)who;
    uint64_t id;
    if (!tr__api_order_id(seg[1], &id)) {
        tr__api_error(r, 404, "not_found", "no such order (ids are whole "
                      "numbers, or tr-N)", NULL);
        return;
    }
    tr_jw w;
    tr_jw_init(&w);
    const tr_view_state *s = tr_view_acquire(a->d.view);
    int found = id <= s->norders && s->orders[id - 1].id == id;
    if (found)
        write_order(&w, s, &s->orders[id - 1]);
    tr_view_release(a->d.view);
    if (!found) {
        tr_jw_free(&w);
        tr__api_error(r, 404, "not_found", "no such order", NULL);
        return;
    }
    tr__api_json(r, 200, &w);
}

void tr__api_trades(tr_api *a, const tr_api_request *req,
                    const tr_key_info *who, const char (*seg)[96],
                    tr_api_response *r)
{
    (void)who, (void)seg;
    list_filter f;
    if (!list_filters(a, req, &f, r))
        return;
    tr_jw w;
    list_open(&w, "trades");
    const tr_view_state *s = tr_view_acquire(a->d.view);
    size_t k = 0;
    for (size_t i = s->nfills; i-- > 0 && k < f.limit;) {
        const tr_fill *x = &s->fills[i];
        if ((f.has_sym && x->sym != f.sym) || x->time < f.since)
            continue;
        tr_jw_obj(&w);
        tr_jw_kint(&w, "order_id", (int64_t)x->order_id);
        tr_jw_kstr(&w, "symbol", x->sym < s->nsyms ? s->symbols[x->sym] : "?");
        tr_jw_kstr(&w, "side", tr_side_name(x->side));
        tr_jw_kstr(&w, "role", tr_order_role_name(x->role));
        tr_jw_kfx(&w, "qty", x->qty);
        tr_jw_kfx(&w, "price", x->price);
        tr_jw_kfx(&w, "commission", x->commission);
        tr_jw_ktime(&w, "time", x->time);
        tr_jw_end(&w);
        k++;
    }
    tr_view_release(a->d.view);
    list_answer(&w, r);
}

static void write_strategy(tr_api *a, tr_jw *w)
{
    const tr_strategy_def *d = a->d.cfg->engine.strategy;
    const tr_view_state *s = tr_view_acquire(a->d.view);
    int enabled = s->strategy_enabled;
    double params[TR_STRAT_MAX_PARAMS];
    memcpy(params, s->params, sizeof params);
    size_t trades = 0, round_trips = s->round_trips;
    size_t won = s->round_trips_won;
    tr_fx realized = 0;
    for (size_t i = 0; i < s->nfills; i++)
        trades += s->fills[i].role != TR_ROLE_ENTRY;
    for (size_t i = 0; i < s->nsyms; i++)
        realized += s->pos[i].realized;
    tr_view_release(a->d.view);
    tr_jw_obj(w);
    tr_jw_kstr(w, "name", d->name);
    tr_jw_kstr(w, "summary", d->summary);
    tr_jw_kstr(w, "status", enabled ? "enabled" : "disabled");
    tr_jw_kbool(w, "enabled", enabled);
    tr_jw_key(w, "params");
    tr_jw_obj(w);
    for (size_t i = 0; i < d->nparams; i++) {
        if (d->params[i].type == TR_PARAM_BOOL)
            tr_jw_kbool(w, d->params[i].name, params[i] != 0);
        else
            tr_jw_knum(w, d->params[i].name, params[i]);
    }
    tr_jw_end(w);
    tr_jw_key(w, "param_specs");
    tr_jw_arr(w);
    for (size_t i = 0; i < d->nparams; i++) {
        const tr_param_def *p = &d->params[i];
        tr_jw_obj(w);
        tr_jw_kstr(w, "name", p->name);
        tr_jw_kstr(w, "type", p->type == TR_PARAM_INT    ? "integer"
                              : p->type == TR_PARAM_BOOL ? "boolean"
                                                         : "number");
        tr_jw_knum(w, "default", p->def);
        tr_jw_knum(w, "min", p->min);
        tr_jw_knum(w, "max", p->max);
        tr_jw_kstr(w, "help", p->help);
        tr_jw_end(w);
    }
    tr_jw_end(w);
    tr_jw_kint(w, "exits", (int64_t)trades);
    tr_jw_kint(w, "trades", (int64_t)round_trips);
    tr_jw_kint(w, "trades_won", (int64_t)won);
    tr_jw_kfx(w, "realized_pnl", realized);
    tr_jw_end(w);
}

void tr__api_strategies(tr_api *a, const tr_api_request *req,
                        const tr_key_info *who, const char (*seg)[96],
                        tr_api_response *r)
{
    (void)req, (void)who, (void)seg;
    tr_jw w;
    list_open(&w, "strategies");
    write_strategy(a, &w);
    list_answer(&w, r);
}

void tr__api_strategy(tr_api *a, const tr_api_request *req,
                      const tr_key_info *who, const char (*seg)[96],
                      tr_api_response *r)
{
    (void)req, (void)who;
    if (strcmp(seg[1], a->d.cfg->engine.strategy->name) != 0) {
        tr__api_error(r, 404, "not_found", "no such strategy in this run",
                      NULL);
        return;
    }
    tr_jw w;
    tr_jw_init(&w);
    write_strategy(a, &w);
    tr__api_json(r, 200, &w);
}

static void limit_item(tr_jw *w, const char *name, double limit, double used,
                       const char *unit)
{
    tr_jw_obj(w);
    tr_jw_kstr(w, "name", name);
    tr_jw_knum(w, "limit", limit);
    tr_jw_knum(w, "used", used);
    tr_jw_knum(w, "utilisation", limit > 0 ? used / limit : 0);
    tr_jw_kstr(w, "unit", unit);
    tr_jw_end(w);
}

void tr__api_risk(tr_api *a, const tr_api_request *req,
                  const tr_key_info *who, const char (*seg)[96],
                  tr_api_response *r)
{
    (void)req, (void)who, (void)seg;
    const tr_risk_cfg *c = &a->d.cfg->engine.risk;
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    const tr_view_state *s = tr_view_acquire(a->d.view);
    double eq = tr_fx_to_double(s->equity);
    double day_loss = tr_fx_to_double(s->day_start_equity - s->equity);
    double day_base = tr_fx_to_double(s->day_start_equity);
    double largest = 0, open_risk = 0;
    for (size_t i = 0; i < s->nsyms; i++) {
        const tr_position *p = &s->pos[i];
        if (!p->qty)
            continue;
        double mv = fabs(tr_fx_to_double(p->mv));
        if (mv > largest)
            largest = mv;
        tr_fx stop, tp;
        exits_of(s, (tr_sym)i, &stop, &tp);
        double q = fabs(tr_fx_to_double(p->qty));
        open_risk += stop ? q * fabs(tr_fx_to_double(p->last) -
                                     tr_fx_to_double(stop))
                          : mv;
    }
    tr_jw_kbool(&w, "enabled", c->enabled);
    tr_jw_kbool(&w, "halted", s->halted);
    tr_jw_kbool(&w, "kill_switch", s->kill_switch);
    tr_jw_key(&w, "limits");
    tr_jw_arr(&w);
    limit_item(&w, "daily_loss", c->daily_loss_pct,
               day_base > 0 && day_loss > 0 ? day_loss / day_base * 100 : 0,
               "pct_of_day_start_equity");
    limit_item(&w, "max_drawdown", c->max_drawdown_pct,
               s->peak_equity > 0
                   ? (tr_fx_to_double(s->peak_equity) - eq) /
                         tr_fx_to_double(s->peak_equity) * 100
                   : 0,
               "pct_of_peak_equity");
    limit_item(&w, "open_positions", c->max_open_positions,
               (double)s->open_positions, "positions");
    limit_item(&w, "max_position", c->max_position_pct,
               eq > 0 ? largest / eq * 100 : 0, "pct_of_equity");
    limit_item(&w, "portfolio_risk", c->max_portfolio_risk_pct,
               eq > 0 ? open_risk / eq * 100 : 0, "pct_of_equity");
    limit_item(&w, "exposure", c->leverage * 100,
               eq > 0 ? tr_fx_to_double(s->exposure) / eq * 100 : 0,
               "pct_of_equity");
    tr_jw_end(&w);
    tr_jw_knum(&w, "max_correlation", c->max_correlation);
    tr_jw_key(&w, "alerts");
    tr_jw_arr(&w);
    size_t n = s->nalerts < TR_VIEW_ALERTS ? s->nalerts : TR_VIEW_ALERTS;
    for (size_t i = s->nalerts; i-- > s->nalerts - n;) {
        const tr_risk_alert *al = &s->alerts[i % TR_VIEW_ALERTS];
        static const char *kinds[] = {"daily_loss", "drawdown", "kill_switch",
                                      "resumed"};
        tr_jw_obj(&w);
        tr_jw_ktime(&w, "time", al->time);
        tr_jw_kstr(&w, "kind", al->kind <= TR_ALERT_RESUMED ? kinds[al->kind]
                                                            : "?");
        tr_jw_kstr(&w, "message", al->message);
        tr_jw_end(&w);
    }
    tr_jw_end(&w);
    tr_view_release(a->d.view);
    tr_jw_end(&w);
    tr__api_json(r, 200, &w);
}

/* The run's SQLite store, read-only; NULL with a 503 in r when it is not
 * there yet (the projection creates it from the journal). */
static sqlite3 *open_store(tr_api *a, tr_api_response *r)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(a->d.cfg->run.database, &db, SQLITE_OPEN_READONLY,
                        NULL) != SQLITE_OK) {
        sqlite3_close(db);
        tr__api_error(r, 503, "unavailable", "the database is not there yet "
                      "(it is projected from the journal; try again)", NULL);
        return NULL;
    }
    sqlite3_busy_timeout(db, 2000);
    return db;
}

/* The latest log lines of this process, newest first (the dashboard's log
 * tail before the stream brings new ones). */
void tr__api_logs(tr_api *a, const tr_api_request *req,
                  const tr_key_info *who, const char (*seg)[96],
                  tr_api_response *r)
{
    (void)who, (void)seg;
    if (!a->d.logs) {
        tr__api_error(r, 404, "not_found", "this server keeps no log lines",
                      NULL);
        return;
    }
    char buf[16];
    size_t limit = 100;
    int min = TR_LOG_INFO;
    if (tr__api_query(req->query, "limit", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (!*buf || *end || v < 1 || v > TR_LOGLINES_KEEP) {
            tr__api_error(r, 400, "invalid", "limit must be a whole number "
                          "from 1 to 500", "limit");
            return;
        }
        limit = (size_t)v;
    }
    if (tr__api_query(req->query, "level", buf, sizeof buf) &&
        ((min = tr_log_level_parse(buf)) < TR_LOG_INFO)) {
        tr__api_error(r, 400, "invalid", "level must be info, warn or error",
                      "level");
        return;
    }
    tr_log_line *v = malloc(limit * sizeof *v);
    if (!v) {
        tr__api_error(r, 503, "unavailable", "out of memory", NULL);
        return;
    }
    size_t n = tr_loglines_latest(a->d.logs, (tr_log_level)min, v, limit);
    tr_jw w;
    list_open(&w, "logs");
    for (size_t i = 0; i < n; i++) {
        tr_jw_obj(&w);
        tr_jw_kint(&w, "id", (int64_t)v[i].id);
        tr_jw_ktime(&w, "time", v[i].time);
        tr_jw_kstr(&w, "level", tr_log_level_name(v[i].level));
        tr_jw_kstr(&w, "component", v[i].component);
        tr_jw_kstr(&w, "message", v[i].msg);
        tr_jw_end(&w);
    }
    free(v);
    list_answer(&w, r);
}

/* Closes a query of the store whose rows went into w's open array (inside
 * an object) and answers w, or a 503 when the rows stopped short (rc, the
 * last sqlite3_step, is not SQLITE_DONE). */
static void answer_rows(sqlite3 *db, sqlite3_stmt *st, int rc, tr_jw *w,
                        tr_api_response *r)
{
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc != SQLITE_DONE) {
        tr_jw_free(w);
        tr__api_error(r, 503, "unavailable", "the database is busy; try "
                      "again", NULL);
        return;
    }
    list_answer(w, r);
}

/* Signals, newest first, from the store: each strategy's and each API
 * caller's, executed or refused, with the risk decision. The store follows
 * the journal within a moment, so a signal just answered may be missing
 * for that moment. */
void tr__api_signals(tr_api *a, const tr_api_request *req,
                     const tr_key_info *who, const char (*seg)[96],
                     tr_api_response *r)
{
    (void)who, (void)seg;
    list_filter f;
    if (!list_filters(a, req, &f, r))
        return;
    sqlite3 *db = open_store(a, r);
    if (!db)
        return;
    /* ?1 = -1: every symbol (sym ids are never negative). */
    const char *sql = "SELECT seq, time, sym, action, confidence, qty, stop, "
                      "take_profit, strategy, risk_reason, detail, reasons "
                      "FROM signals WHERE (?1 < 0 OR sym = ?1) AND time >= ?2 "
                      "ORDER BY seq DESC LIMIT ?3";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        tr__api_error(r, 503, "unavailable", "the database has no signals "
                      "table yet", NULL);
        return;
    }
    sqlite3_bind_int64(st, 1, f.has_sym ? (sqlite3_int64)f.sym : -1);
    sqlite3_bind_int64(st, 2, f.since);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)f.limit);
    tr_jw w;
    list_open(&w, "signals");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = tr_symtab_name(a->syms,
                                          (tr_sym)sqlite3_column_int64(st, 2));
        tr_jw_obj(&w);
        tr_jw_kint(&w, "seq", sqlite3_column_int64(st, 0));
        tr_jw_ktime(&w, "time", sqlite3_column_int64(st, 1));
        tr_jw_kstr(&w, "symbol", name ? name : "?");
        tr_jw_kstr(&w, "action", (const char *)sqlite3_column_text(st, 3));
        tr_jw_knum(&w, "confidence", sqlite3_column_double(st, 4));
        static const char *const opt[] = {"qty", "stop_loss", "take_profit"};
        for (int k = 0; k < 3; k++) /* NULL: not given, sized by risk */
            if (sqlite3_column_type(st, 5 + k) != SQLITE_NULL)
                tr_jw_kfx(&w, opt[k], sqlite3_column_int64(st, 5 + k));
        tr_jw_kstr(&w, "strategy", (const char *)sqlite3_column_text(st, 8));
        tr_jw_kstr(&w, "decision", (const char *)sqlite3_column_text(st, 9));
        tr_jw_kstr(&w, "detail", (const char *)sqlite3_column_text(st, 10));
        tr_jw_kstr(&w, "reasons", (const char *)sqlite3_column_text(st, 11));
        tr_jw_end(&w);
    }
    answer_rows(db, st, rc, &w, r);
}

void tr__api_bars(tr_api *a, const tr_api_request *req,
                  const tr_key_info *who, const char (*seg)[96],
                  tr_api_response *r)
{
    (void)who;
    tr_sym sym;
    if (!tr__api_symbol(a, seg[1], NULL, &sym, r))
        return;
    char buf[64];
    tr_time from = INT64_MIN, to = INT64_MAX;
    size_t limit = 1000;
    if (tr__api_query(req->query, "from", buf, sizeof buf) &&
        tr_time_parse(buf, strlen(buf), &from) != TR_OK) {
        tr__api_error(r, 400, "invalid", "from must be a date or time",
                      "from");
        return;
    }
    if (tr__api_query(req->query, "to", buf, sizeof buf) &&
        tr_time_parse(buf, strlen(buf), &to) != TR_OK) {
        tr__api_error(r, 400, "invalid", "to must be a date or time", "to");
        return;
    }
    if (tr__api_query(req->query, "limit", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (!*buf || *end || v < 1 || v > 100000) {
            tr__api_error(r, 400, "invalid", "limit must be a whole number "
                          "from 1 to 100000", "limit");
            return;
        }
        limit = (size_t)v;
    }
    sqlite3 *db = open_store(a, r);
    if (!db)
        return;
    /* The latest `limit` bars in the range, returned oldest first. */
    const char *sql = "SELECT time, o, h, l, c, v FROM (SELECT * FROM bars "
                      "WHERE sym = ?1 AND time >= ?2 AND time <= ?3 ORDER BY "
                      "time DESC LIMIT ?4) ORDER BY time";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        tr__api_error(r, 503, "unavailable", "the database has no bars yet",
                      NULL);
        return;
    }
    sqlite3_bind_int64(st, 1, sym);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "symbol", seg[1]);
    tr_jw_key(&w, "bars");
    tr_jw_arr(&w);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tr_jw_obj(&w);
        tr_jw_ktime(&w, "time", sqlite3_column_int64(st, 0));
        tr_jw_kfx(&w, "open", sqlite3_column_int64(st, 1));
        tr_jw_kfx(&w, "high", sqlite3_column_int64(st, 2));
        tr_jw_kfx(&w, "low", sqlite3_column_int64(st, 3));
        tr_jw_kfx(&w, "close", sqlite3_column_int64(st, 4));
        tr_jw_kfx(&w, "volume", sqlite3_column_int64(st, 5));
        tr_jw_end(&w);
    }
    answer_rows(db, st, rc, &w, r);
}

void tr__api_metrics(tr_api *a, tr_api_response *r)
{
    if (!a->d.metrics) {
        tr__api_error(r, 404, "not_found", "metrics are off", NULL);
        return;
    }
    /* Gauges from the view, at scrape time. */
    const tr_view_state *s = tr_view_acquire(a->d.view);
    tr_metrics *m = a->d.metrics;
    tr_metric_set(tr_metrics_get(m, TR_M_EQUITY, NULL, NULL),
                  tr_fx_to_double(s->equity));
    tr_metric_set(tr_metrics_get(m, TR_M_CASH, NULL, NULL),
                  tr_fx_to_double(s->cash));
    tr_metric_set(tr_metrics_get(m, TR_M_EXPOSURE, NULL, NULL),
                  tr_fx_to_double(s->exposure));
    tr_metric_set(tr_metrics_get(m, TR_M_OPEN_POSITIONS, NULL, NULL),
                  (double)s->open_positions);
    tr_metric_set(tr_metrics_get(m, TR_M_HALTED, NULL, NULL), s->halted);
    tr_metric_set(tr_metrics_get(m, TR_M_DAILY_PNL, NULL, NULL),
                  tr_fx_to_double(s->equity - s->day_start_equity));
    tr_metric_set(tr_metrics_get(m, TR_M_DAILY_LOSS_LIMIT, NULL, NULL),
                  tr_fx_to_double(s->day_start_equity) *
                      a->d.cfg->engine.risk.daily_loss_pct / 100);
    /* Feed lag: how long since the engine last stepped, while the feed
     * runs (an ended replay is not a stale feed). Journal lag: records
     * handed to the writer thread and not yet written. */
    int64_t now = tr_time_now();
    double lag = s->ready && !s->feed_done && s->wall_ns
                     ? (double)(now - s->wall_ns) / 1e9
                     : 0;
    uint64_t seq = s->seq;
    tr_view_release(a->d.view);
    tr_metric_set(tr_metrics_get(m, TR_M_FEED_LAG, NULL, NULL), lag);
    uint64_t written = tr_cmdq_written(a->d.q);
    tr_metric_set(tr_metrics_get(m, TR_M_JOURNAL_LAG, NULL, NULL),
                  seq > written ? (double)(seq - written) : 0);
    char *buf = NULL;
    size_t cap = 0, len = 0;
    if (tr_metrics_render(m, &buf, &cap, &len) != TR_OK) {
        free(buf);
        tr__api_error(r, 500, "out_of_memory", "cannot render metrics", NULL);
        return;
    }
    r->status = 200;
    r->content_type = TR_METRICS_CONTENT_TYPE;
    r->body = buf;
    r->body_len = len;
}

void tr__api_openapi(tr_api_response *r)
{
    /* src/api/openapi.json, embedded at build time (cmake/embed_js.cmake) */
    extern const unsigned char tr_openapi_json[];
    extern const size_t tr_openapi_json_len;
    size_t len = tr_openapi_json_len;
    r->body = malloc(len + 1);
    if (!r->body) {
        tr__api_error(r, 500, "out_of_memory", "out of memory", NULL);
        return;
    }
    memcpy(r->body, tr_openapi_json, len + 1);
    r->body_len = len;
    r->status = 200;
    r->content_type = "application/json";
}
