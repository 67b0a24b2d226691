/* test_csv.c: the CSV bar reader against the corpus in fixtures/csv (good/:
 * accepted layouts with exact first and last bars; bad/: refused rows with
 * their line numbers and reasons) and in-memory edge cases. */
#include <errno.h>
#include <stdlib.h>

#include "core/err.h"
#include "data/csv.h"
#include "test.h"

#define S(x)   ((int64_t)(x) * TR_NS_PER_SEC)
#define D0102  S(1704153600) /* 2024-01-02T00:00:00Z */
#define DAY    TR_NS_PER_DAY
#define M0930  S(1704187800) /* 2024-01-02T09:30:00Z */

/* ---- report collector -------------------------------------------------- */

#define MAX_REPORTS 64

typedef struct report {
    size_t line;
    char file[256];
    char reason[256];
} report;

typedef struct collector {
    report r[MAX_REPORTS];
    size_t n;     /* stored */
    size_t calls; /* all calls */
} collector;

static void collect(void *ctx, const char *file, size_t line,
                    const char *reason)
{
    collector *c = ctx;
    c->calls++;
    if (c->n >= MAX_REPORTS)
        return;
    report *r = &c->r[c->n++];
    r->line = line;
    /* both strings are only borrowed for the call: copy them */
    snprintf(r->file, sizeof r->file, "%s", file ? file : "(null)");
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "(null)");
}

static void print_reports(const collector *c)
{
    for (size_t i = 0; i < c->n; i++)
        fprintf(stderr, "    reported %s:%zu: %s\n", c->r[i].file,
                c->r[i].line, c->r[i].reason);
}

/* phrase is one or more alternatives separated by '|'. */
static int has_phrase(const char *reason, const char *phrase)
{
    char alt[64];
    while (*phrase) {
        size_t n = strcspn(phrase, "|");
        snprintf(alt, sizeof alt, "%.*s", (int)n, phrase);
        if (strstr(reason, alt))
            return 1;
        phrase += n;
        if (*phrase == '|')
            phrase++;
    }
    return 0;
}

static const char *fixtures(void)
{
    const char *f = getenv("TR_FIXTURES");
    return f && *f ? f : "fixtures";
}

static void fixture_path(char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s/csv/%s", fixtures(), rel);
}

/* Every stored bar obeys the rules the reader enforces. */
static int bars_sane(const tr_bars *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const tr_bar *x = &b->v[i];
        tr_fx hi = x->open > x->close ? x->open : x->close;
        tr_fx lo = x->open < x->close ? x->open : x->close;
        if (x->open <= 0 || x->high <= 0 || x->low <= 0 || x->close <= 0 ||
            x->volume < 0 || x->high < hi || x->low > lo)
            return 0;
        if (i > 0 && x->time <= b->v[i - 1].time)
            return 0;
    }
    return 1;
}

static int bar_eq(const tr_bar *a, const tr_bar *b)
{
    return a->time == b->time && a->open == b->open && a->high == b->high &&
           a->low == b->low && a->close == b->close && a->volume == b->volume;
}

static void check_bar(const char *what, const tr_bar *got, const tr_bar *want)
{
    CHECK_MSG(bar_eq(got, want),
              "%s: got {t %" PRId64 " o %" PRId64 " h %" PRId64 " l %" PRId64
              " c %" PRId64 " v %" PRId64 "}, expected {t %" PRId64
              " o %" PRId64 " h %" PRId64 " l %" PRId64 " c %" PRId64
              " v %" PRId64 "}",
              what, got->time, got->open, got->high, got->low, got->close,
              got->volume, want->time, want->open, want->high, want->low,
              want->close, want->volume);
}

/* ---- good corpus ------------------------------------------------------- */

/* The rows most small files share. */
#define R1(t) {(t), 1000000000, 1100000000, 900000000, 1050000000, 10000000000}
#define R2(t) {(t), 1050000000, 1150000000, 1000000000, 1100000000, 20000000000}
#define R3(t) {(t), 1100000000, 1150000000, 1050000000, 1125000000, 30000000000}

/* 2024-01-02..04 AAPL-like rows of lower.csv and upper.csv */
#define AAPL_FIRST                                                             \
    {D0102, 18715000000, 18844000000, 18389000000, 18564000000,                \
     8248870000000000}
#define AAPL_LAST                                                              \
    {D0102 + 2 * DAY, 18215000000, 18309000000, 18088000000, 18191000000,      \
     7198360000000000}

typedef struct good_case {
    const char *file;
    size_t n;
    int has_adj;
    tr_bar first, last;
    tr_fx adj_first, adj_last;
} good_case;

