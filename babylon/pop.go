package babylon

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
)

// PoPMessage is the 32-byte message of a BIP340 proof of possession by the
// staker key for the Babylon account stakerAddr (its raw bytes, 20 for a
// bech32 bbn1… account, 32 for a module or contract account): SHA-256 of
// the address bytes, as babylonlabs-io/babylon x/btcstaking/types/pop.go
// (VerifyBIP340 with BTCSigType_BIP340) checks it. policyd co-signs it only
// for the approved Babylon address: a PoP binds the staker key, and so every
// delegation made with it, to that account.
func PoPMessage(stakerAddr []byte) ([32]byte, error) {
	if len(stakerAddr) != 20 && len(stakerAddr) != 32 {
		return [32]byte{}, fmt.Errorf("babylon: PoP address of %d bytes", len(stakerAddr))
	}
	return sha256.Sum256(stakerAddr), nil
}

// VerifyPoP checks a BIP340 proof of possession of staker for stakerAddr.
func VerifyPoP(stakerAddr []byte, staker *btcec.PublicKey, sig *schnorr.Signature) bool {
	m, err := PoPMessage(stakerAddr)
	if err != nil || staker == nil || sig == nil {
		return false
	}
	return sig.Verify(m[:], staker)
}
