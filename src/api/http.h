/* http.h: the HTTP/WebSocket server of the API, a wrapper over
 * libwebsockets so that the rest of trader never sees its callbacks.
 *
 * Threads. One service thread owns every socket and runs libwebsockets. A
 * complete request (headers and body) is copied into a job that a small pool
 * of worker threads hands to the handler, so a handler may block (wait for
 * the engine's answer) without stalling other connections, or defer its
 * answer to another thread (tr_http_defer) and free the worker at once.
 * The handler fills a tr_http_response; the server queues it back to the
 * service thread, wakes it (lws_cancel_service) and writes it when the
 * socket is writable.
 * Connections are named by 64-bit ids with a generation counter, never by
 * pointer across threads: an answer for a client that went away is dropped.
 *
 * Limits answered by the server itself with the JSON error body
 * {"error":{"code":"...","message":"...","field":null}}: 404 (no route or no
 * such static file), 405 (static files are GET/HEAD only), 408 (request not
 * complete within request_timeout_ms), 411 (chunked request bodies), 413
 * (body over max_body_bytes, refused from Content-Length before any of it
 * is buffered), 431 (headers over max_header_bytes), 503 (worker queue
 * full). Headers far over the limit (more than twice it) make libwebsockets
 * 4.1 hang up without an answer, and so does a request pipelined behind one
 * with a body (HTTP/1.1 pipelining is otherwise answered in order); see
 * http.c.
 *
 * WebSocket. One path (ws_path) accepts upgrades without a subprotocol. The
 * client sends {"subscribe":["orders","fills"]} or {"unsubscribe":[...]} and
 * is answered {"type":"subscribed","channels":[<its channels now>]} or
 * {"type":"error","error":{"code":...,"message":...,"field":...}}.
 * tr_http_publish copies a message once into a reference-counted buffer and
 * queues it to every subscribed client; each client has a bounded queue and
 * a client whose queue is full is closed with 1008 "too slow: N messages
 * behind". Publishing never blocks on a client. Messages reach one client in
 * publish order.
 *
 * Out of memory: calls return TR_ERR_NOMEM; inside the server an allocation
 * failure turns into a 500 / 503 answer or a closed connection. */
#ifndef TR_HTTP_H
#define TR_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct tr_http_server tr_http_server;

typedef enum tr_http_method {
    TR_HTTP_GET = 0,
    TR_HTTP_HEAD,
    TR_HTTP_POST,
    TR_HTTP_PUT,
    TR_HTTP_PATCH,
    TR_HTTP_DELETE,
    TR_HTTP_OPTIONS,
} tr_http_method;

/* "GET", "POST", ...; "?" for values outside the enum. Any thread. */
const char *tr_http_method_name(tr_http_method m);

/* A request as the handler sees it. Every pointer is borrowed: valid until
 * the handler returns. Strings are NUL-terminated. */
typedef struct tr_http_request {
    tr_http_method method;
    const char *path;  /* URL-decoded path without the query, "/api/v1/x" */
    const char *query; /* query string, "" when none; see below */
    const char *authorization; /* Authorization header, NULL when absent */
    const char *content_type;  /* Content-Type header, NULL when absent */
    const char *peer_ip;       /* "127.0.0.1" */
    const char *body;          /* body_len bytes plus a NUL; "" when none */
    size_t body_len;
    uint64_t conn_id; /* the connection; never reused by this server */
} tr_http_request;
/* The query: libwebsockets decodes %XX and '+' while it parses, so the raw
 * bytes are gone; the server re-encodes each name and value so that
 * "a=x%26y&b=1" reaches the handler as "a=x%26y&b=1" (a handler splits at
 * '&' and '=' and URL-decodes each part). */

#define TR_HTTP_HEADERS_MAX 1024 /* bytes of extra response headers */

