/* keys.c: the API key store: a SQLite file of key hashes and identities,
 * and the in-memory view that verifies keys for the API (see auth.h).
 *
 * Design. A tr_keys owns one connection (guarded by db_mu) and a view: an
 * array of every key (revoked ones too) with an open-addressing table by id
 * (guarded by view_mu). A verify hashes the key, looks its id up in the
 * view and compares the whole SHA-256 in constant time; it touches the file
 * only to keep the view fresh:
 *
 *  - about every TR_KEYS_REFRESH_NS one verify (the one that wins a
 *    compare-and-swap of last_check, and only if db_mu is free) reads
 *    PRAGMA data_version, which changes when another connection committed,
 *    and reloads the view when it changed;
 *  - a verify that finds the last successful look (fresh_at) older than
 *    TR_KEYS_MAX_STALE_NS waits for db_mu and looks itself, and refuses
 *    when that fails: a revocation is never missed for longer, even after
 *    an idle period or while the file is unreadable.
 *
 * This handle's own writes do not change its data_version, so create and
 * revoke reload the view at once. Lock order: db_mu before view_mu. Uses
 * recorded by verifies live in the view (carried over reloads) until
 * tr_keys_flush_usage writes them. */
#include "api/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/files.h"

#define SCHEMA_VERSION 1
#define APPLICATION_ID 0x74726b73 /* "trks" */
#define BUSY_MS        5000
#define NEVER          INT64_MIN

