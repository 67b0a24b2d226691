#!/usr/bin/env bash
# test_store.sh: the SQLite projection of a `trader run` against its journal.
#  1. `trader run` a replay, then `trader db rebuild -c`: the database holds
#     what an independent computation (python3, from `trader journal tail`
#     JSON lines) finds: fills, orders and their final states, bars,
#     signals, equity, and positions computed from the fills (signed
#     quantity, cost removed in proportion, realized P&L, last close).
#  2. `trader status -c --json` shows the last equity record and the last
#     sequence number; the run is not live after its clean stop.
#  3. Deleting the database and rebuilding gives the same rows (sqlite3
#     dumps compared), and so does rebuilding over the existing file.
#  4. Rebuilding while `trader run` writes the journal works; status shows
#     the run live, then stopped.
#  5. `trader db migrate`, and the errors: a missing database, a missing
#     journal, bad usage.
set -u
trader=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../cli/lib.sh"

command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing" >&2; exit 1; }
"$trader" data gen --symbols 3 --bars 400 --seed 5 --out "$tmp/data" 2>/dev/null

config() { # NAME SPEED [DB] -> $tmp/NAME.yaml
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
  journal: $tmp/$1/journal
  database: ${3:-$tmp/$1/db/trader.db}
  fsync: os
  feed: {type: replay, speed: $2}
YAML
}

# Every row of every table but meta (it holds wall-clock times).
dump() { sqlite3 "$1" .dump | grep -v '^INSERT INTO meta'; }

# ---- 1. run, rebuild, compare with the journal ---------------------------------
config main max
expect_status 0 "$trader" run -c "$tmp/main.yaml"
db=$tmp/main/db/trader.db
follower_db=0
if [ -f "$db" ]; then # `trader run` projects on its own thread
  follower_db=1
  cp "$db" "$tmp/follower.db"
  [ -f "$db-wal" ] && cp "$db-wal" "$tmp/follower.db-wal"
fi
expect_status 0 "$trader" db rebuild -c "$tmp/main.yaml"
grep -q "records applied" "$tmp/out" && ok || fail "rebuild says nothing: $(cat "$tmp/out")"
echo "rebuild: $(cat "$tmp/out")" >&2
[ -f "$db" ] && ok || fail "no database after rebuild"
[ ! -e "$db.tmp" ] && ok || fail "rebuild left $db.tmp behind"

"$trader" journal tail -n 100000000 "$tmp/main/journal" >"$tmp/journal.jsonl"
python3 - "$tmp/journal.jsonl" >"$tmp/expected" <<'PY'
import json, sys
from decimal import Decimal, ROUND_HALF_EVEN, getcontext
getcontext().prec = 60
Q = Decimal("0.00000001")
def rnd(x): return x.quantize(Q, rounding=ROUND_HALF_EVEN)
def raw(x): return int(x * 100000000)  # the database's fixed point
recs = [json.loads(l) for l in open(sys.argv[1])]
by = lambda t: [r for r in recs if r["type"] == t]
print("records", len(recs), recs[-1]["seq"])
print("fills", len(by("fill")))
print("signals", len(by("signal")))
print("bars", len(by("bar")))
orders = {}
for r in by("order"):
    orders[r["id"]] = r["status"]
print("orders", len(orders))
for st in sorted(set(orders.values())):
    print("status", st, sum(1 for v in orders.values() if v == st))
eq = by("equity")
print("equity_rows", len(eq))
print("last_equity", raw(Decimal(eq[-1]["equity"])), raw(Decimal(eq[-1]["cash"])),
      raw(Decimal(eq[-1]["exposure"])))
last = {}
for r in by("bar"):
    last[r["sym"]] = Decimal(r["close"])
pos = {}
for r in by("fill"):
    s, q, px, buy = r["sym"], Decimal(r["qty"]), Decimal(r["price"]), r["side"] == "buy"
    qty, cost, real, comm = pos.get(s, (Decimal(0),) * 4)
    notional = rnd(q * px)
    sq = q if buy else -q
    if qty != 0 and (qty > 0) != (sq > 0):
        close = min(q, abs(qty))
        cn = notional if close == q else rnd(close * px)
        removed = rnd(cost * close / abs(qty))
        real += (cn - removed) if qty > 0 else (-removed - cn)
        cost -= removed
        qty += -close if qty > 0 else close
        if q > close:
            qty = (q - close) if buy else -(q - close)
            cost = (notional - cn) if buy else -(notional - cn)
    else:
        qty += sq
        cost += notional if buy else -notional
    if qty == 0:
        cost = Decimal(0)
    pos[s] = (qty, cost, real, comm + Decimal(r["commission"]))
