#!/usr/bin/env bash
# test_report_browser.sh: open HTML backtest reports in headless Chromium and
# check that they draw completely with no console message at all (no script
# error, no blocked network request), at laptop and phone widths.
#
#   test_report_browser.sh TEST_REPORT_BIN OUT_DIR
#
# TEST_REPORT_BIN is the unit test tests/unit/test_report.c, which writes its
# sample reports into $TR_REPORT_SAMPLE_DIR: sample.html (1 symbol, 2500
# daily bars) and multi.html (2 symbols, one of 12000 minute bars with '<' in
# its name, an open trade). Screenshots are left in OUT_DIR.
# Exit 77 (skipped) when Chromium is not installed (Debian: chromium).
set -uo pipefail

bin=${1:?usage: test_report_browser.sh TEST_REPORT_BIN OUT_DIR}
out=${2:?usage: test_report_browser.sh TEST_REPORT_BIN OUT_DIR}

chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  echo "SKIPPED: chromium is not installed (apt-get install chromium)"
  # make test installs chromium: there a missing browser is a broken set-up.
  [ "${TR_REQUIRE_ORACLES:-0}" = 1 ] && exit 1
  exit 77
fi

mkdir -p "$out"
rm -f "$out"/*.html "$out"/*.dom "$out"/*.log "$out"/*.png
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

if ! TR_REPORT_SAMPLE_DIR=$out "$bin" >"$out/unit.log" 2>&1; then
  echo "FAIL: $bin did not write the sample reports:"; cat "$out/unit.log"
  exit 1
fi

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# chrome URL SIZE MODE OUT: MODE is --dump-dom or --screenshot=FILE.
chrome_run() {
  local url=$1 size=$2 mode=$3 dst=$4
  rm -rf "$profile"/*
  timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update \
    --no-first-run --disable-sync --hide-scrollbars \
    --user-data-dir="$profile" --window-size="$size" \
    --enable-logging=stderr --v=0 --virtual-time-budget=5000 \
    "$mode" "$url" >"$dst" 2>"$dst.log"
}

# check NAME URL: render, then read the DOM and the console.
check() {
  local name=$1 url=$2
  local dom=$out/$name.dom
  if ! chrome_run "$url" 1280,2000 --dump-dom "$dom"; then
    bad "$name: chromium failed"; sed -n 1,20p "$dom.log"; return
  fi
  # Every console message is a finding: the page logs nothing itself, so a
  # message is a script error or a request the CSP blocked.
  if grep -q 'CONSOLE' "$dom.log"; then
    bad "$name: console messages:"; grep 'CONSOLE' "$dom.log" | head -20
  else ok; fi
  if grep -Eq '<body[^>]* data-render="ok"' "$dom"; then ok; else
    bad "$name: page did not finish drawing"
    grep -o 'data-error="[^"]*"' "$dom" | head -3
  fi
  if grep -q 'class="banner"' "$dom"; then bad "$name: error banner shown"; else ok; fi
  local canvases
  canvases=$(grep -o '<canvas' "$dom" | wc -l)
  if [ "$canvases" -ge 8 ]; then ok; else bad "$name: only $canvases canvases"; fi
  for want in 'Summary' 'Equity and drawdown' 'Monthly returns' \
              'Per-symbol statistics' 'Trades'; do
    if grep -q ">$want<" "$dom"; then ok; else bad "$name: no '$want' section"; fi
  done
}

check sample "file://$out/sample.html"
if grep -c '<table class="trades"' "$out/sample.dom" >/dev/null &&
   [ "$(grep -o '<tr>' "$out/sample.dom" | wc -l)" -ge 100 ]; then ok; else
  bad "sample: trades table rows missing"; fi

check multi "file://$out/multi.html#sym=1"
dom=$out/multi.dom
# The symbol with '<' in its name is text, never markup.
if grep -q '&lt;/script&gt;&lt;B&gt;' "$dom"; then ok; else bad "multi: escaped symbol name not shown"; fi
if grep -q '<option value="1"' "$dom"; then ok; else bad "multi: no symbol select"; fi
if grep -q '12000 bars drawn as 4000 candles of 3 bars' "$dom"; then ok; else
  bad "multi: merged-candles note missing"; fi
if grep -q 'class="open"' "$dom"; then ok; else bad "multi: open trade not marked"; fi

# Screenshots at laptop and phone widths (for people; checked non-empty).
for spec in "sample 1280,2600" "sample-phone 390,2400" "multi 1280,2600"; do
  set -- $spec
  src=${1%-phone}
  url="file://$out/$src.html"
  [ "$src" = multi ] && url="$url#sym=1"
  if chrome_run "$url" "$2" "--screenshot=$out/$1.png" "$out/$1.shot" &&
     [ -s "$out/$1.png" ]; then ok; else bad "screenshot $1"; fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
