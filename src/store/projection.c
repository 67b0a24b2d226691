/* projection.c: the SQLite projection of the event journal (see
 * projection.h).
 *
 * Design. A tr_proj owns one connection and its prepared statements. A
 * pass (tr_proj_catch_up) opens a fresh journal reader (a reader holds a
 * segment's bytes as they were when it was loaded, so new records need a
 * new reader) and applies records in batches, each one transaction:
 *
 *   BEGIN IMMEDIATE; read meta.last_seq L (the truth: another process may
 *   have moved it); position the reader after L, checking that the journal
 *   still holds the record L the database ended at (seq, time, type and a
 *   CRC32C of the payload); apply up to `batch` records; re-mark positions
 *   touched by bars; write meta (last_seq, last_crc, ...); COMMIT.
 *
 * A record either is applied with its batch or not at all. Errors found
 * before a record writes anything (a damaged journal record, a payload
 * that does not decode, an overflow) commit the records before it and
 * report; an SQLite error rolls the whole batch back. What the projector
 * remembers between records of a batch (the last close per symbol) is
 * forgotten at every batch start, so it never outlives a rollback or a
 * database changed by someone else.
 *
 * The follower is a thread running passes when the journal (or the
 * database, PRAGMA data_version) changed, with a backoff after errors and
 * a reopen when the file was removed or replaced (SQLITE_FCNTL_HAS_MOVED).
 * A pass resumes reading where the last one stopped (tr_reader_open_at),
 * so it reads only new records; the poll interval still stretches to twice
 * the last pass's duration when passes are long. */
#include "store/projection.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/files.h"
#include "core/log.h"
#include "core/time.h"
#include "port/portfolio.h"
#include "store/event.h"
#include "store/journal.h"

#define DEFAULT_BATCH 10000
#define DEFAULT_BUSY_MS 5000
#define MAX_SYM_ID 1000000u /* a symbol id past this is damage, not data */

/* ---- schema ----------------------------------------------------------------
 *
 * Migration k brings user_version k-1 to k. Never edit a released one:
 * add the next. */

/* A readable copy of an integer ns time column, written with it
 * (tr_time_format: "2024-01-02T09:30:00Z", with the fraction when there
 * is one). Not generated columns: SQLite computes those on every insert,
 * at a third of the bulk speed. */
#define ISO(col) col "_iso TEXT NOT NULL"

static const char mig1[] =
    /* v1: the tables. */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES"
    " ('created', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " ('money_scale', 100000000);"
    "CREATE TABLE symbols (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE TABLE bars (sym INTEGER NOT NULL, time INTEGER NOT NULL,"
    " o INTEGER NOT NULL, h INTEGER NOT NULL, l INTEGER NOT NULL,"
    " c INTEGER NOT NULL, v INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " PRIMARY KEY (sym, time)) WITHOUT ROWID;" /* no time_iso: the bulk
                                                  * table stays lean */
    "CREATE TABLE signals (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, "
    ISO("time") ", sym INTEGER NOT NULL, action TEXT NOT NULL,"
    " target INTEGER NOT NULL, confidence REAL NOT NULL, qty INTEGER,"
    " stop INTEGER,"
    " take_profit INTEGER, votes_bull INTEGER NOT NULL,"
    " votes_bear INTEGER NOT NULL, strategy TEXT NOT NULL,"
    " risk_reason TEXT NOT NULL, detail TEXT NOT NULL,"
    " reasons TEXT NOT NULL);"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, parent_id INTEGER,"
    " oco_id INTEGER, sym INTEGER NOT NULL, side TEXT NOT NULL,"
    " type TEXT NOT NULL, tif TEXT NOT NULL, role TEXT NOT NULL,"
    " status TEXT NOT NULL, qty INTEGER NOT NULL,"
    " filled_qty INTEGER NOT NULL, avg_fill_price INTEGER,"
    " limit_price INTEGER, stop_price INTEGER, trail_amount INTEGER,"
    " trail_percent INTEGER, commission INTEGER NOT NULL,"
    " created INTEGER NOT NULL, " ISO("created") ","
    " updated INTEGER NOT NULL, " ISO("updated") ","
    " reject_code INTEGER NOT NULL, reject_reason TEXT,"
    " strategy TEXT NOT NULL, seq INTEGER NOT NULL);"
    "CREATE TABLE fills (seq INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,"
    " time INTEGER NOT NULL, " ISO("time") ", sym INTEGER NOT NULL,"
    " side TEXT NOT NULL, role TEXT NOT NULL, qty INTEGER NOT NULL,"
    " price INTEGER NOT NULL, commission INTEGER NOT NULL);"
    "CREATE TABLE positions (sym INTEGER PRIMARY KEY, qty INTEGER NOT NULL,"
    " avg_price INTEGER NOT NULL, cost INTEGER NOT NULL,"
    " realized_pnl INTEGER NOT NULL, commission INTEGER NOT NULL,"
    " last_price INTEGER NOT NULL, market_value INTEGER NOT NULL,"
    " unrealized_pnl INTEGER NOT NULL, updated INTEGER NOT NULL, "
    ISO("updated") ", seq INTEGER NOT NULL);"
    "CREATE TABLE portfolio (time INTEGER PRIMARY KEY, " ISO("time") ","
    " equity INTEGER NOT NULL, cash INTEGER NOT NULL,"
    " exposure INTEGER NOT NULL, seq INTEGER NOT NULL);"
    "CREATE TABLE risk_events (seq INTEGER PRIMARY KEY,"
    " time INTEGER NOT NULL, " ISO("time") ", kind TEXT NOT NULL,"
    " message TEXT NOT NULL);"
    "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,"
    " time INTEGER NOT NULL, " ISO("time") ", order_id INTEGER NOT NULL,"
    " action TEXT NOT NULL, who TEXT NOT NULL, before_status TEXT,"
    " after_status TEXT NOT NULL, before_filled INTEGER,"
    " after_filled INTEGER NOT NULL);"
    "CREATE TABLE sessions (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, "
    ISO("time") ", config TEXT NOT NULL, strategy TEXT NOT NULL,"
    " nsyms INTEGER NOT NULL);"
    "CREATE TABLE control (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, "
    ISO("time") ", kind TEXT NOT NULL, who TEXT NOT NULL);";

static const char mig2[] =
    /* v2: the indexes behind the API's queries (bars(sym, time) and
     * portfolio(time) are primary keys already). */
    "CREATE INDEX orders_status ON orders(status);"
    "CREATE INDEX orders_sym ON orders(sym);"
    "CREATE INDEX fills_sym_time ON fills(sym, time);"
    "CREATE INDEX fills_order ON fills(order_id);"
    "CREATE INDEX signals_time ON signals(time);"
    "CREATE INDEX audit_log_order ON audit_log(order_id);"
    "CREATE INDEX risk_events_time ON risk_events(time);";

static const char mig3[] =
    /* v3: GET /api/v1/signals?symbol=S reads a symbol's newest first. */
    "CREATE INDEX signals_sym ON signals(sym, seq);";

static const char *const migrations[TR_PROJ_SCHEMA_VERSION] = {mig1, mig2,
                                                               mig3};

/* The data tables, emptied when the database must be projected anew. */
static const char reset_sql[] =
    "DELETE FROM symbols; DELETE FROM bars; DELETE FROM signals;"
    "DELETE FROM orders; DELETE FROM fills; DELETE FROM positions;"
    "DELETE FROM portfolio; DELETE FROM risk_events; DELETE FROM audit_log;"
    "DELETE FROM sessions; DELETE FROM control;"
    "DELETE FROM meta WHERE key NOT IN ('created', 'money_scale');";

/* ---- prepared statements ------------------------------------------------- */

