#!/usr/bin/env bash
# Installs the pinned external tools the tests and code generation use, into a
# per-version cache ($POLICYD_TOOLS_DIR, default ~/.cache/policyd-tools).
# Idempotent: a tool already built at its pinned version is kept.
#   btcd  v0.26.2   (go install; the node binary, built apart from our module)
#   geth  v1.17.10  (go install; same version as our go-ethereum library)
#   solc  0.8.28    (solcjs from the npm registry)
set -euo pipefail
TOOLS="${POLICYD_TOOLS_DIR:-$HOME/.cache/policyd-tools}"
BTCD_VERSION=v0.26.2
GETH_VERSION=v1.17.10
SOLC_VERSION=0.8.28
mkdir -p "$TOOLS"

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

if [ ! -x "$TOOLS/solc-$SOLC_VERSION/node_modules/.bin/solcjs" ]; then
  echo "tools: installing solc $SOLC_VERSION (npm)" >&2
  mkdir -p "$TOOLS/solc-$SOLC_VERSION"
  npm install --prefix "$TOOLS/solc-$SOLC_VERSION" --no-audit --no-fund --silent "solc@$SOLC_VERSION"
fi

echo "export BTCD_BIN=$TOOLS/btcd-$BTCD_VERSION/btcd"
echo "export GETH_BIN=$TOOLS/geth-$GETH_VERSION/geth"
echo "export SOLCJS=$TOOLS/solc-$SOLC_VERSION/node_modules/.bin/solcjs"
