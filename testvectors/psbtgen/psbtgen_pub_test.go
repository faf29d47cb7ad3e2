package psbtgen

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
)

// A wallet known only by its public key builds the same PSBT as the wallet
// holding the key, and cannot hand out a private key.
func TestWalletFromPubKey(t *testing.T) {
	// WalletFromPrivKey and WalletFromPubKey name their fake previous
	// transactions after the key, so both must build identical packets.
	full := WalletFromPrivKey(NewWallet("pub-only").PrivKey())
	pub, err := WalletFromPubKey(full.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	if pub.PrivKey() != nil {
		t.Fatal("public-key wallet returned a private key")
	}
	if !bytes.Equal(pub.PkScript(), full.PkScript()) {
		t.Fatal("scripts differ")
	}
	net := &chaincfg.RegressionNetParams
	a, err := Build(net, full, []int64{50_000}, nil, StReqIDsPayload("7"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(net, pub, []int64{50_000}, nil, StReqIDsPayload("7"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Serialize(a), Serialize(b)) {
		t.Fatal("PSBTs differ between the key holder and the public-key wallet")
	}
	if _, err := WalletFromPubKey([]byte{2, 1, 2}); err == nil {
		t.Fatal("garbage public key accepted")
	}
}
