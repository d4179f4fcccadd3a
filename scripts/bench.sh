#!/usr/bin/env bash
# npm run bench -- <name> [args]: runs bench/<name>.bench.ts after its own set-up (dependencies,
# build, the local stack, which it reuses when it is already running).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-}
if [[ -z $name || ! -f bench/$name.bench.ts ]]; then
  echo "usage: npm run bench -- <name>; available: $(cd bench && ls *.bench.ts 2>/dev/null | sed 's/\.bench\.ts$//' | tr '\n' ' ')" >&2
  exit 2
fi
shift
export NX_DAEMON=false NX_NO_CLOUD=true
bash scripts/ensure-deps.sh
npm run --silent build >&2
npx tsx tools/stack/src/cli.ts up >&2
exec npx tsx "bench/$name.bench.ts" "$@"
