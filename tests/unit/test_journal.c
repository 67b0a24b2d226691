/* test_journal.c: the event journal (store/journal.h) against its header:
 * CRC32C vectors, the on-disk format, round trips, segment rolls, torn tails
 * truncated on open, damage followed by valid records refused, fsync
 * policies, snapshots and errors. The fork tests (a full disk, kill -9) are
 * in test_journal_crash.c.
 *
 * Journals live in mkdtemp folders under /tmp, removed at the end. Records
 * are mostly made by gen_*(seq), so any reader can check any record by its
 * sequence number alone. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "store/journal.h"
#include "store/jwriter.h"
#include "test.h"
#include "tmpdir.h"

#define SEG_HDR 16
#define REC_HDR 32

/* ---- helpers --------------------------------------------------------------
 */

static char *mktmp(void)
{
    return mktmp_named("trjournal");
}

static uint8_t *read_all(const char *path, size_t *len)
{
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return NULL;
    }
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
}

static int write_all(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(fd);
    return done == len ? 0 : -1;
}

static long long fsize(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void seg_path(char *buf, size_t size, const char *dir, uint64_t first)
{
    snprintf(buf, size, "%s/%020" PRIu64 ".seg", dir, first);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The reference CRC32C: reflected polynomial 0x82F63B78, bit by bit. */
static uint32_t crc_ref(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
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

static int jopen(const char *dir, tr_fsync_policy policy, uint32_t interval_ms,
                 uint64_t segment_bytes, report_log *rep, tr_journal **out,
                 char *err, size_t errlen)
{
    tr_journal_opts o;
    memset(&o, 0, sizeof o);
    o.fsync = policy;
    o.interval_ms = interval_ms;
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

/* The generated record of a sequence number. */
static uint32_t gen_len(uint64_t seq)
{
    return 40 + (uint32_t)((seq * 2654435761u) % 260);
}

static tr_time gen_time(uint64_t seq)
{
    return (tr_time)(seq * 1000000007u) - INT64_C(5000000000);
}

static uint16_t gen_type(uint64_t seq)
{
    return (uint16_t)(seq % 41);
}

static void gen_fill(uint64_t seq, uint8_t *buf, uint32_t len)
{
    uint64_t x = seq * 0x9E3779B97F4A7C15u + 1;
    for (uint32_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
}

/* Append the generated record `seq` (the one expected next). */
static int append_gen(tr_journal *j, uint64_t seq)
{
    uint8_t buf[512];
    uint32_t len = gen_len(seq);
    gen_fill(seq, buf, len);
    uint64_t got = 0;
    int rc = tr_journal_append(j, gen_type(seq), gen_time(seq), buf, len, &got);
    if (!CHECK_MSG(rc == TR_OK && got == seq,
                   "append seq %" PRIu64 ": rc %d, seq %" PRIu64, seq, rc, got))
        return -1;
    return 0;
}

/* A fresh journal of records 1..n (policy OS), closed. */
static int make_journal(const char *dir, uint64_t n, uint64_t segment_bytes,
                        uint64_t commit_every)
{
    char err[512];
    tr_journal *j;
    int rc =
        jopen(dir, TR_FSYNC_OS, 0, segment_bytes, NULL, &j, err, sizeof err);
    if (!CHECK_MSG(rc == TR_OK, "open %s: %d %s", dir, rc, err)) return -1;
    for (uint64_t s = 1; s <= n; s++) {
        if (append_gen(j, s) != 0) break;
        if (s % commit_every == 0) CHECK(tr_journal_commit(j, 0) == TR_OK);
    }
    CHECK(tr_journal_commit(j, 0) == TR_OK);
    CHECK_EQ_I64(tr_journal_last_seq(j), n);
    return CHECK(tr_journal_close(j) == TR_OK) ? 0 : -1;
}

static int check_gen(const tr_record *rec, uint64_t seq, const char *what)
{
    uint8_t buf[512];
    uint32_t len = gen_len(seq);
    gen_fill(seq, buf, len);
    return CHECK_MSG(rec->seq == seq && rec->time == gen_time(seq) &&
                         rec->type == gen_type(seq) && rec->len == len &&
                         rec->payload && memcmp(rec->payload, buf, len) == 0,
                     "%s: record %" PRIu64 " differs (seq %" PRIu64
                     ", time %" PRId64 ", type %u, len %u)",
                     what, seq, rec->seq, rec->time, (unsigned)rec->type,
                     (unsigned)rec->len);
}

/* Read dir from `from`: every record must be the generated one, up to
 * `last`, then a clean end. 1 when all of it held. */
static int verify(const char *dir, uint64_t from, uint64_t last,
                  const char *what)
{
    char err[512] = "";
    tr_reader *r = NULL;
    int rc = tr_reader_open(dir, from, &r, err, sizeof err);
    if (!CHECK_MSG(rc == TR_OK, "%s: reader_open: %d %s", what, rc, err))
        return 0;
    uint64_t want = from ? from : 1;
    tr_record rec;
    while ((rc = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
        if (!check_gen(&rec, want, what)) {
            tr_reader_close(r);
            return 0;
        }
        want++;
    }
    tr_reader_close(r);
    int ok = CHECK_MSG(rc == 0, "%s: reader_next: %d (%s) after %" PRIu64, what,
                       rc, err, want - 1);
    ok &= CHECK_MSG(want - 1 == last,
                    "%s: read up to %" PRIu64 ", expected %" PRIu64, what,
                    want - 1, last);
    return ok;
}

/* Read dir from 1: records 1..good must come, then TR_ERR_DATA with err
 * naming `seg` (a file name) and, when offset >= 0, "offset N". */
static void verify_damage(const char *dir, uint64_t good, const char *seg,
                          long long offset, const char *what)
{
    char err[512] = "";
    tr_reader *r = NULL;
    int rc = tr_reader_open(dir, 1, &r, err, sizeof err);
    if (!CHECK_MSG(rc == TR_OK, "%s: reader_open: %d %s", what, rc, err))
        return;
    uint64_t want = 1;
    tr_record rec;
    err[0] = '\0';
    while ((rc = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
        if (!check_gen(&rec, want, what)) break;
        want++;
    }
    tr_reader_close(r);
    CHECK_MSG(want - 1 == good,
              "%s: %" PRIu64 " good records before the "
              "damage, expected %" PRIu64,
              what, want - 1, good);
    CHECK_MSG(rc == TR_ERR_DATA,
              "%s: reader_next gave %d (%s), expected "
              "TR_ERR_DATA",
              what, rc, err);
    if (seg)
        CHECK_MSG(strstr(err, seg) != NULL, "%s: \"%s\" names %s", what, err,
                  seg);
    if (offset >= 0) {
        char at[64];
        snprintf(at, sizeof at, "offset %lld", offset);
        CHECK_MSG(strstr(err, at) != NULL, "%s: \"%s\" says %s", what, err, at);
    }
}

/* A segment's complete records, parsed by hand from the header's layout. */
typedef struct seg_info {
    int magic_ok;
    uint64_t first;
    size_t n;
    size_t off[4096];
    size_t end;  /* end of the last complete record */
    int crc_bad; /* index of the first record whose CRC fails, or -1 */
} seg_info;

static seg_info g_si;

static const seg_info *parse_seg(const uint8_t *b, size_t len)
{
    seg_info *s = &g_si;
    memset(s, 0, sizeof *s);
    s->crc_bad = -1;
    if (len < SEG_HDR) return s;
    s->magic_ok = memcmp(b, "TRJOURN1", 8) == 0;
    s->first = le64(b + 8);
    size_t off = SEG_HDR;
    s->end = off;
    while (off + REC_HDR <= len && s->n < 4096) {
        uint32_t plen = le32(b + off);
        if (plen > len - off - REC_HDR) break;
        if (s->crc_bad < 0 &&
            crc_ref(0, b + off + 8, REC_HDR - 8 + (size_t)plen) !=
                le32(b + off + 4))
            s->crc_bad = (int)s->n;
        s->off[s->n++] = off;
        off += REC_HDR + (size_t)plen;
        s->end = off;
    }
    return s;
}

static int seg_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 4 && strcmp(d->d_name + n - 4, ".seg") == 0;
}

/* The first seqs of the segments in dir, in order; how many (max cap). */
static int list_segments(const char *dir, uint64_t *first, int cap)
{
    struct dirent **list;
    int n = scandir(dir, &list, seg_filter, alphasort);
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        int digits = 0;
        while (name[digits] >= '0' && name[digits] <= '9')
            digits++;
        CHECK_MSG(digits == 20 && strcmp(name + 20, ".seg") == 0,
                  "segment name %s is 20 digits + .seg", name);
        if (k < cap) first[k++] = strtoull(name, NULL, 10);
        free(list[i]);
    }
    if (n > 0) free(list);
    return k;
}

static int count_suffix(const char *dir, const char *suffix, int *others)
{
    DIR *d = opendir(dir);
    int n = 0;
    *others = 0;
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (l >= sl && strcmp(e->d_name + l - sl, suffix) == 0)
            n++;
        else
            ++*others;
    }
    closedir(d);
    return n;
}

/* ---- 1. CRC32C ------------------------------------------------------------
 */

static void test_crc(void)
{
    uint8_t b[32];
    CHECK_EQ_I64(tr_crc32c(0, "123456789", 9), 0xE3069283u);
    memset(b, 0, 32);
    CHECK_EQ_I64(tr_crc32c(0, b, 32), 0x8A9136AAu);
    memset(b, 0xFF, 32);
    CHECK_EQ_I64(tr_crc32c(0, b, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    CHECK_EQ_I64(tr_crc32c(0, b, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    CHECK_EQ_I64(tr_crc32c(0, b, 32), 0x113FDB5Cu); /* RFC 3720 B.4 */
    CHECK_EQ_I64(crc_ref(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_I64(tr_crc32c(0, b, 0), 0);
    CHECK_EQ_I64(tr_crc32c(0x12345678u, b, 0), 0x12345678u);

    /* Every length 0..1000 at odd alignments, against the bitwise
     * reference; and continuing at split points. */
    enum { N = 1000, PAD = 16 };
    uint8_t *buf = malloc(N + PAD);
    for (size_t i = 0; i < N + PAD; i++)
        buf[i] = (uint8_t)(i * 197 + (i >> 3) * 13 + 7);
    int bad_whole = 0, bad_split = 0;
    for (size_t len = 0; len <= N; len++) {
        static const size_t aligns[] = {0, 1, 3, 5, 7, 11};
        for (size_t a = 0; a < sizeof aligns / sizeof aligns[0]; a++) {
            const uint8_t *p = buf + aligns[a];
            uint32_t want = crc_ref(0, p, len);
            uint32_t got = tr_crc32c(0, p, len);
            if (got != want && bad_whole++ == 0)
                CHECK_MSG(0, "crc len %zu align %zu: got %08x want %08x", len,
                          aligns[a], got, want);
            size_t splits[8] = {0, 1, 3, len / 3, len / 2, len - 1, len, 9};
            for (size_t s = 0; s < 8; s++) {
                size_t at = splits[s];
                if (at > len) continue;
                uint32_t c = tr_crc32c(tr_crc32c(0, p, at), p + at, len - at);
                if (c != want && bad_split++ == 0)
                    CHECK_MSG(0,
                              "crc len %zu align %zu split %zu: got %08x "
                              "want %08x",
                              len, aligns[a], at, c, want);
            }
            if (len <= 80 && a < 2)
                for (size_t at = 0; at <= len; at++) {
                    uint32_t c =
                        tr_crc32c(tr_crc32c(0, p, at), p + at, len - at);
                    if (c != want && bad_split++ == 0)
                        CHECK_MSG(0,
                                  "crc len %zu split %zu: got %08x want "
                                  "%08x",
                                  len, at, c, want);
                }
        }
    }
    CHECK_MSG(bad_whole == 0, "%d whole-buffer CRC mismatches", bad_whole);
    CHECK_MSG(bad_split == 0, "%d split CRC mismatches", bad_split);
    free(buf);

    /* A large buffer (the interleaved hardware path), whole and in pieces. */
    size_t big = (1u << 20) + 13;
    uint8_t *m = malloc(big);
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < big; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        m[i] = (uint8_t)x;
    }
    uint32_t want = crc_ref(0, m + 1, big - 1);
    CHECK_EQ_I64(tr_crc32c(0, m + 1, big - 1), want);
    uint32_t c = 0;
    for (size_t off = 1; off < big;) {
        size_t step = 1 + (off * 7919) % 70000;
        if (step > big - off) step = big - off;
        c = tr_crc32c(c, m + off, step);
        off += step;
    }
    CHECK_EQ_I64(c, want);
    free(m);
}

/* ---- 2. round trip and format ---------------------------------------------
 */

typedef struct exp_rec {
    uint16_t type;
    tr_time time;
    uint32_t len;
    const uint8_t *payload;
} exp_rec;

static int same_rec(const tr_record *rec, uint64_t seq, const exp_rec *e)
{
    return rec->seq == seq && rec->time == e->time && rec->type == e->type &&
           rec->len == e->len &&
           (e->len == 0 ||
            (rec->payload && memcmp(rec->payload, e->payload, e->len) == 0));
}

static void test_roundtrip(void)
{
    char *base = mktmp();
    char dir[512], err[512], path[600];
    snprintf(dir, sizeof dir, "%s/j", base); /* open creates it */
    static const struct {
        uint16_t type;
        tr_time time;
        uint32_t len;
    } spec[] = {
        {1, 0, 0},
        {2, -1, 1},
        {65535, INT64_MIN, 1000},
        {7, INT64_MAX, TR_JOURNAL_MAX_PAYLOAD},
        {0, INT64_C(1700000000123456789), 3},
        {100, -INT64_C(86400000000000), 0},
        {9, 1, 255},
        {10, 2, 4096},
    };
    enum { NS = sizeof spec / sizeof spec[0] };
    size_t blen = TR_JOURNAL_MAX_PAYLOAD + 256;
    uint8_t *big = malloc(blen);
    for (size_t i = 0; i < blen; i++)
        big[i] = (uint8_t)(i * 131 + (i >> 9));
    exp_rec ex[2 * NS];
    size_t nex = 0;

    tr_journal *j;
    report_log rep;
    int rc = jopen(dir, TR_FSYNC_OS, 0, 0, &rep, &j, err, sizeof err);
    if (!CHECK_MSG(rc == TR_OK, "open: %d %s", rc, err)) {
        free(big);
        rm_rf(base);
        return;
    }
    CHECK_EQ_I64(tr_journal_last_seq(j), 0);
    CHECK_EQ_I64(tr_journal_durable_seq(j), 0);
    for (size_t k = 0; k < NS; k++) {
        ex[nex] =
            (exp_rec){spec[k].type, spec[k].time, spec[k].len, big + k * 13};
        uint64_t seq = 0;
        rc = tr_journal_append(j, ex[nex].type, ex[nex].time, ex[nex].payload,
                               ex[nex].len, k == 5 ? NULL : &seq);
        CHECK_MSG(rc == TR_OK, "append %zu: %d", k, rc);
        if (k != 5)
            CHECK_MSG(seq == nex + 1, "append %zu: seq %" PRIu64, k, seq);
        nex++;
        if (k == 3) {
            /* one byte too many: refused, no seq used, journal still fine */
            seq = 0;
            rc = tr_journal_append(j, 1, 0, big, TR_JOURNAL_MAX_PAYLOAD + 1,
                                   &seq);
            CHECK_EQ_I64(rc, TR_ERR_INVALID);
        }
    }
    CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
    CHECK_EQ_I64(tr_journal_last_seq(j), NS);
    CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    CHECK_EQ_I64(rep.calls, 0);

    /* The bytes on disk, as the header draws them. */
    seg_path(path, sizeof path, dir, 1);
    size_t flen;
    uint8_t *f = read_all(path, &flen);
    if (CHECK_MSG(f != NULL, "segment %s exists", path)) {
        const seg_info *s = parse_seg(f, flen);
        CHECK(s->magic_ok);
        CHECK_EQ_I64(s->first, 1);
        CHECK_EQ_I64(s->n, NS);
        CHECK_EQ_I64(s->end, flen);
        CHECK_EQ_I64(s->crc_bad, -1);
        size_t want_len = SEG_HDR;
        for (size_t k = 0; k < NS && k < s->n; k++) {
            const uint8_t *r = f + s->off[k];
            want_len += REC_HDR + ex[k].len;
            CHECK_MSG(le32(r) == ex[k].len && le64(r + 8) == k + 1 &&
                          (int64_t)le64(r + 16) == ex[k].time &&
                          (le32(r + 24) & 0xFFFF) == ex[k].type &&
                          le32(r + 28) == 0 &&
                          memcmp(r + REC_HDR, ex[k].payload, ex[k].len) == 0,
                      "record %zu on disk: len %u seq %" PRIu64 " type %u "
                      "reserved %u",
                      k + 1, le32(r), le64(r + 8), le32(r + 24) & 0xFFFF,
                      le32(r + 28));
        }
        CHECK_EQ_I64(flen, want_len);
    }
    free(f);

    /* Reopen for append: the sequence goes on; close commits. */
    rc = jopen(dir, TR_FSYNC_OS, 0, 0, &rep, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "reopen: %d %s", rc, err)) {
        CHECK_EQ_I64(tr_journal_last_seq(j), NS);
        CHECK_EQ_I64(rep.calls, 0);
        for (size_t k = 0; k < 3; k++) {
            ex[nex] = (exp_rec){(uint16_t)(k + 500), -(tr_time)k * 1000,
                                (uint32_t)(k * 100 + 1), big + 1000 + k};
            uint64_t seq = 0;
            CHECK_EQ_I64(tr_journal_append(j, ex[nex].type, ex[nex].time,
                                           ex[nex].payload, ex[nex].len, &seq),
                         TR_OK);
            CHECK_EQ_I64(seq, nex + 1);
            nex++;
        }
        CHECK_EQ_I64(tr_journal_close(j), TR_OK); /* no commit: close does */
    }

    /* Read back everything, and from the middle. */
    uint64_t froms[] = {1, 4, NS, NS + 1, nex, nex + 1, nex + 100};
    for (size_t t = 0; t < sizeof froms / sizeof froms[0]; t++) {
        tr_reader *r = NULL;
        rc = tr_reader_open(dir, froms[t], &r, err, sizeof err);
        if (!CHECK_MSG(rc == TR_OK, "reader from %" PRIu64 ": %d %s", froms[t],
                       rc, err))
            continue;
        tr_record rec;
        uint64_t seq = froms[t];
        while ((rc = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
            if (!CHECK_MSG(seq <= nex && same_rec(&rec, seq, &ex[seq - 1]),
                           "from %" PRIu64 ": record %" PRIu64
                           " (got seq %" PRIu64 " len %u)",
                           froms[t], seq, rec.seq, (unsigned)rec.len))
                break;
            seq++;
        }
        CHECK_MSG(rc == 0, "from %" PRIu64 ": end %d %s", froms[t], rc, err);
        CHECK_MSG(seq == (froms[t] > nex ? froms[t] : nex + 1),
                  "from %" PRIu64 ": stopped at %" PRIu64, froms[t], seq);
        if (rc == 0) CHECK_EQ_I64(tr_reader_next(r, &rec, err, sizeof err), 0);
        tr_reader_close(r);
    }
    free(big);
    rm_rf(base);

    /* An empty journal: a first segment with just its header. */
    base = mktmp();
    rc = jopen(base, TR_FSYNC_OS, 0, 0, NULL, &j, err, sizeof err);
    CHECK_MSG(rc == TR_OK, "open empty: %d %s", rc, err);
    CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    seg_path(path, sizeof path, base, 1);
    CHECK_EQ_I64(fsize(path), SEG_HDR);
    verify(base, 1, 0, "empty journal");
    rc = jopen(base, TR_FSYNC_OS, 0, 0, NULL, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "reopen empty: %d %s", rc, err)) {
        CHECK_EQ_I64(tr_journal_last_seq(j), 0);
        append_gen(j, 1);
        CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    }
    verify(base, 1, 1, "empty journal, one appended");

    /* A reader beside the writer sees what was committed. */
    rc = jopen(base, TR_FSYNC_OS, 0, 0, NULL, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "open: %d %s", rc, err)) {
        for (uint64_t s = 2; s <= 10; s++)
            append_gen(j, s);
        CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
        verify(base, 1, 10, "reader beside the writer");
        for (uint64_t s = 11; s <= 20; s++)
            append_gen(j, s);
        CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
        verify(base, 5, 20, "reader beside the writer, after more");
        CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    }
    tr_journal_close(NULL);
    rm_rf(base);
}

/* ---- 3. segments ----------------------------------------------------------
 */

static void test_segments(void)
{
    char *dir = mktmp();
    char err[512], path[600], path2[600];
    const uint64_t SB = 4096;
    tr_journal *j;
    int rc = jopen(dir, TR_FSYNC_OS, 0, SB, NULL, &j, err, sizeof err);
    if (!CHECK_MSG(rc == TR_OK, "open: %d %s", rc, err)) {
        rm_rf(dir);
        return;
    }
    uint64_t seq = 0;
    for (int k = 0; k < 200; k++) { /* commits of 7, spanning rolls */
        append_gen(j, ++seq);
        if (seq % 7 == 0) CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
    }
    for (int k = 0; k < 100; k++) /* one commit over several segments */
        append_gen(j, ++seq);
    CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
    for (int k = 0; k < 20; k++)
        append_gen(j, ++seq);
    CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
    CHECK_EQ_I64(tr_journal_last_seq(j), seq);
    CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    const uint64_t last = seq;

    /* Each segment: named by its first seq, header and first record agree,
     * sequence continuous, rolled past segment_bytes and not before. */
    uint64_t first[512];
    int ns = list_segments(dir, first, 512);
    CHECK_MSG(ns >= 10, "%d segments of %" PRIu64 " bytes", ns, SB);
    uint64_t next = 1;
    size_t prev_size = 0;
    for (int i = 0; i < ns; i++) {
        seg_path(path, sizeof path, dir, first[i]);
        size_t len;
        uint8_t *f = read_all(path, &len);
        const seg_info *s = parse_seg(f, len);
        CHECK_MSG(s->magic_ok && s->first == first[i] && first[i] == next &&
                      s->n > 0 && s->end == len && s->crc_bad < 0,
                  "segment %s: magic %d first %" PRIu64 " expected %" PRIu64
                  ", %zu records, end %zu of %zu",
                  path, s->magic_ok, s->first, next, s->n, s->end, len);
        for (size_t k = 0; k < s->n; k++)
            CHECK_MSG(le64(f + s->off[k] + 8) == next + k,
                      "%s record %zu: seq %" PRIu64, path, k,
                      le64(f + s->off[k] + 8));
        if (i > 0) {
            /* the previous one rolled because this record did not fit */
            uint32_t l0 = s->n ? le32(f + SEG_HDR) : 0;
            CHECK_MSG(prev_size + REC_HDR + l0 > SB,
                      "segment before %s rolled early at %zu bytes", path,
                      prev_size);
        }
        if (i < ns - 1)
            CHECK_MSG(len <= SB + REC_HDR + 300, "segment %s: %zu bytes", path,
                      len);
        next += s->n;
        prev_size = len;
        free(f);
    }
    CHECK_EQ_I64(next, last + 1);

    /* Reading across all of them, and from each boundary. */
    tr_reader *r;
    tr_record rec;
    verify(dir, 1, last, "across segments");
    for (int i = 1; i < ns; i++) {
        uint64_t froms[] = {first[i] - 1, first[i], first[i] + 1};
        for (int t = 0; t < 3; t++) {
            rc = tr_reader_open(dir, froms[t], &r, err, sizeof err);
            if (!CHECK_MSG(rc == TR_OK, "reader: %d %s", rc, err)) continue;
            rc = tr_reader_next(r, &rec, err, sizeof err);
            CHECK_MSG(rc == 1 && rec.seq == froms[t],
                      "from %" PRIu64 ": %d, seq %" PRIu64, froms[t], rc,
                      rec.seq);
            tr_reader_close(r);
        }
    }

    /* Whole segments before from_seq are skipped: garble the records of
     * the first two segments (headers kept) and read from the fourth. */
    CHECK(ns >= 6);
    if (ns >= 6) {
        size_t l0, l1;
        seg_path(path, sizeof path, dir, first[0]);
        seg_path(path2, sizeof path2, dir, first[1]);
        uint8_t *s0 = read_all(path, &l0), *s1 = read_all(path2, &l1);
        uint8_t *g = malloc(l0 > l1 ? l0 : l1);
        memcpy(g, s0, SEG_HDR);
        memset(g + SEG_HDR, 0xA5, l0 - SEG_HDR);
        write_all(path, g, l0);
        memcpy(g, s1, SEG_HDR);
        memset(g + SEG_HDR, 0xA5, l1 - SEG_HDR);
        write_all(path2, g, l1);
        verify(dir, first[3] + 2, last, "skipping garbled earlier segments");
        verify(dir, first[2], last, "from the first seq after them");
        write_all(path, s0, l0);
        write_all(path2, s1, l1);
        free(g);
        free(s1);

        /* The first segment gone: reading from a later one still works;
         * reading from 1 must not silently start at first[1]. */
        unlink(path);
        verify(dir, first[2] + 1, last, "first segment deleted, from later");
        rc = tr_reader_open(dir, 1, &r, err, sizeof err);
        if (rc == TR_OK) {
            err[0] = '\0';
            rc = tr_reader_next(r, &rec, err, sizeof err);
            CHECK_MSG(rc == TR_ERR_DATA,
                      "first segment deleted, from 1: reader_next gave %d "
                      "(seq %" PRIu64
                      "), expected TR_ERR_DATA (records 1..%" PRIu64
                      " are missing)",
                      rc, rc == 1 ? rec.seq : 0, first[1] - 1);
            tr_reader_close(r);
        } else {
            CHECK_MSG(rc == TR_ERR_DATA || rc == TR_ERR_NOT_FOUND,
                      "first segment deleted, from 1: reader_open %d", rc);
        }
        write_all(path, s0, l0);
        free(s0);

        /* A middle segment gone: a sequence gap. */
        seg_path(path, sizeof path, dir, first[3]);
        s0 = read_all(path, &l0);
        unlink(path);
        verify_damage(dir, first[3] - 1, NULL, -1, "middle segment deleted");
        rc = tr_reader_open(dir, first[2], &r, err, sizeof err);
        if (CHECK_MSG(rc == TR_OK, "reader: %d %s", rc, err)) {
            while ((rc = tr_reader_next(r, &rec, err, sizeof err)) == 1)
                ;
            CHECK_MSG(rc == TR_ERR_DATA, "gap from the middle: %d", rc);
            tr_reader_close(r);
        }
        seg_path(path2, sizeof path2, dir, first[ns - 1]);
        long long before = fsize(path2);
        /* Open scans only the last segment (journal.h): a hole further
         * back is the reader's (and `trader journal verify`'s) to find;
         * opening must not change anything either way. */
        rc = jopen(dir, TR_FSYNC_OS, 0, SB, NULL, &j, err, sizeof err);
        CHECK_MSG(rc == TR_OK || rc == TR_ERR_DATA,
                  "open with a middle segment missing: %d \"%s\"", rc, err);
        if (rc == TR_OK) tr_journal_close(j);
        CHECK_EQ_I64(fsize(path2), before);
        write_all(path, s0, l0);
        free(s0);
        verify(dir, 1, last, "restored");
    }
    rm_rf(dir);

    /* A record larger than a whole segment, between small ones. */
    dir = mktmp();
    rc = jopen(dir, TR_FSYNC_OS, 0, SB, NULL, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "open: %d %s", rc, err)) {
        uint8_t *huge = malloc(10000);
        for (int i = 0; i < 10000; i++)
            huge[i] = (uint8_t)(i * 3 + 1);
        for (uint64_t s = 1; s <= 30; s++) {
            if (s == 20) {
                uint64_t got = 0;
                CHECK_EQ_I64(tr_journal_append(j, 3, -3, huge, 10000, &got),
                             TR_OK);
                CHECK_EQ_I64(got, 20);
            } else {
                append_gen(j, s);
            }
        }
        CHECK_EQ_I64(tr_journal_close(j), TR_OK);
        rc = tr_reader_open(dir, 1, &r, err, sizeof err);
        if (CHECK_MSG(rc == TR_OK, "reader: %d %s", rc, err)) {
            uint64_t want = 1;
            while ((rc = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
                if (want == 20) {
                    if (!CHECK(rec.seq == 20 && rec.len == 10000 &&
                               rec.time == -3 && rec.type == 3 &&
                               memcmp(rec.payload, huge, 10000) == 0))
                        break;
                } else if (!check_gen(&rec, want, "record > segment"))
                    break;
                want++;
            }
            CHECK_MSG(rc == 0 && want == 31,
                      "record > segment: %d %s at %" PRIu64, rc, err, want);
            tr_reader_close(r);
        }
        free(huge);
    }
    rm_rf(dir);
}

/* ---- 4. torn tail ---------------------------------------------------------
 */

/* Put `img` in place of segment `path`, then: a reader sees records
 * 1..want_last and then (torn) TR_ERR_DATA or (clean) the end; open
 * succeeds, reports (torn) or not (clean), leaves the file at want_size
 * with its first want_size bytes as in `img`, and appending goes on. */
static void torn_case(const char *dir, const char *path, const uint8_t *img,
                      size_t len, uint64_t want_last, size_t want_size,
                      int torn, uint64_t segment_bytes, const char *what)
{
    write_all(path, img, len);
    if (torn)
        verify_damage(dir, want_last, NULL, -1, what);
    else
        verify(dir, 1, want_last, what);

    char err[512];
    report_log rep;
    tr_journal *j;
    int rc = jopen(dir, TR_FSYNC_ALWAYS, 0, segment_bytes, &rep, &j, err,
                   sizeof err);
    if (!CHECK_MSG(rc == TR_OK, "%s: open gave %d \"%s\", expected TR_OK", what,
                   rc, err))
        return;
    if (torn)
        CHECK_MSG(rep.calls >= 1 && strstr(rep.last, ".seg"),
                  "%s: reported %d times: \"%s\"", what, rep.calls, rep.last);
    else
        CHECK_MSG(rep.calls == 0, "%s: nothing to report, got \"%s\"", what,
                  rep.last);
    CHECK_MSG(tr_journal_last_seq(j) == want_last,
              "%s: last_seq %" PRIu64 ", expected %" PRIu64, what,
              tr_journal_last_seq(j), want_last);
    size_t flen;
    uint8_t *f = read_all(path, &flen);
    CHECK_MSG(flen == want_size && f && memcmp(f, img, want_size) == 0,
              "%s: file is %zu bytes after open, expected %zu (the last "
              "complete record)",
              what, flen, want_size);
    free(f);
    append_gen(j, want_last + 1);
    CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
    CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    verify(dir, 1, want_last + 1, what);
}

static void test_torn_tail(void)
{
    char *dir = mktmp();
    char path[600], what[128];
    const uint64_t N = 20;
    make_journal(dir, N, 0, 3);
    seg_path(path, sizeof path, dir, 1);
    size_t blen;
    uint8_t *base = read_all(path, &blen);
    if (!CHECK(base != NULL)) {
        rm_rf(dir);
        return;
    }
    const seg_info *s = parse_seg(base, blen);
    CHECK_EQ_I64(s->n, N);
    const size_t L = s->off[N - 1];    /* last record */
    const uint32_t P = le32(base + L); /* its payload length */
    const size_t R1 = s->off[0];       /* first record */
    uint8_t *img = malloc(blen + 4096);

    /* Cut inside the last record: its header, its payload. */
    size_t cuts[] = {1, 4, 8, 20, 31, 32, 33, 32 + P / 2, 32 + P - 1};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        snprintf(what, sizeof what, "cut %zu bytes into the last record",
                 cuts[c]);
        torn_case(dir, path, base, L + cuts[c], N - 1, L, 1, 0, what);
    }
    /* Cut inside the first record: nothing left but the header. */
    torn_case(dir, path, base, R1 + 10, 0, SEG_HDR, 1, 0,
              "cut inside the first record");
    torn_case(dir, path, base, R1 + 40, 0, SEG_HDR, 1, 0,
              "cut inside the first record's payload");
    /* Clean cuts: at a record boundary, right after the segment header. */
    torn_case(dir, path, base, L, N - 1, L, 0, 0, "cut at a record boundary");
    torn_case(dir, path, base, SEG_HDR, 0, SEG_HDR, 0, 0,
              "cut right after the segment header");

    /* Garbage after the last record. */
    struct {
        const char *what;
        size_t n;
        int fill; /* -1 random */
    } junk[] = {
        {"5 random bytes appended", 5, -1},
        {"100 random bytes appended", 100, -1},
        {"64 zero bytes appended", 64, 0},
        {"4096 zero bytes appended", 4096, 0},
        {"31 0xFF bytes appended", 31, 0xFF},
        {"300 0xFF bytes appended", 300, 0xFF},
    };
    for (size_t k = 0; k < sizeof junk / sizeof junk[0]; k++) {
        memcpy(img, base, blen);
        for (size_t i = 0; i < junk[k].n; i++)
            img[blen + i] = junk[k].fill >= 0 ? (uint8_t)junk[k].fill
                                              : (uint8_t)(i * 89 + k * 7 + 1);
        torn_case(dir, path, img, blen + junk[k].n, N, blen, 1, 0,
                  junk[k].what);
    }
    /* A plausible header of a record that never got its payload. */
    memcpy(img, base, blen);
    memcpy(img + blen, base + L, REC_HDR);
    put64(img + blen + 8, N + 1);
    put32(img + blen, 200);
    torn_case(dir, path, img, blen + REC_HDR + 50, N, blen, 1, 0,
              "a record header and part of its payload appended");
    memcpy(img, base, blen);
    put32(img + blen, 0xFFFFFFF0u);
    memset(img + blen + 4, 0x11, 60);
    torn_case(dir, path, img, blen + 64, N, blen, 1, 0,
              "a record claiming 4 GiB appended");

    /* The whole last record there but damaged: a corrupt tail. */
    size_t flips[] = {L + 4, L + 9, L + 30, L + REC_HDR, L + REC_HDR + P - 1};
    for (size_t k = 0; k < sizeof flips / sizeof flips[0]; k++) {
        memcpy(img, base, blen);
        img[flips[k]] ^= 0x20;
        snprintf(what, sizeof what, "last record damaged at byte %zu",
                 flips[k] - L);
        torn_case(dir, path, img, blen, N - 1, L, 1, 0, what);
    }
    free(img);
    free(base);
    rm_rf(dir);

    /* Several segments: the last one torn, empty, or with half a header
     * (a crash while rolling). */
    dir = mktmp();
    const uint64_t SB = 4096;
    make_journal(dir, 100, SB, 5);
    uint64_t first[256];
    int ns = list_segments(dir, first, 256);
    CHECK(ns >= 3);
    if (ns >= 3) {
        seg_path(path, sizeof path, dir, first[ns - 1]);
        base = read_all(path, &blen);
        s = parse_seg(base, blen);
        size_t lastoff = s->off[s->n - 1];
        torn_case(dir, path, base, lastoff + 50, 99, lastoff, 1, SB,
                  "last of several segments torn");
        free(base);

        /* After that the journal has 1..100 again. */
        uint64_t next = 101;
        const size_t sizes[] = {0, 10, SEG_HDR};
        for (size_t k = 0; k < 3; k++) {
            uint8_t hdr[SEG_HDR];
            memcpy(hdr, "TRJOURN1", 8);
            put64(hdr + 8, next);
            seg_path(path, sizeof path, dir, next);
            write_all(path, hdr, sizes[k]);
            snprintf(what, sizeof what, "a new last segment of %zu bytes",
                     sizes[k]);
            report_log rep;
            tr_journal *j;
            char err[512];
            int rc =
                jopen(dir, TR_FSYNC_ALWAYS, 0, SB, &rep, &j, err, sizeof err);
            if (CHECK_MSG(rc == TR_OK, "%s: open %d %s", what, rc, err)) {
                CHECK_MSG(tr_journal_last_seq(j) == next - 1,
                          "%s: last_seq %" PRIu64, what,
                          tr_journal_last_seq(j));
                append_gen(j, next);
                CHECK_EQ_I64(tr_journal_commit(j, 0), TR_OK);
                CHECK_EQ_I64(tr_journal_close(j), TR_OK);
                verify(dir, 1, next, what);
                next++;
            }
        }
    }
    rm_rf(dir);

    /* A journal whose only segment is empty (a crash right after creating
     * it). */
    dir = mktmp();
    seg_path(path, sizeof path, dir, 1);
    write_all(path, "", 0);
    {
        report_log rep;
        tr_journal *j;
        char err[512];
        int rc = jopen(dir, TR_FSYNC_ALWAYS, 0, 0, &rep, &j, err, sizeof err);
        if (CHECK_MSG(rc == TR_OK, "empty first segment: open %d %s", rc,
                      err)) {
            CHECK_EQ_I64(tr_journal_last_seq(j), 0);
            append_gen(j, 1);
            CHECK_EQ_I64(tr_journal_close(j), TR_OK);
            verify(dir, 1, 1, "empty first segment");
        }
    }
    rm_rf(dir);
}

/* ---- 5. damage that is not a torn tail ------------------------------------
 */

static void refuse_case(const char *dir, const char *path, const uint8_t *img,
                        size_t len, uint64_t good, long long offset,
                        const char *segname, const char *what)
{
    write_all(path, img, len);
    char err[512];
    report_log rep;
    tr_journal *j;
    int rc = jopen(dir, TR_FSYNC_ALWAYS, 0, 0, &rep, &j, err, sizeof err);
    CHECK_MSG(rc == TR_ERR_DATA && err[0],
              "%s: open gave %d \"%s\", expected TR_ERR_DATA", what, rc, err);
    if (rc == TR_OK) tr_journal_close(j);
    size_t flen;
    uint8_t *f = read_all(path, &flen);
    CHECK_MSG(flen == len && f && memcmp(f, img, len) == 0,
              "%s: file changed by open (%zu bytes, was %zu)", what, flen, len);
    free(f);
    verify_damage(dir, good, segname, offset, what);
}

static void test_damage(void)
{
    char *dir = mktmp();
    char path[600], what[160];
    const char *seg1 = "00000000000000000001.seg";
    const uint64_t N = 20;
    make_journal(dir, N, 0, 4);
    seg_path(path, sizeof path, dir, 1);
    size_t blen;
    uint8_t *base = read_all(path, &blen);
    if (!CHECK(base != NULL)) {
        rm_rf(dir);
        return;
    }
    const seg_info *s = parse_seg(base, blen);
    CHECK_EQ_I64(s->n, N);
    size_t off10 = s->off[9], off19 = s->off[18];
    uint32_t p10 = le32(base + off10);
    uint8_t *img = malloc(blen);

    struct {
        const char *what;
        size_t at;
        uint8_t mask;
    } flips[] = {
        {"payload byte of record 10", off10 + REC_HDR + p10 / 2, 0x01},
        {"first payload byte of record 10", off10 + REC_HDR, 0x80},
        {"CRC of record 10", off10 + 5, 0x10},
        {"seq of record 10", off10 + 8, 0x02},
        {"time of record 10", off10 + 20, 0x40},
        {"type of record 10", off10 + 24, 0x01},
        {"reserved field of record 10", off10 + 28, 0x01},
        {"payload byte of record 19 (one valid record after)",
         off19 + REC_HDR + 3, 0x04},
        {"length of record 10, low bit", off10, 0x01},
        {"length of record 10, high bit (past the end)", off10 + 3, 0x10},
    };
    for (size_t k = 0; k < sizeof flips / sizeof flips[0]; k++) {
        memcpy(img, base, blen);
        img[flips[k].at] ^= flips[k].mask;
        size_t rec_off = flips[k].at >= off19 ? off19 : off10;
        uint64_t good = flips[k].at >= off19 ? 18 : 9;
        snprintf(what, sizeof what, "flipped %s", flips[k].what);
        refuse_case(dir, path, img, blen, good, (long long)rec_off, seg1, what);
    }

    /* A record with a valid CRC but the sequence repeated: the reader
     * refuses it. */
    memcpy(img, base, blen);
    put64(img + off10 + 8, 9);
    put32(img + off10 + 4, crc_ref(0, img + off10 + 8, REC_HDR - 8 + p10));
    write_all(path, img, blen);
    verify_damage(dir, 9, seg1, (long long)off10,
                  "record 10 rewritten as seq 9 with a valid CRC");
    /* ... and one skipping ahead */
    put64(img + off10 + 8, 11);
    put32(img + off10 + 4, crc_ref(0, img + off10 + 8, REC_HDR - 8 + p10));
    write_all(path, img, blen);
    verify_damage(dir, 9, seg1, (long long)off10,
                  "record 10 rewritten as seq 11 with a valid CRC");
    write_all(path, base, blen);
    verify(dir, 1, N, "restored");
    free(img);
    free(base);
    rm_rf(dir);

    /* Damage in an older segment: open never truncates or changes it; the
     * reader reports it where it is. */
    dir = mktmp();
    make_journal(dir, 80, 4096, 4);
    uint64_t first[256];
    int ns = list_segments(dir, first, 256);
    CHECK(ns >= 3);
    if (ns >= 3) {
        seg_path(path, sizeof path, dir, first[0]);
        base = read_all(path, &blen);
        s = parse_seg(base, blen);
        size_t mid = s->n / 2;
        size_t at = s->off[mid];
        base[at + REC_HDR + 2] ^= 0x08;
        write_all(path, base, blen);
        char err[512];
        report_log rep;
        tr_journal *j;
        int rc = jopen(dir, TR_FSYNC_OS, 0, 4096, &rep, &j, err, sizeof err);
        CHECK_MSG(rc == TR_OK || rc == TR_ERR_DATA,
                  "open with an older segment damaged: %d %s", rc, err);
        if (rc == TR_OK) {
            CHECK_EQ_I64(tr_journal_last_seq(j), 80);
            CHECK_EQ_I64(tr_journal_close(j), TR_OK);
        }
        size_t flen;
        uint8_t *f = read_all(path, &flen);
        CHECK_MSG(flen == blen && memcmp(f, base, blen) == 0,
                  "older segment changed by open");
        free(f);
        verify_damage(dir, mid, seg1, (long long)at, "older segment damaged");
        verify(dir, first[1], 80, "from the segment after the damage");
        free(base);
    }
    rm_rf(dir);
}

/* ---- 6. fsync policies ----------------------------------------------------
 */

static void test_fsync(void)
{
    char err[512];
    tr_journal *j;
    uint64_t seq = 0;

    char *dir = mktmp();
    int rc = jopen(dir, TR_FSYNC_ALWAYS, 0, 0, NULL, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "open: %d %s", rc, err)) {
        CHECK_EQ_I64(tr_journal_durable_seq(j), 0);
        for (int c = 0; c < 5; c++) {
            for (int k = 0; k <= c % 3; k++)
                append_gen(j, ++seq);
            CHECK_EQ_I64(tr_journal_commit(j, (uint64_t)c), TR_OK);
            CHECK_EQ_I64(tr_journal_last_seq(j), seq);
            CHECK_EQ_I64(tr_journal_durable_seq(j), seq);
        }
        CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    }
    rm_rf(dir);

    /* OS: never fsynced by a commit; tr_journal_sync does. */
    dir = mktmp();
    seq = 0;
    rc = jopen(dir, TR_FSYNC_OS, 0, 0, NULL, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "open: %d %s", rc, err)) {
        for (int c = 0; c < 4; c++) {
            append_gen(j, ++seq);
            CHECK_EQ_I64(tr_journal_commit(j, (uint64_t)c * 100000), TR_OK);
            CHECK_EQ_I64(tr_journal_last_seq(j), seq);
            CHECK_EQ_I64(tr_journal_durable_seq(j), 0);
        }
        CHECK_EQ_I64(tr_journal_sync(j), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), seq);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 500000), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), seq - 1);
        CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    }
    verify(dir, 1, seq, "OS policy");
    rm_rf(dir);

    /* INTERVAL 100 ms. The first commit (1000 ms after a clock at 0, and
     * with no fsync before) syncs whichever way the implementation starts
     * its clock. */
    dir = mktmp();
    seq = 0;
    rc = jopen(dir, TR_FSYNC_INTERVAL, 100, 0, NULL, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "open: %d %s", rc, err)) {
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1000), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 1);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1010), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 1);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1050), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 1);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1099), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 1);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1100), TR_OK); /* >= 100 old */
        CHECK_EQ_I64(tr_journal_durable_seq(j), 5);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1150), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 5);
        CHECK_EQ_I64(tr_journal_sync(j), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 6);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1160), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 6);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1300), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 8);
        CHECK_EQ_I64(tr_journal_last_seq(j), 8);
        CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    }
    rm_rf(dir);

    /* INTERVAL with interval_ms 0 means 10. */
    dir = mktmp();
    seq = 0;
    rc = jopen(dir, TR_FSYNC_INTERVAL, 0, 0, NULL, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "open: %d %s", rc, err)) {
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1000), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 1);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1009), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 1);
        append_gen(j, ++seq);
        CHECK_EQ_I64(tr_journal_commit(j, 1010), TR_OK);
        CHECK_EQ_I64(tr_journal_durable_seq(j), 3);
        CHECK_EQ_I64(tr_journal_close(j), TR_OK);
    }
    rm_rf(dir);
}

