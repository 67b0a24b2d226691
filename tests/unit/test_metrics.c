/* test_metrics.c: the Prometheus metrics registry: exact exposition text,
 * escaping, bucket placement, label caps, refused input, out-of-memory
 * paths, exact totals from concurrent writers, renders during updates, and
 * the standard set through promtool's parser. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/metrics.h"
#include "api/metrics_int.h"
#include "core/err.h"
#include "test.h"
#include "tmpdir.h"

/* The text of one render of m; the caller frees it. */
static char *render(tr_metrics *m)
{
    char *buf = NULL;
    size_t cap = 0, len = 0;
    int rc = tr_metrics_render(m, &buf, &cap, &len);
    CHECK_EQ_I64(rc, TR_OK);
    if (rc) {
        free(buf);
        return strdup("");
    }
    CHECK_EQ_I64(len, strlen(buf));
    return buf;
}

/* The value of the sample line "KEY VALUE" in text; -1 when missing. */
static double sample(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, key, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static tr_metric_series *series(tr_metrics *m, const char *name, const char *v1,
                                const char *v2)
{
    tr_metric_series *s = NULL;
    int rc = tr_metrics_series(m, name, v1, v2, &s);
    CHECK_MSG(rc == TR_OK, "series %s %s %s: %s", name, v1 ? v1 : "-",
              v2 ? v2 : "-", tr_strerror(rc));
    return s;
}

#define REG(m, ...) tr_metrics_register((m), &(tr_metric_desc){__VA_ARGS__})

/* ---- exact text for a small registry (written by hand) ---- */

static const char golden[] =
    "# HELP t_requests_total Requests served.\n"
    "# TYPE t_requests_total counter\n"
    "t_requests_total 3\n"
    "# HELP t_orders_total Orders by status.\n"
    "# TYPE t_orders_total counter\n"
    "t_orders_total{status=\"filled\"} 2\n"
    "t_orders_total{status=\"rejected\"} 1\n"
    "# HELP t_api_total By route and code.\n"
    "# TYPE t_api_total counter\n"
    "t_api_total{route=\"/a\",code=\"200\"} 5\n"
    "t_api_total{route=\"/a\",code=\"500\"} 1\n"
    "t_api_total{route=\"/b\",code=\"200\"} 0\n"
    "# HELP t_unused_total No series yet.\n"
    "# TYPE t_unused_total counter\n"
    "# HELP t_equity Equity.\n"
    "# TYPE t_equity gauge\n"
    "t_equity 1234.5\n"
    "# HELP t_special Special values.\n"
    "# TYPE t_special gauge\n"
    "t_special{v=\"nan\"} NaN\n"
    "t_special{v=\"pinf\"} +Inf\n"
    "t_special{v=\"ninf\"} -Inf\n"
    "t_special{v=\"sum\"} 0.30000000000000004\n"
    "t_special{v=\"big\"} 1e+21\n"
    "t_special{v=\"small\"} 1e-07\n"
    "t_special{v=\"neg\"} -2.5\n"
    "t_special{v=\"int\"} 1000000\n"
    "# HELP t_lat_seconds Latency.\n"
    "# TYPE t_lat_seconds histogram\n"
    "t_lat_seconds_bucket{le=\"0.25\"} 2\n"
    "t_lat_seconds_bucket{le=\"0.5\"} 3\n"
    "t_lat_seconds_bucket{le=\"1\"} 5\n"
    "t_lat_seconds_bucket{le=\"+Inf\"} 6\n"
    "t_lat_seconds_sum 4.625\n"
    "t_lat_seconds_count 6\n"
    "# HELP t_route_seconds By route.\n"
    "# TYPE t_route_seconds histogram\n"
    "t_route_seconds_bucket{route=\"/x\",le=\"0.001\"} 0\n"
    "t_route_seconds_bucket{route=\"/x\",le=\"+Inf\"} 1\n"
    "t_route_seconds_sum{route=\"/x\"} 0.002\n"
    "t_route_seconds_count{route=\"/x\"} 1\n"
    "t_route_seconds_bucket{route=\"/y\",le=\"0.001\"} 0\n"
    "t_route_seconds_bucket{route=\"/y\",le=\"+Inf\"} 0\n"
    "t_route_seconds_sum{route=\"/y\"} 0\n"
    "t_route_seconds_count{route=\"/y\"} 0\n";

/* Build the golden registry into m (faults, if any, must be off). */
static void build_golden(tr_metrics *m)
{
    const double lat[] = {0.25, 0.5, 1};
    const double one_ms[] = {0.001};
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_COUNTER, .name = "t_requests_total",
                     .help = "Requests served."),
                 TR_OK);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_COUNTER, .name = "t_orders_total",
                     .help = "Orders by status.", .labels = {"status"}),
                 TR_OK);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_COUNTER, .name = "t_api_total",
                     .help = "By route and code.", .labels = {"route", "code"}),
                 TR_OK);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_COUNTER, .name = "t_unused_total",
                     .help = "No series yet.", .labels = {"x"}),
                 TR_OK);
    CHECK_EQ_I64(
        REG(m, .kind = TR_METRIC_GAUGE, .name = "t_equity", .help = "Equity."),
        TR_OK);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_GAUGE, .name = "t_special",
                     .help = "Special values.", .labels = {"v"}),
                 TR_OK);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_HISTOGRAM, .name = "t_lat_seconds",
                     .help = "Latency.", .bounds = lat, .nbounds = 3),
                 TR_OK);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_HISTOGRAM, .name = "t_route_seconds",
                     .help = "By route.", .labels = {"route"}, .bounds = one_ms,
                     .nbounds = 1),
                 TR_OK);

    tr_metric_add(series(m, "t_requests_total", NULL, NULL), 3);
    tr_metric_series *filled = series(m, "t_orders_total", "filled", NULL);
    tr_metric_inc(filled);
    tr_metric_inc(series(m, "t_orders_total", "rejected", NULL));
    tr_metric_inc(series(m, "t_orders_total", "filled", NULL));
    CHECK(series(m, "t_orders_total", "filled", NULL) == filled);
    tr_metric_add(series(m, "t_api_total", "/a", "200"), 5);
    tr_metric_inc(series(m, "t_api_total", "/a", "500"));
    series(m, "t_api_total", "/b", "200");
    tr_metric_set(series(m, "t_equity", NULL, NULL), 1234.5);
    tr_metric_set(series(m, "t_special", "nan", NULL), NAN);
    tr_metric_set(series(m, "t_special", "pinf", NULL), INFINITY);
    tr_metric_set(series(m, "t_special", "ninf", NULL), -INFINITY);
    tr_metric_series *sum = series(m, "t_special", "sum", NULL);
    tr_metric_gauge_add(sum, 0.1);
    tr_metric_gauge_add(sum, 0.2);
    tr_metric_set(series(m, "t_special", "big", NULL), 1e21);
    tr_metric_set(series(m, "t_special", "small", NULL), 1e-7);
    tr_metric_set(series(m, "t_special", "neg", NULL), -2.5);
    tr_metric_set(series(m, "t_special", "int", NULL), 1e6);
    tr_metric_series *h = series(m, "t_lat_seconds", NULL, NULL);
    const double obs[] = {0.25, 0.125, 0.5, 0.75, 1, 2};
    for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++)
        tr_metric_observe(h, obs[i]);
    tr_metric_observe(series(m, "t_route_seconds", "/x", NULL), 0.002);
    series(m, "t_route_seconds", "/y", NULL);
}

