package psbtcheck

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
)

// address must agree with btcd's ExtractPkScriptAddrs + EncodeAddress on
// every standard single-address type and every network.
func TestAddressMatchesBtcd(t *testing.T) {
	nets := []*chaincfg.Params{&chaincfg.MainNetParams, &chaincfg.TestNet3Params, &chaincfg.RegressionNetParams, &chaincfg.SigNetParams}
	for i := 0; i < 50; i++ {
		h := sha256.Sum256([]byte(fmt.Sprint(i)))
		scripts := [][]byte{
			append(append([]byte{0x76, 0xa9, 0x14}, h[:20]...), 0x88, 0xac),
			append(append([]byte{0xa9, 0x14}, h[:20]...), 0x87),
			append([]byte{0x00, 0x14}, h[:20]...),
			append([]byte{0x00, 0x20}, h[:]...),
			append([]byte{0x51, 0x20}, h[:]...),
		}
		for _, net := range nets {
			for _, s := range scripts {
				_, addrs, _, err := txscript.ExtractPkScriptAddrs(s, net)
				if err != nil || len(addrs) != 1 {
					t.Fatalf("btcd cannot read %x", s)
				}
				if got, want := address(s, Wallet{Net: net}), addrs[0].EncodeAddress(); got != want {
					t.Fatalf("%s %x: %s, btcd %s", net.Name, s, got, want)
				}
			}
		}
	}
	for _, s := range [][]byte{{0x51}, {0x6a, 0x01, 0x00}, append([]byte{0x52, 0x20}, make([]byte, 32)...), append([]byte{0x21}, make([]byte, 34)...)} {
		if a := address(s, Wallet{Net: &chaincfg.MainNetParams}); a != "" {
			t.Fatalf("%x rendered as %s", s, a)
		}
	}
}
