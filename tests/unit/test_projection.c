/* test_projection.c: the SQLite projection (store/projection.h) and the
 * status read from it (store/status.h).
 *
 * A journal written by hand (a session, bars, signals, a bracket's life
 * cycle with a partial fill, a short reversed to a long by one fill, a
 * reduction, equity, alerts, a control, a torn step voided, a restart, a
 * stop) is projected and every table is checked against values computed
 * by hand below. Then: the same rows however the work is split (batch
 * sizes, restarts mid-way, a batch that fails half-way and is rolled
 * back), migrations from an empty and an old schema, refusals (a newer
 * schema, a foreign database, another journal), rebuild, and the follower
 * thread through a locked database, a removed database, a replaced journal
 * and a stop that drains.
 *
 * Scenario (AAA = symbol 0, BBB = 1; t1..t7 daily from 2024-01-02):
 *   seq  1 SESSION                 24 BAR BBB t4 c48.5
 *        2 BAR AAA t1 c100.5       25 ORDER 4 filled 20 @48
 *        3 BAR BBB t1 c50          26 FILL 4 sell 20 @48 c1 (BBB -20)
 *        4 EQUITY t1 100000        27 EQUITY t4 100073
 *        5 SIGNAL AAA buy ok       28 ORDER 5 BBB buy 30 accepted
 *        6 ORDER 1 AAA buy 10 acc  29 BAR BBB t5 c49.5
 *        7 ORDER 2 stop 95 acc     30 ORDER 5 filled 30 @49
 *        8 ORDER 3 limit 110 acc   31 FILL 5 buy 30 @49 (-20 -> +10)
 *        9 SIGNAL BBB sell refused 32 EQUITY t5 100067
 *       10 BAR AAA t2 c102         33 CONTROL halt api:alice
 *       11 BAR BBB t2 c49          34 ALERT kill_switch
 *       12 ORDER 1 partial 4 @101  35 ORDER 6 BBB sell 3 exit accepted
 *       13 FILL 1 buy 4 @101 c1    36 BAR AAA t6 (torn: 1 of 2 bars)
 *       14 ORDER 1 filled 10       37 VOID t6
 *       15 FILL 1 buy 6 @101.5 c1  38 SESSION (restart)
 *       16 EQUITY t2 100005        39 BAR AAA t6 c108
 *       17 BAR AAA t3 c109         40 BAR BBB t6 c51
 *       18 ORDER 3 filled @110     41 ORDER 6 filled 3 @50.9
 *       19 FILL 3 sell 10 @110 c1  42 FILL 6 sell 3 @50.9 c1 (BBB 7)
 *       20 ORDER 2 canceled        43 EQUITY t6 100080.7
 *       21 EQUITY t3 100084        44 ORDER 7 BBB sell 7 limit 55 acc
 *       22 ALERT drawdown          45 STOP
 *       23 ORDER 4 BBB sell 20 acc
 *
 * By hand: AAA cost 404 + 609 = 1013, sold for 1100: realized 87, flat,
 * commission 3. BBB short 20 for 960; buying 30 at 49 closes it for 980
 * (realized -20) and opens 10 long at cost 490; selling 3 at 50.9 removes
 * 490 x 3/10 = 147 of cost for 152.7 (realized 5.7): 7 long at cost 343,
 * avg 49, realized -14.3, commission 3, last 51, value 357, unrealized 14.
 * Cash 100000 - 1013 - 2 + 1100 - 1 + 960 - 1 - 1470 - 1 + 152.7 - 1
 * = 99723.7; equity 99723.7 + 357 = 100080.7. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "store/event.h"
#include "store/journal.h"
#include "store/projection.h"
#include "store/status.h"
#include "test.h"

#define DAY TR_NS_PER_DAY
#define T0 (INT64_C(1704153600) * TR_NS_PER_SEC) /* 2024-01-02 */
#define T(n) (T0 + ((n) - 1) * DAY)
#define WALL(n) (INT64_C(1767225600) * TR_NS_PER_SEC + (n) * TR_NS_PER_SEC)

/* ---- helpers ------------------------------------------------------------- */

static char *mktmp(void)
{
    char tmpl[] = "/tmp/trproj-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d) {
        perror("mkdtemp");
        exit(2);
    }
    return strdup(d);
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char path[1024];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                rm_tree(path);
            else
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A decimal literal as tr_fx ("101.3"). */
static tr_fx P(const char *s)
{
    tr_fx v;
    if (tr_fx_parse(s, strlen(s), &v) != TR_OK) {
        fprintf(stderr, "bad literal %s\n", s);
        exit(2);
    }
    return v;
}

/* dir/leaf in one of 32 scratch buffers, used in turn. */
static const char *path(const char *dir, const char *leaf)
{
    static char buf[32][1024];
    static unsigned next;
    char *b = buf[next++ % 32];
    snprintf(b, sizeof buf[0], "%s/%s", dir, leaf);
    return b;
}

/* ---- writing journals ---------------------------------------------------- */

static uint64_t put(tr_journal *j, uint16_t type, tr_time t, tr_ev_buf *b,
                    size_t len)
{
    uint64_t seq = 0;
    if (type != TR_EV_VOID && type != TR_EV_STOP && len == 0) {
        fprintf(stderr, "encoding failed\n");
        exit(2);
    }
    if (tr_journal_append(j, type, t, b ? b->p : NULL, (uint32_t)len, &seq) !=
        TR_OK) {
        fprintf(stderr, "append failed\n");
        exit(2);
    }
    return seq;
}

#define BUF                                                                    \
    uint8_t raw[2048];                                                         \
    tr_ev_buf b = {raw, 0, sizeof raw, 0}

static void ev_session(tr_journal *j, tr_time wall)
{
    BUF;
    tr_ev_session s;
    memset(&s, 0, sizeof s);
    strcpy(s.config, "cfg/demo.yaml");
    strcpy(s.strategy, "sma");
    s.nsyms = 2;
    strcpy(s.symbols[0], "AAA");
    strcpy(s.symbols[1], "BBB");
    put(j, TR_EV_SESSION, wall, &b, tr_ev_encode_session(&b, &s));
}

static void ev_bar(tr_journal *j, tr_time t, tr_sym sym, uint32_t step,
                   const char *o, const char *h, const char *l, const char *c,
                   const char *v)
{
    BUF;
    tr_ev_bar e = {sym, step, {t, P(o), P(h), P(l), P(c), P(v)}};
    put(j, TR_EV_BAR, t, &b, tr_ev_encode_bar(&b, &e));
}

static void ev_equity(tr_journal *j, tr_time t, const char *eq,
                      const char *cash, const char *exposure)
{
    BUF;
    tr_equity_point e = {t, P(eq), P(cash), P(exposure)};
    put(j, TR_EV_EQUITY, t, &b, tr_ev_encode_equity(&b, &e));
}

