#!/usr/bin/env bash
# test_dashboard.sh: the web dashboard end to end in headless Chromium.
#
#   test_dashboard.sh TRADER_BIN SOURCE_DIR OUT_DIR
#
# Builds the dashboard from SOURCE_DIR/web/src into OUT_DIR/dist (so the
# test sees the sources as they are, not a stale web/dist), then runs
# test_dashboard.mjs, which starts `trader run` on demo data and drives the
# page. Screenshots and logs are left in OUT_DIR. With TR_UPDATE_DOCS=1 the
# overview and chart screenshots are copied to SOURCE_DIR/docs/ for the
# README (dashboard.png, dashboard-chart.png).
# Exit 77 (skipped) when Chromium, node or playwright-core is missing; with
# TR_REQUIRE_ORACLES=1 (make test installs them) that is a failure instead.
set -uo pipefail

bin=${1:?usage: test_dashboard.sh TRADER_BIN SOURCE_DIR OUT_DIR}
src=${2:?usage: test_dashboard.sh TRADER_BIN SOURCE_DIR OUT_DIR}
out=${3:?usage: test_dashboard.sh TRADER_BIN SOURCE_DIR OUT_DIR}

skip() {
  echo "SKIPPED: $*"
  [ "${TR_REQUIRE_ORACLES:-0}" = 1 ] && exit 1
  exit 77
}
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || skip "chromium is not installed (apt-get install chromium)"
command -v node >/dev/null 2>&1 || skip "node is not installed (scripts/web_setup.sh)"
[ -f "$src/web/node_modules/playwright-core/package.json" ] ||
  skip "playwright-core is not installed (scripts/web_setup.sh)"

mkdir -p "$out"
rm -rf "$out"/*.png "$out"/*.log "$out/dist"
if ! bash "$src/scripts/web_build.sh" "$out/dist" >"$out/build.log" 2>&1; then
  echo "FAIL: scripts/web_build.sh:"; cat "$out/build.log"; exit 1
fi
CHROMIUM=$chrome node "$src/tests/e2e/dashboard/test_dashboard.mjs" \
  "$bin" "$src" "$out"
rc=$?
if [ $rc -eq 0 ] && [ "${TR_UPDATE_DOCS:-0}" = 1 ]; then
  cp "$out/overview.png" "$src/docs/dashboard.png"
  cp "$out/chart.png" "$src/docs/dashboard-chart.png"
  echo "updated docs/dashboard.png and docs/dashboard-chart.png"
fi
exit $rc
