/* ws.c: WebSocket channels of the HTTP server: subscriptions, publishing
 * from any thread, and the bounded per-client queues.
 *
 * A publisher copies its message once (tr__msg, reference-counted), then
 * under ws_mu appends a reference to the queue of every subscribed client
 * and wakes the service thread once per batch. The service thread writes
 * the queue when the client's socket is writable, a few messages per
 * callback while the socket takes them. A queue that is full when a
 * message arrives marks its client to be closed with 1008; the publisher
 * and the other clients never wait for it. If the client does not read at
 * all the close frame cannot go out either: a 10 s lws timeout then drops
 * the connection. Replies to a client's own subscription messages go
 * through its queue too, so they stay in order with the channel messages
 * published after them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/http_int.h"
#include "core/err.h"

#define TR__WS_WRITES_PER_CALLBACK 64
#define TR__WS_SLOW_CLOSE_SECS     10

tr__msg *tr__msg_new(const char *data, size_t len)
{
    tr__msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m) return NULL;
    atomic_init(&m->refs, 1);
    m->len = len;
    if (len) memcpy(m->buf + LWS_PRE, data, len);
    return m;
}

void tr__msg_unref(tr__msg *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1) free(m);
}

/* Under ws_mu. Queue m on w; true when the service thread must be woken. */
static bool queue_push(tr_http_server *s, tr__ws_client *w, tr__msg *m)
{
    if (w->overflow) return false;
    size_t cap = s->opt.ws_queue_max;
    if (w->count == cap) {
        w->overflow = true;
        w->behind = w->count;
        w->dirty = true;
        atomic_fetch_add(&s->n_ws_slow, 1);
        return true;
    }
    atomic_fetch_add(&m->refs, 1);
    w->ring[(w->head + w->count) % cap] = m;
    w->count++;
    if (w->dirty) return false;
    w->dirty = true;
    return true;
}

/* Under ws_mu. */
static void queue_drop(tr_http_server *s, tr__ws_client *w)
{
    size_t cap = s->opt.ws_queue_max;
    while (w->count) {
        tr__msg_unref(w->ring[w->head]);
        w->head = (w->head + 1) % cap;
        w->count--;
    }
}

int tr_http_publish(tr_http_server *s, size_t channel, const char *json,
                    size_t len)
{
    if (!s || channel >= s->opt.n_channels || (!json && len))
        return TR_ERR_INVALID;
    if (atomic_load(&s->chan_subs[channel]) == 0)
        return TR_OK; /* nobody listens: no copy */
    tr__msg *m = tr__msg_new(json, len);
    if (!m) return TR_ERR_NOMEM;
    uint64_t bit = (uint64_t)1 << channel;
    bool wake = false;
    pthread_mutex_lock(&s->ws_mu);
    for (tr__ws_client *w = s->ws_head; w; w = w->next)
        if (w->subs & bit) wake |= queue_push(s, w, m);
    pthread_mutex_unlock(&s->ws_mu);
    tr__msg_unref(m);
    if (wake) tr__http_wake(s);
    return TR_OK;
}

int tr__ws_established(tr_http_server *s, tr__conn *c)
{
    tr__ws_client *w = calloc(1, sizeof *w);
    if (!w) return -1;
    w->ring = calloc(s->opt.ws_queue_max, sizeof *w->ring);
    if (!w->ring) {
        free(w);
        return -1;
    }
    w->conn_id = c->id;
    w->wsi = c->wsi;
    pthread_mutex_lock(&s->ws_mu);
    w->next = s->ws_head;
    if (s->ws_head) s->ws_head->prev = w;
    s->ws_head = w;
    pthread_mutex_unlock(&s->ws_mu);
    c->ws = w;
    atomic_fetch_add(&s->n_ws_clients, 1);
    return 0;
}

void tr__ws_closed(tr_http_server *s, tr__conn *c)
{
    tr__ws_client *w = c->ws;
    if (!w) return;
    c->ws = NULL;
    pthread_mutex_lock(&s->ws_mu);
    if (w->prev)
        w->prev->next = w->next;
    else
        s->ws_head = w->next;
    if (w->next) w->next->prev = w->prev;
    for (size_t i = 0; i < s->opt.n_channels; i++)
        if (w->subs & ((uint64_t)1 << i)) atomic_fetch_sub(&s->chan_subs[i], 1);
    queue_drop(s, w);
    pthread_mutex_unlock(&s->ws_mu);
    free(w->ring);
    free(w);
    atomic_fetch_sub(&s->n_ws_clients, 1);
    if (s->opt.ws_close) s->opt.ws_close(s->opt.user, c->id);
}

void tr__ws_service(tr_http_server *s)
{
    pthread_mutex_lock(&s->ws_mu);
    for (tr__ws_client *w = s->ws_head; w; w = w->next) {
        if (!w->dirty) continue;
        w->dirty = false;
        if (w->overflow && !w->closing) {
            /* Frees its queue now; the close frame waits for the socket. */
            w->closing = true;
            queue_drop(s, w);
            lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK,
                            TR__WS_SLOW_CLOSE_SECS);
        }
        lws_callback_on_writable(w->wsi);
    }
    pthread_mutex_unlock(&s->ws_mu);
}

