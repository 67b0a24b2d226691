/* metrics.c: the Prometheus metrics registry and its text exposition (see
 * metrics.h).
 *
 * Two kinds of access, kept apart:
 *  - structure (families, series, their names and label values) changes
 *    only under the registry mutex, which lookups and renders take too; it
 *    is never freed before tr_metrics_free, so a handle obtained once stays
 *    valid and the hot path never needs the mutex;
 *  - values are C11 atomics touched with relaxed ordering only: a counter is
 *    one fetch_add, a gauge one store (or a CAS loop for gauge_add), an
 *    observation one fetch_add on its bucket plus a CAS loop on the sum.
 *    Nothing else orders against them, so nothing stronger is needed.
 *
 * Histograms keep per-bucket counts, not cumulative ones, and no separate
 * count: a render loads each bucket once, and both the cumulative le series
 * and _count come from that one snapshot, so _count equals the +Inf bucket
 * however writers interleave (a separate count atomic could not promise
 * that without writers taking a lock). Each series is allocated on its own
 * cache lines so that threads updating different series do not share one. */
#include "api/metrics.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/metrics_int.h"
#include "core/err.h"

#define CACHE_LINE 64

struct tr_metric_series {
    _Atomic uint64_t v;   /* counter value; gauge value or histogram sum as
                             the bits of a double */
    tr_metric_kind kind;  /* copied from the family: checked on every update */
    uint32_t nbounds;     /* histograms: finite bounds */
    const double *bounds; /* histograms: the family's */
    char *values[TR_METRICS_MAX_LABELS]; /* NULL past the family's labels */
    _Atomic uint64_t buckets[];          /* histograms: nbounds + 1 counts,
                                            per bucket (not cumulative); the
                                            last is above every bound */
};

typedef struct family {
    tr_metric_kind kind;
    char *name, *help;
    char *labels[TR_METRICS_MAX_LABELS];
    size_t nlabels;
    double *bounds; /* histograms: nbounds finite, increasing */
    size_t nbounds;
    char **le;                 /* histograms: each bound as rendered */
    tr_metric_series **series; /* max_series slots, n used, first-use order */
    size_t n, max_series;
} family;

struct tr_metrics {
    pthread_mutex_t mu;
    family **fam; /* registration order */
    size_t n, cap;
    tr__metrics_faults faults; /* test hook; fail == NULL: none */
};

/* ---- allocation (every one goes through the fault hook) ---- */

static int injected(const tr__metrics_faults *f)
{
    return f && f->fail && f->fail(f->ctx);
}

static void *m_malloc(const tr__metrics_faults *f, size_t n)
{
    return injected(f) ? NULL : malloc(n);
}

static void *m_calloc(const tr__metrics_faults *f, size_t n, size_t size)
{
    return injected(f) ? NULL : calloc(n, size);
}

static void *m_realloc(const tr__metrics_faults *f, void *p, size_t n)
{
    return injected(f) ? NULL : realloc(p, n);
}

static char *m_strdup(const tr__metrics_faults *f, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = m_malloc(f, n);
    if (p) memcpy(p, s, n);
    return p;
}

/* ---- bits of doubles ---- */

