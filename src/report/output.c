/* output.c: CSV and JSON files of a backtest (see output.h). */
#include "report/output.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/files.h"

/* Small formatting helpers writing into static-size buffers owned by the
 * caller. */
static const char *fx(tr_fx v, char *buf)
{
    tr_fx_format(v, buf, TR_FX_STRLEN);
    return buf;
}

static const char *ts(tr_time t, char *buf)
{
    tr_time_format_short(t, buf, TR_TIME_STRLEN);
    return buf;
}

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

typedef struct out_file {
    FILE *f;
    char path[4200];
    char tmp[4210];
} out_file;

static int open_out(out_file *o, const char *dir, const char *name)
{
    snprintf(o->path, sizeof o->path, "%s/%s", dir, name);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp", o->path);
    o->f = fopen(o->tmp, "w");
    return o->f ? TR_OK : TR_ERR_IO;
}

static int close_out(out_file *o)
{
    int bad = ferror(o->f);
    if (fclose(o->f) != 0 || bad || rename(o->tmp, o->path) != 0) {
        int saved = errno;
        remove(o->tmp);
        errno = saved ? saved : EIO;
        return TR_ERR_IO;
    }
    return TR_OK;
}

static const char *sym_name(const tr_bt_result *r, tr_sym s)
{
    const char *n = tr_symtab_name(r->symbols, s);
    return n ? n : "?";
}

static void write_trades(FILE *f, const tr_bt_result *r)
{
    char a[TR_FX_STRLEN], b[TR_FX_STRLEN], c[TR_FX_STRLEN], d[TR_FX_STRLEN],
        e[TR_FX_STRLEN], t1[TR_TIME_STRLEN], t2[TR_TIME_STRLEN];
    fputs("symbol,side,qty,entry_time,entry_price,exit_time,exit_price,pnl,"
          "commission,bars,status\n", f);
    for (size_t i = 0; i < r->ntrades; i++) {
        const tr_trade *t = &r->trades[i];
        csv_str(f, sym_name(r, t->sym));
        fprintf(f, ",%s,%s,%s,%s,%s,%s,%s,%s,%zu,%s\n",
                t->side == TR_BUY ? "long" : "short", fx(t->qty, a),
                ts(t->entry_time, t1), fx(t->entry_price, b),
                t->open ? "" : ts(t->exit_time, t2),
                t->open ? "" : fx(t->exit_price, c), fx(t->pnl, d),
                fx(t->commission, e), t->bars, t->open ? "open" : "closed");
    }
}

static void write_orders(FILE *f, const tr_bt_result *r)
{
    char q[TR_FX_STRLEN], fq[TR_FX_STRLEN], ap[TR_FX_STRLEN], lp[TR_FX_STRLEN],
        sp[TR_FX_STRLEN], cm[TR_FX_STRLEN], t1[TR_TIME_STRLEN],
        t2[TR_TIME_STRLEN];
    fputs("id,parent_id,symbol,side,type,tif,role,qty,filled_qty,"
          "avg_fill_price,limit_price,stop_price,status,commission,created,"
          "updated,strategy\n", f);
    for (size_t i = 0; i < r->norders; i++) {
        const tr_order *o = &r->orders[i];
        fprintf(f, "%llu,", (unsigned long long)o->id);
        if (o->parent_id)
            fprintf(f, "%llu", (unsigned long long)o->parent_id);
        fputc(',', f);
        csv_str(f, sym_name(r, o->sym));
        fprintf(f, ",%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,",
                tr_side_name(o->side), tr_order_type_name(o->type),
                tr_tif_name(o->tif), tr_order_role_name(o->role),
                fx(o->qty, q), fx(o->filled_qty, fq),
                o->filled_qty ? fx(o->avg_fill_price, ap) : "",
                o->limit_price ? fx(o->limit_price, lp) : "",
                o->stop_price ? fx(o->stop_price, sp) : "",
                tr_order_status_name(o->status), fx(o->commission, cm),
                ts(o->created, t1), ts(o->updated, t2));
        csv_str(f, o->strategy);
        fputc('\n', f);
    }
}

static void write_fills(FILE *f, const tr_bt_result *r)
{
    char q[TR_FX_STRLEN], p[TR_FX_STRLEN], c[TR_FX_STRLEN], t[TR_TIME_STRLEN];
    fputs("time,order_id,symbol,side,role,qty,price,commission\n", f);
    for (size_t i = 0; i < r->fills.n; i++) {
        const tr_fill *x = &r->fills.v[i];
        fprintf(f, "%s,%llu,", ts(x->time, t), (unsigned long long)x->order_id);
        csv_str(f, sym_name(r, x->sym));
        fprintf(f, ",%s,%s,%s,%s,%s\n", tr_side_name(x->side),
                tr_order_role_name(x->role), fx(x->qty, q), fx(x->price, p),
                fx(x->commission, c));
    }
}

