#!/usr/bin/env bash
# Regenerates testvectors/scenarios/scenarios.json, the policy scenario table
# (PSBT + ledger + whitelist -> expected outcome and reason codes). The
# generator is deterministic: running it twice gives identical bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./testvectors/scenarios/gen -o testvectors/scenarios/scenarios.json