static uint64_t d2u(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double u2d(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void atomic_add_double(_Atomic uint64_t *a, double d)
{
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(a, &old, d2u(u2d(old) + d),
                                                  memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

/* ---- validation ---- */

static int is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* */
static int valid_metric_name(const char *s)
{
    if (!s || !*s || is_digit(*s)) return 0;
    for (; *s; s++)
        if (!is_alpha_(*s) && !is_digit(*s) && *s != ':') return 0;
    return 1;
}

/* [a-zA-Z_][a-zA-Z0-9_]*, not starting "__" (reserved by Prometheus). */
static int valid_label_name(const char *s)
{
    if (!s || !*s || is_digit(*s) || (s[0] == '_' && s[1] == '_')) return 0;
    for (; *s; s++)
        if (!is_alpha_(*s) && !is_digit(*s)) return 0;
    return 1;
}

/* Well-formed UTF-8: no overlong forms, surrogates or code points past
 * U+10FFFF (what Prometheus' parser accepts). */
static int valid_utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s++;
        unsigned need, min, cp;
        if (c < 0x80) continue;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1, min = 0x80, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, min = 0x800, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        for (; need; need--, s++) {
            if ((*s & 0xC0) != 0x80) return 0; /* also stops at the NUL */
            cp = (cp << 6) | (*s & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
    }
    return 1;
}

/* ---- number formatting ---- */

/* The shortest %g form (15 to 17 digits) that reads back as v; Go's
 * ParseFloat spellings of the special values. */
static void fmt_double(char *b, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(b, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(b, n, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, n, "%.*g", prec, v);
        if (strtod(b, NULL) == v) return;
    }
}

/* ---- registry ---- */

static void series_free(tr_metric_series *s)
{
    if (!s) return;
    for (size_t i = 0; i < TR_METRICS_MAX_LABELS; i++)
        free(s->values[i]);
    free(s);
}

static void family_free(family *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->n; i++)
        series_free(f->series[i]);
    free(f->series);
    if (f->le)
        for (size_t i = 0; i < f->nbounds; i++)
            free(f->le[i]);
    free(f->le);
    free(f->bounds);
    for (size_t i = 0; i < TR_METRICS_MAX_LABELS; i++)
        free(f->labels[i]);
    free(f->name);
    free(f->help);
    free(f);
}

int tr__metrics_new_faults(const tr__metrics_faults *faults, tr_metrics **out)
{
    tr_metrics *m = m_calloc(faults, 1, sizeof *m);
    if (!m) return TR_ERR_NOMEM;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return TR_ERR_NOMEM;
    }
    if (faults) m->faults = *faults;
    *out = m;
    return TR_OK;
}

int tr_metrics_new(tr_metrics **out)
{
    return tr__metrics_new_faults(NULL, out);
}

void tr_metrics_free(tr_metrics *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++)
        family_free(m->fam[i]);
    free(m->fam);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static family *find_family(const tr_metrics *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->fam[i]->name, name) == 0) return m->fam[i];
    return NULL;
}

/* A new series with copies of values (nvalues of them). Caller holds the
 * mutex. */
static tr_metric_series *series_new(const tr_metrics *m, const family *f,
                                    const char *const *values)
{
    size_t nb = f->kind == TR_METRIC_HISTOGRAM ? f->nbounds + 1 : 0;
    size_t size = sizeof(tr_metric_series) + nb * sizeof(_Atomic uint64_t);
    size = (size + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    tr_metric_series *s =
        injected(&m->faults) ? NULL : aligned_alloc(CACHE_LINE, size);
    if (!s) return NULL;
    memset(s, 0, size);
    s->kind = f->kind;
    s->nbounds = (uint32_t)f->nbounds;
    s->bounds = f->bounds;
    atomic_init(&s->v, f->kind == TR_METRIC_COUNTER ? 0 : d2u(0.0));
    for (size_t i = 0; i < nb; i++)
        atomic_init(&s->buckets[i], 0);
    for (size_t i = 0; i < f->nlabels; i++) {
        s->values[i] = m_strdup(&m->faults, values[i]);
        if (!s->values[i]) {
            series_free(s);
            return NULL;
        }
    }
    return s;
}

static int check_desc(const tr_metric_desc *d)
{
    if (!d || d->kind < TR_METRIC_COUNTER || d->kind > TR_METRIC_HISTOGRAM)
        return TR_ERR_INVALID;
    if (!valid_metric_name(d->name) || !d->help || !valid_utf8(d->help))
        return TR_ERR_INVALID;
    size_t nl = 0;
    while (nl < TR_METRICS_MAX_LABELS && d->labels[nl])
        nl++;
    for (size_t i = nl; i < TR_METRICS_MAX_LABELS; i++)
        if (d->labels[i])
            return TR_ERR_INVALID; /* a gap: labels[0] NULL, labels[1] set */
    for (size_t i = 0; i < nl; i++) {
        if (!valid_label_name(d->labels[i])) return TR_ERR_INVALID;
        if (d->kind == TR_METRIC_HISTOGRAM && strcmp(d->labels[i], "le") == 0)
            return TR_ERR_INVALID;
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->labels[i], d->labels[j]) == 0) return TR_ERR_INVALID;
    }
    if (d->max_series > TR_METRICS_MAX_SERIES) return TR_ERR_INVALID;
    if (d->kind != TR_METRIC_HISTOGRAM)
        return d->bounds || d->nbounds ? TR_ERR_INVALID : TR_OK;
    if (!d->bounds || d->nbounds < 1 || d->nbounds > TR_METRICS_MAX_BOUNDS)
        return TR_ERR_INVALID;
    for (size_t i = 0; i < d->nbounds; i++) {
        if (!isfinite(d->bounds[i])) return TR_ERR_INVALID;
        if (i > 0 && !(d->bounds[i] > d->bounds[i - 1])) return TR_ERR_INVALID;
    }
    return TR_OK;
}

