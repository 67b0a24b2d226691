#!/usr/bin/env bash
# web_setup.sh: install the front-end libraries of web/ from
# web/package-lock.json: lightweight-charts (inlined into the HTML backtest
# report at build time, vendored into the dashboard by scripts/web_build.sh)
# and playwright-core (drives Chromium in tests/e2e/dashboard).
# Idempotent: does nothing when web/node_modules is newer than the lock file.
# Installs Debian's nodejs and npm when node or npm is missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
web=$root/web
lock=$web/package-lock.json
mods=$web/node_modules
stamp=$mods/.package-lock.json # npm writes it on every install

if [ -d "$mods" ] && [ -f "$stamp" ] && [ ! "$lock" -nt "$stamp" ]; then
  exit 0
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "web_setup: installing Debian's nodejs and npm" >&2
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >&2
fi

echo "web_setup: npm ci in web/" >&2
cd "$web"
npm ci --no-audit --no-fund --loglevel=error >&2
# npm ci keeps the lock file's mtime; mark the install as newer than it.
touch "$stamp"
