/* http.c: the HTTP side of the server: lifecycle, the libwebsockets service
 * thread and its callback, the worker pool, and the writing of answers.
 *
 * Life of a request. The service thread gets the headers (LWS_CALLBACK_HTTP)
 * and checks the limits; a body is collected into a buffer sized from
 * Content-Length, which was checked first, so no more than max_body_bytes
 * is ever held. The complete request moves into a job for a worker. The
 * worker runs the handler (or reads a static file) and queues a tr__done
 * that names the connection by id (or the handler defers it: another
 * thread queues it later, tr_http_answer); lws_cancel_service() wakes the
 * service thread, which looks the id up (slot + generation: a connection
 * that closed meanwhile is not found and the answer is dropped) and asks
 * for LWS_CALLBACK_HTTP_WRITEABLE, where the answer is written in chunks
 * while the socket takes them.
 *
 * Answers the server makes itself (404, 405, 411, 413, 431, 503) take the
 * same path without a worker. Two are written on the spot instead: the 408
 * from the connection's timer (libwebsockets may still be parsing headers,
 * no writeable callback comes then) and refusals of WebSocket upgrades
 * (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE wants the answer written before it
 * returns).
 *
 * libwebsockets 4.1 pitfalls met here:
 *   - headers beyond max_http_header_data make it hang up with no answer.
 *     Its limit is set to twice ours, and ours is checked when the request
 *     arrives from the bytes the socket received (TCP_INFO) minus the body,
 *     which gives a 431 for headers between one and two limits. Custom
 *     headers cannot be enumerated through its API, so their size can not be
 *     summed directly.
 *   - it does not answer "Expect: 100-continue" (curl then waits a second
 *     before sending a body): done here.
 *   - it passes a chunked request body through undecoded and never signals
 *     its end: refused with 411.
 *   - it URL-decodes the query while parsing; the query is re-encoded.
 *   - its own timeouts (ah idle, keep-alive, body) close quietly; they are
 *     set beyond ours so that a partial request gets a 408 first.
 *   - it advertises h2 by ALPN on TLS; this server speaks HTTP/1.1 only.
 *   - LWS_SET_TIMER_USEC_CANCEL fires the timer at once (see disarm_timer).
 *   - bytes pipelined behind a request with a body, while that answer is
 *     still with a worker, make it call BODY_COMPLETION in a loop that never
 *     returns to poll: such a connection is closed (see on_body_done).
 *     Pipelined requests without bodies are answered in order. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/tcp.h>

#include "api/http_int.h"
#include "core/err.h"
#include "core/log.h"

#define TR__CHUNK      (32 * 1024) /* body bytes per write */
#define TR__HDR_BUF    4096        /* answer headers besides the extra ones */
#define TR__BODY_START (16 * 1024) /* first allocation for a request body */

/* ---- helpers ------------------------------------------------------------ */

static tr_http_server *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static void count_status(tr_http_server *s, int status)
{
    int cls = status / 100;
    if (cls >= 1 && cls <= 5) atomic_fetch_add(&s->n_resp[cls], 1);
}

/* Bytes the kernel received on the connection's socket since it opened;
 * 0 when TCP_INFO is not available. */
static uint64_t sock_rx_bytes(struct lws *wsi)
{
    struct tcp_info ti;
    socklen_t l = sizeof ti;
    memset(&ti, 0, sizeof ti);
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) != 0) return 0;
    if (l < offsetof(struct tcp_info, tcpi_bytes_received) +
                sizeof ti.tcpi_bytes_received)
        return 0;
    return ti.tcpi_bytes_received;
}

static void arm_timer(tr_http_server *s, struct lws *wsi)
{
    lws_set_timer_usecs(wsi, (lws_usec_t)s->opt.request_timeout_ms * 1000);
}

/* lws documents LWS_SET_TIMER_USEC_CANCEL (-1) as the way to cancel, but
 * with 4.1.6 the timer then fires at once: park it a day away instead (the
 * timer callback also ignores states without a deadline). */
static void disarm_timer(struct lws *wsi)
{
    lws_set_timer_usecs(wsi, (lws_usec_t)24 * 3600 * LWS_USEC_PER_SEC);
}

