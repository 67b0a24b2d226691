#!/usr/bin/env bash
# bench_store.sh: the figures that need the whole `trader run` pipeline:
#   - restart: replaying and checking a journal of ~1.1 million records
#     (target: 1 million events in <= 1 s);
#   - SQLite projection: `trader db rebuild` of that journal, rows/s.
# Usage: bench_store.sh TRADER_BIN
set -euo pipefail
trader=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/run.yaml" <<YAML
cash: 1000000
strategy: {name: sma_cross, params: {fast: 10, slow: 30}}
sizing: {method: fixed, qty: 10}
risk: {enabled: false}
run:
  journal: $tmp/journal
  database: $tmp/trader.db
  fsync: os
  feed: {type: synthetic, symbols: 10, seed: 7, bars: 50000, interval: 1m, speed: max}
YAML
"$trader" --log-level error run -c "$tmp/run.yaml"
records=$("$trader" journal inspect "$tmp/journal" | awk '/records/ {print $2}')
start=$(date +%s.%N)
"$trader" --log-level error run -c "$tmp/run.yaml"
end=$(date +%s.%N)
awk -v r="$records" -v s="$start" -v e="$end" 'BEGIN {
  printf "restart: replay and check %d journal records (+ generate the feed): %.2f s = %.2f million records/s (target 1 million in <= 1 s)\n", r, e - s, r / (e - s) / 1e6 }'
rm -f "$tmp/trader.db"
"$trader" db rebuild -c "$tmp/run.yaml" | sed 's/^/projection: /'
