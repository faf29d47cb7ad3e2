package btcnet

import "testing"

func TestParams(t *testing.T) {
	for name, hrp := range map[string]string{"mainnet": "bc", "main": "bc", "testnet3": "tb", "testnet": "tb", "regtest": "bcrt", "signet": "tb"} {
		p, err := Params(name)
		if err != nil || p.Bech32HRPSegwit != hrp {
			t.Errorf("%s: %v %v", name, p, err)
		}
	}
	for _, bad := range []string{"", "Mainnet", "testnet4", "regtest "} {
		if _, err := Params(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFromAddress(t *testing.T) {
	for addr, want := range map[string]string{
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4":   "mainnet",
		"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4":   "mainnet",
		"tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx":   "testnet3",
		"bcrt1q6q8hxyfu7amd7xt8wnz8gfa7tlyml3uqkysncu": "regtest",
	} {
		p, err := FromAddress(addr)
		if err != nil || p.Name != want {
			t.Errorf("%s: %v %v, want %s", addr, p, err, want)
		}
	}
	for _, bad := range []string{"", "1abc", "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"} {
		if _, err := FromAddress(bad); err == nil {
			t.Errorf("%q: inferred a network", bad)
		}
	}
}
