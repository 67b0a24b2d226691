/* status.c: a run's status from its SQLite projection (see status.h). */
#include "store/status.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "store/projection.h"

/* A reading session: one connection, one read transaction. */
typedef struct rd {
    sqlite3 *db;
    const char *path;
    char *err;
    size_t errlen;
} rd;

static int fail(rd *r, int rc, const char *what)
{
    snprintf(r->err, r->errlen, "%s: %s: %s", r->path, what,
             r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
    return rc == SQLITE_NOMEM ? TR_ERR_NOMEM : TR_ERR_IO;
}

/* Prepare sql and bind an optional integer parameter. */
static int prep(rd *r, const char *sql, sqlite3_stmt **s)
{
    int rc = sqlite3_prepare_v2(r->db, sql, -1, s, NULL);
    if (rc != SQLITE_OK) {
        *s = NULL;
        return fail(r, rc, sql);
    }
    return TR_OK;
}

/* Step: 1 a row, 0 done, or an error (negative). */
static int step(rd *r, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return fail(r, rc, what);
}

static int finish(rd *r, sqlite3_stmt *s, int rc, const char *what)
{
    int frc = sqlite3_finalize(s);
    if (rc >= 0 && frc != SQLITE_OK)
        return fail(r, frc, what);
    return rc < 0 ? rc : TR_OK;
}

static void copy_text(char *dst, size_t size, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, size, "%s", t ? (const char *)t : "");
}

/* The symbol's name, or "#ID" when no session record named it. */
static void sym_name(char *dst, size_t size, sqlite3_stmt *s, int name_col,
                     int id_col)
{
    if (sqlite3_column_type(s, name_col) == SQLITE_NULL)
        snprintf(dst, size, "#%" PRId64,
                 (int64_t)sqlite3_column_int64(s, id_col));
    else
        copy_text(dst, size, s, name_col);
}

/* One row of one integer-or-null column: *v, and *found. */
static int one_int(rd *r, const char *sql, int has_arg, int64_t arg,
                   int64_t *v, int *found)
{
    sqlite3_stmt *s;
    int rc = prep(r, sql, &s);
    if (rc != TR_OK)
        return rc;
    if (has_arg && (rc = sqlite3_bind_int64(s, 1, arg)) != SQLITE_OK) {
        rc = fail(r, rc, sql);
        (void)sqlite3_finalize(s);
        return rc;
    }
    rc = step(r, s, sql);
    *found = rc == 1 && sqlite3_column_type(s, 0) != SQLITE_NULL;
    *v = *found ? sqlite3_column_int64(s, 0) : 0;
    return finish(r, s, rc, sql);
}

static int read_meta(rd *r, tr_status *st)
{
    sqlite3_stmt *s;
    const char *sql = "SELECT key, value FROM meta";
    int rc = prep(r, sql, &s);
    if (rc != TR_OK)
        return rc;
    while ((rc = step(r, s, sql)) == 1) {
        const unsigned char *k = sqlite3_column_text(s, 0);
        const char *key = k ? (const char *)k : "";
        int64_t v = sqlite3_column_int64(s, 1);
        if (!strcmp(key, "last_seq"))
            st->last_seq = (uint64_t)v;
        else if (!strcmp(key, "last_type"))
            copy_text(st->last_type, sizeof st->last_type, s, 1);
        else if (!strcmp(key, "last_time"))
            st->last_time = v;
        else if (!strcmp(key, "last_market_time")) {
            st->last_market_time = v;
            st->has_market_time = 1;
        } else if (!strcmp(key, "journal"))
            copy_text(st->journal, sizeof st->journal, s, 1);
        else if (!strcmp(key, "journal_written")) {
            st->journal_written = v;
            st->has_journal_written = 1;
        } else if (!strcmp(key, "updated"))
            st->updated = v;
        else if (!strcmp(key, "config"))
            copy_text(st->config, sizeof st->config, s, 1);
        else if (!strcmp(key, "strategy"))
            copy_text(st->strategy, sizeof st->strategy, s, 1);
    }
    return finish(r, s, rc, sql);
}

