/* api_int.h: what the API's source files share (not public). */
#ifndef TR_API_INT_H
#define TR_API_INT_H

#include <jansson.h>

#include "api/api.h"
#include "api/jsonw.h"
#include "core/symbol.h"

struct tr_api {
    tr_api_deps d;
    tr_ratelimit *rl;
    tr_symtab *syms;  /* ids as in the config: 0 .. ndata-1 */
    tr_metric_series *signals_executed, *signals_rejected, *signal_latency;
    /* POST /signals' request series, looked up once rather than by name
     * under the registry's lock for every signal */
    tr_metric_series *signals_ok, *signals_route_latency;
};

/* The route of POST /signals, for its metrics. */
extern const char tr__api_route_signals[];

int64_t tr__api_mono_ns(void);

/* Count an answer in the request metrics: requests by route and status,
 * latency by route from t0 (tr__api_mono_ns). */
void tr__api_count(tr_api *a, const char *route, int status, int64_t t0);

/* Responses. */
void tr__api_json(tr_api_response *r, int status, tr_jw *w);
void tr__api_error(tr_api_response *r, int status, const char *code,
                   const char *message, const char *field);

/* Request bodies (api_parse.c): each returns 1 when fine, else 0 with the
 * 4xx response set. */
json_t *tr__api_body(const tr_api_request *req, tr_api_response *r);
int tr__api_only_fields(json_t *obj, const char *const *allowed,
                        tr_api_response *r);
int tr__api_str_field(json_t *obj, const char *key, int required,
                      const char **out, tr_api_response *r);
/* A positive amount: a JSON number or a decimal string, at most max;
 * absent -> *out = 0 unless required. */
int tr__api_fx_field(json_t *obj, const char *key, int required, tr_fx max,
                     tr_fx *out, tr_api_response *r);
int tr__api_symbol(tr_api *a, const char *name, const char *field,
                   tr_sym *out, tr_api_response *r);
/* A query parameter's value into buf (URL-decoded); 1 when present. */
int tr__api_query(const char *query, const char *key, char *buf,
                  size_t size);

/* An order id from a path segment: digits, or the client id "tr-N". */
int tr__api_order_id(const char *s, uint64_t *id);

typedef void tr__api_handler(tr_api *a, const tr_api_request *req,
                             const tr_key_info *who, const char (*seg)[96],
                             tr_api_response *r);

/* Reads (api_read.c). */
void tr__api_health(tr_api *a, tr_api_response *r);
void tr__api_ready(tr_api *a, tr_api_response *r);
void tr__api_openapi(tr_api_response *r);
void tr__api_metrics(tr_api *a, tr_api_response *r);
tr__api_handler tr__api_account, tr__api_portfolio, tr__api_positions,
    tr__api_position, tr__api_orders, tr__api_order, tr__api_trades,
    tr__api_strategies, tr__api_strategy, tr__api_risk, tr__api_bars,
    tr__api_signals, tr__api_logs;

/* API keys, for admins (api_keys.c). */
tr__api_handler tr__api_keys, tr__api_key_post, tr__api_key_delete;

/* Backtests in worker processes (api_backtests.c). */
tr__api_handler tr__api_backtest_post, tr__api_backtests, tr__api_backtest,
    tr__api_backtest_report;

/* Changes, through the engine (api_write.c). */
tr__api_handler tr__api_signal, tr__api_order_post, tr__api_cancel,
    tr__api_cancel_all, tr__api_close, tr__api_strategy_patch, tr__api_halt;

#endif
