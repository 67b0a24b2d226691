/* spec.c: indicators built from spec strings (see spec.h).
 *
 * One table describes every indicator: its name, parameters (with their
 * names for messages, defaults and kinds), and output columns. Parsing fills
 * the parameters, validates them, and initialises the typed indicator held
 * in a union; updates dispatch on the kind. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "ind/dmi.h"
#include "ind/ind_int.h"
#include "ind/ma.h"
#include "ind/momentum.h"
#include "ind/spec.h"
#include "ind/volatility.h"
#include "ind/volume.h"

typedef enum kind {
    K_SMA, K_EMA, K_WMA, K_RSI, K_MACD, K_BBANDS, K_ATR, K_NATR, K_TRANGE,
    K_ADX, K_PLUS_DI, K_MINUS_DI, K_STOCH, K_OBV, K_CCI, K_WILLR, K_MFI,
    K_ROC, K_MOM, K_STDDEV, K_VWAP
} kind;

#define MAX_PARAMS 3
#define MAX_COLS   3
#define NAME_LEN   96

typedef struct param_def {
    const char *what; /* for messages: "period", "fast period", ... */
    double def;
    int integer;      /* 1: a period (integer >= 1); 0: a number >= 0 */
} param_def;

typedef struct ind_def {
    const char *name;
    kind k;
    size_t nparams;
    param_def p[MAX_PARAMS];
    size_t ncols;
    const char *cols[MAX_COLS]; /* column name = col + "_" + params */
} ind_def;

#define PERIOD(d) {"period", d, 1}

static const ind_def defs[] = {
    {"sma", K_SMA, 1, {PERIOD(20)}, 1, {"sma"}},
    {"ema", K_EMA, 1, {PERIOD(20)}, 1, {"ema"}},
    {"wma", K_WMA, 1, {PERIOD(20)}, 1, {"wma"}},
    {"rsi", K_RSI, 1, {PERIOD(14)}, 1, {"rsi"}},
    {"macd", K_MACD, 3,
     {{"fast period", 12, 1}, {"slow period", 26, 1}, {"signal period", 9, 1}},
     3, {"macd", "macd_signal", "macd_hist"}},
    {"bbands", K_BBANDS, 2, {PERIOD(20), {"deviation multiplier", 2, 0}}, 3,
     {"bbands_upper", "bbands_middle", "bbands_lower"}},
    {"atr", K_ATR, 1, {PERIOD(14)}, 1, {"atr"}},
    {"natr", K_NATR, 1, {PERIOD(14)}, 1, {"natr"}},
    {"trange", K_TRANGE, 0, {{0}}, 1, {"trange"}},
    {"adx", K_ADX, 1, {PERIOD(14)}, 1, {"adx"}},
    {"plus_di", K_PLUS_DI, 1, {PERIOD(14)}, 1, {"plus_di"}},
    {"minus_di", K_MINUS_DI, 1, {PERIOD(14)}, 1, {"minus_di"}},
    {"stoch", K_STOCH, 3,
     {{"fast K period", 14, 1}, {"slow K period", 3, 1},
      {"slow D period", 3, 1}},
     2, {"stoch_slowk", "stoch_slowd"}},
    {"obv", K_OBV, 0, {{0}}, 1, {"obv"}},
    {"cci", K_CCI, 1, {PERIOD(20)}, 1, {"cci"}},
    {"willr", K_WILLR, 1, {PERIOD(14)}, 1, {"willr"}},
    {"mfi", K_MFI, 1, {PERIOD(14)}, 1, {"mfi"}},
    {"roc", K_ROC, 1, {PERIOD(10)}, 1, {"roc"}},
    {"mom", K_MOM, 1, {PERIOD(10)}, 1, {"mom"}},
    {"stddev", K_STDDEV, 1, {PERIOD(20)}, 1, {"stddev"}},
    {"vwap", K_VWAP, 0, {{0}}, 1, {"vwap"}},
};

#define NDEFS (sizeof defs / sizeof defs[0])