static int read_equity(rd *r, tr_status *st)
{
    sqlite3_stmt *s;
    const char *sql = "SELECT time, equity, cash, exposure FROM portfolio "
                      "ORDER BY time DESC LIMIT 1";
    int rc = prep(r, sql, &s);
    if (rc != TR_OK)
        return rc;
    if ((rc = step(r, s, sql)) == 1) {
        st->has_equity = 1;
        st->equity_time = sqlite3_column_int64(s, 0);
        st->equity = sqlite3_column_int64(s, 1);
        st->cash = sqlite3_column_int64(s, 2);
        st->exposure = sqlite3_column_int64(s, 3);
    }
    if ((rc = finish(r, s, rc, sql)) != TR_OK || !st->has_equity)
        return rc;
    int64_t v;
    int found;
    rc = one_int(r, "SELECT equity FROM portfolio ORDER BY time LIMIT 1", 0,
                 0, &v, &found);
    if (rc != TR_OK)
        return rc;
    st->start_equity = v;
    /* The day is the UTC day of the last equity point (market time). */
    tr_time day_start = tr_time_day(st->equity_time) * TR_NS_PER_DAY;
    rc = one_int(r, "SELECT equity FROM portfolio WHERE time < ? "
                    "ORDER BY time DESC LIMIT 1", 1, day_start, &v, &found);
    if (rc != TR_OK)
        return rc;
    st->day_base = found ? v : st->start_equity;
    st->day_pnl = st->equity - st->day_base;
    st->total_pnl = st->equity - st->start_equity;
    return TR_OK;
}

/* Replay the risk and control events in order: which halts are in force. */
static int read_halts(rd *r, tr_status *st)
{
    sqlite3_stmt *s;
    const char *sql =
        "SELECT seq, time, kind, message FROM risk_events UNION ALL "
        "SELECT seq, time, 'control_' || kind, 'by ' || who FROM control "
        "ORDER BY seq";
    int rc = prep(r, sql, &s);
    if (rc != TR_OK)
        return rc;
    int64_t today = st->has_market_time ? tr_time_day(st->last_market_time)
                                        : INT64_MIN;
    char msg_kill[160] = "", msg_dd[160] = "", msg_day[160] = "";
    tr_time t_kill = 0, t_dd = 0, t_day = 0;
    while ((rc = step(r, s, sql)) == 1) {
        char kind[32];
        copy_text(kind, sizeof kind, s, 2);
        tr_time t = sqlite3_column_int64(s, 1);
        if (!strcmp(kind, "kill_switch") || !strcmp(kind, "control_halt")) {
            if (!st->halt_kill_switch || !strcmp(kind, "kill_switch")) {
                copy_text(msg_kill, sizeof msg_kill, s, 3);
                t_kill = t;
            }
            st->halt_kill_switch = 1;
        } else if (!strcmp(kind, "resumed") ||
                   !strcmp(kind, "control_resume")) {
            st->halt_kill_switch = 0;
            st->halt_drawdown = 0; /* resuming ends a drawdown halt too */
        } else if (!strcmp(kind, "drawdown")) {
            st->halt_drawdown = 1;
            copy_text(msg_dd, sizeof msg_dd, s, 3);
            t_dd = t;
        } else if (!strcmp(kind, "daily_loss")) {
            st->halt_daily_loss = tr_time_day(t) == today;
            copy_text(msg_day, sizeof msg_day, s, 3);
            t_day = t;
        }
    }
    /* A daily loss halt is only for its day. */
    if (st->halt_daily_loss && tr_time_day(t_day) != today)
        st->halt_daily_loss = 0;
    /* The message of the latest halt in force. */
    const char *m = NULL;
    tr_time t = INT64_MIN;
    if (st->halt_kill_switch && t_kill >= t)
        m = msg_kill, t = t_kill;
    if (st->halt_drawdown && t_dd >= t)
        m = msg_dd, t = t_dd;
    if (st->halt_daily_loss && t_day >= t)
        m = msg_day, t = t_day;
    if (m) {
        snprintf(st->halt_message, sizeof st->halt_message, "%s", m);
        st->halt_time = t;
    }
    return finish(r, s, rc, sql);
}

