#!/usr/bin/env bash
# test_data.sh: `trader data check` and `trader data gen` as a user runs them:
# exit statuses, the FILE:LINE: reason lines, gap warnings, determinism.
set -u
trader=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# --help everywhere, exit 0 and a usage line.
for cmd in "--help" "data --help" "data check --help" "data gen --help" \
           "indicators --help" "backtest --help" "run --help" \
           "journal --help" "db --help" "status --help"; do
  expect_status 0 "$trader" $cmd
  grep -q "usage: trader" "$tmp/out" && ok || fail "no usage from '$cmd --help'"
done
expect_status 2 "$trader" nosuchcommand
expect_status 2 "$trader" data frobnicate
expect_status 2 "$trader" data check
expect_status 2 "$trader" data gen --symbols 2
expect_status 2 "$trader" data gen --out "$tmp/x" --interval 5m
expect_status 2 "$trader" data gen --out "$tmp/x" --bars -3

# A good file: exit 0, nothing on stdout.
printf 'Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,11,10,10.8,120\n' >"$tmp/good.csv"
expect_status 0 "$trader" data check "$tmp/good.csv"
[ ! -s "$tmp/out" ] && ok || fail "output for a good file: $(cat "$tmp/out")"

# A bad file: exit 1, one line per problem with the right line numbers.
f=$tmp/bad.csv
printf 'timestamp,close,open,low,high,volume\r\n' >"$f"
printf '2024-01-02,10,10,9,11,100\r\n' >>"$f"            # 2 ok
printf '2024-01-03,10,10,9,9.5,100\r\n' >>"$f"           # 3 high below
printf '2024-01-03,10,10,9,11,-1\r\n' >>"$f"             # 4 negative volume
printf '2024-01-01,10,10,9,11,1\r\n' >>"$f"              # 5 out of order
printf '2024-01-02,10,10,9,11,1\r\n' >>"$f"              # 6 duplicate
printf '2024-01-04,10,abc,9,11,1\r\n' >>"$f"             # 7 unparsable
printf '2024-01-05,10,10,9\r\n' >>"$f"                   # 8 missing field
printf '2024-01-08,10,10,9,11,1\r\n\r\n\r\n' >>"$f"      # 9 ok, blank tail
expect_status 1 "$trader" data check "$f"
expect_out "$f:3: high 9.5 is below max(open, close) 10"
expect_out "$f:4: negative volume -1"
expect_out "$f:5: time 2024-01-01 is out of order (before 2024-01-02 at line 2)"
expect_out "$f:6: duplicate time 2024-01-02 (same as line 2)"
expect_out "$f:7: cannot parse open 'abc' as a number"
expect_out "$f:8: missing field 'high' (row has 4 of 6 columns)"
[ "$(wc -l <"$tmp/out")" = 6 ] && ok || fail "expected 6 problem lines"
grep -q "2 valid rows, 6 invalid" "$tmp/err" && ok || fail "summary: $(cat "$tmp/err")"

# Missing sessions are warnings (exit 0), on the line after the gap.
printf 'date,open,high,low,close,volume\n2024-01-08,1,1,1,1,1\n2024-01-09,1,1,1,1,1\n2024-01-10,1,1,1,1,1\n2024-01-16,1,1,1,1,1\n2024-01-17,1,1,1,1,1\n' >"$tmp/gap.csv"
expect_status 0 "$trader" data check "$tmp/gap.csv"
expect_out "$tmp/gap.csv:5: warning: gap of 3 missing sessions between 2024-01-10 and 2024-01-16"
expect_status 0 "$trader" data check --allow-missing 3 "$tmp/gap.csv"
[ ! -s "$tmp/out" ] && ok || fail "--allow-missing 3 still warns"

# A missing file is a failure to read (2), still checking the others.
expect_status 2 "$trader" data check "$tmp/nope.csv" "$tmp/good.csv"
expect_out "$tmp/nope.csv: cannot read: No such file or directory"

# Generation: deterministic, valid, one file per symbol.
expect_status 0 "$trader" data gen --symbols 3 --bars 300 --seed 5 --out "$tmp/g1"
expect_status 0 "$trader" data gen --symbols 3 --bars 300 --seed 5 --out "$tmp/g2"
expect_status 0 "$trader" data gen --symbols 3 --bars 300 --seed 6 --out "$tmp/g3"
[ "$(ls "$tmp/g1")" = "$(printf 'SYNA.csv\nSYNB.csv\nSYNC.csv')" ] && ok || fail "files: $(ls "$tmp/g1")"
diff -r "$tmp/g1" "$tmp/g2" >/dev/null && ok || fail "same seed, different files"
cmp -s "$tmp/g1/SYNA.csv" "$tmp/g3/SYNA.csv" && fail "other seed, same file" || ok
[ "$(wc -l <"$tmp/g1/SYNB.csv")" = 301 ] && ok || fail "SYNB.csv is not 300 rows + header"
expect_status 0 "$trader" data check --allow-missing 0 "$tmp"/g1/*.csv
expect_status 0 "$trader" data gen --bars 1000 --interval 1m --seed 1 --out "$tmp/m"
expect_status 0 "$trader" data check --allow-missing 0 "$tmp/m/SYNA.csv"
head -2 "$tmp/m/SYNA.csv" | tail -1 | grep -q '^2024-01-02T14:30:00Z,' && ok || fail "1m start"

finish
