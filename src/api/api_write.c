/* api_write.c: the API's changes (signals, orders, cancels, closes, halts,
 * strategy controls): checked here, carried out by the engine thread
 * through the command queue, answered once journaled. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "core/err.h"

#define MAX_QTY (1000000000LL * TR_FX_ONE)   /* 1e9 units */
#define MAX_PRICE (1000000000LL * TR_FX_ONE) /* 1e9 */
#define CALL_TIMEOUT_MS 5000

/* "api:<key name or id>" */
static void who_str(const tr_key_info *who, char out[32])
{
    snprintf(out, 32, "api:%.27s", who->name[0] ? who->name : who->id);
}

/* What the engine did with c (rc: from the queue): 1 when carried out,
 * else 0 with a 503 set. */
static int engine_answered(int rc, const tr_cmd *c, tr_api_response *r)
{
    if (rc == TR_OK && c->ans.status != TR_CMD_UNAVAILABLE)
        return 1;
    tr__api_error(r, 503, "unavailable",
                  rc == TR_ERR_FULL
                      ? "the engine's queue is full; retry shortly"
                  : c->done
                      ? "the engine carried this out but the journal has "
                        "not confirmed it yet; send it again with the same "
                        "signal_id / client_order_id to get its answer"
                      : "the engine is not taking commands (starting, "
                        "stopping, or trading halted by a journal failure)",
                  NULL);
    return 0;
}

/* Run c on the engine, waiting; 1 when carried out, else 0 with a 503. */
static int call_engine(tr_api *a, tr_cmd *c, tr_api_response *r)
{
    return engine_answered(tr_cmdq_call(a->d.q, c, CALL_TIMEOUT_MS), c, r);
}

/* A client reference (signal_id, client_order_id): 1..47 printable
 * characters without spaces. */
static int ref_field(json_t *body, const char *key, char ref[48],
                     tr_api_response *r)
{
    const char *s;
    ref[0] = '\0';
    if (!tr__api_str_field(body, key, 0, &s, r))
        return 0;
    if (!s)
        return 1;
    size_t n = strlen(s);
    int ok = n >= 1 && n <= 47;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] > 0x20 && s[i] < 0x7f;
    if (!ok) {
        char msg[120];
        snprintf(msg, sizeof msg, "'%s' must be 1 to 47 printable "
                 "characters without spaces", key);
        tr__api_error(r, 422, "invalid", msg, key);
        return 0;
    }
    memcpy(ref, s, n + 1);
    return 1;
}

static int text_field(json_t *body, const char *key, char *out, size_t size,
                      tr_api_response *r)
{
    const char *s;
    out[0] = '\0';
    if (!tr__api_str_field(body, key, 0, &s, r))
        return 0;
    if (s && strlen(s) >= size) {
        char msg[120];
        snprintf(msg, sizeof msg, "'%s' is longer than %zu characters", key,
                 size - 1);
        tr__api_error(r, 422, "invalid", msg, key);
        return 0;
    }
    if (s)
        snprintf(out, size, "%s", s);
    return 1;
}

/* ---- POST /signals ------------------------------------------------------------ *
 *
 * The hot route: a valid signal is submitted to the engine and the worker
 * goes back to other requests; its answer is written on the thread that
 * completes it (the journal writer's, once the records are written) and
 * goes straight to the HTTP service thread. No thread waits, so signals in
 * flight are not capped by the number of workers and each costs no worker
 * wake-up at completion. */

/* A signal on its way through the engine, with what its answer needs. */
typedef struct pending_signal {
    tr_cmd c;
    tr_api *a;
    tr_api_replier later; /* copied: the request is gone by the answer */
    void *token;
    int64_t t0;           /* the handler's start */
} pending_signal;