static const good_case good_cases[] = {
    {"good/lower.csv", 3, 0, AAPL_FIRST, AAPL_LAST, 0, 0},
    {"good/upper.csv", 3, 0, AAPL_FIRST, AAPL_LAST, 0, 0},
    {"good/yahoo.csv", 4, 1,
     {D0102, 18715000200, 18844000200, 18388999900, 18563999900,
      8248870000000000},
     {D0102 + 3 * DAY, 18199000500, 18275999500, 18016999800, 18117999300,
      6230330000000000},
     18453208900, 18009869400},
    {"good/reordered.csv", 2, 0,
     {D0102, 1000000000, 1100000000, 950000000, 1050000000, 100000000000},
     {D0102 + DAY, 1050000000, 1200000000, 1025000000, 1150000000,
      200000000000},
     0, 0},
    {"good/extra_cols.csv", 3, 0, R1(D0102),
     {D0102 + 2 * DAY, 1100000000, 1125000000, 1075000000, 1120000000, 0}, 0,
     0},
    {"good/adj_first.csv", 2, 1, R1(D0102), R2(D0102 + DAY), 525000000,
     550000000},
    {"good/adj_underscore.csv", 2, 1, R1(D0102), R2(D0102 + DAY), 1040000000,
     1090000000},
    {"good/adjclose.csv", 1, 1, R1(D0102), R1(D0102), 525000000, 525000000},
    {"good/bom.csv", 2, 0, R1(D0102), R2(D0102 + DAY), 0, 0},
    {"good/crlf.csv", 2, 0, R1(D0102), R2(D0102 + DAY), 0, 0},
    {"good/bom_crlf_blank.csv", 2, 0, R1(D0102), R2(D0102 + DAY), 0, 0},
    {"good/trailing_blank.csv", 2, 0, R1(D0102), R2(D0102 + DAY), 0, 0},
    {"good/no_newline.csv", 2, 0, R1(D0102), R2(D0102 + DAY), 0, 0},
    {"good/quoted.csv", 2, 0, R1(D0102), R2(D0102 + DAY), 0, 0},
    {"good/quoted_comma.csv", 2, 0, R1(D0102), R2(D0102 + DAY), 0, 0},
    {"good/spaces.csv", 3, 0, R1(D0102), R3(D0102 + 2 * DAY), 0, 0},
    {"good/basic_date.csv", 2, 0, R1(D0102), R2(D0102 + DAY), 0, 0},
    {"good/datetime_space.csv", 4, 0,
     {M0930, 10050000000, 10075000000, 10025000000, 10050000000,
      150000000000},
     {M0930 + S(180), 10020000000, 10020000000, 10020000000, 10020000000, 0},
     0, 0},
    {"good/timestamp_epoch.csv", 3, 0,
     {M0930, 4200012345678, 4210000000000, 4190050000000, 4205087654321,
      123456789},
     {M0930 + S(120), 4200100000000, 4200200000000, 4199999999999,
      4200000000000, 1250000000},
     0, 0},
    {"good/timestamp_ms.csv", 2, 0, R1(M0930), R2(M0930 + S(60)), 0, 0},
    /* 09:31-05:00 is 14:31Z; the last bar is 14:32:00.5Z */
    {"good/time_iso.csv", 3, 0, R1(M0930),
     R3(S(1704205920) + 500000000), 0, 0},
    {"good/pre1970.csv", 3, 0,
     {-S(172800), 100000000, 150000000, 50000000, 125000000, 1000000000},
     {0, 125000000, 200000000, 125000000, 200000000, 1000000000}, 0, 0},
};

static void test_good_corpus(void)
{
    for (size_t i = 0; i < sizeof good_cases / sizeof good_cases[0]; i++) {
        const good_case *g = &good_cases[i];
        char path[1024];
        fixture_path(path, sizeof path, g->file);
        collector col = {0};
        tr_csv_opts opts = {.report = collect, .report_ctx = &col,
                        .max_problems = 0};
        tr_bars bars;
        tr_bars_init(&bars);
        size_t bad = 12345;
        int rc = tr_csv_read_file(path, &opts, &bars, &bad);
        if (!CHECK_MSG(rc == TR_OK, "%s: rc %d (%s), expected TR_OK", g->file,
                       rc, tr_strerror(rc)))
            print_reports(&col);
        CHECK_MSG(col.calls == 0, "%s: %zu reports", g->file, col.calls);
        CHECK_MSG(bad == 0, "%s: bad_rows %zu", g->file, bad);
        CHECK_MSG(bars.n == g->n, "%s: %zu bars, expected %zu", g->file,
                  bars.n, g->n);
        if (bars.n > 0) {
            char what[128];
            snprintf(what, sizeof what, "%s first bar", g->file);
            check_bar(what, &bars.v[0], &g->first);
            snprintf(what, sizeof what, "%s last bar", g->file);
            check_bar(what, &bars.v[bars.n - 1], &g->last);
            CHECK_MSG(bars_sane(&bars), "%s: stored bars break the rules",
                      g->file);
        }
        if (g->has_adj) {
            if (CHECK_MSG(bars.adj_close != NULL, "%s: adj_close is NULL",
                          g->file) &&
                bars.n > 0) {
                CHECK_MSG(bars.adj_close[0] == g->adj_first,
                          "%s: adj_close[0] %" PRId64 ", expected %" PRId64,
                          g->file, bars.adj_close[0], g->adj_first);
                CHECK_MSG(bars.adj_close[bars.n - 1] == g->adj_last,
                          "%s: adj_close[last] %" PRId64 ", expected %" PRId64,
                          g->file, bars.adj_close[bars.n - 1], g->adj_last);
            }
        } else {
            CHECK_MSG(bars.adj_close == NULL, "%s: adj_close is not NULL",
                      g->file);
        }
        tr_bars_free(&bars);
    }
}

