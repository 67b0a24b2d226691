/* test_http.c: the HTTP/WebSocket server over real sockets on 127.0.0.1
 * (port 0), with libcurl as the HTTP client, raw sockets for stalled and
 * oversized requests, and a small RFC 6455 client for the WebSocket. */
#define _GNU_SOURCE /* strcasestr, memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "api/http.h"
#include "core/err.h"
#include "test.h"
#include "tmpdir.h"

/* ---- the test handler --------------------------------------------------- */

static atomic_int handler_calls;
static atomic_int sleepers_started;
static atomic_int sleepers_done;

static long query_num(const char *q, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = q; p && *p;) {
        if (!strncmp(p, name, nl) && p[nl] == '=') return atol(p + nl + 1);
        p = strchr(p, '&');
        if (p) p++;
    }
    return -1;
}

/* /api/later?ms=N: answered by another thread N ms later (tr_http_defer),
 * as the API answers signals from the journal writer's thread. */
typedef struct later_job {
    tr_http_later *later;
    long ms;
} later_job;

static pthread_t later_threads[8];
static atomic_int n_later;
static atomic_int later_answered;

static void *later_main(void *arg)
{
    later_job *lj = arg;
    struct timespec ts = {lj->ms / 1000, (lj->ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    tr_http_response r;
    memset(&r, 0, sizeof r);
    tr_http_response_set(&r, 202, "{\"later\":true}", 14);
    tr_http_response_header(&r, "Retry-After", "7");
    atomic_fetch_add(&later_answered, 1);
    tr_http_answer(lj->later, &r);
    free(lj);
    return NULL;
}

static void handler(void *user, const tr_http_request *req,
                    tr_http_response *resp)
{
    (void)user;
    atomic_fetch_add(&handler_calls, 1);
    if (!strcmp(req->path, "/api/later")) {
        later_job *lj = malloc(sizeof *lj);
        lj->ms = query_num(req->query, "ms");
        lj->later = tr_http_defer(resp);
        int i = atomic_fetch_add(&n_later, 1);
        pthread_create(&later_threads[i], NULL, later_main, lj);
        return;
    }
    if (!strcmp(req->path, "/api/sleep")) {
        atomic_fetch_add(&sleepers_started, 1);
        long ms = query_num(req->query, "ms");
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        char b[64];
        int n = snprintf(b, sizeof b, "{\"slept\":%ld}", ms);
        tr_http_response_set(resp, 200, b, (size_t)n);
        atomic_fetch_add(&sleepers_done, 1);
        return;
    }
    if (!strcmp(req->path, "/api/created")) {
        tr_http_response_set(resp, 201, "{}", 2);
        tr_http_response_header(resp, "Location", "/api/orders/42");
        tr_http_response_header(resp, "Retry-After", "12");
        return;
    }
    if (!strcmp(req->path, "/api/nostatus"))
        return; /* the server must answer 500 */
    if (!strcmp(req->path, "/api/big")) {
        long n = query_num(req->query, "n");
        if (n < 0 || n > (64L << 20)) {
            resp->status = 400;
            return;
        }
        resp->body = malloc((size_t)n + 1);
        for (long i = 0; resp->body && i < n; i++)
            resp->body[i] = (char)('a' + i % 26);
        resp->body_len = (size_t)n;
        resp->status = 200;
        resp->content_type = "text/plain";
        return;
    }
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:s, s:s%, s:I}", "method",
        tr_http_method_name(req->method), "path", req->path, "query",
        req->query, "auth",
        req->authorization ? json_string(req->authorization) : json_null(),
        "ctype",
        req->content_type ? json_string(req->content_type) : json_null(),
        "peer", req->peer_ip, "body", req->body, req->body_len, "body_len",
        (json_int_t)req->body_len);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    resp->status = 200;
    resp->body = text;
    resp->body_len = strlen(text);
}

/* ---- libcurl helpers ---------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t len;
} buf;

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    char *q = realloc(b->p, b->len + size * n + 1);
    if (!q) return 0;
    memcpy(q + b->len, ptr, size * n);
    b->p = q;
    b->len += size * n;
    b->p[b->len] = '\0';
    return size * n;
}

typedef struct reply {
    long status;
    buf body;
    buf headers;
    CURLcode rc;
    long connects;
} reply;

static void reply_free(reply *r)
{
    free(r->body.p);
    free(r->headers.p);
    memset(r, 0, sizeof *r);
}

/* Set up h for one request; headers are "Name: value" strings. */
static struct curl_slist *prepare(CURL *h, reply *r, const char *method,
                                  const char *url, const char *body, size_t len,
                                  const char *const *headers)
{
    memset(r, 0, sizeof *r);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET"))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    struct curl_slist *sl = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        sl = curl_slist_append(sl, headers[i]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
    return sl;
}

static void finish(CURL *h, reply *r)
{
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
}

static reply request_on(CURL *h, const char *method, const char *url,
                        const char *body, size_t len,
                        const char *const *headers)
{
    reply r;
    struct curl_slist *sl = prepare(h, &r, method, url, body, len, headers);
    r.rc = curl_easy_perform(h);
    finish(h, &r);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(sl);
    return r;
}

static reply request(const char *method, const char *url, const char *body,
                     size_t len, const char *const *headers)
{
    CURL *h = curl_easy_init();
    reply r = request_on(h, method, url, body, len, headers);
    curl_easy_cleanup(h);
    return r;
}

static char *url(int port, const char *path)
{
    static char u[8][512];
    static int i;
    i = (i + 1) % 8;
    snprintf(u[i], sizeof u[i], "http://127.0.0.1:%d%s", port, path);
    return u[i];
}

/* The value of a JSON string field of text ("" if absent). */
static const char *jstr(json_t *j, const char *key)
{
    const char *v = json_string_value(json_object_get(j, key));
    return v ? v : "";
}

static bool has_header(const reply *r, const char *line)
{
    return r->headers.p && strcasestr(r->headers.p, line) != NULL;
}

