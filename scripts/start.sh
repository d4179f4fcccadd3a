#!/usr/bin/env bash
# Starts the whole system on this machine: dependencies, build, the local stack (Kafka, FerretDB,
# Redis) and all five services. Ctrl-C stops the services; `npm run stack -- down` stops the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true
bash scripts/ensure-deps.sh
npm run --silent proto:check
npm run --silent build
exec npx tsx scripts/start-system.ts "$@"
