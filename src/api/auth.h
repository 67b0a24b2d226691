/* auth.h: authentication for the HTTP API: API keys in a SQLite key store,
 * HS256 JWTs for dashboard sessions, and per-client rate limits.
 *
 * API keys. A key is "trk_" followed by 64 hex digits (32 bytes from
 * RAND_bytes); its first 8 hex digits after the prefix are its public id,
 * shown in listings and used to revoke it. The plaintext is returned once,
 * by tr_keys_create; the store keeps only its SHA-256 (compared in constant
 * time), with id, name, role and times. Roles are ordered viewer < trader <
 * admin.
 *
 * The key store is its own SQLite file (WAL, busy timeout, mode 0600; the
 * CLI puts it at keys.db next to a run's database). An open tr_keys holds
 * every key's identity in memory, so that tr_keys_verify serves the API's
 * worker threads without touching the file; at most every
 * TR_KEYS_REFRESH_NS it checks whether another process (`trader keys`)
 * changed the file (PRAGMA data_version) and reloads it when so. A key
 * revoked anywhere stops working within TR_KEYS_MAX_STALE_NS of the
 * revocation, measured on the clock the caller passes in: a verify whose
 * view is older than that waits for a reload, and is refused (TR_ERR_IO)
 * when the file cannot be read.
 *
 * JWTs. HS256 only (the header's alg must be exactly "HS256"; "none" and
 * everything else is refused), claims sub (the key id), role, name, iat,
 * exp (seconds since the epoch). The store keeps a 32-byte secret, made
 * from RAND_bytes when the store is created, in its `meta` table, so
 * sessions survive restarts; tr_keys_jwt_verify also requires the token's
 * key to be still active, so revoking a key ends its sessions.
 *
 * Rate limits. A token bucket per client id (a key id, or anything else up
 * to TR_RATELIMIT_ID_MAX bytes), in exact integer arithmetic; the caller
 * passes the time in.
 *
 * Errors: 0 or a negative tr_err (core/err.h). Refusals of a credential
 * also give a static English reason (never NULL when set, safe to keep and
 * to share between threads); refused credentials are TR_ERR_INVALID
 * (malformed, bad signature, expired) or TR_ERR_NOT_FOUND (unknown or
 * revoked key). */
#ifndef TR_AUTH_H
#define TR_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/time.h"

#define TR_KEY_PREFIX        "trk_"
#define TR_KEY_PREFIX_LEN    4
#define TR_KEY_RANDOM        32 /* random bytes in a key */
#define TR_KEY_LEN           (TR_KEY_PREFIX_LEN + 2 * TR_KEY_RANDOM) /* 68 */
#define TR_KEY_ID_LEN        8  /* hex digits of the public id */
#define TR_KEY_NAME_MAX      64 /* bytes of a key's name */
#define TR_SHA256_LEN        32
#define TR_JWT_SECRET_LEN    32   /* the minimum HS256 key length, and ours */
#define TR_JWT_MAX           1024 /* room for any token tr_jwt_sign makes */
#define TR_JWT_INPUT_MAX     4096 /* longer tokens are refused unread */
#define TR_JWT_SUB_MAX       64   /* bytes of the sub claim */
#define TR_JWT_LEEWAY_S      60   /* iat may be this far in the future */
#define TR_KEYS_REFRESH_NS   (250 * TR_NS_PER_MS)
#define TR_KEYS_MAX_STALE_NS TR_NS_PER_SEC
#define TR_RATELIMIT_DEFAULT 100 /* capacity and refill per minute */
#define TR_RATELIMIT_MAX     1000000
#define TR_RATELIMIT_ID_MAX  64

/* ---- roles ------------------------------------------------------------ */

typedef enum tr_role {
    TR_ROLE_VIEWER = 1, /* read positions, orders, metrics */
    TR_ROLE_TRADER = 2, /* also post signals and orders */
    TR_ROLE_ADMIN = 3,  /* also control strategies, halts, keys */
} tr_role;

/* "viewer", "trader", "admin"; "?" for anything else. Any thread. */
const char *tr_role_name(tr_role role);

/* Parse a role name (exact, lower case) into *out. TR_ERR_INVALID with
 * "unknown role 'X' (viewer, trader or admin)" in err otherwise (err may be
 * NULL). Any thread. */
int tr_role_parse(const char *s, tr_role *out, char *err, size_t errlen);

/* 1 when a holder of role `have` may do what needs role `needed` (have >=
 * needed), else 0; 0 for values outside the enum. Any thread. */
int tr_role_allows(tr_role have, tr_role needed);

/* Check a key name: 1..TR_KEY_NAME_MAX bytes of printable ASCII (0x20 to
 * 0x7e), not starting or ending with a space. TR_OK, or TR_ERR_INVALID with
 * the reason in err (may be NULL). Any thread. */
int tr_key_name_check(const char *name, char *err, size_t errlen);

