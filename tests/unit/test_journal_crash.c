/* test_journal_crash.c: the journal (store/journal.h) under faults, in forked
 * children: writes that fail (RLIMIT_FSIZE, as a full disk would) and
 * kill -9 at random moments. After each, the journal must open, hold every
 * acknowledged record intact, without gaps, and take more appends.
 *
 * Invariant 5 of DESIGN.md: a crash loses nothing that was acknowledged. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "store/journal.h"
#include "test.h"
#include "tmpdir.h"

#define SEG_HDR 16
#define REC_HDR 32

static char *mktmp(void)
{
    return mktmp_named("trjournal");
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

typedef struct report_log {
    int calls;
    char last[1024];
} report_log;

static void on_report(void *ctx, const char *message)
{
    report_log *r = ctx;
    r->calls++;
    snprintf(r->last, sizeof r->last, "%s", message ? message : "(null)");
}

static int jopen(const char *dir, tr_fsync_policy policy,
                 uint64_t segment_bytes, report_log *rep, tr_journal **out,
                 char *err, size_t errlen)
{
    tr_journal_opts o;
    memset(&o, 0, sizeof o);
    o.fsync = policy;
    o.segment_bytes = segment_bytes;
    if (rep) {
        memset(rep, 0, sizeof *rep);
        o.report = on_report;
        o.report_ctx = rep;
    }
    *out = NULL;
    err[0] = '\0';
    return tr_journal_open(dir, &o, out, err, errlen);
}

/* The record of a sequence number: its payload is derived from it. Lengths
 * are mostly small, sometimes large (a write the kernel may cut short when
 * SIGKILL arrives), never larger than max_len. */
static uint32_t gen_len(uint64_t seq, uint32_t max_len)
{
    uint64_t h = seq * 0x9E3779B97F4A7C15u;
    uint32_t len = (h >> 40) % 40 == 0 ? (uint32_t)((h >> 8) % 200000)
                                       : (uint32_t)((h >> 20) % 700);
    return len > max_len ? len % (max_len + 1) : len;
}

static void gen_fill(uint64_t seq, uint8_t *buf, uint32_t len)
{
    uint64_t x = seq * 0xD1B54A32D192ED03u + 7;
    for (uint32_t i = 0; i < len; i++) {
        if ((i & 7) == 0) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        buf[i] = (uint8_t)(x >> (8 * (i & 7)));
    }
}

static tr_time gen_time(uint64_t seq)
{
    return (tr_time)(seq * 999983u) - INT64_C(100000000);
}

static uint16_t gen_type(uint64_t seq)
{
    return (uint16_t)(seq * 7 % 65536);
}

static uint8_t *g_buf; /* room for the largest generated payload */

static int append_gen(tr_journal *j, uint64_t seq, uint32_t max_len)
{
    uint32_t len = gen_len(seq, max_len);
    gen_fill(seq, g_buf, len);
    uint64_t got = 0;
    int rc =
        tr_journal_append(j, gen_type(seq), gen_time(seq), g_buf, len, &got);
    if (rc == TR_OK && got != seq) return -100;
    return rc;
}

