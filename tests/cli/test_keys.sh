#!/usr/bin/env bash
# test_keys.sh: `trader keys create|list|revoke` as a user runs them: the key
# printed once and only its hash stored, the store next to a config's
# run.database, listings (text and JSON), revocation by name and id, help,
# usage errors (exit 2) and the exit status of a missing key (1).
set -u
trader=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# --help: stdout, exit 0, a usage line.
for cmd in "keys --help" "keys -h" "keys create --help" "keys list --help" \
           "keys revoke --help"; do
  expect_status 0 "$trader" $cmd
  grep -q "^usage: trader keys" "$tmp/out" && ok || fail "no usage from '$cmd'"
done
expect_status 0 "$trader" --help
grep -q "^  keys " "$tmp/out" && ok || fail "trader --help does not list keys"

# Usage errors: exit 2 with a message.
db=$tmp/k/keys.db
expect_status 2 "$trader" keys
expect_status 2 "$trader" keys frobnicate
expect_err "unknown command 'frobnicate'"
expect_status 2 "$trader" keys create --db "$db"
expect_err "give --role viewer, trader or admin"
expect_status 2 "$trader" keys create --role boss --db "$db"
expect_err "unknown role 'boss' (viewer, trader or admin)"
expect_status 2 "$trader" keys create --role Admin --db "$db"
expect_err "unknown role 'Admin'"
expect_status 2 "$trader" keys create --role viewer
expect_err "give -c CONFIG or --db FILE"
expect_status 2 "$trader" keys create --role viewer --db "$db" -c x.yaml
expect_status 2 "$trader" keys create --role viewer --db "$db" extra
expect_status 2 "$trader" keys create --role viewer --db "$db" --name ""
expect_err "a key name cannot be empty"
expect_status 2 "$trader" keys create --role viewer --db "$db" \
  --name "$(printf 'x%.0s' $(seq 65))"
expect_err "at most 64 characters"
expect_status 2 "$trader" keys create --role viewer --db "$db" --name $'a\tb'
expect_status 2 "$trader" keys create --role viewer --db "$db" --json
expect_status 2 "$trader" keys list --db "$db" --role admin
expect_status 2 "$trader" keys list --db "$db" --bogus
expect_status 2 "$trader" keys revoke --db "$db"
expect_err "give one key id or name"
expect_status 2 "$trader" keys revoke a b --db "$db"
[ ! -e "$db" ] && ok || fail "a refused command created the key store"
# list / revoke never create the store
expect_status 2 "$trader" keys list --db "$db"
expect_err "no key store here"
expect_status 2 "$trader" keys revoke x --db "$db"
[ ! -e "$db" ] && ok || fail "list created the key store"

# create: the key alone on stdout, the warning on stderr.
expect_status 0 "$trader" keys create --role trader --name "ci bot" --db "$db"
key1=$(cat "$tmp/out")
[[ $key1 =~ ^trk_[0-9a-f]{64}$ ]] && ok || fail "key format: $key1"
[ "$(wc -l <"$tmp/out")" = 1 ] && ok || fail "more than the key on stdout"
expect_err "cannot be shown again"
[ "$(grep -c 'cannot be shown again' "$tmp/err")" = 1 ] && ok || fail "warning not one line"
id1=${key1:4:8}
expect_err "created trader key $id1 ('ci bot')"
[ "$(stat -c %a "$db")" = 600 ] && ok || fail "mode $(stat -c %a "$db")"
expect_status 0 "$trader" keys create --role viewer --db "$db"
key2=$(cat "$tmp/out")
id2=${key2:4:8}
[ "$key1" != "$key2" ] && ok || fail "two keys alike"
expect_status 0 "$trader" keys create --role admin --name ops --db "$db"
key3=$(cat "$tmp/out")
id3=${key3:4:8}
# names are unique among active keys
expect_status 2 "$trader" keys create --role admin --name ops --db "$db"
expect_err "already named 'ops' (id $id3)"

# only hashes on disk: no key, no secret part of one
for k in "$key1" "$key2" "$key3"; do
  if grep -qaF -e "$k" -e "${k:12}" "$db" "$db"-wal 2>/dev/null; then
    fail "key $k is in the key store's files"
  else
    ok
  fi