/* ---- primitives (OpenSSL underneath; any thread) ------------------------ */

/* out = SHA-256(data). TR_OK, or TR_ERR_NOMEM when OpenSSL fails. */
int tr_sha256(const void *data, size_t len, uint8_t out[TR_SHA256_LEN]);

/* out = HMAC-SHA256(key, data) (RFC 2104; keys of any length). TR_OK, or
 * TR_ERR_NOMEM when OpenSSL fails. */
int tr_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                   uint8_t out[TR_SHA256_LEN]);

/* Base64url without padding (RFC 4648 section 5) of in[0..len) into out,
 * NUL-terminated. Returns the length written, 0 when outsize is too small
 * (it needs (4 * len + 2) / 3 + 1). */
size_t tr_b64url_encode(const void *in, size_t len, char *out, size_t outsize);

/* Decode base64url without padding, strictly: only the alphabet A-Z a-z
 * 0-9 - _, no '=', no length of 1 modulo 4, and the unused low bits of the
 * last character must be zero (so every byte string has exactly one
 * encoding). Writes *outlen bytes to out. TR_ERR_INVALID for bad input,
 * TR_ERR_RANGE when outsize is too small. */
int tr_b64url_decode(const char *in, size_t len, uint8_t *out, size_t outsize,
                     size_t *outlen);

/* ---- the key store ------------------------------------------------------ */

/* A key's identity and life (never its secret). Times are tr_time (ns since
 * the epoch, UTC); 0 = never. */
typedef struct tr_key_info {
    char id[TR_KEY_ID_LEN + 1];     /* 8 hex digits */
    char name[TR_KEY_NAME_MAX + 1]; /* "" when it has none */
    tr_role role;
    tr_time created_at;
    tr_time last_used_at; /* as of the last tr_keys_flush_usage */
    tr_time revoked_at;   /* 0 while the key is active */
} tr_key_info;

typedef struct tr_keys tr_keys;

/* Open the key store at path (creating the file, mode 0600, its schema and
 * JWT secret when create is non-zero; an existing file readable by others
 * gets mode 0600). On success *out is a new handle: free it with
 * tr_keys_close. TR_ERR_NOT_FOUND when the file does not exist and create
 * is 0; TR_ERR_DATA when it is not a key store (or a newer version);
 * TR_ERR_IO / TR_ERR_NOMEM otherwise; the reason in err. Any thread. */
int tr_keys_open(const char *path, int create, tr_keys **out, char *err,
                 size_t errlen);

/* Close the store and free everything; NULL is fine. Call it once, when no
 * other call on ks is running. */
void tr_keys_close(tr_keys *ks);

/* Make a new key with role and name (NULL or "" for none; names of active
 * keys are unique), created at `now`. key (TR_KEY_LEN + 1 bytes) receives
 * the plaintext, the only time it exists: the store keeps its hash. *info
 * (may be NULL) receives its identity. TR_ERR_INVALID for a bad role or
 * name, or a name an active key already has; TR_ERR_IO / TR_ERR_NOMEM;
 * reason in err. Any thread. */
int tr_keys_create(tr_keys *ks, tr_role role, const char *name, tr_time now,
                   char key[TR_KEY_LEN + 1], tr_key_info *info, char *err,
                   size_t errlen);

/* Every key, revoked ones too, oldest first, read from the file. On success
 * *out is a new array of *n entries (NULL when 0): the caller frees it with
 * free(). TR_ERR_IO / TR_ERR_NOMEM with err. Any thread. */
int tr_keys_list(tr_keys *ks, tr_key_info **out, size_t *n, char *err,
                 size_t errlen);

/* Revoke the key whose id, or whose active key's name, is id_or_name, at
 * `now`; *info (may be NULL) receives it. TR_ERR_NOT_FOUND when no active
 * key matches (err says when a matching key was already revoked),
 * TR_ERR_INVALID when it names two different keys (an id of one, the name
 * of another), TR_ERR_IO / TR_ERR_NOMEM. Any thread. */
int tr_keys_revoke(tr_keys *ks, const char *id_or_name, tr_time now,
                   tr_key_info *info, char *err, size_t errlen);

/* Check the API key key[0..len) at time `now` (the caller's wall clock, ns).
 * TR_OK with its identity in *out (may be NULL); TR_ERR_INVALID for a
 * string that is not a key; TR_ERR_NOT_FOUND for an unknown or revoked
 * key; TR_ERR_IO when the store's view is stale and the file cannot be
 * read; *reason (may be NULL) is set on every refusal. Reads memory only,
 * except about every TR_KEYS_REFRESH_NS when one caller checks the file.
 * Records the use, for tr_keys_flush_usage. Any thread, concurrently. */
int tr_keys_verify(tr_keys *ks, const char *key, size_t len, tr_time now,
                   tr_key_info *out, const char **reason);