enum {
    S_BEGIN, S_COMMIT, S_ROLLBACK, S_META_GET, S_META_SET, S_DATA_VERSION,
    S_SYMBOL, S_SESSION, S_BAR, S_VOID, S_LAST_CLOSE, S_SIGNAL, S_ORDER_GET,
    S_ORDER, S_AUDIT, S_FILL, S_POS_GET, S_POS, S_POS_MARK, S_POS_SYMS,
    S_EQUITY, S_ALERT, S_CONTROL, S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_META_GET] = "SELECT value FROM meta WHERE key = ?",
    [S_META_SET] = "INSERT INTO meta(key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [S_DATA_VERSION] = "PRAGMA data_version",
    [S_SYMBOL] = "INSERT INTO symbols(id, name) VALUES (?, ?) "
                 "ON CONFLICT(id) DO UPDATE SET name = excluded.name",
    [S_SESSION] = "INSERT INTO sessions(seq, time, time_iso, config, "
                  "strategy, nsyms) VALUES (?, ?, ?, ?, ?, ?)",
    [S_BAR] = "INSERT INTO bars(sym, time, o, h, l, c, v, seq) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sym, time) DO "
              "UPDATE SET o = excluded.o, h = excluded.h, l = excluded.l, "
              "c = excluded.c, v = excluded.v, seq = excluded.seq",
    [S_VOID] = "DELETE FROM bars WHERE time = ? AND seq < ?",
    [S_LAST_CLOSE] = "SELECT c, time FROM bars WHERE sym = ? "
                     "ORDER BY time DESC LIMIT 1",
    [S_SIGNAL] = "INSERT INTO signals(seq, time, time_iso, sym, action, "
                 "target, confidence, qty, stop, take_profit, votes_bull, "
                 "votes_bear, strategy, risk_reason, detail, reasons) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_ORDER_GET] = "SELECT status, filled_qty FROM orders WHERE id = ?",
    [S_ORDER] = "INSERT INTO orders(id, parent_id, oco_id, sym, side, type, "
                "tif, role, status, qty, filled_qty, avg_fill_price, "
                "limit_price, stop_price, trail_amount, trail_percent, "
                "commission, created, created_iso, updated, updated_iso, "
                "reject_code, reject_reason, strategy, seq) VALUES (?, ?, ?, "
                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?) ON CONFLICT(id) DO UPDATE "
                "SET parent_id = excluded.parent_id, "
                "oco_id = excluded.oco_id, sym = excluded.sym, "
                "side = excluded.side, type = excluded.type, "
                "tif = excluded.tif, role = excluded.role, "
                "status = excluded.status, qty = excluded.qty, "
                "filled_qty = excluded.filled_qty, "
                "avg_fill_price = excluded.avg_fill_price, "
                "limit_price = excluded.limit_price, "
                "stop_price = excluded.stop_price, "
                "trail_amount = excluded.trail_amount, "
                "trail_percent = excluded.trail_percent, "
                "commission = excluded.commission, "
                "created = excluded.created, "
                "created_iso = excluded.created_iso, "
                "updated = excluded.updated, "
                "updated_iso = excluded.updated_iso, "
                "reject_code = excluded.reject_code, "
                "reject_reason = excluded.reject_reason, "
                "strategy = excluded.strategy, seq = excluded.seq",
    [S_AUDIT] = "INSERT INTO audit_log(seq, time, time_iso, order_id, "
                "action, who, before_status, after_status, before_filled, "
                "after_filled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_FILL] = "INSERT INTO fills(seq, order_id, time, time_iso, sym, side, "
               "role, qty, price, commission) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_POS_GET] = "SELECT qty, cost, realized_pnl, commission, market_value "
                  "FROM positions WHERE sym = ?",
    [S_POS] = "INSERT INTO positions(sym, qty, avg_price, cost, realized_pnl, "
              "commission, last_price, market_value, unrealized_pnl, updated, "
              "updated_iso, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
              "ON CONFLICT(sym) DO UPDATE SET qty = excluded.qty, "
              "avg_price = excluded.avg_price, cost = excluded.cost, "
              "realized_pnl = excluded.realized_pnl, "
              "commission = excluded.commission, "
              "last_price = excluded.last_price, "
              "market_value = excluded.market_value, "
              "unrealized_pnl = excluded.unrealized_pnl, "
              "updated = excluded.updated, "
              "updated_iso = excluded.updated_iso, seq = excluded.seq",
    [S_POS_MARK] = "UPDATE positions SET last_price = ?1, market_value = ?2, "
                   "unrealized_pnl = ?3, updated = ?4, updated_iso = ?5 "
                   "WHERE sym = ?6 AND (last_price != ?1 OR updated != ?4)",
    [S_POS_SYMS] = "SELECT sym FROM positions",
    [S_EQUITY] = "INSERT INTO portfolio(time, time_iso, equity, cash, "
                 "exposure, seq) VALUES (?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT(time) DO UPDATE SET "
                 "equity = excluded.equity, cash = excluded.cash, "
                 "exposure = excluded.exposure, seq = excluded.seq",
    [S_ALERT] = "INSERT INTO risk_events(seq, time, time_iso, kind, "
                "message) VALUES (?, ?, ?, ?, ?)",
    [S_CONTROL] = "INSERT INTO control(seq, time, time_iso, kind, who) "
                  "VALUES (?, ?, ?, ?, ?)",
};

/* ---- the handle ---------------------------------------------------------- */

typedef struct mark {
    tr_fx close;   /* the last bar's close */
    tr_time time;  /* its time */
    uint8_t known; /* close is known in this batch */
    uint8_t dirty; /* positions of this symbol need re-marking */
} mark;

struct tr_proj {
    sqlite3 *db;
    char *db_path, *journal_dir;
    tr_proj_opts o;
    sqlite3_stmt *st[S_COUNT];
    /* As of the last committed batch (re-read at every batch start). */
    uint64_t last_seq;
    uint32_t last_crc;
    /* Where record last_seq sits in the journal (tr_reader_tell), so the
     * next pass reads on from there instead of from the segment's start;
     * hint_seq == 0: not known. */
    uint64_t hint_seg, hint_off, hint_seq;
    /* The batch being applied. */
    uint64_t b_seq;       /* last record applied in it */
    uint32_t b_crc;
    uint16_t b_type;
    tr_time b_time, b_market_time;
    int b_has_market;
    uint64_t rows;        /* rows changed, running total */
    mark *marks;          /* marks[sym] */
    size_t nmarks;
    tr_sym *dirty;
    size_t ndirty, dirty_cap;
    int busy;             /* the last error was SQLITE_BUSY / LOCKED */
    int mismatch;         /* the journal is not the database's */
    int64_t data_version; /* PRAGMA data_version at the last look */
    char msg[4800];
};

static int is_busy(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

/* Record an SQLite failure in p->msg: "DB: what: reason". TR_ERR_IO. */
static int sql_fail(tr_proj *p, int rc, const char *what)
{
    p->busy = is_busy(rc);
    snprintf(p->msg, sizeof p->msg, "%s: %s: %s", p->db_path, what,
             p->db ? sqlite3_errmsg(p->db) : sqlite3_errstr(rc));
    return rc == SQLITE_NOMEM ? TR_ERR_NOMEM : TR_ERR_IO;
}

static int wall_ms_sleep(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    return nanosleep(&ts, NULL);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Binding parameters in order, remembering the first failure. */
typedef struct bnd {
    tr_proj *p;
    sqlite3_stmt *s;
    int i, rc;
} bnd;

static bnd bind_start(tr_proj *p, int id)
{
    bnd b = {p, p->st[id], 0, SQLITE_OK};
    return b;
}

static void b_int(bnd *b, int64_t v)
{
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_int64(b->s, ++b->i, v);
}

static void b_null(bnd *b)
{
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_null(b->s, ++b->i);
}

/* NULL for 0: "none" (no limit price, no parent, ...). */
static void b_opt(bnd *b, int64_t v)
{
    if (v)
        b_int(b, v);
    else
        b_null(b);
}

static void b_text(bnd *b, const char *v)
{
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_text(b->s, ++b->i, v, -1, SQLITE_TRANSIENT);
}

/* A time: the integer, then its ISO text (two parameters). */
static void b_time(bnd *b, tr_time t)
{
    char iso[TR_TIME_STRLEN];
    tr_time_format(t, iso, sizeof iso);
    b_int(b, t);
    b_text(b, iso);
}

static void b_real(bnd *b, double v)
{
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_double(b->s, ++b->i, v);
}

/* Run a statement that returns no row. */
static int b_exec(bnd *b, const char *what)
{
    tr_proj *p = b->p;
    int rc = b->rc == SQLITE_OK ? sqlite3_step(b->s) : b->rc;
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_ROW)
            rc = SQLITE_MISUSE;
        int e = sql_fail(p, rc, what);
        (void)sqlite3_reset(b->s); /* returns the same error */
        return e;
    }
    rc = sqlite3_reset(b->s);
    if (rc != SQLITE_OK)
        return sql_fail(p, rc, what);
    p->rows += (uint64_t)sqlite3_changes(p->db);
    return TR_OK;
}

/* Run a query for at most one row: *found = 1 with the row readable from
 * b->s until b_done, or 0. */
static int b_row(bnd *b, int *found, const char *what)
{
    int rc = b->rc == SQLITE_OK ? sqlite3_step(b->s) : b->rc;
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return TR_OK;
    int e = sql_fail(b->p, rc, what);
    (void)sqlite3_reset(b->s);
    return e;
}

static int b_done(bnd *b, const char *what)
{
    int rc = sqlite3_reset(b->s);
    return rc == SQLITE_OK ? TR_OK : sql_fail(b->p, rc, what);
}

/* Run SQL text (several statements) on db. */
static int exec_sql(sqlite3 *db, const char *sql, const char *path,
                    const char *what, char *msg, size_t msglen, int *src)
{
    char *em = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &em);
    if (src)
        *src = rc;
    if (rc == SQLITE_OK)
        return TR_OK;
    snprintf(msg, msglen, "%s: %s: %s", path, what,
             em ? em : sqlite3_errstr(rc));
    sqlite3_free(em);
    return rc == SQLITE_NOMEM ? TR_ERR_NOMEM : TR_ERR_IO;
}

/* One integer from a one-row query (PRAGMA user_version, COUNT(*)). */
static int query_int(sqlite3 *db, const char *sql, int64_t *out,
                     const char *path, char *msg, size_t msglen, int *src)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(s, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            *out = 0;
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        snprintf(msg, msglen, "%s: %s: %s", path, sql, sqlite3_errmsg(db));
    int frc = sqlite3_finalize(s);
    if (rc == SQLITE_OK && frc != SQLITE_OK) {
        rc = frc;
        snprintf(msg, msglen, "%s: %s: %s", path, sql, sqlite3_errstr(frc));
    }
    if (src)
        *src = rc;
    return rc == SQLITE_OK ? TR_OK : rc == SQLITE_NOMEM ? TR_ERR_NOMEM
                                                        : TR_ERR_IO;
}

/* ---- opening, migrations ------------------------------------------------- */

