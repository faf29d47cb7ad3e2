#!/usr/bin/env bash
# Regenerates the L2 contract artifacts and their Go bindings, reproducibly:
#   contracts/*.sol --(solc 0.8.28, standard JSON, optimizer 200 runs,
#   evmVersion cancun, metadata hash "none")--> contracts/build/<Name>.abi/.bin
#   --(abigen of the go-ethereum version pinned in go.mod)--> l2/bindings/*.go
# The compiler is solcjs from npm, pinned by scripts/tools.sh. Bytecode does not
# depend on the checkout path (no metadata hash, sources named by basename).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SOLCJS:-}" ] || [ ! -x "${SOLCJS}" ]; then
  eval "$(bash scripts/tools.sh)"
fi
SOLC_VERSION=0.8.28
ver=$("$SOLCJS" --version)
case "$ver" in
  "$SOLC_VERSION+"*) ;;
  *) echo "gen-contracts: want solc $SOLC_VERSION, $SOLCJS is $ver" >&2; exit 1 ;;
esac

CONTRACTS=(StakingPool GovernorMultisig TestToken RestakingPool ERC1967Proxy)
mkdir -p contracts/build l2/bindings
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Standard-JSON input: every contracts/*.sol by basename, fixed settings.
node - "$tmp/in.json" contracts/*.sol <<'JS'
const fs = require('fs'); const path = require('path');
const [out, ...files] = process.argv.slice(2);
const sources = {};
for (const f of files.sort()) sources[path.basename(f)] = { content: fs.readFileSync(f, 'utf8') };
fs.writeFileSync(out, JSON.stringify({
  language: 'Solidity', sources,
  settings: {
    optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun',
    metadata: { bytecodeHash: 'none', appendCBOR: false },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
}));
JS
"$SOLCJS" --standard-json < "$tmp/in.json" > "$tmp/out.json"

node - "$tmp/out.json" contracts/build "${CONTRACTS[@]}" <<'JS'
const fs = require('fs');
const [outFile, dir, ...names] = process.argv.slice(2);
// solcjs may print a notice line (">>> Cannot retry compilation with SMT")
// before the JSON document; parse from the first brace.
const raw = fs.readFileSync(outFile, 'utf8');
const out = JSON.parse(raw.slice(raw.indexOf('{')));
const errors = (out.errors || []).filter(e => e.severity === 'error');
if (errors.length) { for (const e of errors) console.error(e.formattedMessage); process.exit(1); }
for (const e of out.errors || []) console.error(e.formattedMessage);
for (const n of names) {
  const c = out.contracts[n + '.sol'] && out.contracts[n + '.sol'][n];
  if (!c) { console.error('gen-contracts: no contract ' + n); process.exit(1); }
  fs.writeFileSync(`${dir}/${n}.abi`, JSON.stringify(c.abi, null, 1) + '\n');
  fs.writeFileSync(`${dir}/${n}.bin`, c.evm.bytecode.object + '\n');
}
JS

go build -o "$tmp/abigen" github.com/ethereum/go-ethereum/cmd/abigen
for n in "${CONTRACTS[@]}"; do
  lower=$(echo "$n" | tr '[:upper:]' '[:lower:]')
  "$tmp/abigen" \
    --abi "contracts/build/$n.abi" --bin "contracts/build/$n.bin" \
    --pkg bindings --type "$n" --out "l2/bindings/$lower.go"
done
echo "gen-contracts: wrote contracts/build and l2/bindings ($ver)" >&2