static void ev_signal(tr_journal *j, tr_time t, tr_sym sym, tr_action a,
                      int target, double conf, tr_risk_reason reason,
                      const char *detail, const char *reasons)
{
    BUF;
    tr_ev_signal e;
    memset(&e, 0, sizeof e);
    e.sig.sym = sym;
    e.sig.time = t;
    e.sig.action = a;
    e.sig.target = target;
    e.sig.confidence = conf;
    strcpy(e.sig.strategy, "sma");
    snprintf(e.sig.reasons, sizeof e.sig.reasons, "%s", reasons);
    e.reason = (uint16_t)reason;
    snprintf(e.detail, sizeof e.detail, "%s", detail);
    put(j, TR_EV_SIGNAL, t, &b, tr_ev_encode_signal(&b, &e));
}

/* The orders of the scenario, kept current as events change them. */
static tr_order g_ord[8];

static void ord_new(uint64_t id, tr_sym sym, tr_side side, tr_order_type type,
                    tr_order_role role, const char *qty, tr_time created)
{
    tr_order *o = &g_ord[id];
    memset(o, 0, sizeof *o);
    o->id = id;
    o->sym = sym;
    o->side = side;
    o->type = type;
    o->role = role;
    o->qty = P(qty);
    o->created = o->updated = created;
    strcpy(o->strategy, "sma");
}

static void ev_order(tr_journal *j, uint64_t id, tr_order_status st,
                     tr_time t, const char *filled, const char *avg,
                     const char *comm)
{
    BUF;
    tr_order *o = &g_ord[id];
    o->status = st;
    o->updated = t;
    o->filled_qty = P(filled);
    o->avg_fill_price = P(avg);
    o->commission = P(comm);
    put(j, TR_EV_ORDER, t, &b, tr_ev_encode_order(&b, o));
}

static void ev_fill(tr_journal *j, uint64_t id, tr_time t, const char *qty,
                    const char *price, const char *comm)
{
    BUF;
    const tr_order *o = &g_ord[id];
    tr_fill f;
    memset(&f, 0, sizeof f);
    f.order_id = id;
    f.sym = o->sym;
    f.side = o->side;
    f.role = o->role;
    f.qty = P(qty);
    f.price = P(price);
    f.commission = P(comm);
    f.time = t;
    put(j, TR_EV_FILL, t, &b, tr_ev_encode_fill(&b, &f));
}

static void ev_alert(tr_journal *j, tr_time t, tr_risk_alert_kind k,
                     const char *msg)
{
    BUF;
    tr_risk_alert a;
    memset(&a, 0, sizeof a);
    a.time = t;
    a.kind = k;
    snprintf(a.message, sizeof a.message, "%s", msg);
    put(j, TR_EV_ALERT, t, &b, tr_ev_encode_alert(&b, &a));
}

static void ev_control(tr_journal *j, tr_time t, tr_control_kind k,
                       const char *who)
{
    BUF;
    tr_ev_control c;
    memset(&c, 0, sizeof c);
    c.kind = (uint16_t)k;
    snprintf(c.who, sizeof c.who, "%s", who);
    put(j, TR_EV_CONTROL, t, &b, tr_ev_encode_control(&b, &c));
}

static tr_journal *jopen(const char *dir)
{
    tr_journal_opts o = {.fsync = TR_FSYNC_OS};
    tr_journal *j;
    char err[512];
    if (tr_journal_open(dir, &o, &j, err, sizeof err) != TR_OK) {
        fprintf(stderr, "journal: %s\n", err);
        exit(2);
    }
    return j;
}

static void jclose(tr_journal *j)
{
    if (tr_journal_commit(j, 0) != TR_OK || tr_journal_close(j) != TR_OK) {
        fprintf(stderr, "journal commit failed\n");
        exit(2);
    }
}

/* The scenario of the header comment: 45 records. */
static void write_scenario(const char *dir)
{
    tr_journal *j = jopen(dir);
    ev_session(j, WALL(0));
    ev_bar(j, T(1), 0, 2, "100", "101", "99", "100.5", "1000");
    ev_bar(j, T(1), 1, 2, "50", "51", "49", "50", "2000");
    ev_equity(j, T(1), "100000", "100000", "0");
    ev_signal(j, T(1), 0, TR_SIGNAL_BUY, 1, 0.75, TR_RISK_OK, "",
              "fast above slow");
    ord_new(1, 0, TR_BUY, TR_ORD_MARKET, TR_ROLE_ENTRY, "10", T(1));
    ev_order(j, 1, TR_ORD_ACCEPTED, T(1), "0", "0", "0");
    ord_new(2, 0, TR_SELL, TR_ORD_STOP, TR_ROLE_STOP_LOSS, "10", T(1));
    g_ord[2].parent_id = 1;
    g_ord[2].oco_id = 3;
    g_ord[2].stop_price = P("95");
    ev_order(j, 2, TR_ORD_ACCEPTED, T(1), "0", "0", "0");
    ord_new(3, 0, TR_SELL, TR_ORD_LIMIT, TR_ROLE_TAKE_PROFIT, "10", T(1));
    g_ord[3].parent_id = 1;
    g_ord[3].oco_id = 2;
    g_ord[3].limit_price = P("110");
    ev_order(j, 3, TR_ORD_ACCEPTED, T(1), "0", "0", "0");
    ev_signal(j, T(1), 1, TR_SIGNAL_SELL, -1, 0.5, TR_RISK_MAX_POSITION,
              "position 20% of equity > 10%", "fast below slow");
    /* t2: the entry fills in two parts */
    ev_bar(j, T(2), 0, 2, "101", "103", "100", "102", "1100");
    ev_bar(j, T(2), 1, 2, "50", "50.5", "48.5", "49", "2100");
    ev_order(j, 1, TR_ORD_PARTIALLY_FILLED, T(2), "4", "101", "1");
    ev_fill(j, 1, T(2), "4", "101", "1");
    ev_order(j, 1, TR_ORD_FILLED, T(2), "10", "101.3", "2");
    ev_fill(j, 1, T(2), "6", "101.5", "1");
    ev_equity(j, T(2), "100005", "98985", "1020");
    /* t3: take profit, the stop is cancelled */
    ev_bar(j, T(3), 0, 1, "104", "111", "103", "109", "1200");
    ev_order(j, 3, TR_ORD_FILLED, T(3), "10", "110", "1");
    ev_fill(j, 3, T(3), "10", "110", "1");
    ev_order(j, 2, TR_ORD_CANCELED, T(3), "0", "0", "0");
    ev_equity(j, T(3), "100084", "100084", "0");
    ev_alert(j, T(3), TR_ALERT_DRAWDOWN,
             "drawdown 5.00% reached the 5.00% limit");
    ord_new(4, 1, TR_SELL, TR_ORD_MARKET, TR_ROLE_ENTRY, "20", T(3));
    ev_order(j, 4, TR_ORD_ACCEPTED, T(3), "0", "0", "0");
    /* t4: short BBB */
    ev_bar(j, T(4), 1, 1, "48", "49", "47", "48.5", "900");
    ev_order(j, 4, TR_ORD_FILLED, T(4), "20", "48", "1");
    ev_fill(j, 4, T(4), "20", "48", "1");
    ev_equity(j, T(4), "100073", "101043", "970");
    ord_new(5, 1, TR_BUY, TR_ORD_MARKET, TR_ROLE_ENTRY, "30", T(4));
    ev_order(j, 5, TR_ORD_ACCEPTED, T(4), "0", "0", "0");
    /* t5: one fill reverses it */
    ev_bar(j, T(5), 1, 1, "49", "50", "48", "49.5", "950");
    ev_order(j, 5, TR_ORD_FILLED, T(5), "30", "49", "1");
    ev_fill(j, 5, T(5), "30", "49", "1");
    ev_equity(j, T(5), "100067", "99572", "495");
    ev_control(j, T(5), TR_CTL_HALT, "api:alice");
    ev_alert(j, T(5), TR_ALERT_KILL_SWITCH, "kill switch on: no new entries");
    ord_new(6, 1, TR_SELL, TR_ORD_MARKET, TR_ROLE_EXIT, "3", T(5));
    ev_order(j, 6, TR_ORD_ACCEPTED, T(5), "0", "0", "0");
    /* t6: a torn step, voided; a restart; the step again */
    ev_bar(j, T(6), 0, 2, "1", "1", "1", "1", "1");
    put(j, TR_EV_VOID, T(6), NULL, 0);
    ev_session(j, WALL(10));
    ev_bar(j, T(6), 0, 2, "108", "109", "107", "108", "800");
    ev_bar(j, T(6), 1, 2, "50.9", "51.5", "50.5", "51", "700");
    ev_order(j, 6, TR_ORD_FILLED, T(6), "3", "50.9", "1");
    ev_fill(j, 6, T(6), "3", "50.9", "1");
    ev_equity(j, T(6), "100080.7", "99723.7", "357");
    ord_new(7, 1, TR_SELL, TR_ORD_LIMIT, TR_ROLE_EXIT, "7", T(6));
    g_ord[7].limit_price = P("55");
    ev_order(j, 7, TR_ORD_ACCEPTED, T(6), "0", "0", "0");
    put(j, TR_EV_STOP, WALL(20), NULL, 0);
    jclose(j);
}

