/* stats.c: performance statistics of a run and of one symbol (see stats.h).
 *
 * Definitions (n equity points E_0 .. E_{n-1} at times t_0 < ... < t_{n-1}):
 *
 *   point returns   r_i = E_i / E_{i-1} - 1, i = 1 .. n-1, computed as
 *                   (E_i - E_{i-1}) / E_{i-1} with the difference exact in
 *                   tr_fx, so that small returns keep their digits. A return
 *                   from a non-positive equity (a ruined account) means
 *                   nothing and is taken as 0.
 *   years           (t_{n-1} - t_0) / 365.25 days.
 *   periods/year    ppy = (n - 1) / years. With n < 2 (years == 0) there is
 *                   nothing to annualise: ppy, cagr, ann_volatility, sharpe,
 *                   sortino and calmar are 0.
 *   total_return    end / start - 1.
 *   cagr            (end / start)^(1 / years) - 1; -1 when end <= 0.
 *   ann_volatility  sample sd (n - 1 denominator over the n - 1 returns) of
 *                   r times sqrt(ppy); 0 with fewer than two returns.
 *   sharpe          mean(r) / sd(r) * sqrt(ppy), risk-free rate 0; 0 when
 *                   sd == 0. sd is exactly 0 when all returns are equal as
 *                   exact fractions (E_i - E_{i-1}) / E_{i-1} (compared in
 *                   128 bits): 10/100 and 12.1/121 are different doubles,
 *                   and their rounding noise would otherwise give a sd of
 *                   1e-17 and a Sharpe ratio of 1e16.
 *   sortino         mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(ppy), the
 *                   downside mean taken over all returns; 0 when no return
 *                   is negative.
 *   max_drawdown    max over i of 1 - E_i / max_{j<=i} E_j, computed as
 *                   (peak - E_i) / peak. It exceeds 1 only when equity falls
 *                   below 0. max_dd_peak is the last time equity stood at
 *                   that peak before the deepest trough, max_dd_trough the
 *                   first time the deepest fall was reached.
 *   max_dd_duration the longest time from a peak until equity first gets
 *                   back to (>=) it, or until the last point when it never
 *                   does, in days. Equity equal to the peak is a recovery
 *                   and a new peak.
 *   calmar          cagr / max_drawdown; 0 when max_drawdown == 0.
 *
 * Trades: only closed ones (open == 0) count in trades, wins and losses; a
 * trade with pnl > 0 is a win, pnl <= 0 (a scratch trade included) a loss.
 * Open trades are counted in open_trades and their pnl is in no total.
 *   gross_profit    sum of winning pnl; gross_loss the sum of losing pnl as
 *                   a positive magnitude; net_pnl = sum of all closed pnl.
 *   win_rate        wins / trades (0 with no trade).
 *   profit_factor   gross_profit / gross_loss; INFINITY when gross_loss == 0
 *                   and gross_profit > 0; 0 when gross_profit == 0 (no trade,
 *                   or only scratch trades and losses).
 *   avg_win         gross_profit / wins, avg_loss = -(gross_loss / losses),
 *                   expectancy = net_pnl / trades: exact tr_fx quotients
 *                   rounded half to even (tr_fx_div), 0 when the count is 0.
 *
 * Activity: time_in_market = points with exposure != 0 / n; turnover = sum
 * of |qty * price| (tr_fx_mul, rounded half to even per fill) over all
 * fills; turnover_ratio = turnover / mean equity (0 when the mean is <= 0);
 * commissions = sum of fill commissions; fills = nfills.
 *
 * Per symbol (tr_stats_symbol): trades and fills of that symbol only, with
 * the same trade and activity definitions, except that time_in_market = sum
 * of bars of its trades, closed and open, / sym_bars (at most 1: a reversal
 * bar may belong to two trades; 0 when sym_bars == 0) and turnover_ratio is
 * 0 (there is no per-symbol equity). Returns are relative to the run's
 * start_equity: end_equity = start_equity + net_pnl + pnl of open trades,
 * total_return = end / start - 1. max_drawdown, max_dd_peak and
 * max_dd_trough come from the curve start_equity, then + the cumulative
 * closed-trade pnl at each exit time in exit-time order (ties in input
 * order); the start point's time is the earliest entry time of the closed
 * trades. All other return figures (cagr, volatility, sharpe, sortino,
 * calmar, ppy, max_dd_duration_days) are 0.
 *
 * Errors: TR_ERR_INVALID for n == 0, times not strictly increasing, a
 * start equity <= 0 (returns relative to it mean nothing), out == NULL or a
 * NULL array with a non-zero count; TR_ERR_RANGE when a money sum or
 * product overflows tr_fx. On error *out is untouched.
 *
 * Money stays exact (tr_fx_* arithmetic); the statistics are double. The
 * functions allocate nothing: trades of one symbol never overlap, so a run
 * lists them in exit order whether it records them by entry or by exit;
 * only input out of exit order makes the per-symbol curve fall back to a
 * quadratic search for the next exit. */