/* Queue a reply to w's own message (service thread). */
static void reply(tr_http_server *s, tr__ws_client *w, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!text) return;
    tr__msg *m = tr__msg_new(text, strlen(text));
    free(text);
    if (!m) return;
    pthread_mutex_lock(&s->ws_mu);
    queue_push(s, w, m);
    pthread_mutex_unlock(&s->ws_mu);
    tr__msg_unref(m);
    lws_callback_on_writable(w->wsi);
}

static void reply_error(tr_http_server *s, tr__ws_client *w, const char *code,
                        const char *message, const char *field)
{
    json_t *j = json_pack("{s:s, s:{s:s, s:s, s:o}}", "type", "error", "error",
                          "code", code, "message", message, "field",
                          field ? json_string(field) : json_null());
    if (j) reply(s, w, j);
}

/* Channels named in the array v of key into *mask; 0 or -1 (answered). */
static int channel_mask(tr_http_server *s, tr__ws_client *w, json_t *v,
                        const char *key, uint64_t *mask)
{
    *mask = 0;
    if (!v) return 0;
    if (!json_is_array(v)) {
        reply_error(s, w, "bad_request", "expected an array of channel names",
                    key);
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        const char *name = json_string_value(e);
        int ch = name ? tr_http_channel_index(s, name) : -1;
        if (ch < 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown channel '%.100s'",
                     name ? name : "(not a string)");
            reply_error(s, w, "unknown_channel", msg, key);
            return -1;
        }
        *mask |= (uint64_t)1 << ch;
    }
    return 0;
}

static void on_message(tr_http_server *s, tr__ws_client *w, const char *text,
                       size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        reply_error(s, w, "bad_json", "expected a JSON object", NULL);
        return;
    }
    json_t *sub = json_object_get(root, "subscribe");
    json_t *unsub = json_object_get(root, "unsubscribe");
    uint64_t add, del;
    if (!sub && !unsub) {
        reply_error(s, w, "bad_request",
                    "expected {\"subscribe\":[...]} or {\"unsubscribe\":[...]}",
                    NULL);
    } else if (!channel_mask(s, w, sub, "subscribe", &add) &&
               !channel_mask(s, w, unsub, "unsubscribe", &del)) {
        pthread_mutex_lock(&s->ws_mu);
        uint64_t now = (w->subs | add) & ~del;
        for (size_t i = 0; i < s->opt.n_channels; i++) {
            uint64_t bit = (uint64_t)1 << i;
            if ((now & bit) && !(w->subs & bit))
                atomic_fetch_add(&s->chan_subs[i], 1);
            else if (!(now & bit) && (w->subs & bit))
                atomic_fetch_sub(&s->chan_subs[i], 1);
        }
        w->subs = now;
        pthread_mutex_unlock(&s->ws_mu);
        /* Queued after the change: every message published from now on
         * comes after this reply. */
        json_t *list = json_array();
        for (size_t i = 0; list && i < s->opt.n_channels; i++)
            if (now & ((uint64_t)1 << i))
                json_array_append_new(list, json_string(s->channels[i]));
        json_t *j = list ? json_pack("{s:s, s:o}", "type", "subscribed",
                                     "channels", list)
                         : NULL;
        if (j) reply(s, w, j);
    }
    json_decref(root);
}

int tr__ws_receive(tr_http_server *s, tr__conn *c, const void *in, size_t len)
{
    tr__ws_client *w = c->ws;
    if (!w) return -1;
    if (w->rx_len + len > sizeof w->rx)
        w->rx_too_big = true;
    else {
        memcpy(w->rx + w->rx_len, in, len);
        w->rx_len += len;
    }
    if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi))
        return 0; /* more of this message to come */
    if (w->rx_too_big) {
        unsigned char why[] = "message too big";
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, why,
                         sizeof why - 1);
        return -1;
    }
    if (lws_frame_is_binary(c->wsi))
        reply_error(s, w, "bad_json", "expected a text message", NULL);
    else
        on_message(s, w, w->rx, w->rx_len);
    w->rx_len = 0;
    return 0;
}

int tr__ws_writeable(tr_http_server *s, tr__conn *c)
{
    tr__ws_client *w = c->ws;
    if (!w) return 0;
    size_t cap = s->opt.ws_queue_max;
    for (int i = 0; i < TR__WS_WRITES_PER_CALLBACK; i++) {
        pthread_mutex_lock(&s->ws_mu);
        if (w->overflow) {
            size_t behind = w->behind;
            queue_drop(s, w);
            pthread_mutex_unlock(&s->ws_mu);
            char why[100];
            int n = snprintf(why, sizeof why, "too slow: %zu messages behind",
                             behind);
            lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                             (unsigned char *)why, (size_t)n);
            return -1;
        }
        if (!w->count) {
            w->dirty = false; /* a publisher must wake us again */
            pthread_mutex_unlock(&s->ws_mu);
            return 0;
        }
        tr__msg *m = w->ring[w->head];
        w->head = (w->head + 1) % cap;
        w->count--;
        bool more = w->count > 0;
        if (!more) w->dirty = false;
        pthread_mutex_unlock(&s->ws_mu);

        size_t len = m->len;
        int n = lws_write(c->wsi, m->buf + LWS_PRE, len, LWS_WRITE_TEXT);
        tr__msg_unref(m);
        if (n < (int)len) return -1;
        atomic_fetch_add(&s->n_ws_sent, 1);
        if (!more) return 0;
        if (lws_send_pipe_choked(c->wsi)) break;
    }
    lws_callback_on_writable(c->wsi);
    return 0;
}