static void req_clear(tr__req *r)
{
    free(r->path);
    free(r->query);
    free(r->authorization);
    free(r->content_type);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static void done_free(tr__done *d)
{
    if (d) {
        free(d->body);
        free(d);
    }
}

void tr__http_wake(tr_http_server *s)
{
    /* One lws_cancel_service per batch: the service thread clears the flag
     * before it drains the queues, so nothing queued before a skipped call
     * can be missed. */
    if (atomic_exchange(&s->wake_pending, 1)) return;
    pthread_mutex_lock(&s->wake_mu);
    if (s->ctx_alive) lws_cancel_service(s->ctx);
    pthread_mutex_unlock(&s->wake_mu);
}

/* ---- connections (service thread) --------------------------------------- */

static tr__conn *conn_new(tr_http_server *s, struct lws *wsi)
{
    tr__conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    uint32_t slot;
    if (s->n_free) {
        slot = s->free_slots[--s->n_free];
    } else {
        if (s->n_slots == s->slot_cap) {
            size_t cap = s->slot_cap ? s->slot_cap * 2 : 64;
            if (cap > UINT32_MAX) {
                free(c);
                return NULL;
            }
            tr__conn **sl = realloc(s->slots, cap * sizeof *sl);
            if (sl) s->slots = sl;
            uint32_t *g = realloc(s->slot_gen, cap * sizeof *g);
            if (g) s->slot_gen = g;
            uint32_t *f = realloc(s->free_slots, cap * sizeof *f);
            if (f) s->free_slots = f;
            if (!sl || !g || !f) {
                free(c);
                return NULL;
            }
            s->slot_cap = cap;
        }
        slot = (uint32_t)s->n_slots++;
        s->slot_gen[slot] = 0;
    }
    uint32_t gen = ++s->slot_gen[slot];
    if (gen == 0) gen = ++s->slot_gen[slot];
    c->id = ((uint64_t)gen << 32) | slot;
    c->wsi = wsi;
    s->slots[slot] = c;
    return c;
}

tr__conn *tr__conn_find(tr_http_server *s, uint64_t id)
{
    uint32_t slot = (uint32_t)(id & 0xffffffffu);
    if (slot >= s->n_slots || !s->slots[slot] || s->slots[slot]->id != id)
        return NULL;
    return s->slots[slot];
}

static void conn_free(tr_http_server *s, tr__conn *c)
{
    if (c->ws) tr__ws_closed(s, c);
    uint32_t slot = (uint32_t)(c->id & 0xffffffffu);
    s->slots[slot] = NULL;
    s->free_slots[s->n_free++] = slot;
    req_clear(&c->req);
    done_free(c->out);
    free(c);
}

/* ---- answers ------------------------------------------------------------ */

/* A server-made answer with the JSON error body (body NULL if out of
 * memory: the status alone still tells the client). */
static tr__done *error_done(tr__conn *c, int status, const char *code,
                            const char *message, bool close)
{
    tr__done *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->conn_id = c->id;
    d->status = status;
    d->close = close;
    d->head = c->req.method == TR_HTTP_HEAD;
    snprintf(d->content_type, sizeof d->content_type, "application/json");
    d->body = tr_http_error_json(status, code, message, NULL);
    d->body_len = d->body ? strlen(d->body) : 0;
    return d;
}

/* Start writing d on c (service thread). */
static void answer(tr_http_server *s, tr__conn *c, tr__done *d,
                   tr__conn_state st)
{
    done_free(c->out);
    c->out = d;
    c->out_off = 0;
    c->out_hdr_sent = false;
    c->state = st;
    arm_timer(s, c->wsi); /* bounds the writing too */
    lws_callback_on_writable(c->wsi);
}

/* Answer an error decided by the server. A body that may still come is
 * dropped and the connection closed after the answer. Returns the value
 * for the callback: -1 (hang up) only when even that is impossible. */
static int refuse(tr_http_server *s, tr__conn *c, int status, const char *code,
                  const char *message, bool close, const char *extra)
{
    tr__done *d = error_done(c, status, code, message, close);
    if (!d) return -1;
    if (extra) {
        size_t l = strlen(extra);
        if (l < sizeof d->headers) {
            memcpy(d->headers, extra, l + 1);
            d->headers_len = l;
        }
    }
    answer(s, c, d, close ? TR__C_DISCARD : TR__C_WRITING);
    return 0;
}

/* Add "Name: value\r\n" lines through the lws API. */
static int add_extra_headers(struct lws *wsi, const char *h, size_t len,
                             unsigned char **p, unsigned char *end)
{
    const char *q = h, *e = h + len;
    while (q < e) {
        const char *eol = memchr(q, '\r', (size_t)(e - q));
        const char *colon = memchr(q, ':', (size_t)(e - q));
        if (!eol || !colon || colon > eol)
            return 0; /* malformed: only tr_http_response_header writes */
        char name[256];
        size_t nl = (size_t)(colon - q);
        if (nl + 2 > sizeof name) return -1;
        memcpy(name, q, nl + 1); /* with the ':' */
        name[nl + 1] = '\0';
        const char *v = colon + 1;
        while (v < eol && *v == ' ')
            v++;
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                        (const unsigned char *)v,
                                        (int)(eol - v), p, end))
            return -1;
        q = eol + 2;
    }
    return 0;
}

static int write_headers(struct lws *wsi, const tr__done *d)
{
    unsigned char buf[LWS_PRE + TR__HDR_BUF + TR_HTTP_HEADERS_MAX];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
    const char *ct = d->content_type[0] ? d->content_type : NULL;
    if (d->head) {
        /* The length the body would have, without lws expecting it. */
        char cl[32];
        int n = snprintf(cl, sizeof cl, "%zu", d->body_len);
        if (lws_add_http_header_status(wsi, (unsigned int)d->status, &p, end) ||
            (ct && lws_add_http_header_by_token(
                       wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                       (const unsigned char *)ct, (int)strlen(ct), &p, end)) ||
            lws_add_http_header_by_name(
                wsi, (const unsigned char *)"content-length:",
                (const unsigned char *)cl, n, &p, end))
            return -1;
    } else if (lws_add_http_common_headers(wsi, (unsigned int)d->status, ct,
                                           (lws_filepos_t)d->body_len, &p,
                                           end)) {
        return -1;
    }
    if (d->close &&
        lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                    (const unsigned char *)"close", 5, &p, end))
        return -1;
    if (add_extra_headers(wsi, d->headers, d->headers_len, &p, end)) return -1;
    return lws_finalize_write_http_header(wsi, start, &p, end) ? -1 : 0;
}