#include "port/stats.h"

#include <math.h>

#include "core/err.h"

#define NS_PER_YEAR (365.25 * (double)TR_NS_PER_DAY)

/* Sums of the closed and open trades that pass the filter. */
typedef struct trade_sums {
    size_t trades, open_trades, wins, losses;
    tr_fx gross_profit, gross_loss, net_pnl, open_pnl;
    size_t bars; /* bars of all matching trades, closed and open */
} trade_sums;

/* (a - b) / b in double, with the difference exact when it fits. */
static double rel_change(tr_fx a, tr_fx b)
{
    tr_fx d;
    if (tr_fx_sub(a, b, &d) == TR_OK)
        return tr_fx_to_double(d) / tr_fx_to_double(b);
    return tr_fx_to_double(a) / tr_fx_to_double(b) - 1.0;
}

/* Trades of sym (all trades when all != 0) summed into *s. TR_ERR_RANGE. */
static int sum_trades(const tr_trade *trades, size_t ntrades, int all,
                      tr_sym sym, trade_sums *s)
{
    int rc = TR_OK;
    for (size_t i = 0; i < ntrades && rc == TR_OK; i++) {
        const tr_trade *t = &trades[i];
        if (!all && t->sym != sym)
            continue;
        s->bars += t->bars;
        if (t->open) {
            s->open_trades++;
            rc = tr_fx_add(s->open_pnl, t->pnl, &s->open_pnl);
            continue;
        }
        s->trades++;
        if (t->pnl > 0) {
            s->wins++;
            rc = tr_fx_add(s->gross_profit, t->pnl, &s->gross_profit);
        } else {
            s->losses++;
            rc = tr_fx_sub(s->gross_loss, t->pnl, &s->gross_loss);
        }
        if (rc == TR_OK)
            rc = tr_fx_add(s->net_pnl, t->pnl, &s->net_pnl);
    }
    return rc;
}

/* a / count as a tr_fx, rounded half to even; 0 when count == 0. */
static int fx_avg(tr_fx a, size_t count, tr_fx *out)
{
    tr_fx c;
    if (count == 0) {
        *out = 0;
        return TR_OK;
    }
    if (count > (size_t)INT64_MAX || tr_fx_from_int((int64_t)count, &c))
        return TR_ERR_RANGE;
    return tr_fx_div(a, c, out);
}

/* The trade figures of *out from the sums. TR_ERR_RANGE. */
static int trade_figures(const trade_sums *s, tr_stats *out)
{
    out->trades = s->trades;
    out->open_trades = s->open_trades;
    out->wins = s->wins;
    out->losses = s->losses;
    out->gross_profit = s->gross_profit;
    out->gross_loss = s->gross_loss;
    out->net_pnl = s->net_pnl;
    out->win_rate = s->trades ? (double)s->wins / (double)s->trades : 0.0;
    if (s->gross_profit == 0)
        out->profit_factor = 0.0;
    else if (s->gross_loss == 0)
        out->profit_factor = INFINITY;
    else
        out->profit_factor = tr_fx_to_double(s->gross_profit) /
                             tr_fx_to_double(s->gross_loss);
    int rc = fx_avg(s->gross_profit, s->wins, &out->avg_win);
    if (rc == TR_OK)
        rc = fx_avg(s->gross_loss, s->losses, &out->avg_loss);
    if (rc == TR_OK)
        out->avg_loss = -out->avg_loss; /* never INT64_MIN: cannot overflow */
    if (rc == TR_OK)
        rc = fx_avg(s->net_pnl, s->trades, &out->expectancy);
    return rc;
}

