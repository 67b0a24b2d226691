/* backtest.c: config loading, data loading, the merge of series by time,
 * and collecting the engine's records. */
#include "engine/backtest.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "data/csv.h"
#include "data/gen.h"
#include "engine/merge.h"

/* ---- config ------------------------------------------------------------- */

#define CHECK_RC(x)                                                            \
    do {                                                                       \
        int rc_ = (x);                                                         \
        if (rc_ != TR_OK)                                                      \
            return rc_;                                                        \
    } while (0)

static const double PCT_MAX = 1e6;

/* A percentage or count that must be >= 0. */
static int num(const tr_cfg *cfg, const tr_cfg_node *m, const char *key,
               double def, double max, double *out, char *err, size_t n)
{
    return tr_cfg_num(cfg, m, key, def, 0, max, out, err, n);
}

static int load_costs(const tr_cfg *cfg, const tr_cfg_node *m,
                      tr_paper_opts *f, char *err, size_t n)
{
    static const char *keys[] = {"commission", "commission_per_share",
                                 "commission_pct", "commission_min",
                                 "slippage_bps", "slippage_ticks", "tick_size",
                                 NULL};
    if (!m)
        return TR_OK;
    CHECK_RC(tr_cfg_check_keys(cfg, m, keys, err, n));
    tr_costs *c = &f->costs;
    CHECK_RC(tr_cfg_fx(cfg, m, "commission", 0, 0, TR_FX_MAX, &c->per_order,
                       err, n));
    CHECK_RC(tr_cfg_fx(cfg, m, "commission_per_share", 0, 0, TR_FX_MAX,
                       &c->per_share, err, n));
    CHECK_RC(tr_cfg_fx(cfg, m, "commission_pct", 0, 0, 100 * TR_FX_ONE,
                       &c->pct, err, n));
    CHECK_RC(tr_cfg_fx(cfg, m, "commission_min", 0, 0, TR_FX_MAX, &c->minimum,
                       err, n));
    CHECK_RC(tr_cfg_fx(cfg, m, "slippage_bps", 0, 0, 10000 * TR_FX_ONE,
                       &c->slippage_bps, err, n));
    CHECK_RC(tr_cfg_fx(cfg, m, "slippage_ticks", 0, 0, 1000000 * TR_FX_ONE,
                       &c->slippage_ticks, err, n));
    CHECK_RC(tr_cfg_fx(cfg, m, "tick_size", TR_FX_SCALE / 100, 1,
                       TR_FX_MAX, &c->tick_size, err, n));
    return TR_OK;
}

static int load_fills(const tr_cfg *cfg, const tr_cfg_node *m,
                      tr_paper_opts *f, char *err, size_t n)
{
    static const char *keys[] = {"at", "max_volume_pct", "qty_step", NULL};
    static const char *at[] = {"next_open", "close", NULL};
    if (!m)
        return TR_OK;
    CHECK_RC(tr_cfg_check_keys(cfg, m, keys, err, n));
    int which;
    CHECK_RC(tr_cfg_enum(cfg, m, "at", at, 0, &which, err, n));
    f->fill_at_close = which == 1;
    tr_fx pct;
    CHECK_RC(tr_cfg_fx(cfg, m, "max_volume_pct", 0, 0, 100 * TR_FX_ONE, &pct,
                       err, n));
    f->max_volume_share = pct / 100;
    CHECK_RC(tr_cfg_fx(cfg, m, "qty_step", TR_FX_ONE, 1, TR_FX_MAX,
                       &f->qty_step, err, n));
    return TR_OK;
}

static int load_sizing(const tr_cfg *cfg, const tr_cfg_node *m,
                       tr_risk_cfg *r, char *err, size_t n)
{
    static const char *keys[] = {"method", "qty", "percent", "risk_pct",
                                 "atr_mult", "atr_period", "qty_step", NULL};
    static const char *methods[] = {"fixed", "percent", "risk", "atr", NULL};
    if (!m)
        return TR_OK;
    CHECK_RC(tr_cfg_check_keys(cfg, m, keys, err, n));
    int method;
    CHECK_RC(tr_cfg_enum(cfg, m, "method", methods, 0, &method, err, n));
    r->sizing = (tr_sizing_method)method;
    CHECK_RC(tr_cfg_fx(cfg, m, "qty", r->qty, 1, TR_FX_MAX, &r->qty, err, n));
    CHECK_RC(tr_cfg_num(cfg, m, "percent", 10, 1e-9, 1000, &r->percent, err,
                        n));
    CHECK_RC(tr_cfg_num(cfg, m, "risk_pct", 1, 1e-9, 100, &r->risk_pct, err,
                        n));
    CHECK_RC(tr_cfg_num(cfg, m, "atr_mult", 2, 1e-9, 1000, &r->atr_mult, err,
                        n));
    int64_t period;
    CHECK_RC(tr_cfg_int(cfg, m, "atr_period", 14, 1, 100000, &period, err, n));
    r->atr_period = (int)period;
    CHECK_RC(tr_cfg_fx(cfg, m, "qty_step", TR_FX_ONE, 1, TR_FX_MAX,
                       &r->qty_step, err, n));
    return TR_OK;
}