static bool is_error_body(const reply *r, const char *code)
{
    json_t *j = json_loads(r->body.p ? r->body.p : "", 0, NULL);
    json_t *e = json_object_get(j, "error");
    bool ok = e && !strcmp(jstr(e, "code"), code) &&
              json_is_string(json_object_get(e, "message")) &&
              json_is_null(json_object_get(e, "field"));
    json_decref(j);
    return ok;
}

/* ---- raw sockets -------------------------------------------------------- */

static int tcp_connect(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0) return;
        c += k;
        n -= (size_t)k;
    }
}

/* Everything until the peer closes (or 10 s pass). */
static char *recv_until_close(int fd, size_t *len)
{
    buf b = {0};
    char tmp[4096];
    for (;;) {
        ssize_t k = recv(fd, tmp, sizeof tmp, 0);
        if (k <= 0) break;
        collect(tmp, 1, (size_t)k, &b);
    }
    *len = b.len;
    return b.p ? b.p : strdup("");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- a minimal WebSocket client (RFC 6455) ------------------------------ */

typedef struct ws {
    int fd;
    unsigned char in[1 << 16];
    size_t len, off;
} ws;

static int ws_fill(ws *w)
{
    if (w->off == w->len) w->off = w->len = 0;
    if (w->off > 0 && w->len == sizeof w->in) {
        memmove(w->in, w->in + w->off, w->len - w->off);
        w->len -= w->off;
        w->off = 0;
    }
    ssize_t k = recv(w->fd, w->in + w->len, sizeof w->in - w->len, 0);
    if (k <= 0) return -1;
    w->len += (size_t)k;
    return 0;
}

static int ws_need(ws *w, size_t n)
{
    while (w->len - w->off < n) {
        if (w->off && w->len == sizeof w->in) {
            memmove(w->in, w->in + w->off, w->len - w->off);
            w->len -= w->off;
            w->off = 0;
        }
        ssize_t k = recv(w->fd, w->in + w->len, sizeof w->in - w->len, 0);
        if (k <= 0) return -1;
        w->len += (size_t)k;
    }
    return 0;
}

/* Open a WebSocket; returns the HTTP status of the handshake (101 when
 * upgraded), -1 on socket failure. */
static int ws_open(ws *w, int port, const char *path, const char *auth,
                   int rcvbuf)
{
    memset(w, 0, sizeof *w);
    w->fd = tcp_connect(port, rcvbuf);
    if (w->fd < 0) return -1;
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     path, auth ? "Authorization: " : "", auth ? auth : "",
                     auth ? "\r\n" : "");
    send_all(w->fd, req, (size_t)n);
    /* read up to the end of the response headers */
    for (;;) {
        void *end = memmem(w->in, w->len, "\r\n\r\n", 4);
        if (end) {
            w->off = (size_t)((unsigned char *)end - w->in) + 4;
            break;
        }
        if (ws_fill(w)) return -1;
    }
    int status = 0;
    sscanf((const char *)w->in, "HTTP/1.%*d %d", &status);
    return status;
}

static void ws_close_fd(ws *w)
{
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
}

static void ws_send(ws *w, const char *text)
{
    size_t n = strlen(text);
    unsigned char hdr[14];
    size_t h = 0;
    hdr[h++] = 0x81;
    if (n < 126) {
        hdr[h++] = (unsigned char)(0x80 | n);
    } else {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (unsigned char)(n >> 8);
        hdr[h++] = (unsigned char)n;
    }
    static const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(hdr + h, key, 4);
    h += 4;
    unsigned char *frame = malloc(h + n);
    memcpy(frame, hdr, h);
    for (size_t i = 0; i < n; i++)
        frame[h + i] = (unsigned char)text[i] ^ key[i % 4];
    send_all(w->fd, frame, h + n);
    free(frame);
}

/* Next frame: opcode (1 text, 8 close, -1 error); payload into *out
 * (malloc'd, NUL-terminated). */
static int ws_recv(ws *w, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (ws_need(w, 2)) return -1;
    unsigned char b0 = w->in[w->off], b1 = w->in[w->off + 1];
    size_t h = 2;
    uint64_t n = b1 & 0x7f;
    if (n == 126) {
        if (ws_need(w, 4)) return -1;
        n = ((uint64_t)w->in[w->off + 2] << 8) | w->in[w->off + 3];
        h = 4;
    } else if (n == 127) {
        if (ws_need(w, 10)) return -1;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = (n << 8) | w->in[w->off + 2 + i];
        h = 10;
    }
    if (n > sizeof w->in - 16 || ws_need(w, h + n)) return -1;
    *out = malloc(n + 1);
    memcpy(*out, w->in + w->off + h, n);
    (*out)[n] = '\0';
    *out_len = n;
    w->off += h + n;
    return b0 & 0x0f;
}

/* Next text message parsed as JSON (NULL on anything else). */
static json_t *ws_json(ws *w)
{
    char *p;
    size_t n;
    int op = ws_recv(w, &p, &n);
    json_t *j = op == 1 ? json_loadb(p, n, 0, NULL) : NULL;
    free(p);
    return j;
}

/* ---- server set-up ------------------------------------------------------ */

static const char *const channels[] = {"bars",  "signals",   "orders",
                                       "fills", "positions", "portfolio",
                                       "risk",  "logs"};

static atomic_int ws_closed_calls;

static int ws_accept(void *user, const tr_http_request *req)
{
    (void)user;
    if (!req->authorization || strcmp(req->authorization, "Bearer good"))
        return 401;
    return 0;
}

static void ws_closed_hook(void *user, uint64_t id)
{
    (void)user;
    (void)id;
    atomic_fetch_add(&ws_closed_calls, 1);
}

static tr_http_options base_options(void)
{
    tr_http_options o;
    tr_http_options_init(&o);
    o.port = 0;
    o.handler = handler;
    return o;
}

