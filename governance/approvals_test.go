package governance

import (
	"crypto/ecdsa"
	"encoding/json"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/crypto"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

func addrOf(k *ecdsa.PrivateKey) string { return crypto.PubkeyToAddress(k.PublicKey).Hex() }

// An admin whose approval expired signs a fresh one: it replaces the expired
// one (still one vote per admin), is audited with the approval it renews, and
// counts toward the quorum. A live approval cannot be "renewed".
func TestExpiredApprovalCanBeRenewed(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	p := h.propose(h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(40, &chaincfg.RegressionNetParams)))
	first := h.approve(0, p.ID) // live for 1h
	old := first.Approvals[0]
	if _, err := h.g.Approve(t0(), p.ID, h.approval(h.admins[0], testDomain, p.ID, h.clock.Now().Add(2*time.Hour).Unix())); code(err) != "duplicate_approval" {
		t.Fatalf("renewing a live approval: %v", err)
	}
	h.clock.Advance(2 * time.Hour)
	// the expired signature itself cannot be replayed
	if _, err := h.g.Approve(t0(), p.ID, Approval{Expiry: old.Expiry, Signature: old.Signature}); code(err) != "signature_expired" {
		t.Fatalf("replayed expired approval: %v", err)
	}
	renewed := h.approve(0, p.ID)
	if renewed.Status != StatusPending || len(renewed.Approvals) != 1 || renewed.Approvals[0].Signer != addrOf(h.admins[0]) ||
		renewed.Approvals[0].Expiry <= old.Expiry || renewed.Approvals[0].Signature == old.Signature {
		t.Fatalf("renewal: %+v", renewed.Approvals)
	}
	evs := events(t, h.db)
	last := evs[len(evs)-1]
	var body struct {
		Approval ApprovalRecord  `json:"approval"`
		Renews   *ApprovalRecord `json:"renews"`
	}
	if err := json.Unmarshal(last.Body, &body); err != nil || last.Kind != EventApproval || body.Renews == nil || body.Renews.Signature != old.Signature {
		t.Fatalf("renewal audit: %s %s %v", last.Kind, last.Body, err)
	}
	// still one vote: a second fresh approval of the same admin is a duplicate
	if _, err := h.g.Approve(t0(), p.ID, h.approval(h.admins[0], testDomain, p.ID, h.clock.Now().Add(3*time.Hour).Unix())); code(err) != "duplicate_approval" {
		t.Fatalf("second vote: %v", err)
	}
	got := h.approve(1, p.ID)
	if got.Status != StatusExecuted || len(got.Approvals) != 2 {
		t.Fatalf("renewed approval did not count: %+v", got)
	}
	view, _ := h.g.List(t0())
	if len(view.Entries) != 1 || len(view.Entries[0].Approvers) != 2 {
		t.Fatalf("approvers %+v", view.Entries)
	}
}

// Proposing is not approving: a proposal starts with no approvals. A
// Bitlayer admin who proposed may approve it too, and that approval counts
// like any other (docs/governance.md says so).
func TestProposerApprovalCounts(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	c := h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(41, &chaincfg.RegressionNetParams))
	p, err := h.g.Propose(t0(), h.signProposal(h.admins[0], testDomain, c))
	if err != nil {
		t.Fatal(err)
	}
	if p.Proposer != addrOf(h.admins[0]) || len(p.Approvals) != 0 {
		t.Fatalf("proposal %+v", p)
	}
	if got := h.approve(0, p.ID); got.Status != StatusPending {
		t.Fatalf("proposer's approval alone executed: %s", got.Status)
	}
	if got := h.approve(1, p.ID); got.Status != StatusExecuted {
		t.Fatalf("proposer + one admin did not reach quorum 2: %s", got.Status)
	}
}

// The whitelist governance hands to the policy engine holds only entries it
// validated again: a stored entry whose script does not match its address,
// or that could never match, fails the read (closed).
func TestWhitelistRefusesCorruptStoredEntry(t *testing.T) {
	addr := testAddr(42, &chaincfg.RegressionNetParams)
	other := testAddr(43, &chaincfg.RegressionNetParams)
	for _, tc := range []struct {
		name   string
		mangle func(e *Entry)
	}{
		{"script of another address", func(e *Entry) {
			_, s, _, _ := (&Governance{cfg: Config{Net: &chaincfg.RegressionNetParams}}).NormalizeEntry(policy.KindBridgeHotWallet, other)
			e.PkScript = s
		}},
		{"no script", func(e *Entry) { e.PkScript = nil }},
		{"address of another network", func(e *Entry) { e.Address = testAddr(42, &chaincfg.MainNetParams) }},
		{"unknown kind", func(e *Entry) { e.Kind = "whatever" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 1, 1, nil)
			if err := h.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: addr}}); err != nil {
				t.Fatal(err)
			}
			if err := h.db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(storage.BucketWhitelist)
				k := entryKey(policy.KindBridgeHotWallet, addr)
				var e Entry
				if err := json.Unmarshal(b.Get(k), &e); err != nil {
					return err
				}
				tc.mangle(&e)
				return putJSON(b, k, e)
			}); err != nil {
				t.Fatal(err)
			}
			err := h.db.View(func(tx *bolt.Tx) error {
				_, err := h.g.Whitelist(tx, h.clock.Now())
				return err
			})
			if err == nil {
				t.Fatal("corrupt entry served to the policy engine")
			}
		})
	}
}
