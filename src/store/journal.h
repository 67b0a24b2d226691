/* journal.h: the event journal: append-only segment files of checksummed
 * records, the source of truth that everything else (the engine's state
 * after a restart, the SQLite projection) is rebuilt from.
 *
 * Layout of a journal folder:
 *     00000000000000000001.seg    records 1 .. (the name is the first seq)
 *     00000000000000052713.seg    the next segment, after a roll
 *     snapshot-00000000000000052712.snap   engine state after record 52712
 * A segment starts with a 16-byte header ("TRJOURN1", first seq as u64);
 * then records, each a 32-byte header and a payload, all little-endian:
 *     u32 payload length   u32 CRC32C of everything after this field
 *     u64 sequence number  i64 event time (ns UTC)
 *     u16 type  u16 flags  u32 reserved (0)    payload bytes
 * Sequence numbers start at 1 and go up by one across segments.
 *
 * Durability: tr_journal_append only buffers; tr_journal_commit writes the
 * buffer in one write(2) (group commit) and fsyncs according to the policy:
 * every commit, at most every N ms, or never (the OS decides). A record is
 * acknowledged once the commit that covers it has returned TR_OK under the
 * ALWAYS policy, or once tr_journal_durable_seq has reached it.
 *
 * Crash safety: on open, a torn or corrupt tail of the last segment (what a
 * crash in the middle of a write leaves) is detected, truncated and
 * reported. Damage followed by valid records is not a crash artefact: the
 * journal refuses to open rather than drop acknowledged events. Opening
 * reads only the last segment (older ones are complete and fsynced before
 * a roll); damage or a missing segment further back is found by the reader
 * (`trader journal verify`), which every restart runs anyway.
 *
 * Threads: a journal handle belongs to one thread; readers on the same
 * folder are independent handles. */
#ifndef TR_JOURNAL_H
#define TR_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/time.h"

typedef enum tr_fsync_policy {
    TR_FSYNC_ALWAYS = 0, /* fsync at every commit */
    TR_FSYNC_INTERVAL,   /* fsync when the last one is >= interval_ms old */
    TR_FSYNC_OS,         /* never fsync (except at close): the OS decides */
} tr_fsync_policy;

typedef struct tr_journal_opts {
    tr_fsync_policy fsync;
    uint32_t interval_ms;      /* TR_FSYNC_INTERVAL; 0 means 10 */
    uint64_t segment_bytes;    /* roll to a new segment past this; 0 = 64 MiB */
    /* Told about a truncated tail: message like "journal/0...1.seg: torn
     * record at offset 4096 (needs 120 bytes, 37 left): truncated 37 bytes".
     * May be NULL. */
    void (*report)(void *ctx, const char *message);
    void *report_ctx;
    /* Optional (0: none): a position believed to hold record start_seq,
     * e.g. from a snapshot. When it is in the last segment and does hold
     * that record (checksum and seq), opening checks the tail from there
     * instead of reading the whole segment: the records before it were
     * durable when the position was taken (`trader journal verify` and the
     * reader still check them). Otherwise it is ignored. */
    uint64_t start_seq, start_segment, start_offset;
} tr_journal_opts;

#define TR_JOURNAL_MAX_PAYLOAD (1u << 20) /* 1 MiB per record */

typedef struct tr_journal tr_journal;

/* Open (creating the folder and a first segment if needed) for appending.
 * TR_ERR_IO (errno; message in err), TR_ERR_DATA (damage in the last
 * segment that is not a torn tail; err says where), TR_ERR_NOMEM. */
int tr_journal_open(const char *dir, const tr_journal_opts *opts,
                    tr_journal **out /* OUT */, char *err, size_t errlen);

/* Commit what is buffered, fsync, close. TR_ERR_IO when the last commit
 * failed (the journal is closed anyway). NULL is a no-op. */
int tr_journal_close(tr_journal *j);

/* Buffer one record; its sequence number is written to *seq (may be NULL).
 * TR_ERR_INVALID (payload too large), TR_ERR_NOMEM, or TR_ERR_IO when the
 * journal has failed before (a failed journal accepts nothing more: the
 * caller must halt trading). */
int tr_journal_append(tr_journal *j, uint16_t type, tr_time time,
                      const void *payload, uint32_t len, uint64_t *seq);

/* Write everything buffered (one write per segment touched) and fsync per
 * the policy. now_ms is a monotonic clock reading for the INTERVAL policy
 * (the caller's, so that tests control time). TR_ERR_IO on a failed write
 * or fsync (ENOSPC, EIO): the journal is then failed for good, and the
 * records of this commit must be treated as not acknowledged. */
int tr_journal_commit(tr_journal *j, uint64_t now_ms);

/* tr_journal_commit in two halves, for a writer that tells others as soon
 * as records are written (before the fsync that may follow): write, then
 * fsync if the policy wants one now. Same errors. */
int tr_journal_write(tr_journal *j);
int tr_journal_sync_due(tr_journal *j, uint64_t now_ms);

/* The policy the journal was opened with. */
tr_fsync_policy tr_journal_policy(const tr_journal *j);

/* Force an fsync of what has been written (INTERVAL policy's timer). */
int tr_journal_sync(tr_journal *j);

/* tr_journal_sync in three parts, for a writer that has the fsync done on
 * another thread while it goes on writing (jwriter.c): sync_begin gives a
 * duplicate descriptor of the current segment (*fd; the caller closes it,
 * so a roll meanwhile can close the journal's own) and the last seq written
 * to the file (*seq); the caller fdatasyncs *fd on any thread, then
 * reports with sync_end (ok = 0: the fsync failed and the journal is failed
 * for good). *fd is -1 when no descriptor was left to duplicate: then sync
 * in place with tr_journal_sync. Records of segments before the current one
 * were made durable by the roll. The handle is still one thread's at a
 * time: the caller serialises these calls with all others on j (a lock).
 * TR_ERR_IO when the journal has failed. */