/* Write the last-use times recorded by verifies since the last flush to
 * the file (the API calls it about once a minute, from a thread that may
 * wait on the file; verify never writes). TR_OK or TR_ERR_IO with err. Any
 * thread. */
int tr_keys_flush_usage(tr_keys *ks, char *err, size_t errlen);

/* How many times ks loaded its view of the keys from the file (tests and
 * metrics). Any thread. */
uint64_t tr_keys_reloads(tr_keys *ks);

/* A session token for the active key `id`, signed with the store's secret:
 * iat = now (seconds), exp = iat + ttl_s, role and name from the store.
 * token needs TR_JWT_MAX bytes. TR_ERR_NOT_FOUND when the key is not
 * active, TR_ERR_INVALID for ttl_s <= 0, TR_ERR_IO. Any thread. */
int tr_keys_jwt_issue(tr_keys *ks, const char *id, tr_time now, int64_t ttl_s,
                      char *token, size_t tokensize);

/* Verify a session token with the store's secret (tr_jwt_verify), then
 * require its key (sub) to be still active, with the freshness of
 * tr_keys_verify. TR_OK with the key's identity in *out (may be NULL; role
 * and name as the store has them now); refusals as tr_jwt_verify, plus
 * TR_ERR_NOT_FOUND for a revoked or unknown key and TR_ERR_IO. Any
 * thread, concurrently. */
int tr_keys_jwt_verify(tr_keys *ks, const char *token, size_t len, tr_time now,
                       tr_key_info *out, const char **reason);

/* ---- JWT HS256 (pure functions; any thread) ----------------------------- */

typedef struct tr_jwt_claims {
    char sub[TR_JWT_SUB_MAX + 1]; /* the key id */
    tr_role role;
    char name[TR_KEY_NAME_MAX + 1]; /* may be "" */
    int64_t iat, exp;               /* seconds since the epoch */
} tr_jwt_claims;

/* Sign claims c into token (NUL-terminated): header {"alg":"HS256",
 * "typ":"JWT"}, payload {"sub","role","name","iat","exp"} in that order,
 * compact JSON, base64url without padding. secret must have at least
 * TR_JWT_SECRET_LEN bytes. TR_ERR_INVALID for a short secret or claims out
 * of range (sub 1..64 printable bytes, name as tr_key_name_check or "", a
 * role of the enum, exp > iat), TR_ERR_RANGE when tokensize is too small
 * (TR_JWT_MAX always fits), TR_ERR_NOMEM. */
int tr_jwt_sign(const uint8_t *secret, size_t secret_len,
                const tr_jwt_claims *c, char *token, size_t tokensize);

/* Verify token[0..len) at time `now` (ns; compared in whole seconds) and
 * fill *out (may be NULL) with its claims. Refused, with a reason:
 * TR_ERR_INVALID for a token longer than TR_JWT_INPUT_MAX, not three
 * base64url parts, a header that is not JSON or whose alg is not exactly
 * "HS256" (or with "crit"), a signature that is not HMAC-SHA256 of
 * "header.payload" with secret (compared in constant time; checked before
 * the payload is read), a payload without the claims above, now >= exp,
 * now < nbf, or iat more than TR_JWT_LEEWAY_S in the future. TR_ERR_NOMEM
 * too. */
int tr_jwt_verify(const uint8_t *secret, size_t secret_len, const char *token,
                  size_t len, tr_time now, tr_jwt_claims *out,
                  const char **reason);

/* ---- rate limits -------------------------------------------------------- */

typedef struct tr_ratelimit tr_ratelimit;

/* A limiter whose buckets hold `capacity` requests and refill at
 * `per_minute` requests a minute (each 1..TR_RATELIMIT_MAX;
 * TR_RATELIMIT_DEFAULT for the API's 100 a minute). A client seen for the
 * first time starts with a full bucket. *out is new: free it with
 * tr_ratelimit_free. TR_ERR_INVALID, TR_ERR_NOMEM. Any thread. */
int tr_ratelimit_new(uint32_t capacity, uint32_t per_minute,
                     tr_ratelimit **out);

/* NULL is fine; once, when no other call on rl runs. */
void tr_ratelimit_free(tr_ratelimit *rl);

/* Take one request from the bucket of client (1..TR_RATELIMIT_ID_MAX bytes,
 * NUL-terminated) at time now (ns, from the caller; a time before the
 * client's last one refills nothing). Returns 1 when allowed, 0 when
 * refused, with *retry_after_s (may be NULL) the whole seconds, rounded up
 * and at least 1, until a request would be allowed; TR_ERR_INVALID for a
 * bad client id, TR_ERR_NOMEM. Buckets that refilled completely are
 * forgotten when the table needs room. Any thread, concurrently. */
int tr_ratelimit_take(tr_ratelimit *rl, const char *client, tr_time now,
                      uint32_t *retry_after_s);

/* Clients the limiter holds a bucket for (tests). Any thread. */
size_t tr_ratelimit_clients(tr_ratelimit *rl);

#endif
