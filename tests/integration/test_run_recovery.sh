#!/usr/bin/env bash
# test_run_recovery.sh: what `trader run` promises after a crash.
#  1. Parity: a replay at max speed fills exactly like `trader backtest` on
#     the same data and config.
#  2. Recovery: for several seeds, a run killed with SIGKILL at random
#     moments (several times) and restarted until its feed ends leaves the
#     same journal of decisions (signals, orders, fills, equity) and the same
#     final cash and equity as a run never interrupted.
#     Engine snapshots are written every few steps, so most restarts load
#     one and replay only the journal after it.
#  3. A clean stop (SIGTERM) writes a snapshot; the restart loads it and
#     replays only the records after it (the log says how many), and
#     continues exactly. A damaged snapshot, or one that does not belong to
#     the journal, is skipped with a warning: the whole journal is replayed
#     and the run still ends exactly as the uninterrupted one.
#  4. The disk refuses writes mid-run.
#  5. A journal written for another config is refused.
set -u
trader=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../cli/lib.sh"

"$trader" data gen --symbols 3 --bars 400 --seed 5 --out "$tmp/data" 2>/dev/null

config() { # NAME JOURNAL SPEED [SNAPSHOT_EVERY] -> $tmp/NAME.yaml
  cat >"$tmp/$1.yaml" <<YAML
cash: 100000
data:
  - {symbol: AAA, file: $tmp/data/SYNA.csv}
  - {symbol: BBB, file: $tmp/data/SYNB.csv}
  - {symbol: CCC, file: $tmp/data/SYNC.csv}
strategy:
  name: sma_cross
  params: {fast: 5, slow: 15, allow_short: true}
sizing: {method: percent, percent: 10}
exits:
  stop_loss: {percent: 3}
  take_profit: {rr: 2}
costs: {commission: 1, commission_pct: 0.02, slippage_bps: 3}
fills: {max_volume_pct: 20}
risk: {enabled: true, max_position_pct: 15}
run:
  journal: $2
  fsync: always
  snapshot_every: ${4:-10000}
  feed: {type: replay, speed: $3}
YAML
}

# The decisions in a journal, without session/stop/void records and
# sequence numbers: what must not depend on crashes.
decisions() {
  "$trader" journal tail -n 100000000 "$1" |
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] in ("session", "stop", "void"):
        continue
    del r["seq"]
    print(json.dumps(r, sort_keys=True))'
}

final_state() { # the last equity record
  decisions "$1" | grep '"type": "equity"' | tail -1
}

# ---- 1. parity with the backtest ---------------------------------------------
config parity "$tmp/j-parity" max
expect_status 0 "$trader" run -c "$tmp/parity.yaml"
expect_status 0 "$trader" backtest -c "$tmp/parity.yaml" --out "$tmp/bt" --no-report
python3 - "$tmp/bt/fills.csv" <<'PY' >"$tmp/bt-fills"
import csv, sys
ids = {"AAA": 0, "BBB": 1, "CCC": 2}
for r in csv.DictReader(open(sys.argv[1])):
    print(r["order_id"], ids[r["symbol"]], r["side"], r["qty"], r["price"], r["commission"])
PY
decisions "$tmp/j-parity" | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] == "fill":
        print(r["order_id"], r["sym"], r["side"], r["qty"], r["price"], r["commission"])
' >"$tmp/run-fills"
[ "$(wc -l <"$tmp/bt-fills")" -gt 20 ] && ok || fail "too few fills for a parity test"
diff "$tmp/bt-fills" "$tmp/run-fills" >/dev/null && ok ||
  fail "run and backtest fills differ: $(diff "$tmp/bt-fills" "$tmp/run-fills" | head -5)"
expect_status 0 "$trader" journal verify "$tmp/j-parity"
decisions "$tmp/j-parity" >"$tmp/reference"

