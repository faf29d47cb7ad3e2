package babylon

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
)

// DevCovenants is the size of the dev covenant committee (quorum
// DevCovenantQuorum).
const (
	DevCovenants      = 3
	DevCovenantQuorum = 2
)

// devSeed derives a dev key from a public label. DEVELOPMENT ONLY: the
// seeds are in this file, so anyone can sign with these keys.
func devSeed(label string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte("policyd-babylon-dev/" + label))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// DevCovenantKey is covenant key i (0 <= i < DevCovenants) of the dev
// parameters. DEVELOPMENT ONLY: derived from a public seed, so that --dev,
// the demo and the tests can add the covenant signatures Babylon would.
// Never in a real schedule.
func DevCovenantKey(i int) *btcec.PrivateKey {
	if i < 0 || i >= DevCovenants {
		panic(fmt.Sprintf("babylon: dev covenant key %d of %d", i, DevCovenants))
	}
	return devSeed(fmt.Sprintf("covenant/%d", i))
}

// DevParams is the one version of the dev schedule: activation height 0,
// the dev committee 2 of 3, one finality provider, 10,000 sat to 1,000 BTC,
// 10 to 65,535 blocks, unbonding 5 blocks and 1,000 sat, slashing 10% to
// a P2WPKH of a dev key with a 1,000 sat fee. DEVELOPMENT ONLY.
func DevParams() GlobalParams {
	var cov []*btcec.PublicKey
	for i := range DevCovenants {
		cov = append(cov, DevCovenantKey(i).PubKey())
	}
	slash := append([]byte{0x00, 0x14}, btcutil.Hash160(devSeed("slashing").PubKey().SerializeCompressed())...)
	return GlobalParams{
		Version: 0, ActivationHeight: 0,
		CovenantKeys: cov, CovenantQuorum: DevCovenantQuorum, MaxFinalityProviders: 1,
		MinStakingValue: 10_000, MaxStakingValue: 1_000 * 100_000_000,
		MinStakingTime: 10, MaxStakingTime: 65535,
		UnbondingTime: 5, UnbondingFee: 1_000,
		SlashingRatePct: 10, SlashingPkScript: slash, MinSlashingFee: 1_000,
	}
}

// DevSchedule is the dev schedule: DevParams alone. DEVELOPMENT ONLY.
func DevSchedule() *Schedule {
	s, err := NewSchedule([]GlobalParams{DevParams()})
	if err != nil {
		panic("babylon: dev parameters invalid: " + err.Error()) // a build defect
	}
	return s
}
