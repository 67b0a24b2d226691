/* service.c: the API service around a live run (see service.h). */
#include "api/service.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/http.h"
#include "api/jsonw.h"
#include "api/loglines.h"
#include "core/err.h"
#include "core/files.h"
#include "core/log.h"
#include "core/time.h"
#include "store/event.h"
#include "store/journal.h"

enum {
    CH_BARS,
    CH_SIGNALS,
    CH_ORDERS,
    CH_FILLS,
    CH_POSITIONS,
    CH_PORTFOLIO,
    CH_RISK,
    CH_LOGS,
    CH_COUNT
};
static const char *const channel_names[CH_COUNT] = {
    "bars", "signals", "orders", "fills", "positions", "portfolio", "risk",
    "logs"};

#define STREAM_POLL_MS 10

struct tr_service {
    const tr_bt_config *cfg;
    tr_view *view;
    tr_keys *keys;
    tr_bt_jobs *jobs;
    tr_api *api;
    tr_http_server *http;
    pthread_t stream;
    int stream_started;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int stopping;
    tr_loglines *lines;   /* the latest log lines, also for GET /logs */
    uint64_t log_sent;    /* the newest line the stream published */
    /* where the stream stands in the journal */
    uint64_t next_seq, seg, off;
    int have_pos;
};

/* ---- the HTTP side ------------------------------------------------------------- */

/* An API answer into an HTTP one (the body passes over). */
static void to_http(tr_api_response *out, tr_http_response *resp)
{
    resp->status = out->status;
    resp->content_type = out->content_type;
    resp->body = out->body; /* ownership passes to the server */
    resp->body_len = out->body_len;
    out->body = NULL;
    /* Extra headers come as "Name: value\r\n" lines. */
    for (char *line = out->headers; *line;) {
        char *end = strstr(line, "\r\n");
        if (!end)
            break;
        *end = '\0';
        char *colon = strchr(line, ':');
        if (colon) {
            *colon = '\0';
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            tr_http_response_header(resp, line, v);
        }
        line = end + 2;
    }
}

static void *defer_http(void *ctx)
{
    return tr_http_defer(ctx);
}

static void reply_http(void *token, tr_api_response *out)
{
    tr_http_response resp;
    memset(&resp, 0, sizeof resp);
    to_http(out, &resp);
    tr_http_answer(token, &resp);
}

static void on_request(void *user, const tr_http_request *req,
                       tr_http_response *resp)
{
    tr_service *s = user;
    tr_api_replier later = {defer_http, reply_http, resp};
    tr_api_request ar = {tr_http_method_name(req->method), req->path,
                         req->query, req->authorization, req->body,
                         req->body_len, &later};
    tr_api_response out;
    tr_api_handle(s->api, &ar, &out);
    if (!out.later)
        to_http(&out, resp);
}

/* WebSocket clients show a key or a session token in the Authorization
 * header or, for browsers (which cannot set headers on a WebSocket), as
 * ?token=... in the URL. The check reads memory only (tr_keys_verify). */
static int on_ws_accept(void *user, const tr_http_request *req)
{
    tr_service *s = user;
    char tok[TR_JWT_INPUT_MAX + 1] = "";
    const char *h = req->authorization;
    if (h && !strncasecmp(h, "Bearer ", 7))
        snprintf(tok, sizeof tok, "%s", h + 7);
    else if (req->query) {
        const char *p = strstr(req->query, "token=");
        if (p && (p == req->query || p[-1] == '&')) {
            p += 6;
            size_t n = strcspn(p, "&");
            if (n < sizeof tok) {
                memcpy(tok, p, n);
                tok[n] = '\0';
            }
        }
    }
    if (!tok[0])
        return 401;
    tr_time now = tr_time_now();
    size_t len = strlen(tok);
    int rc = !strncmp(tok, TR_KEY_PREFIX, TR_KEY_PREFIX_LEN)
                 ? tr_keys_verify(s->keys, tok, len, now, NULL, NULL)
                 : tr_keys_jwt_verify(s->keys, tok, len, now, NULL, NULL);
    return rc == TR_OK ? 0 : 401;
}