/* stop_loss: {percent: 2} | {atr: 2}; take_profit: also {rr: 2}. */
static int load_exit(const tr_cfg *cfg, const tr_cfg_node *m, int allow_rr,
                     tr_exit_kind *kind, double *value, char *err, size_t n)
{
    static const char *keys_sl[] = {"percent", "atr", NULL};
    static const char *keys_tp[] = {"percent", "atr", "rr", NULL};
    if (!m)
        return TR_OK;
    CHECK_RC(tr_cfg_check_keys(cfg, m, allow_rr ? keys_tp : keys_sl, err, n));
    if (tr_cfg_size(m) != 1) {
        tr_cfg_error(cfg, m, err, n, "give exactly one of %s",
                     allow_rr ? "percent, atr, rr" : "percent, atr");
        return TR_ERR_INVALID;
    }
    const char *k = tr_cfg_key(m, 0);
    *kind = !strcmp(k, "percent") ? TR_EXIT_PERCENT
            : !strcmp(k, "atr")   ? TR_EXIT_ATR
                                  : TR_EXIT_RR;
    return tr_cfg_num(cfg, m, k, 0, 1e-9, 1e6, value, err, n);
}

static int load_exits(const tr_cfg *cfg, const tr_cfg_node *m, tr_risk_cfg *r,
                      char *err, size_t n)
{
    static const char *keys[] = {"stop_loss", "take_profit", NULL};
    if (!m)
        return TR_OK;
    CHECK_RC(tr_cfg_check_keys(cfg, m, keys, err, n));
    CHECK_RC(load_exit(cfg, tr_cfg_get(m, "stop_loss"), 0, &r->stop_kind,
                       &r->stop_value, err, n));
    CHECK_RC(load_exit(cfg, tr_cfg_get(m, "take_profit"), 1, &r->tp_kind,
                       &r->tp_value, err, n));
    if (r->tp_kind == TR_EXIT_RR && r->stop_kind == TR_EXIT_NONE &&
        r->sizing != TR_SIZE_ATR) {
        tr_cfg_error(cfg, tr_cfg_get(m, "take_profit"), err, n,
                     "take_profit rr needs a stop_loss to measure from");
        return TR_ERR_INVALID;
    }
    return TR_OK;
}

static int load_risk(const tr_cfg *cfg, const tr_cfg_node *m, tr_risk_cfg *r,
                     char *err, size_t n)
{
    static const char *keys[] = {
        "enabled", "max_position_pct", "max_open_positions",
        "max_portfolio_risk_pct", "max_correlation", "correlation_lookback",
        "max_order_notional", "daily_loss_limit_pct", "max_drawdown_pct",
        "leverage", "kill_switch", NULL};
    if (!m)
        return TR_OK;
    CHECK_RC(tr_cfg_check_keys(cfg, m, keys, err, n));
    CHECK_RC(tr_cfg_bool(cfg, m, "enabled", 1, &r->enabled, err, n));
    CHECK_RC(num(cfg, m, "max_position_pct", r->max_position_pct, PCT_MAX,
                 &r->max_position_pct, err, n));
    int64_t v;
    CHECK_RC(tr_cfg_int(cfg, m, "max_open_positions", r->max_open_positions, 0,
                        1000000, &v, err, n));
    r->max_open_positions = (int)v;
    CHECK_RC(num(cfg, m, "max_portfolio_risk_pct", r->max_portfolio_risk_pct,
                 PCT_MAX, &r->max_portfolio_risk_pct, err, n));
    CHECK_RC(num(cfg, m, "max_correlation", r->max_correlation, 1,
                 &r->max_correlation, err, n));
    CHECK_RC(tr_cfg_int(cfg, m, "correlation_lookback",
                        r->correlation_lookback, 2, 100000, &v, err, n));
    r->correlation_lookback = (int)v;
    CHECK_RC(tr_cfg_fx(cfg, m, "max_order_notional", 0, 0, TR_FX_MAX,
                       &r->max_order_notional, err, n));
    CHECK_RC(num(cfg, m, "daily_loss_limit_pct", r->daily_loss_pct, 100,
                 &r->daily_loss_pct, err, n));
    CHECK_RC(num(cfg, m, "max_drawdown_pct", r->max_drawdown_pct, 100,
                 &r->max_drawdown_pct, err, n));
    CHECK_RC(tr_cfg_num(cfg, m, "leverage", 1, 1e-9, 100, &r->leverage, err,
                        n));
    CHECK_RC(tr_cfg_bool(cfg, m, "kill_switch", 0, &r->kill_switch, err, n));
    return TR_OK;
}