/* Create the folder that will hold path. */
static int make_parent(const char *path, char *msg, size_t msglen)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return TR_OK;
    size_t n = (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir)
        return TR_ERR_NOMEM;
    memcpy(dir, path, n);
    dir[n] = '\0';
    int rc = tr_mkdir_p(dir);
    if (rc != 0)
        snprintf(msg, msglen, "%s: cannot create the folder: %s", dir,
                 strerror(errno));
    free(dir);
    return rc == 0 ? TR_OK : TR_ERR_IO;
}

static int open_db(const char *path, int create, sqlite3 **out, char *msg,
                   size_t msglen, int *src)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (src)
        *src = rc;
    if (rc != SQLITE_OK) {
        snprintf(msg, msglen, "%s: cannot open: %s", path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        (void)sqlite3_close(db); /* a handle comes back even on failure */
        return rc == SQLITE_NOMEM ? TR_ERR_NOMEM : TR_ERR_IO;
    }
    *out = db;
    return TR_OK;
}

/* Bring db to version target (1..latest), one transaction a migration.
 * The version is read inside each transaction, so two processes migrating
 * at once apply each migration once. */
static int migrate_db(sqlite3 *db, const char *path, int target, int *from,
                      int *to, char *msg, size_t msglen, int *src)
{
    int64_t v = 0, ntables = 0;
    int rc = query_int(db, "PRAGMA user_version", &v, path, msg, msglen, src);
    if (rc != TR_OK)
        return rc;
    if (from)
        *from = (int)v;
    if (v == 0) {
        rc = query_int(db, "SELECT COUNT(*) FROM sqlite_master", &ntables,
                       path, msg, msglen, src);
        if (rc != TR_OK)
            return rc;
        if (ntables > 0) {
            snprintf(msg, msglen, "%s: not a trader database (it has tables "
                     "but no trader schema version)", path);
            return TR_ERR_DATA;
        }
    }
    if (v > TR_PROJ_SCHEMA_VERSION) {
        snprintf(msg, msglen, "%s: schema version %" PRId64 " is newer than "
                 "this build's (%d): use a newer trader, or `trader db "
                 "rebuild` it", path, v, TR_PROJ_SCHEMA_VERSION);
        return TR_ERR_DATA;
    }
    if (target < v) {
        snprintf(msg, msglen, "%s: schema version %" PRId64 " is past the "
                 "requested %d (there are no down-migrations)", path, v,
                 target);
        return TR_ERR_INVALID;
    }
    while (v < target) {
        rc = exec_sql(db, "BEGIN IMMEDIATE", path, "begin migration", msg,
                      msglen, src);
        if (rc != TR_OK)
            return rc;
        rc = query_int(db, "PRAGMA user_version", &v, path, msg, msglen, src);
        if (rc == TR_OK && v < target) {
            char what[64], set[64];
            snprintf(what, sizeof what, "migration %" PRId64, v + 1);
            snprintf(set, sizeof set, "PRAGMA user_version = %" PRId64, v + 1);
            rc = exec_sql(db, migrations[v], path, what, msg, msglen, src);
            if (rc == TR_OK)
                rc = exec_sql(db, set, path, what, msg, msglen, src);
            if (rc == TR_OK)
                v++;
        }
        if (rc == TR_OK)
            rc = exec_sql(db, "COMMIT", path, "commit migration", msg, msglen,
                          src);
        if (rc != TR_OK) {
            if (!sqlite3_get_autocommit(db)) {
                char ignored[256];
                (void)exec_sql(db, "ROLLBACK", path, "rollback", ignored,
                               sizeof ignored, NULL);
            }
            return rc;
        }
    }
    if (to)
        *to = (int)v;
    return TR_OK;
}

static int setup_pragmas(sqlite3 *db, const char *path, const tr_proj_opts *o,
                         char *msg, size_t msglen, int *src)
{
    int rc = sqlite3_busy_timeout(db, o->busy_timeout_ms);
    if (rc != SQLITE_OK) {
        if (src)
            *src = rc;
        snprintf(msg, msglen, "%s: busy timeout: %s", path,
                 sqlite3_errmsg(db));
        return TR_ERR_IO;
    }
    if (o->bulk)
        /* A private file built once: a crash just means building it again,
         * so no fsync and no rollback journal (which would copy every page
         * it touches: it costs 40% of the bulk speed). Without a journal a
         * ROLLBACK cannot undo writes: a batch that fails after writing
         * (TR_ERR_IO, TR_ERR_NOMEM) leaves the file unusable, and
         * tr_proj_rebuild then deletes it. Records refused before they
         * write anything (TR_ERR_DATA) commit the batch instead. */
        return exec_sql(db, "PRAGMA locking_mode = EXCLUSIVE;"
                            "PRAGMA journal_mode = OFF;"
                            "PRAGMA synchronous = OFF;"
                            "PRAGMA cache_size = -65536;"
                            "PRAGMA temp_store = MEMORY;",
                        path, "setting up", msg, msglen, src);
    /* Shared: WAL lets readers (trader status, the API) read while the
     * follower writes; NORMAL syncs at checkpoints, which loses at most the
     * last batches on a power cut, and those are re-projected from the
     * journal. */
    sqlite3_stmt *s = NULL;
    rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(s, 0);
        if (!mode || strcmp((const char *)mode, "wal") != 0)
            /* a file system without shared memory: it still works, but
             * readers and the writer wait for each other */
            tr_log(TR_LOG_WARN, "projection", "%s: journal mode %s, not "
                   "wal", path, mode ? (const char *)mode : "?");
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        snprintf(msg, msglen, "%s: journal_mode: %s", path,
                 sqlite3_errmsg(db));
    int frc = sqlite3_finalize(s);
    if (rc == SQLITE_OK && frc != SQLITE_OK) {
        rc = frc;
        snprintf(msg, msglen, "%s: journal_mode: %s", path,
                 sqlite3_errstr(frc));
    }
    if (src)
        *src = rc;
    rc = rc == SQLITE_OK      ? TR_OK
         : rc == SQLITE_NOMEM ? TR_ERR_NOMEM
                              : TR_ERR_IO;
    if (rc == TR_OK)
        rc = exec_sql(db, "PRAGMA synchronous = NORMAL;", path, "setting up",
                      msg, msglen, src);
    return rc;
}

int tr_proj_migrate(const char *db_path, int target, int *from, int *to,
                    char *err, size_t errlen)
{
    if (target == 0)
        target = TR_PROJ_SCHEMA_VERSION;
    if (target < 0 || target > TR_PROJ_SCHEMA_VERSION) {
        snprintf(err, errlen, "schema version %d does not exist (1..%d)",
                 target, TR_PROJ_SCHEMA_VERSION);
        return TR_ERR_INVALID;
    }
    int rc = make_parent(db_path, err, errlen);
    if (rc != TR_OK)
        return rc;
    sqlite3 *db = NULL;
    rc = open_db(db_path, 1, &db, err, errlen, NULL);
    if (rc != TR_OK)
        return rc;
    tr_proj_opts o = {0, DEFAULT_BUSY_MS, DEFAULT_BATCH};
    rc = setup_pragmas(db, db_path, &o, err, errlen, NULL);
    if (rc == TR_OK)
        rc = migrate_db(db, db_path, target, from, to, err, errlen, NULL);
    int crc = sqlite3_close(db);
    if (rc == TR_OK && crc != SQLITE_OK) {
        snprintf(err, errlen, "%s: close: %s", db_path, sqlite3_errstr(crc));
        rc = TR_ERR_IO;
    }
    return rc;
}

void tr_proj_close(tr_proj *p)
{
    if (!p)
        return;
    for (int i = 0; i < S_COUNT; i++)
        (void)sqlite3_finalize(p->st[i]); /* errors were reported by steps */
    if (p->db && sqlite3_close(p->db) != SQLITE_OK)
        tr_log(TR_LOG_WARN, "projection", "%s: close: %s", p->db_path,
               sqlite3_errmsg(p->db));
    free(p->db_path);
    free(p->journal_dir);
    free(p->marks);
    free(p->dirty);
    free(p);
}

int tr_proj_open(const char *db_path, const char *journal_dir,
                 const tr_proj_opts *opts, tr_proj **out, char *err,
                 size_t errlen)
{
    tr_proj *p = calloc(1, sizeof *p);
    if (!p)
        return TR_ERR_NOMEM;
    if (opts)
        p->o = *opts;
    if (!p->o.batch)
        p->o.batch = DEFAULT_BATCH;
    if (p->o.busy_timeout_ms <= 0)
        p->o.busy_timeout_ms = DEFAULT_BUSY_MS;
    p->db_path = strdup(db_path);
    p->journal_dir = strdup(journal_dir);
    int rc = TR_ERR_NOMEM, src = SQLITE_OK;
    if (!p->db_path || !p->journal_dir)
        goto fail;
    rc = make_parent(db_path, p->msg, sizeof p->msg);
    if (rc == TR_OK)
        rc = open_db(db_path, 1, &p->db, p->msg, sizeof p->msg, &src);
    if (rc == TR_OK)
        rc = setup_pragmas(p->db, db_path, &p->o, p->msg, sizeof p->msg,
                           &src);
    if (rc == TR_OK)
        rc = migrate_db(p->db, db_path, TR_PROJ_SCHEMA_VERSION, NULL, NULL,
                        p->msg, sizeof p->msg, &src);
    for (int i = 0; rc == TR_OK && i < S_COUNT; i++) {
        src = sqlite3_prepare_v3(p->db, stmt_sql[i], -1,
                                 SQLITE_PREPARE_PERSISTENT, &p->st[i], NULL);
        if (src != SQLITE_OK)
            rc = sql_fail(p, src, stmt_sql[i]);
    }
    if (rc != TR_OK)
        goto fail;
    p->data_version = -1;
    *out = p;
    return TR_OK;
fail:
    p->busy = is_busy(src);
    snprintf(err, errlen, "%s", p->msg[0] ? p->msg : tr_strerror(rc));
    tr_proj_close(p);
    return rc;
}