static int read_positions(rd *r, tr_status *st)
{
    sqlite3_stmt *s;
    const char *sql =
        "SELECT p.sym, s.name, p.qty, p.avg_price, p.last_price, "
        "p.market_value, p.unrealized_pnl, p.realized_pnl, p.commission "
        "FROM positions p LEFT JOIN symbols s ON s.id = p.sym "
        "WHERE p.qty != 0 ORDER BY p.sym";
    int rc = prep(r, sql, &s);
    if (rc != TR_OK)
        return rc;
    size_t cap = 0;
    while ((rc = step(r, s, sql)) == 1) {
        if (st->npositions == cap) {
            cap = cap ? cap * 2 : 16;
            tr_status_position *v =
                realloc(st->positions, cap * sizeof *v);
            if (!v) {
                rc = TR_ERR_NOMEM;
                break;
            }
            st->positions = v;
        }
        tr_status_position *q = &st->positions[st->npositions++];
        memset(q, 0, sizeof *q);
        sym_name(q->symbol, sizeof q->symbol, s, 1, 0);
        q->qty = sqlite3_column_int64(s, 2);
        q->avg_price = sqlite3_column_int64(s, 3);
        q->last_price = sqlite3_column_int64(s, 4);
        q->market_value = sqlite3_column_int64(s, 5);
        q->unrealized_pnl = sqlite3_column_int64(s, 6);
        q->realized_pnl = sqlite3_column_int64(s, 7);
        q->commission = sqlite3_column_int64(s, 8);
    }
    return finish(r, s, rc, sql);
}

static int read_orders(rd *r, tr_status *st)
{
    sqlite3_stmt *s;
    const char *sql =
        "SELECT o.id, o.parent_id, o.sym, s.name, o.side, o.type, o.tif, "
        "o.role, o.status, o.qty, o.filled_qty, o.limit_price, "
        "o.stop_price, o.created, o.strategy "
        "FROM orders o LEFT JOIN symbols s ON s.id = o.sym "
        "WHERE o.status IN ('new', 'accepted', 'partially_filled') "
        "ORDER BY o.id";
    int rc = prep(r, sql, &s);
    if (rc != TR_OK)
        return rc;
    size_t cap = 0;
    while ((rc = step(r, s, sql)) == 1) {
        if (st->nopen_orders == cap) {
            cap = cap ? cap * 2 : 16;
            tr_status_order *v = realloc(st->open_orders, cap * sizeof *v);
            if (!v) {
                rc = TR_ERR_NOMEM;
                break;
            }
            st->open_orders = v;
        }
        tr_status_order *o = &st->open_orders[st->nopen_orders++];
        memset(o, 0, sizeof *o);
        o->id = (uint64_t)sqlite3_column_int64(s, 0);
        o->parent_id = (uint64_t)sqlite3_column_int64(s, 1);
        sym_name(o->symbol, sizeof o->symbol, s, 3, 2);
        copy_text(o->side, sizeof o->side, s, 4);
        copy_text(o->type, sizeof o->type, s, 5);
        copy_text(o->tif, sizeof o->tif, s, 6);
        copy_text(o->role, sizeof o->role, s, 7);
        copy_text(o->status, sizeof o->status, s, 8);
        o->qty = sqlite3_column_int64(s, 9);
        o->filled_qty = sqlite3_column_int64(s, 10);
        o->limit_price = sqlite3_column_int64(s, 11);
        o->stop_price = sqlite3_column_int64(s, 12);
        o->created = sqlite3_column_int64(s, 13);
        copy_text(o->strategy, sizeof o->strategy, s, 14);
    }
    return finish(r, s, rc, sql);
}