/* All three AAPL rows of lower.csv, not only first and last. */
static void test_good_middle_row(void)
{
    char path[1024];
    fixture_path(path, sizeof path, "good/lower.csv");
    tr_bars bars;
    tr_bars_init(&bars);
    CHECK_EQ_I64(tr_csv_read_file(path, NULL, &bars, NULL), TR_OK);
    if (CHECK_EQ_I64(bars.n, 3)) {
        tr_bar want = {D0102 + DAY, 18422000000, 18588000000, 18343000000,
                       18425000000, 5841450000000000};
        check_bar("lower.csv middle bar", &bars.v[1], &want);
    }
    tr_bars_free(&bars);
}

/* ---- bad corpus -------------------------------------------------------- */

#define LINE_0_OR_1 ((size_t)-1) /* an empty file has no line 1 to blame */

typedef struct want_report {
    size_t line;
    const char *phrase;     /* '|'-separated alternatives, one must occur */
    const char *not_phrase; /* must not occur (NULL: no such rule) */
} want_report;

typedef struct bad_case {
    const char *file;
    size_t n_good;
    int header; /* the header is refused: exactly one report, bad_rows free */
    want_report want[12];
} bad_case;

static const bad_case bad_cases[] = {
    {"bad/unparsable.csv", 3, 0,
     {{3, "cannot parse", NULL},
      {5, "cannot parse", NULL},
      {6, "cannot parse", NULL},
      {7, "cannot parse", NULL},
      {8, "cannot parse", NULL}}},
    {"bad/short_row.csv", 3, 0,
     {{3, "missing field", NULL},
      {5, "missing field", NULL},
      {6, "missing field|cannot parse", NULL}}},
    {"bad/nonpositive.csv", 3, 0,
     {{3, "must be positive", NULL},
      {4, "must be positive", NULL},
      {6, "must be positive", NULL},
      {7, "must be positive", NULL}}},
    {"bad/nonfinite.csv", 3, 0,
     {{3, "not finite", NULL},
      {4, "not finite", NULL},
      {6, "not finite|cannot parse", NULL},
      {7, "not finite|cannot parse", NULL},
      {8, "not finite|cannot parse", NULL}}},
    {"bad/high_low.csv", 4, 0,
     {{3, "high", NULL},
      {4, "high", NULL},
      {5, "low", "high"},
      {6, "low", "high"},
      {9, "high", NULL},
      {10, "low", "high"}}},
    {"bad/neg_volume.csv", 2, 0,
     {{3, "negative volume", NULL}, {4, "negative volume", NULL}}},
    {"bad/duplicate.csv", 4, 0,
     {{4, "duplicate time", NULL}, {6, "duplicate time", NULL}}},
    /* rows after a refused one are checked against the last accepted time:
     * line 5 (01-04) is out of order after line 3 (01-05), and line 9
     * (01-07) is fine because line 8 (01-08) was refused */
    {"bad/out_of_order.csv", 5, 0,
     {{4, "out of order", NULL},
      {5, "out of order", NULL},
      {6, "duplicate time", NULL},
      {8, "must be positive", NULL}}},
    {"bad/range.csv", 2, 0,
     {{3, "out of range", NULL},
      {4, "out of range", NULL},
      {5, "out of range", NULL},
      {6, "out of range", NULL},
      {7, "out of range|cannot parse", NULL}}},
    {"bad/bom_crlf.csv", 3, 0,
     {{4, "high", NULL}, {5, "negative volume", NULL}}},
    {"bad/many.csv", 5, 0,
     {{3, "cannot parse", NULL},
      {5, "negative volume", NULL},
      {7, "must be positive", NULL},
      {9, "duplicate time", NULL}}},
    {"bad/missing_close.csv", 0, 1, {{1, "missing column", NULL}}},
    {"bad/missing_date.csv", 0, 1, {{1, "missing column", NULL}}},
    {"bad/missing_volume.csv", 0, 1, {{1, "missing column", NULL}}},
    {"bad/empty.csv", 0, 1, {{LINE_0_OR_1, "empty file", NULL}}},
};

