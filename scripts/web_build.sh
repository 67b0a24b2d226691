#!/usr/bin/env bash
# web_build.sh: build the dashboard that `trader run` serves (api: web:):
# copy web/src/ and the vendored lightweight-charts ES module (from
# web/node_modules, installed by scripts/web_setup.sh) into OUT_DIR, so the
# page loads nothing from the internet.
#
#   scripts/web_build.sh [OUT_DIR]     default web/dist (generated, ignored)
#
# Cheap (a copy): the Makefile's build step runs it every time.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$root/web/src
out=${1:-$root/web/dist}
lwc=$root/web/node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.mjs

if [ ! -f "$lwc" ]; then
  bash "$root/scripts/web_setup.sh"
fi
[ -f "$lwc" ] || { echo "web_build: $lwc is missing" >&2; exit 1; }

# Build beside the target and swap it in, so a running server never sees a
# half-copied folder for long.
tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -R "$src"/. "$tmp"/
mkdir -p "$tmp/vendor"
cp "$lwc" "$tmp/vendor/lightweight-charts.mjs"
cp "$root/web/node_modules/lightweight-charts/LICENSE" "$tmp/vendor/lightweight-charts.LICENSE.txt" 2>/dev/null || true
chmod -R a+rX "$tmp"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
