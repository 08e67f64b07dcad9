#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package.json / package-lock.json / a patch of
# patches/ (which the install's postinstall applies: the tests depend on them).
# `npm install`, not `npm ci`: a lock made on one platform lacks other platforms' optional binaries.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stale_patch=false
for patch in patches/*.patch; do
  [[ -f $patch && $patch -nt node_modules/.package-lock.json ]] && stale_patch=true
done
if [[ ! -f node_modules/.package-lock.json || package.json -nt node_modules/.package-lock.json ||
  (-f package-lock.json && package-lock.json -nt node_modules/.package-lock.json) || $stale_patch == true ]]; then
  npm install --no-audit --no-fund
  touch node_modules/.package-lock.json
fi

# Debian's Chromium for the console's browser tests (driven by playwright-core; no browser download).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo_=""
  [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1 && sudo_="sudo"
  { $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq chromium; } >/dev/null 2>&1 ||
    echo "deps: could not install chromium; the console's browser tests need it" >&2
fi
