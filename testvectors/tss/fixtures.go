// Package tssfixtures holds committed tss-lib fixtures for tests and local
// development: spare pre-parameter sets and a two-party (t=1, n=2) key,
// shares of policyd and custody. Everything secret is age-encrypted (scrypt)
// with DevPassphrase, which is public and for development only: never use
// these shares for real funds. Regenerate with scripts/make-tss-fixtures.sh.
package tssfixtures

import (
	"embed"
	"encoding/json"
	"fmt"
)

// DevPassphrase encrypts every fixture. DEV ONLY: it is public.
const DevPassphrase = "policyd-dev-only-insecure-fixture-passphrase"

// DevWorkFactor is the scrypt work factor (log2 N) of the fixtures: low so
// tests decrypt in milliseconds. Production shares use age's default 18.
const DevWorkFactor = 10

// Wallet is the public description of the fixture key (wallet.json).
type Wallet struct {
	PubKey         string   `json:"pubkey"` // 33-byte compressed, hex
	AddressRegtest string   `json:"address_regtest"`
	AddressTestnet string   `json:"address_testnet"`
	Committee      []string `json:"committee"`
	Threshold      int      `json:"threshold"`
	SparePreParams int      `json:"spare_preparams"`
}

//go:embed data
var files embed.FS

// Share returns the encrypted share of party "policyd" or "custody".
func Share(party string) ([]byte, error) { return files.ReadFile("data/share-" + party + ".age") }

// PreParams returns encrypted spare pre-parameter set i (0-based).
func PreParams(i int) ([]byte, error) { return files.ReadFile(fmt.Sprintf("data/preparams-%d.age", i)) }

// WalletInfo returns the fixture key's public description.
func WalletInfo() (Wallet, error) {
	var w Wallet
	b, err := files.ReadFile("data/wallet.json")
	if err != nil {
		return w, err
	}
	return w, json.Unmarshal(b, &w)
}