/* The answer to a signal the engine carried out. */
static void signal_answer(tr_api *a, const tr_cmd *c, int64_t t0,
                          tr_api_response *r)
{
    const tr_ev_control *k = &c->ctl;
    int executed = c->ans.a.executed;
    tr_metric_inc(executed ? a->signals_executed : a->signals_rejected);
    int64_t ns = tr__api_mono_ns() - t0;
    if (executed)
        tr_metric_observe_ns(a->signal_latency, ns);
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "status", executed ? "executed" : "rejected");
    /* A reversal whose entry was refused still executed its exit: the
     * reason then says why the entry was not placed. */
    tr_jw_kstr(&w, "reason",
               k->action == 0 && !executed ? "hold"
               : c->ans.a.reason == TR_RISK_OK
                   ? "ok"
                   : tr_risk_reason_name(c->ans.a.reason));
    tr_jw_kstr(&w, "detail", c->ans.a.detail[0] ? c->ans.a.detail
                             : executed         ? "order placed"
                                                : "nothing to do");
    tr_jw_key(&w, "order_id");
    if (c->ans.a.order_id)
        tr_jw_int(&w, (int64_t)c->ans.a.order_id);
    else
        tr_jw_null(&w);
    tr_jw_kfx(&w, "quantity", c->ans.a.qty);
    tr_jw_knum(&w, "latency_us", (double)ns / 1000.0);
    if (k->ref[0])
        tr_jw_kstr(&w, "signal_id", k->ref);
    tr_jw_kbool(&w, "duplicate", c->ans.duplicate);
    tr_jw_end(&w);
    tr__api_json(r, 200, &w);
}

/* tr_cmdq_submit's completion: answer, count, and let go of the signal. */
static void signal_done(tr_cmd *c, int rc, void *ctx)
{
    pending_signal *p = ctx;
    tr_api_response r;
    memset(&r, 0, sizeof r);
    if (engine_answered(rc, c, &r))
        signal_answer(p->a, c, p->t0, &r);
    tr__api_count(p->a, tr__api_route_signals, r.status, p->t0);
    p->later.reply(p->token, &r);
    free(p);
}

void tr__api_signal(tr_api *a, const tr_api_request *req,
                    const tr_key_info *who, const char (*seg)[96],
                    tr_api_response *r)
{
    (void)seg;
    int64_t t0 = tr__api_mono_ns();
    json_t *b = tr__api_body(req, r);
    if (!b)
        return;
    static const char *fields[] = {
        "symbol",      "action",     "quantity",    "price_target",
        "stop_loss",   "take_profit", "confidence", "strategy_id",
        "timestamp",   "metadata",   "signal_id",   NULL};
    tr_cmd c;
    memset(&c, 0, sizeof c);
    tr_ev_control *k = &c.ctl;
    k->kind = TR_CTL_SIGNAL;
    who_str(who, k->who);
    const char *sym = NULL, *action = NULL;
    if (!tr__api_only_fields(b, fields, r) ||
        !tr__api_str_field(b, "symbol", 1, &sym, r) ||
        !tr__api_symbol(a, sym, "symbol", &k->sym, r) ||
        !tr__api_str_field(b, "action", 1, &action, r))
        goto out;
    if (!strcasecmp(action, "buy"))
        k->action = 1;
    else if (!strcasecmp(action, "sell"))
        k->action = -1;
    else if (!strcasecmp(action, "hold"))
        k->action = 0;
    else {
        tr__api_error(r, 422, "invalid", "action must be BUY, SELL or HOLD",
                      "action");
        goto out;
    }
    if (!tr__api_fx_field(b, "quantity", 0, MAX_QTY, &k->qty, r) ||
        !tr__api_fx_field(b, "price_target", 0, MAX_PRICE, &k->limit_price,
                          r) ||
        !tr__api_fx_field(b, "stop_loss", 0, MAX_PRICE, &k->stop_loss, r) ||
        !tr__api_fx_field(b, "take_profit", 0, MAX_PRICE, &k->take_profit,
                          r) ||
        !text_field(b, "strategy_id", k->strategy, sizeof k->strategy, r) ||
        !ref_field(b, "signal_id", k->ref, r))
        goto out;
    json_t *conf = json_object_get(b, "confidence");
    k->confidence = 1;
    if (conf && !json_is_null(conf)) {
        double v = json_is_number(conf) ? json_number_value(conf) : NAN;
        if (!(v >= 0 && v <= 1)) {
            tr__api_error(r, 422, "invalid", "confidence must be a number "
                          "from 0 to 1", "confidence");
            goto out;
        }
        k->confidence = v;
    }
    json_t *ts = json_object_get(b, "timestamp");
    if (ts && !json_is_null(ts)) {
        tr_time t;
        const char *s = json_is_string(ts) ? json_string_value(ts) : NULL;
        if (!(s && tr_time_parse(s, strlen(s), &t) == TR_OK) &&
            !(json_is_integer(ts) && json_integer_value(ts) >= 0)) {
            tr__api_error(r, 422, "invalid", "timestamp must be an ISO 8601 "
                          "time or seconds since 1970", "timestamp");
            goto out;
        }
    }
    json_t *md = json_object_get(b, "metadata");
    if (md && !json_is_null(md)) {
        if (!json_is_object(md)) {
            tr__api_error(r, 422, "wrong_type", "metadata must be an object",
                          "metadata");
            goto out;
        }
        /* Kept with the signal as its reasons, cut to fit. */
        char *txt = json_dumps(md, JSON_COMPACT | JSON_SORT_KEYS);
        if (txt)
            snprintf(k->reasons, sizeof k->reasons, "%s", txt);
        free(txt);
    }
    if (!k->strategy[0])
        snprintf(k->strategy, sizeof k->strategy, "api");
    if ((k->stop_loss && k->stop_loss == k->take_profit)) {
        tr__api_error(r, 422, "invalid", "stop_loss and take_profit cannot "
                      "be the same price", "take_profit");
        goto out;
    }
    pending_signal *p = malloc(sizeof *p);
    if (!p) {
        tr__api_error(r, 500, "out_of_memory", "the server is out of memory",
                      NULL);
        goto out;
    }
    p->c = c;
    p->a = a;
    p->later = *req->later;
    p->t0 = t0;
    p->token = p->later.defer(p->later.ctx);
    r->later = 1;
    int rc = tr_cmdq_submit(a->d.q, &p->c, signal_done, p);
    if (rc != TR_OK) /* not taken: the 503 goes at once */
        signal_done(&p->c, rc, p);
out:
    json_decref(b);
}