/* Write a small answer at once, outside a writeable callback (408 from the
 * timer, refused upgrades). Returns 0, or -1 when the write failed. */
static int write_now(tr_http_server *s, tr__conn *c, struct lws *wsi,
                     int status, const char *code, const char *message,
                     bool close)
{
    tr__done d;
    memset(&d, 0, sizeof d);
    d.status = status;
    d.close = close;
    snprintf(d.content_type, sizeof d.content_type, "application/json");
    char *body = tr_http_error_json(status, code, message, NULL);
    d.body_len = body ? strlen(body) : 0;
    count_status(s, status);
    if (write_headers(wsi, &d)) {
        free(body);
        return -1;
    }
    int rc = 0;
    if (d.body_len) {
        unsigned char buf[LWS_PRE + 1024];
        if (d.body_len > sizeof buf - LWS_PRE)
            d.body_len = sizeof buf - LWS_PRE; /* never: bodies are short */
        memcpy(buf + LWS_PRE, body, d.body_len);
        if (lws_write(wsi, buf + LWS_PRE, d.body_len, LWS_WRITE_HTTP_FINAL) <
            (int)d.body_len)
            rc = -1;
    }
    free(body);
    if (c) c->rx_mark = sock_rx_bytes(wsi);
    return rc;
}

/* LWS_CALLBACK_HTTP_WRITEABLE: write (more of) c's answer. */
static int write_answer(tr_http_server *s, tr__conn *c, struct lws *wsi)
{
    tr__done *d = c->out;
    if (!d) return 0;
    if (!c->out_hdr_sent) {
        if (write_headers(wsi, d)) return -1;
        c->out_hdr_sent = true;
    }
    size_t len = d->head ? 0 : d->body_len;
    while (c->out_off < len) {
        size_t n = len - c->out_off;
        if (n > TR__CHUNK) n = TR__CHUNK;
        bool last = c->out_off + n == len;
        memcpy(s->wbuf + LWS_PRE, d->body + c->out_off, n);
        if (lws_write(wsi, s->wbuf + LWS_PRE, n,
                      last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
            return -1;
        c->out_off += n;
        if (!last && lws_send_pipe_choked(wsi)) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    count_status(s, d->status);
    bool close = d->close;
    done_free(d);
    c->out = NULL;
    req_clear(&c->req);
    if (close) return -1;
    /* Ready for the next request before lws looks at pipelined bytes. */
    c->state = TR__C_IDLE;
    c->rx_mark = sock_rx_bytes(wsi);
    arm_timer(s, wsi);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Answers from the workers (service thread, after a wake-up). */
static void take_answers(tr_http_server *s)
{
    pthread_mutex_lock(&s->done_mu);
    tr__done *d = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->done_mu);
    while (d) {
        tr__done *next = d->next;
        d->next = NULL;
        tr__conn *c = tr__conn_find(s, d->conn_id);
        if (c && c->state == TR__C_HANDLER)
            answer(s, c, d, TR__C_WRITING);
        else
            done_free(d); /* the client went away */
        d = next;
    }
}

/* ---- workers ------------------------------------------------------------ */

static void push_done(tr_http_server *s, tr__done *d)
{
    pthread_mutex_lock(&s->done_mu);
    if (s->done_tail)
        s->done_tail->next = d;
    else
        s->done_head = d;
    s->done_tail = d;
    pthread_mutex_unlock(&s->done_mu);
    tr__http_wake(s);
}

/* Fill d from the handler's response (which gives up its body). */
static void finish_done(tr__done *d, tr_http_response *r)
{
    if (r->status < 100 || r->status > 599) {
        tr_log(TR_LOG_ERROR, "http", "handler set status %d: answering 500",
               r->status);
        free(r->body);
        r->body = NULL;
        r->headers_len = 0;
        if (tr_http_response_error(r, 500, "internal",
                                   "the handler gave no answer", NULL))
            r->status = 500;
    }
    d->status = r->status;
    snprintf(d->content_type, sizeof d->content_type, "%s",
             r->content_type ? r->content_type : "application/json");
    d->body = r->body;
    d->body_len = r->body ? r->body_len : 0;
    r->body = NULL;
    if (r->headers_len < sizeof d->headers) {
        memcpy(d->headers, r->headers, r->headers_len);
        d->headers[r->headers_len] = '\0';
        d->headers_len = r->headers_len;
    }
}

tr_http_later *tr_http_defer(tr_http_response *resp)
{
    tr__done *d = resp->later_;
    resp->later_ = NULL; /* run_job: answered later */
    pthread_mutex_lock(&d->server->done_mu);
    d->server->n_deferred++;
    pthread_mutex_unlock(&d->server->done_mu);
    return (tr_http_later *)d;
}

void tr_http_answer(tr_http_later *later, tr_http_response *resp)
{
    tr__done *d = (tr__done *)later;
    tr_http_server *s = d->server;
    finish_done(d, resp);
    free(resp->body); /* only if finish_done did not take it */
    resp->body = NULL;
    push_done(s, d);
    pthread_mutex_lock(&s->done_mu);
    if (--s->n_deferred == 0)
        pthread_cond_broadcast(&s->deferred_cv);
    pthread_mutex_unlock(&s->done_mu);
}

static void run_job(tr_http_server *s, tr__job *j)
{
    tr_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.later_ = j->done;
    if (j->req.is_static) {
        if (tr__http_static(s->static_real, j->req.path, &resp))
            resp.status = 500; /* out of memory */
    } else {
        tr_http_request r = {
            .method = j->req.method,
            .path = j->req.path,
            .query = j->req.query,
            .authorization = j->req.authorization,
            .content_type = j->req.content_type,
            .peer_ip = j->req.peer_ip,
            .body = j->req.body ? j->req.body : "",
            .body_len = j->req.body_len,
            .conn_id = j->conn_id,
        };
        s->opt.handler(s->opt.user, &r, &resp);
    }
    tr__done *d = j->done;
    j->done = NULL;
    if (!resp.later_)
        return; /* deferred: tr_http_answer queues it */
    finish_done(d, &resp);
    free(resp.body); /* only if finish_done did not take it */
    push_done(s, d);
}

static void *worker_main(void *arg)
{
    tr_http_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->jobs_mu);
        while (!s->jobs_stop && !s->jobs_head)
            pthread_cond_wait(&s->jobs_cv, &s->jobs_mu);
        if (s->jobs_stop) {
            pthread_mutex_unlock(&s->jobs_mu);
            return NULL;
        }
        tr__job *j = s->jobs_head;
        s->jobs_head = j->next;
        if (!s->jobs_head) s->jobs_tail = NULL;
        s->jobs_count--;
        pthread_mutex_unlock(&s->jobs_mu);
        run_job(s, j);
        req_clear(&j->req);
        free(j);
    }
}

static void job_free(tr__job *j)
{
    req_clear(&j->req);
    done_free(j->done);
    free(j);
}

/* The request on c is complete: hand it to a worker. */
static int dispatch(tr_http_server *s, tr__conn *c, struct lws *wsi)
{
    disarm_timer(wsi);
    tr__job *j = calloc(1, sizeof *j);
    tr__done *d = calloc(1, sizeof *d);
    if (!j || !d) {
        free(j);
        free(d);
        return -1;
    }
    d->server = s;
    d->conn_id = c->id;
    d->head = c->req.method == TR_HTTP_HEAD;
    j->conn_id = c->id;
    j->done = d;
    j->req = c->req;
    memset(&c->req, 0, sizeof c->req);
    c->req.method = j->req.method; /* for HEAD-ness of a 503 */
    pthread_mutex_lock(&s->jobs_mu);
    bool full = s->jobs_stop || s->jobs_count >= s->opt.max_queued_requests;
    if (!full) {
        if (s->jobs_tail)
            s->jobs_tail->next = j;
        else
            s->jobs_head = j;
        s->jobs_tail = j;
        s->jobs_count++;
        pthread_cond_signal(&s->jobs_cv);
    }
    pthread_mutex_unlock(&s->jobs_mu);
    if (full) {
        job_free(j);
        atomic_fetch_add(&s->n_rejected, 1);
        return refuse(s, c, 503, "unavailable", "server busy, retry later",
                      false, "Retry-After: 1\r\n");
    }
    c->state = TR__C_HANDLER;
    return 0;
}

/* ---- request parsing (service thread) ----------------------------------- */

static char *hdr_dup(struct lws *wsi, enum lws_token_indexes t)
{
    int n = lws_hdr_total_length(wsi, t);
    if (n <= 0) return NULL;
    char *p = malloc((size_t)n + 1);
    if (p && lws_hdr_copy(wsi, p, n + 1, t) < 0) {
        free(p);
        return NULL;
    }
    return p;
}

/* The query re-encoded from lws's decoded fragments ("" when none). */
static char *query_dup(struct lws *wsi)
{
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    if (total <= 0) return strdup("");
    size_t cap = (size_t)total * 3 + 64;
    char *q = malloc(cap), *frag = malloc((size_t)total + 1);
    int len = 0;
    if (!q || !frag) goto fail;
    q[0] = '\0';
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, total + 1,
                                      WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) break;
        if (n == 0) continue;
        if (len > 0) {
            if ((size_t)len + 2 >= cap) goto fail;
            q[len++] = '&';
            q[len] = '\0';
        }
        char *eq = memchr(frag, '=', (size_t)n);
        size_t nl = eq ? (size_t)(eq - frag) : (size_t)n;
        len = tr__url_encode(q, cap, (size_t)len, frag, nl);
        if (len < 0) goto fail;
        if (eq) {
            if ((size_t)len + 2 >= cap) goto fail;
            q[len++] = '=';
            len =
                tr__url_encode(q, cap, (size_t)len, eq + 1, (size_t)n - nl - 1);
            if (len < 0) goto fail;
        }
    }
    free(frag);
    return q;