static int load_strategy(const tr_cfg *cfg, const tr_cfg_node *m,
                         tr_engine_cfg *e, char *err, size_t n)
{
    static const char *keys[] = {"name", "params", NULL};
    CHECK_RC(tr_cfg_check_keys(cfg, m, keys, err, n));
    const char *name;
    CHECK_RC(tr_cfg_str_req(cfg, m, "name", &name, err, n));
    e->strategy = tr_strategy_find(name);
    if (!e->strategy) {
        size_t count;
        const tr_strategy_def *const *all = tr_strategy_list(&count);
        char known[512] = "";
        for (size_t i = 0; i < count; i++) {
            size_t k = strlen(known);
            snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "",
                     all[i]->name);
        }
        tr_cfg_error(cfg, tr_cfg_get(m, "name"), err, n,
                     "unknown strategy '%s' (known: %s)", name, known);
        return TR_ERR_INVALID;
    }
    const tr_strategy_def *d = e->strategy;
    const tr_cfg_node *p = tr_cfg_get(m, "params");
    const char *pkeys[TR_STRAT_MAX_PARAMS + 1];
    for (size_t i = 0; i < d->nparams && i < TR_STRAT_MAX_PARAMS; i++)
        pkeys[i] = d->params[i].name;
    pkeys[d->nparams < TR_STRAT_MAX_PARAMS ? d->nparams
                                           : TR_STRAT_MAX_PARAMS] = NULL;
    if (p)
        CHECK_RC(tr_cfg_check_keys(cfg, p, pkeys, err, n));
    for (size_t i = 0; i < d->nparams && i < TR_STRAT_MAX_PARAMS; i++) {
        const tr_param_def *pd = &d->params[i];
        if (pd->type == TR_PARAM_BOOL) {
            int b;
            CHECK_RC(tr_cfg_bool(cfg, p, pd->name, pd->def != 0, &b, err, n));
            e->params[i] = b;
        } else if (pd->type == TR_PARAM_INT) {
            int64_t v;
            CHECK_RC(tr_cfg_int(cfg, p, pd->name, (int64_t)pd->def,
                                (int64_t)pd->min, (int64_t)pd->max, &v, err,
                                n));
            e->params[i] = (double)v;
        } else {
            CHECK_RC(tr_cfg_num(cfg, p, pd->name, pd->def, pd->min, pd->max,
                                &e->params[i], err, n));
        }
    }
    return TR_OK;
}

/* A data file path as written: relative to the working directory, or else
 * to the config file's folder. */
static char *resolve_path(const char *file, const char *config_path)
{
    if (file[0] == '/' || access(file, F_OK) == 0)
        return strdup(file);
    char *copy = strdup(config_path);
    if (!copy)
        return NULL;
    const char *dir = dirname(copy);
    size_t len = strlen(dir) + strlen(file) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, file);
    free(copy);
    if (p && access(p, F_OK) != 0) {
        free(p);
        return strdup(file); /* neither exists: report it as written */
    }
    return p;
}

static int load_data(const tr_cfg *cfg, const tr_cfg_node *seq,
                     tr_bt_config *c, char *err, size_t n)
{
    static const char *keys[] = {"symbol", "file", NULL};
    if (tr_cfg_node_kind(seq) != TR_CFG_SEQ || tr_cfg_size(seq) == 0) {
        tr_cfg_error(cfg, seq, err, n,
                     "expected a list of {symbol: ..., file: ...} entries");
        return TR_ERR_INVALID;
    }
    size_t count = tr_cfg_size(seq);
    if (count > TR_BT_MAX_SYMBOLS) {
        tr_cfg_error(cfg, seq, err, n, "at most %d instruments",
                     TR_BT_MAX_SYMBOLS);
        return TR_ERR_INVALID;
    }
    c->data = calloc(count, sizeof *c->data);
    if (!c->data)
        return TR_ERR_NOMEM;
    for (size_t i = 0; i < count; i++) {
        const tr_cfg_node *item = tr_cfg_at(seq, i);
        CHECK_RC(tr_cfg_check_keys(cfg, item, keys, err, n));
        const char *sym, *file;
        CHECK_RC(tr_cfg_str_req(cfg, item, "symbol", &sym, err, n));
        CHECK_RC(tr_cfg_str_req(cfg, item, "file", &file, err, n));
        tr_symtab *probe = tr_symtab_new();
        tr_sym id;
        int ok = probe && tr_symtab_intern(probe, sym, &id) == TR_OK;
        tr_symtab_free(probe);
        if (!ok) {
            tr_cfg_error(cfg, tr_cfg_get(item, "symbol"), err, n,
                         "'%s' is not a valid symbol (1-%d characters, no "
                         "spaces, commas or quotes)", sym, TR_SYM_MAX_LEN);
            return TR_ERR_INVALID;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->data[j].symbol, sym)) {
                tr_cfg_error(cfg, tr_cfg_get(item, "symbol"), err, n,
                             "symbol '%s' is listed twice", sym);
                return TR_ERR_INVALID;
            }
        snprintf(c->data[i].symbol, sizeof c->data[i].symbol, "%s", sym);
        c->data[i].path = resolve_path(file, c->path);
        c->ndata = i + 1;
        if (!c->data[i].path)
            return TR_ERR_NOMEM;
        if (access(c->data[i].path, R_OK) != 0) {
            tr_cfg_error(cfg, tr_cfg_get(item, "file"), err, n,
                         "cannot read data file '%s': %s", file,
                         strerror(errno));
            return TR_ERR_NOT_FOUND;
        }
    }
    return TR_OK;
}