static tr_http_server *start(const tr_http_options *o)
{
    tr_http_server *s = NULL;
    int rc = tr_http_server_create(o, &s);
    CHECK_MSG(rc == 0, "server create: %s", tr_strerror(rc));
    if (s) CHECK(tr_http_port(s) > 0);
    return s;
}

/* ---- tests -------------------------------------------------------------- */

static void test_error_json(void)
{
    char *j = tr_http_error_json(404, NULL, NULL, NULL);
    CHECK_STR(j, "{\"error\":{\"code\":\"not_found\",\"message\":\"Not "
                 "Found\",\"field\":null}}");
    free(j);
    j = tr_http_error_json(422, "bad_quantity", "say \"why\"", "qty");
    CHECK_STR(j, "{\"error\":{\"code\":\"bad_quantity\",\"message\":\"say "
                 "\\\"why\\\"\",\"field\":\"qty\"}}");
    free(j);

    tr_http_response r;
    memset(&r, 0, sizeof r);
    CHECK_EQ_I64(tr_http_response_header(&r, "Retry-After", "12"), 0);
    CHECK_EQ_I64(tr_http_response_header(&r, "X-Evil", "a\r\nSet-Cookie: x"),
                 TR_ERR_INVALID);
    CHECK_EQ_I64(tr_http_response_header(&r, "Content-Length", "1"),
                 TR_ERR_INVALID);
    CHECK_STR(r.headers, "Retry-After: 12\r\n");

    tr_http_options o = base_options();
    tr_http_server *s = NULL;
    o.tls_cert = "/nonexistent.pem"; /* key missing */
    CHECK_EQ_I64(tr_http_server_create(&o, &s), TR_ERR_INVALID);
    o = base_options();
    o.port = 70000;
    CHECK_EQ_I64(tr_http_server_create(&o, &s), TR_ERR_INVALID);
    CHECK(s == NULL);
    o = base_options();
    o.n_channels = 65;
    o.channels = (const char *const[65]){"x"};
    CHECK_EQ_I64(tr_http_server_create(&o, &s), TR_ERR_INVALID);

    /* a port in use */
    o = base_options();
    tr_http_server *a = start(&o);
    if (a) {
        o.port = tr_http_port(a);
        CHECK_EQ_I64(tr_http_server_create(&o, &s), TR_ERR_IO);
        CHECK(s == NULL);
        tr_http_free(a);
    }
    tr_http_free(NULL);
}

static void test_methods(int port)
{
    const char *hdrs[] = {"Authorization: Bearer abc",
                          "Content-Type: application/json", NULL};
    const char *methods[] = {"GET",   "POST",   "PUT",
                             "PATCH", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < 6; i++) {
        bool with_body = i > 0 && i < 4;
        reply r =
            request(methods[i], url(port, "/api/v1/orders/7?a=x%26y&b=1+2&c"),
                    with_body ? "{\"qty\":5}" : NULL, with_body ? 9 : 0, hdrs);
        CHECK_MSG(r.status == 200, "%s: status %ld (%s)", methods[i], r.status,
                  curl_easy_strerror(r.rc));
        json_t *j = json_loads(r.body.p ? r.body.p : "", 0, NULL);
        CHECK_STR(jstr(j, "method"), methods[i]);
        CHECK_STR(jstr(j, "path"), "/api/v1/orders/7");
        CHECK_STR(jstr(j, "query"), "a=x%26y&b=1%202&c");
        CHECK_STR(jstr(j, "auth"), "Bearer abc");
        CHECK_STR(jstr(j, "ctype"), "application/json");
        CHECK_STR(jstr(j, "peer"), "127.0.0.1");
        CHECK_STR(jstr(j, "body"), with_body ? "{\"qty\":5}" : "");
        CHECK(has_header(&r, "content-length:"));
        json_decref(j);
        reply_free(&r);
    }

    /* HEAD: the GET's headers and length, no body */
    reply g = request("GET", url(port, "/api/created"), NULL, 0, NULL);
    reply h = request("HEAD", url(port, "/api/created"), NULL, 0, NULL);
    CHECK_EQ_I64(h.status, 201);
    CHECK_EQ_I64(h.body.len, 0);
    CHECK_EQ_I64(g.body.len, 2);
    CHECK_MSG(has_header(&h, "content-length: 2\r\n"), "HEAD headers: %s",
              h.headers.p ? h.headers.p : "(none)");
    CHECK(has_header(&h, "Location: /api/orders/42"));
    reply_free(&g);
    reply_free(&h);

    /* extra headers, no status set, a large answer written in chunks */
    reply c = request("POST", url(port, "/api/created"), "", 0, NULL);
    CHECK_EQ_I64(c.status, 201);
    CHECK(has_header(&c, "Location: /api/orders/42"));
    CHECK(has_header(&c, "Retry-After: 12"));
    reply_free(&c);
    reply n = request("GET", url(port, "/api/nostatus"), NULL, 0, NULL);
    CHECK_EQ_I64(n.status, 500);
    CHECK(is_error_body(&n, "internal"));
    reply_free(&n);
    reply b = request("GET", url(port, "/api/big?n=3000000"), NULL, 0, NULL);
    CHECK_EQ_I64(b.status, 200);
    CHECK_EQ_I64(b.body.len, 3000000);
    bool same = b.body.len == 3000000;
    for (size_t i = 0; same && i < b.body.len; i++)
        same = b.body.p[i] == (char)('a' + i % 26);
    CHECK_MSG(same, "large body content");
    CHECK(has_header(&b, "content-type: text/plain"));
    reply_free(&b);
}

/* Send GET slow_path, wait until its handler has started (*started moves
 * past its value at the call), then GET /api/echo; both replies into rs
 * and rf (the caller frees them). 1 when both came and the fast one came
 * first. */
