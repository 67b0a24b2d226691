/* auth.c: roles, key names, and the hashing and encoding primitives that
 * the key store and the JWTs share (see auth.h). */
#include "api/auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

static const char *const role_names[] = {NULL, "viewer", "trader", "admin"};

const char *tr_role_name(tr_role role)
{
    if (role < TR_ROLE_VIEWER || role > TR_ROLE_ADMIN) return "?";
    return role_names[role];
}

int tr_role_parse(const char *s, tr_role *out, char *err, size_t errlen)
{
    for (int r = TR_ROLE_VIEWER; s && r <= TR_ROLE_ADMIN; r++)
        if (!strcmp(s, role_names[r])) {
            *out = (tr_role)r;
            return TR_OK;
        }
    if (err && errlen)
        snprintf(err, errlen, "unknown role '%.64s' (viewer, trader or admin)",
                 s ? s : "");
    return TR_ERR_INVALID;
}

int tr_role_allows(tr_role have, tr_role needed)
{
    if (have < TR_ROLE_VIEWER || have > TR_ROLE_ADMIN ||
        needed < TR_ROLE_VIEWER || needed > TR_ROLE_ADMIN)
        return 0;
    return have >= needed;
}

int tr_key_name_check(const char *name, char *err, size_t errlen)
{
    const char *why = NULL;
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        why = "a key name cannot be empty";
    else if (n > TR_KEY_NAME_MAX)
        why = "a key name has at most 64 characters";
    else if (name[0] == ' ' || name[n - 1] == ' ')
        why = "a key name cannot start or end with a space";
    for (size_t i = 0; !why && i < n; i++)
        if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
            why = "a key name is printable ASCII (letters, digits, spaces "
                  "and punctuation)";
    if (!why) return TR_OK;
    if (err && errlen) snprintf(err, errlen, "%s", why);
    return TR_ERR_INVALID;
}

int tr_sha256(const void *data, size_t len, uint8_t out[TR_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
        n != TR_SHA256_LEN)
        return TR_ERR_NOMEM;
    return TR_OK;
}

int tr_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                   uint8_t out[TR_SHA256_LEN])
{
    unsigned int n = 0;
    if (keylen > (size_t)INT32_MAX) return TR_ERR_INVALID;
    /* HMAC() with an empty key wants a non-NULL pointer */
    static const uint8_t none[1] = {0};
    if (!HMAC(EVP_sha256(), keylen ? key : none, (int)keylen, len ? data : none,
              len, out, &n) ||
        n != TR_SHA256_LEN)
        return TR_ERR_NOMEM;
    return TR_OK;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t tr_b64url_encode(const void *in, size_t len, char *out, size_t outsize)
{
    const uint8_t *p = in;
    size_t need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
    if (outsize < need + 1) return 0;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

int tr_b64url_decode(const char *in, size_t len, uint8_t *out, size_t outsize,
                     size_t *outlen)
{
    if (len % 4 == 1) return TR_ERR_INVALID;
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(in[i]);
        if (v < 0) return TR_ERR_INVALID;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < outsize) out[o] = (uint8_t)(acc >> bits);
            o++;
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* leftover bits must be zero: one encoding per string */
        return TR_ERR_INVALID;
    if (need > outsize) return TR_ERR_RANGE;
    *outlen = o;
    return TR_OK;
}