static size_t want_count(const bad_case *b)
{
    size_t n = 0;
    while (n < sizeof b->want / sizeof b->want[0] && b->want[n].line != 0)
        n++;
    return n;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Compare what was reported with the table; returns 1 when it matched. */
static int check_reports(const char *what, const collector *col,
                         const want_report *want, size_t n_want,
                         const char *file_part)
{
    int ok = CHECK_MSG(col->calls == n_want, "%s: %zu reports, expected %zu",
                       what, col->calls, n_want);
    for (size_t i = 0; i < n_want && i < col->n; i++) {
        const report *r = &col->r[i];
        const want_report *w = &want[i];
        int line_ok = w->line == LINE_0_OR_1 ? r->line <= 1 : r->line == w->line;
        ok &= CHECK_MSG(line_ok, "%s: report %zu at line %zu, expected %zu",
                        what, i, r->line, w->line);
        ok &= CHECK_MSG(has_phrase(r->reason, w->phrase),
                        "%s line %zu: reason \"%s\" lacks \"%s\"", what,
                        r->line, r->reason, w->phrase);
        if (w->not_phrase)
            ok &= CHECK_MSG(!strstr(r->reason, w->not_phrase),
                            "%s line %zu: reason \"%s\" mentions \"%s\"", what,
                            r->line, r->reason, w->not_phrase);
        ok &= CHECK_MSG(r->reason[0] != '\0' &&
                            !(r->reason[0] >= 'A' && r->reason[0] <= 'Z'),
                        "%s line %zu: reason \"%s\" is not a lower-case phrase",
                        what, r->line, r->reason);
        ok &= CHECK_MSG(strstr(r->file, file_part) != NULL,
                        "%s: report names file \"%s\", expected it to contain "
                        "\"%s\"",
                        what, r->file, file_part);
    }
    if (!ok)
        print_reports(col);
    return ok;
}

static void test_bad_corpus(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *b = &bad_cases[i];
        size_t n_want = want_count(b);
        char path[1024];
        fixture_path(path, sizeof path, b->file);
        collector col = {0};
        tr_csv_opts opts = {.report = collect, .report_ctx = &col,
                        .max_problems = 0};
        tr_bars bars;
        tr_bars_init(&bars);
        size_t bad = 12345;
        int rc = tr_csv_read_file(path, &opts, &bars, &bad);
        CHECK_MSG(rc == TR_ERR_DATA, "%s: rc %d (%s), expected TR_ERR_DATA",
                  b->file, rc, tr_strerror(rc));
        check_reports(b->file, &col, b->want, n_want, base_name(b->file));
        if (!b->header)
            CHECK_MSG(bad == n_want, "%s: bad_rows %zu, expected %zu",
                      b->file, bad, n_want);
        CHECK_MSG(bars.n == b->n_good, "%s: %zu good bars stored, expected %zu",
                  b->file, bars.n, b->n_good);
        CHECK_MSG(bars_sane(&bars), "%s: stored bars break the rules",
                  b->file);
        tr_bars_free(&bars);
    }
}

/* Which rows out_of_order.csv keeps: 01-02, 01-05, 01-06, 01-07, 01-08. */
static void test_bad_kept_rows(void)
{
    static const int64_t days[] = {0, 3, 4, 5, 6}; /* after 2024-01-02 */
    char path[1024];
    fixture_path(path, sizeof path, "bad/out_of_order.csv");
    tr_bars bars;
    tr_bars_init(&bars);
    CHECK_EQ_I64(tr_csv_read_file(path, NULL, &bars, NULL), TR_ERR_DATA);
    if (CHECK_EQ_I64(bars.n, 5))
        for (size_t i = 0; i < 5; i++)
            CHECK_MSG(bars.v[i].time == D0102 + days[i] * DAY,
                      "out_of_order.csv kept bar %zu at %" PRId64, i,
                      bars.v[i].time);
    tr_bars_free(&bars);

    /* the good rows of high_low.csv, exactly: lines 2, 7, 8, 11 */
    fixture_path(path, sizeof path, "bad/high_low.csv");
    tr_bars_init(&bars);
    CHECK_EQ_I64(tr_csv_read_file(path, NULL, &bars, NULL), TR_ERR_DATA);
    if (CHECK_EQ_I64(bars.n, 4)) {
        tr_bar l2 = R1(D0102);
        tr_bar l7 = {D0102 + 5 * DAY, 1000000000, 1000000000, 1000000000,
                     1000000000, 10000000000};
        tr_bar l8 = {D0102 + 6 * DAY, 1000000000, 1000000001, 999999999,
                     1000000000, 10000000000};
        tr_bar l11 = R1(D0102 + 9 * DAY);
        check_bar("high_low.csv line 2", &bars.v[0], &l2);
        check_bar("high_low.csv line 7", &bars.v[1], &l7);
        check_bar("high_low.csv line 8", &bars.v[2], &l8);
        check_bar("high_low.csv line 11", &bars.v[3], &l11);
    }
    tr_bars_free(&bars);
}