/* ---- the stream: journal records to channels ------------------------------------- */

static void publish(tr_service *s, int ch, tr_jw *w)
{
    size_t len;
    char *txt = tr_jw_take(w, &len);
    if (txt)
        tr_http_publish(s->http, (size_t)ch, txt, len);
    free(txt);
}

static void begin(tr_jw *w, const char *type, const tr_record *rec)
{
    tr_jw_init(w);
    tr_jw_obj(w);
    tr_jw_kstr(w, "type", type);
    tr_jw_kint(w, "seq", (int64_t)rec->seq);
    tr_jw_ktime(w, "time", rec->time);
    tr_jw_key(w, "data");
    tr_jw_obj(w);
}

static const char *sym_name(const tr_service *s, tr_sym id)
{
    return id < s->cfg->ndata ? s->cfg->data[id].symbol : "?";
}

static void stream_record(tr_service *s, const tr_record *rec)
{
    tr_jw w;
    switch (rec->type) {
    case TR_EV_BAR: {
        tr_ev_bar b;
        if (tr_ev_decode_bar(rec->payload, rec->len, &b) != TR_OK)
            return;
        begin(&w, "bar", rec);
        tr_jw_kstr(&w, "symbol", sym_name(s, b.sym));
        tr_jw_kfx(&w, "open", b.bar.open);
        tr_jw_kfx(&w, "high", b.bar.high);
        tr_jw_kfx(&w, "low", b.bar.low);
        tr_jw_kfx(&w, "close", b.bar.close);
        tr_jw_kfx(&w, "volume", b.bar.volume);
        tr_jw_end(&w);
        tr_jw_end(&w);
        publish(s, CH_BARS, &w);
        return;
    }
    case TR_EV_SIGNAL: {
        tr_ev_signal e;
        if (tr_ev_decode_signal(rec->payload, rec->len, &e) != TR_OK)
            return;
        begin(&w, "signal", rec);
        tr_jw_kstr(&w, "symbol", sym_name(s, e.sig.sym));
        tr_jw_kstr(&w, "action", tr_action_name(e.sig.action));
        tr_jw_knum(&w, "confidence", e.sig.confidence);
        tr_jw_kstr(&w, "strategy", e.sig.strategy);
        tr_jw_kstr(&w, "reasons", e.sig.reasons);
        tr_jw_kstr(&w, "decision",
                   tr_risk_reason_name((tr_risk_reason)e.reason));
        tr_jw_kstr(&w, "detail", e.detail);
        tr_jw_end(&w);
        tr_jw_end(&w);
        publish(s, CH_SIGNALS, &w);
        return;
    }
    case TR_EV_ORDER: {
        tr_order o;
        if (tr_ev_decode_order(rec->payload, rec->len, &o) != TR_OK)
            return;
        begin(&w, "order", rec);
        tr_jw_kint(&w, "id", (int64_t)o.id);
        tr_jw_kstr(&w, "symbol", sym_name(s, o.sym));
        tr_jw_kstr(&w, "side", tr_side_name(o.side));
        tr_jw_kstr(&w, "type", tr_order_type_name(o.type));
        tr_jw_kstr(&w, "time_in_force", tr_tif_name(o.tif));
        tr_jw_kstr(&w, "role", tr_order_role_name(o.role));
        if (o.parent_id)
            tr_jw_kint(&w, "parent_id", (int64_t)o.parent_id);
        tr_jw_ktime(&w, "created_at", o.created);
        tr_jw_ktime(&w, "updated_at", o.updated);
        tr_jw_kstr(&w, "status", tr_order_status_name(o.status));
        tr_jw_kfx(&w, "qty", o.qty);
        tr_jw_kfx(&w, "filled_qty", o.filled_qty);
        tr_jw_kfx(&w, "avg_fill_price", o.avg_fill_price);
        if (o.limit_price)
            tr_jw_kfx(&w, "limit_price", o.limit_price);
        if (o.stop_price)
            tr_jw_kfx(&w, "stop_price", o.stop_price);
        tr_jw_kstr(&w, "strategy", o.strategy);
        tr_jw_end(&w);
        tr_jw_end(&w);
        publish(s, CH_ORDERS, &w);
        return;
    }
    case TR_EV_FILL: {
        tr_fill f;
        if (tr_ev_decode_fill(rec->payload, rec->len, &f) != TR_OK)
            return;
        begin(&w, "fill", rec);
        tr_jw_kint(&w, "order_id", (int64_t)f.order_id);
        tr_jw_kstr(&w, "symbol", sym_name(s, f.sym));
        tr_jw_kstr(&w, "side", tr_side_name(f.side));
        tr_jw_kstr(&w, "role", tr_order_role_name(f.role));
        tr_jw_kfx(&w, "qty", f.qty);
        tr_jw_kfx(&w, "price", f.price);
        tr_jw_kfx(&w, "commission", f.commission);
        tr_jw_end(&w);
        tr_jw_end(&w);
        publish(s, CH_FILLS, &w);
        /* The position after it, from the view (a moment later at most). */
        const tr_view_state *v = tr_view_acquire(s->view);
        tr_position p = f.sym < v->nsyms ? v->pos[f.sym] : (tr_position){0};
        tr_view_release(s->view);
        begin(&w, "position", rec);
        tr_jw_kstr(&w, "symbol", sym_name(s, f.sym));
        tr_jw_kfx(&w, "qty", p.qty);
        tr_fx avg = 0;
        if (p.qty)
            tr_fx_div(p.cost, p.qty, &avg);
        tr_jw_kfx(&w, "avg_price", avg);
        tr_jw_kfx(&w, "last_price", p.last);
        tr_jw_kfx(&w, "market_value", p.mv);
        tr_jw_kfx(&w, "unrealized_pnl", p.mv - p.cost);
        tr_jw_kfx(&w, "realized_pnl", p.realized);
        tr_jw_end(&w);
        tr_jw_end(&w);
        publish(s, CH_POSITIONS, &w);
        return;
    }
    case TR_EV_EQUITY: {
        tr_equity_point e;
        if (tr_ev_decode_equity(rec->payload, rec->len, &e) != TR_OK)
            return;
        begin(&w, "portfolio", rec);
        tr_jw_kfx(&w, "equity", e.equity);
        tr_jw_kfx(&w, "cash", e.cash);
        tr_jw_kfx(&w, "exposure", e.exposure);
        tr_jw_end(&w);
        tr_jw_end(&w);
        publish(s, CH_PORTFOLIO, &w);
        return;
    }
    case TR_EV_ALERT: {
        tr_risk_alert a;
        if (tr_ev_decode_alert(rec->payload, rec->len, &a) != TR_OK)
            return;
        static const char *kinds[] = {"daily_loss", "drawdown", "kill_switch",
                                      "resumed"};
        begin(&w, "risk_alert", rec);
        tr_jw_kstr(&w, "kind", a.kind <= TR_ALERT_RESUMED ? kinds[a.kind]
                                                          : "?");
        tr_jw_kstr(&w, "message", a.message);
        tr_jw_end(&w);
        tr_jw_end(&w);
        publish(s, CH_RISK, &w);
        return;
    }
    case TR_EV_CONTROL: {
        tr_ev_control c;
        if (tr_ev_decode_control(rec->payload, rec->len, &c) != TR_OK)
            return;
        begin(&w, "control", rec);
        tr_jw_kstr(&w, "control", tr_control_kind_name(c.kind));
        tr_jw_kstr(&w, "who", c.who);
        if (c.ref[0])
            tr_jw_kstr(&w, "ref", c.ref);
        tr_jw_end(&w);
        tr_jw_end(&w);
        publish(s, CH_RISK, &w);
        return;
    }
    default:
        return;
    }
}

