/* journal.c: segment files of CRC32C-checked records (see journal.h).
 *
 * Appends go to a memory buffer; a commit writes it with as few write(2)
 * calls as there are segments touched, then fsyncs per the policy. Rolls
 * are decided at append time (the record's position is known then) and
 * carried out at commit time, so append never does I/O. */
#include "store/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/files.h"

#define SEG_MAGIC "TRJOURN1"
#define SEG_HEADER 16
#define REC_HEADER 32
#define SNAP_MAGIC "TRSNAP01"
#define SNAP_HEADER 32

struct tr_journal {
    char *dir;
    tr_journal_opts opts;
    int fd;                 /* the current (last) segment */
    uint64_t seg_first;     /* first seq of the current segment */
    uint64_t seg_bytes;     /* bytes in the current segment, as written */
    uint64_t last_seq;      /* appended (buffered included) */
    uint64_t written_seq;   /* written to the file */
    uint64_t durable_seq;   /* fsynced */
    uint64_t last_sync_ms;
    uint8_t *buf;           /* records not yet written */
    size_t len, cap;
    uint64_t buf_seg_bytes; /* seg_bytes once the buffer is written */
    size_t *rolls;          /* buffer offsets where a new segment starts */
    uint64_t *roll_seq;     /* ... and the first seq of that segment */
    size_t nrolls, rolls_cap;
    int failed;
    uint64_t last_rec_seg, last_rec_off; /* where the last append went */
};

/* ---- little-endian encoding --------------------------------------------- */

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

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- segment files -------------------------------------------------------- */

static void seg_path(char *out, size_t n, const char *dir, uint64_t first)
{
    snprintf(out, n, "%s/%020" PRIu64 ".seg", dir, first);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* First seqs of the segments (or snapshots) in dir, sorted. *n = count.
 * suffix is ".seg" or ".snap" (with prefix "snapshot-"). */
static int list_files(const char *dir, const char *prefix, const char *suffix,
                      uint64_t **out, size_t *n)
{
    DIR *d = opendir(dir);
    *out = NULL;
    *n = 0;
    if (!d)
        return errno == ENOENT ? TR_ERR_NOT_FOUND : TR_ERR_IO;
    size_t cap = 0;
    struct dirent *e;
    size_t plen = strlen(prefix), slen = strlen(suffix);
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len != plen + 20 + slen || strncmp(e->d_name, prefix, plen) ||
            strcmp(e->d_name + plen + 20, suffix))
            continue;
        uint64_t v = 0;
        int ok = 1;
        for (size_t i = plen; i < plen + 20; i++) {
            if (e->d_name[i] < '0' || e->d_name[i] > '9')
                ok = 0;
            v = v * 10 + (uint64_t)(e->d_name[i] - '0');
        }
        if (!ok)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *nv = realloc(*out, cap * sizeof *nv);
            if (!nv) {
                closedir(d);
                free(*out);
                *out = NULL;
                return TR_ERR_NOMEM;
            }
            *out = nv;
        }
        (*out)[(*n)++] = v;
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_u64);
    return TR_OK;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read a file from byte offset `from` to its end into memory. */
static int read_file_from(const char *path, uint64_t from, uint8_t **data,
                          size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? TR_ERR_NOT_FOUND : TR_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < from ||
        lseek(fd, (off_t)from, SEEK_SET) < 0) {
        close(fd);
        return TR_ERR_IO;
    }
    size_t size = (size_t)((uint64_t)st.st_size - from);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return TR_ERR_NOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = got;
    return TR_OK;
}

static int read_file(const char *path, uint8_t **data, size_t *len)
{
    return read_file_from(path, 0, data, len);
}

