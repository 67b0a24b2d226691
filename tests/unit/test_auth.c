/* test_auth.c: the auth primitives, HS256 JWTs and the rate limiter:
 * RFC 4231 / RFC 4648 known answers, tokens against python3's hmac,
 * hashlib and base64 as an independent oracle, every refusal, and token
 * buckets with a fake clock, alone and from many threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "core/err.h"
#include "test.h"
#include "tmpdir.h"

static void to_hex(const void *p, size_t n, char *out)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = '\0';
}

/* ---- known answers --------------------------------------------------- */

static void test_hmac_rfc4231(void)
{
    uint8_t k1[20], k3[20], k4[25], k5[20], k6[131], d3[50], d4[50];
    memset(k1, 0x0b, sizeof k1);
    memset(k3, 0xaa, sizeof k3);
    memset(d3, 0xdd, sizeof d3);
    for (int i = 0; i < 25; i++)
        k4[i] = (uint8_t)(i + 1);
    memset(d4, 0xcd, sizeof d4);
    memset(k5, 0x0c, sizeof k5);
    memset(k6, 0xaa, sizeof k6);
    static const char d7[] =
        "This is a test using a larger than block-size key and a larger "
        "than block-size data. The key needs to be hashed before being "
        "used by the HMAC algorithm.";
    struct {
        const void *key;
        size_t klen;
        const void *data;
        size_t dlen;
        const char *mac; /* hex; case 5 is truncated to 128 bits */
    } v[] = {
        {k1, 20, "Hi There", 8,
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", 4, "what do ya want for nothing?", 28,
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {k3, 20, d3, 50,
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {k4, 25, d4, 50,
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {k5, 20, "Test With Truncation", 20,
         "a3b6167473100ee06e0c796c2955552b"},
        {k6, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {k6, 131, d7, sizeof d7 - 1,
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t mac[TR_SHA256_LEN];
        char hex[2 * TR_SHA256_LEN + 1];
        CHECK_EQ_I64(
            tr_hmac_sha256(v[i].key, v[i].klen, v[i].data, v[i].dlen, mac),
            TR_OK);
        to_hex(mac, strlen(v[i].mac) / 2, hex);
        CHECK_MSG(!strcmp(hex, v[i].mac), "RFC 4231 case %zu: %s", i + 1, hex);
    }
    /* SHA-256 (FIPS 180-2 examples) */
    uint8_t h[TR_SHA256_LEN];
    char hex[2 * TR_SHA256_LEN + 1];
    CHECK_EQ_I64(tr_sha256("abc", 3, h), TR_OK);
    to_hex(h, sizeof h, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f"
                   "20015ad");
    CHECK_EQ_I64(tr_sha256("", 0, h), TR_OK);
    to_hex(h, sizeof h, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7"
                   "852b855");
}

static void test_b64url(void)
{
    /* RFC 4648 section 10, without padding */
    static const char *plain[] = {"",     "f",     "fo",    "foo",
                                  "foob", "fooba", "foobar"};
    static const char *enc[] = {"",       "Zg",      "Zm8",     "Zm9v",
                                "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[64];
    uint8_t dec[64];
    size_t n;
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_I64(
            tr_b64url_encode(plain[i], strlen(plain[i]), out, sizeof out),
            strlen(enc[i]));
        CHECK_STR(out, enc[i]);
        CHECK_EQ_I64(
            tr_b64url_decode(enc[i], strlen(enc[i]), dec, sizeof dec, &n),
            TR_OK);
        CHECK(n == strlen(plain[i]) && !memcmp(dec, plain[i], n));
    }
    /* the url alphabet: 0xfb 0xff -> "-_8" (standard base64: "+/8=") */
    static const uint8_t fbff[] = {0xfb, 0xff};
    tr_b64url_encode(fbff, 2, out, sizeof out);
    CHECK_STR(out, "-_8");
    /* round trips of every length */
    uint8_t src[64];
    for (int i = 0; i < 64; i++)
        src[i] = (uint8_t)(i * 37 + 11);
    for (size_t len = 0; len <= 40; len++) {
        size_t m = tr_b64url_encode(src, len, out, sizeof out);
        CHECK_EQ_I64(m, (4 * len + 2) / 3);
        CHECK(tr_b64url_decode(out, m, dec, sizeof dec, &n) == TR_OK &&
              n == len && !memcmp(dec, src, len));
    }
    /* too small a buffer */
    CHECK_EQ_I64(tr_b64url_encode("foo", 3, out, 4), 0);
    CHECK_EQ_I64(tr_b64url_decode("Zm9v", 4, dec, 2, &n), TR_ERR_RANGE);
    /* strictness */
    static const char *bad[] = {"Zg=",  "Zg==", "Z",   "Zm9v+", "Zm9v/",
                                "Zm 9", "Zh",   "Zm9", "Zm-"};
    /* "Zh", "Zm9" and "Zm-" have non-zero leftover bits (Zh = Zg + 1) */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(tr_b64url_decode(bad[i], strlen(bad[i]), dec, sizeof dec,
                                   &n) == TR_ERR_INVALID,
                  "'%s' decoded", bad[i]);
}

static void test_roles(void)
{
    tr_role r;
    char err[128];
    CHECK(tr_role_parse("viewer", &r, err, sizeof err) == TR_OK &&
          r == TR_ROLE_VIEWER);
    CHECK(tr_role_parse("trader", &r, err, sizeof err) == TR_OK &&
          r == TR_ROLE_TRADER);
    CHECK(tr_role_parse("admin", &r, err, sizeof err) == TR_OK &&
          r == TR_ROLE_ADMIN);
    CHECK_EQ_I64(tr_role_parse("Admin", &r, err, sizeof err), TR_ERR_INVALID);
    CHECK_STR(err, "unknown role 'Admin' (viewer, trader or admin)");
    CHECK_EQ_I64(tr_role_parse("", &r, NULL, 0), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_role_parse(NULL, &r, NULL, 0), TR_ERR_INVALID);
    CHECK_STR(tr_role_name(TR_ROLE_TRADER), "trader");
    CHECK_STR(tr_role_name((tr_role)9), "?");
    /* viewer < trader < admin */
    for (int have = 1; have <= 3; have++)
        for (int need = 1; need <= 3; need++)
            CHECK_MSG(tr_role_allows((tr_role)have, (tr_role)need) ==
                          (have >= need),
                      "allows(%d, %d)", have, need);
    CHECK(!tr_role_allows((tr_role)0, TR_ROLE_VIEWER));
    CHECK(!tr_role_allows((tr_role)4, TR_ROLE_ADMIN));
    CHECK(!tr_role_allows(TR_ROLE_ADMIN, (tr_role)0));

    char n64[65], n65[66];
    memset(n64, 'a', 64);
    n64[64] = '\0';
    memset(n65, 'a', 65);
    n65[65] = '\0';
    CHECK_EQ_I64(tr_key_name_check(n64, NULL, 0), TR_OK);
    CHECK_EQ_I64(tr_key_name_check("ci bot #1 (prod)", NULL, 0), TR_OK);
    CHECK_EQ_I64(tr_key_name_check(n65, err, sizeof err), TR_ERR_INVALID);
    CHECK_STR(err, "a key name has at most 64 characters");
    CHECK_EQ_I64(tr_key_name_check("", NULL, 0), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_key_name_check(" x", NULL, 0), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_key_name_check("x ", NULL, 0), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_key_name_check("a\tb", NULL, 0), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_key_name_check("a\nb", NULL, 0), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_key_name_check("caf\xc3\xa9", NULL, 0), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_key_name_check("a\x7f", NULL, 0), TR_ERR_INVALID);
}

/* ---- JWTs against python3 ---------------------------------------------- */

static char *oracle_py;
static char python[1024] = "python3";

static const char oracle_src[] =
    "import sys, hmac, hashlib, base64, json\n"
    "def b64(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()\n"
    "def h(s): return bytes.fromhex(s).decode()\n"
    "mode, alg, secret = sys.argv[1], sys.argv[2], "
    "bytes.fromhex(sys.argv[3])\n"
    "if mode == 'claims':\n"
    "    head = json.dumps({'alg': 'HS256', 'typ': 'JWT'}, "
    "separators=(',', ':'))\n"
    "    body = json.dumps({'sub': h(sys.argv[4]), 'role': h(sys.argv[5]),"
    " 'name': h(sys.argv[6]), 'iat': int(sys.argv[7]), "
    "'exp': int(sys.argv[8])}, separators=(',', ':'))\n"
    "else:\n"
    "    head, body = h(sys.argv[4]), h(sys.argv[5])\n"
    "msg = b64(head.encode()) + '.' + b64(body.encode())\n"
    "md = {'HS256': hashlib.sha256, 'HS384': hashlib.sha384, "
    "'HS512': hashlib.sha512}\n"
    "sig = b64(hmac.new(secret, msg.encode(), md[alg]).digest()) "
    "if alg in md else ''\n"
    "print(msg + '.' + sig)\n";

/* Run the oracle with args; its one output line into out. */
static int run_oracle(char *out, size_t outsize, const char *args)
{
    size_t n = strlen(python) + strlen(oracle_py) + strlen(args) + 16;
    char *cmd = malloc(n);
    snprintf(cmd, n, "%s %s %s", python, oracle_py, args);
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p) return -1;
    out[0] = '\0';
    if (!fgets(out, (int)outsize, p)) out[0] = '\0';
    int st = pclose(p);
    out[strcspn(out, "\n")] = '\0';
    return st == 0 && out[0] ? 0 : -1;
}

/* A python-made token over raw header and payload JSON, signed with alg
 * ("HS256", "HS384", "HS512", or "none" for an empty signature). */
static int py_raw(char *out, size_t outsize, const char *alg,
                  const uint8_t *key, size_t klen, const char *head,
                  const char *body)
{
    size_t n = 2 * (klen + strlen(head) + strlen(body)) + 64;
    char *sh = malloc(2 * klen + 1), *hh = malloc(2 * strlen(head) + 1);
    char *bh = malloc(2 * strlen(body) + 1), *args = malloc(n);
    to_hex(key, klen, sh);
    to_hex(head, strlen(head), hh);
    to_hex(body, strlen(body), bh);
    snprintf(args, n, "raw %s %s %s %s", alg, sh, hh, bh);
    int rc = run_oracle(out, outsize, args);
    free(sh);
    free(hh);
    free(bh);
    free(args);
    return rc;
}

static const uint8_t secret[TR_JWT_SECRET_LEN] = {
    0x6b, 0x65, 0x79, 0x21, 0x00, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50,
    0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x01,
    0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b};

#define T0    INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define NS(s) ((tr_time)(s)*TR_NS_PER_SEC)

static int refused(const char *token, size_t len, tr_time now,
                   const char *want_reason)
{
    tr_jwt_claims c;
    const char *reason = NULL;
    int rc = tr_jwt_verify(secret, sizeof secret, token, len, now, &c, &reason);
    if (rc == TR_OK) {
        fprintf(stderr, "accepted: %.*s\n", (int)(len > 200 ? 200 : len),
                token);
        return 0;
    }
    if (!reason) {
        fprintf(stderr, "no reason for %.80s\n", token);
        return 0;
    }
    if (want_reason && strcmp(reason, want_reason) != 0) {
        fprintf(stderr, "reason '%s', expected '%s'\n", reason, want_reason);
        return 0;
    }
    return rc == TR_ERR_INVALID;
}

static void test_jwt_oracle(void)
{
    tr_jwt_claims c = {.role = TR_ROLE_TRADER, .iat = T0, .exp = T0 + 3600};
    snprintf(c.sub, sizeof c.sub, "%s", "0a1b2c3d");
    /* quotes, backslash and slash: JSON escaping must agree too */
    snprintf(c.name, sizeof c.name, "%s", "ci \"bot\" \\ a/b");
    char tok[TR_JWT_MAX], want[TR_JWT_MAX], sh[65], args[1024];
    char hs[32], hr[32], hn[200];
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &c, tok, sizeof tok),
                 TR_OK);
    to_hex(secret, sizeof secret, sh);
    to_hex(c.sub, strlen(c.sub), hs);
    to_hex("trader", 6, hr);
    to_hex(c.name, strlen(c.name), hn);
    snprintf(args, sizeof args, "claims HS256 %s %s %s %s %lld %lld", sh, hs,
             hr, hn, (long long)c.iat, (long long)c.exp);
    CHECK(run_oracle(want, sizeof want, args) == 0);
    CHECK_STR(tok, want);

    /* and python's token verifies, claims intact */
    tr_jwt_claims got;
    const char *reason = NULL;
    CHECK_EQ_I64(tr_jwt_verify(secret, sizeof secret, want, strlen(want),
                               NS(T0 + 10), &got, &reason),
                 TR_OK);
    CHECK_STR(got.sub, c.sub);
    CHECK_STR(got.name, c.name);
    CHECK(got.role == TR_ROLE_TRADER && got.iat == c.iat && got.exp == c.exp);

    /* a header in another order, written by someone else, is fine */
    char other[TR_JWT_MAX];
    CHECK(py_raw(other, sizeof other, "HS256", secret, sizeof secret,
                 "{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
                 "{\"sub\":\"0a1b2c3d\",\"role\":\"admin\",\"iat\":1767225600,"
                 "\"exp\":1767229200}") == 0);
    CHECK_EQ_I64(tr_jwt_verify(secret, sizeof secret, other, strlen(other),
                               NS(T0), &got, NULL),
                 TR_OK);
    CHECK(got.role == TR_ROLE_ADMIN && got.name[0] == '\0');

    /* a second fixed vector: viewer, empty name, other times */
    tr_jwt_claims v = {.role = TR_ROLE_VIEWER, .iat = 0, .exp = 1};
    snprintf(v.sub, sizeof v.sub, "ffffffff");
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &v, tok, sizeof tok),
                 TR_OK);
    to_hex(v.sub, 8, hs);
    to_hex("viewer", 6, hr);
    snprintf(args, sizeof args, "claims HS256 %s %s %s \"\" 0 1", sh, hs, hr);
    CHECK(run_oracle(want, sizeof want, args) == 0);
    CHECK_STR(tok, want);
}