static void write_equity(FILE *f, const tr_bt_result *r)
{
    char e[TR_FX_STRLEN], c[TR_FX_STRLEN], x[TR_FX_STRLEN], t[TR_TIME_STRLEN];
    fputs("time,equity,cash,exposure,drawdown\n", f);
    tr_fx peak = 0;
    for (size_t i = 0; i < r->equity.n; i++) {
        const tr_equity_point *p = &r->equity.v[i];
        if (p->equity > peak)
            peak = p->equity;
        double dd = peak > 0 ? 1.0 - tr_fx_to_double(p->equity) /
                                         tr_fx_to_double(peak)
                             : 0.0;
        fprintf(f, "%s,%s,%s,%s,%.6f\n", ts(p->time, t), fx(p->equity, e),
                fx(p->cash, c), fx(p->exposure, x), dd > 0 ? dd : 0.0);
    }
}

static void write_signals(FILE *f, const tr_bt_result *r)
{
    char t[TR_TIME_STRLEN];
    fputs("time,symbol,action,target,confidence,strategy,status,reason,"
          "detail,reasons\n", f);
    for (size_t i = 0; i < r->signals.n; i++) {
        const tr_bt_signal *s = &r->signals.v[i];
        fprintf(f, "%s,", ts(s->sig.time, t));
        csv_str(f, sym_name(r, s->sig.sym));
        fprintf(f, ",%s,%d,%.4f,", tr_action_name(s->sig.action),
                s->sig.target, s->sig.confidence);
        csv_str(f, s->sig.strategy);
        fprintf(f, ",%s,%s,", s->reason == TR_RISK_OK ? "executed" : "rejected",
                tr_risk_reason_name(s->reason));
        csv_str(f, s->detail);
        fputc(',', f);
        csv_str(f, s->sig.reasons);
        fputc('\n', f);
    }
}

/* JSON numbers: non-finite values become null (JSON has no infinity). */
static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jfx(tr_fx v)
{
    char b[TR_FX_STRLEN];
    return json_string(fx(v, b)); /* exact: money stays decimal text */
}

static json_t *jtime(tr_time t)
{
    char b[TR_TIME_STRLEN];
    return json_string(ts(t, b));
}

static json_t *stats_json(const tr_stats *s, int portfolio)
{
    json_t *o = json_object();
    if (portfolio) {
        json_object_set_new(o, "start_equity", jfx(s->start_equity));
        json_object_set_new(o, "end_equity", jfx(s->end_equity));
        json_object_set_new(o, "cagr", jnum(s->cagr));
        json_object_set_new(o, "ann_volatility", jnum(s->ann_volatility));
        json_object_set_new(o, "sharpe", jnum(s->sharpe));
        json_object_set_new(o, "sortino", jnum(s->sortino));
        json_object_set_new(o, "max_dd_peak", jtime(s->max_dd_peak));
        json_object_set_new(o, "max_dd_trough", jtime(s->max_dd_trough));
        json_object_set_new(o, "max_dd_duration_days",
                            jnum(s->max_dd_duration_days));
        json_object_set_new(o, "calmar", jnum(s->calmar));
        json_object_set_new(o, "periods_per_year", jnum(s->periods_per_year));
    }
    json_object_set_new(o, "total_return", jnum(s->total_return));
    json_object_set_new(o, "max_drawdown", jnum(s->max_drawdown));
    json_object_set_new(o, "trades", json_integer((json_int_t)s->trades));
    json_object_set_new(o, "open_trades",
                        json_integer((json_int_t)s->open_trades));
    json_object_set_new(o, "wins", json_integer((json_int_t)s->wins));
    json_object_set_new(o, "losses", json_integer((json_int_t)s->losses));
    json_object_set_new(o, "win_rate", jnum(s->win_rate));
    json_object_set_new(o, "profit_factor", jnum(s->profit_factor));
    json_object_set_new(o, "gross_profit", jfx(s->gross_profit));
    json_object_set_new(o, "gross_loss", jfx(s->gross_loss));
    json_object_set_new(o, "net_pnl", jfx(s->net_pnl));
    json_object_set_new(o, "avg_win", jfx(s->avg_win));
    json_object_set_new(o, "avg_loss", jfx(s->avg_loss));
    json_object_set_new(o, "expectancy", jfx(s->expectancy));
    json_object_set_new(o, "time_in_market", jnum(s->time_in_market));
    json_object_set_new(o, "turnover", jfx(s->turnover));
    json_object_set_new(o, "turnover_ratio", jnum(s->turnover_ratio));
    json_object_set_new(o, "commissions", jfx(s->commissions));
    json_object_set_new(o, "fills", json_integer((json_int_t)s->fills));
    return o;
}