/* Turnover, commissions and count of the fills of sym (all when all != 0).
 * TR_ERR_RANGE. */
static int fill_figures(const tr_fill *fills, size_t nfills, int all,
                        tr_sym sym, tr_stats *out)
{
    tr_fx turnover = 0, commissions = 0;
    size_t count = 0;
    for (size_t i = 0; i < nfills; i++) {
        const tr_fill *f = &fills[i];
        tr_fx notional;
        if (!all && f->sym != sym)
            continue;
        int rc = tr_fx_mul(f->qty, f->price, &notional);
        if (rc == TR_OK)
            rc = tr_fx_add(turnover, notional < 0 ? -notional : notional,
                           &turnover);
        if (rc == TR_OK)
            rc = tr_fx_add(commissions, f->commission, &commissions);
        if (rc != TR_OK)
            return rc;
        count++;
    }
    out->turnover = turnover;
    out->commissions = commissions;
    out->fills = count;
    return TR_OK;
}

/* The point return r_i of eq (i >= 1) as a double, and as the exact
 * rational *num / *den (den > 0) so that equal returns can be told apart
 * from nearly equal ones. *den = 0 when the difference does not fit. */
static double point_return(const tr_equity_point *eq, size_t i, tr_fx *num,
                           tr_fx *den)
{
    tr_fx prev = eq[i - 1].equity;
    if (prev <= 0) { /* from a ruined account: 0 */
        *num = 0;
        *den = 1;
        return 0.0;
    }
    *den = prev;
    if (tr_fx_sub(eq[i].equity, prev, num) != TR_OK) {
        *den = 0;
        return tr_fx_to_double(eq[i].equity) / tr_fx_to_double(prev) - 1.0;
    }
    return tr_fx_to_double(*num) / tr_fx_to_double(prev);
}

/* Volatility, Sharpe and Sortino of the point returns of eq (n >= 2). */
static void return_figures(const tr_equity_point *eq, size_t n, double ppy,
                           tr_stats *out)
{
    size_t m = n - 1;
    double sum = 0.0, down = 0.0;
    /* One pass: Welford's running mean and sum of squared deviations, as
     * stable as a second pass about the mean without reading 10 million
     * points twice. */
    double mean = 0.0, m2 = 0.0;
    tr_fx num0 = 0, den0 = 0, num, den;
    int all_equal = 1, any_negative = 0;
    for (size_t i = 1; i < n; i++) {
        double r = point_return(eq, i, &num, &den);
        if (i == 1) {
            num0 = num;
            den0 = den;
        } else if (all_equal &&
                   (den == 0 || den0 == 0 ||
                    (__int128)num * den0 != (__int128)num0 * den)) {
            /* Compared exactly: 12.1/121 and 10/100 are the same return,
             * but not the same double. */
            all_equal = 0;
        }
        sum += r;
        double delta = r - mean;
        mean += delta / (double)i;
        m2 += delta * (r - mean);
        if (r < 0) {
            down += r * r;
            any_negative = 1;
        }
    }
    mean = sum / (double)m;
    double sd = 0.0;
    if (m >= 2 && !all_equal)
        sd = sqrt(m2 / (double)(m - 1));
    double root = sqrt(ppy);
    out->ann_volatility = sd * root;
    out->sharpe = sd > 0.0 ? mean / sd * root : 0.0;
    out->sortino =
        any_negative ? mean / sqrt(down / (double)m) * root : 0.0;
}

/* Tracks the deepest fall of a curve fed point by point, and the longest
 * time under water. The first point must be > 0. */