/* ---- orders ---------------------------------------------------------------------- */

static int enum_field(json_t *b, const char *key, const char *const *names,
                      int def, int *out, tr_api_response *r)
{
    const char *s;
    if (!tr__api_str_field(b, key, 0, &s, r))
        return 0;
    if (!s) {
        *out = def;
        return 1;
    }
    for (int i = 0; names[i]; i++)
        if (!strcasecmp(s, names[i])) {
            *out = i;
            return 1;
        }
    char msg[200];
    size_t len = (size_t)snprintf(msg, sizeof msg, "'%s' must be one of: ",
                                  key);
    for (int i = 0; names[i] && len < sizeof msg; i++)
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s",
                                i ? ", " : "", names[i]);
    tr__api_error(r, 422, "invalid", msg, key);
    return 0;
}

void tr__api_order_post(tr_api *a, const tr_api_request *req,
                        const tr_key_info *who, const char (*seg)[96],
                        tr_api_response *r)
{
    (void)seg;
    json_t *b = tr__api_body(req, r);
    if (!b)
        return;
    static const char *fields[] = {
        "symbol",     "side",        "type",      "time_in_force",
        "qty",        "limit_price", "stop_price", "stop_loss",
        "take_profit", "client_order_id", NULL};
    static const char *sides[] = {"buy", "sell", NULL};
    static const char *types[] = {"market", "limit", "stop", "stop_limit",
                                  NULL};
    static const char *tifs[] = {"gtc", "day", "ioc", "fok", NULL};
    tr_cmd c;
    memset(&c, 0, sizeof c);
    tr_ev_control *k = &c.ctl;
    k->kind = TR_CTL_ORDER;
    who_str(who, k->who);
    snprintf(k->strategy, sizeof k->strategy, "api");
    const char *sym = NULL;
    int side, type, tif;
    if (!tr__api_only_fields(b, fields, r) ||
        !tr__api_str_field(b, "symbol", 1, &sym, r) ||
        !tr__api_symbol(a, sym, "symbol", &k->sym, r))
        goto out;
    if (!json_is_string(json_object_get(b, "side"))) {
        tr__api_error(r, 422, "missing_field", "'side' is required (buy or "
                      "sell)", "side");
        goto out;
    }
    if (!enum_field(b, "side", sides, 0, &side, r) ||
        !enum_field(b, "type", types, 0, &type, r) ||
        !enum_field(b, "time_in_force", tifs, 0, &tif, r) ||
        !tr__api_fx_field(b, "qty", 1, MAX_QTY, &k->qty, r) ||
        !tr__api_fx_field(b, "limit_price", 0, MAX_PRICE, &k->limit_price,
                          r) ||
        !tr__api_fx_field(b, "stop_price", 0, MAX_PRICE, &k->stop_price, r) ||
        !tr__api_fx_field(b, "stop_loss", 0, MAX_PRICE, &k->stop_loss, r) ||
        !tr__api_fx_field(b, "take_profit", 0, MAX_PRICE, &k->take_profit,
                          r) ||
        !ref_field(b, "client_order_id", k->ref, r))
        goto out;
    k->side = side == 0 ? 1 : -1;
    k->type = (uint8_t)type;
    k->tif = (uint8_t)tif;
    int needs_limit = type == TR_ORD_LIMIT || type == TR_ORD_STOP_LIMIT;
    int needs_stop = type == TR_ORD_STOP || type == TR_ORD_STOP_LIMIT;
    if (needs_limit != (k->limit_price > 0)) {
        tr__api_error(r, 422, needs_limit ? "missing_field" : "invalid",
                      needs_limit ? "a limit or stop_limit order needs "
                                    "limit_price"
                                  : "limit_price is only for limit and "
                                    "stop_limit orders",
                      "limit_price");
        goto out;
    }
    if (needs_stop != (k->stop_price > 0)) {
        tr__api_error(r, 422, needs_stop ? "missing_field" : "invalid",
                      needs_stop ? "a stop or stop_limit order needs "
                                   "stop_price"
                                 : "stop_price is only for stop and "
                                   "stop_limit orders (a protective stop "
                                   "is stop_loss)",
                      "stop_price");
        goto out;
    }
    /* Bracket legs on the right side of the entry's reference price. */
    tr_fx ref = k->limit_price ? k->limit_price : k->stop_price;
    if (ref && k->stop_loss &&
        (k->side > 0 ? k->stop_loss >= ref : k->stop_loss <= ref)) {
        tr__api_error(r, 422, "invalid", k->side > 0
                      ? "stop_loss of a buy must be below its price"
                      : "stop_loss of a sell must be above its price",
                      "stop_loss");
        goto out;
    }
    if (ref && k->take_profit &&
        (k->side > 0 ? k->take_profit <= ref : k->take_profit >= ref)) {
        tr__api_error(r, 422, "invalid", k->side > 0
                      ? "take_profit of a buy must be above its price"
                      : "take_profit of a sell must be below its price",
                      "take_profit");
        goto out;
    }
    if (!call_engine(a, &c, r))
        goto out;
    if (!c.ans.a.executed) {
        char code[48], msg[220];
        snprintf(code, sizeof code, "risk_%s",
                 tr_risk_reason_name(c.ans.a.reason));
        snprintf(msg, sizeof msg, "order refused: %s",
                 c.ans.a.detail[0] ? c.ans.a.detail : "nothing to do");
        tr__api_error(r, 422, c.ans.a.reason ? code : "refused", msg, NULL);
        goto out;
    }
    /* Answer with the order as the engine has it now. */
    char path[32];
    snprintf(path, sizeof path, "%" PRIu64, c.ans.a.order_id);
    char segs[4][96];
    snprintf(segs[1], sizeof segs[1], "%s", path);
    tr__api_order(a, req, who, (const char(*)[96])segs, r);
    if (r->status == 200)
        r->status = c.ans.duplicate ? 200 : 201;
    snprintf(r->headers, sizeof r->headers,
             "Location: /api/v1/orders/%" PRIu64 "\r\n", c.ans.a.order_id);
out:
    json_decref(b);
}

