#!/usr/bin/env bash
# Checks the gRPC contracts (npm run proto:check): buf lint and format, then regenerates into a
# temporary directory and fails if libs/contracts/src/generated differs.
#
# The generated code is committed rather than built on the fly: contract changes show up as
# reviewable diffs, and services build with plain tsc, without buf. This check keeps that copy
# honest.
#
# Optional: PROTO_BREAKING_AGAINST=<buf input>, e.g. '.git#branch=main,subdir=proto', also runs
# `buf breaking` (FILE rules) against that baseline.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
buf="$root/node_modules/.bin/buf"
generated="libs/contracts/src/generated"
cd "$root"

"$buf" lint proto
"$buf" format --diff --exit-code proto # Prettier does not format .proto files

if [[ -n "${PROTO_BREAKING_AGAINST:-}" ]]; then
  "$buf" breaking proto --against "$PROTO_BREAKING_AGAINST"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash proto/generate.sh "$tmp/out"
ln -s "$root/$generated" "$tmp/committed"
ln -s "$tmp/out/$generated" "$tmp/regenerated"

cd "$tmp"
if ! diff -r -q committed regenerated >summary 2>&1; then
  {
    echo "generated code is stale: run npm run proto:generate"
    echo
    cat summary
    echo
    diff -r -u -N committed regenerated | head -n 60 || true
  } >&2
  exit 1
fi
echo "proto: lint ok, generated code up to date"