static int create_segment(tr_journal *j, uint64_t first)
{
    char path[4096];
    seg_path(path, sizeof path, j->dir, first);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return TR_ERR_IO;
    uint8_t h[SEG_HEADER];
    memcpy(h, SEG_MAGIC, 8);
    put64(h + 8, first);
    if (write_all(fd, h, sizeof h) != 0 || fdatasync(fd) != 0 ||
        fsync_dir(j->dir) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return TR_ERR_IO;
    }
    if (j->fd >= 0)
        close(j->fd);
    j->fd = fd;
    j->seg_first = first;
    j->seg_bytes = SEG_HEADER;
    return TR_OK;
}

/* Is there a complete, valid record at offset o of a segment whose records
 * must have seq >= min_seq? */
static int valid_record_at(const uint8_t *d, size_t size, size_t o,
                           uint64_t min_seq)
{
    if (o + REC_HEADER > size)
        return 0;
    uint32_t len = get32(d + o);
    if (len > TR_JOURNAL_MAX_PAYLOAD || o + REC_HEADER + len > size)
        return 0;
    if (get64(d + o + 8) < min_seq)
        return 0;
    return tr_crc32c(0, d + o + 8, REC_HEADER - 8 + len) == get32(d + o + 4);
}

/* Why the record at offset o is not valid, for messages. */
static void describe_damage(const uint8_t *d, size_t size, size_t o,
                            uint64_t expect, char *why, size_t n)
{
    if (o + REC_HEADER > size) {
        snprintf(why, n, "torn record header (%zu of %d bytes)", size - o,
                 REC_HEADER);
        return;
    }
    uint32_t len = get32(d + o);
    if (len > TR_JOURNAL_MAX_PAYLOAD)
        snprintf(why, n, "impossible record length %" PRIu32, len);
    else if (o + REC_HEADER + len > size)
        snprintf(why, n, "torn record (needs %zu bytes, %zu left)",
                 (size_t)REC_HEADER + len, size - o);
    else if (tr_crc32c(0, d + o + 8, REC_HEADER - 8 + len) != get32(d + o + 4))
        snprintf(why, n, "checksum mismatch in record %" PRIu64,
                 get64(d + o + 8));
    else
        snprintf(why, n, "sequence %" PRIu64 " where %" PRIu64 " was expected",
                 get64(d + o + 8), expect);
}

/* The last segment read from the hinted position (opts.start_*), when that
 * position is in it and holds record start_seq: *d from file offset *base,
 * its segment header checked. 0 when the hint does not apply. */
static int read_from_hint(tr_journal *j, uint64_t first, const char *path,
                          uint8_t **d, size_t *size, uint64_t *base)
{
    const tr_journal_opts *o = &j->opts;
    if (!o->start_seq || o->start_segment != first ||
        o->start_offset < SEG_HEADER || o->start_seq < first)
        return 0;
    uint8_t h[SEG_HEADER];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int ok = pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h &&
             memcmp(h, SEG_MAGIC, 8) == 0 && get64(h + 8) == first;
    close(fd);
    if (!ok || read_file_from(path, o->start_offset, d, size) != TR_OK)
        return 0;
    if (!valid_record_at(*d, *size, 0, o->start_seq) ||
        get64(*d + 8) != o->start_seq) {
        free(*d);
        return 0;
    }
    *base = o->start_offset;
    return 1;
}

/* Scan the last segment: find its end, truncate a torn tail, refuse other
 * damage. */