static const char schema_v1[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE keys ("
    " id TEXT PRIMARY KEY"
    "  CHECK (length(id) = 8 AND id NOT GLOB '*[^0-9a-f]*'),"
    " name TEXT NOT NULL DEFAULT '',"
    " role TEXT NOT NULL CHECK (role IN ('viewer', 'trader', 'admin')),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32),"
    " created_at INTEGER NOT NULL,"
    " last_used_at INTEGER,"
    " revoked_at INTEGER);"
    "CREATE UNIQUE INDEX keys_active_name ON keys(name)"
    " WHERE revoked_at IS NULL AND name <> '';";

typedef struct entry {
    tr_key_info info;
    uint8_t hash[TR_SHA256_LEN];
    tr_time used;    /* the latest verify since open; 0 = none */
    tr_time flushed; /* the latest use written to the file */
} entry;

typedef struct view {
    entry *e;
    size_t n;
    uint32_t *slot; /* index + 1 into e; 0 = empty */
    size_t mask;    /* slots - 1 (a power of two minus one) */
} view;

struct tr_keys {
    char *path;
    pthread_mutex_t db_mu; /* guards db and data_version */
    sqlite3 *db;
    int64_t data_version;
    uint8_t secret[TR_JWT_SECRET_LEN]; /* set at open, then read-only */
    pthread_mutex_t view_mu;           /* guards view */
    view view;
    _Atomic int64_t last_check; /* the last claimed look at the file */
    _Atomic int64_t fresh_at;   /* the last successful look */
    _Atomic uint64_t reloads;
};

/* ---- small helpers ---------------------------------------------------- */

static int sql_err(tr_keys *ks, int rc, const char *what, char *err,
                   size_t errlen)
{
    tr_errf(err, errlen, "%s: %s: %s", ks->path, what, sqlite3_errmsg(ks->db));
    return rc == SQLITE_NOMEM ? TR_ERR_NOMEM : TR_ERR_IO;
}

static int exec(tr_keys *ks, const char *sql, char *err, size_t errlen)
{
    int rc = sqlite3_exec(ks->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? TR_OK : sql_err(ks, rc, sql, err, errlen);
}

static void rollback(tr_keys *ks)
{
    if (!sqlite3_get_autocommit(ks->db))
        (void)sqlite3_exec(ks->db, "ROLLBACK", NULL, NULL, NULL);
}

/* One integer from a one-row query; 0 when there is no row. */
static int query_int(tr_keys *ks, const char *sql, int64_t *out, char *err,
                     size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(ks->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    int ret = rc == SQLITE_OK ? TR_OK : sql_err(ks, rc, sql, err, errlen);
    sqlite3_finalize(s);
    return ret;
}

static int is_hex_id(const char *s, size_t n)
{
    if (n != TR_KEY_ID_LEN) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Ids are random hex, so their value is a good hash. */
static uint32_t id_hash(const char *id)
{
    uint32_t h = 0;
    for (int i = 0; i < TR_KEY_ID_LEN; i++)
        h = h << 4 | (uint32_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
    return h;
}

/* due: the periodic look is due (or the clock went back past it). */
static int due(tr_time now, tr_time then, tr_time every)
{
    if (then == NEVER) return 1;
    if (now < then) return then - now > every;
    return (uint64_t)now - (uint64_t)then >= (uint64_t)every;
}

static int stale(tr_time now, tr_time fresh)
{
    if (fresh == NEVER) return 1;
    if (now < fresh) return fresh - now > TR_KEYS_MAX_STALE_NS;
    return (uint64_t)now - (uint64_t)fresh > (uint64_t)TR_KEYS_MAX_STALE_NS;
}

/* ---- the view ----------------------------------------------------------- */

static entry *view_find(const view *v, const char *id, size_t idlen)
{
    if (!v->slot || !is_hex_id(id, idlen)) return NULL;
    for (size_t i = id_hash(id) & v->mask;; i = (i + 1) & v->mask) {
        uint32_t k = v->slot[i];
        if (!k) return NULL;
        if (!memcmp(v->e[k - 1].info.id, id, TR_KEY_ID_LEN))
            return &v->e[k - 1];
    }
}

static void view_free(view *v)
{
    free(v->e);
    free(v->slot);
    memset(v, 0, sizeof *v);
}

static int view_index(view *v)
{
    size_t cap = 16;
    while (cap < v->n * 2)
        cap *= 2;
    v->slot = calloc(cap, sizeof *v->slot);
    if (!v->slot) return TR_ERR_NOMEM;
    v->mask = cap - 1;
    for (size_t k = 0; k < v->n; k++) {
        size_t i = id_hash(v->e[k].info.id) & v->mask;
        while (v->slot[i])
            i = (i + 1) & v->mask;
        v->slot[i] = (uint32_t)k + 1;
    }
    return TR_OK;
}

/* Read every key into a new view, with data_version read first so that a
 * commit racing with the read makes the next look reload again. db_mu held. */
static int load(tr_keys *ks, char *err, size_t errlen)
{
    int64_t dv;
    int rc = query_int(ks, "PRAGMA data_version", &dv, err, errlen);
    if (rc != TR_OK) return rc;
    view nv = {0};
    size_t cap = 0;
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(
        ks->db,
        "SELECT id, name, role, hash, created_at, coalesce(last_used_at, 0),"
        " coalesce(revoked_at, 0) FROM keys",
        -1, &s, NULL);
    for (; src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW;
         src = SQLITE_OK) {
        if (nv.n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            entry *e = realloc(nv.e, ncap * sizeof *e);
            if (!e) {
                rc = TR_ERR_NOMEM;
                break;
            }
            nv.e = e;
            cap = ncap;
        }
        entry *e = &nv.e[nv.n];
        memset(e, 0, sizeof *e);
        const char *id = (const char *)sqlite3_column_text(s, 0);
        const char *name = (const char *)sqlite3_column_text(s, 1);
        const char *role = (const char *)sqlite3_column_text(s, 2);
        const void *hash = sqlite3_column_blob(s, 3);
        if (!id || !is_hex_id(id, strlen(id)) || !name ||
            strlen(name) > TR_KEY_NAME_MAX || !role ||
            tr_role_parse(role, &e->info.role, NULL, 0) != TR_OK || !hash ||
            sqlite3_column_bytes(s, 3) != TR_SHA256_LEN) {
            tr_errf(err, errlen, "%s: a damaged key row (id %.16s)", ks->path,
                    id ? id : "NULL");
            rc = TR_ERR_DATA;
            break;
        }
        memcpy(e->info.id, id, TR_KEY_ID_LEN + 1);
        memcpy(e->info.name, name, strlen(name) + 1);
        memcpy(e->hash, hash, TR_SHA256_LEN);
        e->info.created_at = sqlite3_column_int64(s, 4);
        e->info.last_used_at = sqlite3_column_int64(s, 5);
        e->info.revoked_at = sqlite3_column_int64(s, 6);
        e->flushed = e->info.last_used_at;
        nv.n++;
    }
    if (rc == TR_OK && src != SQLITE_DONE)
        rc = sql_err(ks, src, "reading the keys", err, errlen);
    sqlite3_finalize(s);
    if (rc == TR_OK) rc = view_index(&nv);
    if (rc != TR_OK) {
        view_free(&nv);
        return rc;
    }
    pthread_mutex_lock(&ks->view_mu);
    for (size_t k = 0; k < nv.n; k++) {
        const entry *old = view_find(&ks->view, nv.e[k].info.id, TR_KEY_ID_LEN);
        if (old) {
            nv.e[k].used = old->used;
            if (old->flushed > nv.e[k].flushed) nv.e[k].flushed = old->flushed;
        }
    }
    view ov = ks->view;
    ks->view = nv;
    pthread_mutex_unlock(&ks->view_mu);
    view_free(&ov);
    ks->data_version = dv;
    atomic_fetch_add(&ks->reloads, 1);
    return TR_OK;
}

/* A look at the file at time now: reload when another connection
 * committed. db_mu held. */
static int look(tr_keys *ks, tr_time now)
{
    int64_t dv;
    char ignored[256];
    int rc = query_int(ks, "PRAGMA data_version", &dv, ignored, sizeof ignored);
    if (rc == TR_OK && dv != ks->data_version)
        rc = load(ks, ignored, sizeof ignored);
    if (rc == TR_OK) atomic_store(&ks->fresh_at, now);
    return rc;
}

/* After a commit of ours (which leaves data_version alone): reload now. A
 * failed reload leaves the view stale: verify then looks again, and
 * refuses everything once it is older than the limit. db_mu held. */
static void reload_own(tr_keys *ks, tr_time now, char *err, size_t errlen)
{
    if (load(ks, err, errlen) == TR_OK)
        atomic_store(&ks->fresh_at, now);
    else
        ks->data_version = -1; /* the next look reloads */
}

/* Make sure the view is fresh enough to answer at time now. */
static int ensure_fresh(tr_keys *ks, tr_time now, const char **reason)
{
    int64_t lc = atomic_load(&ks->last_check);
    if (due(now, lc, TR_KEYS_REFRESH_NS) &&
        atomic_compare_exchange_strong(&ks->last_check, &lc, now) &&
        pthread_mutex_trylock(&ks->db_mu) == 0) {
        (void)look(ks, now); /* on failure the staleness rule decides */
        pthread_mutex_unlock(&ks->db_mu);
    }
    if (!stale(now, atomic_load(&ks->fresh_at))) return TR_OK;
    pthread_mutex_lock(&ks->db_mu);
    int rc = TR_OK;
    if (stale(now, atomic_load(&ks->fresh_at))) {
        rc = look(ks, now);
        atomic_store(&ks->last_check, now);
    }
    pthread_mutex_unlock(&ks->db_mu);
    if (rc != TR_OK) {
        if (reason) *reason = "key store unavailable";
        return TR_ERR_IO;
    }
    return TR_OK;
}

/* Look up an active key by id (and hash when given) and record its use. */
static int identify(tr_keys *ks, const char *id, size_t idlen,
                    const uint8_t *hash, tr_time now, tr_key_info *out,
                    const char **reason)
{
    int rc = TR_OK;
    const char *why = NULL;
    pthread_mutex_lock(&ks->view_mu);
    entry *e = view_find(&ks->view, id, idlen);
    if (!e || (hash && CRYPTO_memcmp(e->hash, hash, TR_SHA256_LEN) != 0)) {
        why = hash ? "unknown API key" : "unknown key";
        rc = TR_ERR_NOT_FOUND;
    } else if (e->info.revoked_at) {
        why = "API key revoked";
        rc = TR_ERR_NOT_FOUND;
    } else {
        if (out) *out = e->info;
        if (now > e->used) e->used = now;
    }
    pthread_mutex_unlock(&ks->view_mu);
    if (why && reason) *reason = why;
    return rc;
}

/* ---- opening ------------------------------------------------------------ */

/* Make the parent folder (create), then the file with mode 0600. */
static int prepare_file(const char *path, int create, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    if (create && slash && slash != path) {
        char dir[4096];
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir) {
            tr_errf(err, errlen, "%s: path too long", path);
            return TR_ERR_INVALID;
        }
        memcpy(dir, path, n);
        dir[n] = '\0';
        if (tr_mkdir_p(dir) != 0) {
            tr_errf(err, errlen, "%s: cannot create the folder: %s", dir,
                    strerror(errno));
            return TR_ERR_IO;
        }
    }
    int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
    if (fd < 0) {
        if (errno == ENOENT) {
            tr_errf(err, errlen,
                    "%s: no key store here (`trader keys "
                    "create` makes one)",
                    path);
            return TR_ERR_NOT_FOUND;
        }
        tr_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return TR_ERR_IO;
    }
    struct stat st;
    int rc = TR_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        tr_errf(err, errlen, "%s: not a regular file", path);
        rc = TR_ERR_IO;
    }
    close(fd);
    return rc;
}

/* Take group and other permissions off the key store and its -wal and
 * -shm (once it is known to be a key store: a file given by mistake is
 * left alone). SQLite makes the side files with the database's mode. */
static int make_private(const char *path, char *err, size_t errlen)
{
    for (int i = 0; i < 3; i++) {
        char file[4200];
        struct stat st;
        snprintf(file, sizeof file, "%s%s", path,
                 i == 0   ? ""
                 : i == 1 ? "-wal"
                          : "-shm");
        if (stat(file, &st) == 0 && (st.st_mode & 077) &&
            chmod(file, 0600) != 0) {
            tr_errf(err, errlen,
                    "%s: has mode %03o and cannot be made 0600: "
                    "%s",
                    file, (unsigned)(st.st_mode & 0777), strerror(errno));
            return TR_ERR_IO;
        }
    }
    return TR_OK;
}

/* In one write transaction: check that the file is a key store (or empty),
 * create the schema, and read (or make) the JWT secret. */
static int init_store(tr_keys *ks, char *err, size_t errlen)
{
    int rc = exec(ks, "BEGIN IMMEDIATE", err, errlen);
    if (rc != TR_OK) return rc;
    int64_t version = 0, app = 0, ntables = 0;
    rc = query_int(ks, "PRAGMA user_version", &version, err, errlen);
    if (rc == TR_OK)
        rc = query_int(ks, "PRAGMA application_id", &app, err, errlen);
    if (rc == TR_OK)
        rc = query_int(ks, "SELECT count(*) FROM sqlite_master", &ntables, err,
                       errlen);
    if (rc == TR_OK && version == 0 && ntables == 0) {
        char sql[64];
        rc = exec(ks, schema_v1, err, errlen);
        snprintf(sql, sizeof sql,
                 "PRAGMA application_id = %d;"
                 "PRAGMA user_version = %d",
                 APPLICATION_ID, SCHEMA_VERSION);
        if (rc == TR_OK) rc = exec(ks, sql, err, errlen);
        version = SCHEMA_VERSION;
        app = APPLICATION_ID;
    }
    if (rc == TR_OK && app != APPLICATION_ID) {
        tr_errf(err, errlen, "%s: not a trader key store", ks->path);
        rc = TR_ERR_DATA;
    } else if (rc == TR_OK && version != SCHEMA_VERSION) {
        tr_errf(err, errlen,
                "%s: key store version %" PRId64 " (this build "
                "knows %d)",
                ks->path, version, SCHEMA_VERSION);
        rc = TR_ERR_DATA;
    }

    sqlite3_stmt *s = NULL;
    if (rc == TR_OK) {
        int src = sqlite3_prepare_v2(
            ks->db, "SELECT value FROM meta WHERE key = 'jwt_secret'", -1, &s,
            NULL);
        if (src == SQLITE_OK) src = sqlite3_step(s);
        if (src == SQLITE_ROW &&
            sqlite3_column_bytes(s, 0) == TR_JWT_SECRET_LEN) {
            memcpy(ks->secret, sqlite3_column_blob(s, 0), TR_JWT_SECRET_LEN);
        } else if (src == SQLITE_ROW) {
            tr_errf(err, errlen, "%s: the JWT secret is damaged", ks->path);
            rc = TR_ERR_DATA;
        } else if (src != SQLITE_DONE) {
            rc = sql_err(ks, src, "reading the JWT secret", err, errlen);
        } else if (RAND_bytes(ks->secret, TR_JWT_SECRET_LEN) != 1) {
            tr_errf(err, errlen, "no random bytes for the JWT secret");
            rc = TR_ERR_IO;
        } else {
            sqlite3_finalize(s);
            s = NULL;
            src = sqlite3_prepare_v2(
                ks->db, "INSERT INTO meta VALUES ('jwt_secret', ?)", -1, &s,
                NULL);
            if (src == SQLITE_OK)
                src = sqlite3_bind_blob(s, 1, ks->secret, TR_JWT_SECRET_LEN,
                                        SQLITE_STATIC);
            if (src == SQLITE_OK) src = sqlite3_step(s);
            if (src != SQLITE_DONE)
                rc = sql_err(ks, src, "storing the JWT secret", err, errlen);
        }
        sqlite3_finalize(s);
    }
    if (rc == TR_OK) rc = exec(ks, "COMMIT", err, errlen);
    if (rc != TR_OK) rollback(ks);
    return rc;
}

int tr_keys_open(const char *path, int create, tr_keys **out, char *err,
                 size_t errlen)
{
    int rc = prepare_file(path, create, err, errlen);
    if (rc != TR_OK) return rc;
    tr_keys *ks = calloc(1, sizeof *ks);
    if (!ks || !(ks->path = strdup(path))) {
        free(ks);
        return TR_ERR_NOMEM;
    }
    pthread_mutex_init(&ks->db_mu, NULL);
    pthread_mutex_init(&ks->view_mu, NULL);
    atomic_init(&ks->last_check, NEVER);
    atomic_init(&ks->fresh_at, NEVER);
    atomic_init(&ks->reloads, 0);
    int src = sqlite3_open_v2(
        path, &ks->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = ks->db ? sql_err(ks, src, "cannot open", err, errlen)
                    : TR_ERR_NOMEM;
        tr_keys_close(ks);
        return rc;
    }
    sqlite3_busy_timeout(ks->db, BUSY_MS);
    /* WAL: the API's reads never wait for `trader keys` writes; FULL: a
     * revocation that was reported done survives a power cut. */
    char mode[16] = "";
    sqlite3_stmt *s = NULL;
    src = sqlite3_prepare_v2(ks->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (src == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_text(s, 0))
        snprintf(mode, sizeof mode, "%s",
                 (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (strcmp(mode, "wal") != 0) {
        rc = sql_err(ks, src,
                     "cannot use WAL mode (not a database, or no "
                     "shared memory)",
                     err, errlen);
        if (sqlite3_errcode(ks->db) == SQLITE_NOTADB) {
            tr_errf(err, errlen, "%s: not a trader key store", path);
            rc = TR_ERR_DATA;
        }
    }
    if (rc == TR_OK) rc = exec(ks, "PRAGMA synchronous = FULL", err, errlen);
    if (rc == TR_OK) rc = init_store(ks, err, errlen);
    if (rc == TR_OK) rc = make_private(path, err, errlen);
    if (rc == TR_OK) rc = load(ks, err, errlen);
    if (rc != TR_OK) {
        tr_keys_close(ks);
        return rc;
    }
    *out = ks;
    return TR_OK;
}

void tr_keys_close(tr_keys *ks)
{
    if (!ks) return;
    sqlite3_close(ks->db);
    view_free(&ks->view);
    OPENSSL_cleanse(ks->secret, sizeof ks->secret);
    pthread_mutex_destroy(&ks->db_mu);
    pthread_mutex_destroy(&ks->view_mu);
    free(ks->path);
    free(ks);
}

/* ---- create, list, revoke ----------------------------------------------- */

static void read_info(sqlite3_stmt *s, tr_key_info *k)
{
    memset(k, 0, sizeof *k);
    const char *id = (const char *)sqlite3_column_text(s, 0);
    const char *name = (const char *)sqlite3_column_text(s, 1);
    const char *role = (const char *)sqlite3_column_text(s, 2);
    snprintf(k->id, sizeof k->id, "%s", id ? id : "");
    snprintf(k->name, sizeof k->name, "%s", name ? name : "");
    if (!role || tr_role_parse(role, &k->role, NULL, 0) != TR_OK)
        k->role = (tr_role)0;
    k->created_at = sqlite3_column_int64(s, 3);
    k->last_used_at = sqlite3_column_int64(s, 4);
    k->revoked_at = sqlite3_column_int64(s, 5);
}

#define INFO_COLUMNS                                                           \
    "id, name, role, created_at, coalesce(last_used_at, 0),"                   \
    " coalesce(revoked_at, 0)"

/* The active key named name, if any, into *k; 1 found, 0 not, < 0 error. */
static int find_active_name(tr_keys *ks, const char *name, tr_key_info *k,
                            char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(ks->db,
                                 "SELECT " INFO_COLUMNS " FROM keys WHERE "
                                 "name = ? AND revoked_at IS NULL",
                                 -1, &s, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (src == SQLITE_OK) src = sqlite3_step(s);
    int rc = src == SQLITE_ROW ? 1
             : src == SQLITE_DONE
                 ? 0
                 : sql_err(ks, src, "finding a name", err, errlen);
    if (rc == 1) read_info(s, k);
    sqlite3_finalize(s);
    return rc;
}

static void to_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Insert a new random key; SQLITE_CONSTRAINT_PRIMARYKEY when its id is
 * taken. */
static int insert_key(tr_keys *ks, tr_role role, const char *name, tr_time now,
                      char key[TR_KEY_LEN + 1])
{
    uint8_t rnd[TR_KEY_RANDOM], hash[TR_SHA256_LEN];
    if (RAND_bytes(rnd, sizeof rnd) != 1) return SQLITE_ERROR;
    memcpy(key, TR_KEY_PREFIX, TR_KEY_PREFIX_LEN);
    to_hex(rnd, sizeof rnd, key + TR_KEY_PREFIX_LEN);
    OPENSSL_cleanse(rnd, sizeof rnd);
    if (tr_sha256(key, TR_KEY_LEN, hash) != TR_OK) return SQLITE_NOMEM;
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(ks->db,
                                 "INSERT INTO keys (id, name, role, hash, "
                                 "created_at) VALUES (?, ?, ?, ?, ?)",
                                 -1, &s, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 1, key + TR_KEY_PREFIX_LEN, TR_KEY_ID_LEN,
                                SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 3, tr_role_name(role), -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(s, 4, hash, sizeof hash, SQLITE_STATIC);
    if (src == SQLITE_OK) src = sqlite3_bind_int64(s, 5, now);
    if (src == SQLITE_OK) src = sqlite3_step(s);
    sqlite3_finalize(s);
    if (src == SQLITE_CONSTRAINT) src = sqlite3_extended_errcode(ks->db);
    return src == SQLITE_DONE ? SQLITE_OK : src;
}

int tr_keys_create(tr_keys *ks, tr_role role, const char *name, tr_time now,
                   char key[TR_KEY_LEN + 1], tr_key_info *info, char *err,
                   size_t errlen)
{
    if (!name) name = "";
    if (role < TR_ROLE_VIEWER || role > TR_ROLE_ADMIN) {
        tr_errf(err, errlen, "unknown role (viewer, trader or admin)");
        return TR_ERR_INVALID;
    }
    if (name[0] && tr_key_name_check(name, err, errlen) != TR_OK)
        return TR_ERR_INVALID;
    pthread_mutex_lock(&ks->db_mu);
    int rc = exec(ks, "BEGIN IMMEDIATE", err, errlen);
    tr_key_info other;
    if (rc == TR_OK && name[0]) {
        int found = find_active_name(ks, name, &other, err, errlen);
        if (found == 1) {
            tr_errf(err, errlen,
                    "an active key is already named '%s' (id "
                    "%s)",
                    name, other.id);
            rc = TR_ERR_INVALID;
        } else if (found < 0) {
            rc = found;
        }
    }
    if (rc == TR_OK) {
        int src = SQLITE_CONSTRAINT_PRIMARYKEY;
        /* ids are 32 random bits: a clash is rare, eight in a row never */
        for (int i = 0; i < 8 && src == SQLITE_CONSTRAINT_PRIMARYKEY; i++)
            src = insert_key(ks, role, name, now, key);
        if (src != SQLITE_OK)
            rc = sql_err(ks, src, "adding the key", err, errlen);
    }
    if (rc == TR_OK) rc = exec(ks, "COMMIT", err, errlen);
    if (rc != TR_OK) {
        rollback(ks);
        OPENSSL_cleanse(key, TR_KEY_LEN + 1);
        key[0] = '\0';
    } else {
        if (info) {
            memset(info, 0, sizeof *info);
            memcpy(info->id, key + TR_KEY_PREFIX_LEN, TR_KEY_ID_LEN);
            snprintf(info->name, sizeof info->name, "%s", name);
            info->role = role;
            info->created_at = now;
        }
        reload_own(ks, now, err, errlen);
    }
    pthread_mutex_unlock(&ks->db_mu);
    return rc;
}

int tr_keys_list(tr_keys *ks, tr_key_info **out, size_t *n, char *err,
                 size_t errlen)
{
    tr_key_info *v = NULL;
    size_t len = 0, cap = 0;
    int rc = TR_OK;
    pthread_mutex_lock(&ks->db_mu);
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(ks->db,
                                 "SELECT " INFO_COLUMNS " FROM keys ORDER "
                                 "BY created_at, id",
                                 -1, &s, NULL);
    for (; src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW;
         src = SQLITE_OK) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            tr_key_info *nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                rc = TR_ERR_NOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        read_info(s, &v[len++]);
    }
    if (rc == TR_OK && src != SQLITE_DONE)
        rc = sql_err(ks, src, "listing the keys", err, errlen);
    sqlite3_finalize(s);
    pthread_mutex_unlock(&ks->db_mu);
    if (rc != TR_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return TR_OK;
}

int tr_keys_revoke(tr_keys *ks, const char *id_or_name, tr_time now,
                   tr_key_info *info, char *err, size_t errlen)
{
    const char *x = id_or_name ? id_or_name : "";
    pthread_mutex_lock(&ks->db_mu);
    int rc = exec(ks, "BEGIN IMMEDIATE", err, errlen);
    /* Rows whose id is x, or whose name is x; at most one active key by
     * name (the unique index) and one key by id. */
    tr_key_info rows[3];
    int is_id[3], nrows = 0;
    sqlite3_stmt *s = NULL;
    if (rc == TR_OK) {
        int src = sqlite3_prepare_v2(
            ks->db,
            "SELECT " INFO_COLUMNS " FROM keys WHERE id = ?1 OR (name = ?1"
            " AND name <> '') ORDER BY id = ?1 DESC, revoked_at IS NOT NULL,"
            " revoked_at DESC LIMIT 3",
            -1, &s, NULL);
        if (src == SQLITE_OK)
            src = sqlite3_bind_text(s, 1, x, -1, SQLITE_STATIC);
        /* LIMIT 3: the loop stops at 3 rows */
        while (src == SQLITE_OK && nrows < 3 &&
               (src = sqlite3_step(s)) == SQLITE_ROW) {
            read_info(s, &rows[nrows]);
            is_id[nrows] = !strcmp(rows[nrows].id, x);
            nrows++;
            src = SQLITE_OK;
        }
        if (src == SQLITE_OK) src = SQLITE_DONE;
        if (src != SQLITE_DONE)
            rc = sql_err(ks, src, "finding the key", err, errlen);
        sqlite3_finalize(s);
    }
    int target = -1, nactive = 0, id_other = 0;
    for (int i = 0; rc == TR_OK && i < nrows; i++)
        if (!rows[i].revoked_at) {
            nactive++;
            target = i;
        }
    for (int i = 0; rc == TR_OK && target >= 0 && i < nrows; i++)
        if (i != target && is_id[i]) id_other = 1;
    if (rc == TR_OK && (nactive > 1 || id_other)) {
        tr_errf(err, errlen,
                "'%s' is both a key id and the name of another "
                "key: give the id of the key to revoke",
                x);
        rc = TR_ERR_INVALID;
    } else if (rc == TR_OK && target < 0 && nrows) {
        int k = 0; /* the id's key, else the last revoked of the name */
        char when[TR_TIME_STRLEN];
        tr_time_format(rows[k].revoked_at - rows[k].revoked_at % TR_NS_PER_SEC,
                       when, sizeof when);
        tr_errf(err, errlen, "key %s%s%s%s was already revoked at %s",
                rows[k].id, rows[k].name[0] ? " ('" : "", rows[k].name,
                rows[k].name[0] ? "')" : "", when);
        rc = TR_ERR_NOT_FOUND;
    } else if (rc == TR_OK && target < 0) {
        tr_errf(err, errlen, "no key with id or name '%s'", x);
        rc = TR_ERR_NOT_FOUND;
    }
    if (rc == TR_OK) {
        int src = sqlite3_prepare_v2(ks->db,
                                     "UPDATE keys SET revoked_at = ? WHERE "
                                     "id = ? AND revoked_at IS NULL",
                                     -1, &s, NULL);
        if (src == SQLITE_OK) src = sqlite3_bind_int64(s, 1, now);
        if (src == SQLITE_OK)
            src = sqlite3_bind_text(s, 2, rows[target].id, -1, SQLITE_STATIC);
        if (src == SQLITE_OK) src = sqlite3_step(s);
        if (src != SQLITE_DONE)
            rc = sql_err(ks, src, "revoking the key", err, errlen);
        sqlite3_finalize(s);
    }
    if (rc == TR_OK) rc = exec(ks, "COMMIT", err, errlen);
    if (rc != TR_OK) {
        rollback(ks);
    } else {
        rows[target].revoked_at = now;
        if (info) *info = rows[target];
        reload_own(ks, now, err, errlen);
    }
    pthread_mutex_unlock(&ks->db_mu);
    return rc;
}

/* ---- verification ---------------------------------------------------------
 */

int tr_keys_verify(tr_keys *ks, const char *key, size_t len, tr_time now,
                   tr_key_info *out, const char **reason)
{
    if (!key || len != TR_KEY_LEN ||
        memcmp(key, TR_KEY_PREFIX, TR_KEY_PREFIX_LEN) != 0) {
        if (reason) *reason = "not an API key (trk_ and 64 hex digits)";
        return TR_ERR_INVALID;
    }
    for (size_t i = TR_KEY_PREFIX_LEN; i < len; i++)
        if (!((key[i] >= '0' && key[i] <= '9') ||
              (key[i] >= 'a' && key[i] <= 'f'))) {
            if (reason) *reason = "not an API key (trk_ and 64 hex digits)";
            return TR_ERR_INVALID;
        }
    uint8_t hash[TR_SHA256_LEN];
    int rc = tr_sha256(key, len, hash);
    if (rc == TR_OK) rc = ensure_fresh(ks, now, reason);
    if (rc == TR_OK)
        rc = identify(ks, key + TR_KEY_PREFIX_LEN, TR_KEY_ID_LEN, hash, now,
                      out, reason);
    return rc;
}

int tr_keys_flush_usage(tr_keys *ks, char *err, size_t errlen)
{
    typedef struct use {
        char id[TR_KEY_ID_LEN + 1];
        tr_time at;
    } use;
    use *u = NULL;
    size_t n = 0;
    int rc = TR_OK;
    pthread_mutex_lock(&ks->db_mu);
    pthread_mutex_lock(&ks->view_mu);
    if (ks->view.n && !(u = malloc(ks->view.n * sizeof *u))) rc = TR_ERR_NOMEM;
    for (size_t i = 0; rc == TR_OK && i < ks->view.n; i++) {
        const entry *e = &ks->view.e[i];
        if (e->used > e->flushed) {
            memcpy(u[n].id, e->info.id, sizeof u[n].id);
            u[n++].at = e->used;
        }
    }
    pthread_mutex_unlock(&ks->view_mu);
    if (rc == TR_OK && n) rc = exec(ks, "BEGIN IMMEDIATE", err, errlen);
    sqlite3_stmt *s = NULL;
    if (rc == TR_OK && n) {
        int src = sqlite3_prepare_v2(
            ks->db,
            "UPDATE keys SET last_used_at = max(coalesce(last_used_at, 0), ?)"
            " WHERE id = ?",
            -1, &s, NULL);
        for (size_t i = 0; src == SQLITE_OK && i < n; i++) {
            sqlite3_reset(s);
            src = sqlite3_bind_int64(s, 1, u[i].at);
            if (src == SQLITE_OK)
                src = sqlite3_bind_text(s, 2, u[i].id, -1, SQLITE_STATIC);
            if (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_DONE)
                src = SQLITE_OK;
        }
        if (src != SQLITE_OK)
            rc = sql_err(ks, src, "recording key use", err, errlen);
        sqlite3_finalize(s);
        if (rc == TR_OK) rc = exec(ks, "COMMIT", err, errlen);
        if (rc != TR_OK) rollback(ks);
    }
    if (rc == TR_OK && n) {
        pthread_mutex_lock(&ks->view_mu);
        for (size_t i = 0; i < n; i++) {
            entry *e = view_find(&ks->view, u[i].id, TR_KEY_ID_LEN);
            if (e && u[i].at > e->flushed) e->flushed = u[i].at;
        }
        pthread_mutex_unlock(&ks->view_mu);
    }
    pthread_mutex_unlock(&ks->db_mu);
    free(u);
    return rc;
}

uint64_t tr_keys_reloads(tr_keys *ks)
{
    return atomic_load(&ks->reloads);
}

/* ---- sessions -------------------------------------------------------------
 */

int tr_keys_jwt_issue(tr_keys *ks, const char *id, tr_time now, int64_t ttl_s,
                      char *token, size_t tokensize)
{
    if (ttl_s <= 0 || !id) return TR_ERR_INVALID;
    tr_key_info k;
    int rc = ensure_fresh(ks, now, NULL);
    if (rc == TR_OK) rc = identify(ks, id, strlen(id), NULL, now, &k, NULL);
    if (rc != TR_OK) return rc;
    tr_jwt_claims c;
    memset(&c, 0, sizeof c);
    memcpy(c.sub, k.id, sizeof k.id);
    memcpy(c.name, k.name, sizeof k.name);
    c.role = k.role;
    c.iat = now / TR_NS_PER_SEC - (now % TR_NS_PER_SEC < 0);
    if (ttl_s > INT64_MAX - c.iat) return TR_ERR_RANGE;
    c.exp = c.iat + ttl_s;
    return tr_jwt_sign(ks->secret, sizeof ks->secret, &c, token, tokensize);
}

int tr_keys_jwt_verify(tr_keys *ks, const char *token, size_t len, tr_time now,
                       tr_key_info *out, const char **reason)
{
    tr_jwt_claims c;
    const char *why = NULL;
    int rc =
        tr_jwt_verify(ks->secret, sizeof ks->secret, token, len, now, &c, &why);
    if (rc == TR_OK) rc = ensure_fresh(ks, now, &why);
    if (rc == TR_OK) {
        rc = identify(ks, c.sub, strlen(c.sub), NULL, now, out, &why);
        if (rc == TR_ERR_NOT_FOUND)
            why = strcmp(why, "API key revoked") == 0
                      ? "the token's API key was revoked"
                      : "the token's API key is unknown";
    }
    if (rc != TR_OK && reason) *reason = why ? why : "refused";
    return rc;
}
