#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package.json / package-lock.json.
# `npm install`, not `npm ci`: a lock made on one platform lacks other platforms' optional binaries.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -f node_modules/.package-lock.json || package.json -nt node_modules/.package-lock.json ||
  (-f package-lock.json && package-lock.json -nt node_modules/.package-lock.json) ]]; then
  npm install --no-audit --no-fund
  touch node_modules/.package-lock.json
fi