void tr__api_cancel(tr_api *a, const tr_api_request *req,
                    const tr_key_info *who, const char (*seg)[96],
                    tr_api_response *r)
{
    (void)req;
    uint64_t id;
    if (!tr__api_order_id(seg[1], &id)) {
        tr__api_error(r, 404, "not_found", "no such order", NULL);
        return;
    }
    /* Known but final: a conflict, said before bothering the engine. */
    const tr_view_state *s = tr_view_acquire(a->d.view);
    int known = id <= s->norders && s->orders[id - 1].id == id;
    tr_order_status st = known ? s->orders[id - 1].status : TR_ORD_NEW;
    tr_view_release(a->d.view);
    if (!known) {
        tr__api_error(r, 404, "not_found", "no such order", NULL);
        return;
    }
    if (tr_order_is_final(st)) {
        char msg[120];
        snprintf(msg, sizeof msg, "order %" PRIu64 " is %s: only open orders "
                 "can be cancelled", id, tr_order_status_name(st));
        tr__api_error(r, 409, "conflict", msg, NULL);
        return;
    }
    tr_cmd c;
    memset(&c, 0, sizeof c);
    c.ctl.kind = TR_CTL_CANCEL;
    c.ctl.id = id;
    who_str(who, c.ctl.who);
    if (!call_engine(a, &c, r))
        return;
    if (c.ans.status == TR_CMD_NOT_FOUND) {
        tr__api_error(r, 409, "conflict", "the order is no longer open", NULL);
        return;
    }
    tr__api_order(a, req, who, seg, r);
}