/* A later start: a session and the step t7 (records 46..49). */
static void write_t7(const char *dir)
{
    tr_journal *j = jopen(dir);
    ev_session(j, WALL(30));
    ev_bar(j, T(7), 0, 2, "110", "111", "109", "110", "900");
    ev_bar(j, T(7), 1, 2, "51", "52.5", "50", "52", "800");
    ev_equity(j, T(7), "100087.7", "99723.7", "364");
    jclose(j);
}

/* ---- reading databases --------------------------------------------------- */

static sqlite3 *dbopen(const char *file)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "open %s: %s\n", file, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* One integer from a query; INT64_MIN when it fails or has no row. */
static int64_t q_int(const char *file, const char *sql)
{
    sqlite3 *db = dbopen(file);
    sqlite3_stmt *s = NULL;
    int64_t v = INT64_MIN;
    if (db && sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(s, 0);
    else if (db && !s)
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* The rows of a query, "|"-separated, one line each (static buffer). */
static const char *q_rows(const char *file, const char *sql)
{
    static char out[8192];
    size_t len = 0;
    out[0] = '\0';
    sqlite3 *db = dbopen(file);
    sqlite3_stmt *s = NULL;
    if (!db || sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, db ? sqlite3_errmsg(db) : "");
        snprintf(out, sizeof out, "ERROR");
    } else {
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(s); c++) {
                const unsigned char *t = sqlite3_column_text(s, c);
                len += (size_t)snprintf(out + len, sizeof out - len, "%s%s",
                                        c ? "|" : "",
                                        t ? (const char *)t : "NULL");
                if (len >= sizeof out)
                    len = sizeof out - 1;
            }
            len += (size_t)snprintf(out + len, sizeof out - len, "\n");
            if (len >= sizeof out)
                len = sizeof out - 1;
        }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

/* Every row of every data table, in key order (meta left out: it holds
 * wall-clock times). malloc'd. */
static char *dump(const char *file)
{
    static const char *const sql[] = {
        "SELECT * FROM symbols ORDER BY id",
        "SELECT * FROM bars ORDER BY sym, time",
        "SELECT * FROM signals ORDER BY seq",
        "SELECT * FROM orders ORDER BY id",
        "SELECT * FROM fills ORDER BY seq",
        "SELECT * FROM positions ORDER BY sym",
        "SELECT * FROM portfolio ORDER BY time",
        "SELECT * FROM risk_events ORDER BY seq",
        "SELECT * FROM audit_log ORDER BY id",
        "SELECT * FROM sessions ORDER BY seq",
        "SELECT * FROM control ORDER BY seq",
        "SELECT key, value FROM meta WHERE key IN ('last_seq', 'last_crc', "
        "'last_type', 'config', 'strategy', 'money_scale') ORDER BY key",
    };
    size_t cap = 1 << 16, len = 0;
    char *all = malloc(cap);
    all[0] = '\0';
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        const char *rows = q_rows(file, sql[i]);
        size_t n = strlen(sql[i]) + strlen(rows) + 2;
        while (len + n + 1 > cap)
            all = realloc(all, cap *= 2);
        len += (size_t)sprintf(all + len, "%s\n%s", sql[i], rows);
    }
    return all;
}

static int same_dump(const char *a, const char *b)
{
    char *x = dump(a), *y = dump(b);
    int same = !strcmp(x, y);
    if (!same) {
        /* show the first difference */
        size_t i = 0;
        while (x[i] && x[i] == y[i])
            i++;
        size_t from = i > 80 ? i - 80 : 0;
        fprintf(stderr, "dumps differ at %zu:\n--- %s\n%.160s\n--- %s\n"
                "%.160s\n", i, a, x + from, b, y + from);
    }
    free(x);
    free(y);
    return same;
}