static int fast_first(int port, const char *slow_path, atomic_int *started,
                      reply *rs, reply *rf)
{
    CURLM *m = curl_multi_init();
    CURL *slow = curl_easy_init(), *fast = curl_easy_init();
    struct curl_slist *s1 =
        prepare(slow, rs, "GET", url(port, slow_path), NULL, 0, NULL);
    struct curl_slist *s2 =
        prepare(fast, rf, "GET", url(port, "/api/echo"), NULL, 0, NULL);
    curl_multi_add_handle(m, slow);
    int running = 1;
    double t0 = now_s();
    int before = atomic_load(started);
    while (atomic_load(started) == before && now_s() - t0 < 5) {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 10, NULL);
    }
    curl_multi_add_handle(m, fast);
    CURL *order[2] = {NULL, NULL};
    int done = 0;
    while (done < 2 && now_s() - t0 < 10) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE && done < 2)
                order[done++] = msg->easy_handle;
        curl_multi_poll(m, NULL, 0, 10, NULL);
    }
    finish(slow, rs);
    finish(fast, rf);
    curl_multi_remove_handle(m, slow);
    curl_multi_remove_handle(m, fast);
    curl_easy_cleanup(slow);
    curl_easy_cleanup(fast);
    curl_multi_cleanup(m);
    curl_slist_free_all(s1);
    curl_slist_free_all(s2);
    CHECK_EQ_I64(done, 2);
    return done == 2 && order[0] == fast && order[1] == slow;
}

/* A sleeping handler does not hold up another request. */
static void test_concurrent(int port)
{
    reply rs, rf;
    CHECK_MSG(fast_first(port, "/api/sleep?ms=1500", &sleepers_started, &rs,
                         &rf),
              "the fast request must answer first");
    CHECK_EQ_I64(rs.status, 200);
    CHECK_EQ_I64(rf.status, 200);
    reply_free(&rs);
    reply_free(&rf);
}

/* A deferred answer holds no worker: with one worker, a request sent
 * after it is answered first; the late answer keeps its status, headers
 * and body. The stop waits for a deferred answer still to come. */
static void test_deferred(void)
{
    tr_http_options o = base_options();
    o.workers = 1;
    tr_http_server *s = start(&o);
    if (!s)
        return;
    int port = tr_http_port(s);
    reply rs, rf;
    CHECK_MSG(fast_first(port, "/api/later?ms=400", &n_later, &rs, &rf),
              "the request behind a deferred one must not wait for it");
    CHECK_EQ_I64(rs.status, 202);
    CHECK_EQ_I64(rf.status, 200);
    CHECK(has_header(&rs, "Retry-After: 7"));
    CHECK(rs.body.p && !strcmp(rs.body.p, "{\"later\":true}"));
    reply_free(&rs);
    reply_free(&rf);

    /* Stopped while an answer is deferred: the stop waits for it. */
    int fd = tcp_connect(port, 0);
    const char *get = "GET /api/later?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(fd, get, strlen(get));
    double t0 = now_s();
    while (atomic_load(&n_later) < 2 && now_s() - t0 < 5)
        usleep(1000);
    tr_http_free(s);
    CHECK_EQ_I64(atomic_load(&later_answered), 2);
    close(fd);
    for (int i = 0; i < atomic_load(&n_later); i++)
        pthread_join(later_threads[i], NULL);
}

static void test_keepalive(int port)
{
    CURL *h = curl_easy_init();
    reply a = request_on(h, "GET", url(port, "/api/a"), NULL, 0, NULL);
    reply b = request_on(h, "POST", url(port, "/api/b"), "x", 1, NULL);
    reply c = request_on(h, "HEAD", url(port, "/api/created"), NULL, 0, NULL);
    reply d = request_on(h, "GET", url(port, "/api/d"), NULL, 0, NULL);
    CHECK_EQ_I64(a.status, 200);
    CHECK_EQ_I64(a.connects, 1);
    CHECK_EQ_I64(b.status, 200);
    CHECK_EQ_I64(b.connects, 0); /* reused */
    CHECK_EQ_I64(c.status, 201);
    CHECK_EQ_I64(c.connects, 0);
    CHECK_EQ_I64(d.status, 200);
    CHECK_EQ_I64(d.connects, 0);
    curl_easy_cleanup(h);
    reply_free(&a);
    reply_free(&b);
    reply_free(&c);
    reply_free(&d);

    /* pipelined: three requests in one write, three answers in order */
    int fd = tcp_connect(port, 0);
    const char *three = "GET /api/p1 HTTP/1.1\r\nHost: a\r\n\r\n"
                        "GET /api/p2?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
                        "GET /api/p3 HTTP/1.1\r\nHost: a\r\n"
                        "Connection: close\r\n\r\n";
    send_all(fd, three, strlen(three));
    size_t n;
    char *got = recv_until_close(fd, &n);
    char *p1 = strstr(got, "\"/api/p1\"");
    char *p2 = strstr(got, "\"/api/p2\"");
    char *p3 = strstr(got, "\"/api/p3\"");
    CHECK_MSG(p1 && p2 && p3 && p1 < p2 && p2 < p3, "pipelined: %s", got);
    free(got);
    close(fd);

    /* Pipelined after a body: lws 4.1.6 cannot hold the bytes behind a
     * deferred answer, so the connection closes after what it answered;
     * it must close (not hang the service thread) and the server must go
     * on serving. */
    fd = tcp_connect(port, 0);
    const char *body_then = "GET /api/q1 HTTP/1.1\r\nHost: a\r\n\r\n"
                            "POST /api/q2 HTTP/1.1\r\nHost: a\r\n"
                            "Content-Length: 3\r\n\r\nabc"
                            "GET /api/q3 HTTP/1.1\r\nHost: a\r\n\r\n";
    double t0 = now_s();
    send_all(fd, body_then, strlen(body_then));
    got = recv_until_close(fd, &n);
    CHECK_MSG(strstr(got, "\"/api/q1\"") != NULL, "q1: %s", got);
    CHECK_MSG(now_s() - t0 < 5, "pipelined body: closed after %.1f s",
              now_s() - t0);
    free(got);
    close(fd);
    reply r = request("GET", url(port, "/api/after-pipeline"), NULL, 0, NULL);
    CHECK_EQ_I64(r.status, 200);
    reply_free(&r);
}