/* What the handler fills (zeroed before the call). */
typedef struct tr_http_response {
    int status; /* 100..599; anything else (0: not set) becomes a 500 */
    const char *content_type; /* copied after the handler returns; NULL is
                                 "application/json" */
    char *body;      /* malloc'd; the server takes ownership and frees it */
    size_t body_len; /* bytes of body */
    /* Extra headers, "Name: value\r\n" each: add with
     * tr_http_response_header, never by hand. */
    char headers[TR_HTTP_HEADERS_MAX];
    size_t headers_len;
    struct tr__done *later_; /* the server's (tr_http_defer): leave alone */
} tr_http_response;

/* The three helpers below fill the response a handler was given, on the
 * handler's thread (resp belongs to that call).
 *
 * Add a header such as "Retry-After: 12" or "Location: /x". name and value
 * are copied; CR or LF in either is TR_ERR_INVALID (no header injection);
 * TR_ERR_FULL when TR_HTTP_HEADERS_MAX would be passed. Content-Length,
 * Content-Type and Connection belong to the server (TR_ERR_INVALID). */
int tr_http_response_header(tr_http_response *resp, const char *name,
                            const char *value);

/* Set status and a copy of the len bytes at body (content type JSON unless
 * set otherwise); frees a body set before. TR_ERR_NOMEM. */
int tr_http_response_set(tr_http_response *resp, int status, const char *body,
                         size_t len);

/* Set status and the JSON error body of tr_http_error_json (content type
 * JSON). TR_ERR_NOMEM. */
int tr_http_response_error(tr_http_response *resp, int status, const char *code,
                           const char *message, const char *field);

/* The JSON error body {"error":{"code":code,"message":message,
 * "field":field}} (field null when NULL). code NULL takes the default of
 * status ("not_found" for 404, ...), message NULL its reason phrase. The
 * string is malloc'd, NUL-terminated, owned by the caller; NULL when out of
 * memory. Any thread. */
char *tr_http_error_json(int status, const char *code, const char *message,
                         const char *field);

/* Answering later. A handler that waits for another thread (the engine)
 * need not hold its worker meanwhile: it calls tr_http_defer(resp) before
 * it hands the work on, and returns (resp is not used after that).
 * Whoever finishes the work fills a response of its own (zeroed first, as
 * a handler's) and calls tr_http_answer with the token, exactly once, from
 * any thread; the answer is queued to the service thread as a handler's
 * would be (and dropped if the client went away). Every deferred answer
 * must come before tr_http_stop, which waits for them. */
typedef struct tr_http_later tr_http_later;
tr_http_later *tr_http_defer(tr_http_response *resp);
/* Takes resp's body. Any thread. */
void tr_http_answer(tr_http_later *later, tr_http_response *resp);

/* Runs on a worker thread; may block. req is borrowed until it returns. */
typedef void (*tr_http_handler_fn)(void *user, const tr_http_request *req,
                                   tr_http_response *resp);

/* Runs on the service thread before a WebSocket upgrade completes, so it
 * holds up every connection while it runs: it must be cheap (no I/O, no
 * waiting, no lock the engine holds; check a token against a table). Return
 * 0 to accept, or the HTTP status to refuse with, 400..599 (e.g. 401; other
 * values refuse with 403); the client gets that status with the JSON error
 * body. The strings of req are borrowed for the call; body is empty. */
typedef int (*tr_http_ws_accept_fn)(void *user, const tr_http_request *req);

/* Runs on the service thread when an accepted WebSocket client is gone (or
 * on the thread in tr_http_stop for clients open at shutdown). Cheap. */
typedef void (*tr_http_ws_close_fn)(void *user, uint64_t conn_id);

