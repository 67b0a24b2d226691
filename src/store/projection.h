/* projection.h: the SQLite projection of the event journal.
 *
 * The journal is the truth; the database is a view of it that can always be
 * rebuilt. A projector reads journal records in order, from the one after
 * the last it applied, and applies them in batched transactions (up to
 * 10,000 records each). Every batch stores the sequence number and a
 * checksum of its last record in the same transaction as its rows, so a
 * crash or a failed commit never applies a record twice nor skips one.
 * Before each batch the projector re-reads that position from the database
 * (other projectors, `trader db rebuild`, may have moved it) and checks that
 * the journal still holds the record the database ended at; a database
 * built from another journal is refused (the follower rebuilds it).
 *
 * Schema (PRAGMA user_version = TR_PROJ_SCHEMA_VERSION; migrations are
 * numbered and each runs in its own transaction; opening a database
 * applies the pending ones; each time column but bars.time is followed by
 * its *_iso text twin, not listed):
 *
 *   meta(key, value)       last_seq, last_crc, last_type, last_time,
 *                          last_market_time, journal, journal_written,
 *                          updated, created, config, strategy, money_scale
 *   symbols(id, name)      from session records (the first 64 symbols)
 *   bars(sym, time, o, h, l, c, v, seq)          PRIMARY KEY (sym, time)
 *   signals(seq, time, sym, action, target, confidence, qty, stop,
 *           take_profit, votes_bull, votes_bear, strategy, risk_reason,
 *           detail, reasons)
 *   orders(id, parent_id, oco_id, sym, side, type, tif, role, status, qty,
 *          filled_qty, avg_fill_price, limit_price, stop_price,
 *          trail_amount, trail_percent, commission, created, updated,
 *          reject_code, reject_reason, strategy, seq)   current state
 *   fills(seq, order_id, time, sym, side, role, qty, price, commission)
 *   positions(sym, qty, avg_price, cost, realized_pnl, commission,
 *             last_price, market_value, unrealized_pnl, updated, seq)
 *   portfolio(time, equity, cash, exposure, seq)  one row per EQUITY event
 *   risk_events(seq, time, kind, message)         ALERT events
 *   audit_log(id, seq, time, order_id, action, who, before_status,
 *             after_status, before_filled, after_filled)
 *   sessions(seq, time, config, strategy, nsyms)
 *   control(seq, time, kind, who)                 CONTROL events
 *
 * Conventions:
 *   - Money, prices and quantities are INTEGER fixed-point: the raw tr_fx,
 *     value x 10^8 (meta money_scale = 100000000). Exact, summable in SQL,
 *     compact; format them with tr_fx_format (or divide by 1e8 for a
 *     glance: that is a float, never for money).
 *   - Times are INTEGER nanoseconds since 1970 UTC (`time`, `created`,
 *     `updated`: the ones to index and compare), each followed by a TEXT
 *     copy `*_iso` for people, as tr_time_format writes it
 *     ("2024-01-02T09:30:00Z", with the fraction when there is one), except
 *     in bars, the bulk table, which stays lean.
 *   - Enumerations are lower-case text as in the API: side buy|sell, status
 *     new|accepted|partially_filled|filled|canceled|rejected|expired|
 *     replaced, role entry|exit|stop_loss|take_profit, risk_reason ok|
 *     max_position|..., risk event kind daily_loss|drawdown|kill_switch|
 *     resumed, control kind halt|resume.
 *   - positions follow the portfolio's accounting (port/portfolio.h, the
 *     same code): signed qty, cost = signed notional of the open quantity,
 *     reduced in proportion when reducing, realized_pnl before commissions
 *     (commission is what the symbol paid in total), avg_price = cost / qty;
 *     last_price is the last bar's close, market_value = qty x last_price,
 *     unrealized_pnl = market_value - cost.
 *   - audit_log: one row per ORDER event (each is a status change or more
 *     of a partial fill), action = the new status (accepted, filled, ...),
 *     plus a `submitted` row (before NULL, after `new`) at an order's first
 *     event; who = the order's strategy.
 *   - A VOID record removes the bars of the torn step it voids.
 *   - Records of types this build does not know are skipped (counted).
 *
 * Threads: a tr_proj handle belongs to one thread. The follower runs its
 * own handle on its own thread; any number of processes may project into
 * or read the same file (SQLite WAL mode, busy timeouts). */
#ifndef TR_PROJECTION_H
#define TR_PROJECTION_H

#include <stddef.h>
#include <stdint.h>

#define TR_PROJ_SCHEMA_VERSION 3

typedef struct tr_proj tr_proj;

typedef struct tr_proj_opts {
    /* A private file being built from scratch (rebuild): no rollback
     * journal, no fsync, exclusive lock. A crash, or a tr_proj_catch_up
     * that fails with TR_ERR_IO or TR_ERR_NOMEM, leaves an unusable file
     * (nothing can be rolled back): throw it away (rebuild does). 0 for a
     * shared database (WAL, synchronous=NORMAL, every batch atomic). */
    int bulk;
    int busy_timeout_ms; /* wait for a lock up to this; 0 = 5000 */
    size_t batch;        /* records per transaction; 0 = 10000 */
} tr_proj_opts;

