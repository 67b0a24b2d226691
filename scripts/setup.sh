#!/usr/bin/env bash
# setup.sh: install the Debian packages trader needs, and nothing else.
#   scripts/setup.sh build   what building and running need
#   scripts/setup.sh test    that, plus the test oracles (R's TTR)
# Idempotent: when everything is present it only asks dpkg and returns.
set -euo pipefail

what=${1:-build}
build_pkgs=(gcc libc6-dev make cmake pkg-config libyaml-dev libjansson-dev libsqlite3-dev
            libwebsockets-dev libssl-dev libcurl4-openssl-dev curl)
test_pkgs=(r-base-core r-cran-ttr python3 python3-jsonschema chromium sqlite3
           prometheus wrk)

pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  *) echo "usage: scripts/setup.sh build|test" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
