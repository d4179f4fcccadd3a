#!/usr/bin/env bash
# The whole test suite, with its own set-up: dependencies, generated-code check, build, lint,
# the local stack (Kafka, FerretDB, Redis), then unit, integration and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "dependencies"
bash scripts/ensure-deps.sh

step "generated gRPC code is up to date, buf lint"
npm run --silent proto:check

step "build (tsc project references)"
npm run --silent build

step "type-check tests, lint, format"
npx tsc -p tsconfig.json
# The module-boundary rule reads Nx's project graph; without one it silently skips itself.
npx nx show projects >/dev/null
npx eslint . --max-warnings=0
npx prettier --check . --log-level warn

step "local stack"
npx tsx tools/stack/src/cli.ts up

step "conformance runs on the shared real-world corpora (../shared/fixtures), when present"
shopt -s nullglob
for conformance in scripts/conformance/*.ts; do
  npx tsx "$conformance"
done
shopt -u nullglob

step "unit, integration and e2e tests"
mkdir -p .stack/reports
set +e
# --forceExit: a suite that fails half-way can leave a stream or socket open; the run must still
# end with its report instead of waiting for CI's time limit (every passing suite closes its own).
npx jest --ci --selectProjects unit integration e2e --runInBand --forceExit \
  --json --outputFile=.stack/reports/jest.json "$@"
status=$?
set -e
node -e '
  const r = require("./.stack/reports/jest.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' || true
exit $status
