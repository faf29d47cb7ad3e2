#!/usr/bin/env bash
# Regenerates the psbtcheck cases in testvectors/psbt (deterministic: fixed
# seeds, no clock, no randomness). See docs/psbtcheck.md.
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./testvectors/cmd/gen-psbt -out testvectors/psbt