/* Build a family from a checked description, with its series if it has no
 * labels. Caller holds the mutex. */
static int family_new(const tr_metrics *m, const tr_metric_desc *d,
                      family **out)
{
    const tr__metrics_faults *fl = &m->faults;
    family *f = m_calloc(fl, 1, sizeof *f);
    if (!f) return TR_ERR_NOMEM;
    f->kind = d->kind;
    while (f->nlabels < TR_METRICS_MAX_LABELS && d->labels[f->nlabels])
        f->nlabels++;
    f->max_series = f->nlabels == 0 ? 1
                    : d->max_series ? d->max_series
                                    : TR_METRICS_DEFAULT_SERIES;
    f->name = m_strdup(fl, d->name);
    f->help = m_strdup(fl, d->help);
    f->series = m_calloc(fl, f->max_series, sizeof *f->series);
    if (!f->name || !f->help || !f->series) goto nomem;
    for (size_t i = 0; i < f->nlabels; i++)
        if (!(f->labels[i] = m_strdup(fl, d->labels[i]))) goto nomem;
    if (f->kind == TR_METRIC_HISTOGRAM) {
        f->bounds = m_malloc(fl, d->nbounds * sizeof *f->bounds);
        f->le = m_calloc(fl, d->nbounds, sizeof *f->le);
        if (!f->bounds || !f->le) goto nomem;
        f->nbounds = d->nbounds;
        memcpy(f->bounds, d->bounds, d->nbounds * sizeof *f->bounds);
        for (size_t i = 0; i < f->nbounds; i++) {
            char num[32];
            fmt_double(num, sizeof num, f->bounds[i]);
            if (!(f->le[i] = m_strdup(fl, num))) goto nomem;
        }
    }
    if (f->nlabels == 0) {
        if (!(f->series[0] = series_new(m, f, NULL))) goto nomem;
        f->n = 1;
    }
    *out = f;
    return TR_OK;
nomem:
    family_free(f);
    return TR_ERR_NOMEM;
}