static int load_range(const tr_cfg *cfg, const tr_cfg_node *m, tr_bt_config *c,
                      char *err, size_t n)
{
    static const char *keys[] = {"from", "to", NULL};
    if (!m)
        return TR_OK;
    CHECK_RC(tr_cfg_check_keys(cfg, m, keys, err, n));
    const char *names[2] = {"from", "to"};
    tr_time *dst[2] = {&c->from, &c->to};
    for (int i = 0; i < 2; i++) {
        const char *s;
        CHECK_RC(tr_cfg_str(cfg, m, names[i], NULL, &s, err, n));
        if (s && tr_time_parse(s, strlen(s), dst[i]) != TR_OK) {
            tr_cfg_error(cfg, tr_cfg_get(m, names[i]), err, n,
                         "cannot parse date '%s' (e.g. 2020-01-31)", s);
            return TR_ERR_INVALID;
        }
    }
    if (c->from && c->to && c->to < c->from) {
        tr_cfg_error(cfg, m, err, n, "'to' is before 'from'");
        return TR_ERR_INVALID;
    }
    if (c->to && c->to % TR_NS_PER_DAY == 0)
        c->to += TR_NS_PER_DAY - 1; /* a date means the whole day */
    return TR_OK;
}

static char *default_path(const char *name, const char *leaf)
{
    size_t len = strlen(name) + strlen(leaf) + 8;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "run/%s/%s", name, leaf);
    return p;
}

static int load_run(const tr_cfg *cfg, const tr_cfg_node *m, tr_bt_config *c,
                    char *err, size_t n)
{
    static const char *keys[] = {"journal", "database", "fsync",
                                 "fsync_interval_ms", "segment_mb",
                                 "snapshot_every", "feed", NULL};
    static const char *fkeys[] = {"type", "speed", "symbols", "seed", "bars",
                                  "interval", NULL};
    static const char *policies[] = {"always", "interval", "os", NULL};
    static const char *types[] = {"replay", "synthetic", NULL};
    static const char *intervals[] = {"1d", "1m", NULL};
    tr_run_section *r = &c->run;
    r->fsync = TR_FSYNC_INTERVAL;
    r->fsync_interval_ms = 10;
    r->speed = 0;
    r->synth_symbols = 3;
    r->synth_seed = 1;
    r->synth_bars = 100000;
    if (m)
        CHECK_RC(tr_cfg_check_keys(cfg, m, keys, err, n));
    const char *s;
    CHECK_RC(tr_cfg_str(cfg, m, "journal", NULL, &s, err, n));
    r->journal = s ? strdup(s) : default_path(c->name, "journal");
    CHECK_RC(tr_cfg_str(cfg, m, "database", NULL, &s, err, n));
    r->database = s ? strdup(s) : default_path(c->name, "trader.db");
    if (!r->journal || !r->database)
        return TR_ERR_NOMEM;
    int v;
    CHECK_RC(tr_cfg_enum(cfg, m, "fsync", policies, 1, &v, err, n));
    r->fsync = (tr_fsync_policy)v;
    int64_t i;
    CHECK_RC(tr_cfg_int(cfg, m, "fsync_interval_ms", 10, 1, 60000, &i, err, n));
    r->fsync_interval_ms = (uint32_t)i;
    CHECK_RC(tr_cfg_int(cfg, m, "segment_mb", 64, 1, 4096, &i, err, n));
    r->segment_bytes = (uint64_t)i << 20;
    CHECK_RC(tr_cfg_int(cfg, m, "snapshot_every", 10000, 0, INT64_MAX, &i, err,
                        n));
    r->snapshot_every = (uint64_t)i;
    const tr_cfg_node *f = tr_cfg_get(m, "feed");
    if (f) {
        CHECK_RC(tr_cfg_check_keys(cfg, f, fkeys, err, n));
        CHECK_RC(tr_cfg_enum(cfg, f, "type", types, 0, &v, err, n));
        r->feed = (tr_feed_kind)v;
        /* speed: a number, or "max" for as fast as possible */
        const char *sp;
        CHECK_RC(tr_cfg_str(cfg, f, "speed", "max", &sp, err, n));
        if (strcmp(sp, "max") != 0)
            CHECK_RC(tr_cfg_num(cfg, f, "speed", 1, 1e-6, 1e9, &r->speed, err,
                                n));
        CHECK_RC(tr_cfg_int(cfg, f, "symbols", 3, 1, TR_BT_MAX_SYMBOLS, &i,
                            err, n));
        r->synth_symbols = (uint32_t)i;
        CHECK_RC(tr_cfg_int(cfg, f, "seed", 1, 0, INT64_MAX, &i, err, n));
        r->synth_seed = (uint64_t)i;
        CHECK_RC(tr_cfg_int(cfg, f, "bars", 100000, 1, 100000000, &i, err, n));
        r->synth_bars = (size_t)i;
        CHECK_RC(tr_cfg_enum(cfg, f, "interval", intervals, 1, &v, err, n));
        r->synth_minute = v == 1;
    }
    return TR_OK;
}

