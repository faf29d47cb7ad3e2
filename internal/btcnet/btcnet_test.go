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
