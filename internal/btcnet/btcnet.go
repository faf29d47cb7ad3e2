// Package btcnet maps the Bitcoin network names our commands and config files
// accept to btcd's chain parameters, so every command spells them alike.
package btcnet

import (
	"fmt"

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