uint64_t tr_proj_last_seq(const tr_proj *p)
{
    return p->last_seq;
}

int tr_proj_was_busy(const tr_proj *p)
{
    return p->busy;
}

/* ---- meta ---------------------------------------------------------------- */

static int meta_get_int(tr_proj *p, const char *key, int64_t *v)
{
    bnd b = bind_start(p, S_META_GET);
    b_text(&b, key);
    int found, rc = b_row(&b, &found, "reading meta");
    if (rc != TR_OK)
        return rc;
    *v = found ? sqlite3_column_int64(b.s, 0) : 0;
    return b_done(&b, "reading meta");
}

static int meta_set_int(tr_proj *p, const char *key, int64_t v)
{
    bnd b = bind_start(p, S_META_SET);
    b_text(&b, key);
    b_int(&b, v);
    return b_exec(&b, "writing meta");
}

static int meta_set_text(tr_proj *p, const char *key, const char *v)
{
    bnd b = bind_start(p, S_META_SET);
    b_text(&b, key);
    b_text(&b, v);
    return b_exec(&b, "writing meta");
}

/* ---- the journal folder -------------------------------------------------- */

/* A cheap fingerprint of the journal: its newest segment, size and time. */
typedef struct jstate {
    int exists;
    uint64_t newest;   /* first seq of the newest segment */
    int64_t size;
    int64_t mtime_ns;
} jstate;

static void journal_state(const char *dir, jstate *js)
{
    memset(js, 0, sizeof *js);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len != 24 || strcmp(e->d_name + 20, ".seg"))
            continue;
        uint64_t v = 0;
        int ok = 1;
        for (int i = 0; i < 20; i++) {
            char c = e->d_name[i];
            if (c < '0' || c > '9')
                ok = 0;
            v = v * 10 + (uint64_t)(c - '0');
        }
        if (ok && (!js->exists || v > js->newest)) {
            js->exists = 1;
            js->newest = v;
        }
    }
    closedir(d);
    if (!js->exists)
        return;
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%020" PRIu64 ".seg", dir, js->newest);
    if (stat(path, &st) == 0) {
        js->size = (int64_t)st.st_size;
        js->mtime_ns = (int64_t)st.st_mtim.tv_sec * TR_NS_PER_SEC +
                       st.st_mtim.tv_nsec;
    }
}