typedef struct dd_state {
    tr_fx peak;
    tr_time peak_time;
    int under; /* below the peak now */
    double max_dd;
    tr_fx deep_e, deep_peak; /* the deepest point and its peak; 0 = none */
    tr_time max_peak, max_trough;
    tr_time longest; /* ns */
} dd_state;

static void dd_init(dd_state *d, tr_fx e, tr_time t)
{
    *d = (dd_state){.peak = e, .peak_time = t};
    d->max_peak = d->max_trough = t;
}

static void dd_add(dd_state *d, tr_fx e, tr_time t)
{
    if (e >= d->peak) {
        if (d->under && t - d->peak_time > d->longest)
            d->longest = t - d->peak_time;
        d->under = 0;
        d->peak = e;
        d->peak_time = t;
        return;
    }
    d->under = 1;
    /* Deeper than the deepest so far when e / peak < deep_e / deep_peak;
     * compared exactly by cross-multiplying (peaks are > 0), so the
     * division happens only for a new deepest point. */
    if (d->deep_peak == 0 ||
        (__int128)e * d->deep_peak < (__int128)d->deep_e * d->peak) {
        d->deep_e = e;
        d->deep_peak = d->peak;
        d->max_dd = -rel_change(e, d->peak);
        d->max_peak = d->peak_time;
        d->max_trough = t;
    }
}

/* Close the curve at time t_end (the last point). */
static void dd_end(dd_state *d, tr_time t_end)
{
    if (d->under && t_end - d->peak_time > d->longest)
        d->longest = t_end - d->peak_time;
}

int tr_stats_compute(const tr_equity_point *eq, size_t n,
                     const tr_trade *trades, size_t ntrades,
                     const tr_fill *fills, size_t nfills, tr_stats *out)
{
    if (!out || n == 0 || !eq || (ntrades && !trades) || (nfills && !fills))
        return TR_ERR_INVALID;
    if (eq[0].equity <= 0)
        return TR_ERR_INVALID;
    for (size_t i = 1; i < n; i++)
        if (eq[i].time <= eq[i - 1].time)
            return TR_ERR_INVALID;

    tr_stats s = {0};
    s.start_equity = eq[0].equity;
    s.end_equity = eq[n - 1].equity;
    s.total_return = rel_change(s.end_equity, s.start_equity);

    dd_state d;
    dd_init(&d, eq[0].equity, eq[0].time);
    size_t in_market = eq[0].exposure != 0;
    double eq_sum = tr_fx_to_double(eq[0].equity);
    for (size_t i = 1; i < n; i++) {
        dd_add(&d, eq[i].equity, eq[i].time);
        in_market += eq[i].exposure != 0;
        eq_sum += tr_fx_to_double(eq[i].equity);
    }
    dd_end(&d, eq[n - 1].time);
    s.max_drawdown = d.max_dd;
    s.max_dd_peak = d.max_peak;
    s.max_dd_trough = d.max_trough;
    s.max_dd_duration_days = (double)d.longest / (double)TR_NS_PER_DAY;

    if (n >= 2) {
        double years = (double)(eq[n - 1].time - eq[0].time) / NS_PER_YEAR;
        s.periods_per_year = (double)(n - 1) / years;
        if (s.end_equity <= 0)
            s.cagr = -1.0;
        else
            s.cagr = expm1(log(tr_fx_to_double(s.end_equity) /
                               tr_fx_to_double(s.start_equity)) /
                           years);
        return_figures(eq, n, s.periods_per_year, &s);
        s.calmar = s.max_drawdown > 0.0 ? s.cagr / s.max_drawdown : 0.0;
    }

    trade_sums ts = {0};
    int rc = sum_trades(trades, ntrades, 1, 0, &ts);
    if (rc == TR_OK)
        rc = trade_figures(&ts, &s);
    if (rc == TR_OK)
        rc = fill_figures(fills, nfills, 1, 0, &s);
    if (rc != TR_OK)
        return rc;

    s.time_in_market = (double)in_market / (double)n;
    double mean_eq = eq_sum / (double)n;
    s.turnover_ratio =
        mean_eq > 0.0 ? tr_fx_to_double(s.turnover) / mean_eq : 0.0;
    *out = s;
    return TR_OK;
}