static int recover_tail(tr_journal *j, uint64_t first, char *err,
                        size_t errlen)
{
    char path[4096];
    seg_path(path, sizeof path, j->dir, first);
    uint8_t *d;
    size_t size;
    uint64_t base = 0, seq = first;
    size_t o = SEG_HEADER;
    if (read_from_hint(j, first, path, &d, &size, &base)) {
        o = 0; /* offsets in d are from base on */
        seq = j->opts.start_seq;
        goto scan;
    }
    int rc = read_file(path, &d, &size);
    if (rc != TR_OK) {
        tr_errf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return rc;
    }
    if (size < SEG_HEADER) { /* crashed while creating it */
        free(d);
        if (j->opts.report) {
            char m[4300];
            snprintf(m, sizeof m, "%s: incomplete segment header: rewritten",
                     path);
            j->opts.report(j->opts.report_ctx, m);
        }
        rc = create_segment(j, first);
        if (rc != TR_OK)
            tr_errf(err, errlen, "%s: cannot rewrite: %s", path,
                     strerror(errno));
        j->last_seq = j->written_seq = j->durable_seq = first - 1;
        return rc;
    }
    if (memcmp(d, SEG_MAGIC, 8) != 0 || get64(d + 8) != first) {
        free(d);
        tr_errf(err, errlen, "%s: not a journal segment (bad header)", path);
        return TR_ERR_DATA;
    }
scan:
    while (o < size && valid_record_at(d, size, o, seq) &&
           get64(d + o + 8) == seq) {
        o += REC_HEADER + get32(d + o);
        seq++;
    }
    if (o < size) {
        char why[160];
        describe_damage(d, size, o, seq, why, sizeof why);
        for (size_t k = o + 1; k + REC_HEADER <= size; k++)
            if (valid_record_at(d, size, k, seq)) {
                tr_errf(err, errlen,
                         "%s: offset %zu: %s, followed by valid records at "
                         "offset %zu: not a crash artefact; refusing to "
                         "truncate (run trader journal verify)",
                         path, (size_t)base + o, why, (size_t)base + k);
                free(d);
                return TR_ERR_DATA;
            }
        if (truncate(path, (off_t)(base + o)) != 0) {
            tr_errf(err, errlen, "%s: cannot truncate: %s", path,
                     strerror(errno));
            free(d);
            return TR_ERR_IO;
        }
        if (j->opts.report) {
            char m[4400];
            snprintf(m, sizeof m, "%s: offset %zu: %s: truncated %zu bytes",
                     path, (size_t)base + o, why, size - o);
            j->opts.report(j->opts.report_ctx, m);
        }
    }
    free(d);
    j->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (j->fd < 0 || (o < size && fdatasync(j->fd) != 0)) {
        tr_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return TR_ERR_IO;
    }
    j->seg_first = first;
    j->seg_bytes = base + o;
    j->last_seq = j->written_seq = j->durable_seq = seq - 1;
    return TR_OK;
}

int tr_journal_open(const char *dir, const tr_journal_opts *opts,
                    tr_journal **out, char *err, size_t errlen)
{
    tr_journal *j = calloc(1, sizeof *j);
    if (!j)
        return TR_ERR_NOMEM;
    j->fd = -1;
    if (opts)
        j->opts = *opts;
    if (!j->opts.interval_ms)
        j->opts.interval_ms = 10;
    if (!j->opts.segment_bytes)
        j->opts.segment_bytes = (uint64_t)64 << 20;
    j->dir = strdup(dir);
    if (!j->dir) {
        free(j);
        return TR_ERR_NOMEM;
    }
    int rc;
    struct stat st;
    if ((stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) || tr_mkdir_p(dir) != 0) {
        if (errno == 0 || errno == EEXIST)
            errno = ENOTDIR;
        tr_errf(err, errlen, "%s: cannot use as a journal folder: %s", dir,
                 strerror(errno));
        rc = TR_ERR_IO;
        goto fail;
    }
    uint64_t *segs;
    size_t n;
    rc = list_files(dir, "", ".seg", &segs, &n);
    if (rc != TR_OK) {
        tr_errf(err, errlen, "%s: cannot list: %s", dir, strerror(errno));
        goto fail;
    }
    if (n == 0) {
        rc = create_segment(j, 1);
        if (rc != TR_OK)
            tr_errf(err, errlen, "%s: cannot create a segment: %s", dir,
                     strerror(errno));
    } else {
        rc = recover_tail(j, segs[n - 1], err, errlen);
    }
    free(segs);
    if (rc != TR_OK)
        goto fail;
    *out = j;
    return TR_OK;
fail:
    if (j->fd >= 0)
        close(j->fd);
    free(j->dir);
    free(j);
    return rc;
}