/* Read what the journal gained since the last pass. */
static void stream_pass(tr_service *s)
{
    char err[4600];
    tr_reader *r = NULL;
    int rc = s->have_pos ? tr_reader_open_at(s->cfg->run.journal, s->next_seq,
                                             s->seg, s->off, &r, err,
                                             sizeof err)
                         : tr_reader_open(s->cfg->run.journal, s->next_seq,
                                          &r, err, sizeof err);
    if (rc != TR_OK)
        return; /* no journal yet, or in the middle of a change: later */
    tr_record rec;
    for (;;) {
        int k = tr_reader_next(r, &rec, err, sizeof err);
        if (k != 1) {
            /* The end, or a record still being written: the reader stands
             * before it (records before next_seq were skipped), so the
             * next pass starts exactly there. */
            tr_reader_tell(r, &s->seg, &s->off, &s->next_seq);
            s->have_pos = 1;
            break;
        }
        stream_record(s, &rec);
    }
    tr_reader_close(r);
}

/* Log lines the stream has not published yet. Lines that left the ring
 * before this thread came to them (a burst of more than
 * TR_LOGLINES_KEEP in one poll) are skipped. */
static void flush_logs(tr_service *s)
{
    tr_log_line buf[32];
    size_t n;
    while ((n = tr_loglines_after(s->lines, s->log_sent, buf,
                                  sizeof buf / sizeof *buf, NULL))) {
        for (size_t i = 0; i < n; i++) {
            tr_jw w;
            tr_jw_init(&w);
            tr_jw_obj(&w);
            tr_jw_kstr(&w, "type", "log");
            tr_jw_ktime(&w, "time", buf[i].time);
            tr_jw_key(&w, "data");
            tr_jw_obj(&w);
            tr_jw_kint(&w, "id", (int64_t)buf[i].id);
            tr_jw_kstr(&w, "level", tr_log_level_name(buf[i].level));
            tr_jw_kstr(&w, "component", buf[i].component);
            tr_jw_kstr(&w, "message", buf[i].msg);
            tr_jw_end(&w);
            tr_jw_end(&w);
            publish(s, CH_LOGS, &w);
        }
        s->log_sent = buf[n - 1].id;
    }
}

