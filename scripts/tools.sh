#!/usr/bin/env bash
# Installs the pinned external tools the tests and code generation use, into a
# per-version cache ($POLICYD_TOOLS_DIR, default ~/.cache/policyd-tools).
# Idempotent: a tool already built at its pinned version is kept.
#   btcd  v0.26.2   (go install; the node binary, built apart from our module)
#   geth  v1.17.10  (go install; same version as our go-ethereum library)
#   solc  0.8.28    (solcjs from the npm registry)
#   staticcheck  honnef.co/go/tools v0.8.2 (go install; supports Go 1.26)
#   govulncheck  golang.org/x/vuln v1.9.0 (go install)
#   vulndb       golang.org/x/vulndb at VULNDB_VERSION: the Go vulnerability
#                database's source module, fetched through the module proxy
#                (vuln.go.dev need not be reachable). Its data/osv holds one
#                OSV JSON file per report; vulndb's own cmd/indexdb (same
#                pinned version) turns that folder into the database layout
#                govulncheck reads with -db file://DIR. Bump VULNDB_VERSION
#                (go list -m golang.org/x/vulndb@latest) to pick up new reports.
set -euo pipefail
TOOLS="${POLICYD_TOOLS_DIR:-$HOME/.cache/policyd-tools}"
BTCD_VERSION=v0.26.2
GETH_VERSION=v1.17.10
SOLC_VERSION=0.8.28
STATICCHECK_VERSION=v0.8.2
VULN_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
mkdir -p "$TOOLS"
# One build at a time per cache: a second run (another checkout, a parallel
# test) waits for the first, then finds the tools built.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TOOLS/.lock"
  flock 9
fi

install_go() { # name module version
  local dir="$TOOLS/$1-$3"
  if [ ! -x "$dir/$1" ]; then
    echo "tools: building $1 $3 (go install)" >&2
    mkdir -p "$dir"
    GOBIN="$dir" GOFLAGS=-buildvcs=false go install "$2@$3"
  fi
}
install_go btcd github.com/btcsuite/btcd "$BTCD_VERSION"
install_go geth github.com/ethereum/go-ethereum/cmd/geth "$GETH_VERSION"
install_go staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION"
install_go govulncheck golang.org/x/vuln/cmd/govulncheck "$VULN_VERSION"

# The offline vulnerability database. Built into a temporary directory and
# renamed into place, so an interrupted build is never mistaken for a
# database; a database with no entries fails here rather than letting
# govulncheck pass against nothing.
VULNDB="$TOOLS/vulndb-$VULNDB_VERSION"
if [ ! -f "$VULNDB/index/db.json" ]; then
  install_go indexdb golang.org/x/vulndb/cmd/indexdb "$VULNDB_VERSION"
  echo "tools: building the vulnerability database $VULNDB_VERSION (module proxy)" >&2
  src=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
    echo "tools: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2; exit 1
  fi
  tmp=$(mktemp -d "$VULNDB.tmp.XXXXXX")
  rmdir "$tmp" # indexdb creates it
  "$TOOLS/indexdb-$VULNDB_VERSION/indexdb" -vulns "$src/data/osv" -out "$tmp"
  n=$(find "$tmp/ID" -name 'GO-*.json' | wc -l)
  if [ "$n" -lt 1000 ]; then
    echo "tools: vulnerability database has only $n entries" >&2; exit 1
  fi
  rm -rf "$VULNDB" "$VULNDB".tmp # an incomplete one (no index/db.json), an older build's leftovers
  mv "$tmp" "$VULNDB"
fi

if [ ! -x "$TOOLS/solc-$SOLC_VERSION/node_modules/.bin/solcjs" ]; then
  echo "tools: installing solc $SOLC_VERSION (npm)" >&2
  mkdir -p "$TOOLS/solc-$SOLC_VERSION"
  npm install --prefix "$TOOLS/solc-$SOLC_VERSION" --no-audit --no-fund --silent "solc@$SOLC_VERSION"
fi

echo "export BTCD_BIN=$TOOLS/btcd-$BTCD_VERSION/btcd"
echo "export GETH_BIN=$TOOLS/geth-$GETH_VERSION/geth"
echo "export SOLCJS=$TOOLS/solc-$SOLC_VERSION/node_modules/.bin/solcjs"
echo "export STATICCHECK=$TOOLS/staticcheck-$STATICCHECK_VERSION/staticcheck"
echo "export GOVULNCHECK=$TOOLS/govulncheck-$VULN_VERSION/govulncheck"
echo "export GOVULNDB=file://$VULNDB"