int tr_journal_append(tr_journal *j, uint16_t type, tr_time time,
                      const void *payload, uint32_t len, uint64_t *seq)
{
    if (j->failed)
        return TR_ERR_IO;
    if (len > TR_JOURNAL_MAX_PAYLOAD)
        return TR_ERR_INVALID;
    size_t need = REC_HEADER + (size_t)len;
    if (j->len + need > j->cap) {
        size_t cap = j->cap ? j->cap : 1 << 16;
        while (cap < j->len + need)
            cap *= 2;
        uint8_t *b = realloc(j->buf, cap);
        if (!b)
            return TR_ERR_NOMEM;
        j->buf = b;
        j->cap = cap;
    }
    if (j->len == 0)
        j->buf_seg_bytes = j->seg_bytes;
    uint64_t s = j->last_seq + 1;
    /* Roll when this record would pass the size, unless the segment is
     * still empty (a record larger than a segment gets one to itself). */
    if (j->buf_seg_bytes + need > j->opts.segment_bytes &&
        j->buf_seg_bytes > SEG_HEADER) {
        if (j->nrolls == j->rolls_cap) {
            size_t cap = j->rolls_cap ? j->rolls_cap * 2 : 8;
            size_t *r = realloc(j->rolls, cap * sizeof *r);
            uint64_t *q = r ? realloc(j->roll_seq, cap * sizeof *q) : NULL;
            if (r)
                j->rolls = r;
            if (!q)
                return TR_ERR_NOMEM;
            j->roll_seq = q;
            j->rolls_cap = cap;
        }
        j->rolls[j->nrolls] = j->len;
        j->roll_seq[j->nrolls++] = s;
        j->buf_seg_bytes = SEG_HEADER;
    }
    j->last_rec_seg = j->nrolls ? j->roll_seq[j->nrolls - 1] : j->seg_first;
    j->last_rec_off = j->buf_seg_bytes;
    uint8_t *h = j->buf + j->len;
    put32(h, len);
    put64(h + 8, s);
    put64(h + 16, (uint64_t)time);
    h[24] = (uint8_t)type;
    h[25] = (uint8_t)(type >> 8);
    h[26] = h[27] = 0;
    put32(h + 28, 0);
    if (len)
        memcpy(h + REC_HEADER, payload, len);
    put32(h + 4, tr_crc32c(0, h + 8, REC_HEADER - 8 + len));
    j->len += need;
    j->buf_seg_bytes += need;
    j->last_seq = s;
    if (seq)
        *seq = s;
    return TR_OK;
}

int tr_journal_sync(tr_journal *j)
{
    if (j->failed)
        return TR_ERR_IO;
    if (j->durable_seq == j->written_seq)
        return TR_OK;
    if (fdatasync(j->fd) != 0) {
        j->failed = 1;
        return TR_ERR_IO;
    }
    j->durable_seq = j->written_seq;
    return TR_OK;
}

int tr_journal_sync_begin(tr_journal *j, int *fd, uint64_t *seq)
{
    *fd = -1;
    *seq = j->written_seq;
    if (j->failed)
        return TR_ERR_IO;
    *fd = fcntl(j->fd, F_DUPFD_CLOEXEC, 0);
    return TR_OK;
}

void tr_journal_sync_end(tr_journal *j, uint64_t seq, int ok)
{
    if (!ok)
        j->failed = 1;
    else if (seq > j->durable_seq)
        j->durable_seq = seq;
}

uint32_t tr_journal_interval_ms(const tr_journal *j)
{
    return j->opts.interval_ms;
}

int tr_journal_commit(tr_journal *j, uint64_t now_ms)
{
    int rc = tr_journal_write(j);
    return rc == TR_OK ? tr_journal_sync_due(j, now_ms) : rc;
}