fail:
    free(q);
    free(frag);
    return NULL;
}

static int parse_length(const char *v, size_t *out)
{
    size_t n = 0;
    if (!*v) return -1;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > (SIZE_MAX - 9) / 10) return -1;
        n = n * 10 + (size_t)(*v - '0');
    }
    *out = n;
    return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* LWS_CALLBACK_HTTP: the headers of a request are in. */
static int on_request(tr_http_server *s, tr__conn *c, struct lws *wsi,
                      const char *path)
{
    char *uri = NULL;
    int uri_len = 0;
    req_clear(&c->req);
    c->body_completed = false;
    switch (lws_http_get_uri_and_method(wsi, &uri, &uri_len)) {
    case LWSHUMETH_GET:
        c->req.method = TR_HTTP_GET;
        break;
    case LWSHUMETH_HEAD:
        c->req.method = TR_HTTP_HEAD;
        break;
    case LWSHUMETH_POST:
        c->req.method = TR_HTTP_POST;
        break;
    case LWSHUMETH_PUT:
        c->req.method = TR_HTTP_PUT;
        break;
    case LWSHUMETH_PATCH:
        c->req.method = TR_HTTP_PATCH;
        break;
    case LWSHUMETH_DELETE:
        c->req.method = TR_HTTP_DELETE;
        break;
    case LWSHUMETH_OPTIONS:
        c->req.method = TR_HTTP_OPTIONS;
        break;
    default:
        return refuse(s, c, 405, "method_not_allowed", "method not supported",
                      true, NULL);
    }

    size_t cl = 0;
    char *v = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    int bad_cl = v && parse_length(v, &cl);
    free(v);

    /* Header size: what the socket received for this request minus the
     * body, which may have arrived with it (an underestimate when bytes of
     * a pipelined request came too). TLS adds records and the handshake. */
    uint64_t now = sock_rx_bytes(wsi);
    uint64_t rx = now > c->rx_mark ? now - c->rx_mark : 0;
    uint64_t hdr = rx > cl ? rx - cl : 0;
    if (hdr > s->opt.max_header_bytes + (s->tls ? 2048u : 0u)) {
        char msg[96];
        snprintf(msg, sizeof msg, "request headers over %zu bytes",
                 s->opt.max_header_bytes);
        return refuse(s, c, 431, "headers_too_large", msg, true, NULL);
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        return refuse(s, c, 411, "length_required",
                      "chunked request bodies are not accepted: send "
                      "Content-Length",
                      true, NULL);
    if (bad_cl)
        return refuse(s, c, 400, "bad_request", "invalid Content-Length", true,
                      NULL);
    if (cl > s->opt.max_body_bytes) {
        char msg[96];
        snprintf(msg, sizeof msg, "request body over %zu bytes",
                 s->opt.max_body_bytes);
        return refuse(s, c, 413, "payload_too_large", msg, true, NULL);
    }

    c->req.path = strdup(path);
    c->req.query = query_dup(wsi);
    c->req.authorization = hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    c->req.content_type = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
    if (lws_get_peer_simple(wsi, c->req.peer_ip, sizeof c->req.peer_ip) == NULL)
        c->req.peer_ip[0] = '\0';
    if (!c->req.path || !c->req.query) return -1;

    const char *pre = s->opt.api_prefix;
    const char *hp = s->opt.handler_path;
    c->req.is_static = s->static_real &&
                       !(pre && *pre && starts_with(path, pre)) &&
                       !(hp && !strcmp(path, hp));
    bool close = cl > 0; /* a body we will not read */
    if (c->req.is_static && c->req.method != TR_HTTP_GET &&
        c->req.method != TR_HTTP_HEAD)
        return refuse(s, c, 405, "method_not_allowed",
                      "static files answer GET and HEAD only", close,
                      "Allow: GET, HEAD\r\n");
    if (!c->req.is_static && !s->opt.handler)
        return refuse(s, c, 404, "not_found", "no such resource", close, NULL);

    if (cl == 0) return dispatch(s, c, wsi);

    /* Grown as the body arrives: a client that announces a large body and
     * trickles it in holds only what it sent. */
    c->req.body_cap = cl < TR__BODY_START ? cl : TR__BODY_START;
    c->req.body = malloc(c->req.body_cap + 1);
    if (!c->req.body)
        return refuse(s, c, 503, "unavailable", "out of memory", true, NULL);
    c->req.content_length = cl;
    c->req.body_len = 0;
    c->state = TR__C_BODY;
    char expect[32];
    if (lws_hdr_copy(wsi, expect, sizeof expect, WSI_TOKEN_HTTP_EXPECT) > 0 &&
        !strcasecmp(expect, "100-continue")) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        unsigned char buf[LWS_PRE + sizeof cont];
        memcpy(buf + LWS_PRE, cont, sizeof cont - 1);
        if (lws_write(wsi, buf + LWS_PRE, sizeof cont - 1,
                      LWS_WRITE_HTTP_HEADERS) < (int)sizeof cont - 1)
            return -1;
    }
    return 0;
}

