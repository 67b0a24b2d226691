/* metrics.h: Prometheus counters, gauges and histograms, updated without
 * locks from any thread and rendered in the text exposition format 0.0.4.
 *
 * A registry (tr_metrics) holds metric families in registration order. A
 * family has a name, a help text and zero, one or two label names; each
 * combination of label values is a series (tr_metric_series), created on
 * first use up to a fixed cap per family, so a label fed from outside (an
 * API route, a rejection reason) can never grow memory without bound. A
 * family without labels has exactly one series, made at registration.
 *
 * Use: look a series up once (tr_metrics_series, under the registry mutex,
 * may allocate), keep the handle, and update through it on the hot path
 * (tr_metric_inc, _add, _set, _gauge_add, _observe, _observe_ns): one or two
 * relaxed atomic operations, no lock, no allocation, callable from any
 * thread at any time. A handle stays valid until tr_metrics_free. Every
 * update accepts a NULL handle and does nothing, so code can run without a
 * registry (backtests) by holding NULL handles; an update on a series of
 * the wrong kind is an assertion failure in debug builds and ignored
 * otherwise.
 *
 * Values: counters are uint64; gauges are doubles (stored as atomic 64-bit
 * patterns); histograms have fixed finite upper bounds, chosen at
 * registration, plus the implicit +Inf bucket. A value v counts in the
 * first bucket whose bound b has v <= b (le is inclusive); NaN counts in
 * +Inf only and makes the sum NaN, as Prometheus' own clients do.
 *
 * Rendering (tr_metrics_render) reads every value with relaxed loads while
 * writers go on, so one render may mix values a moment apart. Within one
 * histogram series, _count is computed from the same snapshot of the
 * buckets that gives the cumulative counts, so _count always equals the
 * +Inf bucket; _sum is read just after and may include or miss an
 * observation in flight.
 *
 * Errors: 0 or a negative tr_err (core/err.h). Out of memory gives
 * TR_ERR_NOMEM and leaves the registry as it was. */
#ifndef TR_METRICS_H
#define TR_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct tr_metrics tr_metrics;
typedef struct tr_metric_series tr_metric_series;

typedef enum tr_metric_kind {
    TR_METRIC_COUNTER = 1,
    TR_METRIC_GAUGE = 2,
    TR_METRIC_HISTOGRAM = 3,
} tr_metric_kind;

#define TR_METRICS_MAX_LABELS     2    /* label names per family */
#define TR_METRICS_MAX_BOUNDS     64   /* finite bucket bounds */
#define TR_METRICS_DEFAULT_SERIES 32   /* series per family when 0 given */
#define TR_METRICS_MAX_SERIES     4096 /* highest cap a family may ask */
#define TR_METRICS_MAX_VALUE_LEN  128  /* bytes of one label value */

/* The Content-Type header to serve tr_metrics_render's text with. */
#define TR_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* What to register. Strings are copied; none need outlive the call. */
typedef struct tr_metric_desc {
    tr_metric_kind kind;
    const char *name; /* [a-zA-Z_:][a-zA-Z0-9_:]*, unique in the registry */
    const char *help; /* any UTF-8; escaped when rendered */
    /* Label names, [a-zA-Z_][a-zA-Z0-9_]*, not starting "__", distinct;
     * unused ones NULL (and only trailing ones). "le" is refused on
     * histograms, where it names the bucket bound. */
    const char *labels[TR_METRICS_MAX_LABELS];
    size_t max_series; /* cap on label-value combinations; 0: default */
    /* Histograms only: finite, strictly increasing upper bounds, 1 to
     * TR_METRICS_MAX_BOUNDS of them; +Inf is implicit (do not pass it). */
    const double *bounds;
    size_t nbounds;
} tr_metric_desc;

/* A new empty registry in *out; the caller frees it with tr_metrics_free.
 * TR_ERR_NOMEM leaves *out untouched. Any thread. */
