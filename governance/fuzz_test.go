package governance

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
)

// FuzzNormalizeEntry: no input panics; an accepted address is canonical
// (normalizing it again is the identity) and destinations get a script.
func FuzzNormalizeEntry(f *testing.F) {
	h := newHarness(f, 1, 1, nil)
	f.Add(policy.KindBridgeHotWallet, testAddr(1, &chaincfg.RegressionNetParams))
	f.Add(policy.KindStakingDestination, "BCRT1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KYGT080")
	f.Add(policy.KindCovenantKey, "02"+"79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
	f.Add(policy.KindFinalityProvider, "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
	f.Add("x", "")
	f.Fuzz(func(t *testing.T, kind, addr string) {
		canon, script, pub, err := h.g.NormalizeEntry(kind, addr)
		if err != nil {
			return
		}
		again, script2, pub2, err := h.g.NormalizeEntry(kind, canon)
		if err != nil || again != canon || string(script) != string(script2) || string(pub) != string(pub2) {
			t.Fatalf("not canonical: %q -> %q -> %q (%v)", addr, canon, again, err)
		}
		if destinationKinds[kind] == (len(script) == 0) || keyKinds[kind] == (len(pub) == 0) {
			t.Fatalf("kind %s: script %x pub %x", kind, script, pub)
		}
	})
}

// FuzzRecoverSigner: arbitrary signature strings never panic and never
// recover an admin.
func FuzzRecoverSigner(f *testing.F) {
	h := newHarness(f, 1, 1, nil)
	good := h.approval(h.admins[0], testDomain, "0x0000000000000000000000000000000000000000000000000000000000000002", 1)
	f.Add(good.Signature)
	f.Add("0x")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, sig string) {
		a, err := recoverSigner(ApprovalTypedData(testDomain, "0x0000000000000000000000000000000000000000000000000000000000000001", 5), sig)
		if err == nil && h.g.bitlayer[a] {
			t.Fatalf("random signature %q recovered an admin", sig)
		}
	})
}

func BenchmarkApprove(b *testing.B) {
	h := newHarness(b, 3, 3, nil)
	ids := make([]string, b.N)
	apps := make([]Approval, b.N)
	for i := range ids {
		p := h.propose(h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(i+1000, &chaincfg.RegressionNetParams)))
		ids[i] = p.ID
		apps[i] = h.approval(h.admins[0], testDomain, p.ID, h.clock.Now().Add(time.Hour).Unix())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := h.g.Approve(t0(), ids[i], apps[i]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSnapshot(b *testing.B) {
	h := newHarness(b, 1, 1, nil)
	var in []EntryInput
	for i := 0; i < 100; i++ {
		in = append(in, EntryInput{Kind: policy.KindBridgeHotWallet, Address: testAddr(i, &chaincfg.RegressionNetParams)})
	}
	if err := h.g.Bootstrap(t0(), in); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.db.View(func(tx *bolt.Tx) error { _, err := h.g.Snapshot(tx, h.clock.Now()); return err })
	}
}