static void test_golden(void)
{
    tr_metrics *m = NULL;
    CHECK_EQ_I64(tr_metrics_new(&m), TR_OK);
    char *empty = render(m);
    CHECK_STR(empty, "");
    free(empty);
    build_golden(m);
    char *text = render(m);
    CHECK_STR(text, golden);
    free(text);

    /* Rendering again into the same buffer gives the same text. */
    char *buf = malloc(8);
    size_t cap = 8, len = 0;
    CHECK_EQ_I64(tr_metrics_render(m, &buf, &cap, &len), TR_OK);
    CHECK_EQ_I64(tr_metrics_render(m, &buf, &cap, &len), TR_OK);
    CHECK_STR(buf, golden);
    CHECK_EQ_I64(len, strlen(golden));
    CHECK(cap > len);
    free(buf);

    /* Readers. */
    tr_metric_series *h = series(m, "t_lat_seconds", NULL, NULL);
    CHECK_EQ_I64(tr_metric_count(h), 6);
    CHECK(tr_metric_value(h) == 4.625);
    CHECK_EQ_I64(tr_metric_count(series(m, "t_requests_total", NULL, NULL)), 3);
    CHECK(tr_metric_value(series(m, "t_equity", NULL, NULL)) == 1234.5);
    CHECK_EQ_I64(tr_metric_series_kind(h), TR_METRIC_HISTOGRAM);
    CHECK_EQ_I64(tr_metric_series_kind(NULL), 0);
    tr_metrics_free(m);
}

/* ---- escaping ---- */

static void test_escaping(void)
{
    tr_metrics *m = NULL;
    CHECK_EQ_I64(tr_metrics_new(&m), TR_OK);
    /* HELP escapes backslash and newline but keeps the double quote. */
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_COUNTER, .name = "t_esc_total",
                     .help = "Back\\slash and\nnewline \"quoted\"",
                     .labels = {"path", "msg"}),
                 TR_OK);
    tr_metric_inc(
        series(m, "t_esc_total", "C:\\DIR\\FILE.TXT", "no \"file\"\nhere"));
    tr_metric_inc(series(m, "t_esc_total", "", "caf\xc3\xa9 \xe2\x82\xac"));
    char *text = render(m);
    CHECK_STR(text,
              "# HELP t_esc_total Back\\\\slash and\\nnewline \"quoted\"\n"
              "# TYPE t_esc_total counter\n"
              "t_esc_total{path=\"C:\\\\DIR\\\\FILE.TXT\","
              "msg=\"no \\\"file\\\"\\nhere\"} 1\n"
              "t_esc_total{path=\"\",msg=\"caf\xc3\xa9 \xe2\x82\xac\"} 1\n");
    free(text);
    tr_metrics_free(m);
}

/* ---- bucket placement ---- */