static int jstate_eq(const jstate *a, const jstate *b)
{
    return a->exists == b->exists && a->newest == b->newest &&
           a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* What identifies a record beyond its sequence number. */
static uint32_t record_crc(const tr_record *r)
{
    uint8_t h[20];
    for (int i = 0; i < 8; i++) {
        h[i] = (uint8_t)(r->seq >> (8 * i));
        h[8 + i] = (uint8_t)((uint64_t)r->time >> (8 * i));
    }
    h[16] = (uint8_t)r->type;
    h[17] = (uint8_t)(r->type >> 8);
    h[18] = (uint8_t)r->flags;
    h[19] = (uint8_t)(r->flags >> 8);
    return tr_crc32c(tr_crc32c(0, h, sizeof h), r->payload, r->len);
}

/* ---- applying records ---------------------------------------------------- */

static int bad_record(tr_proj *p, const tr_record *r, const char *why)
{
    snprintf(p->msg, sizeof p->msg, "%s: record %" PRIu64 " (%s): %s",
             p->journal_dir, r->seq, tr_event_type_name(r->type), why);
    return TR_ERR_DATA;
}

/* The mark slot of sym (grown on demand). */
static int mark_slot(tr_proj *p, const tr_record *r, tr_sym sym, mark **out)
{
    if (sym >= MAX_SYM_ID)
        return bad_record(p, r, "symbol id out of range");
    if (sym >= p->nmarks) {
        size_t n = p->nmarks ? p->nmarks : 16;
        while (n <= sym)
            n *= 2;
        mark *m = realloc(p->marks, n * sizeof *m);
        if (!m)
            return TR_ERR_NOMEM;
        memset(m + p->nmarks, 0, (n - p->nmarks) * sizeof *m);
        p->marks = m;
        p->nmarks = n;
    }
    *out = &p->marks[sym];
    return TR_OK;
}

static int mark_dirty(tr_proj *p, tr_sym sym, mark *m)
{
    if (m->dirty)
        return TR_OK;
    if (p->ndirty == p->dirty_cap) {
        size_t cap = p->dirty_cap ? p->dirty_cap * 2 : 64;
        tr_sym *d = realloc(p->dirty, cap * sizeof *d);
        if (!d)
            return TR_ERR_NOMEM;
        p->dirty = d;
        p->dirty_cap = cap;
    }
    p->dirty[p->ndirty++] = sym;
    m->dirty = 1;
    return TR_OK;
}

/* The last close of sym: from this batch's bars, else from the table.
 * *found = 0 when sym has no bar at all. */
static int last_close(tr_proj *p, tr_sym sym, mark *m, int *found)
{
    if (m->known) {
        *found = 1;
        return TR_OK;
    }
    bnd b = bind_start(p, S_LAST_CLOSE);
    b_int(&b, sym);
    int rc = b_row(&b, found, "reading the last bar");
    if (rc != TR_OK)
        return rc;
    if (*found) {
        m->close = sqlite3_column_int64(b.s, 0);
        m->time = sqlite3_column_int64(b.s, 1);
        m->known = 1;
    }
    return b_done(&b, "reading the last bar");
}

static int apply_session(tr_proj *p, const tr_record *r)
{
    tr_ev_session s;
    if (tr_ev_decode_session(r->payload, r->len, &s) != TR_OK)
        return bad_record(p, r, "payload does not decode");
    bnd b = bind_start(p, S_SESSION);
    b_int(&b, (int64_t)r->seq);
    b_time(&b, r->time);
    b_text(&b, s.config);
    b_text(&b, s.strategy);
    b_int(&b, s.nsyms);
    int rc = b_exec(&b, "inserting a session");
    for (uint32_t i = 0; rc == TR_OK && i < s.nsyms && i < 64; i++) {
        b = bind_start(p, S_SYMBOL);
        b_int(&b, i);
        b_text(&b, s.symbols[i]);
        rc = b_exec(&b, "inserting a symbol");
    }
    if (rc == TR_OK)
        rc = meta_set_text(p, "config", s.config);
    if (rc == TR_OK)
        rc = meta_set_text(p, "strategy", s.strategy);
    return rc;
}

static int apply_bar(tr_proj *p, const tr_record *r)
{
    tr_ev_bar e;
    mark *m;
    if (tr_ev_decode_bar(r->payload, r->len, &e) != TR_OK)
        return bad_record(p, r, "payload does not decode");
    int rc = mark_slot(p, r, e.sym, &m);
    if (rc == TR_OK)
        rc = mark_dirty(p, e.sym, m);
    if (rc != TR_OK)
        return rc;
    bnd b = bind_start(p, S_BAR);
    b_int(&b, e.sym);
    b_int(&b, e.bar.time);
    b_int(&b, e.bar.open);
    b_int(&b, e.bar.high);
    b_int(&b, e.bar.low);
    b_int(&b, e.bar.close);
    b_int(&b, e.bar.volume);
    b_int(&b, (int64_t)r->seq);
    rc = b_exec(&b, "inserting a bar");
    if (rc == TR_OK && (!m->known || e.bar.time >= m->time)) {
        m->close = e.bar.close;
        m->time = e.bar.time;
        m->known = 1;
    }
    return rc;
}

/* The bars of a torn step are void: remove them and re-mark positions
 * from the bars that remain. */
static int apply_void(tr_proj *p, const tr_record *r)
{
    bnd b = bind_start(p, S_VOID);
    b_int(&b, r->time);
    b_int(&b, (int64_t)r->seq);
    int rc = b_exec(&b, "removing void bars");
    for (size_t i = 0; i < p->nmarks; i++)
        p->marks[i].known = 0;
    b = bind_start(p, S_POS_SYMS);
    int found = 1;
    while (rc == TR_OK) {
        rc = b_row(&b, &found, "listing positions");
        if (rc != TR_OK || !found)
            break;
        mark *m;
        tr_sym sym = (tr_sym)sqlite3_column_int64(b.s, 0);
        rc = mark_slot(p, r, sym, &m);
        if (rc == TR_OK)
            rc = mark_dirty(p, sym, m);
    }
    int drc = b_done(&b, "listing positions");
    return rc != TR_OK ? rc : drc;
}

static int apply_signal(tr_proj *p, const tr_record *r)
{
    tr_ev_signal e;
    if (tr_ev_decode_signal(r->payload, r->len, &e) != TR_OK)
        return bad_record(p, r, "payload does not decode");
    const tr_signal *s = &e.sig;
    bnd b = bind_start(p, S_SIGNAL);
    b_int(&b, (int64_t)r->seq);
    b_time(&b, s->time);
    b_int(&b, s->sym);
    b_text(&b, tr_action_name(s->action));
    b_int(&b, s->target);
    b_real(&b, s->confidence);
    b_opt(&b, s->qty);
    b_opt(&b, s->stop);
    b_opt(&b, s->take_profit);
    b_int(&b, s->votes_bull);
    b_int(&b, s->votes_bear);
    b_text(&b, s->strategy);
    b_text(&b, tr_risk_reason_name((tr_risk_reason)e.reason));
    b_text(&b, e.detail);
    b_text(&b, s->reasons);
    return b_exec(&b, "inserting a signal");
}

/* One audit_log row. before_status NULL: the order's first appearance. */
static int audit(tr_proj *p, const tr_record *r, tr_time t, const tr_order *o,
                 const char *action, const char *before_status,
                 tr_fx before_filled, const char *after_status,
                 tr_fx after_filled)
{
    bnd b = bind_start(p, S_AUDIT);
    b_int(&b, (int64_t)r->seq);
    b_time(&b, t);
    b_int(&b, (int64_t)o->id);
    b_text(&b, action);
    b_text(&b, o->strategy);
    if (before_status)
        b_text(&b, before_status);
    else
        b_null(&b);
    b_text(&b, after_status);
    if (before_status)
        b_int(&b, before_filled);
    else
        b_null(&b);
    b_int(&b, after_filled);
    return b_exec(&b, "writing the audit log");
}

static int apply_order(tr_proj *p, const tr_record *r)
{
    tr_order o;
    if (tr_ev_decode_order(r->payload, r->len, &o) != TR_OK)
        return bad_record(p, r, "payload does not decode");
    /* The state before this event, for the audit log. */
    char before[24] = "";
    tr_fx before_filled = 0;
    bnd b = bind_start(p, S_ORDER_GET);
    b_int(&b, (int64_t)o.id);
    int found, rc = b_row(&b, &found, "reading an order");
    if (rc != TR_OK)
        return rc;
    if (found) {
        const unsigned char *s = sqlite3_column_text(b.s, 0);
        snprintf(before, sizeof before, "%s", s ? (const char *)s : "");
        before_filled = sqlite3_column_int64(b.s, 1);
    }
    if ((rc = b_done(&b, "reading an order")) != TR_OK)
        return rc;

    const char *status = tr_order_status_name(o.status);
    b = bind_start(p, S_ORDER);
    b_int(&b, (int64_t)o.id);
    b_opt(&b, (int64_t)o.parent_id);
    b_opt(&b, (int64_t)o.oco_id);
    b_int(&b, o.sym);
    b_text(&b, tr_side_name(o.side));
    b_text(&b, tr_order_type_name(o.type));
    b_text(&b, tr_tif_name(o.tif));
    b_text(&b, tr_order_role_name(o.role));
    b_text(&b, status);
    b_int(&b, o.qty);
    b_int(&b, o.filled_qty);
    if (o.filled_qty)
        b_int(&b, o.avg_fill_price);
    else
        b_null(&b);
    b_opt(&b, o.limit_price);
    b_opt(&b, o.stop_price);
    b_opt(&b, o.trail_amount);
    b_opt(&b, o.trail_percent);
    b_int(&b, o.commission);
    b_time(&b, o.created);
    b_time(&b, o.updated);
    b_int(&b, o.reject_code);
    if (o.reject_code)
        b_text(&b, tr_risk_reason_name((tr_risk_reason)o.reject_code));
    else
        b_null(&b);
    b_text(&b, o.strategy);
    b_int(&b, (int64_t)r->seq);
    if ((rc = b_exec(&b, "writing an order")) != TR_OK)
        return rc;

    if (!found) {
        rc = audit(p, r, o.created, &o, "submitted", NULL, 0, "new", 0);
        if (rc != TR_OK || o.status == TR_ORD_NEW)
            return rc;
        snprintf(before, sizeof before, "new");
    }
    return audit(p, r, o.updated, &o,
                 o.status == TR_ORD_NEW ? "submitted" : status, before,
                 before_filled, status, o.filled_qty);
}

static int apply_fill(tr_proj *p, const tr_record *r)
{
    tr_fill f;
    mark *m;
    if (tr_ev_decode_fill(r->payload, r->len, &f) != TR_OK)
        return bad_record(p, r, "payload does not decode");
    if (f.qty <= 0 || f.price < 0)
        return bad_record(p, r, "quantity <= 0 or negative price");
    int rc = mark_slot(p, r, f.sym, &m);
    if (rc != TR_OK)
        return rc;
    /* The position before the fill. */
    tr_position pos;
    memset(&pos, 0, sizeof pos);
    bnd b = bind_start(p, S_POS_GET);
    b_int(&b, f.sym);
    int found;
    if ((rc = b_row(&b, &found, "reading a position")) != TR_OK)
        return rc;
    if (found) {
        pos.qty = sqlite3_column_int64(b.s, 0);
        pos.cost = sqlite3_column_int64(b.s, 1);
        pos.realized = sqlite3_column_int64(b.s, 2);
        pos.commission = sqlite3_column_int64(b.s, 3);
        pos.mv = sqlite3_column_int64(b.s, 4);
    }
    if ((rc = b_done(&b, "reading a position")) != TR_OK)
        return rc;
    int have_bar;
    if ((rc = last_close(p, f.sym, m, &have_bar)) != TR_OK)
        return rc;
    tr_fx last = have_bar ? m->close : f.price;

    /* The portfolio's own accounting, on a portfolio of this one symbol, so
     * that the projection computes exactly what the engine computed. */
    tr_portfolio pf;
    memset(&pf, 0, sizeof pf);
    pf.pos = &pos;
    pf.nsyms = 1;
    pf.realized = pos.realized;
    pf.commissions = pos.commission;
    pf.mv_total = pos.mv;
    pf.gross = pos.mv < 0 ? -pos.mv : pos.mv;
    pf.open_positions = pos.qty != 0;
    tr_fill g = f;
    g.sym = 0;
    tr_fx mv, avg = 0, unreal;
    if (tr_portfolio_fill(&pf, &g, NULL) != TR_OK ||
        tr_fx_mul(pos.qty, last, &mv) != TR_OK ||
        (pos.qty && tr_fx_div(pos.cost, pos.qty, &avg) != TR_OK) ||
        tr_fx_sub(mv, pos.cost, &unreal) != TR_OK) {
        snprintf(p->msg, sizeof p->msg, "%s: record %" PRIu64 " (fill): the "
                 "position of symbol %" PRIu32 " overflows", p->journal_dir,
                 r->seq, f.sym);
        return TR_ERR_RANGE;
    }

    b = bind_start(p, S_FILL);
    b_int(&b, (int64_t)r->seq);
    b_int(&b, (int64_t)f.order_id);
    b_time(&b, f.time);
    b_int(&b, f.sym);
    b_text(&b, tr_side_name(f.side));
    b_text(&b, tr_order_role_name(f.role));
    b_int(&b, f.qty);
    b_int(&b, f.price);
    b_int(&b, f.commission);
    if ((rc = b_exec(&b, "inserting a fill")) != TR_OK)
        return rc;
    b = bind_start(p, S_POS);
    b_int(&b, f.sym);
    b_int(&b, pos.qty);
    b_int(&b, avg);
    b_int(&b, pos.cost);
    b_int(&b, pos.realized);
    b_int(&b, pos.commission);
    b_int(&b, last);
    b_int(&b, mv);
    b_int(&b, unreal);
    b_time(&b, f.time);
    b_int(&b, (int64_t)r->seq);
    return b_exec(&b, "writing a position");
}

static int apply_equity(tr_proj *p, const tr_record *r)
{
    tr_equity_point e;
    if (tr_ev_decode_equity(r->payload, r->len, &e) != TR_OK)
        return bad_record(p, r, "payload does not decode");
    bnd b = bind_start(p, S_EQUITY);
    b_time(&b, e.time);
    b_int(&b, e.equity);
    b_int(&b, e.cash);
    b_int(&b, e.exposure);
    b_int(&b, (int64_t)r->seq);
    return b_exec(&b, "writing equity");
}

static const char *alert_kind_name(tr_risk_alert_kind k)
{
    switch (k) {
    case TR_ALERT_DAILY_LOSS: return "daily_loss";
    case TR_ALERT_DRAWDOWN: return "drawdown";
    case TR_ALERT_KILL_SWITCH: return "kill_switch";
    case TR_ALERT_RESUMED: return "resumed";
    }
    return "unknown";
}

static int apply_alert(tr_proj *p, const tr_record *r)
{
    tr_risk_alert a;
    if (tr_ev_decode_alert(r->payload, r->len, &a) != TR_OK)
        return bad_record(p, r, "payload does not decode");
    bnd b = bind_start(p, S_ALERT);
    b_int(&b, (int64_t)r->seq);
    b_time(&b, a.time);
    b_text(&b, alert_kind_name(a.kind));
    b_text(&b, a.message);
    return b_exec(&b, "inserting a risk event");
}

static int apply_control(tr_proj *p, const tr_record *r)
{
    tr_ev_control c;
    if (tr_ev_decode_control(r->payload, r->len, &c) != TR_OK)
        return bad_record(p, r, "payload does not decode");
    bnd b = bind_start(p, S_CONTROL);
    b_int(&b, (int64_t)r->seq);
    b_time(&b, r->time);
    b_text(&b, tr_control_kind_name(c.kind));
    b_text(&b, c.who);
    return b_exec(&b, "inserting a control event");
}

/* Apply one record. Errors other than TR_ERR_IO and TR_ERR_NOMEM happen
 * before the record has written anything. */
static int apply(tr_proj *p, const tr_record *r, uint64_t *skipped)
{
    int rc = TR_OK;
    switch (r->type) {
    case TR_EV_SESSION: rc = apply_session(p, r); break;
    case TR_EV_BAR: rc = apply_bar(p, r); break;
    case TR_EV_SIGNAL: rc = apply_signal(p, r); break;
    case TR_EV_ORDER: rc = apply_order(p, r); break;
    case TR_EV_FILL: rc = apply_fill(p, r); break;
    case TR_EV_EQUITY: rc = apply_equity(p, r); break;
    case TR_EV_ALERT: rc = apply_alert(p, r); break;
    case TR_EV_CONTROL: rc = apply_control(p, r); break;
    case TR_EV_VOID: rc = apply_void(p, r); break;
    case TR_EV_STOP: break;
    case TR_EV_TIMER: break; /* no table: its effects are the orders' events */
    default: (*skipped)++; break; /* a newer build's event */
    }
    if (rc != TR_OK)
        return rc;
    p->b_seq = r->seq;
    p->b_crc = record_crc(r);
    p->b_type = r->type;
    p->b_time = r->time;
    if (r->type != TR_EV_SESSION && r->type != TR_EV_STOP) {
        p->b_market_time = r->time; /* session and stop carry wall time */
        p->b_has_market = 1;
    }
    return TR_OK;
}

/* ---- batches ------------------------------------------------------------- */

static void forget_batch(tr_proj *p)
{
    for (size_t i = 0; i < p->nmarks; i++)
        p->marks[i].known = p->marks[i].dirty = 0;
    p->ndirty = 0;
    p->b_has_market = 0;
}

static int begin_batch(tr_proj *p)
{
    forget_batch(p);
    bnd b = bind_start(p, S_BEGIN);
    int rc = b_exec(&b, "begin");
    int64_t seq = 0, crc = 0;
    if (rc == TR_OK)
        rc = meta_get_int(p, "last_seq", &seq);
    if (rc == TR_OK)
        rc = meta_get_int(p, "last_crc", &crc);
    if (rc != TR_OK)
        return rc;
    p->last_seq = p->b_seq = (uint64_t)seq;
    p->last_crc = p->b_crc = (uint32_t)crc;
    return TR_OK;
}

/* Roll back (keeping p->msg: it says why). */
static void rollback_batch(tr_proj *p)
{
    if (!sqlite3_get_autocommit(p->db)) {
        sqlite3_stmt *s = p->st[S_ROLLBACK];
        int rc = sqlite3_step(s);
        int rrc = sqlite3_reset(s);
        if (rc != SQLITE_DONE || rrc != SQLITE_OK)
            tr_log(TR_LOG_WARN, "projection", "%s: rollback: %s", p->db_path,
                   sqlite3_errmsg(p->db));
    }
    forget_batch(p);
}

/* Re-mark the positions of the symbols that had bars in this batch. */
static int flush_marks(tr_proj *p)
{
    for (size_t i = 0; i < p->ndirty; i++) {
        tr_sym sym = p->dirty[i];
        mark *m = &p->marks[sym];
        int have, found, rc = last_close(p, sym, m, &have);
        if (rc != TR_OK)
            return rc;
        if (!have)
            continue;
        bnd b = bind_start(p, S_POS_GET);
        b_int(&b, sym);
        if ((rc = b_row(&b, &found, "reading a position")) != TR_OK)
            return rc;
        tr_fx qty = found ? sqlite3_column_int64(b.s, 0) : 0;
        tr_fx cost = found ? sqlite3_column_int64(b.s, 1) : 0;
        if ((rc = b_done(&b, "reading a position")) != TR_OK)
            return rc;
        if (!found)
            continue;
        tr_fx mv, unreal;
        if (tr_fx_mul(qty, m->close, &mv) != TR_OK ||
            tr_fx_sub(mv, cost, &unreal) != TR_OK) {
            snprintf(p->msg, sizeof p->msg, "%s: the market value of "
                     "symbol %" PRIu32 " overflows", p->db_path, sym);
            return TR_ERR_RANGE;
        }
        b = bind_start(p, S_POS_MARK);
        b_int(&b, m->close);
        b_int(&b, mv);
        b_int(&b, unreal);
        b_time(&b, m->time);
        b_int(&b, sym);
        if ((rc = b_exec(&b, "marking a position")) != TR_OK)
            return rc;
    }
    return TR_OK;
}

static int commit_batch(tr_proj *p)
{
    jstate js;
    journal_state(p->journal_dir, &js);
    int rc = flush_marks(p);
    if (rc == TR_OK)
        rc = meta_set_int(p, "last_seq", (int64_t)p->b_seq);
    if (rc == TR_OK)
        rc = meta_set_int(p, "last_crc", (int64_t)p->b_crc);
    if (rc == TR_OK)
        rc = meta_set_text(p, "last_type", tr_event_type_name(p->b_type));
    if (rc == TR_OK)
        rc = meta_set_int(p, "last_time", p->b_time);
    if (rc == TR_OK && p->b_has_market)
        rc = meta_set_int(p, "last_market_time", p->b_market_time);
    if (rc == TR_OK)
        rc = meta_set_text(p, "journal", p->journal_dir);
    if (rc == TR_OK && js.exists)
        rc = meta_set_int(p, "journal_written", js.mtime_ns);
    if (rc == TR_OK)
        rc = meta_set_int(p, "updated", tr_time_now());
    if (rc == TR_OK) {
        bnd b = bind_start(p, S_COMMIT);
        rc = b_exec(&b, "commit");
    }
    if (rc != TR_OK) {
        rollback_batch(p);
        return rc;
    }
    p->last_seq = p->b_seq;
    p->last_crc = p->b_crc;
    return TR_OK;
}

/* A reader positioned after p->last_seq, having checked that the journal
 * holds the record the database ended at. *none: there is no journal (and
 * nothing projected), nothing to do. */
static int open_reader(tr_proj *p, tr_reader **out, int *none)
{
    char rerr[4600];
    tr_reader *r = NULL;
    *none = 0;
    int rc = p->last_seq && p->hint_seq == p->last_seq
                 ? tr_reader_open_at(p->journal_dir, p->last_seq, p->hint_seg,
                                     p->hint_off, &r, rerr, sizeof rerr)
                 : tr_reader_open(p->journal_dir, p->last_seq, &r, rerr,
                                  sizeof rerr);
    if (rc == TR_ERR_NOT_FOUND && p->last_seq == 0) {
        *none = 1;
        return TR_OK;
    }
    if (rc == TR_ERR_NOT_FOUND) {
        snprintf(p->msg, sizeof p->msg, "%s: no journal there, but %s holds "
                 "its records up to %" PRIu64, p->journal_dir, p->db_path,
                 p->last_seq);
        return rc;
    }
    if (rc != TR_OK) {
        snprintf(p->msg, sizeof p->msg, "%s", rerr);
        return rc;
    }
    if (p->last_seq) {
        tr_record rec;
        int k = tr_reader_next(r, &rec, rerr, sizeof rerr);
        if (k < 0) {
            snprintf(p->msg, sizeof p->msg, "%s", rerr);
            tr_reader_close(r);
            return k;
        }
        if (k == 0 || rec.seq != p->last_seq ||
            record_crc(&rec) != p->last_crc) {
            p->mismatch = 1;
            snprintf(p->msg, sizeof p->msg, "%s was built from another "
                     "journal than %s (%s record %" PRIu64 "): rebuild it "
                     "(trader db rebuild)", p->db_path, p->journal_dir,
                     k == 0 ? "which ends before" : "which differs at",
                     p->last_seq);
            tr_reader_close(r);
            return TR_ERR_DATA;
        }
    }
    *out = r;
    return TR_OK;
}

int tr_proj_catch_up(tr_proj *p, uint64_t max_records, int *at_end,
                     tr_proj_counts *counts, char *err, size_t errlen)
{
    p->msg[0] = '\0';
    p->busy = 0;
    p->mismatch = 0;
    if (at_end)
        *at_end = 0;
    tr_reader *r = NULL;
    uint64_t next = 0, done = 0;
    int rc = TR_OK, end = 0;
    char rerr[4600];
    while (!end && (!max_records || done < max_records)) {
        uint64_t rows0 = p->rows, skipped = 0, n = 0;
        if ((rc = begin_batch(p)) != TR_OK) {
            rollback_batch(p);
            break;
        }
        if (!r || next != p->last_seq + 1) {
            int none;
            tr_reader_close(r);
            r = NULL;
            rc = open_reader(p, &r, &none);
            if (rc != TR_OK || none) {
                rollback_batch(p);
                end = none;
                break;
            }
            next = p->last_seq + 1;
        }
        uint64_t limit = p->o.batch;
        if (max_records && max_records - done < limit)
            limit = max_records - done;
        int stop_rc = TR_OK; /* stops before a record, after committing */
        uint64_t h_seg = 0, h_off = 0, h_seq = 0; /* position of the last applied */
        while (n < limit) {
            tr_record rec;
            uint64_t t_seg, t_off, t_seq;
            tr_reader_tell(r, &t_seg, &t_off, &t_seq);
            int k = tr_reader_next(r, &rec, rerr, sizeof rerr);
            if (k == 0) {
                end = 1;
                break;
            }
            if (k < 0) {
                snprintf(p->msg, sizeof p->msg, "%s", rerr);
                stop_rc = k;
                break;
            }
            next = rec.seq + 1;
            if ((rc = apply(p, &rec, &skipped)) != TR_OK)
                break;
            if (t_seq == rec.seq) { /* the record was where tell said */
                h_seg = t_seg;
                h_off = t_off;
                h_seq = rec.seq;
            }
            n++;
        }
        if (rc == TR_ERR_DATA || rc == TR_ERR_RANGE) {
            stop_rc = rc; /* nothing of that record was written */
            rc = TR_OK;
        }
        if (rc == TR_OK && n > 0) {
            rc = commit_batch(p);
            if (rc == TR_OK && h_seq == p->last_seq) {
                p->hint_seg = h_seg;
                p->hint_off = h_off;
                p->hint_seq = h_seq;
            }
        } else {
            rollback_batch(p);
        }
        if (rc != TR_OK) {
            p->rows = rows0;
            break;
        }
        done += n;
        if (counts && n) {
            counts->records += n;
            counts->rows += p->rows - rows0;
            counts->batches++;
            counts->skipped += skipped;
        }
        if (stop_rc != TR_OK) {
            rc = stop_rc;
            break;
        }
    }
    tr_reader_close(r);
    if (rc == TR_OK && at_end)
        *at_end = end;
    if (rc != TR_OK)
        snprintf(err, errlen, "%s", p->msg[0] ? p->msg : tr_strerror(rc));
    return rc;
}

/* Empty every data table (the journal is not the one projected). */
static int reset_db(tr_proj *p)
{
    bnd b = bind_start(p, S_BEGIN);
    int rc = b_exec(&b, "begin");
    if (rc == TR_OK)
        rc = exec_sql(p->db, reset_sql, p->db_path, "emptying", p->msg,
                      sizeof p->msg, NULL);
    if (rc == TR_OK) {
        b = bind_start(p, S_COMMIT);
        rc = b_exec(&b, "commit");
    }
    if (rc != TR_OK) {
        rollback_batch(p);
        return rc;
    }
    p->last_seq = 0;
    p->last_crc = 0;
    return TR_OK;
}

/* PRAGMA data_version: changes when another connection commits. */
static int data_version(tr_proj *p, int64_t *v)
{
    bnd b = bind_start(p, S_DATA_VERSION);
    int found, rc = b_row(&b, &found, "data_version");
    if (rc != TR_OK)
        return rc;
    *v = found ? sqlite3_column_int64(b.s, 0) : 0;
    return b_done(&b, "data_version");
}

/* ---- rebuild ------------------------------------------------------------- */

static void unlink_quiet(const char *base, const char *suffix)
{
    char path[4200];
    snprintf(path, sizeof path, "%s%s", base, suffix);
    if (unlink(path) != 0 && errno != ENOENT)
        tr_log(TR_LOG_WARN, "projection", "%s: cannot remove: %s", path,
               strerror(errno));
}

static void fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4200];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd); /* durability of the rename; the data is rebuildable */
        close(fd);
    }
}

