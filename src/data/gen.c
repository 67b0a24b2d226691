/* gen.c: the synthetic data generator (see gen.h for the model).
 *
 * Prices evolve in double (they are a simulation, not money), and every bar
 * is rounded to the cent grid before it leaves, then made consistent
 * (low <= open, close <= high) on the rounded values. */
#include "data/gen.h"

#include <math.h>
#include <stdio.h>

#include "core/err.h"

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(rng *r) /* xoshiro256** */
{
    uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static double uniform(rng *r) /* (0, 1) */
{
    return ((double)(next_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double normal(rng *r) /* Box-Muller; one value per call keeps it simple */
{
    return sqrt(-2.0 * log(uniform(r))) * cos(6.283185307179586 * uniform(r));
}

void tr_gen_symbol(unsigned index, char *buf, size_t size)
{
    if (index < 26)
        snprintf(buf, size, "SYN%c", 'A' + index);
    else
        snprintf(buf, size, "SYN%04u", index);
}

static int to_cents(double x, tr_fx *out)
{
    tr_fx v;
    int rc = tr_fx_from_double(x, &v);
    if (rc != TR_OK)
        return TR_ERR_RANGE;
    rc = tr_fx_round_to(v, TR_FX_SCALE / 100, out);
    if (rc == TR_OK && *out < TR_FX_SCALE / 100)
        *out = TR_FX_SCALE / 100; /* a price never reaches zero */
    return rc;
}

/* Next weekday at or after day d (days since 1970). */
static int64_t weekday_on_or_after(int64_t d)
{
    while ((((d + 3) % 7) + 7) % 7 >= 5)
        d++;
    return d;
}

int tr_gen_series(const tr_gen_opts *o, unsigned index, tr_bars *out)
{
    rng r;
    uint64_t x = o->seed ^ (UINT64_C(0xD1B54A32D192ED03) * (index + 1));
    for (int i = 0; i < 4; i++)
        r.s[i] = splitmix64(&x);

    /* Per-symbol character: drift, volatility, price level, liquidity. */
    double mu = 0.02 + 0.10 * uniform(&r);         /* annual drift */
    double sigma = 0.12 + 0.28 * uniform(&r);      /* annual volatility */
    double price = 20.0 * exp(2.5 * uniform(&r));  /* 20 .. 240 */
    double base_volume = 2e5 * exp(3.0 * uniform(&r));
    int per_day = o->interval == TR_GEN_1M ? 390 : 1;
    double dt = 1.0 / (252.0 * per_day);
    int stressed = 0;

    int rc = tr_bars_reserve(out, out->n + o->bars, 0);
    if (rc != TR_OK)
        return rc;
    int64_t day = weekday_on_or_after(tr_time_day(o->start));
    int slot = 0;
    for (size_t i = 0; i < o->bars; i++) {
        /* Regime switches are evaluated per bar, scaled to daily odds. */
        double p_up = 0.01 / per_day, p_down = 0.05 / per_day;
        if (uniform(&r) < (stressed ? p_down : p_up))
            stressed = !stressed;
        double vol = sigma * (stressed ? 1.8 : 0.85);
        double step_sd = vol * sqrt(dt);

        double open = price;
        if (slot == 0 && i > 0) /* overnight gap */
            open *= exp(0.35 * vol * sqrt(1.0 / 252.0) * normal(&r));
        double ret = (mu - 0.5 * vol * vol) * dt + step_sd * normal(&r);
        if (uniform(&r) < 0.02 / per_day) /* a jump, more often down */
            ret += -0.01 + 0.05 * normal(&r);

        /* An intrabar path from open to close gives high and low. */
        enum { STEPS = 12 };
        double lp = log(open), target = lp + ret, hi = open, lo = open;
        for (int k = 1; k <= STEPS; k++) {
            double bridge = lp + (target - lp) * k / STEPS;
            double wiggle = k < STEPS ? 0.6 * step_sd * normal(&r) : 0.0;
            double p = exp(bridge + wiggle);
            hi = p > hi ? p : hi;
            lo = p < lo ? p : lo;
        }
        double close = exp(target);
        price = close;

        double profile = 1.0;
        if (per_day > 1) { /* U-shaped intraday volume */
            double u = (slot + 0.5) / per_day - 0.5;
            profile = (0.6 + 6.0 * u * u) / (0.6 + 0.5);
        }
        double move = fabs(ret) / (step_sd > 0 ? step_sd : 1);
        double volume = base_volume / per_day * profile *
                        (stressed ? 1.8 : 1.0) * (0.6 + 0.4 * move) *
                        exp(0.25 * normal(&r));

        tr_bar b;
        b.time = (day * 86400 + (per_day > 1 ? 14 * 3600 + 1800 + slot * 60
                                             : 0)) * TR_NS_PER_SEC;
        if (to_cents(open, &b.open) || to_cents(hi, &b.high) ||
            to_cents(lo, &b.low) || to_cents(close, &b.close))
            return TR_ERR_RANGE;
        if (b.high < b.open) b.high = b.open;
        if (b.high < b.close) b.high = b.close;
        if (b.low > b.open) b.low = b.open;
        if (b.low > b.close) b.low = b.close;
        rc = tr_fx_from_int((int64_t)llround(volume) + 1, &b.volume);
        if (rc == TR_OK)
            rc = tr_bars_push(out, &b, 0);
        if (rc != TR_OK)
            return rc;

        if (++slot == per_day) {
            slot = 0;
            day = weekday_on_or_after(day + 1);
        }
    }
    return TR_OK;
}
