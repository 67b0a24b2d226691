#!/usr/bin/env bash
# test_prometheus_files.sh: the Prometheus deployment files in deploy/ are
# valid for the real Prometheus: the scrape config and the alert rules
# parse (promtool check config / check rules), and the rules' unit tests
# (deploy/alerts_test.yml) pass: the alerts fire on sick synthetic series
# and stay quiet on healthy ones.
#
#   test_prometheus_files.sh DEPLOY_DIR
#
# Exit 77 (skipped) when promtool is missing (Debian: prometheus), unless
# TR_REQUIRE_ORACLES=1, when that is a failure.
set -uo pipefail

deploy=${1:?usage: test_prometheus_files.sh DEPLOY_DIR}

if ! command -v promtool >/dev/null; then
  echo "SKIPPED: promtool is not installed (apt-get install prometheus)"
  [ "${TR_REQUIRE_ORACLES:-0}" = 1 ] && exit 1
  exit 77
fi

# promtool resolves rule_files against the config's folder; work on a copy
# so that nothing is written next to the sources.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$deploy"/prometheus.yml "$deploy"/alerts.yml "$deploy"/alerts_test.yml \
  "$tmp"/ || exit 1
cd "$tmp" || exit 1

fail=0
run() { # DESCRIPTION COMMAND...
  local what=$1
  shift
  if out=$("$@" 2>&1); then
    echo "ok: $what"
  else
    echo "FAIL: $what"
    echo "$out"
    fail=1
  fi
}

run "promtool check config prometheus.yml" promtool check config prometheus.yml
run "promtool check rules alerts.yml" promtool check rules alerts.yml
run "promtool test rules alerts_test.yml" promtool test rules alerts_test.yml

# The config scrapes trader where it serves metrics and loads the rules.
grep -q 'metrics_path: /metrics' prometheus.yml &&
  grep -q '127.0.0.1:8080' prometheus.yml &&
  grep -q 'alerts.yml' prometheus.yml ||
  { echo "FAIL: prometheus.yml lacks the trader target or the rules"; fail=1; }

# Every alert carries a severity and both annotations.
n_alert=$(grep -c '^ *- alert:' alerts.yml)
n_sev=$(grep -c '^ *severity: \(critical\|warning\|info\)$' alerts.yml)
n_sum=$(grep -c '^ *summary:' alerts.yml)
n_desc=$(grep -c '^ *description:' alerts.yml)
if [ "$n_alert" -lt 6 ] || [ "$n_sev" != "$n_alert" ] ||
  [ "$n_sum" != "$n_alert" ] || [ "$n_desc" != "$n_alert" ]; then
  echo "FAIL: $n_alert alerts, $n_sev severities, $n_sum summaries," \
    "$n_desc descriptions"
  fail=1
fi

# The rule tests must be able to fail: a broken rule (halted never fires)
# has to make them fail.
sed 's/expr: trader_halted == 1/expr: trader_halted == 2/' alerts.yml \
  >alerts_broken.yml
sed 's/^  - alerts.yml$/  - alerts_broken.yml/' alerts_test.yml \
  >alerts_broken_test.yml
if cmp -s alerts.yml alerts_broken.yml ||
  promtool test rules alerts_broken_test.yml >/dev/null 2>&1; then
  echo "FAIL: the rule tests pass on a broken halted rule"
  fail=1
else
  echo "ok: the rule tests catch a broken rule"
fi

exit $fail