/* Move tmp into place: nobody has db_path open (it does not exist), but
 * stale -wal / -shm files of a removed database would be taken for the
 * new file's own. */
static int install_rename(const char *tmp, const char *db_path, char *err,
                          size_t errlen)
{
    unlink_quiet(db_path, "-wal");
    unlink_quiet(db_path, "-shm");
    unlink_quiet(db_path, "-journal");
    if (rename(tmp, db_path) != 0) {
        snprintf(err, errlen, "%s: cannot rename %s into place: %s", db_path,
                 tmp, strerror(errno));
        return TR_ERR_IO;
    }
    fsync_parent(db_path);
    return TR_OK;
}

/* Copy tmp over the live database db_path in one write transaction (the
 * backup API), so that its readers and writers keep working. *not_db is
 * set when db_path is not an SQLite database at all (to be replaced). */
static int install_copy(const char *tmp, const char *db_path, int *not_db,
                        char *err, size_t errlen)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *bk = NULL;
    int64_t version = 0, ntables = 0;
    int src_rc = SQLITE_OK, rc;
    *not_db = 0;
    rc = open_db(tmp, 0, &src, err, errlen, NULL);
    if (rc == TR_OK)
        rc = open_db(db_path, 0, &dst, err, errlen, NULL);
    if (rc == TR_OK &&
        (src_rc = sqlite3_busy_timeout(dst, 1000)) != SQLITE_OK) {
        snprintf(err, errlen, "%s: busy timeout: %s", db_path,
                 sqlite3_errmsg(dst));
        rc = TR_ERR_IO;
    }
    /* Never overwrite somebody else's database. */
    if (rc == TR_OK)
        rc = query_int(dst, "PRAGMA user_version", &version, db_path, err,
                       errlen, &src_rc);
    if (rc == TR_OK && version == 0)
        rc = query_int(dst, "SELECT COUNT(*) FROM sqlite_master", &ntables,
                       db_path, err, errlen, &src_rc);
    if (rc != TR_OK) {
        int prim = src_rc & 0xff;
        *not_db = prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT;
        goto done;
    }
    if (version == 0 && ntables > 0) {
        snprintf(err, errlen, "%s is not a trader database: not overwriting "
                 "it (remove it, or choose another run.database)", db_path);
        rc = TR_ERR_DATA;
        goto done;
    }
    bk = sqlite3_backup_init(dst, "main", src, "main");
    if (!bk) {
        snprintf(err, errlen, "%s: cannot start the copy: %s", db_path,
                 sqlite3_errmsg(dst));
        rc = TR_ERR_IO;
        goto done;
    }
    /* The whole copy is one step: one write transaction on db_path. Wait
     * out a writer holding it (the follower's batches are short). */
    int64_t give_up = mono_ms() + 60000;
    int brc;
    while ((brc = sqlite3_backup_step(bk, -1)) != SQLITE_DONE) {
        if (!is_busy(brc) || mono_ms() > give_up)
            break;
        wall_ms_sleep(20);
    }
    int frc = sqlite3_backup_finish(bk);
    if (brc != SQLITE_DONE || frc != SQLITE_OK) {
        snprintf(err, errlen, "%s: copying the rebuilt database in: %s",
                 db_path, sqlite3_errstr(brc != SQLITE_DONE ? brc : frc));
        rc = TR_ERR_IO;
    }