/* Index of the closed trade of sym that comes next in (exit_time, index)
 * order after (t, i) (the first one when i == SIZE_MAX), or ntrades. */
static size_t next_exit(const tr_trade *trades, size_t ntrades, tr_sym sym,
                        tr_time t, size_t i)
{
    size_t best = ntrades;
    for (size_t j = 0; j < ntrades; j++) {
        const tr_trade *c = &trades[j];
        if (c->sym != sym || c->open)
            continue;
        if (i != SIZE_MAX &&
            (c->exit_time < t || (c->exit_time == t && j <= i)))
            continue;
        if (best == ntrades || c->exit_time < trades[best].exit_time)
            best = j; /* ties keep the smaller index: j grows */
    }
    return best;
}

/* The drawdown of start + cumulative closed-trade pnl of sym into *out.
 * TR_ERR_RANGE. */
static int symbol_drawdown(tr_sym sym, tr_fx start, const tr_trade *trades,
                           size_t ntrades, tr_stats *out)
{
    int sorted = 1, any = 0;
    tr_time first_entry = 0, last_exit = 0;
    for (size_t i = 0; i < ntrades; i++) {
        const tr_trade *t = &trades[i];
        if (t->sym != sym || t->open)
            continue;
        if (any && t->exit_time < last_exit)
            sorted = 0;
        if (!any || t->entry_time < first_entry)
            first_entry = t->entry_time;
        last_exit = t->exit_time;
        any = 1;
    }
    if (!any)
        return TR_OK;

    dd_state d;
    tr_fx equity = start;
    dd_init(&d, start, first_entry);
    if (sorted) {
        for (size_t i = 0; i < ntrades; i++) {
            const tr_trade *t = &trades[i];
            if (t->sym != sym || t->open)
                continue;
            if (tr_fx_add(equity, t->pnl, &equity) != TR_OK)
                return TR_ERR_RANGE;
            dd_add(&d, equity, t->exit_time);
        }
    } else {
        size_t i = next_exit(trades, ntrades, sym, 0, SIZE_MAX);
        while (i < ntrades) {
            const tr_trade *t = &trades[i];
            if (tr_fx_add(equity, t->pnl, &equity) != TR_OK)
                return TR_ERR_RANGE;
            dd_add(&d, equity, t->exit_time);
            i = next_exit(trades, ntrades, sym, t->exit_time, i);
        }
    }
    out->max_drawdown = d.max_dd;
    out->max_dd_peak = d.max_peak;
    out->max_dd_trough = d.max_trough;
    return TR_OK;
}

int tr_stats_symbol(tr_sym sym, tr_fx start_equity, size_t sym_bars,
                    const tr_trade *trades, size_t ntrades,
                    const tr_fill *fills, size_t nfills, tr_stats *out)
{
    if (!out || start_equity <= 0 || (ntrades && !trades) ||
        (nfills && !fills))
        return TR_ERR_INVALID;

    tr_stats s = {0};
    trade_sums ts = {0};
    int rc = sum_trades(trades, ntrades, 0, sym, &ts);
    if (rc == TR_OK)
        rc = trade_figures(&ts, &s);
    if (rc == TR_OK)
        rc = fill_figures(fills, nfills, 0, sym, &s);
    tr_fx net = 0;
    if (rc == TR_OK)
        rc = tr_fx_add(ts.net_pnl, ts.open_pnl, &net);
    if (rc == TR_OK)
        rc = tr_fx_add(start_equity, net, &s.end_equity);
    if (rc == TR_OK)
        rc = symbol_drawdown(sym, start_equity, trades, ntrades, &s);
    if (rc != TR_OK)
        return rc;

    s.start_equity = start_equity;
    s.total_return = tr_fx_to_double(net) / tr_fx_to_double(start_equity);
    if (sym_bars > 0) {
        double share = (double)ts.bars / (double)sym_bars;
        s.time_in_market = share < 1.0 ? share : 1.0;
    }
    *out = s;
    return TR_OK;
}