/* Every record from..last present, generated, then a clean end. */
static int verify(const char *dir, uint64_t from, uint64_t last,
                  uint32_t max_len, const char *what)
{
    char err[512] = "";
    tr_reader *r = NULL;
    int rc = tr_reader_open(dir, from, &r, err, sizeof err);
    if (!CHECK_MSG(rc == TR_OK, "%s: reader_open: %d %s", what, rc, err))
        return 0;
    uint64_t want = from;
    tr_record rec;
    uint8_t *exp = malloc(200001);
    while ((rc = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
        uint32_t len = gen_len(want, max_len);
        gen_fill(want, exp, len);
        if (!CHECK_MSG(rec.seq == want && rec.time == gen_time(want) &&
                           rec.type == gen_type(want) && rec.len == len &&
                           (len == 0 || memcmp(rec.payload, exp, len) == 0),
                       "%s: record %" PRIu64 " differs (got seq %" PRIu64
                       ", len %u, expected len %u)",
                       what, want, rec.seq, (unsigned)rec.len, len)) {
            rc = -100;
            break;
        }
        want++;
    }
    free(exp);
    tr_reader_close(r);
    if (rc == -100) return 0;
    int ok = CHECK_MSG(rc == 0, "%s: reader_next %d (%s) after %" PRIu64, what,
                       rc, err, want - 1);
    ok &= CHECK_MSG(want - 1 == last,
                    "%s: records up to %" PRIu64 ", expected %" PRIu64, what,
                    want - 1, last);
    return ok;
}

/* The last segment's size and the end of its last complete record. */
static void last_segment(const char *dir, long long *size, long long *end)
{
    *size = *end = -1;
    char name[256] = "", path[700];
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) { /* zero-padded: greatest is last */
        size_t n = strlen(e->d_name);
        if (n > 4 && n < sizeof name &&
            strcmp(e->d_name + n - 4, ".seg") == 0 &&
            strcmp(e->d_name, name) > 0)
            memcpy(name, e->d_name, n + 1);
    }
    closedir(d);
    if (!name[0]) return;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    uint8_t h[REC_HDR];
    long long off = SEG_HDR;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    *end = *size >= SEG_HDR ? SEG_HDR : 0;
    while (off + REC_HDR <= *size) {
        fseek(f, off, SEEK_SET);
        if (fread(h, 1, REC_HDR, f) != REC_HDR) break;
        long long plen = (long long)h[0] | (long long)h[1] << 8 |
                         (long long)h[2] << 16 | (long long)h[3] << 24;
        if (off + REC_HDR + plen > *size) break;
        off += REC_HDR + plen;
        *end = off;
    }
    fclose(f);
}

/* ---- 7. writes that fail --------------------------------------------------
 */

typedef struct fail_result {
    int open_rc;
    int failed_rc;       /* what the failing commit returned */
    uint64_t acked;      /* last seq of the last commit that returned TR_OK */
    uint64_t appended;   /* last seq appended */
    int append_after[3]; /* appends after the failure */
    int commit_after;
    int close_rc;
} fail_result;

static void fail_child(const char *dir, int fd, rlim_t limit, int per_commit)
{
    fail_result res;
    memset(&res, 0, sizeof res);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {limit, limit};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(3);
    char err[512];
    tr_journal *j;
    res.open_rc = jopen(dir, TR_FSYNC_ALWAYS, 0, NULL, &j, err, sizeof err);
    if (res.open_rc == TR_OK) {
        uint64_t seq = tr_journal_last_seq(j);
        res.acked = seq;
        int rc = TR_OK;
        for (int c = 0; c < 100000 && rc == TR_OK; c++) {
            for (int k = 0; k < per_commit && rc == TR_OK; k++) {
                rc = append_gen(j, ++seq, 2000);
                if (rc == TR_OK) res.appended = seq;
            }
            if (rc == TR_OK) rc = tr_journal_commit(j, (uint64_t)c);
            if (rc == TR_OK) res.acked = seq;
        }
        res.failed_rc = rc;
        for (int k = 0; k < 3; k++)
            res.append_after[k] = append_gen(j, ++seq, 2000);
        res.commit_after = tr_journal_commit(j, 1000000);
        res.close_rc = tr_journal_close(j);
    }
    if (write(fd, &res, sizeof res) != (ssize_t)sizeof res) _exit(4);
    _exit(0);
}

