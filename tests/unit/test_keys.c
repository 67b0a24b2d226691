/* test_keys.c: the API key store: files and permissions, create / verify /
 * list / revoke, no plaintext on disk, two handles on one file (a
 * revocation seen within the refresh window, with a fake clock and with
 * threads on the real clock), sessions tied to their key, usage times. */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/auth.h"
#include "core/err.h"
#include "test.h"
#include "tmpdir.h"

#define T0 (INT64_C(1767225600) * TR_NS_PER_SEC) /* 2026-01-01 */
#define MS TR_NS_PER_MS

static char *dir;

static char *path_in(const char *leaf)
{
    size_t n = strlen(dir) + strlen(leaf) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, leaf);
    return p;
}

static tr_time wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (tr_time)ts.tv_sec * TR_NS_PER_SEC + ts.tv_nsec;
}

static tr_keys *open_ok(const char *path, int create)
{
    tr_keys *ks = NULL;
    char err[512] = "";
    int rc = tr_keys_open(path, create, &ks, err, sizeof err);
    CHECK_MSG(rc == TR_OK, "open %s: %s", path, err);
    return ks;
}

static int file_mode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

/* One value from a query on a separate connection (an outside look). */
static int64_t sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static char *sql_text(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    char *v = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        v = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static int verify(tr_keys *ks, const char *key, tr_time now, tr_key_info *k,
                  const char **reason)
{
    return tr_keys_verify(ks, key, strlen(key), now, k, reason);
}

/* ---- files ----------------------------------------------------------------
 */

static void test_files(void)
{
    char *p = path_in("run/demo/keys.db"); /* the folder does not exist */
    tr_keys *ks = NULL;
    char err[512];
    CHECK_EQ_I64(tr_keys_open(p, 0, &ks, err, sizeof err), TR_ERR_NOT_FOUND);
    CHECK(strstr(err, "no key store here") != NULL);
    ks = open_ok(p, 1);
    CHECK_EQ_I64(file_mode(p), 0600);
    char key[TR_KEY_LEN + 1];
    CHECK_EQ_I64(tr_keys_create(ks, TR_ROLE_ADMIN, "ops", T0, key, NULL, err,
                                sizeof err),
                 TR_OK);
    /* WAL, and its side files as private as the database */
    char *mode = sql_text(p, "PRAGMA journal_mode");
    CHECK_STR(mode, "wal");
    free(mode);
    char *wal = path_in("run/demo/keys.db-wal");
    char *shm = path_in("run/demo/keys.db-shm");
    CHECK_EQ_I64(file_mode(wal), 0600);
    CHECK_EQ_I64(file_mode(shm), 0600);
    CHECK_EQ_I64(sql_int(p, "SELECT length(value) FROM meta WHERE key = "
                            "'jwt_secret'"),
                 32);
    tr_keys_close(ks);
    free(wal);
    free(shm);

    /* an existing file open to others is made private */
    CHECK_EQ_I64(chmod(p, 0644), 0);
    ks = open_ok(p, 0);
    CHECK_EQ_I64(file_mode(p), 0600);
    tr_keys_close(ks);
    free(p);

    /* not key stores: text, another SQLite database, a folder */
    p = path_in("notes.txt");
    FILE *f = fopen(p, "w");
    fputs("these are not the keys you are looking for\n", f);
    fclose(f);
    CHECK_EQ_I64(tr_keys_open(p, 1, &ks, err, sizeof err), TR_ERR_DATA);
    CHECK(strstr(err, "not a trader key store") != NULL);
    free(p);
    p = path_in("trader.db");
    sqlite3 *db;
    sqlite3_open(p, &db);
    sqlite3_exec(db, "CREATE TABLE orders (id INTEGER)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK_EQ_I64(tr_keys_open(p, 1, &ks, err, sizeof err), TR_ERR_DATA);
    CHECK(strstr(err, "not a trader key store") != NULL);
    free(p);
    CHECK(tr_keys_open(dir, 1, &ks, err, sizeof err) != TR_OK);
}

/* ---- create, verify ---------------------------------------------------- */

static int is_key(const char *k)
{
    if (strlen(k) != TR_KEY_LEN || strncmp(k, "trk_", 4) != 0) return 0;
    for (const char *c = k + 4; *c; c++)
        if (!strchr("0123456789abcdef", *c)) return 0;
    return 1;
}

static void test_create_verify(void)
{
    char *p = path_in("cv.db");
    tr_keys *ks = open_ok(p, 1);
    char kv[TR_KEY_LEN + 1], kt[TR_KEY_LEN + 1], ka[TR_KEY_LEN + 1];
    tr_key_info iv, it, ia, got;
    char err[512];
    const char *reason;
    CHECK_EQ_I64(tr_keys_create(ks, TR_ROLE_VIEWER, "grafana", T0, kv, &iv, err,
                                sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_keys_create(ks, TR_ROLE_TRADER, "signals bot", T0 + 1, kt,
                                &it, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_keys_create(ks, TR_ROLE_ADMIN, NULL, T0 + 2, ka, &ia, err,
                                sizeof err),
                 TR_OK);
    CHECK(is_key(kv) && is_key(kt) && is_key(ka));
    CHECK(strcmp(kv, kt) != 0 && strcmp(kt, ka) != 0);
    CHECK(!strncmp(iv.id, kv + 4, 8) && strlen(iv.id) == 8);
    CHECK_STR(it.name, "signals bot");
    CHECK_STR(ia.name, "");
    CHECK(ia.role == TR_ROLE_ADMIN && ia.created_at == T0 + 2 &&
          !ia.revoked_at);

    struct {
        const char *key;
        tr_key_info *want;
    } ok[] = {{kv, &iv}, {kt, &it}, {ka, &ia}};
    for (int i = 0; i < 3; i++) {
        memset(&got, 0, sizeof got);
        CHECK_EQ_I64(verify(ks, ok[i].key, T0 + MS, &got, &reason), TR_OK);
        CHECK_STR(got.id, ok[i].want->id);
        CHECK_STR(got.name, ok[i].want->name);
        CHECK(got.role == ok[i].want->role);
        CHECK_EQ_I64(got.created_at, ok[i].want->created_at);
    }
    /* the right id with another secret part: unknown */
    char bad[TR_KEY_LEN + 1];
    memcpy(bad, kt, sizeof bad);
    bad[TR_KEY_LEN - 1] = bad[TR_KEY_LEN - 1] == '0' ? '1' : '0';
    reason = NULL;
    CHECK_EQ_I64(verify(ks, bad, T0 + MS, &got, &reason), TR_ERR_NOT_FOUND);
    CHECK_STR(reason, "unknown API key");
    memcpy(bad, kt, sizeof bad);
    bad[20] = bad[20] == 'a' ? 'b' : 'a';
    CHECK_EQ_I64(verify(ks, bad, T0 + MS, &got, NULL), TR_ERR_NOT_FOUND);
    /* an unknown id */
    memcpy(bad, kt, sizeof bad);
    bad[4] = bad[4] == 'a' ? 'b' : 'a';
    CHECK_EQ_I64(verify(ks, bad, T0 + MS, &got, NULL), TR_ERR_NOT_FOUND);
    /* not keys at all */
    memcpy(bad, kt, sizeof bad);
    for (char *c = bad + 4; *c; c++)
        if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 'a' + 'A');
    reason = NULL;
    CHECK_EQ_I64(verify(ks, bad, T0 + MS, &got, &reason), TR_ERR_INVALID);
    CHECK(reason != NULL);
    CHECK_EQ_I64(tr_keys_verify(ks, kt, TR_KEY_LEN - 1, T0, &got, NULL),
                 TR_ERR_INVALID);
    CHECK_EQ_I64(verify(ks, "", T0, &got, NULL), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_keys_verify(ks, NULL, 0, T0, &got, NULL), TR_ERR_INVALID);
    memcpy(bad, kt, sizeof bad);
    bad[0] = 'x';
    CHECK_EQ_I64(verify(ks, bad, T0, &got, NULL), TR_ERR_INVALID);

    /* names: unique among active keys, validated */
    char k2[TR_KEY_LEN + 1];
    CHECK_EQ_I64(tr_keys_create(ks, TR_ROLE_VIEWER, "grafana", T0, k2, NULL,
                                err, sizeof err),
                 TR_ERR_INVALID);
    CHECK(strstr(err, "already named 'grafana'") != NULL);
    CHECK_EQ_I64(tr_keys_create(ks, TR_ROLE_VIEWER, "bad\nname", T0, k2, NULL,
                                err, sizeof err),
                 TR_ERR_INVALID);
    CHECK_EQ_I64(
        tr_keys_create(ks, (tr_role)0, "x", T0, k2, NULL, err, sizeof err),
        TR_ERR_INVALID);
    CHECK_EQ_I64(
        tr_keys_create(ks, (tr_role)4, "x", T0, k2, NULL, err, sizeof err),
        TR_ERR_INVALID);
    /* a second nameless key is fine */
    CHECK_EQ_I64(
        tr_keys_create(ks, TR_ROLE_VIEWER, "", T0, k2, NULL, err, sizeof err),
        TR_OK);
    CHECK_EQ_I64(tr_keys_revoke(ks, "grafana", T0 + 5, NULL, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_keys_create(ks, TR_ROLE_VIEWER, "grafana", T0 + 6, k2, &got,
                                err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(verify(ks, k2, T0 + 7, NULL, NULL), TR_OK);
    CHECK_EQ_I64(verify(ks, kv, T0 + 7, NULL, NULL), TR_ERR_NOT_FOUND);
    tr_keys_close(ks);
    free(p);
}

/* ---- nothing secret on disk ---------------------------------------------- */

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    *n = 0;
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0;
    for (;;) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
        }
        size_t r = fread(buf + *n, 1, cap - *n, f);
        if (!r) break;
        *n += r;
    }
    fclose(f);
    return buf;
}

static int contains(const char *hay, size_t n, const void *needle, size_t len)
{
    for (size_t i = 0; i + len <= n; i++)
        if (hay[i] == *(const char *)needle && !memcmp(hay + i, needle, len))
            return 1;
    return 0;
}

/* Count the files (db, -wal) holding needle. */
static int on_disk(const char *db, const void *needle, size_t len)
{
    int found = 0;
    for (int i = 0; i < 2; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s%s", db, i ? "-wal" : "");
        size_t n;
        char *b = slurp(path, &n);
        if (b && contains(b, n, needle, len)) found++;
        free(b);
    }
    return found;
}

static void test_no_plaintext(void)
{
    char *p = path_in("plain.db");
    tr_keys *ks = open_ok(p, 1);
    char key[TR_KEY_LEN + 1], err[256];
    tr_key_info info;
    CHECK_EQ_I64(tr_keys_create(ks, TR_ROLE_TRADER, "bot", T0, key, &info, err,
                                sizeof err),
                 TR_OK);
    uint8_t hash[TR_SHA256_LEN], raw[TR_KEY_RANDOM];
    tr_sha256(key, TR_KEY_LEN, hash);
    for (int i = 0; i < TR_KEY_RANDOM; i++) {
        unsigned v;
        sscanf(key + 4 + 2 * i, "%2x", &v);
        raw[i] = (uint8_t)v;
    }
    const char *secret_hex = key + 4 + TR_KEY_ID_LEN; /* past the id */
    for (int closed = 0; closed < 2; closed++) {
        /* the hash is there (so the search is not vacuous) ... */
        CHECK_MSG(on_disk(p, hash, sizeof hash) >= 1, "closed %d", closed);
        CHECK_MSG(on_disk(p, info.id, 8) >= 1, "closed %d", closed);
        /* ... the key is not, in any form */
        CHECK_MSG(on_disk(p, key, TR_KEY_LEN) == 0, "closed %d", closed);
        CHECK_MSG(on_disk(p, secret_hex, strlen(secret_hex)) == 0, "closed %d",
                  closed);
        CHECK_MSG(on_disk(p, raw + 4, sizeof raw - 4) == 0, "closed %d",
                  closed);
        if (!closed) tr_keys_close(ks);
    }
    free(p);
}

/* ---- list, revoke ------------------------------------------------------ */

static void test_list_revoke(void)
{
    char *p = path_in("lr.db");
    tr_keys *ks = open_ok(p, 1);
    char k[4][TR_KEY_LEN + 1], err[512];
    tr_key_info in[4], got;
    const char *names[] = {"alpha", "beta", "", "gamma"};
    tr_role roles[] = {TR_ROLE_VIEWER, TR_ROLE_TRADER, TR_ROLE_ADMIN,
                       TR_ROLE_TRADER};
    for (int i = 0; i < 4; i++)
        CHECK_EQ_I64(tr_keys_create(ks, roles[i], names[i], T0 + i * MS, k[i],
                                    &in[i], err, sizeof err),
                     TR_OK);
    tr_key_info *v = NULL;
    size_t n = 0;
    CHECK_EQ_I64(tr_keys_list(ks, &v, &n, err, sizeof err), TR_OK);
    CHECK_EQ_I64(n, 4);
    for (size_t i = 0; i < n && i < 4; i++) {
        CHECK_STR(v[i].id, in[i].id);
        CHECK_STR(v[i].name, names[i]);
        CHECK(v[i].role == roles[i]);
        CHECK_EQ_I64(v[i].created_at, T0 + (tr_time)i * MS);
        CHECK_EQ_I64(v[i].revoked_at, 0);
        CHECK_EQ_I64(v[i].last_used_at, 0);
    }
    free(v);

    /* by name, then by id */
    const char *reason = NULL;
    CHECK_EQ_I64(verify(ks, k[1], T0 + 10 * MS, NULL, NULL), TR_OK);
    CHECK_EQ_I64(
        tr_keys_revoke(ks, "beta", T0 + 20 * MS, &got, err, sizeof err), TR_OK);
    CHECK_STR(got.id, in[1].id);
    CHECK_EQ_I64(got.revoked_at, T0 + 20 * MS);
    /* this handle sees its own revocation at once */
    CHECK_EQ_I64(verify(ks, k[1], T0 + 20 * MS, NULL, &reason),
                 TR_ERR_NOT_FOUND);
    CHECK_STR(reason, "API key revoked");
    CHECK_EQ_I64(
        tr_keys_revoke(ks, in[2].id, T0 + 30 * MS, &got, err, sizeof err),
        TR_OK);
    CHECK(got.role == TR_ROLE_ADMIN);
    CHECK_EQ_I64(verify(ks, k[2], T0 + 30 * MS, NULL, NULL), TR_ERR_NOT_FOUND);
    /* the others still work */
    CHECK_EQ_I64(verify(ks, k[0], T0 + 30 * MS, NULL, NULL), TR_OK);
    CHECK_EQ_I64(verify(ks, k[3], T0 + 30 * MS, NULL, NULL), TR_OK);
    /* errors */
    CHECK_EQ_I64(tr_keys_revoke(ks, "beta", T0, NULL, err, sizeof err),
                 TR_ERR_NOT_FOUND);
    CHECK(strstr(err, "already revoked") != NULL);
    CHECK_EQ_I64(tr_keys_revoke(ks, in[1].id, T0, NULL, err, sizeof err),
                 TR_ERR_NOT_FOUND);
    CHECK(strstr(err, "already revoked") != NULL);
    CHECK_EQ_I64(tr_keys_revoke(ks, "nobody", T0, NULL, err, sizeof err),
                 TR_ERR_NOT_FOUND);
    CHECK_STR(err, "no key with id or name 'nobody'");
    CHECK_EQ_I64(tr_keys_revoke(ks, "", T0, NULL, err, sizeof err),
                 TR_ERR_NOT_FOUND);
    /* a name that is another key's id: ambiguous, nothing revoked */
    char k5[TR_KEY_LEN + 1];
    CHECK_EQ_I64(tr_keys_create(ks, TR_ROLE_VIEWER, in[0].id, T0, k5, NULL, err,
                                sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_keys_revoke(ks, in[0].id, T0, NULL, err, sizeof err),
                 TR_ERR_INVALID);
    CHECK(strstr(err, "both a key id and the name") != NULL);
    CHECK_EQ_I64(verify(ks, k[0], T0 + 40 * MS, NULL, NULL), TR_OK);
    CHECK_EQ_I64(verify(ks, k5, T0 + 40 * MS, NULL, NULL), TR_OK);

    CHECK_EQ_I64(tr_keys_list(ks, &v, &n, err, sizeof err), TR_OK);
    CHECK_EQ_I64(n, 5);
    int revoked = 0;
    for (size_t i = 0; i < n; i++)
        revoked += v[i].revoked_at != 0;
    CHECK_EQ_I64(revoked, 2);
    free(v);
    tr_keys_close(ks);
    free(p);
}

/* ---- two handles, fake clock ----------------------------------------------
 */

static void test_two_handles(void)
{
    char *p = path_in("two.db");
    tr_keys *a = open_ok(p, 1), *b = open_ok(p, 0);
    char k[TR_KEY_LEN + 1], k2[TR_KEY_LEN + 1], err[512];
    const char *reason;
    tr_key_info got;
    /* created by a, known to b at its first look */
    CHECK_EQ_I64(
        tr_keys_create(a, TR_ROLE_TRADER, "bot", T0, k, NULL, err, sizeof err),
        TR_OK);
    CHECK_EQ_I64(verify(b, k, T0, &got, NULL), TR_OK);
    CHECK_STR(got.name, "bot");

    /* verifies inside the window read memory only */
    uint64_t loads = tr_keys_reloads(b);
    for (int i = 0; i < 10000; i++)
        if (verify(b, k, T0 + i * 10000, NULL, NULL) != TR_OK) break;
    CHECK_EQ_I64(tr_keys_reloads(b), loads);

    /* revoked by a: b keeps its view for less than the refresh interval,
     * then sees it */
    CHECK_EQ_I64(tr_keys_revoke(a, "bot", T0 + 10 * MS, NULL, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(verify(b, k, T0 + 100 * MS, NULL, NULL), TR_OK);
    reason = NULL;
    CHECK_EQ_I64(verify(b, k, T0 + TR_KEYS_REFRESH_NS, NULL, &reason),
                 TR_ERR_NOT_FOUND);
    CHECK_STR(reason, "API key revoked");
    CHECK_EQ_I64(tr_keys_reloads(b), loads + 1);
    /* unchanged file: looks do not reload */
    for (int i = 1; i <= 20; i++)
        verify(b, k, T0 + TR_KEYS_REFRESH_NS * (1 + i), NULL, NULL);
    CHECK_EQ_I64(tr_keys_reloads(b), loads + 1);

    /* a key made by a while b is idle: b's first verify after a pause looks
     * at the file first */
    tr_time t1 = T0 + 60 * TR_NS_PER_SEC;
    CHECK_EQ_I64(tr_keys_create(a, TR_ROLE_VIEWER, "later", t1, k2, NULL, err,
                                sizeof err),
                 TR_OK);
    CHECK_EQ_I64(verify(b, k2, t1 + MS, &got, NULL), TR_OK);
    CHECK(got.role == TR_ROLE_VIEWER);
    /* and a revocation after an idle spell is seen by the next verify */
    tr_time t2 = t1 + 10 * TR_NS_PER_SEC;
    CHECK_EQ_I64(tr_keys_revoke(a, "later", t2, NULL, err, sizeof err), TR_OK);
    CHECK_EQ_I64(verify(b, k2, t2 + TR_KEYS_MAX_STALE_NS + 1, NULL, NULL),
                 TR_ERR_NOT_FOUND);
    /* a clock stepped back far does not freeze the view */
    char k3[TR_KEY_LEN + 1];
    CHECK_EQ_I64(tr_keys_create(a, TR_ROLE_VIEWER, "back", t2, k3, NULL, err,
                                sizeof err),
                 TR_OK);
    CHECK_EQ_I64(verify(b, k3, t2 - 3600 * TR_NS_PER_SEC, NULL, NULL), TR_OK);

    /* b's list reads the file, a's last revocation included */
    tr_key_info *v;
    size_t n;
    CHECK_EQ_I64(tr_keys_list(b, &v, &n, err, sizeof err), TR_OK);
    CHECK_EQ_I64(n, 3);
    CHECK(n == 3 && v[0].revoked_at == T0 + 10 * MS && v[1].revoked_at == t2 &&
          v[2].revoked_at == 0);
    free(v);
    tr_keys_close(a);
    tr_keys_close(b);
    free(p);
}

/* ---- two handles, threads on the real clock --------------------------------
 */

typedef struct vthread {
    tr_keys *ks;
    const char *key;
    atomic_int *stop;
    tr_time last_ok; /* the latest now of a successful verify */
    long oks, refusals, errors;
} vthread;

static void *verifier(void *arg)
{
    vthread *t = arg;
    while (!atomic_load(t->stop)) {
        tr_time now = wall_now();
        int rc = verify(t->ks, t->key, now, NULL, NULL);
        if (rc == TR_OK) {
            t->oks++;
            if (now > t->last_ok) t->last_ok = now;
        } else if (rc == TR_ERR_NOT_FOUND) {
            t->refusals++;
        } else {
            t->errors++;
        }
    }
    return NULL;
}

static void test_threads_real_clock(void)
{
    enum { NT = 4 };
    char *p = path_in("threads.db");
    tr_keys *a = open_ok(p, 1), *b = open_ok(p, 0);
    char k[TR_KEY_LEN + 1], other[TR_KEY_LEN + 1], err[512];
    CHECK_EQ_I64(tr_keys_create(a, TR_ROLE_TRADER, "hot", wall_now(), k, NULL,
                                err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_keys_create(a, TR_ROLE_TRADER, "other", wall_now(), other,
                                NULL, err, sizeof err),
                 TR_OK);
    atomic_int stop = 0;
    pthread_t th[NT];
    vthread t[NT];
    for (int i = 0; i < NT; i++) {
        t[i] = (vthread){.ks = b, .key = i % 2 ? other : k, .stop = &stop};
        pthread_create(&th[i], NULL, verifier, &t[i]);
    }
    struct timespec pause = {0, 300 * MS};
    nanosleep(&pause, NULL);
    CHECK_EQ_I64(tr_keys_revoke(a, "hot", wall_now(), NULL, err, sizeof err),
                 TR_OK);
    tr_time revoked = wall_now(); /* the commit happened before this */
    pause.tv_nsec = 0;
    pause.tv_sec = 2;
    nanosleep(&pause, NULL);
    atomic_store(&stop, 1);
    long oks = 0, refusals = 0, errors = 0, other_oks = 0;
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        if (i % 2 == 0) {
            oks += t[i].oks;
            refusals += t[i].refusals;
            CHECK_MSG(t[i].last_ok <= revoked + TR_KEYS_MAX_STALE_NS,
                      "thread %d: accepted %.3f s after the revocation", i,
                      (double)(t[i].last_ok - revoked) / 1e9);
        } else {
            other_oks += t[i].oks;
            CHECK_EQ_I64(t[i].refusals, 0);
        }
        errors += t[i].errors;
    }
    CHECK(oks > 0 && refusals > 0 && other_oks > 0);
    CHECK_EQ_I64(errors, 0);
    tr_keys_close(a);
    tr_keys_close(b);
    free(p);
}

/* ---- a look that cannot happen on time ------------------------------------
 */

typedef struct busy_ctx {
    tr_keys *ks;
    sqlite3 *locker;
    tr_time now;
    int rc;
} busy_ctx;

/* Holds ks's connection (create waits on the file's write lock). */
static void *create_waiting(void *arg)
{
    busy_ctx *c = arg;
    char k[TR_KEY_LEN + 1], err[256];
    c->rc = tr_keys_create(c->ks, TR_ROLE_VIEWER, NULL, c->now, k, NULL, err,
                           sizeof err);
    return NULL;
}

static void *release_later(void *arg)
{
    busy_ctx *c = arg;
    struct timespec pause = {0, 300 * MS};
    nanosleep(&pause, NULL);
    sqlite3_exec(c->locker, "ROLLBACK", NULL, NULL, NULL);
    return NULL;
}

/* When the periodic look is skipped (the handle's connection is busy), a
 * verify whose view is older than the limit waits for a look rather than
 * answer from the old view. */
static void test_stale_view_waits(void)
{
    char *p = path_in("stale.db");
    tr_keys *a = open_ok(p, 1), *b = open_ok(p, 0);
    char k[TR_KEY_LEN + 1], err[512];
    CHECK_EQ_I64(tr_keys_create(a, TR_ROLE_TRADER, "victim", T0, k, NULL, err,
                                sizeof err),
                 TR_OK);
    CHECK_EQ_I64(verify(b, k, T0, NULL, NULL), TR_OK);
    CHECK_EQ_I64(tr_keys_revoke(a, "victim", T0 + MS, NULL, err, sizeof err),
                 TR_OK);
    /* another connection takes the write lock; b's create then holds b's
     * connection while it waits for it */
    busy_ctx c = {.ks = b, .now = T0 + 2 * TR_NS_PER_SEC};
    sqlite3_open(p, &c.locker);
    CHECK_EQ_I64(sqlite3_exec(c.locker, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                 SQLITE_OK);
    pthread_t creator, releaser;
    pthread_create(&creator, NULL, create_waiting, &c);
    struct timespec pause = {0, 50 * MS};
    nanosleep(&pause, NULL);
    pthread_create(&releaser, NULL, release_later, &c);
    tr_time t0 = wall_now();
    const char *reason = NULL;
    CHECK_EQ_I64(verify(b, k, T0 + 2 * TR_NS_PER_SEC, NULL, &reason),
                 TR_ERR_NOT_FOUND);
    CHECK_STR(reason, "API key revoked");
    /* it waited for the connection: the path under test was taken */
    CHECK(wall_now() - t0 > 100 * MS);
    pthread_join(creator, NULL);
    pthread_join(releaser, NULL);
    CHECK_EQ_I64(c.rc, TR_OK);
    sqlite3_close(c.locker);
    tr_keys_close(a);
    tr_keys_close(b);
    free(p);
}

/* ---- sessions --------------------------------------------------------------
 */

static void test_sessions(void)
{
    char *p = path_in("jwt.db"), *q = path_in("other.db");
    tr_keys *a = open_ok(p, 1), *b = open_ok(p, 0), *o = open_ok(q, 1);
    char k[TR_KEY_LEN + 1], tok[TR_JWT_MAX], err[512];
    tr_key_info info, got;
    const char *reason;
    CHECK_EQ_I64(tr_keys_create(a, TR_ROLE_TRADER, "dash", T0, k, &info, err,
                                sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_keys_jwt_issue(a, info.id, T0, 3600, tok, sizeof tok),
                 TR_OK);
    memset(&got, 0, sizeof got);
    CHECK_EQ_I64(tr_keys_jwt_verify(a, tok, strlen(tok), T0 + MS, &got, NULL),
                 TR_OK);
    CHECK_STR(got.id, info.id);
    CHECK_STR(got.name, "dash");
    CHECK(got.role == TR_ROLE_TRADER);
    /* the claims are what the store says */
    uint8_t secret[TR_JWT_SECRET_LEN];
    sqlite3 *db;
    sqlite3_stmt *s;
    sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'jwt_secret'",
                       -1, &s, NULL);
    CHECK(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32);
    memcpy(secret, sqlite3_column_blob(s, 0), sizeof secret);
    sqlite3_finalize(s);
    sqlite3_close(db);
    tr_jwt_claims c;
    CHECK_EQ_I64(
        tr_jwt_verify(secret, sizeof secret, tok, strlen(tok), T0, &c, NULL),
        TR_OK);
    CHECK_STR(c.sub, info.id);
    CHECK_EQ_I64(c.iat, T0 / TR_NS_PER_SEC);
    CHECK_EQ_I64(c.exp, T0 / TR_NS_PER_SEC + 3600);

    /* same file, same secret: another handle and a reopened one accept */
    CHECK_EQ_I64(tr_keys_jwt_verify(b, tok, strlen(tok), T0 + MS, NULL, NULL),
                 TR_OK);
    tr_keys_close(b);
    b = open_ok(p, 0);
    CHECK_EQ_I64(tr_keys_jwt_verify(b, tok, strlen(tok), T0 + MS, NULL, NULL),
                 TR_OK);
    /* another store has another secret */
    reason = NULL;
    CHECK_EQ_I64(
        tr_keys_jwt_verify(o, tok, strlen(tok), T0 + MS, NULL, &reason),
        TR_ERR_INVALID);
    CHECK_STR(reason, "token signature does not match");
    /* expiry */
    CHECK_EQ_I64(tr_keys_jwt_verify(a, tok, strlen(tok),
                                    T0 + 3600 * TR_NS_PER_SEC, NULL, &reason),
                 TR_ERR_INVALID);
    CHECK_STR(reason, "token expired");
    /* a well-signed token for a key the store does not know */
    tr_jwt_claims ghost = {.role = TR_ROLE_ADMIN,
                           .iat = T0 / TR_NS_PER_SEC,
                           .exp = T0 / TR_NS_PER_SEC + 60};
    snprintf(ghost.sub, sizeof ghost.sub, "00000000");
    char gt[TR_JWT_MAX];
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &ghost, gt, sizeof gt),
                 TR_OK);
    CHECK_EQ_I64(tr_keys_jwt_verify(a, gt, strlen(gt), T0, NULL, &reason),
                 TR_ERR_NOT_FOUND);
    CHECK_STR(reason, "the token's API key is unknown");
    /* a token's role is not trusted over the store's */
    tr_jwt_claims up = c;
    up.role = TR_ROLE_ADMIN;
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &up, gt, sizeof gt), TR_OK);
    CHECK_EQ_I64(tr_keys_jwt_verify(a, gt, strlen(gt), T0, &got, NULL), TR_OK);
    CHECK(got.role == TR_ROLE_TRADER);
    /* issuing needs an active key and a positive lifetime */
    CHECK_EQ_I64(tr_keys_jwt_issue(a, "00000000", T0, 60, gt, sizeof gt),
                 TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_keys_jwt_issue(a, info.id, T0, 0, gt, sizeof gt),
                 TR_ERR_INVALID);

    /* revoking the key ends its sessions: at once here, within the window
     * on the other handle */
    CHECK_EQ_I64(
        tr_keys_revoke(a, info.id, T0 + 10 * MS, NULL, err, sizeof err), TR_OK);
    CHECK_EQ_I64(
        tr_keys_jwt_verify(a, tok, strlen(tok), T0 + 10 * MS, NULL, &reason),
        TR_ERR_NOT_FOUND);
    CHECK_STR(reason, "the token's API key was revoked");
    CHECK_EQ_I64(tr_keys_jwt_verify(b, tok, strlen(tok),
                                    T0 + 10 * MS + TR_KEYS_REFRESH_NS, NULL,
                                    NULL),
                 TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_keys_jwt_issue(a, info.id, T0 + 20 * MS, 60, gt, sizeof gt),
                 TR_ERR_NOT_FOUND);
    tr_keys_close(a);
    tr_keys_close(b);
    tr_keys_close(o);
    free(p);
    free(q);
}

/* ---- last use ----------------------------------------------------------- */

static void test_usage(void)
{
    char *p = path_in("use.db");
    tr_keys *a = open_ok(p, 1), *b = open_ok(p, 0);
    char k1[TR_KEY_LEN + 1], k2[TR_KEY_LEN + 1], err[512];
    tr_key_info i1, i2;
    CHECK_EQ_I64(
        tr_keys_create(a, TR_ROLE_VIEWER, "one", T0, k1, &i1, err, sizeof err),
        TR_OK);
    CHECK_EQ_I64(
        tr_keys_create(a, TR_ROLE_VIEWER, "two", T0, k2, &i2, err, sizeof err),
        TR_OK);
    CHECK_EQ_I64(verify(b, k1, T0 + 5 * MS, NULL, NULL), TR_OK);
    CHECK_EQ_I64(verify(b, k1, T0 + 7 * MS, NULL, NULL), TR_OK);
    CHECK_EQ_I64(verify(b, k1, T0 + 6 * MS, NULL, NULL), TR_OK);
    /* nothing written until a flush */
    CHECK_EQ_I64(sql_int(p, "SELECT count(*) FROM keys WHERE last_used_at "
                            "IS NOT NULL"),
                 0);
    CHECK_EQ_I64(tr_keys_flush_usage(b, err, sizeof err), TR_OK);
    tr_key_info *v;
    size_t n;
    CHECK_EQ_I64(tr_keys_list(a, &v, &n, err, sizeof err), TR_OK);
    CHECK_EQ_I64(n, 2);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_I64(v[i].last_used_at,
                     !strcmp(v[i].id, i1.id) ? T0 + 7 * MS : 0);
    free(v);
    /* a use kept across a's reload of b's flush, and never moved back */
    CHECK_EQ_I64(verify(a, k1, T0 + 3 * MS, NULL, NULL), TR_OK);
    CHECK_EQ_I64(tr_keys_flush_usage(a, err, sizeof err), TR_OK);
    CHECK_EQ_I64(sql_int(p, "SELECT last_used_at FROM keys WHERE name = "
                            "'one'"),
                 T0 + 7 * MS);
    /* a flush with nothing new writes nothing */
    CHECK_EQ_I64(tr_keys_flush_usage(b, err, sizeof err), TR_OK);
    tr_keys_close(a);
    tr_keys_close(b);
    free(p);
}

int main(void)
{
    dir = mktmp_named("test_keys");
    test_files();
    test_create_verify();
    test_no_plaintext();
    test_list_revoke();
    test_two_handles();
    test_threads_real_clock();
    test_stale_view_waits();
    test_sessions();
    test_usage();
    rm_rf(dir);
    return test_summary();
}