static int read_all(rd *r, tr_status *st)
{
    int64_t v;
    int found;
    int rc = one_int(r, "PRAGMA user_version", 0, 0, &v, &found);
    if (rc != TR_OK)
        return rc;
    st->schema_version = (int)v;
    if (v < 1) {
        snprintf(r->err, r->errlen, "%s is not a trader database (no "
                 "schema): run `trader db rebuild -c CONFIG`", r->path);
        return TR_ERR_DATA;
    }
    if (v > TR_PROJ_SCHEMA_VERSION) {
        snprintf(r->err, r->errlen, "%s has schema version %" PRId64 ", "
                 "newer than this build's (%d): use a newer trader",
                 r->path, v, TR_PROJ_SCHEMA_VERSION);
        return TR_ERR_DATA;
    }
    if ((rc = read_meta(r, st)) != TR_OK)
        return rc;
    st->live = st->last_seq > 0 && strcmp(st->last_type, "stop") != 0;
    if (st->last_seq && !st->live)
        st->stopped_at = st->last_time;
    rc = one_int(r, "SELECT COUNT(*) FROM sessions", 0, 0, &v, &found);
    if (rc != TR_OK)
        return rc;
    st->sessions = (uint64_t)v;
    rc = one_int(r, "SELECT time FROM sessions ORDER BY seq DESC LIMIT 1", 0,
                 0, &v, &found);
    if (rc != TR_OK)
        return rc;
    st->started = v;
    static const struct {
        const char *sql;
        size_t off;
    } counts[] = {
        {"SELECT COUNT(*) FROM orders", offsetof(tr_status, orders)},
        {"SELECT COUNT(*) FROM fills", offsetof(tr_status, fills)},
        {"SELECT COUNT(*) FROM signals", offsetof(tr_status, signals)},
        {"SELECT COUNT(*) FROM bars", offsetof(tr_status, bars)},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if ((rc = one_int(r, counts[i].sql, 0, 0, &v, &found)) != TR_OK)
            return rc;
        memcpy((char *)st + counts[i].off, &(uint64_t){(uint64_t)v},
               sizeof(uint64_t));
    }
    if ((rc = read_equity(r, st)) != TR_OK ||
        (rc = read_halts(r, st)) != TR_OK ||
        (rc = read_positions(r, st)) != TR_OK)
        return rc;
    return read_orders(r, st);
}

static int exec1(rd *r, const char *sql)
{
    char *em = NULL;
    int rc = sqlite3_exec(r->db, sql, NULL, NULL, &em);
    if (rc != SQLITE_OK) {
        snprintf(r->err, r->errlen, "%s: %s: %s", r->path, sql,
                 em ? em : sqlite3_errstr(rc));
        sqlite3_free(em);
        return rc == SQLITE_NOMEM ? TR_ERR_NOMEM : TR_ERR_IO;
    }
    return TR_OK;
}