static void test_buckets(void)
{
    tr_metrics *m = NULL;
    CHECK_EQ_I64(tr_metrics_new(&m), TR_OK);
    size_t n = 0;
    const double *lat = tr_metrics_latency_bounds(&n);
    CHECK_EQ_I64(n, TR_METRICS_LATENCY_NBOUNDS);
    CHECK(lat[0] == 1e-6 && lat[n - 1] == 1.0);
    for (size_t i = 1; i < n; i++)
        CHECK(lat[i] > lat[i - 1]);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_HISTOGRAM, .name = "t_lat_seconds",
                     .help = "Latency.", .bounds = lat, .nbounds = n),
                 TR_OK);
    tr_metric_series *h = series(m, "t_lat_seconds", NULL, NULL);
    /* le is inclusive: each value exactly on a bound counts in that bound's
     * bucket; whole microseconds in ns land on their bound too. */
    tr_metric_observe_ns(h, 1000);         /* le 1e-06 */
    tr_metric_observe(h, 1e-6);            /* le 1e-06 */
    tr_metric_observe_ns(h, 1001);         /* le 2.5e-06 */
    tr_metric_observe_ns(h, 2500);         /* le 2.5e-06 */
    tr_metric_observe_ns(h, 250000);       /* le 0.00025 */
    tr_metric_observe_ns(h, 1000000000);   /* le 1 */
    tr_metric_observe(h, nextafter(1, 2)); /* +Inf only */
    tr_metric_observe(h, 0);               /* le 1e-06 */
    tr_metric_observe(h, -1);              /* le 1e-06 */
    char *t = render(m);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"1e-06\"}") == 4);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"2.5e-06\"}") == 6);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"5e-06\"}") == 6);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"1e-05\"}") == 6);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"0.0001\"}") == 6);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"0.00025\"}") == 7);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"0.5\"}") == 7);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"1\"}") == 8);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"+Inf\"}") == 9);
    CHECK(sample(t, "t_lat_seconds_count") == 9);
    /* Cumulative: every bucket line at least the one before it. */
    double prev = 0;
    int lines = 0;
    for (const char *p = strstr(t, "_bucket{"); p;
         p = strstr(p + 1, "_bucket{")) {
        double v = strtod(strchr(p, ' ') + 1, NULL);
        CHECK(v >= prev);
        prev = v;
        lines++;
    }
    CHECK_EQ_I64(lines, TR_METRICS_LATENCY_NBOUNDS + 1);
    free(t);

    /* NaN counts in +Inf only and poisons the sum. */
    tr_metric_observe(h, NAN);
    t = render(m);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"1\"}") == 8);
    CHECK(sample(t, "t_lat_seconds_bucket{le=\"+Inf\"}") == 10);
    CHECK(sample(t, "t_lat_seconds_count") == 10);
    CHECK(strstr(t, "t_lat_seconds_sum NaN\n") != NULL);
    free(t);

    double b[4];
    CHECK_EQ_I64(tr_metrics_exp_bounds(1e-6, 2, 4, b), TR_OK);
    CHECK(b[0] == 1e-6 && b[1] == 2e-6 && b[2] == 4e-6 && b[3] == 8e-6);
    CHECK_EQ_I64(tr_metrics_exp_bounds(0, 2, 4, b), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_exp_bounds(1, 1, 4, b), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_exp_bounds(1, 2, 0, b), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_exp_bounds(1e300, 1e10, 4, b), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_exp_bounds(1, 2, TR_METRICS_MAX_BOUNDS + 1, b),
                 TR_ERR_INVALID);
    tr_metrics_free(m);
}

/* ---- label caps and refused input ---- */

