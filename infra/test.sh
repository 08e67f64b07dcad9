#!/usr/bin/env bash
# What `npm test` runs: dependencies (when missing or stale), services, type check, lint, then every test.
# Extra arguments go to vitest, e.g. `npm test -- packages/runtime`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash infra/deps.sh
bash infra/services.sh
npm run --silent check
npm run --silent lint
if [[ $# -gt 0 ]]; then
  npx vitest run "$@"
else
  # The multi-process tests run real node processes against real lease and membership timeouts (and restart
  # stores of their own): they get the machine to themselves, after everything else, one file at a time.
  npx vitest run --exclude "apps/node/test/MultiProcess.test.ts" --exclude "apps/node/test/Faults.test.ts" \
    --exclude "apps/console/test/Console.test.ts"
  # The console in a real Chromium, timed frames included: alone too.
  npx vitest run apps/console/test/Console.test.ts
  npx vitest run apps/node/test/MultiProcess.test.ts
  npx vitest run apps/node/test/Faults.test.ts
fi