int tr_journal_sync_begin(tr_journal *j, int *fd /* OUT */,
                          uint64_t *seq /* OUT */);
void tr_journal_sync_end(tr_journal *j, uint64_t seq, int ok);

/* The INTERVAL policy's interval (ms, never 0). */
uint32_t tr_journal_interval_ms(const tr_journal *j);

/* Where the next record appended will go (buffered records included): a
 * segment (its first seq) and a byte offset in it, for tr_reader_open_at.
 * At the end of a full segment the next record may open a new one; the
 * reader then falls back to its ordinary way. */
void tr_journal_tell(const tr_journal *j, uint64_t *segment,
                     uint64_t *offset);

/* Where the last record appended (this session) starts: its segment and
 * byte offset, as tr_reader_open_at and tr_journal_opts.start_* take them.
 * 0 0 before the first append. */
void tr_journal_tell_last(const tr_journal *j, uint64_t *segment,
                          uint64_t *offset);

uint64_t tr_journal_last_seq(const tr_journal *j);    /* 0 when empty */
uint64_t tr_journal_durable_seq(const tr_journal *j); /* fsynced up to */

/* ---- reading -------------------------------------------------------------- */

typedef struct tr_record {
    uint64_t seq;
    tr_time time;
    uint16_t type;
    uint16_t flags;
    uint32_t len;
    const uint8_t *payload; /* borrowed until the next tr_reader_next */
} tr_record;

typedef struct tr_reader tr_reader;

/* Read dir from the record with seq from_seq (whole segments before it
 * are skipped), or from the oldest record kept when from_seq is 0.
 * TR_ERR_NOT_FOUND when dir has no journal, TR_ERR_DATA when from_seq is
 * older than the oldest segment kept (segments before a snapshot may have
 * been removed), TR_ERR_IO, TR_ERR_NOMEM. */
int tr_reader_open(const char *dir, uint64_t from_seq, tr_reader **out,
                   char *err, size_t errlen);
void tr_reader_close(tr_reader *r);

/* Where the reader stands: the segment (its first seq), the byte offset in
 * it and the seq of the next record. Saved, it lets tr_reader_open_at
 * resume there later without reading the segment from its start. */
void tr_reader_tell(const tr_reader *r, uint64_t *segment, uint64_t *offset,
                    uint64_t *seq);

/* tr_reader_open(dir, seq), starting at a position from tr_reader_tell
 * (only the bytes from offset on are read). When the position does not
 * hold record seq (the journal was replaced or rebuilt), it falls back to
 * tr_reader_open. */
int tr_reader_open_at(const char *dir, uint64_t seq, uint64_t segment,
                      uint64_t offset, tr_reader **out, char *err,
                      size_t errlen);

/* The next record: 1 and *rec filled, 0 at a clean end, or a negative
 * error: TR_ERR_DATA when a record is damaged (bad CRC, impossible length,
 * a sequence gap or repeat, a torn tail), with "SEGMENT: offset N: reason"
 * in err. */
int tr_reader_next(tr_reader *r, tr_record *rec, char *err, size_t errlen);

/* ---- snapshots ------------------------------------------------------------ */

/* Write an opaque snapshot of state after record seq (CRC-protected, via a
 * temporary file and rename, fsynced). The newest older snapshot is kept
 * (a fallback, should this one be damaged or unusable); older ones are
 * removed. Any thread (it does not touch a journal handle). */
int tr_snapshot_write(const char *dir, uint64_t seq, const void *data,
                      size_t len, char *err, size_t errlen);

/* The newest valid snapshot: *seq, and *data (malloc'd, caller frees) of
 * *len bytes. TR_ERR_NOT_FOUND when there is none (a damaged one is skipped
 * and reported in err as a warning). */
int tr_snapshot_read(const char *dir, uint64_t *seq, void **data, size_t *len,
                     char *err, size_t errlen);

/* The first n bytes of the snapshot after record seq, NOT checked (the
 * checksum covers the whole file): for hints that are verified otherwise.
 * TR_ERR_NOT_FOUND, TR_ERR_DATA (too short, not a snapshot), TR_ERR_IO. */
int tr_snapshot_peek(const char *dir, uint64_t seq, void *buf, size_t n);

/* The snapshot after record seq: *data (malloc'd, caller frees) of *len
 * bytes. TR_ERR_NOT_FOUND, TR_ERR_DATA when its header or checksum does not
 * hold, TR_ERR_IO, TR_ERR_NOMEM; err says which file and why. */
int tr_snapshot_read_at(const char *dir, uint64_t seq, void **data,
                        size_t *len, char *err, size_t errlen);

typedef struct tr_snapshot_info {
    uint64_t seq;   /* state after this record */
    uint64_t bytes; /* file size */
    int64_t mtime;  /* when the file was written: wall clock, ns UTC */
    int valid;      /* header and checksum hold (1) or not (0); -1: not
                     * checked */
} tr_snapshot_info;

/* The snapshots in dir, oldest first: *out (malloc'd, caller frees; NULL
 * when *n is 0). With check, each file is read and checked (valid).
 * TR_ERR_NOT_FOUND when dir does not exist, TR_ERR_IO, TR_ERR_NOMEM. */
int tr_snapshot_list(const char *dir, int check, tr_snapshot_info **out,
                     size_t *n);

/* ---- checksums ------------------------------------------------------------ */

/* CRC32C (Castagnoli) of buf, continuing from crc (0 to start). */
uint32_t tr_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