static void test_caps_and_errors(void)
{
    tr_metrics *m = NULL;
    CHECK_EQ_I64(tr_metrics_new(&m), TR_OK);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_COUNTER, .name = "t_cap_total",
                     .help = "Capped.", .labels = {"k"}, .max_series = 3),
                 TR_OK);
    tr_metric_series *a = series(m, "t_cap_total", "a", NULL);
    series(m, "t_cap_total", "b", NULL);
    series(m, "t_cap_total", "c", NULL);
    tr_metric_series *s = NULL;
    CHECK_EQ_I64(tr_metrics_series(m, "t_cap_total", "d", NULL, &s),
                 TR_ERR_FULL);
    CHECK(s == NULL);
    CHECK(tr_metrics_get(m, "t_cap_total", "d", NULL) == NULL);
    CHECK(tr_metrics_get(m, "t_cap_total", "a", NULL) == a);
    char *t = render(m);
    CHECK(strstr(t, "\"d\"") == NULL);
    CHECK(sample(t, "t_cap_total{k=\"c\"}") == 0);
    free(t);

    /* Two labels: the cap counts combinations. */
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_COUNTER, .name = "t_two_total",
                     .help = "Two.", .labels = {"route", "code"},
                     .max_series = 2),
                 TR_OK);
    series(m, "t_two_total", "/a", "200");
    series(m, "t_two_total", "/a", "500");
    CHECK_EQ_I64(tr_metrics_series(m, "t_two_total", "/b", "200", &s),
                 TR_ERR_FULL);
    /* The default cap. */
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_GAUGE, .name = "t_def",
                     .help = "Default cap.", .labels = {"k"}),
                 TR_OK);
    int ok = 0, rc = TR_OK;
    for (int i = 0; rc == TR_OK && i < 1000; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        rc = tr_metrics_series(m, "t_def", v, NULL, &s);
        ok += rc == TR_OK;
    }
    CHECK_EQ_I64(ok, TR_METRICS_DEFAULT_SERIES);
    CHECK_EQ_I64(rc, TR_ERR_FULL);

    /* Lookups. */
    CHECK_EQ_I64(tr_metrics_series(m, "t_nope", NULL, NULL, &s),
                 TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_metrics_series(m, "t_cap_total", NULL, NULL, &s),
                 TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_series(m, "t_cap_total", "a", "x", &s),
                 TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_series(m, "t_two_total", "/a", NULL, &s),
                 TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_series(m, "t_two_total", NULL, "200", &s),
                 TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_series(m, "t_cap_total", "\xff", NULL, &s),
                 TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_series(m, "t_cap_total", "\xc0\xaf", NULL, &s),
                 TR_ERR_INVALID); /* overlong '/' */
    CHECK_EQ_I64(tr_metrics_series(m, "t_cap_total", "\xed\xa0\x80", NULL, &s),
                 TR_ERR_INVALID); /* a surrogate */
    CHECK_EQ_I64(tr_metrics_series(m, "t_cap_total", "ab\xc3", NULL, &s),
                 TR_ERR_INVALID); /* cut short */
    char longv[TR_METRICS_MAX_VALUE_LEN + 2];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    CHECK_EQ_I64(tr_metrics_series(m, "t_two_total", longv, "200", &s),
                 TR_ERR_INVALID);
    CHECK(tr_metrics_get(NULL, "t_cap_total", "a", NULL) == NULL);

    /* Registration refusals. */
    const double good[] = {1, 2}, unsorted[] = {2, 1}, dup[] = {1, 1},
                 inf[] = {1, INFINITY}, nan[] = {NAN};
    struct {
        tr_metric_desc d;
        const char *why;
    } bad[] = {
        {{.kind = TR_METRIC_COUNTER, .name = "t_cap_total", .help = "x"},
         "name taken"},
        {{.kind = TR_METRIC_COUNTER, .name = "1abc", .help = "x"},
         "name starts with a digit"},
        {{.kind = TR_METRIC_COUNTER, .name = "a-b", .help = "x"},
         "dash in name"},
        {{.kind = TR_METRIC_COUNTER, .name = "", .help = "x"}, "empty name"},
        {{.kind = TR_METRIC_COUNTER, .name = NULL, .help = "x"}, "no name"},
        {{.kind = TR_METRIC_COUNTER, .name = "t_x", .help = NULL}, "no help"},
        {{.kind = TR_METRIC_COUNTER, .name = "t_x", .help = "\xff"},
         "help not UTF-8"},
        {{.kind = 0, .name = "t_x", .help = "x"}, "no kind"},
        {{.kind = 7, .name = "t_x", .help = "x"}, "bad kind"},
        {{.kind = TR_METRIC_COUNTER,
          .name = "t_x",
          .help = "x",
          .labels = {"a:b"}},
         "colon in label"},
        {{.kind = TR_METRIC_COUNTER,
          .name = "t_x",
          .help = "x",
          .labels = {"__a"}},
         "reserved label"},
        {{.kind = TR_METRIC_COUNTER,
          .name = "t_x",
          .help = "x",
          .labels = {"a", "a"}},
         "same label twice"},
        {{.kind = TR_METRIC_COUNTER,
          .name = "t_x",
          .help = "x",
          .labels = {NULL, "a"}},
         "label gap"},
        {{.kind = TR_METRIC_COUNTER,
          .name = "t_x",
          .help = "x",
          .labels = {"a"},
          .max_series = TR_METRICS_MAX_SERIES + 1},
         "cap too high"},
        {{.kind = TR_METRIC_COUNTER,
          .name = "t_x",
          .help = "x",
          .bounds = good,
          .nbounds = 2},
         "bounds on a counter"},
        {{.kind = TR_METRIC_HISTOGRAM, .name = "t_x", .help = "x"},
         "histogram without bounds"},
        {{.kind = TR_METRIC_HISTOGRAM,
          .name = "t_x",
          .help = "x",
          .bounds = unsorted,
          .nbounds = 2},
         "decreasing bounds"},
        {{.kind = TR_METRIC_HISTOGRAM,
          .name = "t_x",
          .help = "x",
          .bounds = dup,
          .nbounds = 2},
         "equal bounds"},
        {{.kind = TR_METRIC_HISTOGRAM,
          .name = "t_x",
          .help = "x",
          .bounds = inf,
          .nbounds = 2},
         "+Inf bound"},
        {{.kind = TR_METRIC_HISTOGRAM,
          .name = "t_x",
          .help = "x",
          .bounds = nan,
          .nbounds = 1},
         "NaN bound"},
        {{.kind = TR_METRIC_HISTOGRAM,
          .name = "t_x",
          .help = "x",
          .labels = {"le"},
          .bounds = good,
          .nbounds = 2},
         "le label on a histogram"},
        {{.kind = TR_METRIC_HISTOGRAM,
          .name = "t_x",
          .help = "x",
          .bounds = good,
          .nbounds = TR_METRICS_MAX_BOUNDS + 1},
         "too many bounds"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(tr_metrics_register(m, &bad[i].d) == TR_ERR_INVALID,
                  "registration accepted: %s", bad[i].why);
    CHECK_EQ_I64(tr_metrics_register(m, NULL), TR_ERR_INVALID);
    /* The refused ones left nothing behind; a good one still goes in. */
    CHECK_EQ_I64(tr_metrics_series(m, "t_x", NULL, NULL, &s), TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_COUNTER, .name = "t_x:y_total",
                     .help = "", .labels = {"_a", "b1"}),
                 TR_OK);

    /* Updates through NULL handles do nothing (and do not crash). */
    tr_metric_inc(NULL);
    tr_metric_add(NULL, 3);
    tr_metric_set(NULL, 1);
    tr_metric_gauge_add(NULL, 1);
    tr_metric_observe(NULL, 1);
    tr_metric_observe_ns(NULL, 1);
    CHECK_EQ_I64(tr_metric_count(NULL), 0);
    CHECK(tr_metric_value(NULL) == 0);
#ifdef NDEBUG
    /* Release builds ignore an update of the wrong kind (debug ones
     * assert). */
    tr_metric_set(a, 5);
    tr_metric_observe(a, 5);
    CHECK_EQ_I64(tr_metric_count(a), 0);
#endif
    char *buf = NULL;
    size_t cap = 0, len = 0;
    CHECK_EQ_I64(tr_metrics_render(NULL, &buf, &cap, &len), TR_ERR_INVALID);
    tr_metrics_free(m);
    tr_metrics_free(NULL);
}