static void test_jwt_refusals(void)
{
    tr_jwt_claims c = {.role = TR_ROLE_VIEWER, .iat = T0, .exp = T0 + 60};
    snprintf(c.sub, sizeof c.sub, "%s", "0a1b2c3d");
    snprintf(c.name, sizeof c.name, "%s", "dash");
    char tok[TR_JWT_MAX], t2[TR_JWT_MAX * 2];
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &c, tok, sizeof tok),
                 TR_OK);
    size_t len = strlen(tok);
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    tr_jwt_claims got;

    /* accepted in [iat, exp) and refused at exp */
    CHECK_EQ_I64(
        tr_jwt_verify(secret, sizeof secret, tok, len, NS(T0), &got, NULL),
        TR_OK);
    CHECK_EQ_I64(tr_jwt_verify(secret, sizeof secret, tok, len, NS(T0 + 60) - 1,
                               &got, NULL),
                 TR_OK);
    CHECK(refused(tok, len, NS(T0 + 60), "token expired"));
    CHECK(refused(tok, len, NS(T0 + 100000), "token expired"));
    /* iat in the future, past the leeway */
    CHECK_EQ_I64(tr_jwt_verify(secret, sizeof secret, tok, len,
                               NS(T0 - TR_JWT_LEEWAY_S), &got, NULL),
                 TR_OK);
    CHECK(refused(tok, len, NS(T0 - TR_JWT_LEEWAY_S - 1),
                  "token issued in the future"));

    /* wrong secret, short secret */
    uint8_t other[TR_JWT_SECRET_LEN];
    memcpy(other, secret, sizeof other);
    other[31] ^= 1;
    CHECK_EQ_I64(
        tr_jwt_verify(other, sizeof other, tok, len, NS(T0), &got, NULL),
        TR_ERR_INVALID);
    CHECK_EQ_I64(tr_jwt_verify(secret, 16, tok, len, NS(T0), &got, NULL),
                 TR_ERR_INVALID);
    CHECK_EQ_I64(tr_jwt_sign(secret, 31, &c, t2, sizeof t2), TR_ERR_INVALID);

    /* every byte of the token matters: flip each to another base64url
     * character (or a dot) and the token is refused */
    int all = 1;
    for (size_t i = 0; i < len; i++) {
        memcpy(t2, tok, len + 1);
        t2[i] = t2[i] == 'A' ? 'B' : t2[i] == '.' ? 'x' : 'A';
        if (!refused(t2, len, NS(T0), NULL)) {
            fprintf(stderr, "flipping byte %zu accepted\n", i);
            all = 0;
        }
    }
    CHECK(all);
    /* the signature's last character carries 2 unused bits: changing only
     * them must not give a second valid spelling */
    memcpy(t2, tok, len + 1);
    char *last = &t2[len - 1];
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alpha, *last) - alpha);
    for (int low = 1; low < 4; low++) {
        *last = alpha[(v & ~3) | ((v & 3) ^ low)];
        CHECK(refused(t2, len, NS(T0), NULL));
    }
    /* every truncation */
    all = 1;
    for (size_t n = 0; n < len; n++)
        if (!refused(tok, n, NS(T0), NULL)) {
            fprintf(stderr, "truncated to %zu accepted\n", n);
            all = 0;
        }
    CHECK(all);
    /* extra parts, padding, whitespace, non-base64 */
    snprintf(t2, sizeof t2, "%s.", tok);
    CHECK(refused(t2, strlen(t2), NS(T0), NULL));
    snprintf(t2, sizeof t2, "%s.%s", tok, d2 + 1);
    CHECK(refused(t2, strlen(t2), NS(T0), NULL));
    snprintf(t2, sizeof t2, "%s=", tok);
    CHECK(refused(t2, strlen(t2), NS(T0), NULL));
    snprintf(t2, sizeof t2, " %s", tok);
    CHECK(refused(t2, strlen(t2), NS(T0), NULL));
    snprintf(t2, sizeof t2, "%.*s*%s", (int)(d1 + 1 - tok), tok, d1 + 2);
    CHECK(refused(t2, strlen(t2), NS(T0), NULL));
    CHECK(refused("", 0, NS(T0), "empty token"));
    CHECK(refused(NULL, 0, NS(T0), "empty token"));
    CHECK(refused("..", 2, NS(T0), "token has an empty part"));
    /* the length is the caller's: a NUL inside is refused, not cut */
    memcpy(t2, tok, len + 1);
    t2[len - 3] = '\0';
    CHECK(refused(t2, len, NS(T0), NULL));

    /* a huge token is refused unread, whatever it holds */
    size_t huge = TR_JWT_INPUT_MAX + 1;
    char *big = malloc(huge + 1);
    memset(big, 'A', huge);
    big[10] = big[20] = '.';
    big[huge] = '\0';
    CHECK(refused(big, huge, NS(T0), "token too long"));
    /* a real signature over an oversized payload too */
    char *body = malloc(4000);
    int m = snprintf(body, 4000,
                     "{\"sub\":\"0a1b2c3d\",\"role\":\"admin\","
                     "\"iat\":%lld,\"exp\":%lld,\"pad\":\"",
                     (long long)T0, (long long)T0 + 60);
    memset(body + m, 'x', 3200);
    strcpy(body + m + 3200, "\"}");
    char *ptok = malloc(8192);
    CHECK(py_raw(ptok, 8192, "HS256", secret, sizeof secret,
                 "{\"alg\":\"HS256\"}", body) == 0);
    CHECK(strlen(ptok) > TR_JWT_INPUT_MAX);
    CHECK(refused(ptok, strlen(ptok), NS(T0), "token too long"));
    free(ptok);
    free(body);
    free(big);

    /* python-signed tokens with valid signatures and wrong contents */
    char p[TR_JWT_MAX * 4];
    const char *good = "{\"sub\":\"0a1b2c3d\",\"role\":\"admin\","
                       "\"iat\":1767225600,\"exp\":1767229200}";
    struct {
        const char *alg, *head, *body, *reason;
    } cases[] = {
        /* the control: this one is accepted (reason NULL) */
        {"HS256", "{\"alg\":\"HS256\"}", good, NULL},
        {"none", "{\"alg\":\"none\",\"typ\":\"JWT\"}", good,
         "token has an empty part"},
        {"HS256", "{\"alg\":\"none\",\"typ\":\"JWT\"}", good,
         "token algorithm is not HS256"},
        {"HS512", "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", good,
         "token algorithm is not HS256"},
        {"HS384", "{\"alg\":\"HS384\"}", good, "token algorithm is not HS256"},
        {"HS256", "{\"alg\":\"hs256\"}", good, "token algorithm is not HS256"},
        {"HS256", "{\"alg\":\"HS256 \"}", good, "token algorithm is not HS256"},
        {"HS256", "{\"alg\":[\"HS256\"]}", good,
         "token algorithm is not HS256"},
        {"HS256", "{\"typ\":\"JWT\"}", good, "token algorithm is not HS256"},
        {"HS256", "{\"alg\":\"HS256\",\"alg\":\"none\"}", good,
         "token header is not base64url JSON"},
        {"HS256", "{\"alg\":\"HS256\",\"typ\":\"JWE\"}", good,
         "token type is not JWT"},
        {"HS256", "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", good,
         "token has critical header parameters"},
        {"HS256", "[\"HS256\"]", good, "token header is not base64url JSON"},
        {"HS256", "{\"alg\":\"HS256\"", good,
         "token header is not base64url JSON"},
        {"HS256", "{\"alg\":\"HS256\"}", "[1,2]",
         "token payload is not base64url JSON"},
        {"HS256", "{\"alg\":\"HS256\"}", "not json",
         "token payload is not base64url JSON"},
        {"HS256", "{\"alg\":\"HS256\"}",
         "{\"sub\":\"a\",\"sub\":\"b\",\"role\":\"admin\",\"iat\":1,"
         "\"exp\":1767229200}",
         "token payload is not base64url JSON"},
        {"HS256", "{\"alg\":\"HS256\"}",
         "{\"role\":\"admin\",\"iat\":1767225600,\"exp\":1767229200}",
         "token has no valid sub claim"},
        {"HS256", "{\"alg\":\"HS256\"}",
         "{\"sub\":\"\",\"role\":\"admin\",\"iat\":1767225600,"
         "\"exp\":1767229200}",
         "token has no valid sub claim"},
        {"HS256", "{\"alg\":\"HS256\"}",
         "{\"sub\":\"0a1b2c3d\",\"role\":\"root\",\"iat\":1767225600,"
         "\"exp\":1767229200}",
         "token has no valid role claim"},
        {"HS256", "{\"alg\":\"HS256\"}",
         "{\"sub\":\"0a1b2c3d\",\"role\":\"admin\",\"iat\":1767225600}",
         "token lacks integer iat and exp claims"},
        {"HS256", "{\"alg\":\"HS256\"}",
         "{\"sub\":\"0a1b2c3d\",\"role\":\"admin\",\"iat\":1767225600,"
         "\"exp\":1767229200.0}",
         "token lacks integer iat and exp claims"},
        {"HS256", "{\"alg\":\"HS256\"}",
         "{\"sub\":\"0a1b2c3d\",\"role\":\"admin\",\"iat\":1767225600,"
         "\"exp\":\"1767229200\"}",
         "token lacks integer iat and exp claims"},
        {"HS256", "{\"alg\":\"HS256\"}",
         "{\"sub\":\"0a1b2c3d\",\"role\":\"admin\",\"name\":\"a\\nb\","
         "\"iat\":1767225600,\"exp\":1767229200}",
         "token has an invalid name claim"},
        {"HS256", "{\"alg\":\"HS256\"}",
         "{\"sub\":\"0a1b2c3d\",\"role\":\"admin\",\"iat\":1767225600,"
         "\"exp\":1767229200,\"nbf\":1767229000}",
         "token not valid yet"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!CHECK_MSG(py_raw(p, sizeof p, cases[i].alg, secret, sizeof secret,
                              cases[i].head, cases[i].body) == 0,
                       "oracle case %zu", i))
            continue;
        if (!cases[i].reason)
            CHECK_MSG(tr_jwt_verify(secret, sizeof secret, p, strlen(p), NS(T0),
                                    NULL, NULL) == TR_OK,
                      "case %zu refused", i);
        else
            CHECK_MSG(refused(p, strlen(p), NS(T0), cases[i].reason),
                      "case %zu: %s", i, cases[i].reason);
    }
    /* alg none with a signature attached is no better */
    CHECK(py_raw(p, sizeof p, "HS256", secret, sizeof secret,
                 "{\"alg\":\"none\"}", good) == 0);
    CHECK(refused(p, strlen(p), NS(T0), "token algorithm is not HS256"));

    /* a tampered payload (role raised to admin) under the old signature */
    char body2[256], b64[512];
    snprintf(body2, sizeof body2,
             "{\"sub\":\"0a1b2c3d\",\"role\":\"admin\","
             "\"name\":\"dash\",\"iat\":%lld,\"exp\":%lld}",
             (long long)T0, (long long)T0 + 60);
    tr_b64url_encode(body2, strlen(body2), b64, sizeof b64);
    snprintf(t2, sizeof t2, "%.*s%s%s", (int)(d1 + 1 - tok), tok, b64, d2);
    CHECK(refused(t2, strlen(t2), NS(T0), "token signature does not match"));

    /* sign refuses claims it could not verify, and small buffers */
    tr_jwt_claims bad = c;
    bad.exp = bad.iat;
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &bad, t2, sizeof t2),
                 TR_ERR_INVALID);
    bad = c;
    bad.role = (tr_role)7;
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &bad, t2, sizeof t2),
                 TR_ERR_INVALID);
    bad = c;
    bad.sub[0] = '\0';
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &bad, t2, sizeof t2),
                 TR_ERR_INVALID);
    bad = c;
    snprintf(bad.name, sizeof bad.name, "tab\there");
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &bad, t2, sizeof t2),
                 TR_ERR_INVALID);
    for (size_t sz = 0; sz <= len; sz++)
        CHECK_MSG(tr_jwt_sign(secret, sizeof secret, &c, t2, sz) ==
                      TR_ERR_RANGE,
                  "size %zu", sz);
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &c, t2, len + 1), TR_OK);
    CHECK_STR(t2, tok);
    /* the longest claims fit TR_JWT_MAX */
    tr_jwt_claims l = c;
    memset(l.sub, 'z', TR_JWT_SUB_MAX);
    l.sub[TR_JWT_SUB_MAX] = '\0';
    memset(l.name, '"', TR_KEY_NAME_MAX);
    l.name[TR_KEY_NAME_MAX] = '\0';
    l.iat = INT64_MIN / 2;
    l.exp = INT64_MAX;
    CHECK_EQ_I64(tr_jwt_sign(secret, sizeof secret, &l, tok, sizeof tok),
                 TR_OK);
    CHECK_EQ_I64(tr_jwt_verify(secret, sizeof secret, tok, strlen(tok), NS(T0),
                               &got, NULL),
                 TR_OK);
    CHECK_STR(got.name, l.name);
}

