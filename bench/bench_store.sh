#!/usr/bin/env bash
# bench_store.sh: the figures that need the whole `trader run` pipeline:
#   - restart: replaying and checking a journal of ~630k records (target:
#     1 million events in <= 1 s), against a restart from the snapshot
#     written at the stop (which replays only what follows it); the same
#     for 500 symbols trading the consensus strategy;
#   - SQLite projection: `trader db rebuild` of that journal, rows/s.
# Usage: bench_store.sh TRADER_BIN
set -euo pipefail
trader=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# restart NAME: time `trader run` on a journal whose feed has ended, once
# from its snapshot and once with the snapshots moved away (full replay).
restart() {
  local name=$1 j="$tmp/$1-journal"
  local records
  records=$("$trader" journal inspect "$j" | awk '/records/ {print $2}')
  local s e ms
  for mode in snapshot full; do
    if [ "$mode" = full ]; then
      mkdir -p "$tmp/$name-hidden"
      mv "$j"/*.snap "$tmp/$name-hidden/"
    fi
    s=$(date +%s.%N)
    "$trader" --log-level info --log-json run -c "$tmp/$name.yaml" 2>"$tmp/log"
    e=$(date +%s.%N)
    ms=$(sed -n 's/.*recovered from .* in \([0-9.]*\) ms.*/\1/p' "$tmp/log")
    local what
    if [ "$mode" = snapshot ]; then
      what="from the snapshot at the stop ($(sed -n 's/.*and the \([0-9]*\) journal records after it.*/\1/p' "$tmp/log") records after it replayed)"
    else
      what="replaying and checking all $records records"
    fi
    awk -v n="$name" -v w="$what" -v s="$s" -v e="$e" -v ms="$ms" -v r="$records" 'BEGIN {
      printf "restart, %s, %s: %.2f s for the process (loading the feed included), recovery itself %.1f ms", n, w, e - s, ms
      if (w ~ /^replaying/) printf " = %.2f million records/s (target 1 million in <= 1 s)", r / (ms / 1000) / 1e6
      printf "\n" }'
  done
}

cat >"$tmp/sma10.yaml" <<YAML
cash: 1000000
strategy: {name: sma_cross, params: {fast: 10, slow: 30}}
sizing: {method: fixed, qty: 10}
risk: {enabled: false}
run:
  journal: $tmp/sma10-journal
  database: $tmp/trader.db
  fsync: os
  feed: {type: synthetic, symbols: 10, seed: 7, bars: 50000, interval: 1m, speed: max}
YAML
"$trader" --log-level error run -c "$tmp/sma10.yaml"
restart sma10

cat >"$tmp/consensus500.yaml" <<YAML
cash: 10000000
strategy: {name: consensus}
sizing: {method: percent, percent: 2}
exits: {stop_loss: {atr: 2}, take_profit: {rr: 2}}
risk: {enabled: true, max_open_positions: 50, max_portfolio_risk_pct: 50}
run:
  journal: $tmp/consensus500-journal
  database: $tmp/consensus500.db
  fsync: os
  snapshot_every: 100
  feed: {type: synthetic, symbols: 500, seed: 7, bars: 1000, interval: 1d, speed: max}
YAML
"$trader" --log-level info --log-json run -c "$tmp/consensus500.yaml" 2>"$tmp/log"
sed -n 's/.*; \([0-9]* snapshots written ([0-9]* bytes; while trading, at most [0-9.]* ms on the engine thread)\).*/consensus500, trading at max speed with a snapshot every 100 steps: \1/p' "$tmp/log"
restart consensus500

rm -f "$tmp/trader.db"
"$trader" db rebuild -c "$tmp/sma10.yaml" | sed 's/^/projection: /'