/* ---- out of memory: every allocation fails once, in turn ---- */

typedef struct faults_ctx {
    int on;
    long calls, fail_at, injected;
} faults_ctx;

static int fail_nth(void *ctx)
{
    faults_ctx *c = ctx;
    if (!c->on || c->calls++ != c->fail_at) return 0;
    c->injected++;
    return 1;
}

/* Run op; on TR_ERR_NOMEM turn the faults off and run it again, which must
 * then work: a failed call left the registry as it was. */
#define RETRY(c, call)                                                         \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ == TR_ERR_NOMEM) {                                             \
            (c)->on = 0;                                                       \
            rc_ = (call);                                                      \
        }                                                                      \
        CHECK_MSG(rc_ == TR_OK, "%s at fault %ld: %s", #call, (c)->fail_at,    \
                  tr_strerror(rc_));                                           \
    } while (0)

static void test_out_of_memory(void)
{
    const double b[] = {0.1, 1};
    long k;
    for (k = 0;; k++) {
        faults_ctx c = {.on = 1, .fail_at = k};
        tr__metrics_faults f = {fail_nth, &c};
        tr_metrics *m = NULL;
        int rc = tr__metrics_new_faults(&f, &m);
        if (rc == TR_ERR_NOMEM) {
            CHECK(m == NULL);
            continue;
        }
        tr_metric_series *s = NULL, *h = NULL;
        RETRY(&c, REG(m, .kind = TR_METRIC_COUNTER, .name = "a_total",
                      .help = "A.", .labels = {"k", "j"}));
        RETRY(&c, REG(m, .kind = TR_METRIC_HISTOGRAM, .name = "h_seconds",
                      .help = "H.", .bounds = b, .nbounds = 2));
        RETRY(&c, REG(m, .kind = TR_METRIC_HISTOGRAM, .name = "r_seconds",
                      .help = "R.", .labels = {"route"}, .bounds = b,
                      .nbounds = 2));
        for (int i = 0; i < 20; i++) { /* grows the family array */
            char name[32];
            snprintf(name, sizeof name, "g%d", i);
            RETRY(&c,
                  REG(m, .kind = TR_METRIC_GAUGE, .name = name, .help = "G."));
        }
        RETRY(&c, tr_metrics_series(m, "a_total", "x", "y", &s));
        tr_metric_inc(s);
        RETRY(&c, tr_metrics_series(m, "r_seconds", "/r", NULL, &h));
        tr_metric_observe(h, 0.5);
        char *buf = NULL;
        size_t cap = 0, len = 0;
        for (int i = 0; i < 2; i++) /* 2: the second grows a used buffer */
            RETRY(&c, tr_metrics_render(m, &buf, &cap, &len));
        CHECK(strstr(buf ? buf : "", "a_total{k=\"x\",j=\"y\"} 1\n") != NULL);
        CHECK(strstr(buf ? buf : "",
                     "r_seconds_count{route=\"/r\"} 1\n# HELP g0 G.\n") !=
              NULL);
        CHECK(sample(buf ? buf : "", "h_seconds_count") == 0);
        free(buf);
        tr_metrics_free(m);
        if (!c.injected) break;
    }
    CHECK_MSG(k > 30, "only %ld allocations seen", k);
    printf("out of memory: %ld allocation points each failed once\n", k);
}

/* ---- concurrency: exact totals ---- */

#define NTHREADS 4
#define NITER    1000000

typedef struct shared {
    tr_metrics *m;
    int id;
    atomic_int go;
    int handles_ok; /* checked by the main thread (CHECK is not atomic) */
} shared;