void tr__api_cancel_all(tr_api *a, const tr_api_request *req,
                        const tr_key_info *who, const char (*seg)[96],
                        tr_api_response *r)
{
    (void)req, (void)seg;
    size_t open_before = 0;
    const tr_view_state *s = tr_view_acquire(a->d.view);
    for (size_t i = 0; i < s->norders; i++)
        open_before += s->orders[i].id && !tr_order_is_final(s->orders[i].status);
    tr_view_release(a->d.view);
    tr_cmd c;
    memset(&c, 0, sizeof c);
    c.ctl.kind = TR_CTL_CANCEL;
    who_str(who, c.ctl.who);
    if (!call_engine(a, &c, r))
        return;
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_kint(&w, "cancelled", (int64_t)open_before);
    tr_jw_end(&w);
    tr__api_json(r, 200, &w);
}

void tr__api_close(tr_api *a, const tr_api_request *req,
                   const tr_key_info *who, const char (*seg)[96],
                   tr_api_response *r)
{
    (void)req;
    tr_cmd c;
    memset(&c, 0, sizeof c);
    c.ctl.kind = TR_CTL_CLOSE;
    who_str(who, c.ctl.who);
    if (!tr__api_symbol(a, seg[1], NULL, &c.ctl.sym, r))
        return;
    if (!call_engine(a, &c, r))
        return;
    if (c.ans.status == TR_CMD_NOT_FOUND) {
        tr__api_error(r, 409, "conflict", "there is no open position to "
                      "close", NULL);
        return;
    }
    if (!c.ans.a.executed) {
        tr__api_error(r, 422, "refused", "the broker refused the closing "
                      "order", NULL);
        return;
    }
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "symbol", seg[1]);
    tr_jw_kint(&w, "order_id", (int64_t)c.ans.a.order_id);
    tr_jw_kfx(&w, "qty", c.ans.a.qty);
    tr_jw_end(&w);
    tr__api_json(r, 202, &w);
}

/* ---- strategies and risk ------------------------------------------------------------ */