/* max_problems stops the read after that many refusals. many.csv refuses
 * lines 3, 5, 7 and 9 and keeps 2, 4, 6, 8 and 10. */
static void test_max_problems(void)
{
    static const struct {
        size_t max, reports, kept;
    } cases[] = {
        {1, 1, 1}, /* stop at line 3: line 2 kept */
        {3, 3, 3}, /* stop at line 7: lines 2, 4, 6 kept */
        {4, 4, 4}, /* stop at line 9: line 10 never read */
        {5, 4, 5}, /* not reached */
        {0, 4, 5}, /* no limit */
    };
    static const want_report want[] = {{3, "cannot parse", NULL},
                                       {5, "negative volume", NULL},
                                       {7, "must be positive", NULL},
                                       {9, "duplicate time", NULL}};
    char path[1024];
    fixture_path(path, sizeof path, "bad/many.csv");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        collector col = {0};
        tr_csv_opts opts = {.report = collect, .report_ctx = &col,
                        .max_problems = cases[i].max};
        tr_bars bars;
        tr_bars_init(&bars);
        size_t bad = 12345;
        char what[64];
        snprintf(what, sizeof what, "many.csv max_problems %zu", cases[i].max);
        CHECK_MSG(tr_csv_read_file(path, &opts, &bars, &bad) == TR_ERR_DATA,
                  "%s: rc", what);
        check_reports(what, &col, want, cases[i].reports, "many.csv");
        CHECK_MSG(bad == cases[i].reports, "%s: bad_rows %zu", what, bad);
        CHECK_MSG(bars.n == cases[i].kept, "%s: %zu bars kept, expected %zu",
                  what, bars.n, cases[i].kept);
        tr_bars_free(&bars);
    }

    /* a refused header counts as a problem too */
    fixture_path(path, sizeof path, "bad/missing_close.csv");
    collector col = {0};
    tr_csv_opts opts = {.report = collect, .report_ctx = &col,
                        .max_problems = 1};
    tr_bars bars;
    tr_bars_init(&bars);
    CHECK_EQ_I64(tr_csv_read_file(path, &opts, &bars, NULL), TR_ERR_DATA);
    CHECK_EQ_I64(col.calls, 1);
    CHECK_EQ_I64(bars.n, 0);
    tr_bars_free(&bars);
}

/* opts.accepted is called once per stored row, right after it is stored
 * (bar index out->n - 1), with the row's line number. */
typedef struct accepted_log {
    const tr_bars *bars;
    size_t lines[32];
    size_t n;
    int index_ok;
} accepted_log;

static void on_accepted(void *ctx, size_t line)
{
    accepted_log *a = ctx;
    if (a->bars->n != a->n + 1)
        a->index_ok = 0;
    if (a->n < 32)
        a->lines[a->n] = line;
    a->n++;
}

