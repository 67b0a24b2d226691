/* codec.c: the snapshot encoder and bounds-checked decoder (codec.h). */
#include "core/codec.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* ---- encoder ------------------------------------------------------------- */

void tr_enc_init(tr_enc *e)
{
    memset(e, 0, sizeof *e);
}

void tr_enc_free(tr_enc *e)
{
    free(e->p);
    memset(e, 0, sizeof *e);
}

void tr_enc_reset(tr_enc *e)
{
    e->len = 0;
    e->err = TR_OK;
}

int tr_enc_error(const tr_enc *e)
{
    return e->err;
}

/* Room for n more bytes, or NULL (error set). */
static uint8_t *room(tr_enc *e, size_t n)
{
    if (e->err)
        return NULL;
    if (n > SIZE_MAX - e->len) {
        e->err = TR_ERR_NOMEM;
        return NULL;
    }
    if (e->len + n > e->cap) {
        size_t cap = e->cap ? e->cap : 4096;
        while (cap < e->len + n) {
            if (cap > SIZE_MAX / 2) {
                cap = e->len + n;
                break;
            }
            cap *= 2;
        }
        uint8_t *p = realloc(e->p, cap);
        if (!p) {
            e->err = TR_ERR_NOMEM;
            return NULL;
        }
        e->p = p;
        e->cap = cap;
    }
    uint8_t *at = e->p + e->len;
    e->len += n;
    return at;
}