int tr_metrics_new(tr_metrics **out /* OUT */);

/* Free the registry and every series; all handles become invalid. NULL is
 * fine. No other thread may use the registry or its handles any more. */
void tr_metrics_free(tr_metrics *m);

/* Register a family. TR_ERR_INVALID for a bad name, label, bound or kind,
 * or a name already registered; TR_ERR_NOMEM. A family without labels gets
 * its one series now (value 0). Any thread (takes the registry mutex). */
int tr_metrics_register(tr_metrics *m, const tr_metric_desc *d);

/* The series of family `name` for label values v1, v2 (NULL where the
 * family has fewer labels; both NULL for a family without labels), created
 * on first use. The handle in *out is borrowed from m and valid until
 * tr_metrics_free; looking the same values up again gives the same handle.
 * Label values are any valid UTF-8 of at most TR_METRICS_MAX_VALUE_LEN bytes
 * (the empty string included).
 * Errors, *out untouched: TR_ERR_NOT_FOUND no such family; TR_ERR_INVALID
 * wrong number of values, bad UTF-8 or too long; TR_ERR_FULL the family
 * already has max_series series; TR_ERR_NOMEM.
 * Any thread (takes the registry mutex; not for the hot path). */
int tr_metrics_series(tr_metrics *m, const char *name, const char *v1,
                      const char *v2, tr_metric_series **out /* OUT */);

/* tr_metrics_series for call sites that carry on without the metric: the
 * handle, or NULL on any error or when m is NULL. Any thread. */
tr_metric_series *tr_metrics_get(tr_metrics *m, const char *name,
                                 const char *v1, const char *v2);

/* The kind of a series; 0 for NULL. Any thread. */
tr_metric_kind tr_metric_series_kind(const tr_metric_series *s);

/* ---- hot path: lock-free, no allocation, any thread, s may be NULL ---- */

/* Counter += 1. */
void tr_metric_inc(tr_metric_series *s);
/* Counter += n. */
void tr_metric_add(tr_metric_series *s, uint64_t n);
/* Gauge = v. */
void tr_metric_set(tr_metric_series *s, double v);
/* Gauge += d (a compare-and-swap loop; concurrent adds are all kept). */
void tr_metric_gauge_add(tr_metric_series *s, double d);
/* Histogram: count v (in the histogram's unit, seconds for latencies). */
void tr_metric_observe(tr_metric_series *s, double v);
/* Histogram in seconds: count a duration given in nanoseconds. ns / 1e9 is
 * rounded once, so 1000 ns lands exactly on a 1e-06 bound. */
void tr_metric_observe_ns(tr_metric_series *s, int64_t ns);

/* ---- reading one series (tests, status pages); any thread ---- */

/* Counter value, or the number of observations of a histogram (the sum
 * of its buckets); 0 for a gauge or NULL. */
uint64_t tr_metric_count(const tr_metric_series *s);
/* Gauge value, counter value as a double, or the sum of a histogram's
 * observations; 0 for NULL. */
double tr_metric_value(const tr_metric_series *s);

/* ---- exposition ---- */

/* Render every family in the text format 0.0.4: registration order, series
 * in the order of their first use, buckets in increasing le. getline-style
 * buffer: *buf is NULL (with *cap 0) or a malloc'd buffer of *cap bytes,
 * grown with realloc as needed; on success it holds the text,
 * NUL-terminated, and *len its length. The caller owns *buf and frees it;
 * reusing it across renders avoids allocating on every scrape. On
 * TR_ERR_NOMEM *buf and *cap still describe a valid buffer (its content
 * unspecified) and *len is untouched.
 * Any thread, while others update (see the file comment for what one
 * render guarantees); takes the registry mutex. */
int tr_metrics_render(tr_metrics *m, char **buf /* IN/OUT */,
                      size_t *cap /* IN/OUT */, size_t *len /* OUT */);

/* ---- bucket helpers ---- */

