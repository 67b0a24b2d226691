/* jwt.c: HS256 JSON Web Tokens (RFC 7519 / 7515) for dashboard sessions:
 * signing and strict verification (see auth.h).
 *
 * Verification order: size, shape (three non-empty base64url parts), the
 * header (alg exactly "HS256", no "crit"), the signature (constant time),
 * and only then the payload, so that a forged token's payload is never
 * parsed. */
#include "api/auth.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <string.h>

#include "core/err.h"

/* {"alg":"HS256","typ":"JWT"} in base64url */
static const char header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

static int printable(const char *s, size_t maxlen)
{
    size_t n = strlen(s);
    if (n > maxlen) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) return 0;
    return 1;
}

int tr_jwt_sign(const uint8_t *secret, size_t secret_len,
                const tr_jwt_claims *c, char *token, size_t tokensize)
{
    if (!secret || secret_len < TR_JWT_SECRET_LEN || !c->sub[0] ||
        !printable(c->sub, TR_JWT_SUB_MAX) ||
        (c->name[0] && tr_key_name_check(c->name, NULL, 0) != TR_OK) ||
        c->role < TR_ROLE_VIEWER || c->role > TR_ROLE_ADMIN || c->exp <= c->iat)
        return TR_ERR_INVALID;
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I}", "sub", c->sub, "role",
                          tr_role_name(c->role), "name", c->name, "iat",
                          (json_int_t)c->iat, "exp", (json_int_t)c->exp);
    if (!o) return TR_ERR_NOMEM;
    char *payload = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!payload) return TR_ERR_NOMEM;

    int rc = TR_ERR_RANGE;
    size_t hlen = sizeof header_b64 - 1, plen = strlen(payload);
    if (tokensize > hlen + 1) {
        memcpy(token, header_b64, hlen);
        token[hlen] = '.';
        size_t n = tr_b64url_encode(payload, plen, token + hlen + 1,
                                    tokensize - hlen - 1);
        size_t signed_len = hlen + 1 + n;
        uint8_t mac[TR_SHA256_LEN];
        if (n && signed_len + 1 < tokensize) {
            rc = tr_hmac_sha256(secret, secret_len, token, signed_len, mac);
            token[signed_len] = '.';
            if (rc == TR_OK &&
                !tr_b64url_encode(mac, sizeof mac, token + signed_len + 1,
                                  tokensize - signed_len - 1))
                rc = TR_ERR_RANGE;
        }
    }
    if (rc != TR_OK && tokensize) token[0] = '\0';
    free(payload);
    return rc;
}

/* Decode a base64url part holding JSON and parse it as an object. */
static json_t *decode_json(const char *s, size_t len)
{
    uint8_t buf[TR_JWT_INPUT_MAX];
    size_t n;
    if (tr_b64url_decode(s, len, buf, sizeof buf, &n) != TR_OK) return NULL;
    json_t *o = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    if (o && !json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int refuse(const char **reason, const char *why)
{
    if (reason) *reason = why;
    return TR_ERR_INVALID;
}

/* The header: alg exactly "HS256", typ absent or "JWT", no crit. */
static int check_header(const char *s, size_t len, const char **reason)
{
    json_t *h = decode_json(s, len);
    if (!h) return refuse(reason, "token header is not base64url JSON");
    json_t *alg = json_object_get(h, "alg");
    json_t *typ = json_object_get(h, "typ");
    int rc = TR_OK;
    if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS256") != 0 ||
        json_string_length(alg) != 5)
        rc = refuse(reason, "token algorithm is not HS256");
    else if (typ && (!json_is_string(typ) ||
                     strcmp(json_string_value(typ), "JWT") != 0))
        rc = refuse(reason, "token type is not JWT");
    else if (json_object_get(h, "crit"))
        rc = refuse(reason, "token has critical header parameters");
    json_decref(h);
    return rc;
}

static int get_string(json_t *o, const char *key, size_t maxlen, char *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || json_string_length(v) > maxlen ||
        strlen(json_string_value(v)) != json_string_length(v))
        return 0;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return printable(out, maxlen);
}