static void test_write_failure(rlim_t limit, int per_commit, int prefill)
{
    char *dir = mktmp();
    char err[512], what[128];
    snprintf(what, sizeof what, "FSIZE %lu, %d a commit, %d before",
             (unsigned long)limit, per_commit, prefill);
    uint64_t base = 0;
    if (prefill) { /* the child then starts on a reopened journal */
        tr_journal *j;
        if (jopen(dir, TR_FSYNC_OS, 0, NULL, &j, err, sizeof err) == TR_OK) {
            for (int k = 0; k < prefill; k++)
                append_gen(j, ++base, 2000);
            tr_journal_close(j);
        }
    }
    int fds[2];
    if (pipe(fds) != 0) {
        CHECK(0);
        rm_rf(dir);
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        fail_child(dir, fds[1], limit, per_commit);
    }
    close(fds[1]);
    fail_result res;
    memset(&res, 0, sizeof res);
    ssize_t n = read(fds[0], &res, sizeof res);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                       n == (ssize_t)sizeof res,
                   "%s: child status %d, read %zd", what, status, n)) {
        rm_rf(dir);
        return;
    }
    CHECK_MSG(res.open_rc == TR_OK, "%s: open in the child: %d", what,
              res.open_rc);
    CHECK_MSG(res.failed_rc == TR_ERR_IO,
              "%s: the commit past the limit gave %d, expected TR_ERR_IO", what,
              res.failed_rc);
    CHECK_MSG(res.acked >= base && res.acked < base + 1000,
              "%s: acknowledged up to %" PRIu64, what, res.acked);
    for (int k = 0; k < 3; k++)
        CHECK_MSG(res.append_after[k] == TR_ERR_IO,
                  "%s: append %d after the failure gave %d, expected "
                  "TR_ERR_IO",
                  what, k, res.append_after[k]);
    CHECK_MSG(res.commit_after == TR_ERR_IO,
              "%s: commit after the failure gave %d, expected TR_ERR_IO", what,
              res.commit_after);
    CHECK_MSG(res.close_rc == TR_ERR_IO,
              "%s: close after the failure gave %d, expected TR_ERR_IO", what,
              res.close_rc);

    /* Reopen without the limit: a partial record is cut and reported, the
     * acknowledged ones are all there. */
    long long size, end;
    last_segment(dir, &size, &end);
    int partial = size != end;
    report_log rep;
    tr_journal *j;
    int rc = jopen(dir, TR_FSYNC_ALWAYS, 0, &rep, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "%s: reopen: %d %s", what, rc, err)) {
        uint64_t last = tr_journal_last_seq(j);
        CHECK_MSG(last >= res.acked && last <= res.appended,
                  "%s: last_seq %" PRIu64 ", acknowledged %" PRIu64
                  ", appended %" PRIu64,
                  what, last, res.acked, res.appended);
        if (partial)
            CHECK_MSG(rep.calls >= 1,
                      "%s: a partial record (%lld of %lld "
                      "bytes) cut without a report",
                      what, end, size);
        long long size2, end2;
        last_segment(dir, &size2, &end2);
        CHECK_MSG(size2 == end && end2 == end,
                  "%s: last segment %lld bytes after open, expected %lld", what,
                  size2, end);
        CHECK_EQ_I64(append_gen(j, last + 1, 2000), TR_OK);
        CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
        CHECK_EQ_I64(tr_journal_close(j), TR_OK);
        verify(dir, 1, last + 1, 2000, what);
    }
    rm_rf(dir);
}

/* ---- 8. kill -9 -----------------------------------------------------------
 */

static void kill_child(const char *dir, tr_fsync_policy policy,
                       uint64_t segment_bytes, uint32_t max_len,
                       volatile uint64_t *acked, uint64_t seed)
{
    char err[512];
    tr_journal *j;
    if (jopen(dir, policy, segment_bytes, NULL, &j, err, sizeof err) != TR_OK)
        _exit(2);
    uint64_t seq = tr_journal_last_seq(j);
    __atomic_store_n(acked, seq, __ATOMIC_SEQ_CST);
    uint64_t rng = seed * 2 + 1;
    uint64_t stop = seq + 4000; /* bounds the journal's growth */
    for (uint64_t c = 0; seq < stop; c++) {
        int k = 1 + (int)(rng_next(&rng) % 6);
        for (int i = 0; i < k; i++)
            if (append_gen(j, ++seq, max_len) != TR_OK) _exit(3);
        if (tr_journal_commit(j, c) != TR_OK) _exit(4);
        __atomic_store_n(acked, seq, __ATOMIC_SEQ_CST);
    }
    for (;;)
        pause();
}