typedef struct tr_http_options {
    const char *listen_addr; /* numeric IP to bind; "127.0.0.1" */
    int port;                /* 8080; 0 picks a free port (tr_http_port) */
    const char *tls_cert;    /* PEM paths: both set for HTTPS, else NULL */
    const char *tls_key;
    size_t max_header_bytes;     /* 8 KiB; over it: 431 */
    size_t max_body_bytes;       /* 1 MiB; over it: 413 */
    unsigned request_timeout_ms; /* 10 s; see tr_http_server_create */
    unsigned workers;            /* 2 handler threads */
    size_t max_queued_requests;  /* 1024 waiting for a worker; then 503 */
    const char *static_dir;      /* NULL, or files served at "/" */
    const char *api_prefix;      /* "/api/": see tr_http_server_create */
    const char *handler_path;    /* NULL, or one more exact path for the
                                    handler ("/metrics") */
    tr_http_handler_fn handler;  /* NULL: only static files and ws */
    void *user;                  /* passed to every hook */
    const char *ws_path;         /* NULL (no WebSocket) or "/api/v1/stream" */
    const char *const *channels; /* channel names (borrowed for create) */
    size_t n_channels;           /* at most 64 */
    size_t ws_queue_max;         /* 1024 messages per client */
    tr_http_ws_accept_fn ws_accept; /* NULL accepts every client */
    tr_http_ws_close_fn ws_close;   /* NULL */
} tr_http_options;

/* Fill o with the defaults above. */
void tr_http_options_init(tr_http_options *o /* OUT */);

/* Bind, listen and start the service thread and the workers; *out owns the
 * server (tr_http_free). Strings of o are copied.
 *
 * Routing: a request whose path starts with api_prefix, or is exactly
 * handler_path, goes to the handler;
 * any other path is a static file when static_dir is set (GET and HEAD,
 * "/" and ".../" serve index.html, no listing, no ".." and nothing outside
 * static_dir, 404 otherwise), else it too goes to the handler. No handler:
 * 404. HEAD answers carry the handler's headers without its body.
 *
 * Timeouts: a connection has request_timeout_ms from its start, or from the
 * end of its previous answer, to deliver a whole request (headers and
 * body); a partial request then gets a 408 and the connection closes, an
 * idle keep-alive connection closes quietly. The same time bounds the
 * writing of one answer to a client that does not read. Time spent in the
 * handler is not counted.
 *
 * TR_ERR_INVALID for bad options (both or neither TLS path, port out of
 * range, zero limits, more than 64 channels, ...), TR_ERR_IO when the
 * address cannot be bound or TLS files are unreadable, TR_ERR_NOMEM. Any
 * thread. */
int tr_http_server_create(const tr_http_options *o,
                          tr_http_server **out /* OUT */);

/* The port the server listens on (the chosen one when port was 0). Any
 * thread. */
int tr_http_port(const tr_http_server *s);

/* Index of channel name, or TR_ERR_NOT_FOUND. Any thread. */
int tr_http_channel_index(const tr_http_server *s, const char *name);

/* Queue the len bytes of json (one text message) to every client subscribed
 * to channel; copied once, never waits for a client. Any thread, including
 * several at once; not after tr_http_free began. TR_ERR_INVALID for an
 * unknown channel, TR_ERR_NOMEM. A client that falls behind is closed (see
 * above); that is not an error of the publisher. */
int tr_http_publish(tr_http_server *s, size_t channel, const char *json,
                    size_t len);

/* Counters since creation. Any thread; each field is read atomically. */
typedef struct tr_http_stats {
    uint64_t responses[6];      /* [1]..[5]: answers by class 1xx..5xx */
    uint64_t ws_clients;        /* WebSocket clients connected now */
    uint64_t ws_messages_sent;  /* messages written to WebSocket clients */
    uint64_t ws_slow_closed;    /* clients closed for falling behind */
    uint64_t requests_rejected; /* 503 answers: worker queue full */
} tr_http_stats;

void tr_http_stats_get(const tr_http_server *s, tr_http_stats *out /* OUT */);

/* Stop serving: finish the handlers that are running (a handler that never
 * returns blocks this), drop queued requests, close every connection, join
 * every thread. Idempotent. Call from one thread, not from a handler or a
 * hook. */
void tr_http_stop(tr_http_server *s);

/* tr_http_stop, then release everything. NULL is a no-op. */
void tr_http_free(tr_http_server *s);

#endif