static json_t *metrics_json(const tr_bt_config *cfg, const tr_bt_result *r)
{
    json_t *root = json_object();
    json_t *run = json_object();
    if (cfg) {
        json_object_set_new(run, "config", json_string(cfg->path));
        json_object_set_new(run, "strategy",
                            json_string(cfg->engine.strategy->name));
    }
    if (r->equity.n) {
        json_object_set_new(run, "from", jtime(r->equity.v[0].time));
        json_object_set_new(run, "to", jtime(r->equity.v[r->equity.n - 1].time));
    }
    json_object_set_new(run, "bars", json_integer((json_int_t)r->bars_total));
    json_object_set_new(run, "steps", json_integer((json_int_t)r->steps));
    json_object_set_new(run, "orders", json_integer((json_int_t)r->norders));
    json_object_set_new(run, "final_cash", jfx(r->final_cash));
    json_object_set_new(run, "final_equity", jfx(r->final_equity));
    json_object_set_new(root, "run", run);
    json_object_set_new(root, "portfolio", stats_json(&r->stats, 1));
    json_t *syms = json_object();
    for (size_t s = 0; s < r->nsyms; s++)
        json_object_set_new(syms, sym_name(r, (tr_sym)s),
                            stats_json(&r->sym_stats[s], 0));
    json_object_set_new(root, "symbols", syms);

    size_t counts[TR_RISK_REASON_COUNT] = {0};
    size_t executed = 0;
    for (size_t i = 0; i < r->signals.n; i++) {
        counts[r->signals.v[i].reason]++;
        executed += r->signals.v[i].reason == TR_RISK_OK;
    }
    json_t *sig = json_object();
    json_object_set_new(sig, "total", json_integer((json_int_t)r->signals.n));
    json_object_set_new(sig, "executed", json_integer((json_int_t)executed));
    json_t *rej = json_object();
    for (int k = 0; k < TR_RISK_REASON_COUNT; k++)
        if (k != TR_RISK_OK && counts[k])
            json_object_set_new(rej, tr_risk_reason_name((tr_risk_reason)k),
                                json_integer((json_int_t)counts[k]));
    json_object_set_new(sig, "rejected", rej);
    json_object_set_new(root, "signals", sig);

    json_t *alerts = json_array();
    static const char *kinds[] = {"daily_loss", "drawdown", "kill_switch",
                                  "resumed"};
    for (size_t i = 0; i < r->alerts.n; i++) {
        json_t *a = json_object();
        json_object_set_new(a, "time", jtime(r->alerts.v[i].time));
        json_object_set_new(a, "kind", json_string(kinds[r->alerts.v[i].kind]));
        json_object_set_new(a, "message", json_string(r->alerts.v[i].message));
        json_array_append_new(alerts, a);
    }
    json_object_set_new(root, "risk_alerts", alerts);
    return root;
}

int tr_output_write(const char *dir, const tr_bt_config *cfg,
                    const tr_bt_result *r, char *err, size_t errlen)
{
    if (tr_mkdir_p(dir) != 0) {
        snprintf(err, errlen, "cannot create folder '%s': %s", dir,
                 strerror(errno));
        return TR_ERR_IO;
    }
    static const struct {
        const char *name;
        void (*write)(FILE *, const tr_bt_result *);
    } files[] = {
        {"trades.csv", write_trades},   {"orders.csv", write_orders},
        {"fills.csv", write_fills},     {"equity.csv", write_equity},
        {"signals.csv", write_signals},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        out_file o;
        if (open_out(&o, dir, files[i].name) != TR_OK) {
            snprintf(err, errlen, "cannot write '%s': %s", o.tmp,
                     strerror(errno));
            return TR_ERR_IO;
        }
        files[i].write(o.f, r);
        if (close_out(&o) != TR_OK) {
            snprintf(err, errlen, "cannot write '%s': %s", o.path,
                     strerror(errno));
            return TR_ERR_IO;
        }
    }
    out_file o;
    json_t *m = metrics_json(cfg, r);
    int rc = m ? open_out(&o, dir, "metrics.json") : TR_ERR_NOMEM;
    if (rc == TR_OK) {
        json_dumpf(m, o.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                               JSON_REAL_PRECISION(10));
        fputc('\n', o.f);
        rc = close_out(&o);
    }
    json_decref(m);
    if (rc != TR_OK) {
        snprintf(err, errlen, "cannot write '%s/metrics.json': %s", dir,
                 strerror(errno));
        return rc;
    }
    return TR_OK;
}