/* rounds of: a child appends and commits (policy) until killed at a random
 * moment; the journal must then open and hold every record up to at least
 * the last one the child saw committed. Under TR_FSYNC_OS that holds too:
 * a commit's write(2) has returned, and a killed process cannot undo it
 * (only a machine crash could), and the child spends most of its time in
 * write(2), so more kills tear a record. */
static void kill_rounds(int rounds, tr_fsync_policy policy,
                        uint64_t segment_bytes, uint32_t max_len,
                        long max_sleep_ns, uint64_t seed0)
{
    char *dir = mktmp();
    char err[512], what[160];
    volatile uint64_t *acked = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!CHECK(acked != MAP_FAILED)) {
        rm_rf(dir);
        return;
    }
    uint64_t rng = seed0;
    uint64_t last = 0;
    int reports = 0;
    for (int round = 0; round < rounds; round++) {
        snprintf(what, sizeof what,
                 "kill -9 round %d (%s, segments of %" PRIu64 ")", round,
                 policy == TR_FSYNC_OS ? "OS" : "ALWAYS", segment_bytes);
        *acked = 0;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            kill_child(dir, policy, segment_bytes, max_len, acked,
                       seed0 + (uint64_t)round);
        if (!CHECK(pid > 0)) break;
        struct timespec ts = {0,
                              (long)(rng_next(&rng) % (uint64_t)max_sleep_ns)};
        if (round % 5 == 4)
            ts.tv_nsec = (long)(rng_next(&rng) % 1000000); /* during open */
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "%s: the child ended by itself (status %d)", what, status);
        uint64_t ack = __atomic_load_n(acked, __ATOMIC_SEQ_CST);

        report_log rep;
        tr_journal *j;
        int rc = jopen(dir, TR_FSYNC_ALWAYS, segment_bytes, &rep, &j, err,
                       sizeof err);
        if (!CHECK_MSG(rc == TR_OK, "%s: open after the kill: %d %s", what, rc,
                       err))
            break;
        reports += rep.calls;
        uint64_t now = tr_journal_last_seq(j);
        CHECK_MSG(now >= ack && now >= last,
                  "%s: last_seq %" PRIu64
                  " after the kill, acknowledged %" PRIu64
                  ", before the round %" PRIu64,
                  what, now, ack, last);
        /* appending goes on after the recovery */
        for (int k = 0; k < 3; k++)
            CHECK_EQ_I64(append_gen(j, now + 1 + (uint64_t)k, max_len), TR_OK);
        CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
        CHECK_EQ_I64(tr_journal_close(j), TR_OK);
        /* records of earlier rounds were checked then; from a little
         * before this round's on (the full check is at the end) */
        uint64_t from = last > 50 ? last - 50 : 1;
        last = now + 3;
        if (!verify(dir, from, last, max_len, what)) break;
    }
    verify(dir, 1, last, max_len, "kill -9, all rounds");
    printf("kill -9, %s, segments of %" PRIu64 ": %d rounds, %" PRIu64
           " records, %d torn tails reported\n",
           policy == TR_FSYNC_OS ? "OS" : "ALWAYS", segment_bytes, rounds, last,
           reports);
    munmap((void *)(uintptr_t)acked, 4096);
    rm_rf(dir);
}

int main(void)
{
    g_buf = malloc(200001);
    test_write_failure(64 * 1024, 1, 0);
    test_write_failure(64 * 1024 + 100, 3, 0);
    test_write_failure(200 * 1024 + 7, 5, 40);
    kill_rounds(20, TR_FSYNC_ALWAYS, 0, 200000, 30000000, 1);
    kill_rounds(12, TR_FSYNC_ALWAYS, 4096, 600, 30000000, 1000);
    kill_rounds(10, TR_FSYNC_OS, 0, 200000, 10000000, 2000);
    kill_rounds(10, TR_FSYNC_OS, 4096, 600, 6000000, 3000);
    free(g_buf);
    return test_summary();
}