/* The rate limiter's own bound (api/auth.h: TR_RATELIMIT_MAX). */
#define TR_API_RATE_LIMIT_MAX 1000000

/* The key store lives beside the database unless the config says. */
static char *sibling_path(const char *path, const char *leaf)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    size_t len = dir + strlen(leaf) + 1;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%.*s%s", (int)dir, path, leaf);
    return p;
}

static int load_api(const tr_cfg *cfg, const tr_cfg_node *m, tr_bt_config *c,
                    char *err, size_t n)
{
    static const char *keys[] = {"enabled",     "listen",     "keys",
                                 "tls_cert",    "tls_key",    "web",
                                 "rate_limit",  "max_body_kb", "workers",
                                 "metrics_public", NULL};
    tr_api_section *a = &c->api;
    if (!m)
        return TR_OK;
    CHECK_RC(tr_cfg_check_keys(cfg, m, keys, err, n));
    int b;
    CHECK_RC(tr_cfg_bool(cfg, m, "enabled", 1, &b, err, n));
    a->enabled = b;
    const char *s;
    CHECK_RC(tr_cfg_str(cfg, m, "listen", "127.0.0.1:8080", &s, err, n));
    const char *colon = strrchr(s, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == s || !end || *end || end == colon + 1 || port < 0 ||
        port > 65535) {
        tr_cfg_error(cfg, tr_cfg_get(m, "listen"), err, n,
                     "'%s' is not HOST:PORT (e.g. 127.0.0.1:8080; port 0 "
                     "picks a free one)", s);
        return TR_ERR_INVALID;
    }
    a->host = strndup(s, (size_t)(colon - s));
    a->port = (int)port;
    CHECK_RC(tr_cfg_str(cfg, m, "keys", NULL, &s, err, n));
    a->keys = s ? strdup(s) : sibling_path(c->run.database, "keys.db");
    if (!a->host || !a->keys)
        return TR_ERR_NOMEM;
    CHECK_RC(tr_cfg_str(cfg, m, "tls_cert", NULL, &s, err, n));
    a->tls_cert = s ? strdup(s) : NULL;
    CHECK_RC(tr_cfg_str(cfg, m, "tls_key", NULL, &s, err, n));
    a->tls_key = s ? strdup(s) : NULL;
    if (!a->tls_cert != !a->tls_key) {
        tr_cfg_error(cfg, m, err, n, "TLS needs both tls_cert and tls_key");
        return TR_ERR_INVALID;
    }
    CHECK_RC(tr_cfg_str(cfg, m, "web", NULL, &s, err, n));
    a->web = s ? strdup(s) : NULL;
    int64_t i;
    CHECK_RC(tr_cfg_int(cfg, m, "rate_limit", 100, 1, TR_API_RATE_LIMIT_MAX, &i,
                        err, n));
    a->rate_limit = (uint32_t)i;
    CHECK_RC(tr_cfg_int(cfg, m, "max_body_kb", 1024, 1, 65536, &i, err, n));
    a->max_body_kb = (uint32_t)i;
    CHECK_RC(tr_cfg_int(cfg, m, "workers", 2, 1, 64, &i, err, n));
    a->workers = (uint32_t)i;
    CHECK_RC(tr_cfg_bool(cfg, m, "metrics_public", 1, &b, err, n));
    a->metrics_public = b;
    return TR_OK;
}

