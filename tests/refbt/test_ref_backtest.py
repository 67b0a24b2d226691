#!/usr/bin/env python3
"""Cross-check: `trader backtest` against the independent reference backtester
(ref_backtest.py, same folder) on generated and hand-made series.

usage: test_ref_backtest.py TRADER_BIN [WORK_DIR]

For every case it writes a config (one symbol, fixed 100 shares, no costs, risk
off), runs `trader backtest -c CONFIG --out DIR --no-report`, runs the
reference on the same CSV and compares trades.csv row by row (symbol, side,
qty, entry_time, entry_price, exit_time, exit_price, pnl, status; commission
must be 0). On a mismatch it prints the first differing row from both sides and
what the reference knows about the bars involved (exact SMA ties, float
variants that would reproduce trader's output, trader's own signals there).
Ends with "N passed, N failed"; exits 1 on any failure.
"""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal, InvalidOperation

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ref_backtest as ref  # noqa: E402

COMPARED = ["symbol", "side", "qty", "entry_time", "entry_price", "exit_time",
            "exit_price", "pnl", "status"]
PRICE_FIELDS = {"qty", "entry_price", "exit_price", "pnl"}
SYMBOL = "SYNA"

STRATEGIES = [
    ("sma_5_20", "sma_cross", {"fast": 5, "slow": 20}),
    ("sma_10_30", "sma_cross", {"fast": 10, "slow": 30}),
    ("sma_20_50", "sma_cross", {"fast": 20, "slow": 50}),
    ("rsi_14_30_70", "rsi_reversion", {"period": 14, "lower": 30, "upper": 70}),
    ("rsi_2_10_90", "rsi_reversion", {"period": 2, "lower": 10, "upper": 90}),
]


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, **kw)


def write_config(path, data_file, strategy, params):
    ps = ", ".join("%s: %s" % kv for kv in params.items())
    with open(path, "w") as f:
        f.write("cash: 100000\n"
                "data:\n"
                "  - symbol: %s\n"
                "    file: %s\n"
                "strategy:\n"
                "  name: %s\n"
                "  params: {%s}\n"
                "sizing: {method: fixed, qty: 100}\n"
                "costs: {commission: 0, slippage_bps: 0}\n"
                "risk: {enabled: false}\n" % (SYMBOL, data_file, strategy, ps))


