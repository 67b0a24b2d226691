/* api.c: routing, authentication and the answers of the REST API (see
 * api.h). Request bodies are parsed by api_parse.c; state is written as
 * JSON by api_write.c. */
#include "api/api.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "api/api_int.h"
#include "core/err.h"
#include "core/log.h"

const char tr__api_route_signals[] = "/api/v1/signals";

int tr_api_new(const tr_api_deps *deps, tr_api **out)
{
    tr_api *a = calloc(1, sizeof *a);
    if (!a)
        return TR_ERR_NOMEM;
    a->d = *deps;
    uint32_t rl = deps->rate_limit ? deps->rate_limit : TR_RATELIMIT_DEFAULT;
    int rc = tr_ratelimit_new(rl, rl, &a->rl);
    if (rc != TR_OK) {
        free(a);
        return rc;
    }
    a->syms = tr_symtab_new();
    if (!a->syms) {
        tr_api_free(a);
        return TR_ERR_NOMEM;
    }
    for (size_t i = 0; i < deps->cfg->ndata; i++) {
        tr_sym s;
        if (tr_symtab_intern(a->syms, deps->cfg->data[i].symbol, &s) !=
            TR_OK) {
            tr_api_free(a);
            return TR_ERR_NOMEM;
        }
    }
    a->signals_executed =
        tr_metrics_get(deps->metrics, TR_M_SIGNALS_TOTAL, "executed", NULL);
    a->signals_rejected =
        tr_metrics_get(deps->metrics, TR_M_SIGNALS_TOTAL, "rejected", NULL);
    a->signal_latency =
        tr_metrics_get(deps->metrics, TR_M_SIGNAL_TO_ORDER, NULL, NULL);
    a->signals_ok = tr_metrics_get(deps->metrics, TR_M_API_REQUESTS_TOTAL,
                                   tr__api_route_signals, "200");
    a->signals_route_latency = tr_metrics_get(
        deps->metrics, TR_M_API_LATENCY, tr__api_route_signals, NULL);
    *out = a;
    return TR_OK;
}

void tr_api_free(tr_api *a)
{
    if (!a)
        return;
    tr_ratelimit_free(a->rl);
    tr_symtab_free(a->syms);
    free(a);
}

int64_t tr__api_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * TR_NS_PER_SEC + ts.tv_nsec;
}

/* ---- answers ------------------------------------------------------------------ */

void tr__api_json(tr_api_response *r, int status, tr_jw *w)
{
    size_t len;
    char *body = tr_jw_take(w, &len);
    if (!body) {
        tr__api_error(r, 500, "out_of_memory", "the server is out of memory",
                      NULL);
        return;
    }
    r->status = status;
    r->content_type = "application/json";
    r->body = body;
    r->body_len = len;
}

void tr__api_error(tr_api_response *r, int status, const char *code,
                   const char *message, const char *field)
{
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_key(&w, "error");
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "code", code);
    tr_jw_kstr(&w, "message", message);
    tr_jw_key(&w, "field");
    if (field)
        tr_jw_str(&w, field);
    else
        tr_jw_null(&w);
    tr_jw_end(&w);
    tr_jw_end(&w);
    size_t len;
    char *body = tr_jw_take(&w, &len);
    r->status = status;
    r->content_type = "application/json";
    free(r->body);
    r->body = body; /* NULL when out of memory: an empty body */
    r->body_len = body ? len : 0;
}

/* ---- authentication ------------------------------------------------------------ */

/* Who is asking: the key behind the Authorization header, within its rate
 * limit and allowed `need`. 1 when so; else the response is the refusal. */
