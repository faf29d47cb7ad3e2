#!/usr/bin/env bash
# Regenerates every generated file (contract artifacts and bindings, test
# vectors). Each area has its own scripts/gen-<area>.sh; this runs them all.
# scripts/test.sh runs this and fails if the result differs from git.
set -euo pipefail
cd "$(dirname "$0")/.."
for g in scripts/gen-*.sh; do
  [ -e "$g" ] || continue
  echo "gen: $g" >&2
  bash "$g"
done