tr_fsync_policy tr_journal_policy(const tr_journal *j)
{
    return j->opts.fsync;
}

int tr_journal_write(tr_journal *j)
{
    if (j->failed)
        return TR_ERR_IO;
    size_t start = 0;
    for (size_t k = 0; k <= j->nrolls; k++) {
        size_t end = k < j->nrolls ? j->rolls[k] : j->len;
        if (end > start) {
            if (write_all(j->fd, j->buf + start, end - start) != 0) {
                j->failed = 1;
                return TR_ERR_IO;
            }
            j->seg_bytes += end - start;
        }
        if (k < j->nrolls) {
            /* The old segment is complete: make it durable, then start the
             * next one. */
            if (fdatasync(j->fd) != 0 ||
                create_segment(j, j->roll_seq[k]) != TR_OK) {
                j->failed = 1;
                return TR_ERR_IO;
            }
            j->durable_seq = j->roll_seq[k] - 1;
        }
        start = end;
    }
    j->len = 0;
    j->nrolls = 0;
    j->written_seq = j->last_seq;
    return TR_OK;
}

int tr_journal_sync_due(tr_journal *j, uint64_t now_ms)
{
    if (j->failed)
        return TR_ERR_IO;
    int sync = j->opts.fsync == TR_FSYNC_ALWAYS ||
               (j->opts.fsync == TR_FSYNC_INTERVAL &&
                now_ms - j->last_sync_ms >= j->opts.interval_ms);
    if (sync) {
        j->last_sync_ms = now_ms;
        return tr_journal_sync(j);
    }
    return TR_OK;
}

int tr_journal_close(tr_journal *j)
{
    if (!j)
        return TR_OK;
    int rc = j->failed ? TR_ERR_IO : tr_journal_commit(j, 0);
    if (rc == TR_OK)
        rc = tr_journal_sync(j);
    if (j->fd >= 0)
        close(j->fd);
    free(j->buf);
    free(j->rolls);
    free(j->roll_seq);
    free(j->dir);
    free(j);
    return rc;
}

void tr_journal_tell(const tr_journal *j, uint64_t *segment,
                     uint64_t *offset)
{
    if (j->len == 0) {
        *segment = j->seg_first;
        *offset = j->seg_bytes;
    } else {
        *segment = j->nrolls ? j->roll_seq[j->nrolls - 1] : j->seg_first;
        *offset = j->buf_seg_bytes;
    }
}

void tr_journal_tell_last(const tr_journal *j, uint64_t *segment,
                          uint64_t *offset)
{
    *segment = j->last_rec_seg;
    *offset = j->last_rec_off;
}

uint64_t tr_journal_last_seq(const tr_journal *j)
{
    return j->last_seq;
}

uint64_t tr_journal_durable_seq(const tr_journal *j)
{
    return j->durable_seq;
}

/* ---- reading -------------------------------------------------------------- */

struct tr_reader {
    char *dir;
    uint64_t *segs;
    size_t nsegs, cur;   /* cur: index of the loaded segment */
    uint8_t *data;       /* the segment's bytes from file offset base on */
    size_t size, pos;
    uint64_t base;
    uint64_t expect;     /* next sequence number */
    uint64_t from;
    int loaded;
};

static int load_segment(tr_reader *r, size_t k, char *err, size_t errlen)
{
    char path[4096];
    seg_path(path, sizeof path, r->dir, r->segs[k]);
    free(r->data);
    r->data = NULL;
    int rc = read_file(path, &r->data, &r->size);
    if (rc != TR_OK) {
        tr_errf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return rc;
    }
    if (r->size < SEG_HEADER || memcmp(r->data, SEG_MAGIC, 8) != 0 ||
        get64(r->data + 8) != r->segs[k]) {
        tr_errf(err, errlen, "%s: bad segment header", path);
        return TR_ERR_DATA;
    }
    if (r->loaded && r->segs[k] != r->expect) {
        tr_errf(err, errlen, "%s: starts at record %" PRIu64 " but %" PRIu64
                 " was expected: records are missing", path, r->segs[k],
                 r->expect);
        return TR_ERR_DATA;
    }
    r->cur = k;
    r->pos = SEG_HEADER;
    r->base = 0;
    r->expect = r->segs[k];
    r->loaded = 1;
    return TR_OK;
}