static void *writer(void *arg)
{
    shared *sh = arg;
    tr_metrics *m = sh->m;
    char name[8];
    snprintf(name, sizeof name, "t%d", sh->id);
    /* All threads look up the same new series at once, and one of their
     * own. */
    while (!atomic_load(&sh->go)) {
    }
    tr_metric_series *c = tr_metrics_get(m, "t_par_total", "shared", NULL);
    tr_metric_series *mine = tr_metrics_get(m, "t_par_total", name, NULL);
    tr_metric_series *g = tr_metrics_get(m, "t_gauge", NULL, NULL);
    tr_metric_series *h = tr_metrics_get(m, "t_obs", NULL, NULL);
    sh->handles_ok = c && mine && g && h;
    for (int i = 0; i < NITER; i++) {
        tr_metric_inc(c);
        tr_metric_inc(mine);
        tr_metric_gauge_add(g, 1.0);
        tr_metric_observe(h, (i % 4) * 0.25);
    }
    return NULL;
}

static void test_concurrent_totals(void)
{
    tr_metrics *m = NULL;
    CHECK_EQ_I64(tr_metrics_new(&m), TR_OK);
    const double b[] = {0.25, 0.5};
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_COUNTER, .name = "t_par_total",
                     .help = "P.", .labels = {"thread"}),
                 TR_OK);
    CHECK_EQ_I64(
        REG(m, .kind = TR_METRIC_GAUGE, .name = "t_gauge", .help = "G."),
        TR_OK);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_HISTOGRAM, .name = "t_obs",
                     .help = "O.", .bounds = b, .nbounds = 2),
                 TR_OK);
    pthread_t th[NTHREADS];
    shared sh[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        sh[i].m = m;
        sh[i].id = i;
        atomic_init(&sh[i].go, 0);
        CHECK(pthread_create(&th[i], NULL, writer, &sh[i]) == 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        atomic_store(&sh[i].go, 1);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK(sh[i].handles_ok);
    }

    const double total = (double)NTHREADS * NITER;
    char *t = render(m);
    CHECK(sample(t, "t_par_total{thread=\"shared\"}") == total);
    for (int i = 0; i < NTHREADS; i++) {
        char key[64];
        snprintf(key, sizeof key, "t_par_total{thread=\"t%d\"}", i);
        CHECK_MSG(sample(t, key) == NITER, "%s", key);
    }
    /* One "shared" series, not one per racing thread. */
    int shared_lines = 0;
    for (const char *p = t; (p = strstr(p, "\"shared\"")); p++)
        shared_lines++;
    CHECK_EQ_I64(shared_lines, 1);
    CHECK(sample(t, "t_gauge") == total);
    /* i % 4 * 0.25: 0 and 0.25 in le 0.25, 0.5 in le 0.5, 0.75 above. */
    CHECK(sample(t, "t_obs_bucket{le=\"0.25\"}") == total / 2);
    CHECK(sample(t, "t_obs_bucket{le=\"0.5\"}") == total * 3 / 4);
    CHECK(sample(t, "t_obs_bucket{le=\"+Inf\"}") == total);
    CHECK(sample(t, "t_obs_count") == total);
    CHECK(sample(t, "t_obs_sum") == total * 1.5 / 4);
    free(t);
    tr_metrics_free(m);
}

/* ---- renders while writers update ---- */

typedef struct race {
    tr_metrics *m;
    atomic_int stop;
    int id;
} race;

static void *race_writer(void *arg)
{
    race *r = arg;
    tr_metric_series *h = tr_metrics_get(r->m, "t_race_seconds", NULL, NULL);
    tr_metric_series *rt = tr_metrics_get(r->m, "t_race_route_seconds",
                                          r->id % 2 ? "/odd" : "/even", NULL);
    tr_metric_series *c = tr_metrics_get(r->m, "t_race_total", NULL, NULL);
    uint64_t i = 0;
    while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        /* Spread over every bucket, +Inf included. */
        double v = (double)(i++ % 7) * 0.2;
        tr_metric_observe(h, v);
        tr_metric_observe(rt, v);
        tr_metric_inc(c);
    }
    return NULL;
}

/* New label values appear while renders run. */
static void *race_creator(void *arg)
{
    race *r = arg;
    for (int i = 0; i < 30; i++) {
        char v[16];
        snprintf(v, sizeof v, "/c%d", i);
        tr_metric_observe(tr_metrics_get(r->m, "t_race_route_seconds", v, NULL),
                          0.1);
        usleep(1000);
    }
    return NULL;
}

/* Whether the sample head [p, end) has le="+Inf". */
static int has_inf_le(const char *p, const char *end)
{
    static const char k[] = "le=\"+Inf\"";
    for (; p + sizeof k - 1 <= end; p++)
        if (memcmp(p, k, sizeof k - 1) == 0) return 1;
    return 0;
}

/* Check every histogram series of one render: buckets cumulative and
 * _count equal to the +Inf bucket. Returns the series checked, or -1. */
static int check_histograms(const char *text)
{
    int nseries = 0, bad = 0;
    double prev = -1, inf = -1;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        if (!eol) break;
        const char *sp = memchr(p, ' ', (size_t)(eol - p));
        if (*p != '#' && sp) {
            double v = strtod(sp + 1, NULL);
            const char *brace = memchr(p, '{', (size_t)(sp - p));
            const char *end = brace ? brace : sp;
            size_t n = (size_t)(end - p);
            if (n > 7 && memcmp(end - 7, "_bucket", 7) == 0) {
                if (v < prev) bad++;
                prev = v;
                if (has_inf_le(p, sp)) inf = v;
            } else if (n > 6 && memcmp(end - 6, "_count", 6) == 0) {
                if (v != inf) {
                    fprintf(stderr, "count %.17g != +Inf bucket %.17g: %.*s\n",
                            v, inf, (int)(eol - p), p);
                    bad++;
                }
                nseries++;
                prev = inf = -1;
            }
        }
        p = eol + 1;
    }
    return bad ? -1 : nseries;
}