static void *stream_main(void *arg)
{
    tr_service *s = arg;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->mu);
        stream_pass(s);
        flush_logs(s);
        /* Keys' last-use times reach the file about once a minute (a
         * verify never writes; this thread may wait on the file). */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= 60) {
            t0 = now;
            char err[256];
            if (tr_keys_flush_usage(s->keys, err, sizeof err) != TR_OK)
                tr_log(TR_LOG_WARN, "api", "key store: %s", err);
        }
        pthread_mutex_lock(&s->mu);
        struct timespec until = tr_deadline_ms(STREAM_POLL_MS);
        if (!s->stopping)
            pthread_cond_timedwait(&s->wake, &s->mu, &until);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void on_log(void *ctx, tr_log_level level, const char *component,
                   const char *msg)
{
    tr_service *s = ctx;
    if (level >= TR_LOG_INFO)
        tr_loglines_add(s->lines, level, component, msg, tr_time_now());
}

/* ---- start and stop ---------------------------------------------------------- */

int tr_service_start(const tr_bt_config *cfg, tr_view *view, tr_cmdq *q,
                     tr_metrics *metrics, tr_service **out, char *err,
                     size_t errlen)
{
    tr_service *s = calloc(1, sizeof *s);
    if (!s)
        return TR_ERR_NOMEM;
    s->cfg = cfg;
    s->view = view;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca; /* the stream's poll deadlines */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    s->lines = tr_loglines_new();
    if (!s->lines) {
        tr_service_stop(s);
        return TR_ERR_NOMEM;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", cfg->api.keys);
    char *slash = strrchr(dir, '/');
    int rc = TR_OK;
    if (slash) {
        *slash = '\0';
        if (tr_mkdir_p(dir) != TR_OK) {
            snprintf(err, errlen, "cannot create %s for the key store", dir);
            rc = TR_ERR_IO;
        }
    }
    if (rc == TR_OK)
        rc = tr_keys_open(cfg->api.keys, 1, &s->keys, err, errlen);
    if (rc != TR_OK)
        goto fail;
    /* Backtests asked for over the API run beside the database, in
     * worker processes of this same executable. */
    char exe[4096], jobs_dir[4200];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(jobs_dir, sizeof jobs_dir, "%s", cfg->run.database);
    char *js = strrchr(jobs_dir, '/');
    snprintf(js ? js + 1 : jobs_dir, sizeof jobs_dir - (size_t)(js ? js + 1 - jobs_dir : 0),
             "backtests");
    if (n > 0 &&
        tr_bt_jobs_start(jobs_dir, exe, &s->jobs, err, errlen) != TR_OK) {
        tr_log(TR_LOG_WARN, "api", "backtests over the API are off: %s", err);
        s->jobs = NULL;
    }
    tr_api_deps d = {.cfg = cfg,
                     .view = view,
                     .q = q,
                     .keys = s->keys,
                     .metrics = metrics,
                     .jobs = s->jobs,
                     .logs = s->lines,
                     .metrics_public = cfg->api.metrics_public,
                     .rate_limit = cfg->api.rate_limit};
    rc = tr_api_new(&d, &s->api);
    if (rc != TR_OK) {
        snprintf(err, errlen, "API: %s", tr_strerror(rc));
        goto fail;
    }
    /* The stream starts at the journal's end: history is in the API. */
    const tr_view_state *v = tr_view_acquire(view);
    s->next_seq = v->seq + 1;
    tr_view_release(view);

    struct stat web_st;
    if (cfg->api.web &&
        (stat(cfg->api.web, &web_st) != 0 || !S_ISDIR(web_st.st_mode))) {
        snprintf(err, errlen, "api.web: %s is not a folder (the dashboard is "
                 "built by scripts/web_build.sh, which `make` runs)",
                 cfg->api.web);
        rc = TR_ERR_NOT_FOUND;
        goto fail;
    }
    tr_http_options o;
    tr_http_options_init(&o);
    o.listen_addr = cfg->api.host;
    o.port = cfg->api.port;
    o.tls_cert = cfg->api.tls_cert;
    o.tls_key = cfg->api.tls_key;
    o.max_body_bytes = (size_t)cfg->api.max_body_kb * 1024;
    o.workers = cfg->api.workers;
    o.static_dir = cfg->api.web;
    o.api_prefix = "/api/";
    o.handler_path = "/metrics"; /* Prometheus' usual path, beside the web */
    o.handler = on_request;
    o.user = s;
    o.ws_path = "/api/v1/stream";
    o.channels = channel_names;
    o.n_channels = CH_COUNT;
    o.ws_accept = on_ws_accept;
    rc = tr_http_server_create(&o, &s->http);
    if (rc != TR_OK) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", cfg->api.host,
                 cfg->api.port, tr_strerror(rc));
        goto fail;
    }
    if (pthread_create(&s->stream, NULL, stream_main, s) != 0) {
        snprintf(err, errlen, "cannot start the stream thread");
        rc = TR_ERR_IO;
        goto fail;
    }
    s->stream_started = 1;
    tr_log_set_hook(on_log, s);
    *out = s;
    return TR_OK;
fail:
    tr_service_stop(s);
    return rc;
}

int tr_service_port(const tr_service *s)
{
    return tr_http_port(s->http);
}

void tr_service_stop(tr_service *s)
{
    if (!s)
        return;
    tr_log_set_hook(NULL, NULL);
    if (s->stream_started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->stream, NULL);
    }
    tr_http_free(s->http); /* joins its workers: no handler runs after */
    tr_api_free(s->api);
    tr_bt_jobs_stop(s->jobs);
    tr_keys_close(s->keys);
    tr_loglines_free(s->lines);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wake);
    free(s);
}
