#!/usr/bin/env bash
# test_backtest.sh: `trader backtest` as a user runs it: outputs written and
# byte-identical across runs (determinism), config mistakes reported with
# FILE:LINE, bad data refused with FILE:LINE, exit statuses.
set -u
trader=$1
repo=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

"$trader" data gen --symbols 3 --bars 600 --seed 11 --out "$tmp/data" 2>/dev/null
cat >"$tmp/bt.yaml" <<YAML
cash: 100000
data:
  - {symbol: AAA, file: $tmp/data/SYNA.csv}
  - {symbol: BBB, file: $tmp/data/SYNB.csv}
strategy:
  name: sma_cross
  params: {fast: 5, slow: 20, allow_short: true}
sizing: {method: percent, percent: 20}
exits:
  stop_loss: {percent: 4}
  take_profit: {rr: 2}
costs: {commission: 1, commission_pct: 0.05, slippage_bps: 3}
fills: {max_volume_pct: 50}
risk: {enabled: true, max_position_pct: 25, max_open_positions: 2}
YAML

expect_status 0 "$trader" backtest --help
grep -q "sma_cross" "$tmp/out" && ok || fail "--help lists no strategies"
expect_status 0 "$trader" backtest -c "$tmp/bt.yaml" --out "$tmp/r1"
for f in trades.csv orders.csv fills.csv equity.csv signals.csv metrics.json report.html; do
  [ -s "$tmp/r1/$f" ] && ok || fail "missing $f"
done
grep -q "total return" "$tmp/out" && ok || fail "no summary printed"
[ "$(wc -l <"$tmp/r1/trades.csv")" -gt 5 ] && ok || fail "too few trades to be a test"
head -1 "$tmp/r1/trades.csv" | grep -q '^symbol,side,qty,entry_time,entry_price,exit_time,exit_price,pnl' && ok || fail "trades.csv header"
python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert m['portfolio']['trades']>0; assert 'AAA' in m['symbols']" "$tmp/r1/metrics.json" && ok || fail "metrics.json"

# Determinism: a second run writes byte-identical files.
expect_status 0 "$trader" backtest -c "$tmp/bt.yaml" --out "$tmp/r2"
diff -r "$tmp/r1" "$tmp/r2" >/dev/null && ok || fail "two runs differ: $(diff -rq "$tmp/r1" "$tmp/r2")"

# Exactness: final equity = cash + sum of trade P&L (closed and open).
python3 - "$tmp/r1" <<'PY' && ok || fail "equity does not reconcile with trades"
import csv, json, sys
from decimal import Decimal
d = sys.argv[1]
m = json.load(open(d + "/metrics.json"))
pnl = sum(Decimal(r["pnl"]) for r in csv.DictReader(open(d + "/trades.csv")))
assert Decimal(m["run"]["final_equity"]) == Decimal(100000) + pnl, (m["run"]["final_equity"], pnl)
PY

# Config mistakes: FILE:LINE and what is wrong, exit 2.
printf 'cash: 1000\ndata:\n  - {symbol: A, file: %s}\nstrategy:\n  name: sma_cross\n  params: {fast: 10, slwo: 30}\n' "$tmp/data/SYNA.csv" >"$tmp/c1.yaml"
expect_status 2 "$trader" backtest -c "$tmp/c1.yaml"
expect_err "$tmp/c1.yaml:6: strategy.params: unknown key 'slwo' (did you mean 'slow'?"
printf 'cash: lots\ndata:\n  - {symbol: A, file: %s}\nstrategy: {name: sma_cross}\n' "$tmp/data/SYNA.csv" >"$tmp/c2.yaml"
expect_status 2 "$trader" backtest -c "$tmp/c2.yaml"
expect_err "$tmp/c2.yaml:1: cash:"
printf 'data:\n  - {symbol: A, file: %s}\nstrategy: {name: sma_cross, params: {fast: 30, slow: 10}}\n' "$tmp/data/SYNA.csv" >"$tmp/c3.yaml"
expect_status 2 "$trader" backtest -c "$tmp/c3.yaml" --out "$tmp/r3"
expect_err "fast (30) must be less than slow (10)"
printf 'data:\n  - {symbol: A, file: %s}\nstrategy: {name: smacross}\n' "$tmp/data/SYNA.csv" >"$tmp/c4.yaml"
expect_status 2 "$trader" backtest -c "$tmp/c4.yaml"
expect_err "$tmp/c4.yaml:3: strategy.name: unknown strategy 'smacross'"
printf 'data:\n  - {symbol: A, file: %s/nope.csv}\nstrategy: {name: sma_cross}\n' "$tmp" >"$tmp/c5.yaml"
expect_status 2 "$trader" backtest -c "$tmp/c5.yaml"
expect_err "$tmp/c5.yaml:2: data[0].file: cannot read data file"
expect_status 2 "$trader" backtest -c "$tmp/missing.yaml"
expect_status 2 "$trader" backtest

# Bad data: refused with FILE:LINE, exit 1, no output folder.
cp "$tmp/data/SYNA.csv" "$tmp/bad.csv"
sed -i '5s/.*/2015-01-08,10,9,11,10,100/' "$tmp/bad.csv"
printf 'data:\n  - {symbol: A, file: %s}\nstrategy: {name: sma_cross}\n' "$tmp/bad.csv" >"$tmp/c6.yaml"
expect_status 1 "$trader" backtest -c "$tmp/c6.yaml" --out "$tmp/r6"
expect_err "$tmp/bad.csv:5: high 9 is below max(open, close) 10"
[ ! -e "$tmp/r6" ] && ok || fail "output written for refused data"

# Environment expansion in the config.
printf 'cash: ${BT_CASH}\ndata:\n  - {symbol: A, file: %s}\nstrategy: {name: sma_cross}\nrisk: {enabled: false}\n' "$tmp/data/SYNA.csv" >"$tmp/c7.yaml"
BT_CASH=12345 "$trader" backtest -c "$tmp/c7.yaml" --out "$tmp/r7" --no-report >"$tmp/out" 2>&1 && ok || fail "env config"
grep -q "12,345.00 ->" "$tmp/out" && ok || fail "cash from \${BT_CASH} not used"
expect_status 2 "$trader" backtest -c "$tmp/c7.yaml" --out "$tmp/r8"
expect_err "BT_CASH"

# The example configs all load and run on the demo data.
mkdir -p "$tmp/demo"
(cd "$tmp/demo" && "$trader" data gen --symbols 3 --bars 750 --seed 42 --out demo/data 2>/dev/null)
for c in "$repo"/config/*.yaml; do
  (cd "$tmp/demo" && "$trader" backtest -c "$c" --out "$tmp/ex" --no-report >/dev/null 2>"$tmp/err") && ok || { fail "example $c"; cat "$tmp/err" >&2; }
done

finish