/* Same order as defs. */
static const tr_ind_info catalog[] = {
    {"sma[:N=20]", "sma_N", "simple moving average of close"},
    {"ema[:N=20]", "ema_N",
     "exponential MA of close, k=2/(N+1), SMA seed"},
    {"wma[:N=20]", "wma_N", "linearly weighted moving average of close"},
    {"rsi[:N=14]", "rsi_N", "relative strength index (Wilder), 0..100"},
    {"macd[:F=12[:S=26[:G=9]]]",
     "macd_F_S_G, macd_signal_F_S_G, macd_hist_F_S_G",
     "MACD line, signal EMA(G) and histogram (F < S)"},
    {"bbands[:N=20[:K=2]]",
     "bbands_upper_N_K, bbands_middle_N_K, bbands_lower_N_K",
     "Bollinger Bands: SMA(N) +- K population sd"},
    {"atr[:N=14]", "atr_N", "average true range (Wilder)"},
    {"natr[:N=14]", "natr_N", "ATR as a percentage of close"},
    {"trange", "trange", "true range"},
    {"adx[:N=14]", "adx_N", "average directional index (Wilder)"},
    {"plus_di[:N=14]", "plus_di_N", "plus directional indicator"},
    {"minus_di[:N=14]", "minus_di_N", "minus directional indicator"},
    {"stoch[:K=14[:SK=3[:SD=3]]]", "stoch_slowk_K_SK_SD, stoch_slowd_K_SK_SD",
     "slow stochastic %K and %D (SMA smoothing), 0..100"},
    {"obv", "obv", "on-balance volume"},
    {"cci[:N=20]", "cci_N", "commodity channel index"},
    {"willr[:N=14]", "willr_N", "Williams %R, -100..0"},
    {"mfi[:N=14]", "mfi_N", "money flow index, 0..100"},
    {"roc[:N=10]", "roc_N", "rate of change of close, percent"},
    {"mom[:N=10]", "mom_N", "momentum: close - close N bars ago"},
    {"stddev[:N=20]", "stddev_N", "population standard deviation of close"},
    {"vwap", "vwap", "session VWAP of the typical price (UTC day)"},
};

_Static_assert(sizeof catalog / sizeof catalog[0] == NDEFS,
               "one catalog entry per indicator");

struct tr_ind {
    const ind_def *def;
    size_t seen;
    size_t warm[MAX_COLS];
    double val[MAX_COLS];
    char names[MAX_COLS][NAME_LEN];
    char spec[NAME_LEN];
    union {
        tr_ind_sma sma;
        tr_ind_ema ema;
        tr_ind_wma wma;
        tr_ind_rsi rsi;
        tr_ind_macd macd;
        tr_ind_bbands bbands;
        tr_ind_atr atr;
        tr_ind_natr natr;
        tr_ind_trange trange;
        tr_ind_adx adx;
        tr_ind_stoch stoch;
        tr_ind_obv obv;
        tr_ind_cci cci;
        tr_ind_willr willr;
        tr_ind_mfi mfi;
        tr_ind_roc roc;
        tr_ind_mom mom;
        tr_ind_stddev stddev;
        tr_ind_vwap vwap;
    } u;
};

const tr_ind_info *tr_ind_catalog(size_t *count)
{
    *count = NDEFS;
    return catalog;
}

__attribute__((format(printf, 3, 4))) static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return TR_ERR_INVALID;
}

/* "sma, ema, ..." for the unknown-indicator message. */
static void known_names(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NDEFS && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         defs[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* A period: decimal digits only, 1..TR__IND_MAX_PERIOD. Returns 0, -1 when
 * malformed or < 1, 1 when too large. */
static int parse_period(const char *s, size_t len, double *out)
{
    if (len == 0)
        return -1;
    size_t v = 0;
    int big = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (!big) {
            v = v * 10 + (size_t)(s[i] - '0');
            big = v > TR__IND_MAX_PERIOD;
        }
    }
    if (big)
        return 1;
    if (v < 1)
        return -1;
    *out = (double)v;
    return 0;
}

/* A multiplier: a finite decimal number >= 0, nothing else around it. */
static int parse_number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (!(isdigit((unsigned char)buf[0]) || buf[0] == '.'))
        return -1; /* no sign, space, "inf", "nan", hex floats below */
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0' || errno || !isfinite(v) || v < 0.0 ||
        strpbrk(buf, "xX"))
        return -1;
    *out = v;
    return 0;
}

/* Shortest of %.15g / %.17g that reads back as v. */
static void format_number(double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, size, "%.17g", v);
}

