package devnet

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
)

// The dev network's Babylon staking identities (issue 17, docs/babylon.md):
// the two halves of the MuSig2 staker key, the one finality provider the
// dev whitelist approves, and the dev staking terms. DEVELOPMENT ONLY:
// every key is derived from a public seed in this file, so anyone can sign
// with it. Package devnet is never linked into a release build of policyd
// (cmd/policyd TestReleaseBuildHasNoDevMaterial).

// btcKey derives the dev Bitcoin key of label (the first valid candidate).
func btcKey(label string) *btcec.PrivateKey {
	for i := 0; ; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("policyd-devnet-btc/%s/%d", label, i)))
		var s btcec.ModNScalar
		if overflow := s.SetByteSlice(h[:]); !overflow && !s.IsZero() {
			return btcec.PrivKeyFromScalar(&s)
		}
	}
}

// MuSigCustodyKey is the dev custody node's half of the staker key.
func MuSigCustodyKey() *btcec.PrivateKey { return btcKey("musig/custody") }

// MuSigPolicydKey is dev policyd's half of the staker key.
func MuSigPolicydKey() *btcec.PrivateKey { return btcKey("musig/policyd") }

// FinalityProviderKey is the dev finality provider (whitelisted at the dev
// bootstrap).
func FinalityProviderKey() *btcec.PrivateKey { return btcKey("babylon/finality-provider") }

// PoPAddress is the dev Babylon account (20 bytes): the only one dev
// policyd co-signs a proof of possession for.
func PoPAddress() []byte {
	h := sha256.Sum256([]byte("policyd-devnet/babylon-account"))
	return h[:20]
}

// Dev staking terms: the project's one staking time (inside
// babylon.DevParams' bounds) and the cap on a withdrawal's fee.
const (
	StakingTime         uint16 = 100
	MaxWithdrawalFeeSat int64  = 10_000
)