done
python3 - "$db" "$key1" <<'PY' && ok || fail "the stored hash is not SHA-256 of the key"
import hashlib, sqlite3, sys
db, key = sys.argv[1], sys.argv[2]
row = sqlite3.connect(db).execute("SELECT hash FROM keys WHERE id = ?", (key[4:12],)).fetchone()
assert row and row[0] == hashlib.sha256(key.encode()).digest(), row
PY

# list: text
expect_status 0 "$trader" keys list --db "$db"
head -1 "$tmp/out" | grep -q '^ID  *ROLE  *STATUS  *CREATED  *LAST USED  *REVOKED  *NAME$' && ok || fail "list header"
grep -q "^$id1  trader  active  .* never  *-  *ci bot\$" "$tmp/out" && ok || fail "list row 1: $(cat "$tmp/out")"
grep -q "^$id2  viewer  active  .* -\$" "$tmp/out" && ok || fail "list row 2"
[ "$(wc -l <"$tmp/out")" = 4 ] && ok || fail "list has $(wc -l <"$tmp/out") lines"
grep -qF "$key1" "$tmp/out" && fail "list shows a key" || ok

# revoke by name, then by id; again: exit 1
expect_status 0 "$trader" keys revoke "ci bot" --db "$db"
expect_out "revoked trader key $id1 ('ci bot')"
expect_status 0 "$trader" keys revoke --db "$db" "$id2"
expect_out "revoked viewer key $id2"
expect_status 1 "$trader" keys revoke "ci bot" --db "$db"
expect_err "already revoked"
expect_status 1 "$trader" keys revoke "$id2" --db "$db"
expect_err "key $id2 was already revoked at"
expect_status 1 "$trader" keys revoke nobody --db "$db"
expect_err "no key with id or name 'nobody'"

# list: JSON
expect_status 0 "$trader" keys list --json --db "$db"
python3 - "$tmp/out" "$id1" "$id2" "$id3" <<'PY' && ok || fail "list --json: $(cat "$tmp/out")"
import json, sys
keys = json.load(open(sys.argv[1]))
ids = sys.argv[2:]
assert [k["id"] for k in keys] == ids, keys
want = [("trader", "ci bot", False), ("viewer", "", False), ("admin", "ops", True)]
for k, (role, name, active) in zip(keys, want):
    assert (k["role"], k["name"], k["active"]) == (role, name, active), k
    assert k["created_at"].endswith("Z") and k["last_used_at"] is None
    assert (k["revoked_at"] is None) == active, k
PY

# -c CONFIG: keys.db in the folder of run.database
"$trader" data gen --symbols 1 --bars 50 --seed 3 --out "$tmp/data" 2>/dev/null
cat >"$tmp/run.yaml" <<YAML
data:
  - {symbol: AAA, file: $tmp/data/SYNA.csv}
strategy: {name: sma_cross}
run:
  database: $tmp/runs/demo/trader.db
YAML
expect_status 0 "$trader" keys create -c "$tmp/run.yaml" --role viewer --name dash
[ -f "$tmp/runs/demo/keys.db" ] && ok || fail "no keys.db beside run.database"
[ ! -e "$tmp/runs/demo/trader.db" ] && ok || fail "keys touched the run database"
expect_status 0 "$trader" keys list -c "$tmp/run.yaml"
grep -q " dash\$" "$tmp/out" && ok || fail "the -c store lacks the key"
expect_status 0 "$trader" keys revoke dash --config "$tmp/run.yaml"
# the default run.database is run/NAME/trader.db, relative to the folder
cat >"$tmp/plain.yaml" <<YAML
data:
  - {symbol: AAA, file: $tmp/data/SYNA.csv}
strategy: {name: sma_cross}
YAML
(cd "$tmp" && "$trader" keys create -c plain.yaml --role admin >/dev/null 2>&1) && ok || fail "create with the default database"
[ -f "$tmp/run/plain/keys.db" ] && ok || fail "no run/plain/keys.db"
expect_status 2 "$trader" keys list -c "$tmp/missing.yaml"
# a file that is not a key store
expect_status 2 "$trader" keys list --db "$tmp/run.yaml"
expect_err "not a trader key store"

finish
