/* http_int.h: private structures of the HTTP/WebSocket server, shared by
 * http.c (lifecycle, HTTP, workers), ws.c (WebSocket channels) and
 * http_util.c (static files, error bodies, helpers). Not API.
 *
 * Ownership by thread:
 *   - tr__conn and everything it points to: the service thread only. Other
 *     threads name a connection by its 64-bit id (slot | generation << 32).
 *   - job queue (jobs_mu), answer queue (done_mu): shared, under their lock.
 *   - WebSocket clients (tr__ws_client) are created and destroyed by the
 *     service thread; their subscription mask, queue and flags are read and
 *     written only under ws_mu (publishers hold it while they queue).
 *   - tr__msg: immutable after publish; freed by whoever drops the last
 *     reference (atomic count). Only the service thread writes the LWS_PRE
 *     bytes in front of the payload (libwebsockets puts the frame header
 *     there), one message at a time, so sharing it between clients is safe. */
#ifndef TR_HTTP_INT_H
#define TR_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "api/http.h"

#define TR__WS_MAX_CHANNELS 64
#define TR__WS_RX_MAX       4096 /* bytes of one client message */

/* One published message, shared by the queues of every subscriber. */
typedef struct tr__msg {
    atomic_int refs;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes of headroom, then len bytes */
} tr__msg;

tr__msg *tr__msg_new(const char *data, size_t len); /* refs = 1 */
void tr__msg_unref(tr__msg *m);                     /* NULL is a no-op */

/* A WebSocket client. Fields under ws_mu unless said otherwise. */
typedef struct tr__ws_client {
    struct tr__ws_client *next, *prev; /* srv->ws_head list */
    uint64_t conn_id;                  /* immutable */
    struct lws *wsi;                   /* service thread only */
    uint64_t subs;                     /* bit i: subscribed to channel i */
    tr__msg **ring;                    /* capacity ws_queue_max */
    size_t head, count;
    bool overflow; /* fell behind: to be closed with 1008 */
    bool dirty;    /* has something new for the service thread */
    bool closing;  /* service thread only: close timeout armed */
    size_t behind; /* queue length when it overflowed */
    /* service thread only: a client message being assembled */
    char rx[TR__WS_RX_MAX];
    size_t rx_len;
    bool rx_too_big;
} tr__ws_client;

typedef enum tr__conn_state {
    TR__C_IDLE = 0, /* waiting for (the rest of) the request headers */
    TR__C_BODY,     /* reading the body */
    TR__C_DISCARD,  /* answer decided early (413, ...): body dropped */
    TR__C_HANDLER,  /* a worker has the request */
    TR__C_WRITING,  /* the answer is being written */
    TR__C_WS,       /* upgraded to WebSocket */
} tr__conn_state;

/* An answer on its way from a worker (or the service thread itself) to a
 * connection. */
typedef struct tr__done {
    struct tr__done *next;
    struct tr_http_server *server; /* for tr_http_answer */
    uint64_t conn_id;
    int status;
    bool head;  /* HEAD request: headers only */
    bool close; /* Connection: close, then hang up */
    char content_type[128];
    char *body; /* malloc'd, owned */
    size_t body_len;
    char headers[TR_HTTP_HEADERS_MAX];
    size_t headers_len;
} tr__done;

/* The request being received on a connection; moved into a job. */
typedef struct tr__req {
    tr_http_method method;
    bool is_static;
    char *path, *query, *authorization, *content_type;
    char peer_ip[64];
    char *body; /* body_cap + 1 bytes, grown up to content_length + 1 */
    size_t body_len, body_cap, content_length;
} tr__req;

typedef struct tr__conn {
    uint64_t id;
    struct lws *wsi;
    tr__conn_state state;
    tr__req req;
    tr__done *out;  /* the answer being written */
    size_t out_off; /* body bytes written */
    bool out_hdr_sent;
    bool body_completed; /* lws said the body of this request is in */
    uint64_t rx_mark;    /* bytes received by the socket at request start */
    tr__ws_client *ws;   /* TR__C_WS */
} tr__conn;

typedef struct tr__job {
    struct tr__job *next;
    uint64_t conn_id;
    tr__req req;
    tr__done *done; /* allocated with the job: a worker never allocates it */
} tr__job;

struct tr_http_server {
    tr_http_options opt; /* strings point into owned copies below */
    char *s_listen, *s_cert, *s_key, *s_static, *s_prefix, *s_ws_path;
    char *s_handler_path;
    char *static_real; /* realpath of static_dir */
    char **channels;
    bool tls;

    struct lws_context *ctx;
    struct lws_vhost *vhost;
    struct lws_protocols protocols[2];
    int port;
    unsigned char *wbuf; /* service thread: LWS_PRE + one body chunk */

    pthread_t service;
    bool service_started;
    atomic_bool stopping;
    bool stopped;

    /* wake-ups of the service thread */
    atomic_int wake_pending;
    pthread_mutex_t wake_mu; /* ctx_alive, and calls into lws_cancel_service */
    bool ctx_alive;

    /* workers */
    pthread_mutex_t jobs_mu;
    pthread_cond_t jobs_cv;
    tr__job *jobs_head, *jobs_tail;
    size_t jobs_count;
    bool jobs_stop;
    pthread_t *workers;
    unsigned n_workers;

    /* answers back to the service thread */
    pthread_mutex_t done_mu;
    tr__done *done_head, *done_tail;
    size_t n_deferred;          /* tr_http_defer not answered yet */
    pthread_cond_t deferred_cv; /* n_deferred fell to 0 */

    /* connections: service thread only */
    tr__conn **slots;
    uint32_t *slot_gen;
    size_t n_slots, slot_cap;
    uint32_t *free_slots;
    size_t n_free;

    /* WebSocket */
    pthread_mutex_t ws_mu;
    tr__ws_client *ws_head;
    atomic_uint chan_subs[TR__WS_MAX_CHANNELS]; /* subscribers per channel */

    /* counters */
    atomic_uint_fast64_t n_resp[6];
    atomic_uint_fast64_t n_ws_clients;
    atomic_uint_fast64_t n_ws_sent;
    atomic_uint_fast64_t n_ws_slow;
    atomic_uint_fast64_t n_rejected;
};

/* http.c */
void tr__http_wake(tr_http_server *s);                   /* any thread */
tr__conn *tr__conn_find(tr_http_server *s, uint64_t id); /* service */

/* ws.c: all on the service thread unless said otherwise */
int tr__ws_established(tr_http_server *s, tr__conn *c);
int tr__ws_receive(tr_http_server *s, tr__conn *c, const void *in, size_t len);
int tr__ws_writeable(tr_http_server *s, tr__conn *c);
void tr__ws_closed(tr_http_server *s, tr__conn *c);
void tr__ws_service(tr_http_server *s); /* after a wake-up */

/* http_util.c: any thread */
const char *tr__http_reason(int status);
const char *tr__http_mime(const char *path);
/* Read the file for a static path into resp (body, type) or set a 404.
 * TR_ERR_NOMEM when out of memory (resp untouched). */
int tr__http_static(const char *root_real, const char *path,
                    tr_http_response *resp);
/* Append name and value URL-encoded (RFC 3986 unreserved kept). Returns
 * the new length or TR_ERR_FULL when dst (cap bytes) is too small. */
int tr__url_encode(char *dst, size_t cap, size_t len, const char *src,
                   size_t n);

#endif
