// Package btcnet maps the Bitcoin network names our commands and config files
// accept to btcd's chain parameters, so every command spells them alike.
package btcnet

import (
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/chaincfg"
)

// Names lists the accepted names (aliases: "main", "testnet").
const Names = "mainnet, testnet3, regtest, signet"

// Params returns the chain parameters of a network name.
func Params(name string) (*chaincfg.Params, error) {
	switch name {
	case "mainnet", "main":
		return &chaincfg.MainNetParams, nil
	case "testnet3", "testnet":
		return &chaincfg.TestNet3Params, nil
	case "regtest":
		return &chaincfg.RegressionNetParams, nil
	case "signet":
		return &chaincfg.SigNetParams, nil
	}
	return nil, fmt.Errorf("unknown bitcoin network %q (%s)", name, Names)
}

// FromAddress infers the network of a segwit (bech32) address from its
// human-readable part: "bc" mainnet, "bcrt" regtest, "tb" testnet3 (signet
// shares "tb": its addresses are the same, so the choice does not change
// which script an address pays).
func FromAddress(addr string) (*chaincfg.Params, error) {
	i := strings.LastIndexByte(addr, '1')
	if i <= 0 {
		return nil, fmt.Errorf("cannot infer the network of %q: not a bech32 address (pass --network)", addr)
	}
	switch strings.ToLower(addr[:i]) {
	case chaincfg.MainNetParams.Bech32HRPSegwit:
		return &chaincfg.MainNetParams, nil
	case chaincfg.RegressionNetParams.Bech32HRPSegwit:
		return &chaincfg.RegressionNetParams, nil
	case chaincfg.TestNet3Params.Bech32HRPSegwit:
		return &chaincfg.TestNet3Params, nil
	}
	return nil, fmt.Errorf("cannot infer the network of %q from its prefix %q (pass --network)", addr, addr[:i])
}
