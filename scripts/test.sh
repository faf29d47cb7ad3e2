#!/usr/bin/env bash
# The project's test command (the README's, and CI's through .ci/run).
# 1. installs the pinned external tools, 2. checks formatting, vet and
# staticcheck, 3. checks the dependencies against the Go vulnerability
# database (govulncheck, offline: the database is built from the pinned
# golang.org/x/vulndb module by scripts/tools.sh), 4. regenerates generated
# code and fails on a diff, 5. validates docker-compose.yml, 6. runs every
# test with the race detector, 7. runs each fuzz target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
# go.mod's toolchain line is the oldest Go whose standard library has no
# known vulnerability our code reaches (govulncheck checks the standard
# library of the toolchain that builds). auto: an older local go fetches that
# toolchain through the module proxy; a newer one is used as it is.
export GOTOOLCHAIN=auto
eval "$(bash scripts/tools.sh)"

echo "== gofmt / vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "not gofmt-formatted:"; echo "$unformatted"; exit 1; fi
go vet ./...
# The release build (-tags release: no dev network, the Dockerfile's build).
go vet -tags release ./cmd/policyd

echo "== staticcheck"
"$STATICCHECK" ./...
"$STATICCHECK" -tags release ./cmd/policyd

echo "== govulncheck (offline database $GOVULNDB)"
# -db file://: vuln.go.dev is not needed (nor reachable in CI); a finding
# in code this module calls fails the run.
"$GOVULNCHECK" -db "$GOVULNDB" ./...

if [ -x scripts/gen.sh ]; then
  echo "== generated code is up to date"
  bash scripts/gen.sh
  if ! git diff --exit-code --stat -- contracts l2/bindings testvectors; then
    echo "generated files differ from the committed ones: run scripts/gen.sh and commit"; exit 1
  fi
fi

echo "== docker-compose.yml (docker compose config; no engine needed)"
bash scripts/check-compose.sh

echo "== browser for the console tests (Debian's chromium and chromium-driver)"
bash scripts/install-browser.sh

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
