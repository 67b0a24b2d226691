/* fixed.h: exact decimal fixed-point numbers for prices, quantities and cash.
 *
 * A tr_fx is an int64 holding value * 10^8: 8 decimal places, enough for a
 * satoshi and for sub-penny prices. The range is +-92,233,720,368.54775807;
 * INT64_MIN is never produced, so negation cannot overflow.
 *
 * Rounding rule (the one rule, used everywhere a result has more than 8
 * decimals: mul, div, muldiv, parse, from_double, round_to): round half to
 * even ("banker's rounding"). It is unbiased over many operations, so sums of
 * rounded commissions or fills do not drift in one direction.
 *
 * Products and quotients go through 128-bit intermediates; every function
 * that can overflow returns TR_ERR_RANGE and leaves *out untouched. All
 * functions are pure and may be called from any thread. */
#ifndef TR_FIXED_H
#define TR_FIXED_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t tr_fx;

#define TR_FX_DECIMALS 8
#define TR_FX_SCALE    INT64_C(100000000)
#define TR_FX_MAX      INT64_MAX
#define TR_FX_MIN      (-INT64_MAX)
#define TR_FX_ONE      TR_FX_SCALE
#define TR_FX_STRLEN   32 /* enough for any formatted tr_fx plus NUL */

/* Integer n as a tr_fx (n * 10^8). TR_ERR_RANGE when |n| is too large. */
int tr_fx_from_int(int64_t n, tr_fx *out);

/* a + b, a - b. TR_ERR_RANGE on overflow. */
int tr_fx_add(tr_fx a, tr_fx b, tr_fx *out);
int tr_fx_sub(tr_fx a, tr_fx b, tr_fx *out);

/* a * b (e.g. price * quantity), rounded half to even. TR_ERR_RANGE. */
int tr_fx_mul(tr_fx a, tr_fx b, tr_fx *out);

/* a / b, rounded half to even. TR_ERR_DIV_ZERO when b == 0; TR_ERR_RANGE. */
int tr_fx_div(tr_fx a, tr_fx b, tr_fx *out);

/* a * b / c with a single rounding (half to even) of the exact result.
 * TR_ERR_DIV_ZERO when c == 0; TR_ERR_RANGE. */
int tr_fx_muldiv(tr_fx a, tr_fx b, tr_fx c, tr_fx *out);

/* v rounded to a multiple of tick (> 0), half to even: tr_fx_round_to(1.005,
 * 0.01) = 1.00, (1.015, 0.01) = 1.02. TR_ERR_INVALID when tick <= 0. */
int tr_fx_round_to(tr_fx v, tr_fx tick, tr_fx *out);

/* Parse decimal text s[0..len): optional sign, digits, optional '.' and
 * digits, optional exponent (e or E, optional sign, digits). At least one
 * digit is required; no spaces. Digits past the 8th decimal are rounded half
 * to even, so text with <= 8 decimals round-trips exactly.
 * TR_ERR_INVALID for malformed text (including "nan", "inf", ""),
 * TR_ERR_RANGE when the value does not fit. */
int tr_fx_parse(const char *s, size_t len, tr_fx *out);

/* Format v as the shortest exact decimal ("12.34", "-0.5", "100") into
 * buf[size]. Returns the length written (without the NUL), or 0 when size is
 * too small (size >= TR_FX_STRLEN always suffices). */
size_t tr_fx_format(tr_fx v, char *buf, size_t size);

/* The double nearest to v's exact value (one correctly rounded division, so
 * "12.34" parsed as tr_fx converts to the same double strtod gives while
 * |v| < 2^53, i.e. values below about 90 million). */
static inline double tr_fx_to_double(tr_fx v)
{
    return (double)v / (double)TR_FX_SCALE;
}

/* The tr_fx nearest to d, half to even. TR_ERR_INVALID for NaN, TR_ERR_RANGE
 * for infinities and values out of range. */
int tr_fx_from_double(double d, tr_fx *out);

#endif