static size_t col_warmup_of(const tr_ind *ind, size_t col)
{
    switch (ind->def->k) {
    case K_SMA: return tr_ind_sma_warmup(&ind->u.sma);
    case K_EMA: return tr_ind_ema_warmup(&ind->u.ema);
    case K_WMA: return tr_ind_wma_warmup(&ind->u.wma);
    case K_RSI: return tr_ind_rsi_warmup(&ind->u.rsi);
    case K_MACD: return tr_ind_macd_warmup(&ind->u.macd);
    case K_BBANDS: return tr_ind_bbands_warmup(&ind->u.bbands);
    case K_ATR: return tr_ind_atr_warmup(&ind->u.atr);
    case K_NATR: return tr_ind_natr_warmup(&ind->u.natr);
    case K_TRANGE: return tr_ind_trange_warmup(&ind->u.trange);
    case K_ADX: return tr_ind_adx_warmup(&ind->u.adx);
    case K_PLUS_DI:
    case K_MINUS_DI: return tr_ind_adx_di_warmup(&ind->u.adx);
    case K_STOCH: return tr_ind_stoch_warmup(&ind->u.stoch);
    case K_OBV: return tr_ind_obv_warmup(&ind->u.obv);
    case K_CCI: return tr_ind_cci_warmup(&ind->u.cci);
    case K_WILLR: return tr_ind_willr_warmup(&ind->u.willr);
    case K_MFI: return tr_ind_mfi_warmup(&ind->u.mfi);
    case K_ROC: return tr_ind_roc_warmup(&ind->u.roc);
    case K_MOM: return tr_ind_mom_warmup(&ind->u.mom);
    case K_STDDEV: return tr_ind_stddev_warmup(&ind->u.stddev);
    case K_VWAP: return tr_ind_vwap_warmup(&ind->u.vwap);
    }
    (void)col;
    return 0;
}

/* Initialise the typed indicator from the parsed parameters p[]. */
static int init_kind(tr_ind *ind, const double *p)
{
    size_t n = (size_t)p[0];
    switch (ind->def->k) {
    case K_SMA: return tr_ind_sma_init(&ind->u.sma, n);
    case K_EMA: return tr_ind_ema_init(&ind->u.ema, n);
    case K_WMA: return tr_ind_wma_init(&ind->u.wma, n);
    case K_RSI: return tr_ind_rsi_init(&ind->u.rsi, n);
    case K_MACD:
        return tr_ind_macd_init(&ind->u.macd, n, (size_t)p[1], (size_t)p[2]);
    case K_BBANDS: return tr_ind_bbands_init(&ind->u.bbands, n, p[1]);
    case K_ATR: return tr_ind_atr_init(&ind->u.atr, n);
    case K_NATR: return tr_ind_natr_init(&ind->u.natr, n);
    case K_TRANGE: return tr_ind_trange_init(&ind->u.trange);
    case K_ADX:
    case K_PLUS_DI:
    case K_MINUS_DI: return tr_ind_adx_init(&ind->u.adx, n);
    case K_STOCH:
        return tr_ind_stoch_init(&ind->u.stoch, n, (size_t)p[1],
                                 (size_t)p[2]);
    case K_OBV: return tr_ind_obv_init(&ind->u.obv);
    case K_CCI: return tr_ind_cci_init(&ind->u.cci, n);
    case K_WILLR: return tr_ind_willr_init(&ind->u.willr, n);
    case K_MFI: return tr_ind_mfi_init(&ind->u.mfi, n);
    case K_ROC: return tr_ind_roc_init(&ind->u.roc, n);
    case K_MOM: return tr_ind_mom_init(&ind->u.mom, n);
    case K_STDDEV: return tr_ind_stddev_init(&ind->u.stddev, n);
    case K_VWAP: return tr_ind_vwap_init(&ind->u.vwap);
    }
    return TR_ERR_INVALID;
}