static void test_render_during_updates(void)
{
    tr_metrics *m = NULL;
    CHECK_EQ_I64(tr_metrics_new(&m), TR_OK);
    const double b[] = {0.1, 0.2, 0.4, 0.8, 1};
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_HISTOGRAM, .name = "t_race_seconds",
                     .help = "R.", .bounds = b, .nbounds = 5),
                 TR_OK);
    CHECK_EQ_I64(REG(m, .kind = TR_METRIC_HISTOGRAM,
                     .name = "t_race_route_seconds", .help = "R.",
                     .labels = {"route"}, .bounds = b, .nbounds = 5,
                     .max_series = 64),
                 TR_OK);
    CHECK_EQ_I64(
        REG(m, .kind = TR_METRIC_COUNTER, .name = "t_race_total", .help = "C."),
        TR_OK);
    enum { NW = 3 };
    race r[NW + 1];
    pthread_t th[NW + 1];
    for (int i = 0; i <= NW; i++) {
        r[i].m = m;
        r[i].id = i;
        atomic_init(&r[i].stop, 0);
        CHECK(pthread_create(&th[i], NULL, i < NW ? race_writer : race_creator,
                             &r[i]) == 0);
    }
    tr_metric_series *c = tr_metrics_get(m, "t_race_total", NULL, NULL);
    while (tr_metric_count(c) < 1000) /* the writers are running */
        sched_yield();
    char *buf = NULL;
    size_t cap = 0, len = 0;
    int renders = 0, failures = 0;
    double last_count = 0, first = -1;
    /* At least 300 renders, and on until the writers were seen to move
     * (a loaded machine may not run them for a while). */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0;; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (i >= 300 && (last_count > first || now.tv_sec - t0.tv_sec > 20))
            break;
        if (tr_metrics_render(m, &buf, &cap, &len) != TR_OK) {
            failures++;
            continue;
        }
        renders++;
        int n = check_histograms(buf);
        if (n < 2) failures++;
        double cnt = sample(buf, "t_race_seconds_count");
        if (cnt < last_count) failures++; /* counts only grow */
        last_count = cnt;
        if (first < 0) first = cnt;
    }
    for (int i = 0; i <= NW; i++)
        atomic_store(&r[i].stop, 1);
    for (int i = 0; i <= NW; i++)
        pthread_join(th[i], NULL);
    CHECK(renders >= 300);
    CHECK_EQ_I64(failures, 0);
    CHECK_MSG(last_count > first,
              "writers made no progress during renders: %g -> %g", first,
              last_count);
    free(buf);
    /* After the writers stop, every series adds up exactly. */
    tr_metric_series *h = tr_metrics_get(m, "t_race_seconds", NULL, NULL);
    uint64_t odd = tr_metric_count(
        tr_metrics_get(m, "t_race_route_seconds", "/odd", NULL));
    uint64_t even = tr_metric_count(
        tr_metrics_get(m, "t_race_route_seconds", "/even", NULL));
    CHECK_EQ_I64(odd + even, tr_metric_count(h));
    CHECK_EQ_I64(tr_metric_count(c), tr_metric_count(h));
    char *t = render(m);
    CHECK_EQ_I64(check_histograms(t), 1 + 2 + 30);
    free(t);
    tr_metrics_free(m);
}

/* ---- the standard set, through promtool ---- */

/* promtool check metrics on text; its exit status, -1 when it cannot run,
 * 77 when promtool is missing. Its output goes to stderr. */
static int promtool_check(const char *text)
{
    if (system("command -v promtool >/dev/null 2>&1") != 0) return 77;
    char *dir = mktmp_named("test-metrics");
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/metrics.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        rm_tree(dir);
        free(dir);
        return -1;
    }
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' 2>&1", path);
    FILE *p = popen(cmd, "r");
    int status = -1;
    if (p) {
        char line[512];
        while (fgets(line, sizeof line, p))
            fprintf(stderr, "promtool: %s", line);
        int st = pclose(p);
        status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    rm_tree(dir);
    free(dir);
    return status;
}