static int load_all(const tr_cfg *cfg, tr_bt_config *c, char *err, size_t n)
{
    static const char *keys[] = {"cash",  "data",  "strategy", "sizing",
                                 "exits", "costs", "fills",    "risk",
                                 "backtest", "run", "api", NULL};
    const tr_cfg_node *root = tr_cfg_root(cfg);
    if (!root) {
        snprintf(err, n, "%s: the config is empty (see config/*.yaml for "
                 "examples)", tr_cfg_file(cfg));
        return TR_ERR_INVALID;
    }
    CHECK_RC(tr_cfg_check_keys(cfg, root, keys, err, n));
    tr_engine_cfg *e = &c->engine;
    CHECK_RC(tr_cfg_fx(cfg, root, "cash", 100000 * TR_FX_ONE, 1, TR_FX_MAX,
                       &e->cash, err, n));
    CHECK_RC(load_run(cfg, tr_cfg_get(root, "run"), c, err, n));
    CHECK_RC(load_api(cfg, tr_cfg_get(root, "api"), c, err, n));
    const tr_cfg_node *data = tr_cfg_get(root, "data");
    if (c->run.feed == TR_FEED_SYNTHETIC) {
        /* The generator names the instruments; data: is not used. */
        c->ndata = c->run.synth_symbols;
        c->data = calloc(c->ndata, sizeof *c->data);
        if (!c->data)
            return TR_ERR_NOMEM;
        for (size_t i = 0; i < c->ndata; i++)
            tr_gen_symbol((unsigned)i, c->data[i].symbol,
                          sizeof c->data[i].symbol);
    } else if (!data) {
        tr_cfg_error(cfg, root, err, n, "missing required key 'data'");
        return TR_ERR_INVALID;
    } else {
        CHECK_RC(load_data(cfg, data, c, err, n));
    }
    e->nsyms = c->ndata;
    const tr_cfg_node *strat = tr_cfg_get(root, "strategy");
    if (!strat) {
        tr_cfg_error(cfg, root, err, n, "missing required key 'strategy'");
        return TR_ERR_INVALID;
    }
    CHECK_RC(load_strategy(cfg, strat, e, err, n));
    tr_risk_cfg_default(&e->risk);
    CHECK_RC(load_sizing(cfg, tr_cfg_get(root, "sizing"), &e->risk, err, n));
    CHECK_RC(load_exits(cfg, tr_cfg_get(root, "exits"), &e->risk, err, n));
    CHECK_RC(load_risk(cfg, tr_cfg_get(root, "risk"), &e->risk, err, n));
    CHECK_RC(load_costs(cfg, tr_cfg_get(root, "costs"), &e->fill, err, n));
    CHECK_RC(load_fills(cfg, tr_cfg_get(root, "fills"), &e->fill, err, n));
    e->risk.tick_size = e->fill.costs.tick_size;
    CHECK_RC(load_range(cfg, tr_cfg_get(root, "backtest"), c, err, n));
    return TR_OK;
}

int tr_bt_config_load(const char *path, tr_bt_config *c, char *err,
                      size_t errlen)
{
    memset(c, 0, sizeof *c);
    tr_cfg *cfg;
    int rc = tr_cfg_load_file(path, &cfg, err, errlen);
    if (rc != TR_OK)
        return rc;
    c->path = strdup(path);
    const char *base = strrchr(path, '/');
    c->name = strdup(base ? base + 1 : path);
    if (!c->path || !c->name) {
        tr_cfg_free(cfg);
        tr_bt_config_free(c);
        return TR_ERR_NOMEM;
    }
    char *dot = strrchr(c->name, '.');
    if (dot && dot != c->name)
        *dot = '\0';
    rc = load_all(cfg, c, err, errlen);
    tr_cfg_free(cfg);
    if (rc != TR_OK)
        tr_bt_config_free(c);
    return rc;
}

void tr_bt_config_free(tr_bt_config *c)
{
    for (size_t i = 0; i < c->ndata; i++)
        free(c->data[i].path);
    free(c->data);
    free(c->name);
    free(c->path);
    free(c->run.journal);
    free(c->run.database);
    free(c->api.host);
    free(c->api.keys);
    free(c->api.tls_cert);
    free(c->api.tls_key);
    free(c->api.web);
    memset(c, 0, sizeof *c);
}

/* ---- collecting records --------------------------------------------------- */

#define VEC_PUSH(vec, item)                                                    \
    do {                                                                       \
        if ((vec).n == (vec).cap) {                                            \
            size_t cap_ = (vec).cap ? (vec).cap * 2 : 1024;                    \
            void *v_ = realloc((vec).v, cap_ * sizeof *(vec).v);               \
            if (!v_) {                                                         \
                run->nomem = 1;                                                \
                return;                                                        \
            }                                                                  \
            (vec).v = v_;                                                      \
            (vec).cap = cap_;                                                  \
        }                                                                      \
        (vec).v[(vec).n++] = (item);                                           \
    } while (0)

typedef struct run_ctx {
    tr_bt_result *res;
    int nomem;
} run_ctx;

static void rec_signal(void *ctx, const tr_signal *sig, const tr_risk_plan *p)
{
    run_ctx *run = ctx;
    if (p->reason == TR_RISK_NOTHING_TO_DO)
        return;
    tr_bt_signal s = {.sig = *sig, .reason = p->reason};
    memcpy(s.detail, p->detail, sizeof s.detail);
    VEC_PUSH(run->res->signals, s);
}

static void rec_fill(void *ctx, const tr_fill *f)
{
    run_ctx *run = ctx;
    VEC_PUSH(run->res->fills, *f);
}

static void rec_equity(void *ctx, const tr_equity_point *pt)
{
    run_ctx *run = ctx;
    VEC_PUSH(run->res->equity, *pt);
}

