package devnet

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Dev identities are derived from public seeds: anyone can recompute them.
// That is the point in development, and the reason none of this may reach
// production.

// KeystorePassword protects every dev keystore file.
const KeystorePassword = "dev-only-insecure"

// Key returns the dev secp256k1 key for a role name, e.g. "bitlayer-admin-1".
func Key(role string) *ecdsa.PrivateKey {
	for i := 0; ; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("policyd-devnet/%s/%d", role, i)))
		k, err := crypto.ToECDSA(h[:])
		if err == nil {
			return k
		}
	}
}

// Address of the dev key for role.
func Address(role string) common.Address {
	return crypto.PubkeyToAddress(Key(role).PublicKey)
}

// Roles of the dev network.
const (
	RoleGovernor = "governor" // holds the staking contract's powers in dev (production: a multisig)
	RoleRelayer  = "relayer"
	RoleProject  = "project-admin"
)

// BitlayerAdmin is the role name of the i-th (1-based) Bitlayer security admin.
func BitlayerAdmin(i int) string { return fmt.Sprintf("bitlayer-admin-%d", i) }

// User is the role name of the i-th (1-based) L2 staker.
func User(i int) string { return fmt.Sprintf("user-%d", i) }

// OneBTC in wei (18 decimals).
var OneBTC = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// DefaultAlloc prefunds the dev accounts that send L2 transactions.
func DefaultAlloc() map[common.Address]*big.Int {
	rich := new(big.Int).Mul(OneBTC, big.NewInt(1000))
	alloc := map[common.Address]*big.Int{
		Address(RoleGovernor): rich,
		Address(RoleRelayer):  rich,
	}
	for i := 1; i <= 3; i++ {
		alloc[Address(User(i))] = rich
	}
	return alloc
}
