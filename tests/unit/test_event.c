/* test_event.c: journal event payloads round-trip exactly, and every
 * truncated, padded or out-of-range payload is refused. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/event.h"
#include "test.h"

typedef size_t (*enc_fn)(tr_ev_buf *, const void *);
typedef int (*dec_fn)(const uint8_t *, size_t, void *);

/* Encode, decode, compare; then every shorter and one longer payload must
 * be refused. */
static void round_trip(const char *name, const void *in, size_t size,
                       enc_fn enc, dec_fn dec)
{
    uint8_t buf[4096];
    tr_ev_buf b = {buf, 0, sizeof buf, 0};
    size_t len = enc(&b, in);
    CHECK_MSG(len > 0 && !b.overflow, "%s: encoded %zu bytes", name, len);
    void *out = calloc(1, size);
    CHECK_MSG(dec(buf, len, out) == TR_OK, "%s: decodes", name);
    CHECK_MSG(memcmp(in, out, size) == 0, "%s: round trip is exact", name);
    int refused = 1;
    for (size_t cut = 0; cut < len; cut++)
        refused &= dec(buf, cut, out) == TR_ERR_DATA;
    CHECK_MSG(refused, "%s: every truncated payload is refused", name);
    buf[len] = 0;
    CHECK_MSG(dec(buf, len + 1, out) == TR_ERR_DATA, "%s: padding refused", name);
    /* Too small a buffer: overflow flagged, nothing claimed written. */
    tr_ev_buf small = {buf, 0, len - 1, 0};
    CHECK_MSG(enc(&small, in) == 0 && small.overflow, "%s: overflow", name);
    free(out);
}

/* Typed codecs behind the generic signatures (no casts of function
 * pointers: calling through an incompatible type is undefined). */
#define WRAP(kind, T)                                                          \
    static size_t enc_##kind(tr_ev_buf *b, const void *v)                     \
    {                                                                          \
        return tr_ev_encode_##kind(b, (const T *)v);                           \
    }                                                                          \
    static int dec_##kind(const uint8_t *p, size_t n, void *v)                 \
    {                                                                          \
        return tr_ev_decode_##kind(p, n, (T *)v);                              \
    }
WRAP(session, tr_ev_session)
WRAP(bar, tr_ev_bar)
WRAP(signal, tr_ev_signal)
WRAP(order, tr_order)
WRAP(fill, tr_fill)
WRAP(equity, tr_equity_point)
WRAP(alert, tr_risk_alert)
WRAP(control, tr_ev_control)

#define RT(name, val, kind) round_trip(name, &(val), sizeof(val), enc_##kind, dec_##kind)

int main(void)
{
    tr_ev_session s;
    memset(&s, 0, sizeof s);
    strcpy(s.config, "config/paper.yaml");
    strcpy(s.strategy, "sma_cross");
    s.nsyms = 2;
    strcpy(s.symbols[0], "AAPL");
    strcpy(s.symbols[1], "BRK.B");
    RT("session", s, session);

    tr_ev_bar bar;
    memset(&bar, 0, sizeof bar);
    bar.sym = 7;
    bar.step_bars = 3;
    bar.bar = (tr_bar){-86400 * TR_NS_PER_SEC, 1, TR_FX_MAX, 3, 4, 0};
    RT("bar", bar, bar);

    tr_ev_signal sig;
    memset(&sig, 0, sizeof sig);
    sig.sig.sym = 1;
    sig.sig.time = 123;
    sig.sig.action = TR_SIGNAL_SELL;
    sig.sig.target = -1;
    sig.sig.confidence = 0.75;
    sig.sig.qty = 5 * TR_FX_ONE;
    sig.sig.stop = 101 * TR_FX_ONE;
    sig.sig.votes_bull = 1;
    sig.sig.votes_bear = 3;
    strcpy(sig.sig.strategy, "consensus");
    strcpy(sig.sig.reasons, "RSI overbought; MACD below signal");
    sig.reason = TR_RISK_MAX_POSITION;
    strcpy(sig.detail, "position would be 12.00% of equity, limit 10.00%");
    RT("signal", sig, signal);

    tr_order o;
    memset(&o, 0, sizeof o);
    o.id = 42;
    o.parent_id = 41;
    o.oco_id = 43;
    o.sym = 2;
    o.side = TR_SELL;
    o.type = TR_ORD_STOP_LIMIT;
    o.tif = TR_TIF_FOK;
    o.role = TR_ROLE_STOP_LOSS;
    o.status = TR_ORD_PARTIALLY_FILLED;
    o.qty = 100 * TR_FX_ONE;
    o.filled_qty = 40 * TR_FX_ONE;
    o.avg_fill_price = 99123456789;
    o.limit_price = 98 * TR_FX_ONE;
    o.stop_price = 99 * TR_FX_ONE;
    o.commission = 1;
    o.created = -5;
    o.updated = 6;
    o.reject_code = 3;
    strcpy(o.strategy, "api");
    RT("order", o, order);

    tr_fill f;
    memset(&f, 0, sizeof f);
    f.order_id = 9;
    f.sym = 1;
    f.side = TR_BUY;
    f.role = TR_ROLE_TAKE_PROFIT;
    f.qty = 1;
    f.price = TR_FX_MAX;
    f.commission = 0;
    f.time = 77;
    RT("fill", f, fill);

    tr_equity_point eq = {1, -2, 3, 4};
    RT("equity", eq, equity);

    tr_risk_alert a;
    memset(&a, 0, sizeof a);
    a.time = 10;
    a.kind = TR_ALERT_DRAWDOWN;
    strcpy(a.message, "drawdown 20.5% reached the 20% limit");
    RT("alert", a, alert);

    tr_ev_control c;
    memset(&c, 0, sizeof c);
    c.kind = TR_CTL_HALT;
    strcpy(c.who, "cli");
    RT("control", c, control);

    /* Values out of range are refused even at the right length. */
    uint8_t buf[512];
    tr_ev_buf b = {buf, 0, sizeof buf, 0};
    size_t len = tr_ev_encode_order(&b, &o);
    tr_order back;
    buf[8 * 3 + 4] = 7; /* side */
    CHECK(tr_ev_decode_order(buf, len, &back) == TR_ERR_DATA);
    b.len = 0;
    len = tr_ev_encode_control(&b, &c);
    buf[0] = 9; /* kind */
    CHECK(tr_ev_decode_control(buf, len, &c) == TR_ERR_DATA);

    /* JSON lines for `trader journal tail`. */
    b.len = 0;
    len = tr_ev_encode_fill(&b, &f);
    char line[1024];
    CHECK(tr_ev_to_json(5, 0, TR_EV_FILL, buf, len, line, sizeof line) > 0);
    CHECK_STR(line, "{\"seq\":5,\"time\":\"1970-01-01T00:00:00Z\",\"type\":"
                    "\"fill\",\"order_id\":9,\"sym\":1,\"side\":\"buy\",\"qty\":"
                    "\"0.00000001\",\"price\":\"92233720368.54775807\","
                    "\"commission\":\"0\"}");
    CHECK(tr_ev_to_json(5, 0, TR_EV_FILL, buf, len - 1, line, sizeof line) == 0);
    CHECK_STR(tr_event_type_name(TR_EV_VOID), "void");
    CHECK_STR(tr_event_type_name(999), "unknown");
    return test_summary();
}
