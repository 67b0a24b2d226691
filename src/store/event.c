/* event.c: payload encoding and decoding of journal events (see event.h). */
#include "store/event.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* ---- writer ---------------------------------------------------------------- */

static void put(tr_ev_buf *b, const void *src, size_t n)
{
    if (b->overflow || b->len + n > b->cap) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void u8(tr_ev_buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void u16(tr_ev_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, x, 2);
}

static void u32(tr_ev_buf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    put(b, x, 4);
}

static void u64(tr_ev_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    put(b, x, 8);
}

static void i64(tr_ev_buf *b, int64_t v)
{
    u64(b, (uint64_t)v);
}

static void f64(tr_ev_buf *b, double v)
{
    uint64_t x;
    memcpy(&x, &v, 8);
    u64(b, x);
}

static void str(tr_ev_buf *b, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    u16(b, (uint16_t)n);
    put(b, s, n);
}

static size_t done(tr_ev_buf *b, size_t start)
{
    return b->overflow ? 0 : b->len - start;
}

size_t tr_ev_encode_session(tr_ev_buf *b, const tr_ev_session *s)
{
    size_t start = b->len;
    str(b, s->config, sizeof s->config);
    str(b, s->strategy, sizeof s->strategy);
    u32(b, s->nsyms);
    uint32_t shown = s->nsyms < 64 ? s->nsyms : 64;
    for (uint32_t i = 0; i < shown; i++)
        str(b, s->symbols[i], sizeof s->symbols[i]);
    return done(b, start);
}

size_t tr_ev_encode_bar(tr_ev_buf *b, const tr_ev_bar *e)
{
    size_t start = b->len;
    u32(b, e->sym);
    u32(b, e->step_bars);
    i64(b, e->bar.time);
    i64(b, e->bar.open);
    i64(b, e->bar.high);
    i64(b, e->bar.low);
    i64(b, e->bar.close);
    i64(b, e->bar.volume);
    return done(b, start);
}

size_t tr_ev_encode_signal(tr_ev_buf *b, const tr_ev_signal *e)
{
    size_t start = b->len;
    const tr_signal *s = &e->sig;
    u32(b, s->sym);
    i64(b, s->time);
    u8(b, (uint8_t)(int8_t)s->action);
    u8(b, (uint8_t)(int8_t)s->target);
    f64(b, s->confidence);
    i64(b, s->qty);
    i64(b, s->stop);
    i64(b, s->take_profit);
    u16(b, (uint16_t)s->votes_bull);
    u16(b, (uint16_t)s->votes_bear);
    str(b, s->strategy, sizeof s->strategy);
    str(b, s->reasons, sizeof s->reasons);
    u16(b, e->reason);
    str(b, e->detail, sizeof e->detail);
    return done(b, start);
}

size_t tr_ev_encode_order(tr_ev_buf *b, const tr_order *o)
{
    size_t start = b->len;
    u64(b, o->id);
    u64(b, o->parent_id);
    u64(b, o->oco_id);
    u32(b, o->sym);
    u8(b, (uint8_t)(int8_t)o->side);
    u8(b, (uint8_t)o->type);
    u8(b, (uint8_t)o->tif);
    u8(b, (uint8_t)o->role);
    u8(b, (uint8_t)o->status);
    i64(b, o->qty);
    i64(b, o->filled_qty);
    i64(b, o->avg_fill_price);
    i64(b, o->limit_price);
    i64(b, o->stop_price);
    i64(b, o->trail_amount);
    i64(b, o->trail_percent);
    i64(b, o->commission);
    i64(b, o->created);
    i64(b, o->updated);
    u32(b, o->reject_code);
    str(b, o->strategy, sizeof o->strategy);
    return done(b, start);
}

size_t tr_ev_encode_fill(tr_ev_buf *b, const tr_fill *f)
{
    size_t start = b->len;
    u64(b, f->order_id);
    u32(b, f->sym);
    u8(b, (uint8_t)(int8_t)f->side);
    u8(b, (uint8_t)f->role);
    i64(b, f->qty);
    i64(b, f->price);
    i64(b, f->commission);
    i64(b, f->time);
    return done(b, start);
}

size_t tr_ev_encode_equity(tr_ev_buf *b, const tr_equity_point *p)
{
    size_t start = b->len;
    i64(b, p->time);
    i64(b, p->equity);
    i64(b, p->cash);
    i64(b, p->exposure);
    return done(b, start);
}

size_t tr_ev_encode_alert(tr_ev_buf *b, const tr_risk_alert *a)
{
    size_t start = b->len;
    i64(b, a->time);
    u8(b, (uint8_t)a->kind);
    str(b, a->message, sizeof a->message);
    return done(b, start);
}

size_t tr_ev_encode_control(tr_ev_buf *b, const tr_ev_control *c)
{
    size_t start = b->len;
    u16(b, c->kind);
    str(b, c->who, sizeof c->who);
    if (c->kind == TR_CTL_HALT || c->kind == TR_CTL_RESUME)
        return done(b, start); /* the original, short form */
    str(b, c->ref, sizeof c->ref);
    u32(b, c->sym);
    u8(b, (uint8_t)c->action);
    f64(b, c->confidence);
    u8(b, (uint8_t)c->side);
    u8(b, c->type);
    u8(b, c->tif);
    i64(b, c->qty);
    i64(b, c->limit_price);
    i64(b, c->stop_price);
    i64(b, c->stop_loss);
    i64(b, c->take_profit);
    str(b, c->strategy, sizeof c->strategy);
    str(b, c->reasons, sizeof c->reasons);
    u64(b, c->id);
    u8(b, (uint8_t)c->enabled);
    u8(b, c->nparams);
    for (unsigned i = 0; i < c->nparams && i < 16; i++)
        f64(b, c->params[i]);
    return done(b, start);
}

size_t tr_ev_encode_timer(tr_ev_buf *b, const tr_ev_timer *t)
{
    size_t start = b->len;
    u8(b, t->kind);
    return done(b, start);
}

/* ---- reader ---------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t len, pos;
    int bad;
} rd;

static const uint8_t *take(rd *r, size_t n)
{
    if (r->bad || r->pos + n > r->len) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += n;
    return q;
}

static uint8_t g8(rd *r)
{
    const uint8_t *q = take(r, 1);
    return q ? q[0] : 0;
}

static uint16_t g16(rd *r)
{
    const uint8_t *q = take(r, 2);
    return q ? (uint16_t)(q[0] | q[1] << 8) : 0;
}

static uint32_t g32(rd *r)
{
    const uint8_t *q = take(r, 4);
    uint32_t v = 0;
    for (int i = 3; q && i >= 0; i--)
        v = (v << 8) | q[i];
    return v;
}

static uint64_t g64(rd *r)
{
    const uint8_t *q = take(r, 8);
    uint64_t v = 0;
    for (int i = 7; q && i >= 0; i--)
        v = (v << 8) | q[i];
    return v;
}

static int64_t gi64(rd *r)
{
    return (int64_t)g64(r);
}

static double gf64(rd *r)
{
    uint64_t x = g64(r);
    double v;
    memcpy(&v, &x, 8);
    return v;
}

/* A string into dst[size]; longer than the field is an error. */
static void gstr(rd *r, char *dst, size_t size)
{
    uint16_t n = g16(r);
    const uint8_t *q = take(r, n);
    if (!q || n >= size) {
        r->bad = 1;
        dst[0] = '\0';
        return;
    }
    memcpy(dst, q, n);
    dst[n] = '\0';
}

static int finish(const rd *r)
{
    return r->bad || r->pos != r->len ? TR_ERR_DATA : TR_OK;
}

int tr_ev_decode_session(const uint8_t *p, size_t len, tr_ev_session *s)
{
    rd r = {p, len, 0, 0};
    memset(s, 0, sizeof *s);
    gstr(&r, s->config, sizeof s->config);
    gstr(&r, s->strategy, sizeof s->strategy);
    s->nsyms = g32(&r);
    uint32_t shown = s->nsyms < 64 ? s->nsyms : 64;
    for (uint32_t i = 0; i < shown && !r.bad; i++)
        gstr(&r, s->symbols[i], sizeof s->symbols[i]);
    return finish(&r);
}

int tr_ev_decode_bar(const uint8_t *p, size_t len, tr_ev_bar *e)
{
    rd r = {p, len, 0, 0};
    memset(e, 0, sizeof *e);
    e->sym = g32(&r);
    e->step_bars = g32(&r);
    e->bar.time = gi64(&r);
    e->bar.open = gi64(&r);
    e->bar.high = gi64(&r);
    e->bar.low = gi64(&r);
    e->bar.close = gi64(&r);
    e->bar.volume = gi64(&r);
    return finish(&r);
}

static int sign_ok(int v)
{
    return v >= -1 && v <= 1;
}

int tr_ev_decode_signal(const uint8_t *p, size_t len, tr_ev_signal *e)
{
    rd r = {p, len, 0, 0};
    memset(e, 0, sizeof *e);
    tr_signal *s = &e->sig;
    s->sym = g32(&r);
    s->time = gi64(&r);
    s->action = (tr_action)(int8_t)g8(&r);
    s->target = (int8_t)g8(&r);
    s->confidence = gf64(&r);
    s->qty = gi64(&r);
    s->stop = gi64(&r);
    s->take_profit = gi64(&r);
    s->votes_bull = g16(&r);
    s->votes_bear = g16(&r);
    gstr(&r, s->strategy, sizeof s->strategy);
    gstr(&r, s->reasons, sizeof s->reasons);
    e->reason = g16(&r);
    gstr(&r, e->detail, sizeof e->detail);
    if (!sign_ok(s->action) || !sign_ok(s->target) ||
        e->reason >= TR_RISK_REASON_COUNT)
        return TR_ERR_DATA;
    return finish(&r);
}

int tr_ev_decode_order(const uint8_t *p, size_t len, tr_order *o)
{
    rd r = {p, len, 0, 0};
    memset(o, 0, sizeof *o);
    o->id = g64(&r);
    o->parent_id = g64(&r);
    o->oco_id = g64(&r);
    o->sym = g32(&r);
    int side = (int8_t)g8(&r);
    uint8_t type = g8(&r), tif = g8(&r), role = g8(&r), status = g8(&r);
    o->qty = gi64(&r);
    o->filled_qty = gi64(&r);
    o->avg_fill_price = gi64(&r);
    o->limit_price = gi64(&r);
    o->stop_price = gi64(&r);
    o->trail_amount = gi64(&r);
    o->trail_percent = gi64(&r);
    o->commission = gi64(&r);
    o->created = gi64(&r);
    o->updated = gi64(&r);
    o->reject_code = g32(&r);
    gstr(&r, o->strategy, sizeof o->strategy);
    if ((side != TR_BUY && side != TR_SELL) || type > TR_ORD_TRAILING_STOP ||
        tif > TR_TIF_FOK || role > TR_ROLE_TAKE_PROFIT ||
        status > TR_ORD_REPLACED)
        return TR_ERR_DATA;
    o->side = (tr_side)side;
    o->type = (tr_order_type)type;
    o->tif = (tr_tif)tif;
    o->role = (tr_order_role)role;
    o->status = (tr_order_status)status;
    return finish(&r);
}

int tr_ev_decode_fill(const uint8_t *p, size_t len, tr_fill *f)
{
    rd r = {p, len, 0, 0};
    memset(f, 0, sizeof *f);
    f->order_id = g64(&r);
    f->sym = g32(&r);
    int side = (int8_t)g8(&r);
    uint8_t role = g8(&r);
    f->qty = gi64(&r);
    f->price = gi64(&r);
    f->commission = gi64(&r);
    f->time = gi64(&r);
    if ((side != TR_BUY && side != TR_SELL) || role > TR_ROLE_TAKE_PROFIT)
        return TR_ERR_DATA;
    f->side = (tr_side)side;
    f->role = (tr_order_role)role;
    return finish(&r);
}

int tr_ev_decode_equity(const uint8_t *p, size_t len, tr_equity_point *e)
{
    rd r = {p, len, 0, 0};
    memset(e, 0, sizeof *e);
    e->time = gi64(&r);
    e->equity = gi64(&r);
    e->cash = gi64(&r);
    e->exposure = gi64(&r);
    return finish(&r);
}

int tr_ev_decode_alert(const uint8_t *p, size_t len, tr_risk_alert *a)
{
    rd r = {p, len, 0, 0};
    memset(a, 0, sizeof *a);
    a->time = gi64(&r);
    uint8_t kind = g8(&r);
    gstr(&r, a->message, sizeof a->message);
    if (kind > TR_ALERT_RESUMED)
        return TR_ERR_DATA;
    a->kind = (tr_risk_alert_kind)kind;
    return finish(&r);
}

int tr_ev_decode_control(const uint8_t *p, size_t len, tr_ev_control *c)
{
    rd r = {p, len, 0, 0};
    memset(c, 0, sizeof *c);
    c->kind = g16(&r);
    gstr(&r, c->who, sizeof c->who);
    if (c->kind < TR_CTL_HALT || c->kind > TR_CTL_KIND_MAX)
        return TR_ERR_DATA;
    if (c->kind == TR_CTL_HALT || c->kind == TR_CTL_RESUME)
        return finish(&r);
    gstr(&r, c->ref, sizeof c->ref);
    c->sym = g32(&r);
    c->action = (int8_t)g8(&r);
    c->confidence = gf64(&r);
    c->side = (int8_t)g8(&r);
    c->type = g8(&r);
    c->tif = g8(&r);
    c->qty = gi64(&r);
    c->limit_price = gi64(&r);
    c->stop_price = gi64(&r);
    c->stop_loss = gi64(&r);
    c->take_profit = gi64(&r);
    gstr(&r, c->strategy, sizeof c->strategy);
    gstr(&r, c->reasons, sizeof c->reasons);
    c->id = g64(&r);
    c->enabled = (int8_t)g8(&r);
    c->nparams = g8(&r);
    if (c->nparams > 16)
        return TR_ERR_DATA;
    for (unsigned i = 0; i < c->nparams; i++)
        c->params[i] = gf64(&r);
    if (!sign_ok(c->action) || !sign_ok(c->side) ||
        c->type > TR_ORD_TRAILING_STOP || c->tif > TR_TIF_FOK ||
        c->enabled < -1 || c->enabled > 1)
        return TR_ERR_DATA;
    return finish(&r);
}

const char *tr_control_kind_name(uint16_t kind)
{
    static const char *names[] = {"unknown", "halt",   "resume",
                                  "signal",  "order",  "cancel",
                                  "close",   "strategy"};
    return kind <= TR_CTL_KIND_MAX ? names[kind] : "unknown";
}

int tr_ev_decode_timer(const uint8_t *p, size_t len, tr_ev_timer *t)
{
    rd r = {p, len, 0, 0};
    memset(t, 0, sizeof *t);
    t->kind = g8(&r);
    if (t->kind != 1 && t->kind != 2)
        return TR_ERR_DATA;
    return finish(&r);
}

const char *tr_event_type_name(uint16_t type)
{
    static const char *names[] = {"?",      "session", "bar",   "signal",
                                  "order",  "fill",    "equity", "alert",
                                  "control", "stop",   "void",   "timer"};
    return type >= 1 && type <= TR_EV_TYPE_MAX ? names[type] : "unknown";
}

/* ---- JSON lines ------------------------------------------------------------ */

typedef struct jw {
    char *p;
    size_t len, cap;
} jw;

static void jf(jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jf(jw *w, const char *fmt, ...)
{
    if (w->len >= w->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        w->len += (size_t)n < w->cap - w->len ? (size_t)n : w->cap - w->len;
}

static void jstr(jw *w, const char *key, const char *s)
{
    jf(w, ",\"%s\":\"", key);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            jf(w, "\\%c", c);
        else if (c < 0x20)
            jf(w, "\\u%04x", c);
        else
            jf(w, "%c", c);
    }
    jf(w, "\"");
}

static void jfx(jw *w, const char *key, tr_fx v)
{
    char b[TR_FX_STRLEN];
    tr_fx_format(v, b, sizeof b);
    jf(w, ",\"%s\":\"%s\"", key, b);
}

static void jtime(jw *w, const char *key, tr_time t)
{
    char b[TR_TIME_STRLEN];
    tr_time_format(t, b, sizeof b);
    jf(w, ",\"%s\":\"%s\"", key, b);
}

size_t tr_ev_to_json(uint64_t seq, tr_time time, uint16_t type,
                     const uint8_t *p, size_t len, char *out, size_t size)
{
    jw w = {out, 0, size ? size - 1 : 0};
    if (!size)
        return 0;
    jf(&w, "{\"seq\":%" PRIu64, seq);
    jtime(&w, "time", time);
    jf(&w, ",\"type\":\"%s\"", tr_event_type_name(type));
    int rc = TR_OK;
    switch (type) {
    case TR_EV_SESSION: {
        tr_ev_session s;
        if ((rc = tr_ev_decode_session(p, len, &s)) == TR_OK) {
            jstr(&w, "config", s.config);
            jstr(&w, "strategy", s.strategy);
            jf(&w, ",\"symbols\":%" PRIu32, s.nsyms);
        }
        break;
    }
    case TR_EV_BAR: {
        tr_ev_bar e;
        if ((rc = tr_ev_decode_bar(p, len, &e)) == TR_OK) {
            jf(&w, ",\"sym\":%" PRIu32 ",\"step_bars\":%" PRIu32, e.sym,
               e.step_bars);
            jtime(&w, "bar_time", e.bar.time);
            jfx(&w, "open", e.bar.open);
            jfx(&w, "high", e.bar.high);
            jfx(&w, "low", e.bar.low);
            jfx(&w, "close", e.bar.close);
            jfx(&w, "volume", e.bar.volume);
        }
        break;
    }
    case TR_EV_SIGNAL: {
        tr_ev_signal e;
        if ((rc = tr_ev_decode_signal(p, len, &e)) == TR_OK) {
            jf(&w, ",\"sym\":%" PRIu32, e.sig.sym);
            jf(&w, ",\"action\":\"%s\",\"target\":%d,\"confidence\":%.4f",
               tr_action_name(e.sig.action), e.sig.target, e.sig.confidence);
            jstr(&w, "strategy", e.sig.strategy);
            jf(&w, ",\"risk\":\"%s\"",
               tr_risk_reason_name((tr_risk_reason)e.reason));
            if (e.detail[0])
                jstr(&w, "detail", e.detail);
            if (e.sig.reasons[0])
                jstr(&w, "reasons", e.sig.reasons);
        }
        break;
    }
    case TR_EV_ORDER: {
        tr_order o;
        if ((rc = tr_ev_decode_order(p, len, &o)) == TR_OK) {
            jf(&w, ",\"id\":%" PRIu64 ",\"sym\":%" PRIu32, o.id, o.sym);
            jf(&w, ",\"side\":\"%s\",\"order_type\":\"%s\",\"role\":\"%s\","
               "\"status\":\"%s\"", tr_side_name(o.side),
               tr_order_type_name(o.type), tr_order_role_name(o.role),
               tr_order_status_name(o.status));
            jfx(&w, "qty", o.qty);
            jfx(&w, "filled_qty", o.filled_qty);
            if (o.limit_price)
                jfx(&w, "limit_price", o.limit_price);
            if (o.stop_price)
                jfx(&w, "stop_price", o.stop_price);
        }
        break;
    }
    case TR_EV_FILL: {
        tr_fill f;
        if ((rc = tr_ev_decode_fill(p, len, &f)) == TR_OK) {
            jf(&w, ",\"order_id\":%" PRIu64 ",\"sym\":%" PRIu32
               ",\"side\":\"%s\"", f.order_id, f.sym, tr_side_name(f.side));
            jfx(&w, "qty", f.qty);
            jfx(&w, "price", f.price);
            jfx(&w, "commission", f.commission);
        }
        break;
    }
    case TR_EV_EQUITY: {
        tr_equity_point e;
        if ((rc = tr_ev_decode_equity(p, len, &e)) == TR_OK) {
            jfx(&w, "equity", e.equity);
            jfx(&w, "cash", e.cash);
            jfx(&w, "exposure", e.exposure);
        }
        break;
    }
    case TR_EV_ALERT: {
        tr_risk_alert a;
        if ((rc = tr_ev_decode_alert(p, len, &a)) == TR_OK)
            jstr(&w, "message", a.message);
        break;
    }
    case TR_EV_CONTROL: {
        tr_ev_control c;
        if ((rc = tr_ev_decode_control(p, len, &c)) == TR_OK) {
            jf(&w, ",\"control\":\"%s\"", tr_control_kind_name(c.kind));
            jstr(&w, "who", c.who);
            if (c.ref[0])
                jstr(&w, "ref", c.ref);
        }
        break;
    }
    case TR_EV_TIMER: {
        tr_ev_timer t;
        if ((rc = tr_ev_decode_timer(p, len, &t)) == TR_OK)
            jf(&w, ",\"timer\":\"%s\"",
               t.kind == 1 ? "session_close" : "session_open");
        break;
    }
    default:
        jf(&w, ",\"bytes\":%zu", len);
    }
    if (rc != TR_OK)
        return 0;
    jf(&w, "}");
    if (w.len >= w.cap)
        return 0;
    out[w.len] = '\0';
    return w.len;
}