void tr_reader_tell(const tr_reader *r, uint64_t *segment, uint64_t *offset,
                    uint64_t *seq)
{
    *segment = r->segs[r->cur];
    *offset = r->base + r->pos;
    *seq = r->expect;
}

int tr_reader_open_at(const char *dir, uint64_t seq, uint64_t segment,
                      uint64_t offset, tr_reader **out, char *err,
                      size_t errlen)
{
    tr_reader *r = calloc(1, sizeof *r);
    if (!r)
        return TR_ERR_NOMEM;
    r->dir = strdup(dir);
    int ok = r->dir && offset >= SEG_HEADER &&
             list_files(dir, "", ".seg", &r->segs, &r->nsegs) == TR_OK;
    size_t k = 0;
    while (ok && k < r->nsegs && r->segs[k] != segment)
        k++;
    ok = ok && k < r->nsegs;
    if (ok) {
        char path[4096];
        seg_path(path, sizeof path, dir, segment);
        ok = read_file_from(path, offset, &r->data, &r->size) == TR_OK;
        /* At the end of the segment (a follower that read everything):
         * nothing new is fine when this is the last segment, or when the
         * next one starts with seq; else a record seq must be there. */
        if (ok && r->size == 0)
            ok = k + 1 == r->nsegs || r->segs[k + 1] == seq;
        else
            ok = ok && valid_record_at(r->data, r->size, 0, seq) &&
                 get64(r->data + 8) == seq;
    }
    if (!ok) { /* the position is stale: read the ordinary way */
        tr_reader_close(r);
        return tr_reader_open(dir, seq, out, err, errlen);
    }
    r->cur = k;
    r->pos = 0;
    r->base = offset;
    r->expect = seq;
    r->from = seq;
    r->loaded = 1;
    *out = r;
    return TR_OK;
}

int tr_reader_open(const char *dir, uint64_t from_seq, tr_reader **out,
                   char *err, size_t errlen)
{
    tr_reader *r = calloc(1, sizeof *r);
    if (!r)
        return TR_ERR_NOMEM;
    r->dir = strdup(dir);
    int rc = r->dir ? list_files(dir, "", ".seg", &r->segs, &r->nsegs)
                    : TR_ERR_NOMEM;
    if (rc == TR_OK && r->nsegs == 0)
        rc = TR_ERR_NOT_FOUND;
    if (rc != TR_OK) {
        tr_errf(err, errlen, "%s: no journal here%s%s", dir,
                 rc == TR_ERR_IO ? ": " : "",
                 rc == TR_ERR_IO ? strerror(errno) : "");
        tr_reader_close(r);
        return rc;
    }
    r->from = from_seq ? from_seq : r->segs[0];
    if (r->from < r->segs[0]) {
        tr_errf(err, errlen, "%s: records %" PRIu64 "..%" PRIu64 " are not "
                 "in the journal (its oldest segment starts at %" PRIu64 ")",
                 dir, r->from, r->segs[0] - 1, r->segs[0]);
        tr_reader_close(r);
        return TR_ERR_DATA;
    }
    size_t k = 0; /* the last segment starting at or before from */
    while (k + 1 < r->nsegs && r->segs[k + 1] <= r->from)
        k++;
    rc = load_segment(r, k, err, errlen);
    if (rc != TR_OK) {
        tr_reader_close(r);
        return rc;
    }
    *out = r;
    return TR_OK;
}

void tr_reader_close(tr_reader *r)
{
    if (!r)
        return;
    free(r->dir);
    free(r->segs);
    free(r->data);
    free(r);
}