void tr__api_strategy_patch(tr_api *a, const tr_api_request *req,
                            const tr_key_info *who, const char (*seg)[96],
                            tr_api_response *r)
{
    const tr_strategy_def *d = a->d.cfg->engine.strategy;
    if (strcmp(seg[1], d->name) != 0) {
        tr__api_error(r, 404, "not_found", "no such strategy in this run",
                      NULL);
        return;
    }
    json_t *b = tr__api_body(req, r);
    if (!b)
        return;
    tr_cmd c;
    memset(&c, 0, sizeof c);
    c.ctl.kind = TR_CTL_STRATEGY;
    c.ctl.enabled = -1;
    who_str(who, c.ctl.who);
    if (!tr__api_only_fields(b, (const char *[]){"enabled", "params", NULL},
                             r))
        goto out;
    json_t *en = json_object_get(b, "enabled");
    if (en) {
        if (!json_is_boolean(en)) {
            tr__api_error(r, 422, "wrong_type", "enabled must be true or "
                          "false", "enabled");
            goto out;
        }
        c.ctl.enabled = json_is_true(en);
    }
    json_t *ps = json_object_get(b, "params");
    if (ps) {
        if (!json_is_object(ps)) {
            tr__api_error(r, 422, "wrong_type", "params must be an object",
                          "params");
            goto out;
        }
        /* Start from the values in force; change what is given. */
        const tr_view_state *s = tr_view_acquire(a->d.view);
        memcpy(c.ctl.params, s->params, sizeof(double) * d->nparams);
        tr_view_release(a->d.view);
        const char *key;
        json_t *v;
        json_object_foreach(ps, key, v) {
            size_t i = 0;
            while (i < d->nparams && strcmp(d->params[i].name, key) != 0)
                i++;
            char field[80], msg[200];
            snprintf(field, sizeof field, "params.%.60s", key);
            if (i == d->nparams) {
                snprintf(msg, sizeof msg, "%s has no parameter '%.60s'",
                         d->name, key);
                tr__api_error(r, 422, "unknown_field", msg, field);
                goto out;
            }
            const tr_param_def *p = &d->params[i];
            double x = json_is_boolean(v)  ? (double)json_is_true(v)
                       : json_is_number(v) ? json_number_value(v)
                                           : NAN;
            int ok = isfinite(x) && x >= p->min && x <= p->max &&
                     (p->type == TR_PARAM_NUM || x == floor(x)) &&
                     (p->type != TR_PARAM_BOOL || json_is_boolean(v));
            if (!ok) {
                snprintf(msg, sizeof msg, "%s must be %s from %g to %g", key,
                         p->type == TR_PARAM_BOOL  ? "true or false, not"
                         : p->type == TR_PARAM_INT ? "a whole number"
                                                   : "a number",
                         p->min, p->max);
                tr__api_error(r, 422, "invalid", msg, field);
                goto out;
            }
            c.ctl.params[i] = x;
        }
        if (!json_object_size(ps)) {
            tr__api_error(r, 422, "invalid", "params is empty: name the "
                          "parameters to change", "params");
            goto out;
        }
        c.ctl.nparams = (uint8_t)d->nparams;
    }
    if (c.ctl.enabled < 0 && !c.ctl.nparams) {
        tr__api_error(r, 422, "missing_field", "give enabled and/or params",
                      NULL);
        goto out;
    }
    if (!call_engine(a, &c, r))
        goto out;
    if (c.ans.status == TR_CMD_REFUSED) {
        char msg[220];
        snprintf(msg, sizeof msg, "parameters refused: %s", c.ans.a.detail);
        tr__api_error(r, 422, "invalid", msg, "params");
        goto out;
    }
    tr__api_strategy(a, req, who, seg, r);
out:
    json_decref(b);
}

void tr__api_halt(tr_api *a, const tr_api_request *req,
                  const tr_key_info *who, const char (*seg)[96],
                  tr_api_response *r)
{
    tr_cmd c;
    memset(&c, 0, sizeof c);
    c.ctl.kind = !strcmp(seg[1], "halt") ? TR_CTL_HALT : TR_CTL_RESUME;
    who_str(who, c.ctl.who);
    if (!call_engine(a, &c, r))
        return;
    tr__api_risk(a, req, who, seg, r);
}