static int on_body(tr_http_server *s, tr__conn *c, const void *in, size_t len)
{
    if (c->state != TR__C_BODY) return 0; /* answer already decided: drop it */
    if (len > c->req.content_length - c->req.body_len)
        return refuse(s, c, 400, "bad_request",
                      "body longer than Content-Length", true, NULL);
    if (c->req.body_len + len > c->req.body_cap) {
        size_t cap = c->req.body_cap * 2;
        if (cap < c->req.body_len + len) cap = c->req.body_len + len;
        if (cap > c->req.content_length) cap = c->req.content_length;
        char *b = realloc(c->req.body, cap + 1);
        if (!b)
            return refuse(s, c, 503, "unavailable", "out of memory", true,
                          NULL);
        c->req.body = b;
        c->req.body_cap = cap;
    }
    memcpy(c->req.body + c->req.body_len, in, len);
    c->req.body_len += len;
    return 0;
}

static int on_body_done(tr_http_server *s, tr__conn *c, struct lws *wsi)
{
    /* lws 4.1.6 calls this again and again, without returning to poll,
     * while pipelined bytes follow a body whose answer is not written yet:
     * a second call for one request means that, and only closing the
     * connection ends it. */
    if (c->body_completed) return -1;
    c->body_completed = true;
    if (c->state != TR__C_BODY) return 0;
    c->req.body[c->req.body_len] = '\0';
    return dispatch(s, c, wsi);
}