/* ---- 9. snapshots ---------------------------------------------------------
 */

static void test_snapshots(void)
{
    char *dir = mktmp();
    char err[512], p10[600], p20[600];
    snprintf(p10, sizeof p10, "%s/snapshot-%020d.snap", dir, 10);
    snprintf(p20, sizeof p20, "%s/snapshot-%020d.snap", dir, 20);
    uint64_t seq = 99;
    void *data = NULL;
    size_t len = 99;

    err[0] = '\0';
    CHECK_EQ_I64(tr_snapshot_read(dir, &seq, &data, &len, err, sizeof err),
                 TR_ERR_NOT_FOUND);

    uint8_t a[100], b[3000];
    memset(a, 'A', sizeof a);
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)(i * 7 + 3);
    CHECK_EQ_I64(tr_snapshot_write(dir, 10, a, sizeof a, err, sizeof err),
                 TR_OK);
    CHECK_MSG(fsize(p10) > (long long)sizeof a, "%s written", p10);
    CHECK_EQ_I64(tr_snapshot_read(dir, &seq, &data, &len, err, sizeof err),
                 TR_OK);
    CHECK_MSG(seq == 10 && len == sizeof a && data &&
                  memcmp(data, a, sizeof a) == 0,
              "snapshot 10: seq %" PRIu64 " len %zu", seq, len);
    free(data);
    data = NULL;
    size_t l10;
    uint8_t *f10 = read_all(p10, &l10);

    CHECK_EQ_I64(tr_snapshot_write(dir, 20, b, sizeof b, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_snapshot_read(dir, &seq, &data, &len, err, sizeof err),
                 TR_OK);
    CHECK_MSG(seq == 20 && len == sizeof b && data &&
                  memcmp(data, b, sizeof b) == 0,
              "snapshot 20: seq %" PRIu64 " len %zu", seq, len);
    free(data);
    data = NULL;
    int others;
    CHECK_EQ_I64(count_suffix(dir, ".snap", &others), 2);
    CHECK_EQ_I64(others, 0); /* no temporary file left behind */
    CHECK_MSG(fsize(p10) > 0 && fsize(p20) > 0,
              "%s and the one before it remain", p20);

    /* The newest damaged: skipped with a warning, the older one used. */
    size_t l20;
    uint8_t *f20 = read_all(p20, &l20);
    write_all(p10, f10, l10);
    uint8_t *bad = malloc(l20);
    memcpy(bad, f20, l20);
    bad[l20 / 2] ^= 0x01;
    write_all(p20, bad, l20);
    err[0] = '\0';
    int rc = tr_snapshot_read(dir, &seq, &data, &len, err, sizeof err);
    CHECK_MSG(rc == TR_OK && seq == 10 && len == sizeof a && data &&
                  memcmp(data, a, sizeof a) == 0,
              "damaged newest: %d seq %" PRIu64 " (expected the older, 10)", rc,
              seq);
    CHECK_MSG(err[0] != '\0', "damaged newest: no warning in err");
    free(data);
    data = NULL;

    /* Only a damaged one: not found, with the warning. */
    unlink(p10);
    err[0] = '\0';
    rc = tr_snapshot_read(dir, &seq, &data, &len, err, sizeof err);
    CHECK_MSG(rc == TR_ERR_NOT_FOUND && err[0],
              "only a damaged snapshot: %d \"%s\"", rc, err);
    if (rc == TR_OK) free(data);
    data = NULL;
    write_all(p20, f20, l20 / 2); /* cut in half */
    err[0] = '\0';
    rc = tr_snapshot_read(dir, &seq, &data, &len, err, sizeof err);
    CHECK_MSG(rc == TR_ERR_NOT_FOUND && err[0],
              "only a truncated snapshot: %d \"%s\"", rc, err);
    if (rc == TR_OK) free(data);
    data = NULL;
    write_all(p20, f20, l20);
    CHECK_EQ_I64(tr_snapshot_read(dir, &seq, &data, &len, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(seq, 20);
    free(data);
    data = NULL;
    free(bad);
    free(f10);
    free(f20);

    /* A third: only the newest two are kept; the list says which are
     * sound; one can be read by its seq. */
    rm_rf(dir);
    dir = mktmp();
    char stale[600];
    snprintf(stale, sizeof stale, "%s/snapshot-%020d.snap.tmp", dir, 150);
    write_all(stale, "torn", 4); /* a write that a crash interrupted */
    for (int k = 1; k <= 3; k++)
        CHECK_EQ_I64(tr_snapshot_write(dir, (uint64_t)k * 100, b,
                                       (size_t)k * 10, err, sizeof err),
                     TR_OK);
    char p300[600];
    snprintf(p300, sizeof p300, "%s/snapshot-%020d.snap", dir, 300);
    size_t l300;
    uint8_t *f300 = read_all(p300, &l300);
    f300[l300 - 1] ^= 0x80;
    write_all(p300, f300, l300);
    free(f300);
    CHECK_MSG(fsize(stale) < 0, "%s is removed", stale);
    tr_snapshot_info *info;
    size_t ninfo;
    CHECK_EQ_I64(tr_snapshot_list(dir, 1, &info, &ninfo), TR_OK);
    CHECK_MSG(ninfo == 2 && info[0].seq == 200 && info[1].seq == 300 &&
                  info[0].valid && !info[1].valid &&
                  info[0].bytes == 32 + 20 && info[1].bytes == 32 + 30 &&
                  info[0].mtime > 0,
              "list of the snapshots kept: %zu", ninfo);
    free(info);
    rc = tr_snapshot_read_at(dir, 300, &data, &len, err, sizeof err);
    CHECK_MSG(rc == TR_ERR_DATA && strstr(err, "damaged"),
              "read_at a damaged one: %d %s", rc, err);
    rc = tr_snapshot_read_at(dir, 250, &data, &len, err, sizeof err);
    CHECK_EQ_I64(rc, TR_ERR_NOT_FOUND);
    rc = tr_snapshot_read_at(dir, 200, &data, &len, err, sizeof err);
    CHECK_MSG(rc == TR_OK && len == 20 && memcmp(data, b, 20) == 0,
              "read_at 200: %d", rc);
    if (rc == TR_OK)
        free(data);
    data = NULL;

    /* Snapshots sit beside segments: the journal ignores them. */
    rm_rf(dir);
    dir = mktmp();
    make_journal(dir, 30, 0, 10);
    CHECK_EQ_I64(tr_snapshot_write(dir, 25, b, 10, err, sizeof err), TR_OK);
    verify(dir, 1, 30, "journal with a snapshot beside it");
    tr_journal *j;
    rc = jopen(dir, TR_FSYNC_OS, 0, 0, NULL, &j, err, sizeof err);
    if (CHECK_MSG(rc == TR_OK, "open beside a snapshot: %d %s", rc, err)) {
        CHECK_EQ_I64(tr_journal_last_seq(j), 30);
        tr_journal_close(j);
    }
    CHECK_EQ_I64(tr_snapshot_read(dir, &seq, &data, &len, err, sizeof err),
                 TR_OK);
    CHECK_MSG(seq == 25 && len == 10 && data && memcmp(data, b, 10) == 0,
              "snapshot beside the journal: seq %" PRIu64, seq);
    free(data);
    rm_rf(dir);
}

/* ---- 10. errors -----------------------------------------------------------
 */

static void test_errors(void)
{
    char *dir = mktmp();
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/file", dir);
    write_all(path, "not a folder\n", 13);

    tr_journal *j;
    int rc = jopen(path, TR_FSYNC_OS, 0, 0, NULL, &j, err, sizeof err);
    CHECK_MSG(rc == TR_ERR_IO && err[0],
              "open on a regular file: %d \"%s\", expected TR_ERR_IO", rc, err);
    if (rc == TR_OK) tr_journal_close(j);
    snprintf(path, sizeof path, "%s/file/sub", dir);
    rc = jopen(path, TR_FSYNC_OS, 0, 0, NULL, &j, err, sizeof err);
    CHECK_MSG(rc == TR_ERR_IO && err[0],
              "open under a regular file: %d \"%s\", expected TR_ERR_IO", rc,
              err);
    if (rc == TR_OK) tr_journal_close(j);

    /* No journal to read: an empty folder, a folder of other files, a
     * folder that does not exist. */
    tr_reader *r = NULL;
    snprintf(path, sizeof path, "%s/empty", dir);
    mkdir(path, 0755);
    CHECK_EQ_I64(tr_reader_open(path, 1, &r, err, sizeof err),
                 TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_snapshot_write(path, 7, "x", 1, err, sizeof err), TR_OK);
    snprintf(path, sizeof path, "%s/empty/notes.txt", dir);
    write_all(path, "hello\n", 6);
    snprintf(path, sizeof path, "%s/empty", dir);
    CHECK_EQ_I64(tr_reader_open(path, 1, &r, err, sizeof err),
                 TR_ERR_NOT_FOUND);
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_EQ_I64(tr_reader_open(path, 1, &r, err, sizeof err),
                 TR_ERR_NOT_FOUND);
    uint64_t seq;
    void *data = NULL;
    size_t len;
    CHECK_EQ_I64(tr_snapshot_read(path, &seq, &data, &len, err, sizeof err),
                 TR_ERR_NOT_FOUND);
    rm_rf(dir);
}

/* tr_reader_tell / tr_reader_open_at: resuming where a reader stood, across
 * segments, and falling back when the position is stale. */
static void test_resume(void)
{
    char *dir = mktmp();
    tr_journal_opts o = {.fsync = TR_FSYNC_OS, .segment_bytes = 4096};
    tr_journal *j;
    char err[4600];
    CHECK(tr_journal_open(dir, &o, &j, err, sizeof err) == TR_OK);
    uint8_t payload[100];
    for (uint64_t i = 1; i <= 300; i++) {
        memset(payload, (int)i, sizeof payload);
        CHECK(tr_journal_append(j, 2, (tr_time)i, payload, sizeof payload,
                                NULL) == TR_OK);
    }
    CHECK(tr_journal_commit(j, 0) == TR_OK);
    CHECK(tr_journal_close(j) == TR_OK);

    tr_reader *r;
    tr_record rec;
    CHECK(tr_reader_open(dir, 1, &r, err, sizeof err) == TR_OK);
    uint64_t seg = 0, off = 0, seq = 0;
    for (int i = 0; i < 150; i++) { /* stop before record 151 */
        CHECK(tr_reader_next(r, &rec, err, sizeof err) == 1);
    }
    tr_reader_tell(r, &seg, &off, &seq);
    tr_reader_close(r);
    CHECK_EQ_I64(seq, 151);
    CHECK(seg > 1 && off >= 16); /* several segments of 4096 bytes by now */

    CHECK(tr_reader_open_at(dir, 151, seg, off, &r, err, sizeof err) == TR_OK);
    uint64_t n = 0, expect = 151;
    int ok = 1, k;
    while ((k = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
        ok &= rec.seq == expect++ && rec.payload[0] == (uint8_t)rec.seq;
        n++;
    }
    CHECK_MSG(k == 0 && ok && n == 150, "resumed read: %d %d %llu", k, ok,
              (unsigned long long)n);
    tr_reader_close(r);

    /* A stale position (wrong offset, wrong segment) falls back and still
     * starts at the right record. */
    CHECK(tr_reader_open_at(dir, 151, seg, off + 8, &r, err, sizeof err) ==
          TR_OK);
    CHECK(tr_reader_next(r, &rec, err, sizeof err) == 1 && rec.seq == 151);
    tr_reader_close(r);
    CHECK(tr_reader_open_at(dir, 151, 999999, 16, &r, err, sizeof err) ==
          TR_OK);
    CHECK(tr_reader_next(r, &rec, err, sizeof err) == 1 && rec.seq == 151);
    tr_reader_close(r);

    /* A follower at the very end: nothing new is an empty read (not the
     * whole segment again), and what is appended later comes next. */
    CHECK(tr_reader_open(dir, 300, &r, err, sizeof err) == TR_OK);
    CHECK(tr_reader_next(r, &rec, err, sizeof err) == 1 && rec.seq == 300);
    CHECK(tr_reader_next(r, &rec, err, sizeof err) == 0);
    tr_reader_tell(r, &seg, &off, &seq);
    tr_reader_close(r);
    CHECK_EQ_I64(seq, 301);
    CHECK(tr_reader_open_at(dir, 301, seg, off, &r, err, sizeof err) == TR_OK);
    CHECK(tr_reader_next(r, &rec, err, sizeof err) == 0);
    tr_reader_close(r);
    CHECK(tr_journal_open(dir, &o, &j, err, sizeof err) == TR_OK);
    for (uint64_t i = 301; i <= 305; i++) {
        memset(payload, (int)i, sizeof payload);
        CHECK(tr_journal_append(j, 2, (tr_time)i, payload, sizeof payload,
                                NULL) == TR_OK);
    }
    CHECK(tr_journal_commit(j, 0) == TR_OK);
    CHECK(tr_journal_close(j) == TR_OK);
    CHECK(tr_reader_open_at(dir, 301, seg, off, &r, err, sizeof err) == TR_OK);
    n = 0;
    expect = 301;
    ok = 1;
    while ((k = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
        ok &= rec.seq == expect++;
        n++;
    }
    CHECK_MSG(k == 0 && ok && n == 5, "after the end: %d %d %llu", k, ok,
              (unsigned long long)n);
    tr_reader_close(r);
    rm_rf(dir);
}

/* The record (seq) that a position holds, or 0: the segment file of that
 * first seq read at offset; at a segment's end, the next segment's first. */
static uint64_t seq_at(const char *dir, uint64_t seg, uint64_t off)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%020llu.seg", dir,
             (unsigned long long)seg);
    size_t len;
    uint8_t *d = read_all(path, &len);
    uint64_t seq = 0;
    if (d && off + 32 <= len) {
        for (int i = 7; i >= 0; i--)
            seq = (seq << 8) | d[off + 8 + (size_t)i];
    } else if (d && off == len) {
        seq = (uint64_t)-1; /* the end of a segment */
    }
    free(d);
    return seq;
}

/* tr_journal_tell: where the next record goes, across rolls; and the
 * writer thread's mark of a record's end (what snapshots store). */
static void test_tell(void)
{
    char *dir = mktmp();
    tr_journal_opts o = {.fsync = TR_FSYNC_OS, .segment_bytes = 2048};
    tr_journal *j;
    char err[4600];
    CHECK(tr_journal_open(dir, &o, &j, err, sizeof err) == TR_OK);
    enum { N = 120 };
    uint64_t seg[N + 1], off[N + 1];
    uint8_t payload[90] = {0};
    tr_journal_tell(j, &seg[0], &off[0]);
    for (int i = 1; i <= N; i++) {
        CHECK(tr_journal_append(j, 2, i, payload, (uint32_t)(i % 90), NULL) ==
              TR_OK);
        tr_journal_tell(j, &seg[i], &off[i]);
        if (i % 7 == 0)
            CHECK(tr_journal_commit(j, 0) == TR_OK);
    }
    CHECK(tr_journal_commit(j, 0) == TR_OK);
    int ok = 1, rolls = 0;
    for (int i = 0; i < N; i++) { /* the position after i holds i+1 */
        uint64_t at = seq_at(dir, seg[i], off[i]);
        if (at == (uint64_t)-1) { /* a roll: i+1 opens the next segment */
            rolls++;
            at = seg[i + 1] == (uint64_t)i + 1 ? (uint64_t)i + 1 : 0;
        }
        ok &= at == (uint64_t)i + 1;
    }
    CHECK_MSG(ok && rolls > 3, "tell: every position holds the next record "
              "(%d rolls)", rolls);

    /* The writer thread notes the position after a marked record. */
    tr_jwriter *w;
    CHECK(tr_jwriter_start(j, 0, &w) == TR_OK);
    uint64_t s = 0, mseg = 0, moff = 0;
    for (int i = 0; i < 30; i++) {
        CHECK(tr_jwriter_append(w, 2, 1000 + i, payload, 40, &s) == TR_OK);
        if (i == 17)
            tr_jwriter_mark(w, s);
    }
    CHECK_EQ_I64(tr_jwriter_wait_flushed(w, s), TR_ERR_INVALID); /* not yet */
    tr_jwriter_flush(w);
    CHECK_EQ_I64(tr_jwriter_wait_flushed(w, s), TR_OK);
    uint64_t marked = s - 12;
    CHECK(!tr_jwriter_marked(w, marked - 1, &mseg, &moff));
    CHECK(tr_jwriter_marked(w, marked, &mseg, &moff));
    CHECK_EQ_I64(tr_jwriter_close(w), TR_OK);
    uint64_t at = seq_at(dir, mseg, moff);
    CHECK_MSG(at == marked, "mark: the position of %llu holds %llu",
              (unsigned long long)marked, (unsigned long long)at);

    rm_rf(dir);

    /* Opening with a record's position as a hint: the same journal; with a
     * wrong one (not that record there): the same, by the ordinary scan; a
     * torn tail after the hinted record is cut as without a hint. */
    dir = mktmp();
    o.segment_bytes = 1 << 20;
    CHECK(tr_journal_open(dir, &o, &j, err, sizeof err) == TR_OK);
    uint64_t hseg = 0, hoff = 0;
    for (int i = 1; i <= 50; i++) {
        CHECK(tr_journal_append(j, 2, i, payload, 20, NULL) == TR_OK);
        if (i == 37)
            tr_journal_tell_last(j, &hseg, &hoff);
    }
    CHECK(tr_journal_close(j) == TR_OK);
    CHECK_EQ_I64(seq_at(dir, hseg, hoff), 37);
    uint64_t n = 50;
    for (int k = 0; k < 4; k++) {
        tr_journal_opts h = o;
        h.start_seq = k == 1 ? 38 : 37;
        h.start_segment = k == 3 ? 99 : hseg;
        h.start_offset = k == 2 ? hoff + 4 : hoff;
        CHECK(tr_journal_open(dir, &h, &j, err, sizeof err) == TR_OK);
        CHECK_EQ_I64(tr_journal_last_seq(j), n);
        CHECK(tr_journal_append(j, 2, 5000, payload, 10, NULL) == TR_OK);
        CHECK(tr_journal_close(j) == TR_OK);
        n++;
    }
    char seg1[700];
    snprintf(seg1, sizeof seg1, "%s/%020llu.seg", dir,
             (unsigned long long)hseg);
    size_t llen;
    uint8_t *ld = read_all(seg1, &llen);
    write_all(seg1, ld, llen - 5); /* the last record torn */
    free(ld);
    tr_journal_opts h = o;
    h.start_seq = 37;
    h.start_segment = hseg;
    h.start_offset = hoff;
    CHECK(tr_journal_open(dir, &h, &j, err, sizeof err) == TR_OK);
    CHECK_EQ_I64(tr_journal_last_seq(j), n - 1);
    CHECK(tr_journal_close(j) == TR_OK);
    tr_reader *r;
    tr_record rec;
    uint64_t count = 0;
    CHECK(tr_reader_open(dir, 0, &r, err, sizeof err) == TR_OK);
    while (tr_reader_next(r, &rec, err, sizeof err) == 1)
        count += rec.seq == count + 1;
    tr_reader_close(r);
    CHECK_EQ_I64(count, n - 1);
    /* The hint is what opening trusts: damage before it (record 10 here)
     * stops an ordinary open, not a hinted one (the reader finds it). */
    ld = read_all(seg1, &llen);
    ld[16 + 9 * (32 + 20) + 40] ^= 1;
    write_all(seg1, ld, llen);
    free(ld);
    CHECK_EQ_I64(tr_journal_open(dir, &o, &j, err, sizeof err), TR_ERR_DATA);
    CHECK(tr_journal_open(dir, &h, &j, err, sizeof err) == TR_OK);
    CHECK(tr_journal_close(j) == TR_OK);
    rm_rf(dir);
}

/* ---- the writer thread's fsyncs ---------------------------------------------
 * jwriter.c fsyncs on a thread of its own while it goes on writing. What
 * must hold: under ALWAYS, no record is reported (the API answers on these
 * reports) before it is durable; under INTERVAL, a record written is
 * durable within the interval even when nothing follows it; across segment
 * rolls (a roll closes the descriptor an fsync may be using) every record
 * arrives intact. */

typedef struct progress_log {
    uint64_t seq; /* the last reported (under the writer's lock) */
    int failed;
} progress_log;

static void on_progress(void *ctx, uint64_t seq, int failed)
{
    progress_log *p = ctx;
    __atomic_store_n(&p->seq, seq, __ATOMIC_RELEASE);
    if (failed)
        __atomic_store_n(&p->failed, 1, __ATOMIC_RELEASE);
}

/* Wait (up to 5 s) until the writer has reported seq. */
static int reported(progress_log *p, uint64_t seq)
{
    for (int i = 0; i < 50000; i++) {
        if (__atomic_load_n(&p->seq, __ATOMIC_ACQUIRE) >= seq)
            return 1;
        usleep(100);
    }
    return 0;
}

static void test_writer_fsync(void)
{
    char err[512];
    for (int pol = 0; pol < 2; pol++) {
        tr_fsync_policy policy = pol ? TR_FSYNC_INTERVAL : TR_FSYNC_ALWAYS;
        char *dir = mktmp();
        tr_journal *j;
        /* 4 KiB segments: the 400 records below roll about 30 times. */
        int rc = jopen(dir, policy, 20, 4096, NULL, &j, err, sizeof err);
        if (!CHECK_MSG(rc == TR_OK, "open: %d %s", rc, err)) {
            rm_rf(dir);
            continue;
        }
        tr_jwriter *w;
        CHECK(tr_jwriter_start(j, 0, &w) == TR_OK);
        progress_log p = {0, 0};
        tr_jwriter_on_progress(w, on_progress, &p);
        uint64_t seq = 0;
        int early = 0, late = 0;
        for (int group = 0; group < 100; group++) {
            for (int k = 0; k <= group % 7; k++) {
                uint8_t buf[512];
                uint64_t got = 0;
                seq++;
                uint32_t len = gen_len(seq);
                gen_fill(seq, buf, len);
                CHECK(tr_jwriter_append(w, gen_type(seq), gen_time(seq), buf,
                                        len, &got) == TR_OK && got == seq);
            }
            tr_jwriter_flush(w);
            if (group % 10)
                continue; /* the others pile up behind a running fsync */
            if (!CHECK_MSG(reported(&p, seq), "group %d never reported",
                           group))
                break;
            uint64_t durable = tr_jwriter_durable_seq(w);
            if (policy == TR_FSYNC_ALWAYS) {
                early += durable < __atomic_load_n(&p.seq, __ATOMIC_ACQUIRE);
                continue;
            }
            /* INTERVAL: durable by the timer alone, within the interval
             * (20 ms; 2 s allowed for a slow machine). */
            for (int i = 0; i < 2000 && durable < seq; i++) {
                usleep(1000);
                durable = tr_jwriter_durable_seq(w);
            }
            late += durable < seq;
        }
        CHECK_MSG(!early, "ALWAYS: %d reports came before their fsync", early);
        CHECK_MSG(!late, "INTERVAL: %d groups not durable 2 s after their "
                  "write with nothing written after them", late);
        CHECK(!p.failed);
        CHECK_EQ_I64(tr_jwriter_close(w), TR_OK);
        verify(dir, 1, seq, policy == TR_FSYNC_ALWAYS ? "writer, ALWAYS"
                                                      : "writer, INTERVAL");
        rm_rf(dir);
    }
}

int main(void)
{
    test_crc();
    test_roundtrip();
    test_resume();
    test_tell();
    test_segments();
    test_torn_tail();
    test_damage();
    test_fsync();
    test_writer_fsync();
    test_snapshots();
    test_errors();
    return test_summary();
}