for s in sorted(pos):
    qty, cost, real, comm = pos[s]
    mv = rnd(qty * last[s])
    print("position", s, raw(qty), raw(cost), raw(real), raw(comm), raw(last[s]), raw(mv))
print("sessions", len(by("session")))
PY
q() { sqlite3 -separator ' ' "$db" "$1"; }
{
  echo "records $(wc -l <"$tmp/journal.jsonl") $(q "SELECT value FROM meta WHERE key = 'last_seq'")"
  echo "fills $(q "SELECT COUNT(*) FROM fills")"
  echo "signals $(q "SELECT COUNT(*) FROM signals")"
  echo "bars $(q "SELECT COUNT(*) FROM bars")"
  echo "orders $(q "SELECT COUNT(*) FROM orders")"
  q "SELECT 'status', status, COUNT(*) FROM orders GROUP BY status ORDER BY status"
  echo "equity_rows $(q "SELECT COUNT(*) FROM portfolio")"
  echo "last_equity $(q "SELECT equity, cash, exposure FROM portfolio ORDER BY time DESC LIMIT 1")"
  q "SELECT 'position', sym, qty, cost, realized_pnl, commission, last_price, market_value FROM positions ORDER BY sym"
  echo "sessions $(q "SELECT COUNT(*) FROM sessions")"
} >"$tmp/got"
[ "$(grep -c '^position' "$tmp/expected")" -ge 2 ] && ok || fail "too few positions for a test"
[ "$(awk '/^fills/ {print $2}' "$tmp/expected")" -gt 20 ] && ok || fail "too few fills for a test"
if diff "$tmp/expected" "$tmp/got" >"$tmp/diff"; then ok; else
  fail "database and journal disagree: $(head -20 "$tmp/diff")"
fi
# cash + market value of the positions = the last equity, exactly
[ "$(q "SELECT (SELECT SUM(market_value) FROM positions) + (SELECT cash - equity FROM portfolio ORDER BY time DESC LIMIT 1)")" = 0 ] &&
  ok || fail "positions and cash do not add up to the equity"
# one audit row per order event, plus one `submitted` row per order
[ "$(q "SELECT COUNT(*) FROM audit_log")" = $(( $(grep -c '"type":"order"' "$tmp/journal.jsonl") + $(q "SELECT COUNT(*) FROM orders") )) ] &&
  ok || fail "audit log rows != order events + orders"
[ "$(q "SELECT COUNT(*) FROM audit_log a JOIN orders o ON o.id = a.order_id WHERE a.seq = o.seq AND a.action != 'submitted' AND a.after_status != o.status")" = 0 ] &&
  ok || fail "an order's last audit row is not its status"
[ "$(q "PRAGMA integrity_check")" = ok ] && ok || fail "integrity check"
[ "$(q "PRAGMA user_version")" = 3 ] && ok || fail "schema version"
[ "$(q "SELECT name FROM symbols ORDER BY id" | tr '\n' ' ')" = "AAA BBB CCC " ] && ok || fail "symbols"

# ---- 2. status ---------------------------------------------------------------
expect_status 0 "$trader" status -c "$tmp/main.yaml" --json
python3 - "$tmp/out" "$tmp/journal.jsonl" <<'PY' && ok || fail "status --json disagrees with the journal"
import json, sys
from decimal import Decimal
st = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in open(sys.argv[2])]
eq = [r for r in recs if r["type"] == "equity"][-1]
first = [r for r in recs if r["type"] == "equity"][0]
errs = []
for k in ("equity", "cash", "exposure"):
    if Decimal(st[k]) != Decimal(eq[k]):
        errs.append(f"{k}: {st[k]} != {eq[k]}")
if Decimal(st["total_pnl"]) != Decimal(eq["equity"]) - Decimal(first["equity"]):
    errs.append("total_pnl")
if st["last_seq"] != recs[-1]["seq"]:
    errs.append(f"last_seq {st['last_seq']} != {recs[-1]['seq']}")
if st["live"] is not False or st["last_type"] != "stop":
    errs.append("live after a clean stop")
if st["equity_time"] != eq["time"]:
    errs.append("equity_time")
if not isinstance(st["positions"], list) or not isinstance(st["open_orders"], list):
    errs.append("lists")
for p in st["positions"]:
    if Decimal(p["qty"]) == 0:
        errs.append("a flat position listed")
if errs:
    print("\n".join(errs), file=sys.stderr)
    sys.exit(1)
PY
expect_status 0 "$trader" status -c "$tmp/main.yaml"
grep -q '^equity ' "$tmp/out" && grep -q '^positions (' "$tmp/out" && grep -q '^state      stopped at' "$tmp/out" &&
  ok || fail "status table: $(cat "$tmp/out")"