/* LWS_CALLBACK_TIMER: the request (or the writing of an answer) took too
 * long. */
static int on_timer(tr_http_server *s, tr__conn *c, struct lws *wsi)
{
    switch (c->state) {
    case TR__C_IDLE:
        if (sock_rx_bytes(wsi) <= c->rx_mark)
            return -1; /* idle keep-alive connection: close quietly */
        /* fallthrough */
    case TR__C_BODY:
        write_now(s, c, wsi, 408, "request_timeout",
                  "request not complete in time", true);
        return -1;
    case TR__C_DISCARD:
    case TR__C_WRITING:
        return -1; /* the client does not read its answer */
    case TR__C_HANDLER:
    case TR__C_WS:
        break;
    }
    return 0;
}

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: accept or refuse a WebSocket. */
static int on_upgrade(tr_http_server *s, tr__conn *c, struct lws *wsi,
                      const char *proto)
{
    if (!proto || strcmp(proto, "websocket") != 0)
        return -1; /* h2c and friends: HTTP/1.1 only */
    char path[512];
    if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0 ||
        !s->opt.ws_path || strcmp(path, s->opt.ws_path) != 0)
        return write_now(s, c, wsi, 404, "not_found", "no WebSocket here",
                         false)
                   ? -1
                   : 1;
    if (!s->opt.ws_accept) return 0;
    char peer[64];
    char *query = query_dup(wsi);
    char *auth = hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (!query) {
        free(auth);
        return -1;
    }
    if (!lws_get_peer_simple(wsi, peer, sizeof peer)) peer[0] = '\0';
    tr_http_request r = {
        .method = TR_HTTP_GET,
        .path = path,
        .query = query,
        .authorization = auth,
        .peer_ip = peer,
        .body = "",
        .conn_id = c->id,
    };
    int status = s->opt.ws_accept(s->opt.user, &r);
    free(query);
    free(auth);
    if (status == 0) return 0;
    if (status < 400 || status > 599) status = 403;
    return write_now(s, c, wsi, status, NULL, "WebSocket refused", false) ? -1
                                                                          : 1;
}