/* ---- rate limits ----------------------------------------------------------
 */

static void test_ratelimit_arithmetic(void)
{
    tr_ratelimit *rl = NULL;
    uint32_t ra = 0;
    tr_time t = NS(T0);
    CHECK_EQ_I64(tr_ratelimit_new(0, 100, &rl), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_ratelimit_new(100, 0, &rl), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_ratelimit_new(TR_RATELIMIT_MAX + 1, 1, &rl),
                 TR_ERR_INVALID);

    /* the API's default: 100 at once, then one every 0.6 s */
    CHECK_EQ_I64(
        tr_ratelimit_new(TR_RATELIMIT_DEFAULT, TR_RATELIMIT_DEFAULT, &rl),
        TR_OK);
    int allowed = 0;
    for (int i = 0; i < 100; i++)
        allowed += tr_ratelimit_take(rl, "k1", t, &ra) == 1;
    CHECK_EQ_I64(allowed, 100);
    ra = 0;
    CHECK_EQ_I64(tr_ratelimit_take(rl, "k1", t, &ra), 0);
    CHECK_EQ_I64(ra, 1);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "k1", t + 600 * TR_NS_PER_MS - 1, &ra),
                 0);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "k1", t + 600 * TR_NS_PER_MS, &ra), 1);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "k1", t + 600 * TR_NS_PER_MS, &ra), 0);
    /* other clients have their own buckets */
    CHECK_EQ_I64(tr_ratelimit_take(rl, "k2", t, &ra), 1);
    /* after a long pause: exactly the capacity again, not more */
    tr_time later = t + 3600 * TR_NS_PER_SEC;
    allowed = 0;
    for (int i = 0; i < 150; i++)
        allowed += tr_ratelimit_take(rl, "k1", later, &ra) == 1;
    CHECK_EQ_I64(allowed, 100);
    /* a clock that goes back refills nothing and breaks nothing */
    CHECK_EQ_I64(tr_ratelimit_take(rl, "k1", t, &ra), 0);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "k1", INT64_MIN, &ra), 0);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "k1", later + 600 * TR_NS_PER_MS, &ra),
                 1);
    /* ids */
    char id64[65], id65[66];
    memset(id64, 'x', 64);
    id64[64] = '\0';
    memset(id65, 'x', 65);
    id65[65] = '\0';
    CHECK_EQ_I64(tr_ratelimit_take(rl, id64, t, &ra), 1);
    CHECK_EQ_I64(tr_ratelimit_take(rl, id65, t, &ra), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "", t, &ra), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_ratelimit_take(rl, NULL, t, &ra), TR_ERR_INVALID);
    tr_ratelimit_free(rl);

    /* capacity 10, 6 a minute: one every 10 s; Retry-After rounds up */
    CHECK_EQ_I64(tr_ratelimit_new(10, 6, &rl), TR_OK);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t, &ra), 1);
    struct {
        tr_time dt;
        int ok;
        uint32_t retry;
    } tape[] = {
        {0, 0, 10},
        {1, 0, 10}, /* 1 ns later: 9.999999999 s -> 10 */
        {3 * TR_NS_PER_SEC, 0, 7},
        {9 * TR_NS_PER_SEC, 0, 1},
        {9500 * TR_NS_PER_MS, 0, 1},
        {10 * TR_NS_PER_SEC - 1, 0, 1},
        {10 * TR_NS_PER_SEC, 1, 0},
        {10 * TR_NS_PER_SEC, 0, 10},
        {25 * TR_NS_PER_SEC, 1, 0}, /* 1.5 requests refilled: one taken */
        {25 * TR_NS_PER_SEC, 0, 5}, /* 0.5 left: 5 s to the next */
        {30 * TR_NS_PER_SEC, 1, 0},
        {30 * TR_NS_PER_SEC, 0, 10},
    };
    for (size_t i = 0; i < sizeof tape / sizeof tape[0]; i++) {
        ra = 12345;
        int got = tr_ratelimit_take(rl, "a", t + tape[i].dt, &ra);
        CHECK_MSG(got == tape[i].ok, "tape %zu: got %d", i, got);
        if (!tape[i].ok)
            CHECK_MSG(ra == tape[i].retry, "tape %zu: retry %u, want %u", i, ra,
                      tape[i].retry);
    }
    tr_ratelimit_free(rl);

    /* capacity 1, 1 a minute: Retry-After 60 */
    CHECK_EQ_I64(tr_ratelimit_new(1, 1, &rl), TR_OK);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t, &ra), 1);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t, &ra), 0);
    CHECK_EQ_I64(ra, 60);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t + 59 * TR_NS_PER_SEC, &ra), 0);
    CHECK_EQ_I64(ra, 1);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t + 60 * TR_NS_PER_SEC, &ra), 1);
    tr_ratelimit_free(rl);

    /* a rate that does not divide a minute: 7 a minute is one request per
     * 8571428571.43 ns; a bucket is full after 8571428572 ns, never more
     * than full, and the next request needs as long again */
    CHECK_EQ_I64(tr_ratelimit_new(1, 7, &rl), TR_OK);
    const tr_time step = INT64_C(8571428572);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t, &ra), 1);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t + step - 1, &ra), 0);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t + step, &ra), 1);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t + 2 * step - 1, &ra), 0);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", t + 2 * step, &ra), 1);
    /* the extremes do not overflow: a huge capacity and rate, an epoch of
     * idleness */
    tr_ratelimit_free(rl);
    CHECK_EQ_I64(tr_ratelimit_new(TR_RATELIMIT_MAX, TR_RATELIMIT_MAX, &rl),
                 TR_OK);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", INT64_MIN, &ra), 1);
    CHECK_EQ_I64(tr_ratelimit_take(rl, "a", INT64_MAX, &ra), 1);
    tr_ratelimit_free(rl);
}

