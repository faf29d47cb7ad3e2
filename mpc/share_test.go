package mpc_test

import (
	"bytes"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
	"github.com/btcsuite/btcd/chaincfg"
)

func TestFixtureShares(t *testing.T) {
	pol, cus := mpctest.Shares(t)
	w, err := tssfixtures.WalletInfo()
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := pol.Address(&chaincfg.RegressionNetParams)
	if !bytes.Equal(pol.PubKeyBytes(), cus.PubKeyBytes()) || addr != w.AddressRegtest || len(pol.PubKeyBytes()) != 33 {
		t.Fatalf("fixture key mismatch: %x %x %s %s", pol.PubKeyBytes(), cus.PubKeyBytes(), addr, w.AddressRegtest)
	}
	if pol.Self != mpc.PartyPolicyd || cus.Self != mpc.PartyCustody {
		t.Fatal("fixture share owners")
	}
}

func TestShareAtRest(t *testing.T) {
	pol, _ := mpctest.Shares(t)
	dir := t.TempDir()
	prot, err := mpc.NewPassphraseProtector("correct horse battery staple", 10)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "share.age")
	if err := mpc.SaveShare(path, pol, prot); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(pol.Data.Xi.String())) || !strings.HasPrefix(string(raw), "age-encryption.org/v1\n") {
		t.Fatal("share stored in the clear")
	}
	if err := mpc.SaveShare(path, pol, prot); err == nil {
		t.Fatal("SaveShare overwrote an existing share")
	}
	got, err := mpc.LoadShare(path, prot)
	if err != nil || got.Data.Xi.Cmp(pol.Data.Xi) != 0 {
		t.Fatalf("round trip: %v", err)
	}

	t.Run("wrong passphrase", func(t *testing.T) {
		wrong, _ := mpc.NewPassphraseProtector("incorrect horse battery", 10)
		if _, err := mpc.LoadShare(path, wrong); err == nil {
			t.Fatal("decrypted with the wrong passphrase")
		}
	})
	t.Run("plaintext refused", func(t *testing.T) {
		p := filepath.Join(dir, "plain.json")
		os.WriteFile(p, []byte(`{"format":"policyd-mpc-share/v1"}`), 0o600)
		if _, err := mpc.LoadShare(p, prot); !errors.Is(err, mpc.ErrPlaintextShare) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("short passphrase", func(t *testing.T) {
		if _, err := mpc.NewPassphraseProtector("short", 10); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("x25519 identity", func(t *testing.T) {
		id, _ := age.GenerateX25519Identity()
		xp, err := mpc.NewIdentityProtector(strings.NewReader("# test\n" + id.String() + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		ct, err := mpc.MarshalShare(pol, xp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mpc.UnmarshalShare(ct, prot); err == nil {
			t.Fatal("opened with a different key")
		}
		if s, err := mpc.UnmarshalShare(ct, xp); err != nil || !bytes.Equal(s.PubKeyBytes(), pol.PubKeyBytes()) {
			t.Fatalf("x25519 round trip: %v", err)
		}
	})
	t.Run("tampered share rejected", func(t *testing.T) {
		bad := *pol
		bad.Data.Xi = new(big.Int).Add(pol.Data.Xi, big.NewInt(1))
		ct, err := mpc.MarshalShare(&bad, prot)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mpc.UnmarshalShare(ct, prot); !errors.Is(err, mpc.ErrBadShare) {
			t.Fatalf("got %v", err)
		}
	})
}