static int project(const char *db, const char *journal, const tr_proj_opts *o,
                   uint64_t max, tr_proj_counts *c)
{
    tr_proj *p;
    char err[4800];
    int rc = tr_proj_open(db, journal, o, &p, err, sizeof err);
    if (rc != TR_OK) {
        fprintf(stderr, "open: %s\n", err);
        return rc;
    }
    int end;
    rc = tr_proj_catch_up(p, max, &end, c, err, sizeof err);
    if (rc != TR_OK)
        fprintf(stderr, "catch up: %s\n", err);
    tr_proj_close(p);
    return rc;
}

/* ---- the tests ----------------------------------------------------------- */

static void test_tables(const char *db)
{
    /* meta */
    CHECK_EQ_I64(q_int(db, "SELECT value FROM meta WHERE key = 'last_seq'"),
                 45);
    CHECK_STR(q_rows(db, "SELECT value FROM meta WHERE key IN ('last_type', "
                         "'config', 'strategy', 'money_scale') ORDER BY key"),
              "cfg/demo.yaml\nstop\n100000000\nsma\n");
    CHECK_EQ_I64(q_int(db, "PRAGMA user_version"), TR_PROJ_SCHEMA_VERSION);
    CHECK_STR(q_rows(db, "SELECT * FROM symbols"), "0|AAA\n1|BBB\n");
    CHECK_STR(q_rows(db, "SELECT seq, time_iso, config, strategy, nsyms "
                         "FROM sessions"),
              "1|2026-01-01T00:00:00Z|cfg/demo.yaml|sma|2\n"
              "38|2026-01-01T00:00:10Z|cfg/demo.yaml|sma|2\n");

    /* bars: the torn bar (seq 36) is gone, the step is there again */
    CHECK_EQ_I64(q_int(db, "SELECT COUNT(*) FROM bars"), 9);
    CHECK_EQ_I64(q_int(db, "SELECT COUNT(*) FROM bars WHERE sym = 0"), 4);
    CHECK_STR(q_rows(db, "SELECT sym, strftime('%Y-%m-%dT%H:%M:%SZ', "
                         "time / 1000000000, 'unixepoch'), o, h, l, c, v, "
                         "seq FROM bars WHERE time >= 1704326400000000000 "
                         "ORDER BY sym, time"),
              "0|2024-01-04T00:00:00Z|10400000000|11100000000|10300000000|"
              "10900000000|120000000000|17\n"
              "0|2024-01-07T00:00:00Z|10800000000|10900000000|10700000000|"
              "10800000000|80000000000|39\n"
              "1|2024-01-05T00:00:00Z|4800000000|4900000000|4700000000|"
              "4850000000|90000000000|24\n"
              "1|2024-01-06T00:00:00Z|4900000000|5000000000|4800000000|"
              "4950000000|95000000000|29\n"
              "1|2024-01-07T00:00:00Z|5090000000|5150000000|5050000000|"
              "5100000000|70000000000|40\n");

    /* signals */
    CHECK_STR(q_rows(db, "SELECT seq, time_iso, sym, action, target, "
                         "confidence, qty, stop, take_profit, strategy, "
                         "risk_reason, detail, reasons FROM signals"),
              "5|2024-01-02T00:00:00Z|0|buy|1|0.75|NULL|NULL|NULL|sma|ok||"
              "fast above slow\n"
              "9|2024-01-02T00:00:00Z|1|sell|-1|0.5|NULL|NULL|NULL|sma|"
              "max_position|position 20% of equity > 10%|fast below slow\n");

    /* orders: current state */
    CHECK_STR(q_rows(db, "SELECT id, parent_id, oco_id, sym, side, type, "
                         "tif, role, status, qty, filled_qty, avg_fill_price, "
                         "limit_price, stop_price, commission, created_iso, "
                         "updated_iso, reject_reason, strategy, seq "
                         "FROM orders ORDER BY id"),
              "1|NULL|NULL|0|buy|market|gtc|entry|filled|1000000000|"
              "1000000000|10130000000|NULL|NULL|200000000|"
              "2024-01-02T00:00:00Z|2024-01-03T00:00:00Z|NULL|sma|14\n"
              "2|1|3|0|sell|stop|gtc|stop_loss|canceled|1000000000|0|NULL|"
              "NULL|9500000000|0|2024-01-02T00:00:00Z|2024-01-04T00:00:00Z|"
              "NULL|sma|20\n"
              "3|1|2|0|sell|limit|gtc|take_profit|filled|1000000000|"
              "1000000000|11000000000|11000000000|NULL|100000000|"
              "2024-01-02T00:00:00Z|2024-01-04T00:00:00Z|NULL|sma|18\n"
              "4|NULL|NULL|1|sell|market|gtc|entry|filled|2000000000|"
              "2000000000|4800000000|NULL|NULL|100000000|"
              "2024-01-04T00:00:00Z|2024-01-05T00:00:00Z|NULL|sma|25\n"
              "5|NULL|NULL|1|buy|market|gtc|entry|filled|3000000000|"
              "3000000000|4900000000|NULL|NULL|100000000|"
              "2024-01-05T00:00:00Z|2024-01-06T00:00:00Z|NULL|sma|30\n"
              "6|NULL|NULL|1|sell|market|gtc|exit|filled|300000000|"
              "300000000|5090000000|NULL|NULL|100000000|"
              "2024-01-06T00:00:00Z|2024-01-07T00:00:00Z|NULL|sma|41\n"
              "7|NULL|NULL|1|sell|limit|gtc|exit|accepted|700000000|0|NULL|"
              "5500000000|NULL|0|2024-01-07T00:00:00Z|2024-01-07T00:00:00Z|"
              "NULL|sma|44\n");
    CHECK_EQ_I64(q_int(db, "SELECT COUNT(*) FROM orders WHERE status IN "
                           "('new', 'accepted', 'partially_filled')"), 1);

    /* fills */
    CHECK_STR(q_rows(db, "SELECT seq, order_id, time_iso, sym, side, role, "
                         "qty, price, commission FROM fills ORDER BY seq"),
              "13|1|2024-01-03T00:00:00Z|0|buy|entry|400000000|10100000000|"
              "100000000\n"
              "15|1|2024-01-03T00:00:00Z|0|buy|entry|600000000|10150000000|"
              "100000000\n"
              "19|3|2024-01-04T00:00:00Z|0|sell|take_profit|1000000000|"
              "11000000000|100000000\n"
              "26|4|2024-01-05T00:00:00Z|1|sell|entry|2000000000|4800000000|"
              "100000000\n"
              "31|5|2024-01-06T00:00:00Z|1|buy|entry|3000000000|4900000000|"
              "100000000\n"
              "42|6|2024-01-07T00:00:00Z|1|sell|exit|300000000|5090000000|"
              "100000000\n");

    /* positions, by hand (header comment) */
    CHECK_STR(q_rows(db, "SELECT sym, qty, avg_price, cost, realized_pnl, "
                         "commission, last_price, market_value, "
                         "unrealized_pnl, updated_iso, seq FROM positions "
                         "ORDER BY sym"),
              "0|0|0|0|8700000000|300000000|10800000000|0|0|"
              "2024-01-07T00:00:00Z|19\n"
              "1|700000000|4900000000|34300000000|-1430000000|300000000|"
              "5100000000|35700000000|1400000000|2024-01-07T00:00:00Z|42\n");
    /* the accounting identity against the last equity record */
    CHECK_EQ_I64(q_int(db, "SELECT (SELECT SUM(market_value) FROM positions)"
                           " + (SELECT cash FROM portfolio ORDER BY time "
                           "DESC LIMIT 1) - (SELECT equity FROM portfolio "
                           "ORDER BY time DESC LIMIT 1)"), 0);

    /* portfolio */
    CHECK_STR(q_rows(db, "SELECT time_iso, equity, cash, exposure, seq FROM "
                         "portfolio ORDER BY time"),
              "2024-01-02T00:00:00Z|10000000000000|10000000000000|0|4\n"
              "2024-01-03T00:00:00Z|10000500000000|9898500000000|"
              "102000000000|16\n"
              "2024-01-04T00:00:00Z|10008400000000|10008400000000|0|21\n"
              "2024-01-05T00:00:00Z|10007300000000|10104300000000|"
              "97000000000|27\n"
              "2024-01-06T00:00:00Z|10006700000000|9957200000000|"
              "49500000000|32\n"
              "2024-01-07T00:00:00Z|10008070000000|9972370000000|"
              "35700000000|43\n");

    /* risk events and control */
    CHECK_STR(q_rows(db, "SELECT seq, time_iso, kind, message FROM "
                         "risk_events ORDER BY seq"),
              "22|2024-01-04T00:00:00Z|drawdown|drawdown 5.00% reached the "
              "5.00% limit\n"
              "34|2024-01-06T00:00:00Z|kill_switch|kill switch on: no new "
              "entries\n");
    CHECK_STR(q_rows(db, "SELECT seq, time_iso, kind, who FROM control"),
              "33|2024-01-06T00:00:00Z|halt|api:alice\n");

    /* audit log: a submitted row, then one row per status change */
    CHECK_EQ_I64(q_int(db, "SELECT COUNT(*) FROM audit_log"), 21);
    CHECK_STR(q_rows(db, "SELECT seq, time_iso, action, who, before_status, "
                         "after_status, before_filled, after_filled FROM "
                         "audit_log WHERE order_id = 1 ORDER BY id"),
              "6|2024-01-02T00:00:00Z|submitted|sma|NULL|new|NULL|0\n"
              "6|2024-01-02T00:00:00Z|accepted|sma|new|accepted|0|0\n"
              "12|2024-01-03T00:00:00Z|partially_filled|sma|accepted|"
              "partially_filled|0|400000000\n"
              "14|2024-01-03T00:00:00Z|filled|sma|partially_filled|filled|"
              "400000000|1000000000\n");
    CHECK_STR(q_rows(db, "SELECT order_id, action, before_status, "
                         "after_status FROM audit_log WHERE order_id IN "
                         "(2, 7) ORDER BY id"),
              "2|submitted|NULL|new\n2|accepted|new|accepted\n"
              "2|canceled|accepted|canceled\n"
              "7|submitted|NULL|new\n7|accepted|new|accepted\n");
    CHECK_STR(q_rows(db, "SELECT action, COUNT(*) FROM audit_log GROUP BY "
                         "action ORDER BY action"),
              "accepted|7\ncanceled|1\nfilled|5\npartially_filled|1\n"
              "submitted|7\n");

    /* the indexes of migrations 2 and 3 */
    CHECK_EQ_I64(q_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = "
                           "'index' AND name IN ('orders_status', "
                           "'orders_sym', 'fills_sym_time', 'fills_order', "
                           "'signals_time', 'audit_log_order', "
                           "'signals_sym')"), 7);
    CHECK_STR(q_rows(db, "PRAGMA journal_mode"), "wal\n");
}

