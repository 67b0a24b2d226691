/* fixed.c: exact decimal fixed-point arithmetic (see fixed.h for the rules).
 *
 * Every operation computes the exact result in 128 bits and rounds it once,
 * half to even, in div_round(). Keeping one rounding site is what makes "one
 * documented rounding rule" true. */
#include "core/fixed.h"

#include <math.h>

#include "core/err.h"

typedef __int128 i128;

static int fits(i128 v)
{
    return v <= (i128)TR_FX_MAX && v >= (i128)TR_FX_MIN;
}

/* num / den rounded half to even; den != 0 and |den| <= 2^126 so that the
 * remainder comparison below cannot overflow. */
static i128 div_round(i128 num, i128 den)
{
    i128 q = num / den, r = num % den; /* C truncates toward zero */
    if (r == 0)
        return q;
    i128 ar = r < 0 ? -r : r, ad = den < 0 ? -den : den;
    i128 rest = ad - ar; /* distance to the next multiple */
    if (ar > rest || (ar == rest && (q & 1)))
        q += ((num < 0) != (den < 0)) ? -1 : 1;
    return q;
}

static int store(i128 v, tr_fx *out)
{
    if (!fits(v))
        return TR_ERR_RANGE;
    *out = (tr_fx)v;
    return TR_OK;
}

int tr_fx_from_int(int64_t n, tr_fx *out)
{
    return store((i128)n * TR_FX_SCALE, out);
}

int tr_fx_add(tr_fx a, tr_fx b, tr_fx *out)
{
    return store((i128)a + b, out);
}

int tr_fx_sub(tr_fx a, tr_fx b, tr_fx *out)
{
    return store((i128)a - b, out);
}

int tr_fx_mul(tr_fx a, tr_fx b, tr_fx *out)
{
    /* Fast path, exact: a whole-number factor (share counts, usually)
     * needs no division at all. */
    tr_fx p;
    if (b % TR_FX_SCALE == 0 && !__builtin_mul_overflow(a, b / TR_FX_SCALE, &p))
        return store(p, out);
    if (a % TR_FX_SCALE == 0 && !__builtin_mul_overflow(b, a / TR_FX_SCALE, &p))
        return store(p, out);
    return store(div_round((i128)a * b, TR_FX_SCALE), out);
}

int tr_fx_div(tr_fx a, tr_fx b, tr_fx *out)
{
    if (b == 0)
        return TR_ERR_DIV_ZERO;
    return store(div_round((i128)a * TR_FX_SCALE, b), out);
}

int tr_fx_muldiv(tr_fx a, tr_fx b, tr_fx c, tr_fx *out)
{
    if (c == 0)
        return TR_ERR_DIV_ZERO;
    return store(div_round((i128)a * b, c), out);
}

int tr_fx_round_to(tr_fx v, tr_fx tick, tr_fx *out)
{
    if (tick <= 0)
        return TR_ERR_INVALID;
    return store(div_round(v, tick) * tick, out);
}

static const i128 POW10_36 = (i128)1000000000000000000 * 1000000000000000000;

static i128 pow10_i128(int n) /* 0 <= n <= 38 */
{
    i128 p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

int tr_fx_parse(const char *s, size_t len, tr_fx *out)
{
    const char *p = s, *end = s + len;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';

    /* Up to 36 significant digits are kept exactly; later digits only set
     * 'sticky' (they can still break a rounding tie) or, before the point,
     * scale the value up by ten. */
    i128 mant = 0;
    int shift = 0, digits = 0, sticky = 0, seen_point = 0;
    for (; p < end; p++) {
        if (*p >= '0' && *p <= '9') {
            digits++;
            if (mant < POW10_36) {
                mant = mant * 10 + (*p - '0');
                if (seen_point)
                    shift--;
            } else {
                sticky |= *p != '0';
                if (!seen_point)
                    shift++;
            }
        } else if (*p == '.' && !seen_point) {
            seen_point = 1;
        } else {
            break;
        }
    }
    if (digits == 0)
        return TR_ERR_INVALID;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, edigits = 0;
        long e = 0;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        for (; p < end && *p >= '0' && *p <= '9'; p++, edigits++)
            if (e < 100000)
                e = e * 10 + (*p - '0');
        if (edigits == 0)
            return TR_ERR_INVALID;
        shift += (int)(eneg ? -e : e);
    }
    if (p != end)
        return TR_ERR_INVALID;

    shift += TR_FX_DECIMALS; /* value * 10^8 = mant * 10^shift */
    i128 v;
    if (mant == 0) {
        v = 0;
    } else if (shift >= 0) {
        if (shift > 19)
            return TR_ERR_RANGE;
        v = mant * pow10_i128(shift); /* mant < 10^37, fits in 2^127 */
        if (v > (i128)TR_FX_MAX)
            return TR_ERR_RANGE;
    } else if (-shift > 38) {
        v = 0; /* mant < 10^37: far below half a unit */
    } else {
        i128 den = pow10_i128(-shift);
        i128 q = mant / den, r = mant % den;
        i128 rest = den - r;
        if (r > rest || (r == rest && (sticky || (q & 1))))
            q++;
        v = q;
        if (v > (i128)TR_FX_MAX)
            return TR_ERR_RANGE;
    }
    *out = (tr_fx)(neg ? -v : v);
    return TR_OK;
}

size_t tr_fx_format(tr_fx v, char *buf, size_t size)
{
    char tmp[TR_FX_STRLEN];
    char *q = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t ip = u / (uint64_t)TR_FX_SCALE, fp = u % (uint64_t)TR_FX_SCALE;
    if (fp) {
        int n = TR_FX_DECIMALS;
        while (fp % 10 == 0) {
            fp /= 10;
            n--;
        }
        while (n-- > 0) {
            *--q = (char)('0' + fp % 10);
            fp /= 10;
        }
        *--q = '.';
    }
    do {
        *--q = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (v < 0)
        *--q = '-';
    size_t n = (size_t)(tmp + sizeof tmp - q);
    if (n + 1 > size)
        return 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = q[i];
    buf[n] = '\0';
    return n;
}

int tr_fx_from_double(double d, tr_fx *out)
{
    if (isnan(d))
        return TR_ERR_INVALID;
    if (isinf(d) || fabs(d) >= 1e11)
        return TR_ERR_RANGE;
    /* Exactly: d = m * 2^e with an integer m of at most 53 bits, so
     * d * 10^8 = m * 10^8 * 2^e, rounded once (no double multiplication,
     * which would round at this magnitude before we do). */
    int exp;
    double f = frexp(d, &exp);
    i128 m = (i128)(int64_t)ldexp(f, 53);
    int e = exp - 53;
    i128 num = m * TR_FX_SCALE; /* |num| < 2^80 */
    i128 v;
    if (e >= 0)
        v = num * ((i128)1 << e); /* not reached: |d| < 1e11 < 2^37 */
    else if (-e > 100)
        v = 0; /* |num| < 2^80: far below half a unit */
    else
        v = div_round(num, (i128)1 << -e);
    return store(v, out);
}