def read_csv_dicts(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def same_field(k, a, b):
    if a == b:
        return True, ""
    if k in PRICE_FIELDS:
        try:
            if Decimal(a) == Decimal(b):
                return False, " (same value, different text)"
        except InvalidOperation:
            pass
    return False, ""


def fmt_row(r):
    return ",".join(r.get(k, "") for k in ref.TRADES_HEADER)


class Case:
    def __init__(self, name, data_file, strategy, params, min_trades=3,
                 expect=None):
        self.name, self.data_file = name, data_file
        self.strategy, self.params = strategy, params
        self.min_trades = min_trades
        self.expect = expect      # optional extra check: fn(ref_result) -> msg


def explain(case, bars, res, tr_rows, ref_rows, k, out_dir):
    """Context for the first differing row k."""
    lines = []
    time_ix = {b["time"]: i for i, b in enumerate(bars)}
    idx = set()
    for rows in (tr_rows, ref_rows):
        if k < len(rows):
            for f in ("entry_time", "exit_time"):
                t = rows[k].get(f, "")
                if t in time_ix:
                    idx.add(time_ix[t])
    near = sorted({j for i in idx for j in range(i - 3, i + 2)
                   if 0 <= j < len(bars)})
    for j in near:
        if j in res["fragile"]:
            lines.append("  bar %d %s is an exact-tie/threshold case: %s"
                         % (j, bars[j]["time"], res["fragile"][j]))
    dec = {i: s for i, s in res["decisions"]}
    sig_path = os.path.join(out_dir, "signals.csv")
    tr_sig = {}
    if os.path.exists(sig_path):
        for r in read_csv_dicts(sig_path):
            tr_sig.setdefault(r.get("time"), []).append(
                "%s(%s)" % (r.get("action"), r.get("status")))
    if near:
        lines.append("  bars around it (index time close | reference decision"
                     " | trader signals):")
    for j in near:
        lines.append("    %5d %s %s | %s | %s" % (
            j, bars[j]["time"], ref.dec_text(bars[j]["close"]),
            dec.get(j, "-"), " ".join(tr_sig.get(bars[j]["time"], [])) or "-"))
    if case.strategy == "sma_cross":
        matching = []
        for mode in ref.SMA_MODES[1:]:
            alt = ref.backtest(bars, SYMBOL, case.strategy, case.params,
                               sma_mode=mode)["trades"]
            if [[r[f] for f in COMPARED] for r in alt] == \
               [[r.get(f, "") for f in COMPARED] for r in tr_rows]:
                matching.append(mode)
        if matching:
            lines.append("  trader's trades equal the reference's when its SMA"
                         " diff is taken in float (%s) instead of exactly:"
                         " the difference is float rounding at exact ties"
                         % ", ".join(matching))
    return lines


def check_case(trader, work, case):
    """Returns (ok, messages)."""
    cdir = os.path.join(work, "cases", case.name)
    os.makedirs(cdir, exist_ok=True)
    cfg = os.path.join(cdir, "config.yaml")
    out = os.path.join(cdir, "out")
    shutil.rmtree(out, ignore_errors=True)
    write_config(cfg, case.data_file, case.strategy, case.params)
    p = run([trader, "backtest", "-c", cfg, "--out", out, "--no-report"])
    if p.returncode != 0:
        return False, ["trader backtest exited %d:" % p.returncode,
                       p.stdout[-2000:], p.stderr[-2000:]]
    tpath = os.path.join(out, "trades.csv")
    if not os.path.exists(tpath):
        return False, ["trader wrote no %s" % tpath]
    with open(tpath, newline="") as f:
        header = next(csv.reader(f), [])
    if header != ref.TRADES_HEADER:
        return False, ["trades.csv header %r, expected %r"
                       % (header, ref.TRADES_HEADER)]
    tr_rows = read_csv_dicts(tpath)
    bars = ref.read_bars(case.data_file)
    res = ref.backtest(bars, SYMBOL, case.strategy, case.params,
                       cash=Decimal(100000))
    ref_rows = res["trades"]
    ref.write_trades(os.path.join(cdir, "ref_trades.csv"), ref_rows)
    msgs = ["  (reference warning) " + w for w in res["warnings"]]
    ok = True
    if len(ref_rows) < case.min_trades:
        ok = False
        msgs.append("vacuous case: the reference has only %d trades (< %d)"
                    % (len(ref_rows), case.min_trades))
    if case.expect:
        m = case.expect(res, bars)
        if m:
            ok = False
            msgs.append("case set-up: " + m)
    for r in tr_rows:
        c = r.get("commission", "")
        try:
            if Decimal(c) != 0:
                raise InvalidOperation
        except InvalidOperation:
            ok = False
            msgs.append("trader charged commission %r with commission: 0: %s"
                        % (c, fmt_row(r)))
            break
    first = None
    for k in range(max(len(tr_rows), len(ref_rows))):
        if k >= len(tr_rows) or k >= len(ref_rows):
            first = (k, ["row count"])
            break
        diffs = []
        for f in COMPARED:
            same, note = same_field(f, tr_rows[k].get(f, ""), ref_rows[k][f])
            if not same:
                diffs.append(f + note)
        if diffs:
            first = (k, diffs)
            break
    if first is not None:
        ok = False
        k, diffs = first
        msgs.append("trades differ: trader %d rows, reference %d rows; first"
                    " difference at row %d (%s)"
                    % (len(tr_rows), len(ref_rows), k + 1, ", ".join(diffs)))
        msgs.append("  trader:    " + (fmt_row(tr_rows[k]) if k < len(tr_rows)
                                       else "(no row)"))
        msgs.append("  reference: " + (fmt_row(ref_rows[k]) if k < len(ref_rows)
                                       else "(no row)"))
        msgs.extend(explain(case, bars, res, tr_rows, ref_rows, k, out))
        msgs.append("  files: %s and %s" % (tpath,
                    os.path.join(cdir, "ref_trades.csv")))
    else:
        # informational: the bars column is not part of the contract here
        nb = sum(1 for a, b in zip(tr_rows, ref_rows) if a.get("bars") != b["bars"])
        if nb:
            msgs.append("  note: %d rows differ only in the bars column" % nb)
    return ok, msgs + ["  %d trades (%d open), %d fragile bars in the series"
                       % (len(ref_rows),
                          sum(1 for r in ref_rows if r["status"] == "open"),
                          len(res["fragile"]))]


# ------------------------------------------------------------ data set-up --

def gen(trader, out, seed, bars, interval="1d"):
    if not os.path.exists(os.path.join(out, SYMBOL + ".csv")):
        p = run([trader, "data", "gen", "--symbols", "1", "--bars", str(bars),
                 "--seed", str(seed), "--interval", interval, "--out", out])
        if p.returncode != 0:
            raise SystemExit("trader data gen failed (%d): %s%s"
                             % (p.returncode, p.stdout, p.stderr))
    return os.path.join(out, SYMBOL + ".csv")


def truncate(src, dst, nbars):
    with open(src) as f:
        lines = f.readlines()
    with open(dst, "w") as f:
        f.writelines(lines[:nbars + 1])
    return dst


def crafted_plateaus(path, dates):
    """Trends separated by flat stretches longer than the slow SMA: on a
    plateau SMA(fast) == SMA(slow) exactly (a tie, never a cross, and the last
    non-zero diff is kept), so a trend that resumes in the same direction must
    not cross, and one that reverses must. Prices have awkward decimals so
    float sums do not cancel exactly."""
    closes = []
    p = Decimal("123.57")
    # (step, length): up, flat, up (no cross), flat, down (cross), flat,
    # down (no cross), flat, up (cross) ... repeated at drifting levels
    pattern = [("0.07", 9), ("0", 12), ("0.13", 7), ("0", 12), ("-0.11", 10),
               ("0", 12), ("-0.03", 8), ("0", 12), ("0.09", 11), ("0", 12),
               ("-0.17", 9), ("0", 12), ("0.01", 9)]
    for rep in range(6):
        for step, n in pattern:
            for _ in range(n):
                p += Decimal(step)
                closes.append(p)
        p += Decimal("0.33")
    closes = closes[:len(dates)]
    with open(path, "w") as f:
        f.write("date,open,high,low,close,volume\n")
        prev = closes[0]
        for d, c in zip(dates, closes):
            o = prev
            f.write("%s,%s,%s,%s,%s,1000\n" % (d, ref.dec_text(o),
                    ref.dec_text(max(o, c)), ref.dec_text(min(o, c)),
                    ref.dec_text(c)))
            prev = c
    return path


def crafted_flat_start(src, dst, nflat):
    """A generated series whose first nflat bars are all at the first close:
    the first RSI has avg_gain + avg_loss == 0, which the conventions (TA-Lib,
    DESIGN.md: 0 where a denominator is 0) make RSI = 0, i.e. oversold."""
    with open(src) as f:
        lines = f.readlines()
    first = lines[1].rstrip("\n").split(",")
    c = first[4]
    out = [lines[0]]
    for k, line in enumerate(lines[1:]):
        cols = line.rstrip("\n").split(",")
        if k < nflat:
            cols[1:5] = [c, c, c, c]
        elif k == nflat:
            o = Decimal(c)
            cols[1] = c
            cols[2] = ref.dec_text(max(o, Decimal(cols[2])))
            cols[3] = ref.dec_text(min(o, Decimal(cols[3])))
        out.append(",".join(cols) + "\n")
    with open(dst, "w") as f:
        f.writelines(out)
    return dst


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    trader = os.path.abspath(argv[1])
    if len(argv) > 2:
        work = os.path.abspath(argv[2])
        os.makedirs(work, exist_ok=True)
    else:
        work = tempfile.mkdtemp(prefix="refbt.")
    data = os.path.join(work, "data")
    cases = []

    daily = {s: gen(trader, os.path.join(data, "d%d" % s), s, 2000)
             for s in range(1, 6)}
    minute = {s: gen(trader, os.path.join(data, "m%d" % s), s, 5000, "1m")
              for s in (1, 2)}
    for s, f in daily.items():
        for tag, strat, params in STRATEGIES:
            cases.append(Case("1d_seed%d_%s" % (s, tag), f, strat, params))
    for s, f in minute.items():
        for tag, strat, params in STRATEGIES:
            cases.append(Case("1m_seed%d_%s" % (s, tag), f, strat, params))

    # The end of the data: cut a series so that its last bar is a decision
    # bar (the order never fills: nothing shows) or a fill bar.
    for src_tag, src in (("1d_seed1", daily[1]), ("1m_seed1", minute[1])):
        bars = ref.read_bars(src)
        for tag, strat, params in (STRATEGIES[1], STRATEGIES[3]):
            res = ref.backtest(bars, SYMBOL, strat, params)
            buys = [i for i, s in res["decisions"] if s == "buy"]
            sells = [i for i, s in res["decisions"] if s == "sell"]
            if len(buys) < 4 or len(sells) < 4:
                continue
            b, s_ = buys[3], sells[3]
            for what, last, check in (
                    ("last_bar_buy_signal", b, "no_open"),
                    ("last_bar_sell_signal", s_, "open"),
                    ("last_bar_buy_fill", b + 1, "open_at_last"),
                    ("last_bar_sell_fill", s_ + 1, "closed_at_last")):
                name = "%s_%s_%s" % (src_tag, tag, what)
                dst = truncate(src, os.path.join(data, name + ".csv"), last + 1)

                def expect(r, bs, check=check):
                    last_i = len(bs) - 1
                    tr = r["trades"]
                    if check == "no_open":
                        if (last_i, "buy") not in r["decisions"]:
                            return "no buy decision on the last bar"
                        if tr and tr[-1]["status"] == "open":
                            return "an open trade where none was expected"
                    elif check == "open":
                        if (last_i, "sell") not in r["decisions"]:
                            return "no sell decision on the last bar"
                        if not tr or tr[-1]["status"] != "open":
                            return "expected the trade to stay open"
                    elif check == "open_at_last":
                        if not tr or tr[-1]["_entry_i"] != last_i:
                            return "expected an entry on the last bar"
                    elif check == "closed_at_last":
                        if not tr or tr[-1]["_exit_i"] != last_i:
                            return "expected an exit on the last bar"
                    return None
                cases.append(Case(name, dst, strat, params, min_trades=3,
                                  expect=expect))

    # Hand-made exact ties (plateaus) for sma_cross.
    dates = [b["time"] for b in ref.read_bars(daily[1])]
    plateau = crafted_plateaus(os.path.join(data, "plateaus.csv"), dates)
    for fast, slow in ((2, 5), (3, 8), (5, 10)):
        cases.append(Case("crafted_plateaus_sma_%d_%d" % (fast, slow), plateau,
                          "sma_cross", {"fast": fast, "slow": slow}))

    flat = crafted_flat_start(daily[1], os.path.join(data, "flat_start.csv"),
                              16)

    def flat_expect(r, bs):
        if (14, "buy") not in r["decisions"]:
            return "expected a buy decision at the first RSI (bar 14)"
        return None
    cases.append(Case("crafted_flat_start_rsi_14_30_70", flat,
                      "rsi_reversion", {"period": 14, "lower": 30,
                                        "upper": 70}, expect=flat_expect))

    passed = failed = 0
    for c in cases:
        try:
            ok, msgs = check_case(trader, work, c)
        except Exception as e:  # a crash in one case must not hide the others
            ok, msgs = False, ["exception: %r" % (e,)]
        if ok:
            passed += 1
            print("PASS %s" % c.name)
        else:
            failed += 1
            print("FAIL %s" % c.name)
        for m in msgs:
            print("  " + m if not m.startswith("  ") else m)
        sys.stdout.flush()
    print("work dir: %s" % work)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
