#!/usr/bin/env bash
# The project's test command (the README's, and CI's through .ci/run).
# 1. installs the pinned external tools, 2. checks formatting and vet,
# 3. regenerates generated code and fails on a diff, 4. validates
# docker-compose.yml, 5. runs every test with the race detector, 6. runs each
# fuzz target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/tools.sh)"

echo "== gofmt / vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "not gofmt-formatted:"; echo "$unformatted"; exit 1; fi
go vet ./...
# The dev network compiles only with -tags dev (go run -tags dev ./cmd/policyd --dev).
go vet -tags dev ./cmd/policyd

if [ -x scripts/gen.sh ]; then
  echo "== generated code is up to date"
  bash scripts/gen.sh
  if ! git diff --exit-code --stat -- contracts l2/bindings testvectors; then
    echo "generated files differ from the committed ones: run scripts/gen.sh and commit"; exit 1
  fi
fi

echo "== docker-compose.yml (docker compose config; no engine needed)"
bash scripts/check-compose.sh

echo "== go test"
go test -race -timeout 60m -count=1 ./...

echo "== fuzz (bounded)"
# Count-based budgets: Go 1.26's fuzz coordinator can race its own
# -fuzztime deadline and fail with a bare "context deadline exceeded" and no
# input (golang/go#75804). An execution count ends the run without that
# race, so the stage fails only on a real finding. FUZZTIME=30s still works
# for a local, time-bounded run.
# The default count is a few seconds of work for most targets on 2 cores;
# targets whose every execution commits to a bbolt file get a smaller one.
FUZZTIME="${FUZZTIME:-50000x}"
fuzz_budget() { # target -> -fuzztime value
  if [ -n "${FUZZTIME_OVERRIDE:-}" ]; then echo "$FUZZTIME_OVERRIDE"; return; fi
  case "$1" in
    FuzzLedgerRollback) echo "${FUZZTIME_SLOW:-2000x}" ;;
    *) echo "$FUZZTIME" ;;
  esac
}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    budget=$(fuzz_budget "$target")
    echo "-- $pkg $target ($budget)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" "$pkg"
  done
done
echo "== all tests passed"