int tr_ind_parse(const char *spec, tr_ind **out, char *err, size_t errlen)
{
    if (!spec || !*spec)
        return fail(err, errlen,
                    "empty indicator spec (expected e.g. sma:20; "
                    "see 'trader indicators --help')");

    /* The name: up to the first ':'. */
    size_t nlen = strcspn(spec, ":");
    const ind_def *def = NULL;
    for (size_t i = 0; i < NDEFS && !def; i++)
        if (strlen(defs[i].name) == nlen &&
            !strncasecmp(spec, defs[i].name, nlen))
            def = &defs[i];
    if (!def) {
        char known[256];
        known_names(known, sizeof known);
        return fail(err, errlen, "unknown indicator '%.*s' (known: %s)",
                    (int)(nlen > 64 ? 64 : nlen), spec, known);
    }
    const tr_ind_info *info = &catalog[def - defs];

    /* The parameters: each ':'-separated field, defaults for the rest. */
    double p[MAX_PARAMS] = {0};
    for (size_t i = 0; i < def->nparams; i++)
        p[i] = def->p[i].def;
    const char *s = spec + nlen;
    size_t np = 0;
    while (*s == ':') {
        s++;
        size_t len = strcspn(s, ":");
        if (np == def->nparams) {
            if (def->nparams == 0)
                return fail(err, errlen,
                            "%s: takes no parameters, got '%s'", def->name,
                            spec);
            return fail(err, errlen,
                        "%s: too many parameters in '%s' (expected %s)",
                        def->name, spec, info->syntax);
        }
        const param_def *pd = &def->p[np];
        int bad = pd->integer ? parse_period(s, len, &p[np])
                              : parse_number(s, len, &p[np]);
        int shown = (int)(len > 64 ? 64 : len);
        if (bad < 0 && pd->integer)
            return fail(err, errlen,
                        "%s: %s must be an integer >= 1, got '%.*s'",
                        def->name, pd->what, shown, s);
        if (bad < 0)
            return fail(err, errlen,
                        "%s: %s must be a number >= 0, got '%.*s'",
                        def->name, pd->what, shown, s);
        if (bad > 0)
            return fail(err, errlen, "%s: %s must be at most %zu, got '%.*s'",
                        def->name, pd->what, TR__IND_MAX_PERIOD, shown, s);
        np++;
        s += len;
    }
    if (def->k == K_MACD && p[0] >= p[1])
        return fail(err, errlen,
                    "macd: fast period (%.0f) must be less than slow period "
                    "(%.0f)",
                    p[0], p[1]);

    tr_ind *ind = calloc(1, sizeof *ind);
    if (!ind)
        goto nomem;
    ind->def = def;

    /* Canonical spec and column names: "name:p1:p2", "col_p1_p2". */
    char params[NAME_LEN] = "", canon[NAME_LEN] = "";
    size_t used = 0, cused = 0;
    for (size_t i = 0; i < def->nparams; i++) {
        char num[40];
        if (def->p[i].integer)
            snprintf(num, sizeof num, "%.0f", p[i]);
        else
            format_number(p[i], num, sizeof num);
        used += (size_t)snprintf(params + used, sizeof params - used, "_%s",
                                 num);
        cused += (size_t)snprintf(canon + cused, sizeof canon - cused, ":%s",
                                  num);
    }
    snprintf(ind->spec, sizeof ind->spec, "%s%s", def->name, canon);
    for (size_t c = 0; c < def->ncols; c++)
        snprintf(ind->names[c], sizeof ind->names[c], "%s%s", def->cols[c],
                 params);

    int rc = init_kind(ind, p);
    if (rc == TR_ERR_NOMEM) {
        free(ind);
        goto nomem;
    }
    if (rc) { /* the checks above should have caught it */
        free(ind);
        return fail(err, errlen, "%s: invalid parameters in '%s'", def->name,
                    spec);
    }
    for (size_t c = 0; c < def->ncols; c++) {
        ind->warm[c] = col_warmup_of(ind, c);
        ind->val[c] = NAN;
    }
    *out = ind;
    return TR_OK;
nomem:
    if (err && errlen)
        snprintf(err, errlen, "%s: out of memory", def->name);
    return TR_ERR_NOMEM;
}

void tr_ind_free(tr_ind *ind)
{
    if (!ind)
        return;
    switch (ind->def->k) {
    case K_SMA: tr_ind_sma_free(&ind->u.sma); break;
    case K_WMA: tr_ind_wma_free(&ind->u.wma); break;
    case K_BBANDS: tr_ind_bbands_free(&ind->u.bbands); break;
    case K_STOCH: tr_ind_stoch_free(&ind->u.stoch); break;
    case K_CCI: tr_ind_cci_free(&ind->u.cci); break;
    case K_WILLR: tr_ind_willr_free(&ind->u.willr); break;
    case K_MFI: tr_ind_mfi_free(&ind->u.mfi); break;
    case K_ROC: tr_ind_roc_free(&ind->u.roc); break;
    case K_MOM: tr_ind_mom_free(&ind->u.mom); break;
    case K_STDDEV: tr_ind_stddev_free(&ind->u.stddev); break;
    default: break; /* the others own no memory */
    }
    free(ind);
}

