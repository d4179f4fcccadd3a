#!/usr/bin/env bash
# Regenerates libs/contracts/src/generated from the .proto files (npm run proto:generate).
#
# Offline and deterministic: buf and ts-proto come from node_modules (pinned by package-lock),
# buf.gen.yaml sets `clean: true` so deleted protos leave no files behind, and the output holds no
# timestamps or machine paths. Generated code is not formatted: Prettier and ESLint ignore it.
#
# Usage: generate.sh [BASE_DIR]  — write below BASE_DIR instead of the repository (check.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
buf="$root/node_modules/.bin/buf"
if [[ ! -x "$buf" ]]; then
  echo "proto/generate.sh: $buf not found; run npm ci first" >&2
  exit 1
fi

cd "$root" # buf.gen.yaml paths (plugin, out) are relative to the repository root
if [[ $# -gt 0 ]]; then
  "$buf" generate proto --template proto/buf.gen.yaml --output "$1"
else
  "$buf" generate proto --template proto/buf.gen.yaml
fi
