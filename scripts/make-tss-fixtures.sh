#!/usr/bin/env bash
# Regenerates testvectors/tss: tss-lib pre-parameters (safe primes: 20 s to
# several minutes each on one core) and a 2-party (t=1, n=2) key, all
# age-encrypted with the public DEV-ONLY passphrase in
# testvectors/tss/fixtures.go. Output is random: commit it; CI never reruns
# this (it is deliberately not a gen-*.sh script).
#
# Usage: scripts/make-tss-fixtures.sh [-preparams N] [-import-plain DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./testvectors/tss/gen -out testvectors/tss/data "$@"