/* ---- the callback ------------------------------------------------------- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    if (!wsi) return lws_callback_http_dummy(wsi, reason, user, in, len);
    tr_http_server *s = server_of(wsi);
    tr__conn *c = lws_get_opaque_user_data(wsi);

    switch (reason) {
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: {
        c = conn_new(s, wsi);
        if (!c) return -1;
        lws_set_opaque_user_data(wsi, c);
        int one = 1;
        setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one,
                   sizeof one);
        arm_timer(s, wsi);
        return 0;
    }
    case LWS_CALLBACK_WSI_DESTROY:
        if (c) {
            lws_set_opaque_user_data(wsi, NULL);
            conn_free(s, c);
        }
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        atomic_store(&s->wake_pending, 0);
        take_answers(s);
        tr__ws_service(s);
        return 0;
    default:
        break;
    }
    if (!c) {
        switch (reason) {
        case LWS_CALLBACK_HTTP:
        case LWS_CALLBACK_HTTP_BODY:
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        case LWS_CALLBACK_ESTABLISHED:
        case LWS_CALLBACK_RECEIVE:
            return -1; /* no record: it could not be made (out of memory) */
        default:
            return lws_callback_http_dummy(wsi, reason, user, in, len);
        }
    }

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (c->state != TR__C_IDLE) return -1;
        return on_request(s, c, wsi, in ? (const char *)in : "/");
    case LWS_CALLBACK_HTTP_BODY:
        return on_body(s, c, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return on_body_done(s, c, wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return write_answer(s, c, wsi);
    case LWS_CALLBACK_TIMER:
        return on_timer(s, c, wsi);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return on_upgrade(s, c, wsi, in);
    case LWS_CALLBACK_ESTABLISHED:
        disarm_timer(wsi);
        count_status(s, 101);
        c->state = TR__C_WS;
        return tr__ws_established(s, c);
    case LWS_CALLBACK_RECEIVE:
        return tr__ws_receive(s, c, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return tr__ws_writeable(s, c);
    case LWS_CALLBACK_CLOSED:
        if (c->ws) tr__ws_closed(s, c);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* ---- lifecycle ---------------------------------------------------------- */

static void lws_log_bridge(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    tr_log((level & LLL_ERR) ? TR_LOG_WARN : TR_LOG_DEBUG, "lws", "%.*s",
           (int)n, line);
}

static pthread_once_t lws_log_once = PTHREAD_ONCE_INIT;

static void lws_log_setup(void)
{
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_bridge);
}

void tr_http_options_init(tr_http_options *o)
{
    memset(o, 0, sizeof *o);
    o->listen_addr = "127.0.0.1";
    o->port = 8080;
    o->max_header_bytes = 8 * 1024;
    o->max_body_bytes = 1024 * 1024;
    o->request_timeout_ms = 10 * 1000;
    o->workers = 2;
    o->max_queued_requests = 1024;
    o->api_prefix = "/api/";
    o->ws_queue_max = 1024;
}

static int dup_opt(const char *src, char **dst, const char **opt)
{
    *dst = NULL;
    *opt = NULL;
    if (!src) return 0;
    *dst = strdup(src);
    if (!*dst) return -1;
    *opt = *dst;
    return 0;
}

static int check_options(const tr_http_options *o)
{
    if (!o->listen_addr || o->port < 0 || o->port > 65535)
        return TR_ERR_INVALID;
    if (!o->tls_cert != !o->tls_key) return TR_ERR_INVALID;
    if (o->max_header_bytes < 256 || o->max_header_bytes > (1u << 20) ||
        o->max_body_bytes == 0 || o->max_body_bytes > ((size_t)1 << 32) ||
        o->request_timeout_ms == 0 || o->request_timeout_ms > 3600 * 1000 ||
        o->workers == 0 || o->workers > 256 || o->max_queued_requests == 0)
        return TR_ERR_INVALID;
    if (o->n_channels > TR__WS_MAX_CHANNELS || (o->n_channels && !o->channels))
        return TR_ERR_INVALID;
    if (o->ws_path && (o->ws_path[0] != '/' || o->ws_queue_max == 0))
        return TR_ERR_INVALID;
    for (size_t i = 0; i < o->n_channels; i++)
        if (!o->channels[i] || !o->channels[i][0]) return TR_ERR_INVALID;
    return TR_OK;
}

static void *service_main(void *arg)
{
    tr_http_server *s = arg;
    while (!atomic_load(&s->stopping))
        if (lws_service(s->ctx, 0) < 0) break;
    return NULL;
}

static int start_lws(tr_http_server *s)
{
    struct lws_context_creation_info info;
    uint64_t opts = 0;
    bool v6 = strchr(s->opt.listen_addr, ':') != NULL;
    if (!v6) opts |= LWS_SERVER_OPTION_DISABLE_IPV6;
    if (s->tls) opts |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;

    memset(&info, 0, sizeof info);
    info.options = opts | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.user = s;
    /* lws hangs up on headers over this; ours is checked below it. */
    info.max_http_header_data2 = (unsigned)s->opt.max_header_bytes * 2 + 1024;
    info.gid = -1;
    info.uid = -1;
    s->ctx = lws_create_context(&info);
    if (!s->ctx) return TR_ERR_IO;
    pthread_mutex_lock(&s->wake_mu);
    s->ctx_alive = true;
    pthread_mutex_unlock(&s->wake_mu);

    s->protocols[0].name = "default";
    s->protocols[0].callback = callback;
    s->protocols[0].rx_buffer_size = 4096;
    unsigned tmo = s->opt.request_timeout_ms / 1000 + 5;

    memset(&info, 0, sizeof info);
    info.options = opts;
    info.user = s;
    info.vhost_name = "default";
    info.protocols = s->protocols;
    info.port = s->opt.port;
    info.iface = (!strcmp(s->opt.listen_addr, "0.0.0.0") ||
                  !strcmp(s->opt.listen_addr, "::"))
                     ? NULL
                     : s->opt.listen_addr;
    /* Beyond our timer, so that it fires first (see the top). */
    info.timeout_secs = tmo;
    info.timeout_secs_ah_idle = tmo;
    info.keepalive_timeout = (int)tmo;
    info.ssl_cert_filepath = s->opt.tls_cert;
    info.ssl_private_key_filepath = s->opt.tls_key;
    info.alpn = "http/1.1";
    s->vhost = lws_create_vhost(s->ctx, &info);
    if (!s->vhost) return TR_ERR_IO;
    s->port = lws_get_vhost_listen_port(s->vhost);
    return TR_OK;
}

int tr_http_server_create(const tr_http_options *o, tr_http_server **out)
{
    if (!o || !out || check_options(o)) return TR_ERR_INVALID;
    if (o->tls_cert && (access(o->tls_cert, R_OK) || access(o->tls_key, R_OK)))
        return TR_ERR_IO;
    pthread_once(&lws_log_once, lws_log_setup);

    tr_http_server *s = calloc(1, sizeof *s);
    if (!s) return TR_ERR_NOMEM;
    s->opt = *o;
    s->opt.channels = NULL;
    pthread_mutex_init(&s->wake_mu, NULL);
    pthread_mutex_init(&s->jobs_mu, NULL);
    pthread_cond_init(&s->jobs_cv, NULL);
    pthread_mutex_init(&s->done_mu, NULL);
    pthread_cond_init(&s->deferred_cv, NULL);
    pthread_mutex_init(&s->ws_mu, NULL);
    s->stopped = true; /* nothing to stop until the threads run */

    int rc = TR_ERR_NOMEM;
    if (dup_opt(o->listen_addr, &s->s_listen, &s->opt.listen_addr) ||
        dup_opt(o->tls_cert, &s->s_cert, &s->opt.tls_cert) ||
        dup_opt(o->tls_key, &s->s_key, &s->opt.tls_key) ||
        dup_opt(o->static_dir, &s->s_static, &s->opt.static_dir) ||
        dup_opt(o->api_prefix, &s->s_prefix, &s->opt.api_prefix) ||
        dup_opt(o->handler_path, &s->s_handler_path,
                &s->opt.handler_path) ||
        dup_opt(o->ws_path, &s->s_ws_path, &s->opt.ws_path))
        goto fail;
    s->wbuf = malloc(LWS_PRE + TR__CHUNK);
    if (!s->wbuf) goto fail;
    if (o->n_channels) {
        s->channels = calloc(o->n_channels, sizeof *s->channels);
        if (!s->channels) goto fail;
        for (size_t i = 0; i < o->n_channels; i++)
            if (!(s->channels[i] = strdup(o->channels[i]))) goto fail;
    }
    s->tls = o->tls_cert != NULL;
    if (o->static_dir) {
        s->static_real = realpath(o->static_dir, NULL);
        if (!s->static_real) {
            rc = errno == ENOMEM ? TR_ERR_NOMEM : TR_ERR_NOT_FOUND;
            goto fail;
        }
    }
    s->workers = calloc(o->workers, sizeof *s->workers);
    if (!s->workers) goto fail;

    rc = start_lws(s);
    if (rc) goto fail;
    s->stopped = false;
    if (pthread_create(&s->service, NULL, service_main, s)) {
        rc = TR_ERR_IO;
        goto fail_threads;
    }
    s->service_started = true;
    for (unsigned i = 0; i < o->workers; i++) {
        if (pthread_create(&s->workers[i], NULL, worker_main, s)) {
            rc = TR_ERR_IO;
            goto fail_threads;
        }
        s->n_workers++;
    }
    tr_log(TR_LOG_INFO, "http", "listening on %s:%d%s", s->opt.listen_addr,
           s->port, s->tls ? " (TLS)" : "");
    *out = s;
    return TR_OK;

fail_threads:
    tr_http_free(s);
    return rc;
fail:
    s->stopped = false;
    tr_http_free(s);
    return rc;
}

int tr_http_port(const tr_http_server *s)
{
    return s->port;
}

int tr_http_channel_index(const tr_http_server *s, const char *name)
{
    for (size_t i = 0; name && i < s->opt.n_channels; i++)
        if (!strcmp(s->channels[i], name)) return (int)i;
    return TR_ERR_NOT_FOUND;
}

void tr_http_stats_get(const tr_http_server *s, tr_http_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 1; i <= 5; i++)
        out->responses[i] = atomic_load(&s->n_resp[i]);
    out->ws_clients = atomic_load(&s->n_ws_clients);
    out->ws_messages_sent = atomic_load(&s->n_ws_sent);
    out->ws_slow_closed = atomic_load(&s->n_ws_slow);
    out->requests_rejected = atomic_load(&s->n_rejected);
}

void tr_http_stop(tr_http_server *s)
{
    if (!s || s->stopped) return;
    s->stopped = true;
    atomic_store(&s->stopping, true);

    /* Workers first: a running handler finishes and queues its answer
     * while the context still exists. */
    pthread_mutex_lock(&s->jobs_mu);
    s->jobs_stop = true;
    pthread_cond_broadcast(&s->jobs_cv);
    pthread_mutex_unlock(&s->jobs_mu);
    for (unsigned i = 0; i < s->n_workers; i++)
        pthread_join(s->workers[i], NULL);
    s->n_workers = 0;
    /* Deferred answers too (their owners answer them before the stop). */
    pthread_mutex_lock(&s->done_mu);
    while (s->n_deferred)
        pthread_cond_wait(&s->deferred_cv, &s->done_mu);
    pthread_mutex_unlock(&s->done_mu);

    pthread_mutex_lock(&s->wake_mu);
    if (s->ctx_alive) lws_cancel_service(s->ctx);
    pthread_mutex_unlock(&s->wake_mu);
    if (s->service_started) pthread_join(s->service, NULL);
    s->service_started = false;

    pthread_mutex_lock(&s->wake_mu);
    s->ctx_alive = false;
    pthread_mutex_unlock(&s->wake_mu);
    if (s->ctx) {
        /* Closes every connection: their callbacks run on this thread. */
        lws_context_destroy(s->ctx);
        s->ctx = NULL;
    }

    tr__job *j = s->jobs_head;
    while (j) {
        tr__job *next = j->next;
        job_free(j);
        j = next;
    }
    s->jobs_head = s->jobs_tail = NULL;
    s->jobs_count = 0;
    tr__done *d = s->done_head;
    while (d) {
        tr__done *next = d->next;
        done_free(d);
        d = next;
    }
    s->done_head = s->done_tail = NULL;
    for (size_t i = 0; i < s->n_slots; i++)
        if (s->slots[i]) conn_free(s, s->slots[i]);
}

void tr_http_free(tr_http_server *s)
{
    if (!s) return;
    tr_http_stop(s);
    if (s->ctx) { /* creation failed before the threads */
        lws_context_destroy(s->ctx);
        s->ctx = NULL;
    }
    free(s->slots);
    free(s->slot_gen);
    free(s->free_slots);
    free(s->workers);
    free(s->wbuf);
    if (s->channels)
        for (size_t i = 0; i < s->opt.n_channels; i++)
            free(s->channels[i]);
    free(s->channels);
    free(s->static_real);
    free(s->s_listen);
    free(s->s_cert);
    free(s->s_key);
    free(s->s_static);
    free(s->s_prefix);
    free(s->s_handler_path);
    free(s->s_ws_path);
    pthread_mutex_destroy(&s->wake_mu);
    pthread_mutex_destroy(&s->jobs_mu);
    pthread_cond_destroy(&s->jobs_cv);
    pthread_mutex_destroy(&s->done_mu);
    pthread_cond_destroy(&s->deferred_cv);
    pthread_mutex_destroy(&s->ws_mu);
    free(s);
}