static int authorize(tr_api *a, const tr_api_request *req, tr_role need,
                     tr_key_info *who, tr_api_response *r)
{
    const char *h = req->authorization;
    if (!h || !*h) {
        tr__api_error(r, 401, "unauthorized",
                      "send 'Authorization: Bearer <API key or session "
                      "token>' (create a key with `trader keys create`)",
                      NULL);
        return 0;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        tr__api_error(r, 401, "unauthorized",
                      "the Authorization header must be 'Bearer <token>'",
                      NULL);
        return 0;
    }
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    size_t len = strlen(tok);
    tr_time now = tr_time_now();
    const char *reason = NULL;
    int rc = strncmp(tok, TR_KEY_PREFIX, TR_KEY_PREFIX_LEN) == 0
                 ? tr_keys_verify(a->d.keys, tok, len, now, who, &reason)
                 : tr_keys_jwt_verify(a->d.keys, tok, len, now, who, &reason);
    if (rc == TR_ERR_IO) {
        tr__api_error(r, 503, "unavailable",
                      "the key store cannot be read; try again", NULL);
        return 0;
    }
    if (rc != TR_OK) {
        char msg[200];
        snprintf(msg, sizeof msg, "credential refused: %s",
                 reason ? reason : tr_strerror(rc));
        tr__api_error(r, 401, "unauthorized", msg, NULL);
        return 0;
    }
    uint32_t retry = 0;
    if (tr_ratelimit_take(a->rl, who->id, now, &retry) == 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "rate limit of %" PRIu32 " requests a "
                 "minute reached; retry in %" PRIu32 " s",
                 a->d.rate_limit ? a->d.rate_limit : TR_RATELIMIT_DEFAULT,
                 retry);
        tr__api_error(r, 429, "rate_limited", msg, NULL);
        snprintf(r->headers, sizeof r->headers, "Retry-After: %" PRIu32 "\r\n",
                 retry);
        return 0;
    }
    if (!tr_role_allows(who->role, need)) {
        char msg[160];
        snprintf(msg, sizeof msg, "this needs the %s role; the key '%s' is "
                 "a %s", tr_role_name(need), who->name[0] ? who->name : who->id,
                 tr_role_name(who->role));
        tr__api_error(r, 403, "forbidden", msg, NULL);
        return 0;
    }
    return 1;
}

/* POST /api/v1/auth/login {"key": "trk_..."} -> a session token. */
static void login(tr_api *a, const tr_api_request *req, tr_api_response *r)
{
    json_t *root = tr__api_body(req, r);
    if (!root)
        return;
    const char *key = NULL;
    if (!tr__api_only_fields(root, (const char *[]){"key", "ttl_s", NULL}, r) ||
        !tr__api_str_field(root, "key", 1, &key, r)) {
        json_decref(root);
        return;
    }
    int64_t ttl = 8 * 3600;
    json_t *t = json_object_get(root, "ttl_s");
    if (t && (!json_is_integer(t) || json_integer_value(t) < 60 ||
              json_integer_value(t) > 7 * 86400)) {
        tr__api_error(r, 422, "invalid", "ttl_s must be whole seconds from "
                      "60 to 604800", "ttl_s");
        json_decref(root);
        return;
    }
    if (t)
        ttl = json_integer_value(t);
    tr_time now = tr_time_now();
    tr_key_info who;
    const char *reason = NULL;
    int rc = tr_keys_verify(a->d.keys, key, strlen(key), now, &who, &reason);
    json_decref(root);
    if (rc != TR_OK) {
        char msg[200];
        snprintf(msg, sizeof msg, "key refused: %s",
                 reason ? reason : tr_strerror(rc));
        tr__api_error(r, rc == TR_ERR_IO ? 503 : 401,
                      rc == TR_ERR_IO ? "unavailable" : "unauthorized", msg,
                      "key");
        return;
    }
    char token[TR_JWT_MAX];
    if (tr_keys_jwt_issue(a->d.keys, who.id, now, ttl, token, sizeof token) !=
        TR_OK) {
        tr__api_error(r, 503, "unavailable", "cannot issue a session now",
                      NULL);
        return;
    }
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "token", token);
    tr_jw_kstr(&w, "token_type", "Bearer");
    tr_jw_ktime(&w, "expires_at", now + ttl * TR_NS_PER_SEC);
    tr_jw_kstr(&w, "role", tr_role_name(who.role));
    tr_jw_kstr(&w, "name", who.name);
    tr_jw_kstr(&w, "key_id", who.id);
    tr_jw_end(&w);
    tr__api_json(r, 200, &w);
}

/* ---- routing ---------------------------------------------------------------------- */

/* Split path under /api/v1/ into at most 4 segments. */
static size_t segments(const char *path, char seg[4][96])
{
    size_t n = 0;
    const char *p = path;
    while (*p && n < 4) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, "/");
        if (len >= 96)
            return 5; /* too long: no route */
        memcpy(seg[n], p, len);
        seg[n][len] = '\0';
        n++;
        p += len;
    }
    while (*p == '/')
        p++;
    return *p ? 5 : n;
}

static void not_allowed(tr_api_response *r, const char *allow)
{
    char msg[120];
    snprintf(msg, sizeof msg, "method not allowed here; allowed: %s", allow);
    tr__api_error(r, 405, "method_not_allowed", msg, NULL);
    snprintf(r->headers, sizeof r->headers, "Allow: %s\r\n", allow);
}