static void test_accepted_callback(void)
{
    static const struct {
        const char *file;
        size_t n;
        size_t lines[8];
    } cases[] = {
        {"bad/out_of_order.csv", 5, {2, 3, 7, 9, 10}},
        {"bad/bom_crlf.csv", 3, {2, 3, 6}},
        {"bad/high_low.csv", 4, {2, 7, 8, 11}},
        {"good/trailing_blank.csv", 2, {2, 3}},
        {"bad/missing_close.csv", 0, {0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        fixture_path(path, sizeof path, cases[i].file);
        tr_bars bars;
        tr_bars_init(&bars);
        accepted_log a = {.bars = &bars, .index_ok = 1};
        tr_csv_opts opts = {.accepted = on_accepted, .accepted_ctx = &a};
        tr_csv_read_file(path, &opts, &bars, NULL);
        int ok = a.n == cases[i].n && bars.n == cases[i].n && a.index_ok;
        for (size_t k = 0; ok && k < cases[i].n; k++)
            ok = a.lines[k] == cases[i].lines[k];
        if (!CHECK_MSG(ok, "%s: accepted called %zu times (index_ok %d)",
                       cases[i].file, a.n, a.index_ok))
            for (size_t k = 0; k < a.n && k < 32; k++)
                fprintf(stderr, "    accepted line %zu\n", a.lines[k]);
        tr_bars_free(&bars);
    }
}

/* opts NULL: problems are only counted; good rows are still stored. */
static void test_null_opts(void)
{
    char path[1024];
    fixture_path(path, sizeof path, "bad/high_low.csv");
    tr_bars bars;
    tr_bars_init(&bars);
    size_t bad = 12345;
    CHECK_EQ_I64(tr_csv_read_file(path, NULL, &bars, &bad), TR_ERR_DATA);
    CHECK_EQ_I64(bad, 6);
    CHECK_EQ_I64(bars.n, 4);
    tr_bars_free(&bars);

    /* report NULL with a limit */
    tr_csv_opts opts = {.report = NULL, .report_ctx = NULL,
                        .max_problems = 2};
    tr_bars_init(&bars);
    bad = 12345;
    CHECK_EQ_I64(tr_csv_read_file(path, &opts, &bars, &bad), TR_ERR_DATA);
    CHECK_EQ_I64(bad, 2);
    CHECK_EQ_I64(bars.n, 1); /* stopped at line 4 */
    tr_bars_free(&bars);
}

static void test_missing_file(void)
{
    char path[1024];
    fixture_path(path, sizeof path, "good/no_such_file.csv");
    collector col = {0};
    tr_csv_opts opts = {.report = collect, .report_ctx = &col,
                        .max_problems = 0};
    tr_bars bars;
    tr_bars_init(&bars);
    errno = 0;
    CHECK_EQ_I64(tr_csv_read_file(path, &opts, &bars, NULL),
                 TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(errno, ENOENT);
    CHECK_EQ_I64(bars.n, 0);
    CHECK_EQ_I64(col.calls, 0);
    tr_bars_free(&bars);

    /* a path that exists but is not a readable file: a directory */
    fixture_path(path, sizeof path, "good");
    tr_bars_init(&bars);
    errno = 0;
    CHECK_EQ_I64(tr_csv_read_file(path, &opts, &bars, NULL), TR_ERR_IO);
    CHECK(errno != 0);
    CHECK_EQ_I64(bars.n, 0);
    tr_bars_free(&bars);
}

/* ---- in memory --------------------------------------------------------- */

/* Read text from an exact-size heap copy (no NUL after it, so ASan catches
 * reads past len). */
static int read_mem(const char *name, const char *text, size_t len,
                    collector *col, size_t max_problems, tr_bars *out,
                    size_t *bad)
{
    char *buf = malloc(len ? len : 1);
    if (!buf)
        return TR_ERR_NOMEM;
    memcpy(buf, text, len);
    tr_csv_opts opts = {.report = collect, .report_ctx = col,
                        .max_problems = max_problems};
    int rc = tr_csv_read_mem(name, buf, len, &opts, out, bad);
    free(buf);
    return rc;
}

#define HDR "date,open,high,low,close,volume"
#define ROW1 "2024-01-02,10,11,9,10.5,100"
#define ROW2 "2024-01-03,10.5,11.5,10,11,200"

static void test_mem_edges(void)
{
    tr_bar r1 = R1(D0102), r2 = R2(D0102 + DAY);
    collector col;
    tr_bars bars;
    size_t bad;

    /* no trailing newline: the last field is whole */
    const char *t = HDR "\n" ROW1;
    memset(&col, 0, sizeof col);
    tr_bars_init(&bars);
    CHECK_EQ_I64(read_mem("m", t, strlen(t), &col, 0, &bars, &bad), TR_OK);
    if (CHECK_EQ_I64(bars.n, 1))
        check_bar("no trailing newline", &bars.v[0], &r1);
    tr_bars_free(&bars);

    /* only a header, with and without its newline: nothing to refuse */
    const char *hdr_only[] = {HDR "\n", HDR, HDR "\r\n", HDR "\n\n"};
    for (size_t i = 0; i < 4; i++) {
        memset(&col, 0, sizeof col);
        tr_bars_init(&bars);
        bad = 12345;
        int rc = read_mem("m", hdr_only[i], strlen(hdr_only[i]), &col, 0,
                          &bars, &bad);
        CHECK_MSG(rc == TR_OK, "header only (case %zu): rc %d", i, rc);
        CHECK_EQ_I64(bars.n, 0);
        CHECK_EQ_I64(bad, 0);
        CHECK_EQ_I64(col.calls, 0);
        tr_bars_free(&bars);
    }

    /* empty buffer */
    memset(&col, 0, sizeof col);
    tr_bars_init(&bars);
    CHECK_EQ_I64(read_mem("empty", "", 0, &col, 0, &bars, NULL), TR_ERR_DATA);
    {
        static const want_report w[] = {{LINE_0_OR_1, "empty file", NULL}};
        check_reports("empty buffer", &col, w, 1, "empty");
    }
    CHECK_EQ_I64(bars.n, 0);
    tr_bars_free(&bars);

    /* only blank lines, only a BOM: no header at all */
    const char *no_header[] = {"\n\n", "\xEF\xBB\xBF", "\r\n"};
    for (size_t i = 0; i < 3; i++) {
        memset(&col, 0, sizeof col);
        tr_bars_init(&bars);
        int rc = read_mem("m", no_header[i], strlen(no_header[i]), &col, 0,
                          &bars, NULL);
        CHECK_MSG(rc == TR_ERR_DATA, "no header (case %zu): rc %d", i, rc);
        CHECK_MSG(col.n == 1 && col.r[0].line <= 1 &&
                      has_phrase(col.r[0].reason, "empty file|missing column"),
                  "no header (case %zu): %zu reports, first \"%s\" line %zu",
                  i, col.n, col.n ? col.r[0].reason : "",
                  col.n ? col.r[0].line : (size_t)0);
        tr_bars_free(&bars);
    }

    /* CR-only line ends are not among the accepted forms (LF and CRLF). The
     * reader may split on them or refuse the file, but must never return
     * TR_OK with wrong bars. */
    t = HDR "\r" ROW1 "\r" ROW2 "\r";
    memset(&col, 0, sizeof col);
    tr_bars_init(&bars);
    int rc = read_mem("cr", t, strlen(t), &col, 0, &bars, NULL);
    if (rc == TR_OK) {
        if (CHECK_MSG(bars.n == 2, "CR-only accepted with %zu bars", bars.n)) {
            check_bar("CR-only row 1", &bars.v[0], &r1);
            check_bar("CR-only row 2", &bars.v[1], &r2);
        }
    } else {
        CHECK_MSG(rc == TR_ERR_DATA && col.calls > 0,
                  "CR-only: rc %d with %zu reports", rc, col.calls);
    }
    tr_bars_free(&bars);

    /* only buf[0..len) is read */
    t = HDR "\n" ROW1 "\n" "2024-01-03,garbage";
    memset(&col, 0, sizeof col);
    tr_bars_init(&bars);
    CHECK_EQ_I64(read_mem("m", t, strlen(HDR "\n" ROW1 "\n"), &col, 0, &bars,
                          NULL),
                 TR_OK);
    CHECK_EQ_I64(bars.n, 1);
    tr_bars_free(&bars);
    /* ... also when len cuts a row in the middle of a number: the row reads
     * as 2024-01-03,10.5,11.5,10,11,2 */
    t = HDR "\n" ROW1 "\n" ROW2;
    memset(&col, 0, sizeof col);
    tr_bars_init(&bars);
    CHECK_EQ_I64(read_mem("m", t, strlen(t) - 2, &col, 0, &bars, NULL), TR_OK);
    if (CHECK_EQ_I64(bars.n, 2))
        CHECK_EQ_I64(bars.v[1].volume, 200000000);
    tr_bars_free(&bars);

    /* a blank line in the middle: whatever is done with it, later line
     * numbers are physical lines */
    t = HDR "\n" ROW1 "\n\n" "2024-01-04,0,11,0,10.5,100\n"
            "2024-01-05,10,11,9,10.5,100\n";
    memset(&col, 0, sizeof col);
    tr_bars_init(&bars);
    CHECK_EQ_I64(read_mem("m", t, strlen(t), &col, 0, &bars, NULL),
                 TR_ERR_DATA);
    {
        int saw4 = 0, other = 0;
        for (size_t i = 0; i < col.n; i++) {
            if (col.r[i].line == 4 &&
                has_phrase(col.r[i].reason, "must be positive"))
                saw4 = 1;
            else if (col.r[i].line != 3)
                other = 1;
        }
        CHECK_MSG(saw4 && !other, "blank middle line: wrong reports");
        if (!saw4 || other)
            print_reports(&col);
    }
    CHECK_EQ_I64(bars.n, 2);
    tr_bars_free(&bars);

    /* the name given is the file in reports */
    t = HDR "\n" ROW1 "\n" "2024-01-03,10,11,9,10.5,-1\n";
    memset(&col, 0, sizeof col);
    tr_bars_init(&bars);
    CHECK_EQ_I64(read_mem("my-buffer", t, strlen(t), &col, 0, &bars, &bad),
                 TR_ERR_DATA);
    if (CHECK_EQ_I64(col.n, 1)) {
        CHECK_STR(col.r[0].file, "my-buffer");
        CHECK_EQ_I64(col.r[0].line, 3);
        CHECK(has_phrase(col.r[0].reason, "negative volume"));
    }
    CHECK_EQ_I64(bad, 1);
    tr_bars_free(&bars);

    /* an unparsable adjusted close refuses its row */
    t = "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-01-02,10,11,9,10.5,10.4,100\n"
        "2024-01-03,10.5,11.5,10,11,abc,200\n"
        "2024-01-04,10.5,11.5,10,11,10.9,200\n";
    memset(&col, 0, sizeof col);
    tr_bars_init(&bars);
    CHECK_EQ_I64(read_mem("m", t, strlen(t), &col, 0, &bars, NULL),
                 TR_ERR_DATA);
    {
        static const want_report w[] = {{3, "cannot parse", NULL}};
        check_reports("bad adj close", &col, w, 1, "m");
    }
    if (CHECK_EQ_I64(bars.n, 2) && CHECK(bars.adj_close != NULL)) {
        CHECK_EQ_I64(bars.adj_close[0], 1040000000);
        CHECK_EQ_I64(bars.adj_close[1], 1090000000);
    }
    tr_bars_free(&bars);
}

/* Bars are appended to what out already holds. */
static void test_mem_append(void)
{
    const char *a = HDR "\n" ROW1 "\n" ROW2 "\n";
    const char *b = HDR "\n"
                    "2024-01-04,11,11.5,10.5,11.25,300\n"
                    "2024-01-05,10,11,9,10.5,100\n";
    collector col = {0};
    tr_bars bars;
    tr_bars_init(&bars);
    CHECK_EQ_I64(read_mem("a", a, strlen(a), &col, 0, &bars, NULL), TR_OK);
    CHECK_EQ_I64(read_mem("b", b, strlen(b), &col, 0, &bars, NULL), TR_OK);
    if (CHECK_EQ_I64(bars.n, 4)) {
        tr_bar r1 = R1(D0102), r3 = R3(D0102 + 2 * DAY),
               r4 = R1(D0102 + 3 * DAY);
        check_bar("append bar 0", &bars.v[0], &r1);
        check_bar("append bar 2", &bars.v[2], &r3);
        check_bar("append bar 3", &bars.v[3], &r4);
    }
    CHECK(bars.adj_close == NULL);
    tr_bars_free(&bars);
    CHECK_EQ_I64(bars.n, 0); /* empty after free, reusable */
    CHECK_EQ_I64(read_mem("a", a, strlen(a), &col, 0, &bars, NULL), TR_OK);
    CHECK_EQ_I64(bars.n, 2);
    tr_bars_free(&bars);
}

/* Many rows: the series grows and every bar is right. Built in memory:
 * day i (from 1970-01-01) has close = 100 + i/100, adj = close / 2. */
static void test_mem_large(void)
{
    enum { N = 20000 };
    size_t cap = (size_t)N * 96 + 64, len = 0;
    char *text = malloc(cap);
    if (!CHECK(text != NULL))
        return;
    len += (size_t)snprintf(text, cap, "Date,Open,High,Low,Close,Adj Close,"
                                       "Volume\r\n");
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 1970, m = 1, d = 1; /* day i's date, counted the naive way */
    for (int i = 0; i < N; i++) {
        if (i > 0) {
            int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            if (++d > dm[m - 1] + (m == 2 && leap)) {
                d = 1;
                if (++m > 12) {
                    m = 1;
                    y++;
                }
            }
        }
        int c = 10000 + i; /* close in cents */
        len += (size_t)snprintf(text + len, cap - len,
                                "%04d-%02d-%02d,%d.%02d,%d.%02d,%d.%02d,"
                                "%d.%02d,%d.%03d,%d\r\n",
                                y, m, d, c / 100, c % 100, (c + 50) / 100,
                                (c + 50) % 100, (c - 50) / 100, (c - 50) % 100,
                                c / 100, c % 100, c / 200, (c % 200) * 5, i);
    }
    collector col = {0};
    tr_bars bars;
    tr_bars_init(&bars);
    int rc = read_mem("large", text, len, &col, 0, &bars, NULL);
    CHECK_EQ_I64(rc, TR_OK);
    if (rc != TR_OK)
        print_reports(&col);
    int bad = 0;
    if (CHECK_EQ_I64(bars.n, N) && CHECK(bars.adj_close != NULL)) {
        for (int i = 0; i < N && bad < 5; i++) {
            tr_fx c = (tr_fx)(10000 + i) * 1000000; /* cents -> tr_fx */
            tr_bar want = {(int64_t)i * DAY, c, c + 50000000, c - 50000000, c,
                           (tr_fx)i * TR_FX_SCALE};
            if (!bar_eq(&bars.v[i], &want) || bars.adj_close[i] != c / 2) {
                char what[64];
                snprintf(what, sizeof what, "large bar %d", i);
                check_bar(what, &bars.v[i], &want);
                CHECK_EQ_I64(bars.adj_close[i], c / 2);
                bad++;
            }
        }
        CHECK_MSG(bad == 0, "large: %d wrong bars", bad);
    }
    tr_bars_free(&bars);
    free(text);
}

int main(void)
{
    test_good_corpus();
    test_good_middle_row();
    test_bad_corpus();
    test_bad_kept_rows();
    test_max_problems();
    test_accepted_callback();
    test_null_opts();
    test_missing_file();
    test_mem_edges();
    test_mem_append();
    test_mem_large();
    return test_summary();
}
