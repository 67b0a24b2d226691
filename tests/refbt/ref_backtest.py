#!/usr/bin/env python3
"""Independent reference backtester for `trader` (standard library only).

Written from the rules in the cross-check brief and DESIGN.md ("Numbers and
conventions"), not from the C sources. It covers the narrow configuration the
cross-check uses: one symbol, fixed size, no costs, no risk limits, market
orders that fill at the NEXT bar's open, long only.

Strategies:
  sma_cross(fast, slow)
      diff = SMA(fast) - SMA(slow) once both exist. A cross up is diff > 0
      while the last non-zero diff before it was < 0; a cross down is diff < 0
      while the last non-zero diff was > 0. diff == 0 is never a cross and does
      not reset the last non-zero diff; the first non-zero diff only
      initialises. Cross up while flat -> buy; cross down while long -> sell.
      The sign of diff is decided EXACTLY (Decimal sums: sign(sum_f*slow -
      sum_s*fast)), so a mathematical tie is a tie. Float variants are computed
      alongside only to flag bars where a float implementation could disagree.
  rsi_reversion(period, lower, upper)
      RSI with Wilder smoothing seeded by the plain mean of the first `period`
      gains and losses (first value at bar index `period`); RSI =
      100*avg_gain/(avg_gain+avg_loss), 0 when that denominator is 0 (TA-Lib).
      RSI < lower while flat -> buy; RSI > upper while long -> sell. Bars whose
      RSI is within 1e-9 of a threshold are flagged as fragile.

Fills: a decision at bar i's close fills at bar i+1's open; a decision on the
last bar never fills. The position seen by a decision is the position after
the fills at the current bar's open. P&L per trade = (exit - entry) * qty in
Decimal; an open trade at the end is valued at the last close. `bars` counts
the bar closes spent in the position: exit index - entry index for a closed
trade, bar count - entry index for an open one (informational only).

As a program:  ref_backtest.py --data FILE [--symbol SYNA] --strategy NAME
                 [--param k=v ...] [--qty 100] [--out trades.csv]
writes a trades.csv in trader's layout (commission 0).
"""

import argparse
import csv
import math
import sys
from decimal import Decimal

TRADES_HEADER = ["symbol", "side", "qty", "entry_time", "entry_price",
                 "exit_time", "exit_price", "pnl", "commission", "bars",
                 "status"]


def dec_text(d):
    """Exact decimal text without trailing zeros or exponent: 101.5, 12, -3."""
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    return s


def read_bars(path):
    """CSV date,open,high,low,close,volume -> list of dicts (prices Decimal)."""
    bars = []
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        cols = [h.strip().lower() for h in header]
        idx = {name: cols.index(name) for name in
               ("date", "open", "high", "low", "close")}
        for row in r:
            if not row or not "".join(row).strip():
                continue
            bars.append({
                "time": row[idx["date"]].strip(),
                "open": Decimal(row[idx["open"]].strip()),
                "high": Decimal(row[idx["high"]].strip()),
                "low": Decimal(row[idx["low"]].strip()),
                "close": Decimal(row[idx["close"]].strip()),
            })
    return bars


def _sign(x):
    return (x > 0) - (x < 0)


# ---------------------------------------------------------------- signals --

SMA_MODES = ("exact", "running(add,sub)", "running(sub,add)", "window sum()/n",
             "window fsum()/n")


def sma_cross_signals(closes, fast, slow, mode="exact"):
    """Return (signals, fragile). signals[i] in {None, 'up', 'down'} (crosses,
    regardless of position). fragile: {i: description} for bars where a float
    SMA could give a different sign of diff than exact arithmetic. `mode`
    picks which diff drives the signals: "exact" (the reference) or one of
    the float variants (diagnostics only: to show that a disagreement with
    trader comes from float rounding at an exact tie)."""
    n = len(closes)
    fclose = [float(c) for c in closes]
    signals = [None] * n
    fragile = {}
    # exact running sums (Decimal adds of few-digit numbers are exact)
    sf = Decimal(0)
    ss = Decimal(0)
    # float running sums, two orders of update
    rf_a = rs_a = 0.0          # add new then subtract old
    rf_b = rs_b = 0.0          # subtract old then add new
    last_nz = 0
    for i in range(n):
        c = closes[i]
        sf += c
        ss += c
        if i >= fast:
            sf -= closes[i - fast]
        if i >= slow:
            ss -= closes[i - slow]
        # float variants
        rf_a += fclose[i]
        rs_a += fclose[i]
        if i >= fast:
            rf_a -= fclose[i - fast]
            rf_b -= fclose[i - fast]
        if i >= slow:
            rs_a -= fclose[i - slow]
            rs_b -= fclose[i - slow]
        rf_b += fclose[i]
        rs_b += fclose[i]
        if i < max(fast, slow) - 1:
            continue
        s = _sign(sf * slow - ss * fast)      # exact sign of SMA_f - SMA_s
        variants = {
            "running(add,sub)": rf_a / fast - rs_a / slow,
            "running(sub,add)": rf_b / fast - rs_b / slow,
            "window sum()/n": sum(fclose[i - fast + 1:i + 1]) / fast
                              - sum(fclose[i - slow + 1:i + 1]) / slow,
            "window fsum()/n": math.fsum(fclose[i - fast + 1:i + 1]) / fast
                               - math.fsum(fclose[i - slow + 1:i + 1]) / slow,
        }
        bad = {k: v for k, v in variants.items() if _sign(v) != s}
        if bad:
            fragile[i] = "exact sign %d, float: %s" % (
                s, ", ".join("%s=%.3g" % kv for kv in bad.items()))
        if mode != "exact":
            s = _sign(variants[mode])
        if s == 0:
            continue
        if last_nz != 0 and s != last_nz:
            signals[i] = "up" if s > 0 else "down"
        last_nz = s
    return signals, fragile