int tr_reader_next(tr_reader *r, tr_record *rec, char *err, size_t errlen)
{
    for (;;) {
        if (r->pos >= r->size) {
            if (r->cur + 1 >= r->nsegs)
                return 0;
            int rc = load_segment(r, r->cur + 1, err, errlen);
            if (rc != TR_OK)
                return rc;
            continue;
        }
        const uint8_t *d = r->data;
        size_t o = r->pos;
        if (!valid_record_at(d, r->size, o, r->expect) ||
            get64(d + o + 8) != r->expect) {
            char why[160], path[4096];
            describe_damage(d, r->size, o, r->expect, why, sizeof why);
            seg_path(path, sizeof path, r->dir, r->segs[r->cur]);
            tr_errf(err, errlen, "%s: offset %" PRIu64 ": %s", path,
                     r->base + o, why);
            return TR_ERR_DATA;
        }
        uint32_t len = get32(d + o);
        r->pos = o + REC_HEADER + len;
        r->expect++;
        uint64_t seq = get64(d + o + 8);
        if (seq < r->from)
            continue;
        rec->seq = seq;
        rec->time = (tr_time)get64(d + o + 16);
        rec->type = (uint16_t)(d[o + 24] | d[o + 25] << 8);
        rec->flags = (uint16_t)(d[o + 26] | d[o + 27] << 8);
        rec->len = len;
        rec->payload = d + o + REC_HEADER;
        return 1;
    }
}

/* ---- snapshots ------------------------------------------------------------ */

int tr_snapshot_write(const char *dir, uint64_t seq, const void *data,
                      size_t len, char *err, size_t errlen)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/snapshot-%020" PRIu64 ".snap", dir, seq);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    uint8_t h[SNAP_HEADER];
    memcpy(h, SNAP_MAGIC, 8);
    put64(h + 8, seq);
    put64(h + 16, (uint64_t)len);
    put32(h + 24, tr_crc32c(tr_crc32c(0, h + 8, 16), data, len));
    put32(h + 28, 0);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, h, sizeof h) != 0 ||
        write_all(fd, data, len) != 0 || fsync(fd) != 0 || close(fd) != 0 ||
        rename(tmp, path) != 0 || fsync_dir(dir) != 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        remove(tmp);
        tr_errf(err, errlen, "%s: cannot write snapshot: %s", path,
                 strerror(saved));
        return TR_ERR_IO;
    }
    /* Keep the one before (a fallback should this one be damaged). */
    uint64_t *snaps;
    size_t n;
    if (list_files(dir, "snapshot-", ".snap", &snaps, &n) == TR_OK) {
        uint64_t keep = 0;
        for (size_t i = 0; i < n; i++)
            if (snaps[i] < seq)
                keep = snaps[i];
        for (size_t i = 0; i < n; i++)
            if (snaps[i] < keep) {
                char old[4096];
                snprintf(old, sizeof old, "%s/snapshot-%020" PRIu64 ".snap",
                         dir, snaps[i]);
                remove(old);
            }
        free(snaps);
    }
    /* Temporary files of writes a crash interrupted. */
    if (list_files(dir, "snapshot-", ".snap.tmp", &snaps, &n) == TR_OK) {
        for (size_t i = 0; i < n; i++) {
            char old[4200];
            snprintf(old, sizeof old, "%s/snapshot-%020" PRIu64 ".snap.tmp",
                     dir, snaps[i]);
            remove(old);
        }
        free(snaps);
    }
    return TR_OK;
}

