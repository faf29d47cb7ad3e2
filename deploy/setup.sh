#!/usr/bin/env bash
# deploy/setup.sh: the deployment kit in two steps (docs/deploy.md, "Setting up").
#
#   deploy/setup.sh init [RENDER_FLAGS...]
#       fresh CA, certificates, tokens and every secret file (policyctl pki
#       init), the reference contracts on L2 (policyctl contracts deploy),
#       and the final configurations rendered from deploy/*.config.json
#       (policyctl config render) into $OUT.
#   deploy/setup.sh wallet WALLET_ADDRESS AUDIT_VERIFIER_KEY [RENDER_FLAGS...]
#       after the key ceremony and policyd's first start: renders again with
#       the dedicated wallet's address and policyd's audit verifier key (the
#       relayer needs both).
#
# RENDER_FLAGS go to `policyctl config render` as they are (e.g. --set
# policyd:listen=127.0.0.1:8443 for a run outside containers).
#
# Environment:
#   BITLAYER_GOVERNOR  (init, required) Bitlayer's key on the GovernorMultisig
#   BITLAYER_ADMINS    (required) comma-separated Bitlayer admin addresses (whitelist quorum)
#   PROJECT_ADMINS     (required) comma-separated project admin addresses
#   BABYLON_PARAMS     (init, required) Babylon's published staking parameters
#                      (JSON array of versions): checked and copied to
#                      $OUT/babylon-params.json (later renders keep the copy)
#   BRIDGE_ADDRESS     bridge hot wallet address (default: the examples')
#   L2_RPC             L2 JSON-RPC URL (default http://127.0.0.1:8545, compose's l2)
#   FUND_FROM_DEV_ACCOUNT=1  geth --dev only: fund the relayer key (it deploys
#                      the contracts and later proposes approvals) from the
#                      dev account
#   SECRETS            secrets directory (default deploy/secrets; must not hold a deployment yet)
#   OUT                rendered configurations and the kit's outputs (default deploy/rendered)
#   POLICYCTL          the policyctl command (default: go run ./cmd/policyctl)
#   LIGHT_KEYSTORE=1   light scrypt for the relayer keystore (throwaway runs only)
#
# Nothing here prints a secret: pki init prints only hashes and the pin.
set -euo pipefail
cd "$(dirname "$0")/.."

SECRETS=${SECRETS:-deploy/secrets}
OUT=${OUT:-deploy/rendered}
L2_RPC=${L2_RPC:-http://127.0.0.1:8545}
read -r -a POLICYCTL_CMD <<<"${POLICYCTL:-go run ./cmd/policyctl}"
policyctl() { "${POLICYCTL_CMD[@]}" "$@"; }
die() { echo "setup: $*" >&2; exit 2; }

render() {
  : "${BITLAYER_ADMINS:?setup: set BITLAYER_ADMINS (comma-separated Bitlayer admin addresses)}"
  : "${PROJECT_ADMINS:?setup: set PROJECT_ADMINS (comma-separated project admin addresses)}"
  local bridge=() babylon=()
  if [ -n "${BRIDGE_ADDRESS:-}" ]; then bridge=(--bridge "$BRIDGE_ADDRESS"); fi
  if [ -n "${BABYLON_PARAMS:-}" ]; then babylon=(--babylon-params "$BABYLON_PARAMS"); fi
  policyctl config render --auth "$OUT/auth.json" --contracts "$OUT/contracts.json" \
    --bitlayer-admins "$BITLAYER_ADMINS" --project-admins "$PROJECT_ADMINS" \
    ${bridge[@]+"${bridge[@]}"} ${babylon[@]+"${babylon[@]}"} --out-dir "$OUT" "$@"
}

l2() { # l2 METHOD PARAMS_JSON: the JSON-RPC result (raw)
  curl -fsS --max-time 10 -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$L2_RPC" |
    sed -n 's/.*"result":\(.*\)}$/\1/p'
}

fund_from_dev() { # fund_from_dev ADDRESS
  local dev tx
  dev=$(l2 eth_accounts '[]' | grep -o '0x[0-9a-fA-F]\{40\}' | head -1)
  [ -n "$dev" ] || die "FUND_FROM_DEV_ACCOUNT: $L2_RPC has no dev account (is it geth --dev?)"
  # 1000 native coins: gas for two deployments and every later proposal
  tx=$(l2 eth_sendTransaction "[{\"from\":\"$dev\",\"to\":\"$1\",\"value\":\"0x3635c9adc5dea00000\"}]")
  echo "setup: funded $1 from the dev account (tx $tx)" >&2
  for _ in $(seq 1 120); do
    if [ "$(l2 eth_getBalance "[\"$1\",\"latest\"]")" != '"0x0"' ]; then return 0; fi
    sleep 0.5
  done
  die "the funding of $1 was not mined within 60 s"
}

case "${1:-}" in
init)
  shift
  : "${BITLAYER_GOVERNOR:?setup: set BITLAYER_GOVERNOR (Bitlayer key address on the GovernorMultisig)}"
  : "${BABYLON_PARAMS:?setup: set BABYLON_PARAMS (the published Babylon staking parameters, a JSON array of versions)}"
  mkdir -p "$OUT"
  light=()
  if [ "${LIGHT_KEYSTORE:-0}" = 1 ]; then light=(--light-keystore); fi
  policyctl pki init --out "$SECRETS" ${light[@]+"${light[@]}"} >"$OUT/auth.json"
  relayer=0x$(grep -o '"address":"[0-9a-fA-F]\{40\}"' "$SECRETS/relayer_keystore.json" | cut -d'"' -f4)
  [ "$relayer" != 0x ] || die "no address in $SECRETS/relayer_keystore.json"
  echo "setup: relayer key $relayer (deploys the contracts, then proposes approvals on the GovernorMultisig)" >&2
  if [ "${FUND_FROM_DEV_ACCOUNT:-0}" = 1 ]; then fund_from_dev "$relayer"; fi
  policyctl contracts deploy --rpc "$L2_RPC" --keystore "$SECRETS/relayer_keystore.json" \
    --password-file "$SECRETS/relayer_keystore_pass.txt" \
    --bitlayer "$BITLAYER_GOVERNOR" --project "$relayer" --project-threshold 1 >"$OUT/contracts.json"
  render "$@" # lists what only the key ceremony can fill in (the relayer's wallet and audit key)
  cat >&2 <<MSG
setup: done. Next (docs/deploy.md, "Key ceremony"):
  docker compose up -d policyd          # allow_keygen, no share yet; /readyz says why it is not ready
  docker compose run --rm custody custody keygen ...
  docker compose restart policyd        # its L1 view starts with the share loaded at start
  deploy/setup.sh wallet <wallet address> <audit verifier key from policyd's log>
  docker compose up -d relayer
MSG
  ;;
wallet)
  [ $# -ge 3 ] || die "usage: deploy/setup.sh wallet WALLET_ADDRESS AUDIT_VERIFIER_KEY [RENDER_FLAGS...]"
  wallet=$2 key=$3
  shift 3
  [ -f "$OUT/auth.json" ] && [ -f "$OUT/contracts.json" ] || die "run deploy/setup.sh init first ($OUT has no auth.json/contracts.json)"
  render --wallet "$wallet" --audit-key "$key" "$@"
  ;;
*)
  sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