def rsi_values(closes, period):
    """Wilder RSI as floats; None before index `period`."""
    n = len(closes)
    out = [None] * n
    if n <= period:
        return out
    f = [float(c) for c in closes]
    g = [0.0] * n
    l = [0.0] * n
    for i in range(1, n):
        d = f[i] - f[i - 1]
        if d > 0:
            g[i] = d
        elif d < 0:
            l[i] = -d
    ag = sum(g[1:period + 1]) / period
    al = sum(l[1:period + 1]) / period

    def rsi(a, b):
        den = a + b
        return 100.0 * a / den if den != 0 else 0.0

    out[period] = rsi(ag, al)
    for i in range(period + 1, n):
        ag = (ag * (period - 1) + g[i]) / period
        al = (al * (period - 1) + l[i]) / period
        out[i] = rsi(ag, al)
    return out


def rsi_signals(closes, period, lower, upper):
    vals = rsi_values(closes, period)
    signals = [None] * len(closes)
    fragile = {}
    for i, v in enumerate(vals):
        if v is None:
            continue
        if v < lower:
            signals[i] = "up"
        elif v > upper:
            signals[i] = "down"
        for name, t in (("lower", lower), ("upper", upper)):
            if abs(v - t) < 1e-9:
                fragile[i] = "RSI %.15g within 1e-9 of %s=%g" % (v, name, t)
        if v == 0.0 and i == period:
            fragile[i] = "RSI seed has avg_gain+avg_loss == 0 (RSI taken as 0)"
    return signals, fragile


def strategy_signals(closes, name, params, sma_mode="exact"):
    if name == "sma_cross":
        return sma_cross_signals(closes, int(params.get("fast", 10)),
                                 int(params.get("slow", 30)), sma_mode)
    if name == "rsi_reversion":
        return rsi_signals(closes, int(params.get("period", 14)),
                           float(params.get("lower", 30)),
                           float(params.get("upper", 70)))
    raise ValueError("unsupported strategy %r" % name)


# ---------------------------------------------------------------- backtest --

def backtest(bars, symbol, strategy, params, qty=100, cash=None,
             sma_mode="exact"):
    """Run the reference; returns a dict with trades (list of dicts with
    trades.csv fields as text), signals [(i, 'buy'|'sell')] of actionable
    decisions, fills [(i, side, price)] and fragile {i: why}."""
    qty = Decimal(qty)
    closes = [b["close"] for b in bars]
    raw, fragile = strategy_signals(closes, strategy, params, sma_mode)
    n = len(bars)
    pos = 0            # 0 flat, 1 long
    pending = None     # 'buy' / 'sell' to fill at next open
    entry_i = None
    entry_px = None
    trades, decisions, fills, warnings = [], [], [], []
    for i in range(n):
        if pending is not None:
            px = bars[i]["open"]
            if pending == "buy":
                if cash is not None and px * qty > cash:
                    warnings.append("bar %d: buy notional %s exceeds cash %s"
                                    % (i, px * qty, cash))
                pos, entry_i, entry_px = 1, i, px
            else:
                pnl = (px - entry_px) * qty
                trades.append({
                    "symbol": symbol, "side": "long", "qty": dec_text(qty),
                    "entry_time": bars[entry_i]["time"],
                    "entry_price": dec_text(entry_px),
                    "exit_time": bars[i]["time"], "exit_price": dec_text(px),
                    "pnl": dec_text(pnl), "commission": "0",
                    "bars": str(i - entry_i), "status": "closed",
                    "_entry_i": entry_i, "_exit_i": i,
                })
                pos, entry_i, entry_px = 0, None, None
            fills.append((i, pending, px))
            pending = None
        s = raw[i]
        if s == "up" and pos == 0:
            pending = "buy"
        elif s == "down" and pos == 1:
            pending = "sell"
        if pending is not None:
            decisions.append((i, pending))
    if pending is not None:
        # a decision on the last bar: never fills, shows nothing in trades.csv
        pass
    if pos == 1:
        last = bars[-1]["close"]
        trades.append({
            "symbol": symbol, "side": "long", "qty": dec_text(qty),
            "entry_time": bars[entry_i]["time"],
            "entry_price": dec_text(entry_px), "exit_time": "",
            "exit_price": "", "pnl": dec_text((last - entry_px) * qty),
            "commission": "0", "bars": str(n - entry_i), "status": "open",
            "_entry_i": entry_i, "_exit_i": None,
        })
    return {"trades": trades, "decisions": decisions, "fills": fills,
            "fragile": fragile, "warnings": warnings, "raw": raw}


def write_trades(path, trades):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(TRADES_HEADER)
        for t in trades:
            w.writerow([t[k] for k in TRADES_HEADER])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--symbol", default="SYNA")
    ap.add_argument("--strategy", required=True,
                    choices=["sma_cross", "rsi_reversion"])
    ap.add_argument("--param", action="append", default=[],
                    help="k=v, e.g. fast=10")
    ap.add_argument("--qty", default="100")
    ap.add_argument("--out", default="-")
    a = ap.parse_args(argv)
    params = dict(p.split("=", 1) for p in a.param)
    res = backtest(read_bars(a.data), a.symbol, a.strategy, params, a.qty)
    if a.out == "-":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(TRADES_HEADER)
        for t in res["trades"]:
            w.writerow([t[k] for k in TRADES_HEADER])
    else:
        write_trades(a.out, res["trades"])
    for i, why in sorted(res["fragile"].items()):
        print("fragile bar %d: %s" % (i, why), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