const char *tr_ind_spec(const tr_ind *ind)
{
    return ind->spec;
}

size_t tr_ind_columns(const tr_ind *ind)
{
    return ind->def->ncols;
}

const char *tr_ind_column_name(const tr_ind *ind, size_t col)
{
    return col < ind->def->ncols ? ind->names[col] : NULL;
}

void tr_ind_update(tr_ind *ind, const tr_ind_input *in)
{
    double *v = ind->val;
    ind->seen++;
    switch (ind->def->k) {
    case K_SMA: v[0] = tr_ind_sma_update(&ind->u.sma, in->close); break;
    case K_EMA: v[0] = tr_ind_ema_update(&ind->u.ema, in->close); break;
    case K_WMA: v[0] = tr_ind_wma_update(&ind->u.wma, in->close); break;
    case K_RSI: v[0] = tr_ind_rsi_update(&ind->u.rsi, in->close); break;
    case K_MACD: {
        tr_ind_macd_out o;
        tr_ind_macd_update(&ind->u.macd, in->close, &o);
        v[0] = o.macd;
        v[1] = o.signal;
        v[2] = o.hist;
        break;
    }
    case K_BBANDS: {
        tr_ind_bbands_out o;
        tr_ind_bbands_update(&ind->u.bbands, in->close, &o);
        v[0] = o.upper;
        v[1] = o.middle;
        v[2] = o.lower;
        break;
    }
    case K_ATR:
        v[0] = tr_ind_atr_update(&ind->u.atr, in->high, in->low, in->close);
        break;
    case K_NATR:
        v[0] = tr_ind_natr_update(&ind->u.natr, in->high, in->low, in->close);
        break;
    case K_TRANGE:
        v[0] = tr_ind_trange_update(&ind->u.trange, in->high, in->low,
                                    in->close);
        break;
    case K_ADX:
    case K_PLUS_DI:
    case K_MINUS_DI: {
        tr_ind_adx_out o;
        tr_ind_adx_update(&ind->u.adx, in->high, in->low, in->close, &o);
        v[0] = ind->def->k == K_ADX       ? o.adx
               : ind->def->k == K_PLUS_DI ? o.plus_di
                                          : o.minus_di;
        break;
    }
    case K_STOCH: {
        tr_ind_stoch_out o;
        tr_ind_stoch_update(&ind->u.stoch, in->high, in->low, in->close, &o);
        v[0] = o.slowk;
        v[1] = o.slowd;
        break;
    }
    case K_OBV:
        v[0] = tr_ind_obv_update(&ind->u.obv, in->close, in->volume);
        break;
    case K_CCI:
        v[0] = tr_ind_cci_update(&ind->u.cci, in->high, in->low, in->close);
        break;
    case K_WILLR:
        v[0] = tr_ind_willr_update(&ind->u.willr, in->high, in->low,
                                   in->close);
        break;
    case K_MFI:
        v[0] = tr_ind_mfi_update(&ind->u.mfi, in->high, in->low, in->close,
                                 in->volume);
        break;
    case K_ROC: v[0] = tr_ind_roc_update(&ind->u.roc, in->close); break;
    case K_MOM: v[0] = tr_ind_mom_update(&ind->u.mom, in->close); break;
    case K_STDDEV:
        v[0] = tr_ind_stddev_update(&ind->u.stddev, in->close);
        break;
    case K_VWAP:
        v[0] = tr_ind_vwap_update(&ind->u.vwap, in->time, in->high, in->low,
                                  in->close, in->volume);
        break;
    }
}

int tr_ind_ready(const tr_ind *ind, size_t col)
{
    return col < ind->def->ncols && ind->seen > ind->warm[col];
}

double tr_ind_value(const tr_ind *ind, size_t col)
{
    return tr_ind_ready(ind, col) ? ind->val[col] : NAN;
}

size_t tr_ind_column_warmup(const tr_ind *ind, size_t col)
{
    return col < ind->def->ncols ? ind->warm[col] : 0;
}

size_t tr_ind_warmup(const tr_ind *ind)
{
    size_t w = 0;
    for (size_t c = 0; c < ind->def->ncols; c++)
        if (ind->warm[c] > w)
            w = ind->warm[c];
    return w;
}