/* Body limit 64 KiB: at the limit accepted, one byte over refused (with and
 * without Expect: 100-continue), connection closed after the refusal. */
static void test_body_limit(int port)
{
    size_t lim = 64 * 1024;
    char *body = malloc(lim + 2);
    memset(body, 'q', lim + 1);
    body[lim + 1] = '\0';
    const char *no_expect[] = {"Expect:", NULL};
    const char *expect[] = {"Expect: 100-continue", NULL};
    reply ok = request("POST", url(port, "/api/upload"), body, lim, no_expect);
    CHECK_EQ_I64(ok.status, 200);
    json_t *j = json_loads(ok.body.p ? ok.body.p : "", 0, NULL);
    CHECK_EQ_I64(json_integer_value(json_object_get(j, "body_len")),
                 (json_int_t)lim);
    json_decref(j);
    reply ex = request("POST", url(port, "/api/upload"), body, lim, expect);
    CHECK_EQ_I64(ex.status, 200);
    int calls = atomic_load(&handler_calls);
    for (int k = 0; k < 2; k++) {
        reply big = request("POST", url(port, "/api/upload"), body, lim + 1,
                            k ? expect : no_expect);
        CHECK_MSG(big.status == 413, "over the limit (%s): %ld %s",
                  k ? "expect" : "plain", big.status,
                  curl_easy_strerror(big.rc));
        CHECK(is_error_body(&big, "payload_too_large"));
        CHECK(has_header(&big, "connection: close"));
        reply_free(&big);
    }
    CHECK_EQ_I64(atomic_load(&handler_calls), calls);
    reply_free(&ok);
    reply_free(&ex);
    free(body);
}

/* Header limit 4 KiB: 6 KiB of headers get a 431; far over (3x) the
 * connection is refused one way or the other; the handler never sees it. */
static void test_header_limit(int port)
{
    int calls = atomic_load(&handler_calls);
    for (int k = 0; k < 2; k++) {
        size_t n = k ? 12000 : 6000;
        char *h = malloc(n + 16);
        memcpy(h, "X-Big: ", 7);
        memset(h + 7, 'b', n);
        h[7 + n] = '\0';
        const char *hdrs[] = {h, NULL};
        reply r = request("GET", url(port, "/api/x"), NULL, 0, hdrs);
        if (k == 0) {
            CHECK_MSG(r.status == 431, "6 KiB headers: %ld", r.status);
            CHECK(is_error_body(&r, "headers_too_large"));
        } else {
            CHECK_MSG(r.status == 431 || r.status == 400 ||
                          r.rc == CURLE_GOT_NOTHING || r.rc == CURLE_RECV_ERROR,
                      "12 KiB headers: %ld %s", r.status,
                      curl_easy_strerror(r.rc));
        }
        reply_free(&r);
        free(h);
    }
    /* a big Authorization (a known header) is counted too */
    char *auth = malloc(6000);
    snprintf(auth, 6000, "Authorization: Bearer %05900d", 1);
    const char *hdrs[] = {auth, NULL};
    reply r = request("GET", url(port, "/api/x"), NULL, 0, hdrs);
    CHECK_EQ_I64(r.status, 431);
    reply_free(&r);
    free(auth);
    CHECK_EQ_I64(atomic_load(&handler_calls), calls);
    /* just under the limit is fine */
    const char *small[] = {"X-Small: 123", NULL};
    reply ok = request("GET", url(port, "/api/x"), NULL, 0, small);
    CHECK_EQ_I64(ok.status, 200);
    reply_free(&ok);
}

/* Timeout 1 s: half a request gets a 408 and the connection closes. */
static void test_timeout(int port)
{
    const char *halves[] = {
        "GET /api/x HTTP/1.1\r\nHost: a\r\n",
        "POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",
    };
    for (int k = 0; k < 2; k++) {
        int fd = tcp_connect(port, 0);
        CHECK(fd >= 0);
        double t0 = now_s();
        send_all(fd, halves[k], strlen(halves[k]));
        size_t n;
        char *got = recv_until_close(fd, &n);
        double dt = now_s() - t0;
        CHECK_MSG(strstr(got, " 408 ") != NULL, "half request %d: %s", k, got);
        CHECK(strstr(got, "\"request_timeout\"") != NULL);
        CHECK_MSG(dt >= 0.9 && dt < 8, "closed after %.2f s", dt);
        free(got);
        close(fd);
    }
    /* an idle keep-alive connection closes without a 408 */
    int fd = tcp_connect(port, 0);
    const char *get = "GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n";
    send_all(fd, get, strlen(get));
    size_t n;
    char *got = recv_until_close(fd, &n);
    CHECK(strstr(got, " 200 ") != NULL);
    CHECK(strstr(got, " 408 ") == NULL);
    free(got);
    close(fd);
}

/* A client that goes away before its answer: the answer is dropped. */
static void test_gone_before_answer(int port)
{
    int done = atomic_load(&sleepers_done);
    int fd = tcp_connect(port, 0);
    const char *get = "GET /api/sleep?ms=300 HTTP/1.1\r\nHost: a\r\n\r\n";
    send_all(fd, get, strlen(get));
    usleep(100 * 1000);
    close(fd);
    double t0 = now_s();
    while (atomic_load(&sleepers_done) == done && now_s() - t0 < 5)
        usleep(10 * 1000);
    usleep(100 * 1000); /* the answer reaches the service thread */
    reply r = request("GET", url(port, "/api/after"), NULL, 0, NULL);
    CHECK_EQ_I64(r.status, 200);
    reply_free(&r);
}

