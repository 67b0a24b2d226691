#!/usr/bin/env bash
# bench.sh: run every benchmark binary of a Release build; each prints its
# own figures. Usage: scripts/bench.sh BUILD_DIR
set -euo pipefail
dir=${1:-build-release}
status=0
for b in "$dir"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
  echo
done
echo "== bench_store"
bench/bench_store.sh "$dir/trader" || status=1
echo
echo "== bench_api"
bench/bench_api.sh "$dir/trader" "$dir/bench/api/bench_api" || status=1
exit $status