done:
    if (src && sqlite3_close(src) != SQLITE_OK && rc == TR_OK) {
        snprintf(err, errlen, "%s: close: %s", tmp, sqlite3_errmsg(src));
        rc = TR_ERR_IO;
    }
    if (dst && sqlite3_close(dst) != SQLITE_OK && rc == TR_OK) {
        snprintf(err, errlen, "%s: close: %s", db_path, sqlite3_errmsg(dst));
        rc = TR_ERR_IO;
    }
    return rc;
}

int tr_proj_rebuild(const char *journal_dir, const char *db_path,
                    tr_proj_counts *counts, char *err, size_t errlen)
{
    jstate js;
    journal_state(journal_dir, &js);
    if (!js.exists) {
        snprintf(err, errlen, "%s: no journal here", journal_dir);
        return TR_ERR_NOT_FOUND;
    }
    size_t n = strlen(db_path) + 8;
    char *tmp = malloc(n);
    if (!tmp)
        return TR_ERR_NOMEM;
    snprintf(tmp, n, "%s.tmp", db_path);
    int rc = make_parent(db_path, err, errlen);
    if (rc != TR_OK) {
        free(tmp);
        return rc;
    }
    unlink_quiet(tmp, "");
    unlink_quiet(tmp, "-journal");
    unlink_quiet(tmp, "-wal");
    unlink_quiet(tmp, "-shm");

    tr_proj *p = NULL;
    tr_proj_opts o = {1, DEFAULT_BUSY_MS, DEFAULT_BATCH};
    rc = tr_proj_open(tmp, journal_dir, &o, &p, err, errlen);
    /* A damaged record at the end may be one `trader run` is writing right
     * now: look again a few times before taking it for damage. */
    int data_rc = TR_OK, strikes = 0;
    uint64_t stuck_at = UINT64_MAX;
    while (rc == TR_OK) {
        int end, crc = tr_proj_catch_up(p, 0, &end, counts, err, errlen);
        if (crc != TR_ERR_DATA) {
            rc = crc;
            break;
        }
        if (tr_proj_last_seq(p) != stuck_at) {
            stuck_at = tr_proj_last_seq(p);
            strikes = 0;
        }
        if (++strikes >= 5) {
            data_rc = crc;
            break;
        }
        wall_ms_sleep(100);
    }
    if (data_rc != TR_OK) {
        size_t len = strlen(err);
        if (len < errlen)
            snprintf(err + len, errlen - len, " (the database holds the "
                     "records up to %" PRIu64 ")", tr_proj_last_seq(p));
    }
    tr_proj_close(p);
    if (rc == TR_OK) {
        struct stat st;
        char ignored[4800];
        if (stat(db_path, &st) != 0) {
            rc = install_rename(tmp, db_path,
                                data_rc ? ignored : err,
                                data_rc ? sizeof ignored : errlen);
        } else {
            int not_db;
            char *e = data_rc ? ignored : err;
            size_t el = data_rc ? sizeof ignored : errlen;
            rc = install_copy(tmp, db_path, &not_db, e, el);
            if (rc != TR_OK && not_db) {
                tr_log(TR_LOG_WARN, "projection", "%s is not a readable "
                       "SQLite database (%s): replacing it", db_path, e);
                unlink_quiet(db_path, "");
                rc = install_rename(tmp, db_path, e, el);
            }
            if (rc != TR_OK && data_rc)
                snprintf(err, errlen, "%s", ignored);
        }
    }
    unlink_quiet(tmp, "");
    unlink_quiet(tmp, "-journal");
    free(tmp);
    return rc != TR_OK ? rc : data_rc;
}

