/* api.h: the REST API of `trader run` (/api/v1/..., /metrics), independent
 * of the HTTP server that carries it: a request in, a response out.
 *
 * Reads come from the engine's view (engine/view.h) and the SQLite store;
 * everything that changes something (signals, orders, cancels, halts,
 * strategy controls) goes to the engine thread through the command queue
 * and is answered once the engine has carried it out and the journal has
 * it. Every request is authenticated (an API key, or a session token from
 * POST /api/v1/auth/login), rate-limited per key, and checked field by
 * field; errors are {"error": {"code", "message", "field"}}.
 *
 * Threads: tr_api_handle runs on the HTTP server's worker threads, any
 * number at once; it may wait for the engine, never runs engine logic. */
#ifndef TR_API_H
#define TR_API_H

#include <stddef.h>

#include "api/auth.h"
#include "api/backtests.h"
#include "api/loglines.h"
#include "api/metrics.h"
#include "engine/backtest.h"
#include "engine/command.h"
#include "engine/view.h"

typedef struct tr_api_response tr_api_response;

/* Answering later, the transport's part (see tr_http_defer): a handler
 * that would wait for the engine calls defer(ctx) before it hands the
 * work on and returns; whoever finishes the work calls reply(token, resp)
 * exactly once, from any thread, and the callee takes resp's body. */
typedef struct tr_api_replier {
    void *(*defer)(void *ctx);
    void (*reply)(void *token, tr_api_response *resp);
    void *ctx;
} tr_api_replier;

typedef struct tr_api_request {
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* without the query */
    const char *query;         /* raw, without '?'; may be NULL */
    const char *authorization; /* the header's value, or NULL */
    const char *body;          /* may be NULL when body_len is 0 */
    size_t body_len;
    /* How to answer later; required (copied by the handler that defers).
     * POST /signals answers that way once it has a valid signal, so that
     * no thread waits while the engine and the journal carry it out. */
    const tr_api_replier *later;
} tr_api_request;

struct tr_api_response {
    int status;
    const char *content_type;  /* static */
    char *body;                /* malloc'd; the caller frees it */
    size_t body_len;
    char headers[128];         /* extra "Name: value\r\n" lines, or "" */
    int later;                 /* 1: the answer comes through req->later
                                  instead (nothing else here is set) */
};

typedef struct tr_api_deps {
    const tr_bt_config *cfg;   /* borrowed for the API's life */
    tr_view *view;
    tr_cmdq *q;
    tr_keys *keys;             /* the key store */
    tr_metrics *metrics;       /* may be NULL */
    tr_bt_jobs *jobs;          /* backtests; may be NULL (routes 503) */
    tr_loglines *logs;         /* the latest log lines; may be NULL */
    int metrics_public;        /* /metrics without a key */
    uint32_t rate_limit;       /* requests per minute per key */
} tr_api_deps;

typedef struct tr_api tr_api;

/* TR_OK, TR_ERR_NOMEM, TR_ERR_INVALID (a bad rate limit). */
int tr_api_new(const tr_api_deps *deps, tr_api **out /* OUT */);
void tr_api_free(tr_api *api);

/* Answer one request (any thread). */
void tr_api_handle(tr_api *api, const tr_api_request *req,
                   tr_api_response *resp /* OUT */);

#endif