static void test_status(const char *db)
{
    tr_status s;
    char err[4800];
    CHECK(tr_status_read(db, &s, err, sizeof err) == TR_OK);
    CHECK_EQ_I64(s.schema_version, TR_PROJ_SCHEMA_VERSION);
    CHECK_EQ_I64(s.last_seq, 45);
    CHECK_STR(s.last_type, "stop");
    CHECK(!s.live);
    CHECK_EQ_I64(s.stopped_at, WALL(20));
    CHECK_EQ_I64(s.last_market_time, T(6));
    CHECK_EQ_I64(s.sessions, 2);
    CHECK_EQ_I64(s.started, WALL(10));
    CHECK_STR(s.strategy, "sma");
    CHECK(s.has_equity);
    CHECK_EQ_I64(s.equity, P("100080.7"));
    CHECK_EQ_I64(s.cash, P("99723.7"));
    CHECK_EQ_I64(s.exposure, P("357"));
    CHECK_EQ_I64(s.start_equity, P("100000"));
    CHECK_EQ_I64(s.day_base, P("100067"));
    CHECK_EQ_I64(s.day_pnl, P("13.7"));
    CHECK_EQ_I64(s.total_pnl, P("80.7"));
    CHECK(s.halt_kill_switch);
    CHECK(s.halt_drawdown);
    CHECK(!s.halt_daily_loss);
    CHECK_STR(s.halt_message, "kill switch on: no new entries");
    CHECK_EQ_I64(s.orders, 7);
    CHECK_EQ_I64(s.fills, 6);
    CHECK_EQ_I64(s.bars, 9);
    CHECK_EQ_I64(s.npositions, 1);
    if (s.npositions == 1) {
        CHECK_STR(s.positions[0].symbol, "BBB");
        CHECK_EQ_I64(s.positions[0].qty, P("7"));
        CHECK_EQ_I64(s.positions[0].avg_price, P("49"));
        CHECK_EQ_I64(s.positions[0].last_price, P("51"));
        CHECK_EQ_I64(s.positions[0].unrealized_pnl, P("14"));
        CHECK_EQ_I64(s.positions[0].realized_pnl, P("-14.3"));
    }
    CHECK_EQ_I64(s.nopen_orders, 1);
    if (s.nopen_orders == 1) {
        CHECK_EQ_I64(s.open_orders[0].id, 7);
        CHECK_STR(s.open_orders[0].status, "accepted");
        CHECK_EQ_I64(s.open_orders[0].limit_price, P("55"));
    }
    char *json = tr_status_json(&s, db, WALL(25));
    CHECK(json && strstr(json, "\"equity\":\"100080.7\""));
    CHECK(json && strstr(json, "\"day_pnl\":\"13.7\""));
    CHECK(json && strstr(json, "\"live\":false"));
    CHECK(json && strstr(json, "\"kill_switch\":true"));
    CHECK(json && strstr(json, "\"symbol\":\"BBB\",\"qty\":\"7\""));
    free(json);
    tr_status_free(&s);

    /* a missing database: a clear error */
    char missing[1200];
    snprintf(missing, sizeof missing, "%s.missing", db);
    CHECK(tr_status_read(missing, &s, err, sizeof err) == TR_ERR_NOT_FOUND);
    CHECK(strstr(err, "trader db rebuild -c CONFIG") != NULL);
}