int tr_enc_reserve(tr_enc *e, size_t n)
{
    if (e->err)
        return e->err;
    if (!room(e, n))
        return e->err;
    e->len -= n;
    return TR_OK;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void enc_le(tr_enc *e, uint64_t v, int n)
{
    if (e->cap - e->len >= 8) { /* the common case: room, no error */
        uint8_t *p = e->p + e->len;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(p, &v, 8); /* the host order is the wire order */
#else
        put_le(p, v, 8);
#endif
        e->len += (size_t)n;
        return;
    }
    uint8_t *p = room(e, (size_t)n);
    if (p)
        put_le(p, v, n);
}

void tr_enc_u8(tr_enc *e, uint8_t v)
{
    enc_le(e, v, 1);
}

void tr_enc_u16(tr_enc *e, uint16_t v)
{
    enc_le(e, v, 2);
}

void tr_enc_u32(tr_enc *e, uint32_t v)
{
    enc_le(e, v, 4);
}

void tr_enc_u64(tr_enc *e, uint64_t v)
{
    enc_le(e, v, 8);
}

void tr_enc_i32(tr_enc *e, int32_t v)
{
    enc_le(e, (uint32_t)v, 4);
}

void tr_enc_i64(tr_enc *e, int64_t v)
{
    enc_le(e, (uint64_t)v, 8);
}

void tr_enc_f64(tr_enc *e, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    enc_le(e, bits, 8);
}

void tr_enc_bytes(tr_enc *e, const void *p, size_t n)
{
    uint8_t *at = room(e, n);
    if (at && n)
        memcpy(at, p, n);
}

void tr_enc_str(tr_enc *e, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    tr_enc_u32(e, (uint32_t)n);
    tr_enc_bytes(e, s, n);
}

/* A section: u32 tag, u64 length, the bytes. */
size_t tr_enc_begin(tr_enc *e, uint32_t tag)
{
    tr_enc_u32(e, tag);
    size_t mark = e->len;
    tr_enc_u64(e, 0); /* the length, written by tr_enc_end */
    return mark;
}

void tr_enc_end(tr_enc *e, size_t mark)
{
    if (e->err || mark + 8 > e->len)
        return;
    put_le(e->p + mark, (uint64_t)(e->len - mark - 8), 8);
}

/* ---- decoder ------------------------------------------------------------- */

void tr_dec_init(tr_dec *d, const void *p, size_t len)
{
    static const uint8_t none[1];
    d->p = p ? p : none; /* never NULL: no arithmetic on a null pointer */
    d->len = p ? len : 0;
    d->pos = 0;
    d->err = TR_OK;
}

int tr_dec_error(const tr_dec *d)
{
    return d->err;
}

size_t tr_dec_left(const tr_dec *d)
{
    return d->err ? 0 : d->len - d->pos;
}

int tr_dec_check(tr_dec *d, int cond)
{
    if (!cond)
        d->err = TR_ERR_DATA;
    return cond;
}

int tr_dec_finish(tr_dec *d)
{
    return !d->err && d->pos == d->len ? TR_OK : TR_ERR_DATA;
}

/* The next n bytes, or NULL (error set). */
static const uint8_t *take(tr_dec *d, size_t n)
{
    if (d->err || n > d->len - d->pos) {
        d->err = TR_ERR_DATA;
        return NULL;
    }
    const uint8_t *at = d->p + d->pos;
    d->pos += n;
    return at;
}

static inline uint64_t dec_le(tr_dec *d, int n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (!d->err && d->len - d->pos >= 8) { /* the common case */
        uint64_t v;
        memcpy(&v, d->p + d->pos, 8);
        d->pos += (size_t)n;
        return n == 8 ? v : v & ((UINT64_C(1) << (8 * n)) - 1);
    }
#endif
    const uint8_t *p = take(d, (size_t)n);
    uint64_t v = 0;
    if (p)
        for (int i = n - 1; i >= 0; i--)
            v = (v << 8) | p[i];
    return v;
}

uint8_t tr_dec_u8(tr_dec *d)
{
    return (uint8_t)dec_le(d, 1);
}

uint16_t tr_dec_u16(tr_dec *d)
{
    return (uint16_t)dec_le(d, 2);
}

uint32_t tr_dec_u32(tr_dec *d)
{
    return (uint32_t)dec_le(d, 4);
}

uint64_t tr_dec_u64(tr_dec *d)
{
    return dec_le(d, 8);
}

int32_t tr_dec_i32(tr_dec *d)
{
    return (int32_t)(uint32_t)dec_le(d, 4);
}

int64_t tr_dec_i64(tr_dec *d)
{
    return (int64_t)dec_le(d, 8);
}

double tr_dec_f64(tr_dec *d)
{
    uint64_t bits = dec_le(d, 8);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

void tr_dec_bytes(tr_dec *d, void *out, size_t n)
{
    const uint8_t *p = take(d, n);
    if (p)
        memcpy(out, p, n);
    else if (n)
        memset(out, 0, n);
}

void tr_dec_str(tr_dec *d, char *out, size_t size)
{
    uint32_t n = tr_dec_u32(d);
    if (size)
        out[0] = '\0';
    if (!tr_dec_check(d, (size_t)n < size))
        return;
    const uint8_t *p = take(d, n);
    if (!p)
        return;
    if (!tr_dec_check(d, memchr(p, 0, n) == NULL))
        return;
    memcpy(out, p, n);
    out[n] = '\0';
}

size_t tr_dec_count(tr_dec *d, size_t max, size_t min_elem_bytes)
{
    uint64_t n = tr_dec_u64(d);
    if (d->err)
        return 0;
    if (!tr_dec_check(d, n <= max &&
                             (!min_elem_bytes ||
                              n <= (d->len - d->pos) / min_elem_bytes)))
        return 0;
    return (size_t)n;
}

int tr_dec_section(tr_dec *d, uint32_t *tag, tr_dec *body)
{
    tr_dec_init(body, NULL, 0);
    if (d->err || d->pos == d->len)
        return 0;
    *tag = tr_dec_u32(d);
    uint64_t n = tr_dec_u64(d);
    if (d->err || !tr_dec_check(d, n <= d->len - d->pos))
        return 0;
    tr_dec_init(body, d->p + d->pos, (size_t)n);
    d->pos += (size_t)n;
    return 1;
}

int tr_dec_expect(tr_dec *d, uint32_t tag, tr_dec *body)
{
    uint32_t got = 0;
    if (!tr_dec_section(d, &got, body))
        return tr_dec_check(d, 0);
    if (!tr_dec_check(d, got == tag)) {
        tr_dec_init(body, NULL, 0);
        body->err = TR_ERR_DATA;
        return 0;
    }
    return 1;
}