/* ---- snapshots ----------------------------------------------------------- */

void tr_ind_save(const tr_ind *ind, tr_enc *e)
{
    tr_enc_str(e, ind->spec, sizeof ind->spec);
    tr_enc_u64(e, ind->seen);
    for (size_t c = 0; c < MAX_COLS; c++)
        tr_enc_f64(e, ind->val[c]);
    switch (ind->def->k) {
    case K_SMA: tr_ind_sma_save(&ind->u.sma, e); break;
    case K_EMA: tr_ind_ema_save(&ind->u.ema, e); break;
    case K_WMA: tr_ind_wma_save(&ind->u.wma, e); break;
    case K_RSI: tr_ind_rsi_save(&ind->u.rsi, e); break;
    case K_MACD: tr_ind_macd_save(&ind->u.macd, e); break;
    case K_BBANDS: tr_ind_bbands_save(&ind->u.bbands, e); break;
    case K_ATR: tr_ind_atr_save(&ind->u.atr, e); break;
    case K_NATR: tr_ind_natr_save(&ind->u.natr, e); break;
    case K_TRANGE: tr_ind_trange_save(&ind->u.trange, e); break;
    case K_ADX:
    case K_PLUS_DI:
    case K_MINUS_DI: tr_ind_adx_save(&ind->u.adx, e); break;
    case K_STOCH: tr_ind_stoch_save(&ind->u.stoch, e); break;
    case K_OBV: tr_ind_obv_save(&ind->u.obv, e); break;
    case K_CCI: tr_ind_cci_save(&ind->u.cci, e); break;
    case K_WILLR: tr_ind_willr_save(&ind->u.willr, e); break;
    case K_MFI: tr_ind_mfi_save(&ind->u.mfi, e); break;
    case K_ROC: tr_ind_roc_save(&ind->u.roc, e); break;
    case K_MOM: tr_ind_mom_save(&ind->u.mom, e); break;
    case K_STDDEV: tr_ind_stddev_save(&ind->u.stddev, e); break;
    case K_VWAP: tr_ind_vwap_save(&ind->u.vwap, e); break;
    }
}

int tr_ind_load(tr_ind *ind, tr_dec *d)
{
    char spec[NAME_LEN];
    tr_dec_str(d, spec, sizeof spec);
    if (!tr_dec_check(d, strcmp(spec, ind->spec) == 0))
        return TR_ERR_DATA;
    ind->seen = (size_t)tr_dec_u64(d);
    for (size_t c = 0; c < MAX_COLS; c++)
        ind->val[c] = tr_dec_f64(d);
    switch (ind->def->k) {
    case K_SMA: return tr_ind_sma_load(&ind->u.sma, d);
    case K_EMA: return tr_ind_ema_load(&ind->u.ema, d);
    case K_WMA: return tr_ind_wma_load(&ind->u.wma, d);
    case K_RSI: return tr_ind_rsi_load(&ind->u.rsi, d);
    case K_MACD: return tr_ind_macd_load(&ind->u.macd, d);
    case K_BBANDS: return tr_ind_bbands_load(&ind->u.bbands, d);
    case K_ATR: return tr_ind_atr_load(&ind->u.atr, d);
    case K_NATR: return tr_ind_natr_load(&ind->u.natr, d);
    case K_TRANGE: return tr_ind_trange_load(&ind->u.trange, d);
    case K_ADX:
    case K_PLUS_DI:
    case K_MINUS_DI: return tr_ind_adx_load(&ind->u.adx, d);
    case K_STOCH: return tr_ind_stoch_load(&ind->u.stoch, d);
    case K_OBV: return tr_ind_obv_load(&ind->u.obv, d);
    case K_CCI: return tr_ind_cci_load(&ind->u.cci, d);
    case K_WILLR: return tr_ind_willr_load(&ind->u.willr, d);
    case K_MFI: return tr_ind_mfi_load(&ind->u.mfi, d);
    case K_ROC: return tr_ind_roc_load(&ind->u.roc, d);
    case K_MOM: return tr_ind_mom_load(&ind->u.mom, d);
    case K_STDDEV: return tr_ind_stddev_load(&ind->u.stddev, d);
    case K_VWAP: return tr_ind_vwap_load(&ind->u.vwap, d);
    }
    return tr_dec_check(d, 0), TR_ERR_DATA;
}
