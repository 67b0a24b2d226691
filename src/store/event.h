/* event.h: the events of the journal and their binary payloads.
 *
 * Every state change of a running engine is one of these, appended to the
 * journal before it is acted on outside the process. Payloads are explicit
 * little-endian encodings (never raw structs), so a journal written by one
 * build reads back in another; decoding checks every length.
 *
 * Inputs (bars, controls) are what replay feeds the engine again; outputs
 * (signals, orders, fills, equity, alerts) are what it recorded, checked
 * against the replay and projected into the database. */
#ifndef TR_EVENT_H
#define TR_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "data/bar.h"
#include "exec/order.h"
#include "port/stats.h"
#include "risk/risk.h"
#include "strat/signal.h"

typedef enum tr_event_type {
    TR_EV_SESSION = 1,  /* a run started: config name, strategy, symbols */
    TR_EV_BAR = 2,      /* input: one bar of one instrument */
    TR_EV_SIGNAL = 3,   /* a strategy's signal and the risk decision */
    TR_EV_ORDER = 4,    /* an order's new state (every status change) */
    TR_EV_FILL = 5,
    TR_EV_EQUITY = 6,   /* the portfolio after one timestamp */
    TR_EV_ALERT = 7,    /* risk alert (daily loss, drawdown, kill switch) */
    TR_EV_CONTROL = 8,  /* input: halt, resume, strategy enable/disable */
    TR_EV_STOP = 9,     /* a clean shutdown */
    TR_EV_VOID = 10,    /* the preceding incomplete step's bars are void */
    TR_EV_TIMER = 11,   /* input: session close / open (tr_timer_kind) */
    TR_EV_TYPE_MAX = 11
} tr_event_type;

/* "bar", "order", ... or "unknown". */
const char *tr_event_type_name(uint16_t type);

typedef struct tr_ev_session {
    char config[128];   /* the config file */
    char strategy[32];
    uint32_t nsyms;
    char symbols[64][TR_SYM_MAX_LEN + 1]; /* the first 64 symbols */
} tr_ev_session;

typedef struct tr_ev_bar {
    tr_sym sym;
    uint32_t step_bars; /* bars in this step: recovery spots a torn step */
    tr_bar bar;
} tr_ev_bar;

typedef struct tr_ev_signal {
    tr_signal sig;
    uint16_t reason; /* tr_risk_reason */
    char detail[160];
} tr_ev_signal;

/* Controls are the inputs that come from people and programs rather than
 * the market (the API, the CLI): journaled before the engine acts on them
 * and replayed like bars. */
typedef enum tr_control_kind {
    TR_CTL_HALT = 1,     /* the kill switch on */
    TR_CTL_RESUME = 2,   /* the kill switch off, halts cleared */
    TR_CTL_SIGNAL = 3,   /* an external TradingSignal */
    TR_CTL_ORDER = 4,    /* an order placed by hand (through risk) */
    TR_CTL_CANCEL = 5,   /* cancel order id (0: every open order) */
    TR_CTL_CLOSE = 6,    /* close the position of sym */
    TR_CTL_STRATEGY = 7, /* enable / disable / new parameters */
    TR_CTL_KIND_MAX = 7
} tr_control_kind;

typedef struct tr_ev_control {
    uint16_t kind;       /* tr_control_kind */
    char who[32];        /* "api:alice", "cli" */
    char ref[48];        /* the client's signal or order id, or "" */
    tr_sym sym;          /* SIGNAL, ORDER, CLOSE */
    /* SIGNAL: action (+1 buy, -1 sell, 0 hold), confidence, strategy (the
     * signal's strategy_id) and reasons (its metadata). ORDER: side, type,
     * tif. Both: qty (0 = risk sizes it), limit_price (SIGNAL: the
     * price_target, a limit entry), stop_price (ORDER stop and stop-limit),
     * stop_loss and take_profit (bracket legs; 0 = none). */
    int8_t action;
    double confidence;
    int8_t side;         /* tr_side */
    uint8_t type;        /* tr_order_type */
    uint8_t tif;         /* tr_tif */
    tr_fx qty, limit_price, stop_price, stop_loss, take_profit;
    char strategy[24];
    char reasons[160];
    uint64_t id;         /* CANCEL */
    int8_t enabled;      /* STRATEGY: 1 enable, 0 disable, -1 unchanged */
    uint8_t nparams;     /* STRATEGY: new parameters (0: unchanged) */
    double params[16];
} tr_ev_control;

/* "halt", "resume", "signal", "order", "cancel", "close", "strategy", or
 * "unknown". */
const char *tr_control_kind_name(uint16_t kind);

typedef struct tr_ev_timer {
    uint8_t kind; /* tr_timer_kind: 1 session close, 2 session open */
} tr_ev_timer;

/* A byte buffer to encode into (fixed capacity, owned by the caller). */
typedef struct tr_ev_buf {
    uint8_t *p;
    size_t len, cap;
    int overflow;
} tr_ev_buf;

/* Encoders: append the payload to b. Return the payload length, or 0 with
 * b->overflow set when the buffer is too small. */
size_t tr_ev_encode_session(tr_ev_buf *b, const tr_ev_session *s);
size_t tr_ev_encode_bar(tr_ev_buf *b, const tr_ev_bar *e);
size_t tr_ev_encode_signal(tr_ev_buf *b, const tr_ev_signal *e);
size_t tr_ev_encode_order(tr_ev_buf *b, const tr_order *o);
size_t tr_ev_encode_fill(tr_ev_buf *b, const tr_fill *f);
size_t tr_ev_encode_equity(tr_ev_buf *b, const tr_equity_point *p);
size_t tr_ev_encode_alert(tr_ev_buf *b, const tr_risk_alert *a);
size_t tr_ev_encode_control(tr_ev_buf *b, const tr_ev_control *c);
size_t tr_ev_encode_timer(tr_ev_buf *b, const tr_ev_timer *t);

/* Decoders: TR_OK, or TR_ERR_DATA when the payload is too short, too long
 * or holds an impossible value. The output is zeroed first. */
int tr_ev_decode_session(const uint8_t *p, size_t len, tr_ev_session *out);
int tr_ev_decode_bar(const uint8_t *p, size_t len, tr_ev_bar *out);
int tr_ev_decode_signal(const uint8_t *p, size_t len, tr_ev_signal *out);
int tr_ev_decode_order(const uint8_t *p, size_t len, tr_order *out);
int tr_ev_decode_fill(const uint8_t *p, size_t len, tr_fill *out);
int tr_ev_decode_equity(const uint8_t *p, size_t len, tr_equity_point *out);
int tr_ev_decode_alert(const uint8_t *p, size_t len, tr_risk_alert *out);
int tr_ev_decode_control(const uint8_t *p, size_t len, tr_ev_control *out);
int tr_ev_decode_timer(const uint8_t *p, size_t len, tr_ev_timer *out);

/* One record as a JSON object on one line (for `trader journal tail`),
 * written into out[size]; symbols are shown by id. Returns the length, or
 * 0 when the payload does not decode. */
size_t tr_ev_to_json(uint64_t seq, tr_time time, uint16_t type,
                     const uint8_t *p, size_t len, char *out, size_t size);

#endif