int tr_metrics_register(tr_metrics *m, const tr_metric_desc *d)
{
    if (!m) return TR_ERR_INVALID;
    int rc = check_desc(d);
    if (rc) return rc;
    pthread_mutex_lock(&m->mu);
    family *f = NULL;
    if (find_family(m, d->name)) {
        rc = TR_ERR_INVALID;
        goto out;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        family **p = m_realloc(&m->faults, m->fam, cap * sizeof *p);
        if (!p) {
            rc = TR_ERR_NOMEM;
            goto out;
        }
        m->fam = p;
        m->cap = cap;
    }
    rc = family_new(m, d, &f);
    if (rc == TR_OK) m->fam[m->n++] = f;
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int tr_metrics_series(tr_metrics *m, const char *name, const char *v1,
                      const char *v2, tr_metric_series **out)
{
    if (!m || !name || !out) return TR_ERR_INVALID;
    const char *v[TR_METRICS_MAX_LABELS] = {v1, v2};
    int rc = TR_OK;
    pthread_mutex_lock(&m->mu);
    family *f = find_family(m, name);
    if (!f) {
        rc = TR_ERR_NOT_FOUND;
        goto out;
    }
    for (size_t i = 0; i < TR_METRICS_MAX_LABELS; i++) {
        if ((i < f->nlabels) != (v[i] != NULL)) {
            rc = TR_ERR_INVALID; /* a value missing or one too many */
            goto out;
        }
        if (v[i] &&
            (strlen(v[i]) > TR_METRICS_MAX_VALUE_LEN || !valid_utf8(v[i]))) {
            rc = TR_ERR_INVALID;
            goto out;
        }
    }
    for (size_t k = 0; k < f->n; k++) {
        tr_metric_series *s = f->series[k];
        size_t i = 0;
        while (i < f->nlabels && strcmp(s->values[i], v[i]) == 0)
            i++;
        if (i == f->nlabels) {
            *out = s;
            goto out;
        }
    }
    if (f->n == f->max_series) {
        rc = TR_ERR_FULL;
        goto out;
    }
    tr_metric_series *s = series_new(m, f, v);
    if (!s) {
        rc = TR_ERR_NOMEM;
        goto out;
    }
    f->series[f->n++] = s;
    *out = s;
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

tr_metric_series *tr_metrics_get(tr_metrics *m, const char *name,
                                 const char *v1, const char *v2)
{
    tr_metric_series *s = NULL;
    if (m && tr_metrics_series(m, name, v1, v2, &s) != TR_OK) return NULL;
    return s;
}

tr_metric_kind tr_metric_series_kind(const tr_metric_series *s)
{
    return s ? s->kind : (tr_metric_kind)0;
}

/* ---- hot path ---- */

void tr_metric_inc(tr_metric_series *s)
{
    tr_metric_add(s, 1);
}

void tr_metric_add(tr_metric_series *s, uint64_t n)
{
    if (!s) return;
    assert(s->kind == TR_METRIC_COUNTER);
    if (s->kind == TR_METRIC_COUNTER)
        atomic_fetch_add_explicit(&s->v, n, memory_order_relaxed);
}

void tr_metric_set(tr_metric_series *s, double v)
{
    if (!s) return;
    assert(s->kind == TR_METRIC_GAUGE);
    if (s->kind == TR_METRIC_GAUGE)
        atomic_store_explicit(&s->v, d2u(v), memory_order_relaxed);
}

void tr_metric_gauge_add(tr_metric_series *s, double d)
{
    if (!s) return;
    assert(s->kind == TR_METRIC_GAUGE);
    if (s->kind == TR_METRIC_GAUGE) atomic_add_double(&s->v, d);
}

void tr_metric_observe(tr_metric_series *s, double v)
{
    if (!s) return;
    assert(s->kind == TR_METRIC_HISTOGRAM);
    if (s->kind != TR_METRIC_HISTOGRAM) return;
    /* The first bound >= v; none (or NaN): the +Inf bucket, index nbounds. */
    size_t lo = 0, hi = s->nbounds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v <= s->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    atomic_fetch_add_explicit(&s->buckets[lo], 1, memory_order_relaxed);
    atomic_add_double(&s->v, v);
}

void tr_metric_observe_ns(tr_metric_series *s, int64_t ns)
{
    /* A division, not ns * 1e-9: the quotient is rounded once, so whole
     * microseconds land exactly on bounds like 1e-06. */
    tr_metric_observe(s, (double)ns / 1e9);
}

/* ---- reading ---- */

uint64_t tr_metric_count(const tr_metric_series *s)
{
    if (!s) return 0;
    switch (s->kind) {
    case TR_METRIC_COUNTER:
        return atomic_load_explicit(&s->v, memory_order_relaxed);
    case TR_METRIC_HISTOGRAM: {
        uint64_t n = 0;
        for (size_t i = 0; i <= s->nbounds; i++)
            n += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        return n;
    }
    default:
        return 0;
    }
}

double tr_metric_value(const tr_metric_series *s)
{
    if (!s) return 0;
    uint64_t v = atomic_load_explicit(&s->v, memory_order_relaxed);
    return s->kind == TR_METRIC_COUNTER ? (double)v : u2d(v);
}

/* ---- rendering ---- */

typedef struct textbuf {
    char *p;
    size_t cap, len;
    const tr__metrics_faults *faults;
    int err;
} textbuf;

static void put(textbuf *o, const char *s, size_t n)
{
    if (o->err) return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *p = m_realloc(o->faults, o->p, cap);
        if (!p) {
            o->err = TR_ERR_NOMEM;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void puts_(textbuf *o, const char *s)
{
    put(o, s, strlen(s));
}

/* s with backslash and line feed escaped, and the double quote too when
 * quote is set (label values; HELP text leaves it as is). */
static void put_escaped(textbuf *o, const char *s, int quote)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\'           ? "\\\\"
                          : *s == '\n'         ? "\\n"
                          : quote && *s == '"' ? "\\\""
                                               : NULL;
        if (esc) {
            put(o, run, (size_t)(s - run));
            puts_(o, esc);
            run = s + 1;
        }
    }
    put(o, run, (size_t)(s - run));
}

static void put_u64(textbuf *o, uint64_t v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    put(o, b, (size_t)n);
}

static void put_double(textbuf *o, double v)
{
    char b[32];
    fmt_double(b, sizeof b, v);
    puts_(o, b);
}

/* name + suffix + {labels of s, then le=...} + ' ' */
static void put_sample_head(textbuf *o, const family *f, const char *suffix,
                            const tr_metric_series *s, const char *le)
{
    puts_(o, f->name);
    puts_(o, suffix);
    if (f->nlabels || le) {
        puts_(o, "{");
        for (size_t i = 0; i < f->nlabels; i++) {
            if (i) puts_(o, ",");
            puts_(o, f->labels[i]);
            puts_(o, "=\"");
            put_escaped(o, s->values[i], 1);
            puts_(o, "\"");
        }
        if (le) {
            puts_(o, f->nlabels ? ",le=\"" : "le=\"");
            puts_(o, le);
            puts_(o, "\"");
        }
        puts_(o, "}");
    }
    puts_(o, " ");
}

static void render_histogram(textbuf *o, const family *f,
                             const tr_metric_series *s)
{
    /* One load per bucket: the cumulative counts and _count below all come
     * from this snapshot, so _count == the +Inf bucket. */
    uint64_t b[TR_METRICS_MAX_BOUNDS + 1];
    for (size_t i = 0; i <= f->nbounds; i++)
        b[i] = atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
    double sum = u2d(atomic_load_explicit(&s->v, memory_order_relaxed));
    uint64_t cum = 0;
    for (size_t i = 0; i <= f->nbounds; i++) {
        cum += b[i];
        put_sample_head(o, f, "_bucket", s, i < f->nbounds ? f->le[i] : "+Inf");
        put_u64(o, cum);
        puts_(o, "\n");
    }
    put_sample_head(o, f, "_sum", s, NULL);
    put_double(o, sum);
    puts_(o, "\n");
    put_sample_head(o, f, "_count", s, NULL);
    put_u64(o, cum);
    puts_(o, "\n");
}

static void render_family(textbuf *o, const family *f)
{
    static const char *const kind_name[] = {
        [TR_METRIC_COUNTER] = "counter",
        [TR_METRIC_GAUGE] = "gauge",
        [TR_METRIC_HISTOGRAM] = "histogram",
    };
    puts_(o, "# HELP ");
    puts_(o, f->name);
    puts_(o, " ");
    put_escaped(o, f->help, 0);
    puts_(o, "\n# TYPE ");
    puts_(o, f->name);
    puts_(o, " ");
    puts_(o, kind_name[f->kind]);
    puts_(o, "\n");
    for (size_t k = 0; k < f->n; k++) {
        const tr_metric_series *s = f->series[k];
        switch (f->kind) {
        case TR_METRIC_COUNTER:
            put_sample_head(o, f, "", s, NULL);
            put_u64(o, atomic_load_explicit(&s->v, memory_order_relaxed));
            puts_(o, "\n");
            break;
        case TR_METRIC_GAUGE:
            put_sample_head(o, f, "", s, NULL);
            put_double(o, tr_metric_value(s));
            puts_(o, "\n");
            break;
        case TR_METRIC_HISTOGRAM:
            render_histogram(o, f, s);
            break;
        }
    }
}

int tr_metrics_render(tr_metrics *m, char **buf, size_t *cap, size_t *len)
{
    if (!m || !buf || !cap || !len) return TR_ERR_INVALID;
    textbuf o = {.p = *buf, .cap = *buf ? *cap : 0, .faults = &m->faults};
    put(&o, "", 0); /* an empty registry still gives "" */
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n && !o.err; i++)
        render_family(&o, m->fam[i]);
    pthread_mutex_unlock(&m->mu);
    *buf = o.p;
    *cap = o.cap;
    if (o.err) return o.err;
    *len = o.len;
    return TR_OK;
}

/* ---- bucket helpers ---- */

static const double latency_bounds[TR_METRICS_LATENCY_NBOUNDS] = {
    1e-6,   2.5e-6, 5e-6, 1e-5,   2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3,
    2.5e-3, 5e-3,   1e-2, 2.5e-2, 5e-2,   0.1,  0.25, 0.5,    1,
};

const double *tr_metrics_latency_bounds(size_t *n)
{
    if (n) *n = TR_METRICS_LATENCY_NBOUNDS;
    return latency_bounds;
}

int tr_metrics_exp_bounds(double start, double factor, size_t n, double *out)
{
    if (!out || !(start > 0) || !(factor > 1) || n < 1 ||
        n > TR_METRICS_MAX_BOUNDS || !isfinite(start) || !isfinite(factor))
        return TR_ERR_INVALID;
    double b = start;
    for (size_t i = 0; i < n; i++, b *= factor)
        if (!isfinite(b)) return TR_ERR_INVALID;
    b = start;
    for (size_t i = 0; i < n; i++, b *= factor)
        out[i] = b;
    return TR_OK;
}

/* ---- the standard set ---- */

int tr_metrics_register_standard(tr_metrics *m, const char *version,
                                 double start_time, tr_metrics_std *out)
{
    if (!m || !version || !valid_utf8(version) ||
        strlen(version) > TR_METRICS_MAX_VALUE_LEN)
        return TR_ERR_INVALID;
    size_t nlat;
    const double *lat = tr_metrics_latency_bounds(&nlat);
    const tr_metric_kind C = TR_METRIC_COUNTER, G = TR_METRIC_GAUGE,
                         H = TR_METRIC_HISTOGRAM;
    const tr_metric_desc set[] = {
        {C,
         TR_M_EVENTS_TOTAL,
         "Events consumed by the engine, by type.",
         {"type"},
         32,
         NULL,
         0},
        {C,
         TR_M_ORDERS_TOTAL,
         "Order state changes, by new status.",
         {"status"},
         16,
         NULL,
         0},
        {C,
         TR_M_SIGNALS_TOTAL,
         "Signals decided, by outcome (executed or rejected).",
         {"outcome"},
         2,
         NULL,
         0},
        {C,
         TR_M_REJECTIONS_TOTAL,
         "Signals and orders refused by risk checks, by reason.",
         {"reason"},
         32,
         NULL,
         0},
        {C,
         TR_M_API_REQUESTS_TOTAL,
         "API requests answered, by route and HTTP status code.",
         {"route", "code"},
         64,
         NULL,
         0},
        {G,
         TR_M_EQUITY,
         "Portfolio equity (cash plus positions at market).",
         {NULL},
         0,
         NULL,
         0},
        {G, TR_M_CASH, "Cash balance.", {NULL}, 0, NULL, 0},
        {G,
         TR_M_EXPOSURE,
         "Gross market value of open positions.",
         {NULL},
         0,
         NULL,
         0},
        {G,
         TR_M_OPEN_POSITIONS,
         "Number of open positions.",
         {NULL},
         0,
         NULL,
         0},
        {G,
         TR_M_HALTED,
         "1 while new trades are halted, else 0.",
         {NULL},
         0,
         NULL,
         0},
        {G,
         TR_M_FEED_LAG,
         "Seconds between now and the newest market data received.",
         {NULL},
         0,
         NULL,
         0},
        {G,
         TR_M_JOURNAL_LAG,
         "Journal records appended but not yet durable.",
         {NULL},
         0,
         NULL,
         0},
        {G,
         TR_M_DAILY_PNL,
         "Profit and loss since the start of the day.",
         {NULL},
         0,
         NULL,
         0},
        {G,
         TR_M_DAILY_LOSS_LIMIT,
         "Daily loss (a positive amount) at which trading halts.",
         {NULL},
         0,
         NULL,
         0},
        {G,
         TR_M_BUILD_INFO,
         "Build information; the value is always 1.",
         {"version"},
         1,
         NULL,
         0},
        {G,
         TR_M_START_TIME,
         "Start time of the process, Unix seconds.",
         {NULL},
         0,
         NULL,
         0},
        {H,
         TR_M_BAR_TO_ORDER,
         "Seconds from a bar's arrival to the order it caused.",
         {NULL},
         0,
         lat,
         nlat},
        {H,
         TR_M_SIGNAL_TO_ORDER,
         "Seconds from a signal's arrival to the order it caused.",
         {NULL},
         0,
         lat,
         nlat},
        {H,
         TR_M_API_LATENCY,
         "Seconds to answer an API request, by route.",
         {"route"},
         32,
         lat,
         nlat},
    };
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        int rc = tr_metrics_register(m, &set[i]);
        if (rc) return rc;
    }
    tr_metrics_std h = {0};
    tr_metric_series *build = NULL;
    struct {
        tr_metric_series **dst;
        const char *name, *value;
    } look[] = {
        {&h.equity, TR_M_EQUITY, NULL},
        {&h.cash, TR_M_CASH, NULL},
        {&h.exposure, TR_M_EXPOSURE, NULL},
        {&h.open_positions, TR_M_OPEN_POSITIONS, NULL},
        {&h.halted, TR_M_HALTED, NULL},
        {&h.feed_lag, TR_M_FEED_LAG, NULL},
        {&h.journal_lag, TR_M_JOURNAL_LAG, NULL},
        {&h.daily_pnl, TR_M_DAILY_PNL, NULL},
        {&h.daily_loss_limit, TR_M_DAILY_LOSS_LIMIT, NULL},
        {&h.start_time, TR_M_START_TIME, NULL},
        {&h.bar_to_order, TR_M_BAR_TO_ORDER, NULL},
        {&h.signal_to_order, TR_M_SIGNAL_TO_ORDER, NULL},
        {&h.signals_executed, TR_M_SIGNALS_TOTAL, TR_M_OUTCOME_EXECUTED},
        {&h.signals_rejected, TR_M_SIGNALS_TOTAL, TR_M_OUTCOME_REJECTED},
        {&build, TR_M_BUILD_INFO, version},
    };
    for (size_t i = 0; i < sizeof look / sizeof look[0]; i++) {
        int rc = tr_metrics_series(m, look[i].name, look[i].value, NULL,
                                   look[i].dst);
        if (rc) return rc;
    }
    tr_metric_set(build, 1);
    tr_metric_set(h.start_time, start_time);
    if (out) *out = h;
    return TR_OK;
}