/* The same rows however the work is cut up. */
static void test_idempotence(const char *dir, const char *journal,
                             const char *ref)
{
    tr_proj_counts c = {0};
    /* applying again changes nothing */
    CHECK(project(ref, journal, NULL, 0, &c) == TR_OK);
    CHECK_EQ_I64(c.records, 0);
    CHECK_EQ_I64(c.batches, 0);
    CHECK_EQ_I64(q_int(ref, "SELECT value FROM meta WHERE key = 'last_seq'"),
                 45);

    /* batches of 1 and 7 */
    tr_proj_opts one = {0, 0, 1}, seven = {0, 0, 7};
    const char *b1 = path(dir, "batch1.db");
    memset(&c, 0, sizeof c);
    CHECK(project(b1, journal, &one, 0, &c) == TR_OK);
    CHECK_EQ_I64(c.records, 45);
    CHECK_EQ_I64(c.batches, 45);
    CHECK(same_dump(ref, b1));
    const char *b7 = path(dir, "batch7.db");
    memset(&c, 0, sizeof c);
    CHECK(project(b7, journal, &seven, 0, &c) == TR_OK);
    CHECK_EQ_I64(c.batches, 7);
    CHECK(same_dump(ref, b7));

    /* restarts mid-way, one of them between the torn bar and its VOID */
    const char *r = path(dir, "restarts.db");
    CHECK(project(r, journal, NULL, 7, NULL) == TR_OK);
    CHECK_EQ_I64(q_int(r, "SELECT value FROM meta WHERE key = 'last_seq'"), 7);
    CHECK(project(r, journal, NULL, 29, NULL) == TR_OK);
    CHECK_EQ_I64(q_int(r, "SELECT value FROM meta WHERE key = 'last_seq'"), 36);
    CHECK_EQ_I64(q_int(r, "SELECT COUNT(*) FROM bars"), 8);
    CHECK_EQ_I64(q_int(r, "SELECT last_price FROM positions WHERE sym = 0"),
                 P("1")); /* marked by the torn bar, for now */
    CHECK(project(r, journal, NULL, 1, NULL) == TR_OK); /* the VOID */
    CHECK_EQ_I64(q_int(r, "SELECT COUNT(*) FROM bars"), 7);
    CHECK_EQ_I64(q_int(r, "SELECT last_price FROM positions WHERE sym = 0"),
                 P("109")); /* marked again from the bars that remain */
    CHECK_EQ_I64(q_int(r, "SELECT last_price FROM positions WHERE sym = 1"),
                 P("49.5"));
    CHECK(project(r, journal, NULL, 0, NULL) == TR_OK);
    CHECK(same_dump(ref, r));

    /* a batch that fails half-way is rolled back whole, then redone */
    const char *f = path(dir, "fault.db");
    CHECK(tr_proj_migrate(f, 0, NULL, NULL, (char[256]){0}, 256) == TR_OK);
    sqlite3 *db = dbopen(f);
    CHECK(db && sqlite3_exec(db, "CREATE TRIGGER inject BEFORE INSERT ON "
                                 "fills WHEN NEW.seq = 26 BEGIN SELECT "
                                 "RAISE(ABORT, 'injected failure'); END",
                             NULL, NULL, NULL) == SQLITE_OK);
    tr_proj_opts ten = {0, 0, 10};
    tr_proj *p;
    char err[4800];
    CHECK(tr_proj_open(f, journal, &ten, &p, err, sizeof err) == TR_OK);
    memset(&c, 0, sizeof c);
    int end = 0;
    CHECK(tr_proj_catch_up(p, 0, &end, &c, err, sizeof err) == TR_ERR_IO);
    CHECK(strstr(err, "injected failure") != NULL);
    CHECK(!end);
    CHECK_EQ_I64(tr_proj_last_seq(p), 20);
    CHECK_EQ_I64(c.records, 20);
    CHECK_EQ_I64(q_int(f, "SELECT value FROM meta WHERE key = 'last_seq'"), 20);
    CHECK_EQ_I64(q_int(f, "SELECT MAX(seq) FROM orders"), 20);
    CHECK_EQ_I64(q_int(f, "SELECT MAX(seq) FROM audit_log"), 20);
    CHECK_EQ_I64(q_int(f, "SELECT MAX(seq) FROM portfolio"), 16);
    CHECK_EQ_I64(q_int(f, "SELECT COUNT(*) FROM risk_events"), 0);
    CHECK_EQ_I64(q_int(f, "SELECT COUNT(*) FROM bars"), 5);
    CHECK(db && sqlite3_exec(db, "DROP TRIGGER inject", NULL, NULL, NULL) ==
                    SQLITE_OK);
    sqlite3_close(db);
    CHECK(tr_proj_catch_up(p, 0, &end, &c, err, sizeof err) == TR_OK);
    CHECK(end);
    CHECK_EQ_I64(c.records, 45);
    tr_proj_close(p);
    CHECK(same_dump(ref, f));
}

