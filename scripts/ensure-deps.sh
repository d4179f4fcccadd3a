#!/usr/bin/env bash
# Installs the npm dependencies exactly as locked, once per change of package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "switchboard: Node.js 20.19+ and npm are required (node not found on PATH)" >&2
  exit 1
fi

stamp=node_modules/.switchboard-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || "$(cat "$stamp")" != "$wanted" ]]; then
  echo "switchboard: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$wanted" >"$stamp"
fi
