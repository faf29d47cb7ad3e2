package main

import (
	"bytes"
	"strings"
	"testing"

	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

func TestCommands(t *testing.T) {
	w, err := tssfixtures.WalletInfo()
	if err != nil {
		t.Fatal(err)
	}
	share := "../../testvectors/tss/data/share-custody.age"
	tests := []struct {
		name     string
		args     []string
		pass     string
		code     int
		out, err string
	}{
		{"no args", nil, "", 2, "", "usage: custody"},
		{"unknown", []string{"mint"}, "", 2, "", "unknown command"},
		{"address", []string{"address", "--share", share}, tssfixtures.DevPassphrase, 0, w.AddressRegtest, ""},
		{"address testnet", []string{"address", "--share", share, "--net", "testnet"}, tssfixtures.DevPassphrase, 0, w.AddressTestnet, ""},
		{"wrong passphrase", []string{"address", "--share", share}, "not the dev passphrase", 1, "", "decrypt"},
		{"plaintext refused", []string{"address", "--share", "../../testvectors/tss/data/wallet.json"}, tssfixtures.DevPassphrase, 1, "", "not age-encrypted"},
		{"no passphrase", []string{"address", "--share", share}, "", 2, "", "no passphrase"},
		{"sign needs flags", []string{"sign"}, "", 2, "", "--psbt and --share"},
		{"reshare needs the share", []string{"reshare"}, tssfixtures.DevPassphrase, 2, "", "--share is required"},
		{"reshare never overwrites", []string{"reshare", "--share", share, "--share-out", share}, tssfixtures.DevPassphrase, 1, "", "refusing to overwrite"},
		{"reshare needs TLS flags", []string{"reshare", "--share", share, "--share-out", "/nonexistent-dir/share.1.age"}, tssfixtures.DevPassphrase, 2, "", "--server, --ca, --cert and --key are required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CUSTODY_PASSPHRASE", tc.pass)
			var out, errb bytes.Buffer
			code := run(tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.err) {
				t.Fatalf("code %d out %q err %q", code, out.String(), errb.String())
			}
			if tc.pass != "" && strings.Contains(out.String()+errb.String(), tc.pass) {
				t.Fatal("passphrase printed")
			}
		})
	}
}