static int is(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

/* Answer req; *route gets the route's pattern (for metrics: never the raw
 * path, so no request can make up new series), "other" when none. */
static void dispatch(tr_api *a, const tr_api_request *req, tr_api_response *r,
                     const char **route)
{
    *route = "other";
    const char *m = req->method;
    if (!strcmp(req->path, "/metrics")) {
        *route = "/metrics";
        if (!is(m, "GET"))
            return not_allowed(r, "GET");
        tr_key_info who;
        if (!a->d.metrics_public &&
            !authorize(a, req, TR_ROLE_VIEWER, &who, r))
            return;
        return tr__api_metrics(a, r);
    }
    if (strncmp(req->path, "/api/v1/", 8) != 0) {
        tr__api_error(r, 404, "not_found", "no such path (the API is under "
                      "/api/v1/; see /api/v1/openapi.json)", NULL);
        return;
    }
    char seg[4][96];
    size_t n = segments(req->path + 8, seg);
    if (n == 0 || n > 4) {
        tr__api_error(r, 404, "not_found", "no such path", NULL);
        return;
    }
    const char *s0 = seg[0];
    /* Open to all: liveness, readiness, the API's description, login. */
    if (n == 1 && !strcmp(s0, "health")) {
        *route = "/api/v1/health";
        return is(m, "GET") ? tr__api_health(a, r) : not_allowed(r, "GET");
    }
    if (n == 1 && !strcmp(s0, "ready")) {
        *route = "/api/v1/ready";
        return is(m, "GET") ? tr__api_ready(a, r) : not_allowed(r, "GET");
    }
    if (n == 1 && !strcmp(s0, "openapi.json")) {
        *route = "/api/v1/openapi.json";
        return is(m, "GET") ? tr__api_openapi(r) : not_allowed(r, "GET");
    }
    if (n == 2 && !strcmp(s0, "auth") && !strcmp(seg[1], "login")) {
        *route = "/api/v1/auth/login";
        return is(m, "POST") ? login(a, req, r) : not_allowed(r, "POST");
    }

    tr_key_info who;
    tr_role need = is(m, "GET") ? TR_ROLE_VIEWER : TR_ROLE_TRADER;
    if ((!strcmp(s0, "strategies") || !strcmp(s0, "risk")) && !is(m, "GET"))
        need = TR_ROLE_ADMIN;
    if (!strcmp(s0, "keys")) /* even listing them */
        need = TR_ROLE_ADMIN;
    /* Route first (a 404 or 405 needs no key), then authorize. */
    typedef void (*handler)(tr_api *, const tr_api_request *,
                            const tr_key_info *, const char (*)[96],
                            tr_api_response *);
    handler h = NULL;
    const char *allow = NULL;
    if (n == 1 && !strcmp(s0, "account"))
        *route = "/api/v1/account",
        allow = "GET", h = is(m, "GET") ? tr__api_account : NULL;
    else if (n == 1 && !strcmp(s0, "portfolio"))
        *route = "/api/v1/portfolio",
        allow = "GET", h = is(m, "GET") ? tr__api_portfolio : NULL;
    else if (n == 1 && !strcmp(s0, "positions"))
        *route = "/api/v1/positions",
        allow = "GET", h = is(m, "GET") ? tr__api_positions : NULL;
    else if (n == 2 && !strcmp(s0, "positions"))
        *route = "/api/v1/positions/{symbol}",
        allow = "GET", h = is(m, "GET") ? tr__api_position : NULL;
    else if (n == 3 && !strcmp(s0, "positions") && !strcmp(seg[2], "close"))
        *route = "/api/v1/positions/{symbol}/close",
        allow = "POST", h = is(m, "POST") ? tr__api_close : NULL;
    else if (n == 1 && !strcmp(s0, "orders"))
        *route = "/api/v1/orders",
        allow = "GET, POST, DELETE",
        h = is(m, "GET")      ? tr__api_orders
            : is(m, "POST")   ? tr__api_order_post
            : is(m, "DELETE") ? tr__api_cancel_all
                              : NULL;
    else if (n == 2 && !strcmp(s0, "orders"))
        *route = "/api/v1/orders/{id}",
        allow = "GET, DELETE",
        h = is(m, "GET")      ? tr__api_order
            : is(m, "DELETE") ? tr__api_cancel
                              : NULL;
    else if (n == 1 && !strcmp(s0, "trades"))
        *route = "/api/v1/trades",
        allow = "GET", h = is(m, "GET") ? tr__api_trades : NULL;
    else if (n == 1 && !strcmp(s0, "signals"))
        *route = tr__api_route_signals,
        allow = "GET, POST",
        h = is(m, "GET")    ? tr__api_signals
            : is(m, "POST") ? tr__api_signal
                            : NULL;
    else if (n == 1 && !strcmp(s0, "strategies"))
        *route = "/api/v1/strategies",
        allow = "GET", h = is(m, "GET") ? tr__api_strategies : NULL;
    else if (n == 2 && !strcmp(s0, "strategies"))
        *route = "/api/v1/strategies/{name}",
        allow = "GET, PATCH",
        h = is(m, "GET")     ? tr__api_strategy
            : is(m, "PATCH") ? tr__api_strategy_patch
                             : NULL;
    else if (n == 1 && !strcmp(s0, "risk"))
        *route = "/api/v1/risk",
        allow = "GET", h = is(m, "GET") ? tr__api_risk : NULL;
    else if (n == 2 && !strcmp(s0, "risk") &&
             (!strcmp(seg[1], "halt") || !strcmp(seg[1], "resume")))
        *route = !strcmp(seg[1], "halt") ? "/api/v1/risk/halt"
                                         : "/api/v1/risk/resume",
        allow = "POST", h = is(m, "POST") ? tr__api_halt : NULL;
    else if (n == 1 && !strcmp(s0, "keys"))
        *route = "/api/v1/keys",
        allow = "GET, POST",
        h = is(m, "GET")    ? tr__api_keys
            : is(m, "POST") ? tr__api_key_post
                            : NULL;
    else if (n == 2 && !strcmp(s0, "keys"))
        *route = "/api/v1/keys/{id}",
        allow = "DELETE", h = is(m, "DELETE") ? tr__api_key_delete : NULL;
    else if (n == 1 && !strcmp(s0, "backtests"))
        *route = "/api/v1/backtests",
        allow = "GET, POST",
        h = is(m, "GET")    ? tr__api_backtests
            : is(m, "POST") ? tr__api_backtest_post
                            : NULL;
    else if (n == 2 && !strcmp(s0, "backtests"))
        *route = "/api/v1/backtests/{id}",
        allow = "GET", h = is(m, "GET") ? tr__api_backtest : NULL;
    else if (n == 3 && !strcmp(s0, "backtests") && !strcmp(seg[2], "report"))
        *route = "/api/v1/backtests/{id}/report",
        allow = "GET", h = is(m, "GET") ? tr__api_backtest_report : NULL;
    else if (n == 1 && !strcmp(s0, "logs"))
        *route = "/api/v1/logs",
        allow = "GET", h = is(m, "GET") ? tr__api_logs : NULL;
    else if (n == 2 && !strcmp(s0, "bars"))
        *route = "/api/v1/bars/{symbol}",
        allow = "GET", h = is(m, "GET") ? tr__api_bars : NULL;
    if (!allow) {
        *route = "other";
        tr__api_error(r, 404, "not_found", "no such path (see "
                      "/api/v1/openapi.json)", NULL);
        return;
    }
    if (!h)
        return not_allowed(r, allow);
    if (!authorize(a, req, need, &who, r))
        return;
    h(a, req, &who, (const char(*)[96])seg, r);
}

void tr__api_count(tr_api *a, const char *route, int status, int64_t t0)
{
    if (!a->d.metrics)
        return;
    int hot = route == tr__api_route_signals;
    tr_metric_series *n = hot && status == 200 ? a->signals_ok : NULL;
    if (!n) {
        char code[8];
        snprintf(code, sizeof code, "%d", status);
        n = tr_metrics_get(a->d.metrics, TR_M_API_REQUESTS_TOTAL, route,
                           code);
    }
    tr_metric_inc(n);
    tr_metric_observe_ns(hot ? a->signals_route_latency
                             : tr_metrics_get(a->d.metrics, TR_M_API_LATENCY,
                                              route, NULL),
                         tr__api_mono_ns() - t0);
}

void tr_api_handle(tr_api *a, const tr_api_request *req, tr_api_response *r)
{
    memset(r, 0, sizeof *r);
    int64_t t0 = tr__api_mono_ns();
    const char *route;
    dispatch(a, req, r, &route);
    if (r->later)
        return; /* counted when answered */
    if (!r->status)
        tr__api_error(r, 500, "internal", "no answer", NULL);
    tr__api_count(a, route, r->status, t0);
}