int tr_status_read(const char *db_path, tr_status *out, char *err,
                   size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (stat(db_path, &sb) != 0) {
        if (errno == ENOENT) {
            snprintf(err, errlen, "%s: no database here: build it from the "
                     "journal with `trader db rebuild -c CONFIG`, or start "
                     "`trader run -c CONFIG` (it keeps the database up to "
                     "date)", db_path);
            return TR_ERR_NOT_FOUND;
        }
        snprintf(err, errlen, "%s: %s", db_path, strerror(errno));
        return TR_ERR_IO;
    }
    rd r = {NULL, db_path, err, errlen};
    /* Read-write without create: a WAL reader needs the -shm file. A
     * file we may not write is read read-only. */
    int rc = sqlite3_open_v2(db_path, &r.db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        (void)sqlite3_close(r.db);
        r.db = NULL;
        rc = sqlite3_open_v2(db_path, &r.db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    }
    if (rc != SQLITE_OK) {
        int e = fail(&r, rc, "cannot open");
        (void)sqlite3_close(r.db);
        return e;
    }
    rc = sqlite3_busy_timeout(r.db, 5000);
    int trc = rc == SQLITE_OK ? exec1(&r, "BEGIN")
                              : fail(&r, rc, "busy timeout");
    if (trc == TR_OK) {
        trc = read_all(&r, out);
        int crc = exec1(&r, trc == TR_OK ? "COMMIT" : "ROLLBACK");
        if (trc == TR_OK)
            trc = crc;
    }
    if (sqlite3_close(r.db) != SQLITE_OK && trc == TR_OK)
        trc = fail(&r, SQLITE_BUSY, "close");
    if (trc != TR_OK) {
        /* A file that is not SQLite at all reads as damage. */
        if (strstr(err, "not a database") || strstr(err, "malformed"))
            trc = TR_ERR_DATA;
        tr_status_free(out);
    }
    return trc;
}

void tr_status_free(tr_status *s)
{
    free(s->positions);
    free(s->open_orders);
    s->positions = NULL;
    s->open_orders = NULL;
    s->npositions = s->nopen_orders = 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static int set(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

static json_t *jfx(tr_fx v)
{
    char b[TR_FX_STRLEN];
    tr_fx_format(v, b, sizeof b);
    return json_string(b);
}

static json_t *jtime(tr_time t)
{
    char b[TR_TIME_STRLEN];
    tr_time_format(t, b, sizeof b);
    return json_string(b);
}

static json_t *jopt_fx(tr_fx v)
{
    return v ? jfx(v) : json_null();
}

static json_t *jage(tr_time now, tr_time then)
{
    return json_real((double)(now - then) / 1e9);
}

char *tr_status_json(const tr_status *s, const char *db_path, tr_time now)
{
    json_t *o = json_object(), *pos = json_array(), *ord = json_array(),
           *halts = json_object();
    int bad = !o || !pos || !ord || !halts;
    if (!bad) {
        bad |= set(o, "database", json_string(db_path));
        bad |= set(o, "schema_version", json_integer(s->schema_version));
        bad |= set(o, "journal", json_string(s->journal));
        bad |= set(o, "config", json_string(s->config));
        bad |= set(o, "strategy", json_string(s->strategy));
        bad |= set(o, "sessions", json_integer((json_int_t)s->sessions));
        bad |= set(o, "started", s->started ? jtime(s->started) : json_null());
        bad |= set(o, "last_seq", json_integer((json_int_t)s->last_seq));
        bad |= set(o, "last_type", s->last_seq ? json_string(s->last_type)
                                               : json_null());
        bad |= set(o, "last_event_time", s->has_market_time
                                             ? jtime(s->last_market_time)
                                             : json_null());
        bad |= set(o, "live", json_boolean(s->live));
        bad |= set(o, "stopped_at", s->stopped_at ? jtime(s->stopped_at)
                                                  : json_null());
        bad |= set(o, "journal_written", s->has_journal_written
                                             ? jtime(s->journal_written)
                                             : json_null());
        bad |= set(o, "journal_written_ago_s",
                   s->has_journal_written ? jage(now, s->journal_written)
                                          : json_null());
        bad |= set(o, "projected_at", s->updated ? jtime(s->updated)
                                                 : json_null());
        bad |= set(o, "projected_ago_s", s->updated ? jage(now, s->updated)
                                                    : json_null());
        if (s->has_equity) {
            bad |= set(o, "equity_time", jtime(s->equity_time));
            bad |= set(o, "equity", jfx(s->equity));
            bad |= set(o, "cash", jfx(s->cash));
            bad |= set(o, "exposure", jfx(s->exposure));
            bad |= set(o, "start_equity", jfx(s->start_equity));
            bad |= set(o, "day_pnl", jfx(s->day_pnl));
            bad |= set(o, "total_pnl", jfx(s->total_pnl));
        } else {
            static const char *none[] = {"equity_time", "equity", "cash",
                                         "exposure", "start_equity",
                                         "day_pnl", "total_pnl"};
            for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
                bad |= set(o, none[i], json_null());
        }
        bad |= set(halts, "daily_loss", json_boolean(s->halt_daily_loss));
        bad |= set(halts, "drawdown", json_boolean(s->halt_drawdown));
        bad |= set(halts, "kill_switch", json_boolean(s->halt_kill_switch));
        bad |= set(halts, "halted", json_boolean(s->halt_daily_loss ||
                                                 s->halt_drawdown ||
                                                 s->halt_kill_switch));
        bad |= set(halts, "message", s->halt_message[0]
                                         ? json_string(s->halt_message)
                                         : json_null());
        bad |= set(halts, "since", s->halt_message[0] ? jtime(s->halt_time)
                                                      : json_null());
        json_t *counts = json_object();
        if (counts) {
            bad |= set(counts, "orders", json_integer((json_int_t)s->orders));
            bad |= set(counts, "fills", json_integer((json_int_t)s->fills));
            bad |= set(counts, "signals",
                       json_integer((json_int_t)s->signals));
            bad |= set(counts, "bars", json_integer((json_int_t)s->bars));
        }
        bad |= set(o, "counts", counts);
        for (size_t i = 0; !bad && i < s->npositions; i++) {
            const tr_status_position *q = &s->positions[i];
            json_t *p = json_object();
            if (!p) {
                bad = 1;
                break;
            }
            bad |= set(p, "symbol", json_string(q->symbol));
            bad |= set(p, "qty", jfx(q->qty));
            bad |= set(p, "avg_price", jfx(q->avg_price));
            bad |= set(p, "last_price", jfx(q->last_price));
            bad |= set(p, "market_value", jfx(q->market_value));
            bad |= set(p, "unrealized_pnl", jfx(q->unrealized_pnl));
            bad |= set(p, "realized_pnl", jfx(q->realized_pnl));
            bad |= set(p, "commission", jfx(q->commission));
            bad |= json_array_append_new(pos, p);
        }
        for (size_t i = 0; !bad && i < s->nopen_orders; i++) {
            const tr_status_order *q = &s->open_orders[i];
            json_t *p = json_object();
            if (!p) {
                bad = 1;
                break;
            }
            bad |= set(p, "id", json_integer((json_int_t)q->id));
            bad |= set(p, "parent_id",
                       q->parent_id ? json_integer((json_int_t)q->parent_id)
                                    : json_null());
            bad |= set(p, "symbol", json_string(q->symbol));
            bad |= set(p, "side", json_string(q->side));
            bad |= set(p, "type", json_string(q->type));
            bad |= set(p, "tif", json_string(q->tif));
            bad |= set(p, "role", json_string(q->role));
            bad |= set(p, "status", json_string(q->status));
            bad |= set(p, "qty", jfx(q->qty));
            bad |= set(p, "filled_qty", jfx(q->filled_qty));
            bad |= set(p, "limit_price", jopt_fx(q->limit_price));
            bad |= set(p, "stop_price", jopt_fx(q->stop_price));
            bad |= set(p, "created", jtime(q->created));
            bad |= set(p, "strategy", json_string(q->strategy));
            bad |= json_array_append_new(ord, p);
        }
    }
    char *text = NULL;
    if (!bad) {
        bad |= set(o, "halts", halts);
        halts = NULL;
        bad |= set(o, "positions", pos);
        pos = NULL;
        bad |= set(o, "open_orders", ord);
        ord = NULL;
    }
    if (!bad)
        text = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(o);
    json_decref(pos);
    json_decref(ord);
    json_decref(halts);
    return text;
}