static void test_migrations(const char *dir, const char *journal,
                            const char *ref)
{
    char err[4800];
    int from = -1, to = -1;
    /* an empty file to version 1, then to the latest */
    const char *m = path(dir, "migrate.db");
    CHECK(tr_proj_migrate(m, 1, &from, &to, err, sizeof err) == TR_OK);
    CHECK_EQ_I64(from, 0);
    CHECK_EQ_I64(to, 1);
    CHECK_EQ_I64(q_int(m, "PRAGMA user_version"), 1);
    CHECK_EQ_I64(q_int(m, "SELECT COUNT(*) FROM sqlite_master WHERE type = "
                          "'index' AND name = 'orders_status'"), 0);
    CHECK_EQ_I64(q_int(m, "SELECT COUNT(*) FROM sqlite_master WHERE type = "
                          "'table' AND name = 'audit_log'"), 1);
    CHECK(tr_proj_migrate(m, 0, &from, &to, err, sizeof err) == TR_OK);
    CHECK_EQ_I64(from, 1);
    CHECK_EQ_I64(to, TR_PROJ_SCHEMA_VERSION);
    CHECK_EQ_I64(q_int(m, "SELECT COUNT(*) FROM sqlite_master WHERE type = "
                          "'index' AND name = 'orders_status'"), 1);
    CHECK(tr_proj_migrate(m, 0, &from, &to, err, sizeof err) == TR_OK);
    CHECK_EQ_I64(from, to);
    CHECK(tr_proj_migrate(m, 1, &from, &to, err, sizeof err) ==
          TR_ERR_INVALID); /* no down-migrations */

    /* data projected at version 1 survives the migration */
    const char *old = path(dir, "old.db");
    CHECK(tr_proj_migrate(old, 1, NULL, NULL, err, sizeof err) == TR_OK);
    sqlite3 *db = dbopen(old);
    CHECK(db && sqlite3_exec(db, "INSERT INTO symbols VALUES (0, 'AAA')",
                             NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK(tr_proj_migrate(old, 0, &from, &to, err, sizeof err) == TR_OK);
    CHECK_EQ_I64(from, 1);
    CHECK_STR(q_rows(old, "SELECT * FROM symbols"), "0|AAA\n");
    CHECK(project(old, journal, NULL, 0, NULL) == TR_OK);
    CHECK(same_dump(ref, old));

    /* a newer schema and a foreign database are refused */
    const char *newer = path(dir, "newer.db");
    CHECK(tr_proj_migrate(newer, 0, NULL, NULL, err, sizeof err) == TR_OK);
    db = dbopen(newer);
    CHECK(db && sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
                             NULL) == SQLITE_OK);
    sqlite3_close(db);
    tr_proj *p = NULL;
    CHECK(tr_proj_open(newer, journal, NULL, &p, err, sizeof err) ==
          TR_ERR_DATA);
    CHECK(strstr(err, "newer than this build") != NULL);
    tr_status st;
    CHECK(tr_status_read(newer, &st, err, sizeof err) == TR_ERR_DATA);
    const char *foreign = path(dir, "foreign.db");
    db = NULL;
    CHECK(sqlite3_open(foreign, &db) == SQLITE_OK &&
          sqlite3_exec(db, "CREATE TABLE mine (x)", NULL, NULL, NULL) ==
              SQLITE_OK);
    sqlite3_close(db);
    CHECK(tr_proj_open(foreign, journal, NULL, &p, err, sizeof err) ==
          TR_ERR_DATA);
    CHECK(strstr(err, "not a trader database") != NULL);
    tr_proj_counts c = {0};
    CHECK(tr_proj_rebuild(journal, foreign, &c, err, sizeof err) ==
          TR_ERR_DATA);
    CHECK(strstr(err, "not overwriting") != NULL);
    CHECK_EQ_I64(q_int(foreign, "SELECT COUNT(*) FROM mine"), 0);
}

static void test_rebuild(const char *dir, const char *journal,
                         const char *ref)
{
    char err[4800];
    tr_proj_counts c = {0};
    const char *r = path(dir, "rebuilt.db");
    CHECK(tr_proj_rebuild(journal, r, &c, err, sizeof err) == TR_OK);
    CHECK_EQ_I64(c.records, 45);
    CHECK(same_dump(ref, r));
    CHECK(access(path(dir, "rebuilt.db.tmp"), F_OK) != 0);

    /* over an existing database, in WAL mode, while a reader is inside a
     * read transaction: it keeps its snapshot, then sees the new rows */
    CHECK(project(r, journal, NULL, 0, NULL) == TR_OK); /* now in WAL */
    sqlite3 *w = dbopen(r);
    CHECK(w && sqlite3_exec(w, "DELETE FROM fills", NULL, NULL, NULL) ==
                   SQLITE_OK); /* an old copy that differs */
    sqlite3_close(w);
    sqlite3 *reader = dbopen(r);
    sqlite3_stmt *s = NULL;
    CHECK(reader && sqlite3_exec(reader, "BEGIN", NULL, NULL, NULL) ==
                        SQLITE_OK);
    CHECK(reader && sqlite3_prepare_v2(reader, "SELECT COUNT(*) FROM fills",
                                       -1, &s, NULL) == SQLITE_OK);
    CHECK(s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0);
    CHECK(s && sqlite3_reset(s) == SQLITE_OK);
    memset(&c, 0, sizeof c);
    CHECK(tr_proj_rebuild(journal, r, &c, err, sizeof err) == TR_OK);
    CHECK(s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0);
    CHECK(s && sqlite3_reset(s) == SQLITE_OK);
    CHECK(reader && sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL) ==
                        SQLITE_OK);
    CHECK(s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 6);
    sqlite3_finalize(s);
    sqlite3_close(reader);
    CHECK(same_dump(ref, r));
    CHECK_STR(q_rows(r, "PRAGMA journal_mode"), "wal\n");
    CHECK_STR(q_rows(r, "PRAGMA integrity_check"), "ok\n");

    /* a file that is not SQLite at all is replaced */
    const char *junk = path(dir, "junk.db");
    FILE *fp = fopen(junk, "w");
    fputs("this is not a database, but it is long enough to look like one "
          "to somebody who does not read the header carefully at all......",
          fp);
    fclose(fp);
    CHECK(tr_proj_rebuild(journal, junk, &c, err, sizeof err) == TR_OK);
    CHECK(same_dump(ref, junk));

    /* no journal */
    CHECK(tr_proj_rebuild(path(dir, "nothing"), r, &c, err, sizeof err) ==
          TR_ERR_NOT_FOUND);

    /* another journal than the one the database was built from */
    const char *other = path(dir, "other-journal");
    tr_journal *j = jopen(other);
    ev_session(j, WALL(99));
    ev_bar(j, T(1), 0, 1, "1", "1", "1", "1", "1");
    jclose(j);
    tr_proj *p;
    CHECK(tr_proj_open(r, other, NULL, &p, err, sizeof err) == TR_OK);
    int end;
    CHECK(tr_proj_catch_up(p, 0, &end, NULL, err, sizeof err) == TR_ERR_DATA);
    CHECK(strstr(err, "another journal") != NULL);
    tr_proj_close(p);
    CHECK(same_dump(ref, r)); /* untouched */

    /* a damaged journal: rebuild installs what comes before the damage */
    const char *dmg = path(dir, "damaged-journal");
    j = jopen(dmg);
    ev_session(j, WALL(0));
    ev_bar(j, T(1), 0, 1, "1", "2", "0.5", "1.5", "10");
    ev_bar(j, T(2), 0, 1, "1", "2", "0.5", "1.5", "10");
    jclose(j);
    char seg[1200];
    snprintf(seg, sizeof seg, "%s/%020d.seg", dmg, 1);
    int fd = open(seg, O_RDWR);
    struct stat sb;
    CHECK(fd >= 0 && fstat(fd, &sb) == 0);
    CHECK(pwrite(fd, "X", 1, sb.st_size - 3) == 1); /* the last record */
    close(fd);
    const char *d = path(dir, "damaged.db");
    memset(&c, 0, sizeof c);
    CHECK(tr_proj_rebuild(dmg, d, &c, err, sizeof err) == TR_ERR_DATA);
    CHECK_MSG(strstr(err, "records up to 2") != NULL, "%s", err);
    CHECK_EQ_I64(q_int(d, "SELECT value FROM meta WHERE key = 'last_seq'"), 2);
    CHECK_EQ_I64(q_int(d, "SELECT COUNT(*) FROM bars"), 1);
}