typedef struct tr_proj_counts {
    uint64_t records; /* journal records applied */
    uint64_t rows;    /* rows inserted, updated or deleted */
    uint64_t batches; /* transactions committed */
    uint64_t skipped; /* records of unknown types */
} tr_proj_counts;

/* Open (creating the file and its folder if needed) the database at
 * db_path for projecting journal_dir (which need not exist yet), and bring
 * its schema up to date. opts may be NULL. TR_ERR_IO (cannot open, create
 * or write; a locked database past the busy timeout; message in err),
 * TR_ERR_DATA (not a trader database, or a schema newer than this build),
 * TR_ERR_NOMEM. On success free with tr_proj_close. */
int tr_proj_open(const char *db_path, const char *journal_dir,
                 const tr_proj_opts *opts, tr_proj **out /* OUT */,
                 char *err, size_t errlen);

/* Close the database (NULL is a no-op). Nothing is pending between calls:
 * every batch is committed or rolled back before a call returns. */
void tr_proj_close(tr_proj *p);

/* The last journal record applied (as of the last batch). */
uint64_t tr_proj_last_seq(const tr_proj *p);

/* One pass: apply the journal's records after the last one applied, in
 * batches, until its current end or until max_records (0 = no limit) have
 * been applied. *at_end (may be NULL) is set to 1 when the pass reached
 * the journal's end. *counts (may be NULL) is increased.
 * Returns TR_OK (also when there is no journal yet: nothing to do),
 * TR_ERR_IO (SQLite refused: locked past the busy timeout, disk full,
 * unwritable; the failed batch is rolled back, earlier ones stay),
 * TR_ERR_DATA (a damaged journal record, which may be a record being
 * written right now; a payload that does not decode; or a journal that is
 * not the one the database was built from: the records before stay
 * applied), TR_ERR_RANGE (a position overflowed), TR_ERR_NOMEM. */
int tr_proj_catch_up(tr_proj *p, uint64_t max_records, int *at_end,
                     tr_proj_counts *counts, char *err, size_t errlen);

/* 1 when the last error came from SQLite reporting a lock (SQLITE_BUSY or
 * SQLITE_LOCKED), else 0. */
int tr_proj_was_busy(const tr_proj *p);

/* Bring db_path's schema to version target (0 = the latest), creating the
 * file when missing. *from and *to (may be NULL) get the versions before
 * and after. Errors as tr_proj_open; TR_ERR_INVALID when target is above
 * the latest or below the current version (there are no down-migrations). */
int tr_proj_migrate(const char *db_path, int target, int *from, int *to,
                    char *err, size_t errlen);

/* Build db_path anew from the whole journal: projected into "DB.tmp"
 * first (bulk mode), then installed atomically: renamed into place when
 * db_path does not exist, otherwise copied over it in one write transaction
 * with SQLite's backup API, so that readers and a running follower (inside
 * `trader run`) see either the old or the new database, never a mix, and
 * the follower goes on from the rebuilt position. (Renaming over a
 * database that another connection has open in WAL mode would corrupt it:
 * its -wal and -shm files go by name.) TR_ERR_NOT_FOUND when there is no
 * journal; TR_ERR_DATA when the journal is damaged: the records before the
 * damage are installed all the same and err says where it stopped;
 * otherwise as tr_proj_catch_up. */
int tr_proj_rebuild(const char *journal_dir, const char *db_path,
                    tr_proj_counts *counts, char *err, size_t errlen);

/* ---- the follower ----------------------------------------------------------
 *
 * A thread that keeps db_path projected from journal_dir: it polls the
 * journal folder every 50 ms (a cheap look at the newest segment's size and
 * time; the journal is read only when it changed) and applies what is new.
 * The engine never waits for it. When the database is locked, unwritable
 * or refuses a write, the follower logs it once, retries with a backoff
 * (50 ms doubling to 2 s) and catches up from the journal when it can,
 * logging the recovery. When the database file is removed or replaced, it
 * closes it, recreates it and rebuilds it from the start of the journal.
 * A journal that the database was not built from (a new journal in the
 * same folder) makes it empty the database and project the new one. A
 * damaged journal record stops it there (logged once when it lasts).
 *
 * Threads: start and stop from one thread (the owner, e.g. `trader run`'s
 * main thread); tr_proj_follow_last_seq from any. The thread blocks all
 * signals, so SIGINT/SIGTERM reach the engine's thread. */
typedef struct tr_proj_follower tr_proj_follower;

/* Start a thread that keeps db_path projected from journal_dir until
 * stopped. The database is opened by the thread (a failure there is logged
 * and retried, not returned). TR_ERR_NOMEM, or TR_ERR_IO when the thread
 * cannot be started (message in err). */
int tr_proj_follow_start(const char *journal_dir, const char *db_path,
                         tr_proj_follower **out /* OUT */, char *err,
                         size_t errlen);

/* Catch up to the journal's end (waiting up to 10 s), then stop the thread
 * and close. Returns TR_OK, or the last error when the end was not reached
 * (for instance the database stayed locked). NULL is a no-op. */
int tr_proj_follow_stop(tr_proj_follower *f);

/* The last record the follower has committed (any thread). */
uint64_t tr_proj_follow_last_seq(tr_proj_follower *f);

#endif
