#!/usr/bin/env bash
# demo.sh: the main job of `make run`: generate demo market data, check it,
# compute indicators over it, backtest a three-symbol portfolio with its HTML
# report, then paper-trade the same data live through the journal and show
# the state with `trader status`.
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
# A terminal-sized view: chosen columns under short labels, 2 decimals.
awk -F, -v want="sma_20 ema_20 rsi_14 macd_12_26_9 macd_signal_12_26_9 bbands_upper_20_2 bbands_lower_20_2 atr_14 adx_14" \
        -v label="sma20 ema20 rsi14 macd signal bb_upper bb_lower atr14 adx14" '
  NR == 1 { n = split(want, w, " "); split(label, l, " ");
            for (i = 1; i <= NF; i++) col[$i] = i
            printf "%-12s", "date"; for (k = 1; k <= n; k++) printf "%10s", l[k]; print ""; next }
  { rows[NR] = $0 }
  END { for (r = NR - 9; r <= NR; r++) { split(rows[r], f, ",");
        printf "%-12s", f[1];
        for (k = 1; k <= n; k++) { v = f[col[w[k]]]; printf (v == "" ? "%10s" : "%10.2f"), v }
        print "" } }' demo/syna_indicators.csv

echo
echo "== 4. backtest: consensus strategy on SYNA, SYNB, SYNC with risk limits (config/consensus_portfolio.yaml)"
"$trader" backtest -c config/consensus_portfolio.yaml --out demo/backtest

echo
echo "== 5. paper trading: the same demo data replayed live, every event journaled first,"
echo "      with the REST API on http://127.0.0.1:8080 (config/paper.yaml)"
rm -rf run/paper
mkdir -p run/paper
key=$("$trader" keys create --role admin --name demo -c config/paper.yaml 2>/dev/null)
"$trader" --log-level warn run -c config/paper.yaml &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
api=http://127.0.0.1:8080/api/v1
# Wait until it serves and the replayed feed has ended.
for _ in $(seq 1 600); do
  if curl -sf "$api/ready" 2>/dev/null | grep -q '"feed":"ended"'; then break; fi
  if ! kill -0 $pid 2>/dev/null; then
    echo "trader run stopped early (is port 8080 taken?)" >&2; exit 1
  fi
  sleep 0.1
done

echo
echo "== 6. its state, read from the SQLite projection of the journal (trader status)"
sleep 0.5 # the projection follows the journal a moment behind
"$trader" status -c config/paper.yaml
echo
"$trader" journal inspect run/paper/journal

echo
echo "== 7. the API: a signal from outside, then the positions (demo key: $key)"
echo "\$ curl -s -H 'Authorization: Bearer \$KEY' -d '{\"symbol\":\"SYNA\",\"action\":\"BUY\",\"quantity\":10,\"signal_id\":\"demo-1\"}' $api/signals"
curl -s -H "Authorization: Bearer $key" \
  -d '{"symbol":"SYNA","action":"BUY","quantity":10,"signal_id":"demo-1"}' "$api/signals"
echo
echo "\$ curl -s -H 'Authorization: Bearer \$KEY' $api/portfolio"
curl -s -H "Authorization: Bearer $key" "$api/portfolio" | cut -c1-400
echo
echo
echo "Open the report: demo/backtest/report.html (it needs no network)."
echo "Dashboard: http://127.0.0.1:8080/  (sign in with the demo key $key)"
if [ -t 0 ]; then
  echo "The API serves on $api with the same key"
  echo "(metrics: http://127.0.0.1:8080/metrics). Ctrl-C stops it; started again"
  echo "(build/trader run -c config/paper.yaml) it goes on where it stopped."
  wait $pid || true
else
  kill -TERM $pid
  wait $pid || true
fi
trap - EXIT
echo "Next: 'build/trader --help'; backtest your own CSV by copying"
echo "config/sma_cross.yaml and pointing 'file:' at it."