static void test_ratelimit_table(void)
{
    tr_ratelimit *rl = NULL;
    uint32_t ra;
    tr_time t = NS(T0);
    char id[32];
    CHECK_EQ_I64(tr_ratelimit_new(3, 60, &rl), TR_OK);
    /* many clients, through growth: each gets exactly its 3 */
    int bad = 0;
    for (int round = 0; round < 4; round++)
        for (int i = 0; i < 3000; i++) {
            snprintf(id, sizeof id, "client-%d", i);
            if (tr_ratelimit_take(rl, id, t, &ra) != (round < 3)) bad++;
        }
    CHECK_EQ_I64(bad, 0);
    CHECK_EQ_I64(tr_ratelimit_clients(rl), 3000);
    tr_ratelimit_free(rl);

    /* buckets that refilled are forgotten when the table needs room */
    CHECK_EQ_I64(tr_ratelimit_new(100, 100, &rl), TR_OK);
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof id, "old-%d", i);
        tr_ratelimit_take(rl, id, t, &ra);
    }
    CHECK_EQ_I64(tr_ratelimit_clients(rl), 10000);
    tr_time later = t + 2 * TR_NS_PER_MIN;
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof id, "new-%d", i);
        tr_ratelimit_take(rl, id, later, &ra);
    }
    CHECK_EQ_I64(tr_ratelimit_clients(rl), 10000);
    /* and the new buckets kept their state through the sweep */
    int allowed = 0;
    for (int i = 0; i < 200; i++)
        allowed += tr_ratelimit_take(rl, "new-7", later, &ra) == 1;
    CHECK_EQ_I64(allowed, 99);
    tr_ratelimit_free(rl);
}