/* One worker, one queue place: a third request gets a 503. */
static void test_busy(void)
{
    tr_http_options o = base_options();
    o.workers = 1;
    o.max_queued_requests = 1;
    tr_http_server *s = start(&o);
    if (!s) return;
    int port = tr_http_port(s);
    CURLM *m = curl_multi_init();
    CURL *h[3];
    reply r[3];
    struct curl_slist *sl[3];
    for (int i = 0; i < 3; i++) {
        h[i] = curl_easy_init();
        sl[i] = prepare(h[i], &r[i], "GET", url(port, "/api/sleep?ms=600"),
                        NULL, 0, NULL);
    }
    int started = atomic_load(&sleepers_started), running = 1;
    curl_multi_add_handle(m, h[0]);
    double t0 = now_s();
    while (atomic_load(&sleepers_started) == started && now_s() - t0 < 5) {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 10, NULL);
    }
    curl_multi_add_handle(m, h[1]);
    curl_multi_add_handle(m, h[2]);
    do {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 10, NULL);
    } while (running && now_s() - t0 < 10);
    int n503 = 0, n200 = 0;
    for (int i = 0; i < 3; i++) {
        finish(h[i], &r[i]);
        if (r[i].status == 503) {
            n503++;
            CHECK(is_error_body(&r[i], "unavailable"));
            CHECK(has_header(&r[i], "Retry-After: 1"));
        }
        n200 += r[i].status == 200;
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
        curl_slist_free_all(sl[i]);
        reply_free(&r[i]);
    }
    CHECK_EQ_I64(n503, 1);
    CHECK_EQ_I64(n200, 2);
    tr_http_stats st;
    tr_http_stats_get(s, &st);
    CHECK_EQ_I64(st.requests_rejected, 1);
    curl_multi_cleanup(m);
    tr_http_free(s);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static void test_static(void)
{
    char *top = mktmp_named("tr-http-static");
    char root[512];
    snprintf(root, sizeof root, "%s/www", top);
    mkdir(root, 0755);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub", root);
    mkdir(sub, 0755);
    write_file(top, "secret.txt", "SECRET");
    write_file(root, "index.html", "<html>home</html>");
    write_file(root, "app.js", "console.log(1)");
    write_file(root, "app.js.map", "{}");
    write_file(root, "style.css", "body{}");
    write_file(root, "logo.png", "PNG");
    write_file(root, "icon.svg", "<svg/>");
    write_file(root, "data.json", "[1]");
    write_file(root, ".env", "HIDDEN");
    char link[700], target[700];
    snprintf(link, sizeof link, "%s/escape.txt", root);
    snprintf(target, sizeof target, "%s/secret.txt", top);
    CHECK(symlink(target, link) == 0);

    tr_http_options o = base_options();
    o.static_dir = root;
    o.handler_path = "/metrics";
    tr_http_server *s = start(&o);
    if (!s) {
        rm_rf(top);
        return;
    }
    int port = tr_http_port(s);
    static const struct {
        const char *path, *type, *body;
    } files[] = {
        {"/", "text/html; charset=utf-8", "<html>home</html>"},
        {"/index.html", "text/html; charset=utf-8", "<html>home</html>"},
        {"/app.js", "text/javascript; charset=utf-8", "console.log(1)"},
        {"/app.js.map", "application/json", "{}"},
        {"/style.css", "text/css; charset=utf-8", "body{}"},
        {"/logo.png", "image/png", "PNG"},
        {"/icon.svg", "image/svg+xml", "<svg/>"},
        {"/data.json", "application/json", "[1]"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        reply r = request("GET", url(port, files[i].path), NULL, 0, NULL);
        char want[128];
        snprintf(want, sizeof want, "content-type: %s\r\n", files[i].type);
        CHECK_MSG(r.status == 200, "%s: %ld", files[i].path, r.status);
        CHECK_MSG(has_header(&r, want), "%s: %s", files[i].path, r.headers.p);
        CHECK_STR(r.body.p, files[i].body);
        reply_free(&r);
    }
    const char *missing[] = {"/nope.html",
                             "/sub/",
                             "/sub",
                             "/.env",
                             "/escape.txt",
                             "/%2e%2e/secret.txt",
                             "/sub/%2e%2e/%2e%2e/secret.txt"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        reply r = request("GET", url(port, missing[i]), NULL, 0, NULL);
        CHECK_MSG(r.status == 404, "%s: %ld", missing[i], r.status);
        CHECK(is_error_body(&r, "not_found"));
        CHECK(!r.body.p || !strstr(r.body.p, "SECRET"));
        reply_free(&r);
    }
    /* ".." sent as is, not normalised by the client */
    for (int k = 0; k < 2; k++) {
        int fd = tcp_connect(port, 0);
        const char *req = k ? "GET /sub/../../secret.txt HTTP/1.1\r\nHost: "
                              "a\r\nConnection: close\r\n\r\n"
                            : "GET /../secret.txt HTTP/1.1\r\nHost: "
                              "a\r\nConnection: close\r\n\r\n";
        send_all(fd, req, strlen(req));
        size_t n;
        char *got = recv_until_close(fd, &n);
        CHECK_MSG(strstr(got, "SECRET") == NULL, "escaped: %s", got);
        CHECK_MSG(strstr(got, " 404 ") != NULL, "got: %.80s", got);
        free(got);
        close(fd);
    }
    reply p = request("POST", url(port, "/index.html"), "x", 1, NULL);
    CHECK_EQ_I64(p.status, 405);
    CHECK(has_header(&p, "Allow: GET, HEAD"));
    CHECK(is_error_body(&p, "method_not_allowed"));
    reply_free(&p);
    /* the API prefix and the one handler path still reach the handler; a
     * path that only starts like it is a (missing) file */
    reply a = request("GET", url(port, "/api/v1/x"), NULL, 0, NULL);
    CHECK_EQ_I64(a.status, 200);
    reply_free(&a);
    reply mt = request("GET", url(port, "/metrics"), NULL, 0, NULL);
    CHECK_EQ_I64(mt.status, 200);
    reply_free(&mt);
    reply mx = request("GET", url(port, "/metrics2"), NULL, 0, NULL);
    CHECK_EQ_I64(mx.status, 404);
    reply_free(&mx);
    tr_http_free(s);
    rm_rf(top);
}

static void test_tls(void)
{
    if (system("command -v openssl >/dev/null 2>&1") != 0) {
        printf("SKIP TLS: no openssl command to make a certificate\n");
        return;
    }
    char *dir = mktmp_named("tr-http-tls");
    char cmd[2048], cert[512], key[512];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
             "/CN=localhost -keyout %s -out %s >/dev/null 2>&1",
             key, cert);
    CHECK(system(cmd) == 0);
    tr_http_options o = base_options();
    o.tls_cert = cert;
    o.tls_key = key;
    tr_http_server *s = start(&o);
    if (s) {
        char u[128];
        snprintf(u, sizeof u, "https://127.0.0.1:%d/api/tls?x=1",
                 tr_http_port(s));
        CURL *h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_CAINFO, cert);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L); /* CN=localhost */
        reply r = request_on(h, "POST", u, "secret", 6, NULL);
        CHECK_MSG(r.status == 200, "TLS: %ld %s", r.status,
                  curl_easy_strerror(r.rc));
        json_t *j = json_loads(r.body.p ? r.body.p : "", 0, NULL);
        CHECK_STR(jstr(j, "body"), "secret");
        CHECK_STR(jstr(j, "query"), "x=1");
        json_decref(j);
        reply r2 = request_on(h, "GET", u, NULL, 0, NULL);
        CHECK_EQ_I64(r2.status, 200);
        CHECK_EQ_I64(r2.connects, 0);
        reply_free(&r);
        reply_free(&r2);
        curl_easy_cleanup(h);
        tr_http_free(s);
    }
    rm_rf(dir);
}