/* The contents of a snapshot file whose header and checksum hold. */
static int snap_load(const char *path, uint64_t seq, uint8_t **data,
                     size_t *len)
{
    uint8_t *d;
    size_t size;
    int rc = read_file(path, &d, &size);
    if (rc != TR_OK)
        return rc;
    if (size >= SNAP_HEADER && memcmp(d, SNAP_MAGIC, 8) == 0 &&
        get64(d + 8) == seq && get64(d + 16) == size - SNAP_HEADER &&
        tr_crc32c(tr_crc32c(0, d + 8, 16), d + SNAP_HEADER,
                  size - SNAP_HEADER) == get32(d + 24)) {
        *len = size - SNAP_HEADER;
        memmove(d, d + SNAP_HEADER, *len);
        *data = d;
        return TR_OK;
    }
    free(d);
    return TR_ERR_DATA;
}

int tr_snapshot_read_at(const char *dir, uint64_t seq, void **data,
                        size_t *len, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/snapshot-%020" PRIu64 ".snap", dir, seq);
    uint8_t *d = NULL;
    int rc = snap_load(path, seq, &d, len);
    if (rc == TR_OK)
        *data = d;
    else if (rc == TR_ERR_DATA)
        tr_errf(err, errlen, "%s is damaged (header or checksum)", path);
    else
        tr_errf(err, errlen, "%s: cannot read: %s", path,
                 rc == TR_ERR_NOT_FOUND ? "no such file" : strerror(errno));
    return rc;
}

int tr_snapshot_peek(const char *dir, uint64_t seq, void *buf, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/snapshot-%020" PRIu64 ".snap", dir, seq);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? TR_ERR_NOT_FOUND : TR_ERR_IO;
    uint8_t h[SNAP_HEADER];
    ssize_t a = pread(fd, h, sizeof h, 0);
    ssize_t b = a == (ssize_t)sizeof h ? pread(fd, buf, n, SNAP_HEADER) : -1;
    close(fd);
    if (b != (ssize_t)n || memcmp(h, SNAP_MAGIC, 8) != 0 || get64(h + 8) != seq)
        return TR_ERR_DATA;
    return TR_OK;
}

int tr_snapshot_read(const char *dir, uint64_t *seq, void **data, size_t *len,
                     char *err, size_t errlen)
{
    uint64_t *snaps;
    size_t n;
    int rc = list_files(dir, "snapshot-", ".snap", &snaps, &n);
    if (rc != TR_OK)
        return rc;
    if (err && errlen)
        err[0] = '\0';
    for (size_t i = n; i-- > 0;) {
        char path[4096];
        snprintf(path, sizeof path, "%s/snapshot-%020" PRIu64 ".snap", dir,
                 snaps[i]);
        uint8_t *d;
        if (snap_load(path, snaps[i], &d, len) == TR_OK) {
            *seq = snaps[i];
            *data = d;
            free(snaps);
            return TR_OK;
        }
        tr_errf(err, errlen, "warning: %s is damaged and was skipped", path);
    }
    free(snaps);
    return TR_ERR_NOT_FOUND;
}

int tr_snapshot_list(const char *dir, int check, tr_snapshot_info **out,
                     size_t *n)
{
    uint64_t *snaps;
    *out = NULL;
    *n = 0;
    int rc = list_files(dir, "snapshot-", ".snap", &snaps, n);
    if (rc != TR_OK || !*n) {
        free(snaps);
        return rc;
    }
    tr_snapshot_info *v = calloc(*n, sizeof *v);
    if (!v) {
        free(snaps);
        *n = 0;
        return TR_ERR_NOMEM;
    }
    for (size_t i = 0; i < *n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/snapshot-%020" PRIu64 ".snap", dir,
                 snaps[i]);
        v[i].seq = snaps[i];
        struct stat st;
        if (stat(path, &st) == 0) {
            v[i].bytes = (uint64_t)st.st_size;
            v[i].mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 +
                         st.st_mtim.tv_nsec;
        }
        uint8_t *d;
        size_t len;
        if (!check) {
            v[i].valid = -1;
        } else if (snap_load(path, snaps[i], &d, &len) == TR_OK) {
            v[i].valid = 1;
            free(d);
        }
    }
    free(snaps);
    *out = v;
    return TR_OK;
}