typedef struct rl_thread {
    tr_ratelimit *rl;
    int id;
    tr_time now;
    int allowed, shared_allowed;
    pthread_barrier_t *go;
} rl_thread;

static void *rl_worker(void *arg)
{
    rl_thread *a = arg;
    char own[32];
    uint32_t ra;
    pthread_barrier_wait(a->go); /* all start together */
    for (int i = 0; i < 2000; i++) {
        if (tr_ratelimit_take(a->rl, "shared", a->now, &ra) == 1)
            a->shared_allowed++;
        /* private clients, so the table grows under contention */
        snprintf(own, sizeof own, "t%d-%d", a->id, i % 500);
        if (tr_ratelimit_take(a->rl, own, a->now, &ra) == 1) a->allowed++;
    }
    return NULL;
}

static void test_ratelimit_threads(void)
{
    enum { NT = 8 };
    tr_ratelimit *rl = NULL;
    CHECK_EQ_I64(tr_ratelimit_new(100, 100, &rl), TR_OK);
    pthread_t th[NT];
    rl_thread a[NT];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, NT);
    for (int i = 0; i < NT; i++) {
        a[i] = (rl_thread){.rl = rl, .id = i, .now = NS(T0), .go = &go};
        pthread_create(&th[i], NULL, rl_worker, &a[i]);
    }
    int shared = 0, own = 0;
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        shared += a[i].shared_allowed;
        own += a[i].allowed;
    }
    /* 16000 attempts on one bucket at one instant: exactly its capacity */
    CHECK_EQ_I64(shared, 100);
    /* 500 private clients a thread, 4 takes each: all allowed */
    CHECK_EQ_I64(own, NT * 2000);
    CHECK_EQ_I64(tr_ratelimit_clients(rl), NT * 500 + 1);
    pthread_barrier_destroy(&go);
    tr_ratelimit_free(rl);
}

int main(void)
{
    char *dir = mktmp_named("test_auth");
    size_t n = strlen(dir) + 16;
    oracle_py = malloc(n);
    snprintf(oracle_py, n, "%s/oracle.py", dir);
    FILE *f = fopen(oracle_py, "w");
    fputs(oracle_src, f);
    fclose(f);
    /* the interpreter itself, past any version-manager shim (faster) */
    FILE *p = popen("python3 -c 'import sys; print(sys.executable)'", "r");
    if (p) {
        char exe[sizeof python];
        if (fgets(exe, sizeof exe, p) && exe[0] == '/')
            snprintf(python, sizeof python, "%.*s", (int)strcspn(exe, "\n"),
                     exe);
        pclose(p);
    }

    test_hmac_rfc4231();
    test_b64url();
    test_roles();
    test_jwt_oracle();
    test_jwt_refusals();
    test_ratelimit_arithmetic();
    test_ratelimit_table();
    test_ratelimit_threads();

    free(oracle_py);
    rm_rf(dir);
    return test_summary();
}
