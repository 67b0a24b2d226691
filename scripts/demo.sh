#!/usr/bin/env bash
# demo.sh: the main job of `make run`, for now: generate demo market data,
# check it, and compute indicators over it. Later issues grow this into the
# paper-trading demo.
set -euo pipefail
trader=${1:-build/trader}
out=demo/data

echo "== 1. generate 3 symbols x 750 daily bars (seed 42) into $out/"
"$trader" data gen --symbols 3 --bars 750 --seed 42 --interval 1d --out "$out"

echo
echo "== 2. check the data"
"$trader" data check "$out"/*.csv

echo
echo "== 3. indicators for SYNA (last 10 bars; all rows in demo/syna_indicators.csv)"
"$trader" indicators --data "$out/SYNA.csv" --ind sma:20 --ind ema:20 \
  --ind rsi:14 --ind macd:12:26:9 --ind bbands:20:2 --ind atr:14 \
  --ind adx:14 > demo/syna_indicators.csv
# A narrow view for the terminal: time and the first columns, 4 decimals.
awk -F, 'NR == 1 { for (i = 1; i <= 9; i++) printf "%-13s", $i; print ""; n = 0 }
         NR > 1 { rows[++n] = $0 }
         END { for (r = n - 9; r <= n; r++) { split(rows[r], f, ",");
               printf "%-13s", f[1];
               for (i = 2; i <= 9; i++) printf (f[i] == "" ? "%-13s" : "%-13.4f"), f[i];
               print "" } }' demo/syna_indicators.csv

echo
echo "Next: 'build/trader --help'; check your own data with"
echo "'build/trader data check FILE.csv'."