static int check_payload(const char *s, size_t len, int64_t now_s,
                         tr_jwt_claims *c, const char **reason)
{
    json_t *p = decode_json(s, len);
    if (!p) return refuse(reason, "token payload is not base64url JSON");
    int rc = TR_OK;
    char role[16];
    json_t *iat = json_object_get(p, "iat"), *exp = json_object_get(p, "exp");
    json_t *nbf = json_object_get(p, "nbf"), *name = json_object_get(p, "name");
    memset(c, 0, sizeof *c);
    if (!get_string(p, "sub", TR_JWT_SUB_MAX, c->sub) || !c->sub[0])
        rc = refuse(reason, "token has no valid sub claim");
    else if (!get_string(p, "role", sizeof role - 1, role) ||
             tr_role_parse(role, &c->role, NULL, 0) != TR_OK)
        rc = refuse(reason, "token has no valid role claim");
    else if (name &&
             (!get_string(p, "name", TR_KEY_NAME_MAX, c->name) ||
              (c->name[0] && tr_key_name_check(c->name, NULL, 0) != TR_OK)))
        rc = refuse(reason, "token has an invalid name claim");
    else if (!json_is_integer(iat) || !json_is_integer(exp))
        rc = refuse(reason, "token lacks integer iat and exp claims");
    else if (nbf && !json_is_integer(nbf))
        rc = refuse(reason, "token has a non-integer nbf claim");
    else {
        c->iat = (int64_t)json_integer_value(iat);
        c->exp = (int64_t)json_integer_value(exp);
        if (now_s >= c->exp)
            rc = refuse(reason, "token expired");
        else if (nbf && now_s < (int64_t)json_integer_value(nbf))
            rc = refuse(reason, "token not valid yet");
        else if (c->iat > now_s + TR_JWT_LEEWAY_S)
            rc = refuse(reason, "token issued in the future");
    }
    json_decref(p);
    return rc;
}

int tr_jwt_verify(const uint8_t *secret, size_t secret_len, const char *token,
                  size_t len, tr_time now, tr_jwt_claims *out,
                  const char **reason)
{
    if (!secret || secret_len < TR_JWT_SECRET_LEN)
        return refuse(reason, "server secret too short");
    if (!token || len == 0) return refuse(reason, "empty token");
    if (len > TR_JWT_INPUT_MAX) return refuse(reason, "token too long");
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 =
        dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot1 || !dot2 ||
        memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return refuse(reason, "token is not three dot-separated parts");
    size_t hlen = (size_t)(dot1 - token);
    size_t plen = (size_t)(dot2 - dot1 - 1);
    size_t slen = len - (size_t)(dot2 + 1 - token);
    if (!hlen || !plen || !slen)
        return refuse(reason, "token has an empty part");

    int rc = check_header(token, hlen, reason);
    if (rc != TR_OK) return rc;

    uint8_t sig[TR_SHA256_LEN + 8], mac[TR_SHA256_LEN];
    size_t n = 0;
    if (tr_b64url_decode(dot2 + 1, slen, sig, sizeof sig, &n) != TR_OK ||
        n != TR_SHA256_LEN)
        return refuse(reason, "token signature is not 32 bytes of base64url");
    rc = tr_hmac_sha256(secret, secret_len, token, (size_t)(dot2 - token), mac);
    if (rc != TR_OK) return rc;
    if (CRYPTO_memcmp(sig, mac, TR_SHA256_LEN) != 0)
        return refuse(reason, "token signature does not match");

    tr_jwt_claims c;
    int64_t now_s = now / TR_NS_PER_SEC - (now % TR_NS_PER_SEC < 0);
    rc = check_payload(dot1 + 1, plen, now_s, &c, reason);
    if (rc == TR_OK && out) *out = c;
    return rc;
}