/* Wait until cond holds (checked every 20 ms) or ms pass. */
#define WAIT_FOR(cond, ms)                                                     \
    do {                                                                       \
        for (int w_ = 0; w_ < (ms) / 20 && !(cond); w_++)                      \
            sleep_ms(20);                                                      \
    } while (0)

static size_t count_in_file(const char *file, const char *needle)
{
    FILE *fp = fopen(file, "r");
    if (!fp)
        return 0;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, fp), k = 0;
    fclose(fp);
    buf[n] = '\0';
    for (const char *s = buf; (s = strstr(s, needle)); s++)
        k++;
    return k;
}

/* meta.last_seq, or -1 while the file or its schema is not there yet. */
static int64_t db_last_seq(const char *db)
{
    if (access(db, F_OK) != 0 ||
        q_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = "
                  "'meta'") != 1)
        return -1;
    return q_int(db, "SELECT value FROM meta WHERE key = 'last_seq'");
}

static void test_follower(const char *dir, const char *ref)
{
    char err[4800];
    const char *journal = path(dir, "follow-journal");
    char jdir[1024], db[1024], logf[1024];
    snprintf(jdir, sizeof jdir, "%s", journal);
    snprintf(db, sizeof db, "%s/follow/trader.db", dir);
    snprintf(logf, sizeof logf, "%s/follow.log", dir);
    int lfd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    tr_log_set_fd(lfd);

    /* started before the journal exists: waits for it */
    tr_proj_follower *f = NULL;
    CHECK(tr_proj_follow_start(jdir, db, &f, err, sizeof err) == TR_OK);
    sleep_ms(150);
    CHECK_EQ_I64(tr_proj_follow_last_seq(f), 0);
    write_scenario(jdir);
    WAIT_FOR(tr_proj_follow_last_seq(f) == 45, 5000);
    CHECK_EQ_I64(tr_proj_follow_last_seq(f), 45);
    CHECK(same_dump(ref, db));

    /* a locked database: retried, logged once, caught up after release */
    sqlite3 *lock = dbopen(db);
    CHECK(lock && sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
                      SQLITE_OK);
    write_t7(jdir);
    sleep_ms(1500);
    CHECK_EQ_I64(tr_proj_follow_last_seq(f), 45);
    CHECK_EQ_I64(count_in_file(logf, "is locked by another connection"), 1);
    CHECK(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(lock);
    WAIT_FOR(tr_proj_follow_last_seq(f) == 49, 10000);
    CHECK_EQ_I64(tr_proj_follow_last_seq(f), 49);
    CHECK_EQ_I64(db_last_seq(db), 49);
    CHECK_EQ_I64(q_int(db, "SELECT last_price FROM positions WHERE sym = 1"),
                 P("52"));
    CHECK_EQ_I64(q_int(db, "SELECT market_value FROM positions WHERE sym = 1"),
                 P("364"));
    CHECK_EQ_I64(count_in_file(logf, "is being projected again"), 1);
    tr_status st;
    CHECK(tr_status_read(db, &st, err, sizeof err) == TR_OK);
    CHECK(st.live); /* no stop after the last start */
    CHECK_EQ_I64(st.equity, P("100087.7"));
    tr_status_free(&st);

    /* the database removed: recreated and rebuilt from the journal */
    const char *full = path(dir, "follow-ref.db");
    CHECK(tr_proj_rebuild(jdir, full, NULL, err, sizeof err) == TR_OK);
    char side[1100];
    CHECK(unlink(db) == 0);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
    WAIT_FOR(db_last_seq(db) == 49, 10000);
    CHECK_EQ_I64(db_last_seq(db), 49);
    CHECK(same_dump(full, db));
    CHECK_EQ_I64(count_in_file(logf, "was removed or replaced"), 1);

    /* the journal replaced by another: the database follows the new one */
    rm_tree(jdir);
    tr_journal *j = jopen(jdir);
    ev_session(j, WALL(50));
    ev_bar(j, T(1), 0, 1, "5", "6", "4", "5.5", "10");
    ev_equity(j, T(1), "1000", "1000", "0");
    jclose(j);
    WAIT_FOR(db_last_seq(db) == 3 &&
                 q_int(db, "SELECT COUNT(*) FROM sessions") == 1,
             10000);
    CHECK_EQ_I64(db_last_seq(db), 3);
    CHECK_EQ_I64(q_int(db, "SELECT COUNT(*) FROM sessions"), 1);
    CHECK_EQ_I64(q_int(db, "SELECT COUNT(*) FROM fills"), 0);
    CHECK(count_in_file(logf, "built from another journal") >= 1);

    /* stop drains: records appended just before are in the database */
    j = jopen(jdir);
    ev_bar(j, T(2), 0, 1, "5", "6", "4", "5.25", "10");
    ev_equity(j, T(2), "1000", "1000", "0");
    put(j, TR_EV_STOP, WALL(60), NULL, 0);
    jclose(j);
    CHECK(tr_proj_follow_stop(f) == TR_OK);
    CHECK_EQ_I64(db_last_seq(db), 6);
    CHECK_STR(q_rows(db, "SELECT value FROM meta WHERE key = 'last_type'"),
              "stop\n");
    CHECK(tr_proj_follow_stop(NULL) == TR_OK);

    tr_log_set_fd(2);
    close(lfd);
}

int main(void)
{
    char *dir = mktmp();
    char journal[1024], ref[1024];
    snprintf(journal, sizeof journal, "%s/journal", dir);
    snprintf(ref, sizeof ref, "%s/db/ref.db", dir);
    write_scenario(journal);

    tr_proj_counts c = {0};
    CHECK(project(ref, journal, NULL, 0, &c) == TR_OK);
    CHECK_EQ_I64(c.records, 45);
    CHECK_EQ_I64(c.batches, 1);
    CHECK_EQ_I64(c.skipped, 0);
    test_tables(ref);
    test_status(ref);
    test_idempotence(dir, journal, ref);
    test_migrations(dir, journal, ref);
    test_rebuild(dir, journal, ref);
    test_follower(dir, ref);

    rm_tree(dir);
    free(dir);
    return test_summary();
}