# ---- 3. rebuilt from scratch and over the file: the same rows ------------------------
dump "$db" >"$tmp/dump1"
rm -f "$db" "$db-wal" "$db-shm"
expect_status 0 "$trader" db rebuild -c "$tmp/main.yaml"
dump "$db" >"$tmp/dump2"
cmp -s "$tmp/dump1" "$tmp/dump2" && ok || fail "a rebuild from scratch differs: $(diff "$tmp/dump1" "$tmp/dump2" | head -5)"
expect_status 0 "$trader" db rebuild --db "$db" --journal "$tmp/main/journal"
dump "$db" >"$tmp/dump3"
cmp -s "$tmp/dump1" "$tmp/dump3" && ok || fail "a rebuild over the file differs"
[ "$(wc -l <"$tmp/dump1")" -gt 1000 ] && ok || fail "dump too small"
if [ "$follower_db" = 1 ]; then # what `trader run` projected as it went
  dump "$tmp/follower.db" >"$tmp/dump4"
  cmp -s "$tmp/dump1" "$tmp/dump4" && ok || fail "the run's own projection differs from a rebuild"
fi

# ---- 4. rebuild and status while `trader run` writes ----------------------------
config live 17280000 # a daily bar every 5 ms: about 2 s
"$trader" run -c "$tmp/live.yaml" >"$tmp/live.out" 2>&1 &
pid=$!
sleep 0.5
seen_live=0 rebuilds=0
while kill -0 "$pid" 2>/dev/null; do
  if "$trader" db rebuild -c "$tmp/live.yaml" >"$tmp/out" 2>"$tmp/err"; then
    rebuilds=$((rebuilds + 1))
    "$trader" status -c "$tmp/live.yaml" --json >"$tmp/st" 2>/dev/null &&
      grep -q '"live":true' "$tmp/st" && seen_live=1
  else
    fail "rebuild during the run: $(cat "$tmp/err")"
    break
  fi
  sleep 0.2
done
wait "$pid" && ok || fail "the live run failed: $(tail -3 "$tmp/live.out")"
[ "$rebuilds" -ge 2 ] && ok || fail "only $rebuilds rebuilds during the run"
[ "$seen_live" = 1 ] && ok || fail "status never showed the run live"
expect_status 0 "$trader" db rebuild -c "$tmp/live.yaml"
expect_status 0 "$trader" status -c "$tmp/live.yaml" --json
grep -q '"live":false' "$tmp/out" && ok || fail "live after the run ended"
# the same rows as a replay at max speed (the run is deterministic)
# (sessions carry the wall-clock time of each start: left out)
dump "$tmp/live/db/trader.db" | sed 's/live/main/g' | grep -v '^INSERT INTO sessions' >"$tmp/dump5"
sed 's/live/main/g' "$tmp/dump1" | grep -v '^INSERT INTO sessions' | diff -q - "$tmp/dump5" >/dev/null && ok ||
  fail "a rebuild of the paced run differs from the max-speed one"
[ "$(sqlite3 "$tmp/live/db/trader.db" "PRAGMA integrity_check")" = ok ] && ok || fail "integrity after live rebuilds"

# ---- 5. migrate and errors ----------------------------------------------------
expect_status 0 "$trader" db migrate --db "$tmp/m/new.db"
expect_out "$tmp/m/new.db: schema version 0 -> 3 (3 migrations applied in $(awk '{print $(NF-1)}' "$tmp/out" | tr -d '(') s)"
expect_status 0 "$trader" db migrate --db "$tmp/m/new.db"
grep -q "schema version 3, up to date" "$tmp/out" && ok || fail "migrate twice: $(cat "$tmp/out")"
expect_status 0 "$trader" db migrate -c "$tmp/main.yaml"
grep -q "up to date" "$tmp/out" && ok || fail "migrate -c: $(cat "$tmp/out")"

config missing max "$tmp/missing/trader.db"
expect_status 2 "$trader" status -c "$tmp/missing.yaml"
expect_err "no database here"
expect_err "trader db rebuild -c CONFIG"
expect_status 2 "$trader" status --db "$tmp/nope.db" --json
expect_err "trader db rebuild -c CONFIG"
expect_status 2 "$trader" db rebuild -c "$tmp/missing.yaml"
expect_err "no journal here"
expect_status 2 "$trader" db rebuild --db "$tmp/x.db"
expect_err "--journal DIR"
expect_status 2 "$trader" db frobnicate
expect_status 2 "$trader" status
echo "not a database at all, just some text that is long enough to be a header.........." >"$tmp/junk.db"
expect_status 2 "$trader" status --db "$tmp/junk.db"
expect_err "not a database"
expect_status 0 "$trader" db --help
expect_status 0 "$trader" status --help

finish