static void test_ws_basic(void)
{
    tr_http_options o = base_options();
    o.ws_path = "/api/v1/stream";
    o.channels = channels;
    o.n_channels = sizeof channels / sizeof channels[0];
    o.ws_accept = ws_accept;
    o.ws_close = ws_closed_hook;
    tr_http_server *s = start(&o);
    if (!s) return;
    int port = tr_http_port(s);
    int orders = tr_http_channel_index(s, "orders");
    int fills = tr_http_channel_index(s, "fills");
    CHECK_EQ_I64(orders, 2);
    CHECK_EQ_I64(tr_http_channel_index(s, "nope"), TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_http_publish(s, 99, "{}", 2), TR_ERR_INVALID);

    ws w;
    CHECK_EQ_I64(ws_open(&w, port, "/api/v1/stream", NULL, 0), 401);
    ws_close_fd(&w);
    CHECK_EQ_I64(ws_open(&w, port, "/api/v1/other", "Bearer good", 0), 404);
    ws_close_fd(&w);
    CHECK_EQ_I64(ws_open(&w, port, "/api/v1/stream", "Bearer good", 0), 101);

    ws_send(&w, "{\"subscribe\":[\"orders\",\"fills\"]}");
    json_t *j = ws_json(&w);
    char *t = json_dumps(j, JSON_COMPACT);
    CHECK_STR(t,
              "{\"type\":\"subscribed\",\"channels\":[\"orders\",\"fills\"]}");
    free(t);
    json_decref(j);

    /* 1000 messages, in order */
    for (int i = 0; i < 1000; i++) {
        char m[64];
        int n = snprintf(m, sizeof m, "{\"seq\":%d}", i);
        CHECK_EQ_I64(tr_http_publish(s, (size_t)orders, m, (size_t)n), 0);
    }
    int in_order = 0;
    for (int i = 0; i < 1000; i++) {
        j = ws_json(&w);
        if (json_integer_value(json_object_get(j, "seq")) == i) in_order++;
        json_decref(j);
    }
    CHECK_EQ_I64(in_order, 1000);

    ws_send(&w, "{\"subscribe\":[\"orders\",\"nope\"]}");
    j = ws_json(&w);
    CHECK_STR(jstr(j, "type"), "error");
    json_t *e = json_object_get(j, "error");
    CHECK_STR(jstr(e, "code"), "unknown_channel");
    CHECK_STR(jstr(e, "field"), "subscribe");
    json_decref(j);
    ws_send(&w, "not json");
    j = ws_json(&w);
    CHECK_STR(jstr(json_object_get(j, "error"), "code"), "bad_json");
    json_decref(j);

    ws_send(&w, "{\"unsubscribe\":[\"orders\"]}");
    j = ws_json(&w);
    t = json_dumps(j, JSON_COMPACT);
    CHECK_STR(t, "{\"type\":\"subscribed\",\"channels\":[\"fills\"]}");
    free(t);
    json_decref(j);
    for (int i = 0; i < 10; i++)
        tr_http_publish(s, (size_t)orders, "{\"seq\":-1}", 10);
    tr_http_publish(s, (size_t)fills, "{\"fill\":1}", 10);
    j = ws_json(&w);
    CHECK_MSG(json_integer_value(json_object_get(j, "fill")) == 1,
              "orders must not arrive after unsubscribe");
    json_decref(j);

    tr_http_stats st;
    tr_http_stats_get(s, &st);
    CHECK_EQ_I64(st.ws_clients, 1);
    CHECK(st.ws_messages_sent >= 1001);
    int closed = atomic_load(&ws_closed_calls);
    ws_close_fd(&w);
    double t0 = now_s();
    while (atomic_load(&ws_closed_calls) == closed && now_s() - t0 < 5)
        usleep(10 * 1000);
    CHECK_EQ_I64(atomic_load(&ws_closed_calls), closed + 1);
    tr_http_stats_get(s, &st);
    CHECK_EQ_I64(st.ws_clients, 0);
    /* a client still open at shutdown is closed by tr_http_free */
    CHECK_EQ_I64(ws_open(&w, port, "/api/v1/stream", "Bearer good", 0), 101);
    ws_send(&w, "{\"subscribe\":[\"logs\"]}");
    json_decref(ws_json(&w));
    tr_http_free(s);
    ws_close_fd(&w);
}

