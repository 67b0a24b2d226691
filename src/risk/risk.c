/* risk.c: sizing, brackets, pre-trade checks and halts (see risk.h).
 *
 * Entry prices are estimated at the signal bar's close: the order fills at
 * the next open, which nobody knows yet. Stops and targets are absolute
 * prices from that estimate (what a real broker's bracket order needs),
 * rounded to the tick. */
#include "risk/risk.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "ind/volatility.h"

typedef struct sym_state {
    tr_ind_atr atr;
    double atr_value;   /* NAN until ready */
    tr_fx last;         /* last close */
    double *rets;       /* ring of close-to-close returns */
    size_t rhead, rcount;
    tr_fx stop;         /* stop of the open position, 0 = none */
} sym_state;

struct tr_risk {
    tr_risk_cfg cfg;
    size_t nsyms;
    sym_state *s;
    tr_risk_alert_fn alert;
    void *alert_ctx;
    int kill;               /* kill switch on */
    int dd_halt;            /* drawdown halt on */
    int64_t halt_day;       /* daily loss halt for this UTC day, or -1 */
    int64_t day;            /* UTC day of the last equity update */
    tr_fx day_start_equity; /* equity at the end of the previous day */
    tr_fx last_equity, peak_equity;
    int have_equity;
    int uses_atr;           /* sizing or brackets need ATR */
    int uses_returns;       /* the correlation limit needs returns */
};

void tr_risk_cfg_default(tr_risk_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->sizing = TR_SIZE_FIXED;
    c->qty = 100 * TR_FX_ONE;
    c->atr_period = 14;
    c->qty_step = TR_FX_ONE;
    c->tick_size = TR_FX_SCALE / 100;
    c->enabled = 1;
    c->max_position_pct = 10;
    c->max_open_positions = 10;
    c->max_portfolio_risk_pct = 5;
    c->max_correlation = 0.7;
    c->correlation_lookback = 60;
    c->daily_loss_pct = 3;
    c->leverage = 1;
}

const char *tr_risk_reason_name(tr_risk_reason r)
{
    static const char *names[TR_RISK_REASON_COUNT] = {
        "ok",           "nothing_to_do",      "kill_switch",
        "daily_loss",   "drawdown",           "max_position",
        "max_open_positions", "buying_power", "portfolio_risk",
        "correlation",  "order_notional",     "zero_size",
        "no_stop",      "not_ready",
    };
    return (unsigned)r < TR_RISK_REASON_COUNT ? names[r] : "unknown";
}

tr_risk *tr_risk_new(const tr_risk_cfg *cfg, size_t nsyms,
                     tr_risk_alert_fn alert, void *alert_ctx)
{
    tr_risk *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    if (r->cfg.atr_period < 1)
        r->cfg.atr_period = 14;
    if (r->cfg.qty_step <= 0)
        r->cfg.qty_step = TR_FX_ONE;
    if (r->cfg.tick_size <= 0)
        r->cfg.tick_size = TR_FX_SCALE / 100;
    if (r->cfg.correlation_lookback < 2)
        r->cfg.correlation_lookback = 60;
    r->uses_atr = r->cfg.sizing == TR_SIZE_ATR || r->cfg.stop_kind == TR_EXIT_ATR ||
                  r->cfg.tp_kind == TR_EXIT_ATR;
    r->uses_returns = r->cfg.enabled && r->cfg.max_correlation > 0;
    r->nsyms = nsyms;
    r->alert = alert;
    r->alert_ctx = alert_ctx;
    r->halt_day = -1;
    r->kill = cfg->kill_switch;
    r->s = calloc(nsyms ? nsyms : 1, sizeof *r->s);
    if (!r->s) {
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < nsyms; i++) {
        sym_state *s = &r->s[i];
        s->atr_value = NAN;
        s->rets = malloc((size_t)r->cfg.correlation_lookback * sizeof *s->rets);
        if (!s->rets || tr_ind_atr_init(&s->atr, (size_t)r->cfg.atr_period)) {
            r->nsyms = i + 1;
            tr_risk_free(r);
            return NULL;
        }
    }
    return r;
}

void tr_risk_free(tr_risk *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsyms; i++) {
        tr_ind_atr_free(&r->s[i].atr);
        free(r->s[i].rets);
    }
    free(r->s);
    free(r);
}