# ---- 2. kill -9 at random moments ---------------------------------------------
# speed: a daily bar every ~5 ms, so a run lasts ~2-3 s and kills land
# anywhere in it (during a step, a commit, a roll, a snapshot being written,
# recovery itself). A snapshot every few steps (a different rhythm per seed).
every=(0 5 7 13 50)
for seed in 1 2 3 4; do
  RANDOM=$seed
  j="$tmp/j-kill-$seed"
  config "kill$seed" "$j" 17280000 "${every[$seed]}"
  kills=0
  : >"$tmp/log-$seed"
  for attempt in $(seq 1 30); do
    "$trader" run -c "$tmp/kill$seed.yaml" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    # sleep 0.05 .. 1.2 s, then SIGKILL (unless it finished first)
    sleep "$(printf '0.%02d' $((5 + RANDOM % 95)))"
    [ $((RANDOM % 3)) = 0 ] && sleep 0.3
    if kill -9 "$pid" 2>/dev/null; then
      kills=$((kills + 1))
      wait "$pid" 2>/dev/null
      cat "$tmp/err" >>"$tmp/log-$seed"
    else
      wait "$pid"
      status=$?
      cat "$tmp/err" >>"$tmp/log-$seed"
      [ "$status" = 0 ] && break
      fail "seed $seed: run exited $status: $(tail -2 "$tmp/err")"
      break
    fi
  done
  [ "$kills" -ge 2 ] && ok || fail "seed $seed: only $kills kills landed"
  # finish the run (it may already have finished)
  expect_status 0 "$trader" run -c "$tmp/kill$seed.yaml"
  expect_status 0 "$trader" journal verify "$j"
  decisions "$j" >"$tmp/got"
  if diff -q "$tmp/reference" "$tmp/got" >/dev/null; then ok; else
    fail "seed $seed: after $kills kills the decisions differ from an uninterrupted run: $(diff "$tmp/reference" "$tmp/got" | head -4)"
  fi
  from_snap=$(grep -c "recovered from the snapshot" "$tmp/log-$seed")
  [ "$from_snap" -ge 1 ] && ok ||
    fail "seed $seed: no restart started from a snapshot"
  if grep -q "not used\|does not replay" "$tmp/log-$seed"; then
    fail "seed $seed: a snapshot was refused: $(grep "not used\|does not replay" "$tmp/log-$seed" | head -1)"
  else ok; fi
  ls "$j"/*.snap.tmp >/dev/null 2>&1 && fail "seed $seed: temporary snapshot files left" || ok
  echo "seed $seed: $kills kills ($from_snap restarts from a snapshot), decisions identical to the uninterrupted run" >&2
done

# ---- 3. a clean stop and restart ---------------------------------------------
# SIGTERM: a snapshot after the last step; the restart replays only the
# session and stop records after it.
stop_run() { # NAME: run the config, stop it with SIGTERM after 0.8 s
  "$trader" run -c "$tmp/$1.yaml" >/dev/null 2>"$tmp/err" &
  local pid=$!
  sleep 0.8
  kill -TERM "$pid"
  wait "$pid"
  [ $? = 0 ] && ok || fail "$1: SIGTERM: exit status not 0"
  grep -q '"stopped: ' "$tmp/err" && ok || fail "$1: no clean-stop message: $(tail -1 "$tmp/err")"
}
config stop "$tmp/j-stop" 17280000
stop_run stop
snap=$(sed -n 's/.*snapshot after record \([0-9]*\) written.*/\1/p' "$tmp/err" | tail -1)
[ -n "$snap" ] && ok || fail "no snapshot at the stop: $(tail -2 "$tmp/err")"
"$trader" journal inspect "$tmp/j-stop" >"$tmp/inspect"
grep -q "snapshot  after record $snap, [0-9]* bytes, written .*: sma_cross on 3 symbols" "$tmp/inspect" && ok ||
  fail "journal inspect does not list the snapshot: $(grep snapshot "$tmp/inspect")"
expect_status 0 "$trader" run -c "$tmp/stop.yaml"
line=$(grep "recovered from the snapshot" "$tmp/err")
after=$(echo "$line" | sed -n 's/.*after record \([0-9]*\) and the \([0-9]*\) journal records.*/\1 \2/p')
[ "${after% *}" = "$snap" ] && [ "${after#* }" -le 2 ] && ok ||
  fail "restart after a clean stop: expected a replay from the snapshot of record $snap of at most 2 records: $line"