static void rec_alert(void *ctx, const tr_risk_alert *a)
{
    run_ctx *run = ctx;
    VEC_PUSH(run->res->alerts, *a);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* run time only, never engine state */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Merge the series by time and step the engine. */
static int drive(tr_engine *e, tr_bars *bars, size_t nsyms,
                 tr_bt_progress_fn progress, void *pctx, tr_bt_result *res)
{
    tr_sym *syms = malloc(nsyms * sizeof *syms);
    tr_bar *step = malloc(nsyms * sizeof *step);
    tr_merge m;
    if (!syms || !step || tr_merge_init(&m, bars, nsyms) != TR_OK) {
        free(syms), free(step);
        return TR_ERR_NOMEM;
    }
    size_t total = 0, done = 0, next_report = 0, longest = 0;
    for (size_t s = 0; s < nsyms; s++) {
        total += bars[s].n;
        longest = bars[s].n > longest ? bars[s].n : longest;
    }
    res->bars_total = total;
    /* One equity point per step: at least the longest series' bars. A
     * long run asks for huge pages: a 10-million-bar run would otherwise
     * spend a tenth of its time in page faults. */
    size_t bytes = (longest ? longest : 1) * sizeof(tr_equity_point);
    tr_equity_point *eq = NULL;
    if (bytes >= ((size_t)8 << 20)) {
        void *p = NULL;
        if (posix_memalign(&p, (size_t)2 << 20, bytes) == 0) {
            madvise(p, bytes, MADV_HUGEPAGE); /* a hint; failure is fine */
            eq = p;
        }
    } else {
        eq = malloc(bytes);
    }
    if (eq) {
        res->equity.v = eq;
        res->equity.cap = longest ? longest : 1;
    }
    int rc = TR_OK;
    tr_time t, prev = INT64_MIN;
    size_t k;
    while (rc == TR_OK && (k = tr_merge_next(&m, &t, syms, step)) > 0) {
        tr_timer_kind kinds[2];
        tr_time when[2];
        size_t nt = tr_engine_timers_due(prev, t, kinds, when);
        for (size_t i = 0; i < nt && rc == TR_OK; i++)
            rc = tr_engine_timer(e, kinds[i], when[i]);
        prev = t;
        /* The bars are copies: a strategy cannot index into the series
         * and read the next bar. */
        if (rc == TR_OK)
            rc = tr_engine_step(e, t, syms, step, k);
        res->steps++;
        done += k;
        if (progress && done >= next_report) {
            progress(pctx, done, total);
            next_report = done + total / 100 + 1;
        }
    }
    if (progress && rc == TR_OK)
        progress(pctx, done, total);
    tr_merge_free(&m);
    free(syms), free(step);
    return rc;
}

static int run_engine(const tr_engine_cfg *cfg, tr_bars *bars, size_t nsyms,
                      tr_bt_progress_fn progress, void *pctx,
                      tr_bt_result *res, char *err, size_t errlen)
{
    run_ctx run = {res, 0};
    tr_engine_sink sink = {&run, rec_signal, NULL, rec_fill, rec_equity,
                           rec_alert};
    tr_engine *e;
    int rc = tr_engine_new(cfg, &sink, &e, err, errlen);
    if (rc != TR_OK)
        return rc;
    double t0 = now_seconds();
    rc = drive(e, bars, nsyms, progress, pctx, res);
    res->seconds = now_seconds() - t0;
    if (rc == TR_OK && run.nomem)
        rc = TR_ERR_NOMEM;
    if (rc == TR_OK)
        rc = tr_engine_finish(e);
    if (rc != TR_OK) {
        snprintf(err, errlen, "%s",
                 rc == TR_ERR_RANGE ? "an amount left the fixed-point range "
                                      "(+-92 billion): the run was stopped"
                 : rc == TR_ERR_DATA ? "accounting invariant broken: please "
                                       "report this as a bug"
                                     : tr_strerror(rc));
        tr_engine_free(e);
        return rc;
    }
    /* Keep copies of what the engine owns. */
    res->orders = tr_paper_take_orders(tr_engine_broker_mut(e), &res->norders);
    const tr_trade_log *tl = tr_engine_trades(e);
    res->ntrades = tl->n;
    res->trades = malloc((tl->n ? tl->n : 1) * sizeof *res->trades);
    res->sym_stats = calloc(nsyms, sizeof *res->sym_stats);
    if (!res->trades || !res->sym_stats) {
        tr_engine_free(e);
        return TR_ERR_NOMEM;
    }
    if (tl->n)
        memcpy(res->trades, tl->v, tl->n * sizeof *tl->v);
    const tr_portfolio *p = tr_engine_portfolio(e);
    res->final_cash = p->cash;
    res->final_equity = tr_portfolio_equity(p);
    tr_engine_free(e);

    if (res->equity.n > 0) {
        rc = tr_stats_compute(res->equity.v, res->equity.n, res->trades,
                              res->ntrades, res->fills.v, res->fills.n,
                              &res->stats);
        for (size_t s = 0; s < nsyms && rc == TR_OK; s++)
            rc = tr_stats_symbol((tr_sym)s, cfg->cash, bars[s].n, res->trades,
                                 res->ntrades, res->fills.v, res->fills.n,
                                 &res->sym_stats[s]);
        if (rc != TR_OK) {
            snprintf(err, errlen, "statistics: %s", tr_strerror(rc));
            return rc;
        }
    }
    return TR_OK;
}

static int make_symbols(tr_bt_result *res, const char *const *names,
                        size_t nsyms)
{
    res->symbols = tr_symtab_new();
    if (!res->symbols)
        return TR_ERR_NOMEM;
    for (size_t i = 0; i < nsyms; i++) {
        tr_sym id;
        int rc = tr_symtab_intern(res->symbols, names[i], &id);
        if (rc != TR_OK)
            return rc;
    }
    return TR_OK;
}

int tr_bt_run_bars(const tr_engine_cfg *cfg, const char *const *symbols,
                   tr_bars *bars, size_t nsyms, tr_bt_result *out, char *err,
                   size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->nsyms = nsyms;
    int rc = make_symbols(out, symbols, nsyms);
    if (rc != TR_OK)
        return rc;
    out->bars = bars; /* borrowed: not freed by tr_bt_result_free */
    return run_engine(cfg, bars, nsyms, NULL, NULL, out, err, errlen);
}

typedef struct bad_rows {
    size_t count;
} bad_rows;

static void on_bad_row(void *ctx, const char *file, size_t line,
                       const char *reason)
{
    bad_rows *b = ctx;
    if (b->count++ < 20) /* the first ones are enough to act on */
        fprintf(stderr, "%s:%zu: %s\n", file, line, reason);
}

int tr_bt_load_bars(const tr_bt_config *cfg, tr_bars *bars, char *err,
                    size_t errlen)
{
    for (size_t i = 0; i < cfg->ndata; i++) {
        bad_rows b = {0};
        if (cfg->run.feed == TR_FEED_SYNTHETIC) {
            tr_gen_opts o = {.seed = cfg->run.synth_seed,
                             .bars = cfg->run.synth_bars,
                             .interval = cfg->run.synth_minute ? TR_GEN_1M
                                                               : TR_GEN_1D};
            tr_time_parse(cfg->run.synth_minute ? "2024-01-02" : "2000-01-03",
                          10, &o.start);
            int rc = tr_gen_series(&o, (unsigned)i, &bars[i]);
            if (rc != TR_OK) {
                snprintf(err, errlen, "synthetic feed: %s", tr_strerror(rc));
                return rc;
            }
            continue;
        }
        tr_csv_opts opts = {.report = on_bad_row, .report_ctx = &b};
        int rc = tr_csv_read_file(cfg->data[i].path, &opts, &bars[i], NULL);
        if (rc == TR_ERR_DATA) {
            snprintf(err, errlen, "%s: %zu bad row%s%s: fix the data (trader "
                     "data check %s lists every problem)", cfg->data[i].path,
                     b.count, b.count == 1 ? "" : "s",
                     b.count > 20 ? " (first 20 shown)" : "",
                     cfg->data[i].path);
            return rc;
        }
        if (rc != TR_OK) {
            snprintf(err, errlen, "%s: %s", cfg->data[i].path,
                     rc == TR_ERR_NOMEM ? tr_strerror(rc) : strerror(errno));
            return rc;
        }
        if (cfg->from || cfg->to) { /* keep [from, to] */
            size_t k = 0;
            for (size_t j = 0; j < bars[i].n; j++) {
                tr_time t = bars[i].v[j].time;
                if ((cfg->from && t < cfg->from) || (cfg->to && t > cfg->to))
                    continue;
                bars[i].v[k] = bars[i].v[j];
                if (bars[i].adj_close)
                    bars[i].adj_close[k] = bars[i].adj_close[j];
                k++;
            }
            bars[i].n = k;
        }
        if (bars[i].n == 0) {
            snprintf(err, errlen, "%s: no bars%s", cfg->data[i].path,
                     cfg->from || cfg->to ? " in the backtest's date range"
                                          : "");
            return TR_ERR_DATA;
        }
    }
    return TR_OK;
}

int tr_bt_run(const tr_bt_config *cfg, tr_bt_progress_fn progress,
              void *progress_ctx, tr_bt_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t n = cfg->ndata;
    out->nsyms = n;
    const char **names = malloc(n * sizeof *names);
    tr_bars *bars = calloc(n, sizeof *bars);
    if (!names || !bars) {
        free(names), free(bars);
        return TR_ERR_NOMEM;
    }
    out->bars = bars;
    out->owns_bars = 1;
    for (size_t i = 0; i < n; i++)
        names[i] = cfg->data[i].symbol;
    int rc = make_symbols(out, names, n);
    free(names);
    if (rc != TR_OK)
        return rc;
    rc = tr_bt_load_bars(cfg, bars, err, errlen);
    if (rc != TR_OK)
        return rc;
    return run_engine(&cfg->engine, bars, n, progress, progress_ctx, out, err,
                      errlen);
}

void tr_bt_result_free(tr_bt_result *r)
{
    if (r->owns_bars)
        for (size_t i = 0; i < r->nsyms; i++)
            tr_bars_free(&r->bars[i]);
    if (r->owns_bars)
        free(r->bars);
    tr_symtab_free(r->symbols);
    free(r->equity.v);
    free(r->fills.v);
    free(r->signals.v);
    free(r->alerts.v);
    free(r->orders);
    free(r->trades);
    free(r->sym_stats);
    memset(r, 0, sizeof *r);
}
