/* test_loglines.c: the ring of the latest log lines behind GET /api/v1/logs
 * and the stream's logs channel: ids, order, the oldest going, lines a
 * slow reader missed, the level filter, long lines cut, and readers
 * that see every line exactly once while several threads log. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/loglines.h"
#include "test.h"

static void test_order_and_wrap(void)
{
    tr_loglines *l = tr_loglines_new();
    CHECK(l != NULL);
    tr_log_line v[TR_LOGLINES_KEEP + 10];
    uint64_t missed = 99;
    CHECK_EQ_I64(tr_loglines_after(l, 0, v, 10, &missed), 0);
    CHECK_EQ_I64(missed, 0);
    CHECK_EQ_I64(tr_loglines_latest(l, TR_LOG_INFO, v, 10), 0);

    char msg[32];
    for (int i = 1; i <= TR_LOGLINES_KEEP + 7; i++) {
        snprintf(msg, sizeof msg, "line %d", i);
        tr_loglines_add(l, i % 3 ? TR_LOG_INFO : TR_LOG_WARN, "run", msg,
                        (tr_time)i);
    }
    /* The first 7 went: a reader at 0 missed them, then reads the rest. */
    size_t n = tr_loglines_after(l, 0, v, TR_LOGLINES_KEEP + 10, &missed);
    CHECK_EQ_I64(n, TR_LOGLINES_KEEP);
    CHECK_EQ_I64(missed, 7);
    CHECK_EQ_I64(v[0].id, 8);
    CHECK_STR(v[0].msg, "line 8");
    CHECK_EQ_I64(v[n - 1].id, TR_LOGLINES_KEEP + 7);
    for (size_t i = 1; i < n; i++)
        CHECK_EQ_I64(v[i].id, v[i - 1].id + 1);
    /* A reader that keeps up misses nothing and gets at most max. */
    n = tr_loglines_after(l, 100, v, 5, &missed);
    CHECK_EQ_I64(n, 5);
    CHECK_EQ_I64(missed, 0);
    CHECK_EQ_I64(v[0].id, 101);
    CHECK_EQ_I64(v[0].time, 101);
    CHECK_EQ_I64(tr_loglines_after(l, TR_LOGLINES_KEEP + 7, v, 5, NULL), 0);

    /* Newest first; the warnings are every third line. */
    n = tr_loglines_latest(l, TR_LOG_INFO, v, 3);
    CHECK_EQ_I64(n, 3);
    CHECK_EQ_I64(v[0].id, TR_LOGLINES_KEEP + 7);
    CHECK_EQ_I64(v[2].id, TR_LOGLINES_KEEP + 5);
    n = tr_loglines_latest(l, TR_LOG_WARN, v, TR_LOGLINES_KEEP + 10);
    CHECK_EQ_I64(n, 167); /* multiples of 3 in 8..507 */
    for (size_t i = 0; i < n; i++)
        CHECK(v[i].level == TR_LOG_WARN && v[i].id % 3 == 0);
    CHECK_EQ_I64(v[0].id, 507);
    CHECK_EQ_I64(v[n - 1].id, 9);
    CHECK_EQ_I64(tr_loglines_latest(l, TR_LOG_ERROR, v, 10), 0);

    /* A long line is cut, and stays a string. */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tr_loglines_add(l, TR_LOG_ERROR, "a-component-name-longer-than-24", big, 1);
    CHECK_EQ_I64(tr_loglines_latest(l, TR_LOG_ERROR, v, 10), 1);
    CHECK_EQ_I64(strlen(v[0].msg), sizeof v[0].msg - 1);
    CHECK_EQ_I64(strlen(v[0].component), sizeof v[0].component - 1);
    tr_loglines_free(l);
    tr_loglines_free(NULL);
}

/* Writers log while a reader follows with tr_loglines_after, as the stream
 * thread does: it sees every line once, in order, when it keeps up. */
#define WRITERS 3
#define PER_WRITER 20000
static tr_loglines *shared;

static void *writer(void *arg)
{
    char msg[16];
    for (int i = 0; i < PER_WRITER; i++) {
        snprintf(msg, sizeof msg, "%d", i);
        tr_loglines_add(shared, TR_LOG_INFO, arg, msg, i);
    }
    return NULL;
}

static void test_threads(void)
{
    shared = tr_loglines_new();
    pthread_t t[WRITERS];
    static char names[WRITERS][2] = {"a", "b", "c"};
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&t[i], NULL, writer, names[i]);
    uint64_t last = 0, seen = 0, missed_total = 0;
    int next[WRITERS] = {0};
    int in_order = 1;
    tr_log_line v[64];
    while (seen + missed_total < (uint64_t)WRITERS * PER_WRITER) {
        uint64_t missed;
        size_t n = tr_loglines_after(shared, last, v, 64, &missed);
        missed_total += missed;
        for (size_t i = 0; i < n; i++) {
            in_order &= v[i].id == last + 1 + (i ? 0 : missed);
            last = v[i].id;
            int w = v[i].component[0] - 'a';
            int k = atoi(v[i].msg);
            /* each writer's own lines in its order (gaps only if missed) */
            in_order &= k >= next[w] && (missed_total || k == next[w]);
            next[w] = k + 1;
            seen++;
        }
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    CHECK_MSG(in_order, "lines in id order, each writer's in its own order");
    CHECK_EQ_I64(seen + missed_total, (uint64_t)WRITERS * PER_WRITER);
    CHECK_EQ_I64(last, (uint64_t)WRITERS * PER_WRITER);
    tr_loglines_free(shared);
}

int main(void)
{
    test_order_and_wrap();
    test_threads();
    return test_summary();
}