decisions "$tmp/j-stop" >"$tmp/got"
diff -q "$tmp/reference" "$tmp/got" >/dev/null && ok || fail "stop/restart differs"

# A damaged snapshot: skipped with a warning, the whole journal replayed.
config damaged "$tmp/j-damaged" 17280000
stop_run damaged
snapfile=$(ls "$tmp/j-damaged"/snapshot-*.snap | tail -1)
python3 - "$snapfile" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x10
open(p, "wb").write(b)
PY
expect_status 0 "$trader" run -c "$tmp/damaged.yaml"
expect_err "not used: damaged (header or checksum); replaying the whole journal instead"
expect_err "recovered from the journal: "
decisions "$tmp/j-damaged" >"$tmp/got"
diff -q "$tmp/reference" "$tmp/got" >/dev/null && ok || fail "after a damaged snapshot the decisions differ"
"$trader" journal inspect "$tmp/j-stop" >/dev/null && ok || fail "inspect"

# A snapshot that does not belong where it claims (renamed to an earlier
# record, its checksum made to fit): the replay after it fails its check,
# so the whole journal is replayed instead.
snapfile=$(ls "$tmp/j-damaged"/snapshot-*.snap | tail -1)
python3 - "$snapfile" "$tmp/j-damaged" <<'PY'
import os, struct, sys
def crc32c(crc, data):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
p, d = sys.argv[1], sys.argv[2]
b = bytearray(open(p, "rb").read())
seq = struct.unpack_from("<Q", b, 8)[0] // 2
struct.pack_into("<Q", b, 8, seq)
struct.pack_into("<I", b, 24, crc32c(crc32c(0, b[8:24]), b[32:]))
for f in os.listdir(d):
    if f.endswith(".snap"):
        os.remove(os.path.join(d, f))
open(os.path.join(d, "snapshot-%020d.snap" % seq), "wb").write(b)
PY
expect_status 0 "$trader" run -c "$tmp/damaged.yaml"
expect_err "does not replay from it"
expect_err "recovered from the journal: "
decisions "$tmp/j-damaged" >"$tmp/got"
diff -q "$tmp/reference" "$tmp/got" >/dev/null && ok || fail "after a misplaced snapshot the decisions differ"

# ---- 4. the disk refuses writes mid-run ---------------------------------------
# A file-size limit makes the journal's writes fail (EFBIG) part way: trading
# must halt with exit 3 and a clear message; a restart with room continues
# to the same decisions as the uninterrupted run.
config full "$tmp/j-full" max
( trap '' XFSZ; ulimit -f 100; exec "$trader" run -c "$tmp/full.yaml" ) >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" = 3 ] && ok || fail "write failure: exit $status, expected 3: $(tail -2 "$tmp/err")"
grep -q "trading halted" "$tmp/err" && ok || fail "no halt message: $(tail -1 "$tmp/err")"
expect_status 0 "$trader" run -c "$tmp/full.yaml"
decisions "$tmp/j-full" >"$tmp/got"
diff -q "$tmp/reference" "$tmp/got" >/dev/null && ok || fail "after a full disk the decisions differ: $(diff "$tmp/reference" "$tmp/got" | head -4)"

# ---- 5. a journal of another config is refused ---------------------------------
# (its snapshot, of another config, is skipped first: the whole journal is
# replayed and refused)
sed 's/fast: 5, slow: 15/fast: 6, slow: 15/' "$tmp/parity.yaml" >"$tmp/other.yaml"
expect_status 2 "$trader" run -c "$tmp/other.yaml"
expect_err "not used: written under another config"
expect_err "differs from what the engine produces on replay"
sed 's/sma_cross/ema_cross/; s/{fast: 5, slow: 15, allow_short: true}/{fast: 5, slow: 15}/' "$tmp/parity.yaml" >"$tmp/other2.yaml"
expect_status 2 "$trader" run -c "$tmp/other2.yaml"
expect_err "belongs to another run"

finish