/* ---- the follower -------------------------------------------------------- */

#define POLL_MS 50
#define BACKOFF_MAX_MS 2000
#define STOP_WAIT_MS 10000
#define FOLLOW_BUSY_MS 250 /* short: report a lock, back off, stay responsive */

struct tr_proj_follower {
    char *journal_dir, *db_path;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;            /* mu: stop requested */
    int64_t deadline;    /* mu: monotonic ms, when stop is set */
    uint64_t last_seq;   /* mu */
    int result;          /* the thread's, read after the join */
    /* The thread's own. */
    tr_proj *p;
    jstate seen;         /* the journal as of the last complete pass */
    int fresh;           /* run a pass even when nothing seems changed */
    char problem[16];    /* the kind of trouble last logged, "" when none */
    unsigned failures;   /* failed passes since the trouble began */
    char msg[4800];
};

/* One look: reopen the database if needed, and catch up when the journal
 * or the database changed. */
static int follow_pass(tr_proj_follower *f, int *end)
{
    *end = 0;
    if (f->p) {
        int moved = 0;
        if (sqlite3_file_control(f->p->db, "main", SQLITE_FCNTL_HAS_MOVED,
                                 &moved) != SQLITE_OK)
            moved = access(f->db_path, F_OK) != 0;
        if (moved) {
            tr_log(TR_LOG_WARN, "projection", "%s was removed or replaced: "
                   "reopening it (a removed database is recreated from the "
                   "journal)", f->db_path);
            tr_proj_close(f->p);
            f->p = NULL;
        }
    }
    if (!f->p) {
        if (access(f->db_path, F_OK) != 0 && errno == ENOENT) {
            unlink_quiet(f->db_path, "-wal");
            unlink_quiet(f->db_path, "-shm");
        }
        tr_proj_opts o = {0, FOLLOW_BUSY_MS, DEFAULT_BATCH};
        int rc = tr_proj_open(f->db_path, f->journal_dir, &o, &f->p, f->msg,
                              sizeof f->msg);
        if (rc != TR_OK)
            return rc;
        f->fresh = 1;
    }
    jstate js;
    int64_t dv;
    journal_state(f->journal_dir, &js);
    int rc = data_version(f->p, &dv);
    if (rc != TR_OK) {
        snprintf(f->msg, sizeof f->msg, "%s", f->p->msg);
        return rc;
    }
    if (!f->fresh && jstate_eq(&js, &f->seen) && dv == f->p->data_version) {
        *end = 1;
        return TR_OK;
    }
    f->p->data_version = dv; /* our own commits leave it unchanged */
    rc = tr_proj_catch_up(f->p, 0, end, NULL, f->msg, sizeof f->msg);
    if (rc == TR_ERR_DATA && f->p->mismatch) {
        tr_log(TR_LOG_WARN, "projection", "%s; emptying it and projecting "
               "%s from its start", f->msg, f->journal_dir);
        rc = reset_db(f->p);
        if (rc != TR_OK)
            snprintf(f->msg, sizeof f->msg, "%s", f->p->msg);
        else
            rc = tr_proj_catch_up(f->p, 0, end, NULL, f->msg, sizeof f->msg);
    }
    if (rc == TR_OK) {
        f->seen = js; /* as seen before reading: later appends show */
        f->fresh = !*end;
    } else {
        f->fresh = 1;
    }
    return rc;
}

/* Log a failed pass once per kind of trouble. A damaged journal record is
 * usually one being written: only a lasting one is worth a line. */
static void follow_trouble(tr_proj_follower *f, int rc)
{
    const char *kind = rc == TR_ERR_DATA || rc == TR_ERR_NOT_FOUND ? "journal"
                       : f->p && tr_proj_was_busy(f->p)            ? "locked"
                       : !f->p                                      ? "open"
                                                                    : "write";
    f->failures++;
    if (!strcmp(kind, f->problem))
        return;
    if (!strcmp(kind, "journal") && f->failures < 4)
        return;
    snprintf(f->problem, sizeof f->problem, "%s", kind);
    if (!strcmp(kind, "locked"))
        tr_log(TR_LOG_WARN, "projection", "%s is locked by another "
               "connection: retrying, the projection catches up from the "
               "journal when it is free (%s)", f->db_path, f->msg);
    else if (!strcmp(kind, "journal"))
        tr_log(TR_LOG_WARN, "projection", "projection stopped: %s: retrying",
               f->msg);
    else
        tr_log(TR_LOG_WARN, "projection", "%s: retrying, the projection "
               "catches up from the journal when it can", f->msg);
}

static void follow_wait(tr_proj_follower *f, int64_t ms, int stopping)
{
    struct timespec ts = tr_deadline_ms(ms > 0 ? (uint64_t)ms : 0);
    pthread_mutex_lock(&f->mu);
    while (f->stop == stopping) /* a stop request cuts the wait short */
        if (pthread_cond_timedwait(&f->cv, &f->mu, &ts) != 0)
            break;
    pthread_mutex_unlock(&f->mu);
}

static void *follow_main(void *arg)
{
    tr_proj_follower *f = arg;
    int64_t backoff = 0;
    int last_rc = TR_OK, reached_end = 0, stop_strikes = 0;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        int stopping = f->stop;
        int64_t deadline = f->deadline;
        pthread_mutex_unlock(&f->mu);
        int64_t t0 = mono_ms();
        int end = 0, rc = follow_pass(f, &end);
        int64_t took = mono_ms() - t0;
        if (f->p) {
            pthread_mutex_lock(&f->mu);
            f->last_seq = tr_proj_last_seq(f->p);
            pthread_mutex_unlock(&f->mu);
        }
        int64_t wait;
        if (rc == TR_OK) {
            if (f->problem[0])
                tr_log(TR_LOG_INFO, "projection", "%s is being projected "
                       "again: caught up to record %" PRIu64 " after %u "
                       "failed attempts", f->db_path,
                       f->p ? tr_proj_last_seq(f->p) : 0, f->failures);
            f->problem[0] = '\0';
            f->failures = 0;
            backoff = 0;
            last_rc = TR_OK;
            reached_end = end;
            if (stopping && end)
                break;
            /* A pass reads the newest segment from its start (a reader
             * has no incremental mode): at most a third of a core. */
            wait = !end ? 0 : 2 * took > POLL_MS ? 2 * took : POLL_MS;
        } else {
            last_rc = rc;
            reached_end = 0;
            follow_trouble(f, rc);
            backoff = backoff ? backoff * 2 : POLL_MS;
            if (backoff > BACKOFF_MAX_MS)
                backoff = BACKOFF_MAX_MS;
            wait = backoff;
            /* Stopping, nothing is being written any more: damage is. */
            if (stopping && rc == TR_ERR_DATA && ++stop_strikes >= 3)
                break;
        }
        if (stopping && mono_ms() >= deadline)
            break;
        if (wait)
            follow_wait(f, wait, stopping);
    }
    f->result = reached_end ? TR_OK : last_rc != TR_OK ? last_rc : TR_ERR_IO;
    if (f->result != TR_OK)
        tr_log(TR_LOG_WARN, "projection", "stopped before %s caught up with "
               "the journal (%s): it catches up at the next start, or with "
               "`trader db rebuild`", f->db_path,
               last_rc != TR_OK ? f->msg : "out of time");
    tr_proj_close(f->p);
    f->p = NULL;
    return NULL;
}

int tr_proj_follow_start(const char *journal_dir, const char *db_path,
                         tr_proj_follower **out, char *err, size_t errlen)
{
    tr_proj_follower *f = calloc(1, sizeof *f);
    if (!f)
        return TR_ERR_NOMEM;
    f->journal_dir = strdup(journal_dir);
    f->db_path = strdup(db_path);
    f->fresh = 1;
    if (!f->journal_dir || !f->db_path) {
        free(f->journal_dir);
        free(f->db_path);
        free(f);
        return TR_ERR_NOMEM;
    }
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);
    if (rc == 0) {
        rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (rc == 0)
            rc = pthread_cond_init(&f->cv, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (rc == 0 && (rc = pthread_mutex_init(&f->mu, NULL)) != 0)
        pthread_cond_destroy(&f->cv);
    if (rc == 0) {
        /* Signals (Ctrl-C) go to the engine's thread, not this one. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        rc = pthread_create(&f->thread, NULL, follow_main, f);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc != 0) {
            pthread_mutex_destroy(&f->mu);
            pthread_cond_destroy(&f->cv);
        }
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the projection thread: %s",
                 strerror(rc));
        free(f->journal_dir);
        free(f->db_path);
        free(f);
        return rc == ENOMEM ? TR_ERR_NOMEM : TR_ERR_IO;
    }
    *out = f;
    return TR_OK;
}

int tr_proj_follow_stop(tr_proj_follower *f)
{
    if (!f)
        return TR_OK;
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    f->deadline = mono_ms() + STOP_WAIT_MS;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    int rc = f->result;
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f->journal_dir);
    free(f->db_path);
    free(f);
    return rc;
}

uint64_t tr_proj_follow_last_seq(tr_proj_follower *f)
{
    pthread_mutex_lock(&f->mu);
    uint64_t v = f->last_seq;
    pthread_mutex_unlock(&f->mu);
    return v;
}