/* ---- slow WebSocket client ---------------------------------------------- */

#define SLOW_MSG    2048
#define SLOW_WINDOW 64

/* Messages published to the slow test: enough to fill what the kernel
 * buffers for a client that does not read (the server's send buffer can
 * grow to tcp_wmem's maximum) plus its queue, twice over. */
static int slow_n;

static int slow_count(void)
{
    long max = 4 << 20;
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
    if (f) {
        long lo, def, hi;
        if (fscanf(f, "%ld %ld %ld", &lo, &def, &hi) == 3) max = hi;
        fclose(f);
    }
    long n = 2 * max / SLOW_MSG + 1000;
    return n < 6000 ? 6000 : n > 100000 ? 100000 : (int)n;
}

typedef struct reader {
    ws w;
    atomic_int received; /* in-order messages received */
    atomic_bool bad;
} reader;

static void *reader_main(void *arg)
{
    reader *r = arg;
    for (int i = 0; i < slow_n; i++) {
        char *p;
        size_t n;
        int op = ws_recv(&r->w, &p, &n);
        int seq = -1;
        if (op == 1) sscanf(p, "{\"seq\":%d", &seq);
        free(p);
        if (seq != i) {
            atomic_store(&r->bad, true);
            break;
        }
        atomic_fetch_add(&r->received, 1);
    }
    return NULL;
}

/* A client that never reads is closed with 1008 while the publisher keeps
 * going and another client gets every message in order. */
static void test_ws_slow(void)
{
    slow_n = slow_count();
    tr_http_options o = base_options();
    o.ws_path = "/ws";
    o.channels = channels;
    o.n_channels = 2;
    o.ws_queue_max = 256;
    tr_http_server *s = start(&o);
    if (!s) return;
    int port = tr_http_port(s);
    static reader rd;
    memset(&rd, 0, sizeof rd);
    ws slow;
    CHECK_EQ_I64(ws_open(&rd.w, port, "/ws", NULL, 0), 101);
    CHECK_EQ_I64(ws_open(&slow, port, "/ws", NULL, 4096), 101);
    ws_send(&rd.w, "{\"subscribe\":[\"bars\"]}");
    ws_send(&slow, "{\"subscribe\":[\"bars\"]}");
    json_decref(ws_json(&rd.w));
    json_decref(ws_json(&slow));
    pthread_t th;
    pthread_create(&th, NULL, reader_main, &rd);

    char *msg = malloc(SLOW_MSG);
    memset(msg, ' ', SLOW_MSG);
    tr_http_stats st;
    uint64_t slow_at = 0; /* publishes done when the slow client overflowed */
    for (int i = 0; i < slow_n; i++) {
        int n = snprintf(msg, SLOW_MSG, "{\"seq\":%d", i);
        msg[n] = ' ';
        msg[SLOW_MSG - 1] = '}';
        CHECK(tr_http_publish(s, 0, msg, SLOW_MSG) == 0);
        /* pace to the reading client only: it never falls behind */
        double t0 = now_s();
        while (i + 1 - atomic_load(&rd.received) > SLOW_WINDOW &&
               !atomic_load(&rd.bad) && now_s() - t0 < 10)
            usleep(100);
        if (!slow_at) {
            tr_http_stats_get(s, &st);
            if (st.ws_slow_closed) slow_at = (uint64_t)i + 1;
        }
    }
    /* The publisher is done while the slow client has not read a byte: it
     * never waited for it. The overflow happened during the loop. */
    tr_http_stats_get(s, &st);
    CHECK_EQ_I64(st.ws_slow_closed, 1);
    CHECK_MSG(slow_at > 0 && slow_at < (uint64_t)slow_n, "overflow after %llu",
              (unsigned long long)slow_at);
    pthread_join(th, NULL);
    CHECK(!atomic_load(&rd.bad));
    CHECK_EQ_I64(atomic_load(&rd.received), slow_n);

    /* Now the slow client reads: a prefix in order, then 1008. */
    int next = 0, close_code = 0, op;
    char reason[128] = "";
    for (;;) {
        char *p;
        size_t n;
        op = ws_recv(&slow, &p, &n);
        if (op == 1) {
            int seq = -1;
            sscanf(p, "{\"seq\":%d", &seq);
            if (seq == next)
                next++;
            else
                next = -1000000;
        } else if (op == 8 && n >= 2) {
            close_code = ((unsigned char)p[0] << 8) | (unsigned char)p[1];
            snprintf(reason, sizeof reason, "%.*s", (int)(n - 2), p + 2);
        }
        free(p);
        if (op != 1) break;
    }
    CHECK_MSG(next > 0 && next < slow_n, "slow client got %d in order", next);
    CHECK_EQ_I64(close_code, 1008);
    CHECK_STR(reason, "too slow: 256 messages behind");
    ws_close_fd(&slow);
    ws_close_fd(&rd.w);
    free(msg);
    tr_http_free(s);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_error_json();

    tr_http_options o = base_options();
    o.max_body_bytes = 64 * 1024;
    o.max_header_bytes = 4096;
    o.request_timeout_ms = 1000;
    tr_http_server *s = start(&o);
    if (s) {
        int port = tr_http_port(s);
        test_methods(port);
        test_concurrent(port);
        test_keepalive(port);
        test_body_limit(port);
        test_header_limit(port);
        test_timeout(port);
        test_gone_before_answer(port);
        tr_http_stats st;
        tr_http_stats_get(s, &st);
        CHECK(st.responses[2] > 10);
        CHECK(st.responses[4] >= 5);
        CHECK(st.responses[5] >= 1);
        tr_http_stop(s);
        tr_http_stop(s); /* idempotent */
        tr_http_free(s);
    }
    test_busy();
    test_deferred();
    test_static();
    test_tls();
    test_ws_basic();
    test_ws_slow();
    curl_global_cleanup();
    return test_summary();
}