static void test_standard_set(void)
{
    tr_metrics *m = NULL;
    CHECK_EQ_I64(tr_metrics_new(&m), TR_OK);
    tr_metrics_std std;
    memset(&std, 0xff, sizeof std);
    CHECK_EQ_I64(
        tr_metrics_register_standard(m, "1.2.3-\"dev\"", 1.7e9 + 0.25, &std),
        TR_OK);
    /* Every handle is set and of the right kind. */
    tr_metric_series *gauges[] = {std.equity,           std.cash,
                                  std.exposure,         std.open_positions,
                                  std.halted,           std.feed_lag,
                                  std.journal_lag,      std.daily_pnl,
                                  std.daily_loss_limit, std.start_time};
    for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++)
        CHECK_MSG(tr_metric_series_kind(gauges[i]) == TR_METRIC_GAUGE,
                  "gauge %zu", i);
    CHECK_EQ_I64(tr_metric_series_kind(std.bar_to_order), TR_METRIC_HISTOGRAM);
    CHECK_EQ_I64(tr_metric_series_kind(std.signal_to_order),
                 TR_METRIC_HISTOGRAM);
    CHECK_EQ_I64(tr_metric_series_kind(std.signals_executed),
                 TR_METRIC_COUNTER);
    CHECK(std.signals_rejected && std.signals_rejected != std.signals_executed);

    tr_metric_set(std.equity, 100250.75);
    tr_metric_set(std.cash, 50000);
    tr_metric_set(std.daily_pnl, -1200.5);
    tr_metric_set(std.daily_loss_limit, 3000);
    tr_metric_gauge_add(std.open_positions, 1);
    tr_metric_gauge_add(std.open_positions, 1);
    tr_metric_set(std.feed_lag, 0.35);
    tr_metric_inc(std.signals_executed);
    tr_metric_observe_ns(std.bar_to_order, 1800);
    tr_metric_observe_ns(std.signal_to_order, 45000);
    tr_metric_inc(tr_metrics_get(m, TR_M_EVENTS_TOTAL, "bar", NULL));
    tr_metric_inc(tr_metrics_get(m, TR_M_ORDERS_TOTAL, "filled", NULL));
    tr_metric_inc(
        tr_metrics_get(m, TR_M_REJECTIONS_TOTAL, "max_positions", NULL));
    tr_metric_inc(
        tr_metrics_get(m, TR_M_API_REQUESTS_TOTAL, "/api/v1/signals", "200"));
    tr_metric_inc(
        tr_metrics_get(m, TR_M_API_REQUESTS_TOTAL, "/api/v1/signals", "503"));
    tr_metric_observe(
        tr_metrics_get(m, TR_M_API_LATENCY, "/api/v1/signals", NULL), 0.0004);
    /* The outcome label takes exactly its two values. */
    CHECK(tr_metrics_get(m, TR_M_SIGNALS_TOTAL, "maybe", NULL) == NULL);
    /* One build_info series. */
    CHECK(tr_metrics_get(m, TR_M_BUILD_INFO, "other", NULL) == NULL);

    char *t = render(m);
    CHECK(sample(t, "trader_build_info{version=\"1.2.3-\\\"dev\\\"\"}") == 1);
    CHECK(sample(t, "trader_start_time_seconds") == 1.7e9 + 0.25);
    CHECK(sample(t, "trader_signals_total{outcome=\"executed\"}") == 1);
    CHECK(sample(t, "trader_signals_total{outcome=\"rejected\"}") == 0);
    CHECK(sample(t, "trader_open_positions") == 2);
    CHECK(
        sample(t,
               "trader_bar_to_order_latency_seconds_bucket{le=\"2.5e-06\"}") ==
        1);
    CHECK(
        sample(t, "trader_bar_to_order_latency_seconds_bucket{le=\"1e-06\"}") ==
        0);
    CHECK(sample(t, "trader_api_latency_seconds_count"
                    "{route=\"/api/v1/signals\"}") == 1);
    const char *names[] = {
        TR_M_EVENTS_TOTAL,
        TR_M_ORDERS_TOTAL,
        TR_M_SIGNALS_TOTAL,
        TR_M_REJECTIONS_TOTAL,
        TR_M_API_REQUESTS_TOTAL,
        TR_M_EQUITY,
        TR_M_CASH,
        TR_M_EXPOSURE,
        TR_M_OPEN_POSITIONS,
        TR_M_HALTED,
        TR_M_FEED_LAG,
        TR_M_JOURNAL_LAG,
        TR_M_DAILY_PNL,
        TR_M_DAILY_LOSS_LIMIT,
        TR_M_BUILD_INFO,
        TR_M_START_TIME,
        TR_M_BAR_TO_ORDER,
        TR_M_SIGNAL_TO_ORDER,
        TR_M_API_LATENCY,
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char help[128];
        snprintf(help, sizeof help, "# HELP %s ", names[i]);
        CHECK_MSG(strstr(t, help) != NULL, "%s missing", names[i]);
    }

    /* The real parser and linter. It must also refuse a broken text, or
     * this check would prove nothing. */
    int st = promtool_check(t);
    if (st == 77) {
        const char *req = getenv("TR_REQUIRE_ORACLES");
        printf("SKIPPED promtool check: promtool not installed "
               "(Debian: prometheus)\n");
        CHECK_MSG(!(req && strcmp(req, "1") == 0),
                  "promtool missing and TR_REQUIRE_ORACLES=1");
    } else {
        CHECK_MSG(st == 0, "promtool check metrics exit status %d", st);
        CHECK(promtool_check("# HELP x_total X.\n# TYPE x_total counter\n"
                             "x_total{a=\"\\q\"} 1\n") != 0);
        CHECK(promtool_check("# HELP x X.\n# TYPE x counter\nx 1\n") != 0);
    }
    free(t);

    /* A second standard set does not fit in the same registry. */
    CHECK_EQ_I64(tr_metrics_register_standard(m, "1", 0, NULL), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_metrics_register_standard(m, NULL, 0, NULL),
                 TR_ERR_INVALID);
    tr_metrics_free(m);
}

int main(void)
{
    test_golden();
    test_escaping();
    test_buckets();
    test_caps_and_errors();
    test_out_of_memory();
    test_concurrent_totals();
    test_render_during_updates();
    test_standard_set();
    return test_summary();
}