/* Latency bounds in seconds from 1 us to 1 s, 1-2.5-5 per decade (1e-06,
 * 2.5e-06, 5e-06, 1e-05, ..., 0.5, 1): a static table, *n set to its
 * length (TR_METRICS_LATENCY_NBOUNDS). Any thread. */
#define TR_METRICS_LATENCY_NBOUNDS 19
const double *tr_metrics_latency_bounds(size_t *n /* OUT */);

/* Fill out[0..n) with start * factor^i. TR_ERR_INVALID unless start > 0,
 * factor > 1, 1 <= n <= TR_METRICS_MAX_BOUNDS and every bound finite. Any
 * thread. */
int tr_metrics_exp_bounds(double start, double factor, size_t n,
                          double *out /* OUT: n bounds */);

/* ---- trader's standard metric set: the names live here ---- */

/* Counters */
#define TR_M_EVENTS_TOTAL       "trader_events_total"       /* {type} */
#define TR_M_ORDERS_TOTAL       "trader_orders_total"       /* {status} */
#define TR_M_SIGNALS_TOTAL      "trader_signals_total"      /* {outcome} */
#define TR_M_REJECTIONS_TOTAL   "trader_rejections_total"   /* {reason} */
#define TR_M_API_REQUESTS_TOTAL "trader_api_requests_total" /* {route,code} */
/* Gauges */
#define TR_M_EQUITY           "trader_equity"
#define TR_M_CASH             "trader_cash"
#define TR_M_EXPOSURE         "trader_exposure"
#define TR_M_OPEN_POSITIONS   "trader_open_positions"
#define TR_M_HALTED           "trader_halted" /* 1 halted, 0 trading */
#define TR_M_FEED_LAG         "trader_feed_lag_seconds"
#define TR_M_JOURNAL_LAG      "trader_journal_lag_records"
#define TR_M_DAILY_PNL        "trader_daily_pnl"
#define TR_M_DAILY_LOSS_LIMIT "trader_daily_loss_limit" /* positive */
#define TR_M_BUILD_INFO       "trader_build_info" /* {version}, always 1 */
#define TR_M_START_TIME       "trader_start_time_seconds"
/* Histograms, seconds, tr_metrics_latency_bounds */
#define TR_M_BAR_TO_ORDER    "trader_bar_to_order_latency_seconds"
#define TR_M_SIGNAL_TO_ORDER "trader_signal_to_order_latency_seconds"
#define TR_M_API_LATENCY     "trader_api_latency_seconds" /* {route} */

/* The values of trader_signals_total's outcome label. */
#define TR_M_OUTCOME_EXECUTED "executed"
#define TR_M_OUTCOME_REJECTED "rejected"

/* Handles to the standard series that need no label lookup. */
typedef struct tr_metrics_std {
    tr_metric_series *equity, *cash, *exposure, *open_positions, *halted;
    tr_metric_series *feed_lag, *journal_lag, *daily_pnl, *daily_loss_limit;
    tr_metric_series *start_time;
    tr_metric_series *bar_to_order, *signal_to_order;
    tr_metric_series *signals_executed, *signals_rejected;
} tr_metrics_std;

/* Register the standard set above into m (which must not hold any of these
 * names yet), set trader_build_info{version="<version>"} to 1 and
 * trader_start_time_seconds to start_time (Unix seconds: the caller reads
 * the clock, the library never does), and create both outcome series of
 * trader_signals_total so they show 0 before the first signal. Fills *out
 * (may be NULL) with handles borrowed from m. Label caps: type 32, status
 * 16, outcome 2, reason 32, route x code 64, api latency route 32.
 * TR_ERR_INVALID (version NULL or not valid UTF-8, a name taken),
 * TR_ERR_NOMEM; on error some families may already be registered. Any
 * thread. */
int tr_metrics_register_standard(tr_metrics *m, const char *version,
                                 double start_time,
                                 tr_metrics_std *out /* OUT, may be NULL */);

#endif