void tr_risk_on_bar(tr_risk *r, tr_sym sym, const tr_bar *bar)
{
    if (sym >= r->nsyms)
        return;
    sym_state *s = &r->s[sym];
    double c = r->uses_atr || r->uses_returns ? tr_fx_to_double(bar->close) : 0;
    if (r->uses_atr)
        s->atr_value = tr_ind_atr_update(&s->atr, tr_fx_to_double(bar->high),
                                         tr_fx_to_double(bar->low), c);
    if (r->uses_returns && s->last > 0) {
        size_t n = (size_t)r->cfg.correlation_lookback;
        s->rets[s->rhead] = c / tr_fx_to_double(s->last) - 1.0;
        s->rhead = (s->rhead + 1) % n;
        if (s->rcount < n)
            s->rcount++;
    }
    s->last = bar->close;
}

static void raise_alert(tr_risk *r, tr_time t, tr_risk_alert_kind kind,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void raise_alert(tr_risk *r, tr_time t, tr_risk_alert_kind kind,
                        const char *fmt, ...)
{
    if (!r->alert)
        return;
    tr_risk_alert al = {.time = t, .kind = kind};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(al.message, sizeof al.message, fmt, ap);
    va_end(ap);
    r->alert(r->alert_ctx, &al);
}

void tr_risk_on_equity(tr_risk *r, tr_time t, tr_fx equity)
{
    int64_t day = tr_time_day(t);
    if (!r->have_equity) {
        r->have_equity = 1;
        r->day = day;
        r->day_start_equity = r->peak_equity = equity;
    } else if (day != r->day) {
        r->day = day;
        r->day_start_equity = r->last_equity; /* the previous day's close */
    }
    r->last_equity = equity;
    if (equity > r->peak_equity)
        r->peak_equity = equity;
    if (!r->cfg.enabled)
        return;
    double e = tr_fx_to_double(equity);
    double start = tr_fx_to_double(r->day_start_equity);
    if (r->cfg.daily_loss_pct > 0 && r->halt_day != day && start > 0 &&
        (start - e) / start * 100.0 >= r->cfg.daily_loss_pct) {
        r->halt_day = day;
        raise_alert(r, t, TR_ALERT_DAILY_LOSS,
                    "daily loss %.2f%% reached the %.2f%% limit: no new "
                    "entries for the rest of the day",
                    (start - e) / start * 100.0, r->cfg.daily_loss_pct);
    }
    double peak = tr_fx_to_double(r->peak_equity);
    if (r->cfg.max_drawdown_pct > 0 && !r->dd_halt && peak > 0 &&
        (peak - e) / peak * 100.0 >= r->cfg.max_drawdown_pct) {
        r->dd_halt = 1;
        raise_alert(r, t, TR_ALERT_DRAWDOWN,
                    "drawdown %.2f%% reached the %.2f%% limit: no new "
                    "entries until resumed",
                    (peak - e) / peak * 100.0, r->cfg.max_drawdown_pct);
    }
}

void tr_risk_set_halt(tr_risk *r, int halted, tr_time t)
{
    r->kill = halted;
    if (!halted) {
        r->dd_halt = 0;
        r->peak_equity = r->last_equity; /* drawdown is measured anew */
    }
    raise_alert(r, t, halted ? TR_ALERT_KILL_SWITCH : TR_ALERT_RESUMED, "%s",
                halted ? "kill switch on: no new entries"
                       : "trading resumed");
}

int tr_risk_halted(const tr_risk *r)
{
    return r->kill || r->dd_halt || (r->halt_day >= 0 && r->halt_day == r->day);
}

int tr_risk_kill_switch(const tr_risk *r)
{
    return r->kill;
}

const tr_risk_cfg *tr_risk_config(const tr_risk *r)
{
    return &r->cfg;
}

void tr_risk_position_closed(tr_risk *r, tr_sym sym)
{
    if (sym < r->nsyms)
        r->s[sym].stop = 0;
}

/* Pearson correlation of the last k returns of a and b (aligned by
 * recency); NAN when either has fewer than the lookback. */
static double correlation(const tr_risk *r, const sym_state *a,
                          const sym_state *b)
{
    size_t n = (size_t)r->cfg.correlation_lookback;
    if (a->rcount < n || b->rcount < n)
        return NAN;
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (size_t i = 0; i < n; i++) {
        double x = a->rets[(a->rhead + i) % n], y = b->rets[(b->rhead + i) % n];
        sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y;
    }
    double cov = sab - sa * sb / (double)n;
    double va = saa - sa * sa / (double)n, vb = sbb - sb * sb / (double)n;
    return va > 0 && vb > 0 ? cov / sqrt(va * vb) : 0.0;
}

static tr_fx fx_abs(tr_fx v)
{
    return v < 0 ? -v : v;
}

/* A price `frac` (a fraction of price, or an absolute distance) away from
 * entry, against (stop) or for (target) a position in direction dir,
 * rounded to the tick. 0 when it would not be a positive price. */
static tr_fx offset_price(const tr_risk *r, tr_fx entry, double distance,
                          int dir)
{
    tr_fx d, p;
    if (tr_fx_from_double(distance, &d) != TR_OK)
        return 0;
    p = entry + dir * d;
    if (tr_fx_round_to(p, r->cfg.tick_size, &p) != TR_OK || p <= 0)
        return 0;
    return p;
}

static void reject(tr_risk_plan *out, tr_risk_reason why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reject(tr_risk_plan *out, tr_risk_reason why, const char *fmt, ...)
{
    out->reason = why;
    out->has_entry = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof out->detail, fmt, ap);
    va_end(ap);
}

static tr_order market_order(const tr_signal *sig, tr_side side, tr_fx qty,
                             tr_order_role role)
{
    tr_order o;
    memset(&o, 0, sizeof o);
    o.sym = sig->sym;
    o.side = side;
    o.type = TR_ORD_MARKET;
    o.tif = TR_TIF_GTC;
    o.role = role;
    o.qty = qty;
    memcpy(o.strategy, sig->strategy, sizeof o.strategy);
    o.strategy[sizeof o.strategy - 1] = '\0';
    return o;
}

void tr_risk_plan_signal(tr_risk *r, const tr_signal *sig,
                         const tr_portfolio *p, tr_fx pending_entry,
                         tr_risk_plan *out)
{
    memset(out, 0, sizeof *out);
    if (sig->sym >= r->nsyms || sig->sym >= p->nsyms) {
        reject(out, TR_RISK_NOT_READY, "unknown instrument");
        return;
    }
    sym_state *s = &r->s[sig->sym];
    tr_fx pos = p->pos[sig->sym].qty;
    int cur = pos > 0 ? 1 : pos < 0 ? -1 : 0;
    int want = sig->target > 0 ? 1 : sig->target < 0 ? -1 : 0;
    if (sig->action == TR_HOLD || (cur == want && !(want && sig->qty > 0)) ||
        (want != 0 && pending_entry > 0)) {
        out->reason = TR_RISK_NOTHING_TO_DO;
        return;
    }
    if (cur != 0 && cur != want) { /* exits are never refused */
        out->has_exit = 1;
        out->exit = market_order(sig, cur > 0 ? TR_SELL : TR_BUY, fx_abs(pos),
                                 TR_ROLE_EXIT);
    }
    if (want == 0 || (cur == want && sig->qty <= 0))
        return;

    /* ---- the entry: halts first, then size, brackets, limits ---- */
    if (r->cfg.enabled && r->kill)
        return reject(out, TR_RISK_KILL_SWITCH, "kill switch is on");
    if (r->cfg.enabled && r->dd_halt)
        return reject(out, TR_RISK_DRAWDOWN,
                      "halted by the %.2f%% drawdown limit",
                      r->cfg.max_drawdown_pct);
    if (r->cfg.enabled && r->halt_day >= 0 && r->halt_day == r->day)
        return reject(out, TR_RISK_DAILY_LOSS,
                      "halted for the day by the %.2f%% daily loss limit",
                      r->cfg.daily_loss_pct);
    if (s->last <= 0)
        return reject(out, TR_RISK_NOT_READY, "no price yet");

    double entry = tr_fx_to_double(s->last);
    double equity = tr_fx_to_double(tr_portfolio_equity(p));
    double atr = s->atr_value;
    int needs_atr = r->cfg.sizing == TR_SIZE_ATR ||
                    r->cfg.stop_kind == TR_EXIT_ATR ||
                    r->cfg.tp_kind == TR_EXIT_ATR;
    if (needs_atr && !(atr > 0))
        return reject(out, TR_RISK_NOT_READY,
                      "ATR(%d) is not ready yet", r->cfg.atr_period);

    /* Stop: the signal's own, else the configured one. */
    tr_fx stop = sig->stop;
    if (stop <= 0) {
        if (r->cfg.sizing == TR_SIZE_ATR)
            stop = offset_price(r, s->last, r->cfg.atr_mult * atr, -want);
        else if (r->cfg.stop_kind == TR_EXIT_PERCENT)
            stop = offset_price(r, s->last, entry * r->cfg.stop_value / 100,
                                -want);
        else if (r->cfg.stop_kind == TR_EXIT_ATR)
            stop = offset_price(r, s->last, r->cfg.stop_value * atr, -want);
    }
    double stop_dist = stop > 0 ? fabs(entry - tr_fx_to_double(stop)) : 0;

    tr_fx tp = sig->take_profit;
    if (tp <= 0) {
        if (r->cfg.tp_kind == TR_EXIT_PERCENT)
            tp = offset_price(r, s->last, entry * r->cfg.tp_value / 100, want);
        else if (r->cfg.tp_kind == TR_EXIT_ATR)
            tp = offset_price(r, s->last, r->cfg.tp_value * atr, want);
        else if (r->cfg.tp_kind == TR_EXIT_RR && stop_dist > 0)
            tp = offset_price(r, s->last, r->cfg.tp_value * stop_dist, want);
    }

    /* Size. */
    double raw;
    if (sig->qty > 0) {
        raw = tr_fx_to_double(sig->qty);
    } else {
        switch (r->cfg.sizing) {
        case TR_SIZE_PERCENT:
            raw = equity * r->cfg.percent / 100 / entry;
            break;
        case TR_SIZE_RISK:
        case TR_SIZE_ATR:
            if (!(stop_dist > 0))
                return reject(out, TR_RISK_NO_STOP,
                              "risk sizing needs a stop loss (set exits."
                              "stop_loss)");
            raw = equity * r->cfg.risk_pct / 100 / stop_dist;
            break;
        default:
            raw = tr_fx_to_double(r->cfg.qty);
        }
    }
    tr_fx qty;
    if (!(raw > 0) || tr_fx_from_double(raw, &qty) != TR_OK)
        qty = 0;
    if (sig->qty <= 0)
        qty = qty / r->cfg.qty_step * r->cfg.qty_step; /* whole steps, down */
    if (qty <= 0)
        return reject(out, TR_RISK_ZERO_SIZE,
                      "sized to less than one unit (%.6g at price %.6g)", raw,
                      entry);

    double notional = tr_fx_to_double(qty) * entry;
    if (r->cfg.enabled) {
        const tr_risk_cfg *c = &r->cfg;
        if (c->max_order_notional > 0 &&
            notional > tr_fx_to_double(c->max_order_notional))
            return reject(out, TR_RISK_ORDER_NOTIONAL,
                          "order notional %.2f exceeds the limit %.2f",
                          notional, tr_fx_to_double(c->max_order_notional));
        double pos_value = fabs(tr_fx_to_double(p->pos[sig->sym].mv));
        if (cur != want)
            pos_value = 0; /* the old position is being closed */
        if (c->max_position_pct > 0 && equity > 0 &&
            (pos_value + notional) / equity * 100 > c->max_position_pct + 1e-9)
            return reject(out, TR_RISK_MAX_POSITION,
                          "position would be %.2f%% of equity, limit %.2f%%",
                          (pos_value + notional) / equity * 100,
                          c->max_position_pct);
        size_t open = p->open_positions - (cur != 0 && cur != want);
        if (c->max_open_positions > 0 && cur != want &&
            open + 1 > (size_t)c->max_open_positions)
            return reject(out, TR_RISK_MAX_OPEN_POSITIONS,
                          "%zu positions open, limit %d", open,
                          c->max_open_positions);
        double gross = tr_fx_to_double(p->gross);
        if (cur != want)
            gross -= fabs(tr_fx_to_double(p->pos[sig->sym].mv));
        double power = equity * c->leverage - gross;
        if (c->leverage > 0 && notional > power + 1e-9)
            return reject(out, TR_RISK_BUYING_POWER,
                          "order needs %.2f, buying power is %.2f", notional,
                          power);
        if (c->max_portfolio_risk_pct > 0 && equity > 0) {
            double open_risk = 0;
            for (size_t i = 0; i < r->nsyms; i++) {
                const tr_position *q = &p->pos[i];
                if (q->qty == 0 || i == sig->sym)
                    continue;
                double last = tr_fx_to_double(q->last);
                double qv = fabs(tr_fx_to_double(q->qty));
                open_risk += r->s[i].stop > 0
                                 ? qv * fabs(last - tr_fx_to_double(r->s[i].stop))
                                 : qv * last;
            }
            double new_risk = stop_dist > 0 ? tr_fx_to_double(qty) * stop_dist
                                            : notional;
            double pct = (open_risk + new_risk) / equity * 100;
            if (pct > c->max_portfolio_risk_pct + 1e-9)
                return reject(out, TR_RISK_PORTFOLIO_RISK,
                              "open risk would be %.2f%% of equity, limit "
                              "%.2f%%", pct, c->max_portfolio_risk_pct);
        }
        if (c->max_correlation > 0) {
            for (size_t i = 0; i < r->nsyms; i++) {
                if (i == sig->sym || p->pos[i].qty == 0)
                    continue;
                double rho = correlation(r, s, &r->s[i]);
                /* Same direction and correlated, or opposite and
                 * anti-correlated: the same bet twice. */
                int same = (p->pos[i].qty > 0) == (want > 0);
                double eff = same ? rho : -rho;
                if (!isnan(rho) && eff > c->max_correlation)
                    return reject(out, TR_RISK_CORRELATION,
                                  "returns correlate %.2f with an open "
                                  "position, limit %.2f", eff,
                                  c->max_correlation);
            }
        }
    }
    out->has_entry = 1;
    out->entry = market_order(sig, want > 0 ? TR_BUY : TR_SELL, qty,
                              TR_ROLE_ENTRY);
    out->stop = stop;
    out->take_profit = tp;
    s->stop = stop;
}

/* ---- snapshots ----------------------------------------------------------- */

void tr_risk_save(const tr_risk *r, tr_enc *e)
{
    tr_enc_u64(e, r->nsyms);
    tr_enc_u8(e, (uint8_t)r->kill);
    tr_enc_u8(e, (uint8_t)r->dd_halt);
    tr_enc_u8(e, (uint8_t)r->have_equity);
    tr_enc_i64(e, r->halt_day);
    tr_enc_i64(e, r->day);
    tr_enc_i64(e, r->day_start_equity);
    tr_enc_i64(e, r->last_equity);
    tr_enc_i64(e, r->peak_equity);
    size_t n = (size_t)r->cfg.correlation_lookback;
    tr_enc_u64(e, n);
    for (size_t i = 0; i < r->nsyms; i++) {
        const sym_state *s = &r->s[i];
        tr_ind_atr_save(&s->atr, e);
        tr_enc_f64(e, s->atr_value);
        tr_enc_i64(e, s->last);
        tr_enc_i64(e, s->stop);
        tr_enc_u64(e, s->rhead);
        tr_enc_u64(e, s->rcount);
        /* Only the returns held: the rest of the ring was never written. */
        for (size_t k = 0; k < s->rcount; k++)
            tr_enc_f64(e, s->rets[(s->rhead + n - s->rcount + k) % n]);
    }
}

int tr_risk_load(tr_risk *r, tr_dec *d)
{
    if (!tr_dec_check(d, tr_dec_u64(d) == r->nsyms))
        return TR_ERR_DATA;
    uint8_t kill = tr_dec_u8(d), dd = tr_dec_u8(d), have = tr_dec_u8(d);
    tr_dec_check(d, kill <= 1 && dd <= 1 && have <= 1);
    r->kill = kill;
    r->dd_halt = dd;
    r->have_equity = have;
    r->halt_day = tr_dec_i64(d);
    r->day = tr_dec_i64(d);
    r->day_start_equity = tr_dec_i64(d);
    r->last_equity = tr_dec_i64(d);
    r->peak_equity = tr_dec_i64(d);
    size_t n = (size_t)r->cfg.correlation_lookback;
    if (!tr_dec_check(d, tr_dec_u64(d) == n))
        return TR_ERR_DATA;
    for (size_t i = 0; i < r->nsyms && !tr_dec_error(d); i++) {
        sym_state *s = &r->s[i];
        tr_ind_atr_load(&s->atr, d);
        s->atr_value = tr_dec_f64(d);
        s->last = tr_dec_i64(d);
        s->stop = tr_dec_i64(d);
        uint64_t head = tr_dec_u64(d), count = tr_dec_u64(d);
        if (!tr_dec_check(d, head < n && count <= n))
            break;
        s->rhead = (size_t)head;
        s->rcount = (size_t)count;
        for (size_t k = 0; k < s->rcount; k++)
            s->rets[(s->rhead + n - s->rcount + k) % n] = tr_dec_f64(d);
    }
    return tr_dec_error(d);
}
