package governance

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
)

func TestAddNeedsQuorumThenTimelock(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	addr := testAddr(1, &chaincfg.RegressionNetParams)
	p := h.propose(h.content(ActionAdd, policy.KindBridgeHotWallet, addr))
	if p.Status != StatusPending || len(p.ID) != 66 {
		t.Fatalf("proposal %+v", p)
	}
	if got := h.approve(0, p.ID); got.Status != StatusPending {
		t.Fatalf("one approval of 2 executed: %s", got.Status)
	}
	got := h.approve(1, p.ID)
	if got.Status != StatusExecuted {
		t.Fatalf("status after quorum = %s", got.Status)
	}
	quorumAt := h.clock.Now()
	if act, v := h.active(quorumAt); len(act) != 0 || v != 0 {
		t.Fatalf("active before timelock: %v v%d", act, v)
	}
	if act, _ := h.active(quorumAt.Add(DefaultTimelock - time.Second)); len(act) != 0 {
		t.Fatalf("active 1s before timelock: %v", act)
	}
	act, v := h.active(quorumAt.Add(DefaultTimelock))
	if len(act) != 1 || act[0] != policy.KindBridgeHotWallet+":"+addr || v != 1 {
		t.Fatalf("after timelock: %v v%d", act, v)
	}
	evs := events(t, h.db)
	want := []string{EventProposal, EventApproval, EventApproval, EventActivation}
	if len(evs) != len(want) {
		t.Fatalf("events %v", evs)
	}
	for i, k := range want {
		if evs[i].Kind != k {
			t.Fatalf("event %d = %s, want %s", i, evs[i].Kind, k)
		}
	}
	// the entry carries its script and approvers
	view, err := h.g.List(t0())
	if err != nil || len(view.Entries) != 1 || len(view.Entries[0].PkScript) != 22 || len(view.Entries[0].Approvers) != 2 || view.Entries[0].Active {
		t.Fatalf("list %+v %v", view, err)
	}
}

func TestDevModeNoTimelockAndRemovalAtQuorum(t *testing.T) {
	h := newHarness(t, 2, 2, func(c *Config) { c.NoTimelock = true })
	addr := testAddr(2, &chaincfg.RegressionNetParams)
	p := h.propose(h.content(ActionAdd, policy.KindStakingDestination, addr))
	h.approve(0, p.ID)
	h.approve(1, p.ID)
	if act, v := h.active(h.clock.Now()); len(act) != 1 || v != 1 {
		t.Fatalf("dev mode add not active at quorum: %v v%d", act, v)
	}
	r := h.propose(h.content(ActionRemove, policy.KindStakingDestination, addr))
	h.approve(1, r.ID)
	if act, _ := h.active(h.clock.Now()); len(act) != 1 {
		t.Fatal("removed before quorum")
	}
	h.approve(0, r.ID)
	if act, v := h.active(h.clock.Now()); len(act) != 0 || v != 2 {
		t.Fatalf("removal not effective at quorum: %v v%d", act, v)
	}
}

func TestRemovalIsImmediateEvenWithTimelock(t *testing.T) {
	h := newHarness(t, 1, 1, nil)
	addr := testAddr(3, &chaincfg.RegressionNetParams)
	if err := h.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: addr}}); err != nil {
		t.Fatal(err)
	}
	r := h.propose(h.content(ActionRemove, policy.KindBridgeHotWallet, addr))
	h.approve(0, r.ID)
	if act, _ := h.active(h.clock.Now()); len(act) != 0 {
		t.Fatalf("removal waited for the timelock: %v", act)
	}
}

func TestKeyKinds(t *testing.T) {
	h := newHarness(t, 1, 1, func(c *Config) { c.NoTimelock = true })
	k := mustKey(t)
	comp := crypto.CompressPubkey(&k.PublicKey)
	for _, tc := range []struct {
		name, kind, key, code string
	}{
		{"compressed staker key", policy.KindBabylonStakerKey, hexutil.Encode(comp)[2:], ""},
		{"x-only finality provider", policy.KindFinalityProvider, hexutil.Encode(comp[1:])[2:], ""},
		{"not on curve", policy.KindCovenantKey, "02" + fmt.Sprintf("%064x", 5), "invalid_request"},
		{"wrong length", policy.KindCovenantKey, "0203", "invalid_request"},
		{"not hex", policy.KindCovenantKey, "zz", "invalid_request"},
		{"address for a key kind", policy.KindCovenantKey, testAddr(1, &chaincfg.RegressionNetParams), "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.g.Propose(t0(), h.signProposal(h.project, testDomain, h.content(ActionAdd, tc.kind, tc.key)))
			if code(err) != tc.code {
				t.Fatalf("code %q, want %q", code(err), tc.code)
			}
		})
	}
}

func TestProposeRefusals(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	existing := testAddr(10, &chaincfg.RegressionNetParams)
	if err := h.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: existing}}); err != nil {
		t.Fatal(err)
	}
	dup := h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(11, &chaincfg.RegressionNetParams))
	if _, err := h.g.Propose(t0(), h.signProposal(h.project, testDomain, dup)); err != nil {
		t.Fatal(err)
	}
	otherChain := testDomain
	otherChain.ChainID = ChainIDMainnet
	otherWallet := testDomain
	otherWallet.WalletID = "another-wallet"
	base := func() ProposalContent {
		return h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(12, &chaincfg.RegressionNetParams))
	}
	cases := []struct {
		name string
		sp   func() SignedProposal
		code string
	}{
		{"outsider signer", func() SignedProposal { return h.signProposal(h.other, testDomain, base()) }, "not_authorized"},
		{"other chain id", func() SignedProposal { return h.signProposal(h.project, otherChain, base()) }, "not_authorized"},
		{"other wallet id", func() SignedProposal { return h.signProposal(h.project, otherWallet, base()) }, "not_authorized"},
		{"mainnet address on regtest", func() SignedProposal {
			return h.signProposal(h.project, testDomain, h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(1, &chaincfg.MainNetParams)))
		}, "invalid_request"},
		{"garbage address", func() SignedProposal {
			return h.signProposal(h.project, testDomain, h.content(ActionAdd, policy.KindBridgeHotWallet, "bcrt1qnotanaddress"))
		}, "invalid_request"},
		{"unknown kind", func() SignedProposal {
			return h.signProposal(h.project, testDomain, h.content(ActionAdd, "exchange", testAddr(1, &chaincfg.RegressionNetParams)))
		}, "invalid_request"},
		{"unknown action", func() SignedProposal {
			return h.signProposal(h.project, testDomain, h.content("whitelist_drop", policy.KindBridgeHotWallet, existing))
		}, "invalid_request"},
		{"expired", func() SignedProposal {
			p := base()
			p.Expiry = h.clock.Now().Unix()
			return h.signProposal(h.project, testDomain, p)
		}, "signature_expired"},
		{"expiry too far", func() SignedProposal {
			p := base()
			p.Expiry = h.clock.Now().Add(365 * 24 * time.Hour).Unix()
			return h.signProposal(h.project, testDomain, p)
		}, "expiry_too_far"},
		{"empty nonce", func() SignedProposal {
			p := base()
			p.Nonce = ""
			return h.signProposal(h.project, testDomain, p)
		}, "invalid_request"},
		{"malformed signature", func() SignedProposal {
			sp := h.signProposal(h.project, testDomain, base())
			sp.Signature = "0x1234"
			return sp
		}, "bad_signature"},
		{"signature over other content", func() SignedProposal {
			sp := h.signProposal(h.project, testDomain, base())
			sp.Proposal.Label = "changed after signing"
			return sp
		}, "not_authorized"},
		{"replayed proposal", func() SignedProposal { return h.signProposal(h.project, testDomain, dup) }, "proposal_exists"},
		{"add existing entry", func() SignedProposal {
			return h.signProposal(h.project, testDomain, h.content(ActionAdd, policy.KindBridgeHotWallet, existing))
		}, "entry_exists"},
		{"remove missing entry", func() SignedProposal {
			return h.signProposal(h.project, testDomain, h.content(ActionRemove, policy.KindBridgeHotWallet, testAddr(99, &chaincfg.RegressionNetParams)))
		}, "entry_not_found"},
		{"unfreeze when not frozen", func() SignedProposal {
			return h.signProposal(h.project, testDomain, h.content(ActionUnfreeze, "", ""))
		}, "not_frozen"},
		{"allowance to non-whitelisted address", func() SignedProposal {
			p := h.content(ActionAllowance, "", testAddr(98, &chaincfg.RegressionNetParams))
			p.PlanID, p.AmountSat = "plan-1", 1000
			return h.signProposal(h.project, testDomain, p)
		}, "entry_not_found"},
		{"allowance without amount", func() SignedProposal {
			p := h.content(ActionAllowance, "", existing)
			p.PlanID = "plan-1"
			return h.signProposal(h.project, testDomain, p)
		}, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(events(t, h.db))
			props, _ := h.g.Proposals(t0(), "")
			_, err := h.g.Propose(t0(), tc.sp())
			if code(err) != tc.code {
				t.Fatalf("code %q, want %q (%v)", code(err), tc.code, err)
			}
			after, _ := h.g.Proposals(t0(), "")
			if len(after) != len(props) || len(events(t, h.db)) != before {
				t.Fatal("a refused proposal changed the store")
			}
		})
	}
}

func TestApproveRefusals(t *testing.T) {
	h := newHarness(t, 3, 3, nil)
	p := h.propose(h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(20, &chaincfg.RegressionNetParams)))
	h.approve(0, p.ID)
	exp := h.clock.Now().Add(time.Hour).Unix()
	otherChain, otherName, otherWallet := otherDomains()
	highS := func() Approval {
		a := h.approval(h.admins[1], testDomain, p.ID, exp)
		sig, _ := hexutil.Decode(a.Signature)
		s := new(big.Int).SetBytes(sig[32:64])
		s.Sub(crypto.S256().Params().N, s)
		s.FillBytes(sig[32:64])
		sig[64] ^= 1
		a.Signature = hexutil.Encode(sig)
		return a
	}
	cases := []struct {
		name string
		id   string
		a    func() Approval
		code string
	}{
		{"forged signature", p.ID, func() Approval {
			sig := make([]byte, 65)
			for i := range sig[:64] {
				sig[i] = byte(i + 1)
			}
			sig[64] = 27
			return Approval{Expiry: exp, Signature: hexutil.Encode(sig)}
		}, "bad_signature"},
		{"signature by an admin over other bytes", p.ID, func() Approval {
			sig, _ := crypto.Sign(crypto.Keccak256([]byte("something else")), h.admins[1])
			sig[64] += 27
			return Approval{Expiry: exp, Signature: hexutil.Encode(sig)}
		}, "not_authorized"},
		{"wrong domain name", p.ID, func() Approval { return h.approval(h.admins[1], otherName, p.ID, exp) }, "not_authorized"},
		{"other chain id", p.ID, func() Approval { return h.approval(h.admins[1], otherChain, p.ID, exp) }, "not_authorized"},
		{"other wallet id", p.ID, func() Approval { return h.approval(h.admins[1], otherWallet, p.ID, exp) }, "not_authorized"},
		{"expired approval", p.ID, func() Approval {
			e := h.clock.Now().Add(-time.Second).Unix()
			return h.approval(h.admins[1], testDomain, p.ID, e)
		}, "signature_expired"},
		{"expiry too far", p.ID, func() Approval {
			return h.approval(h.admins[1], testDomain, p.ID, h.clock.Now().Add(30*24*time.Hour).Unix())
		}, "expiry_too_far"},
		{"expiry changed after signing", p.ID, func() Approval { a := h.approval(h.admins[1], testDomain, p.ID, exp); a.Expiry++; return a }, "not_authorized"},
		{"project admin cannot approve", p.ID, func() Approval { return h.approval(h.project, testDomain, p.ID, exp) }, "not_authorized"},
		{"outsider", p.ID, func() Approval { return h.approval(h.other, testDomain, p.ID, exp) }, "not_authorized"},
		{"duplicate approval", p.ID, func() Approval { return h.approval(h.admins[0], testDomain, p.ID, exp) }, "duplicate_approval"},
		{"replayed approval", p.ID, func() Approval {
			got, _ := h.g.Proposal(t0(), p.ID)
			return Approval{Expiry: got.Approvals[0].Expiry, Signature: got.Approvals[0].Signature}
		}, "duplicate_approval"},
		{"approval for another proposal", p.ID, func() Approval {
			return h.approval(h.admins[1], testDomain, "0x"+fmt.Sprintf("%064x", 7), exp)
		}, "not_authorized"},
		{"high-S signature", p.ID, highS, "bad_signature"},
		{"malformed signature", p.ID, func() Approval { return Approval{Expiry: exp, Signature: "0xzz"} }, "bad_signature"},
		{"unknown proposal", "0x" + fmt.Sprintf("%064x", 7), func() Approval {
			return h.approval(h.admins[1], testDomain, "0x"+fmt.Sprintf("%064x", 7), exp)
		}, "proposal_not_found"},
		{"malformed id", "0xABC", func() Approval { return h.approval(h.admins[1], testDomain, p.ID, exp) }, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(events(t, h.db))
			_, err := h.g.Approve(t0(), tc.id, tc.a())
			if code(err) != tc.code {
				t.Fatalf("code %q, want %q (%v)", code(err), tc.code, err)
			}
			got, _ := h.g.Proposal(t0(), p.ID)
			if len(got.Approvals) != 1 || got.Status != StatusPending || len(events(t, h.db)) != before {
				t.Fatal("a refused approval changed the store")
			}
		})
	}
}

func TestExpiredApprovalsDoNotCount(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	p := h.propose(h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(21, &chaincfg.RegressionNetParams)))
	h.approve(0, p.ID) // expires in 1h
	h.clock.Advance(2 * time.Hour)
	if got := h.approve(1, p.ID); got.Status != StatusPending {
		t.Fatal("an expired approval counted toward quorum")
	}
	if got := h.approve(2, p.ID); got.Status != StatusExecuted {
		t.Fatal("two live approvals did not execute")
	}
}

func TestProposalExpiry(t *testing.T) {
	h := newHarness(t, 2, 2, nil)
	p := h.propose(h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(22, &chaincfg.RegressionNetParams)))
	h.clock.Advance(73 * time.Hour)
	_, err := h.g.Approve(t0(), p.ID, h.approval(h.admins[0], testDomain, p.ID, h.clock.Now().Add(time.Hour).Unix()))
	if code(err) != "proposal_expired" {
		t.Fatalf("approving an expired proposal: %v", err)
	}
	if got, _ := h.g.Proposals(t0(), StatusExpired); len(got) != 1 {
		t.Fatal("expired proposal not listed as expired")
	}
}

func TestRejectCancels(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	p := h.propose(h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(23, &chaincfg.RegressionNetParams)))
	h.approve(0, p.ID)
	exp := h.clock.Now().Add(time.Hour).Unix()
	sign := func(i int, reason string) Rejection {
		k := h.other
		if i >= 0 {
			k = h.admins[i]
		} else if i == -2 {
			k = h.project
		}
		sig, err := SignTypedData(RejectionTypedData(testDomain, p.ID, reason, exp), k)
		if err != nil {
			t.Fatal(err)
		}
		return Rejection{Reason: reason, Expiry: exp, Signature: sig}
	}
	for _, tc := range []struct {
		name string
		r    Rejection
		code string
	}{
		{"outsider", sign(-1, "no"), "not_authorized"},
		{"project admin", sign(-2, "no"), "not_authorized"},
		{"reason changed after signing", func() Rejection { r := sign(1, "no"); r.Reason = "yes"; return r }(), "not_authorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := h.g.Reject(t0(), p.ID, tc.r); code(err) != tc.code {
				t.Fatalf("code %q want %q", code(err), tc.code)
			}
		})
	}
	got, err := h.g.Reject(t0(), p.ID, sign(2, "wrong address"))
	if err != nil || got.Status != StatusRejected || got.Rejection.Reason != "wrong address" {
		t.Fatalf("reject: %+v %v", got, err)
	}
	if _, err := h.g.Approve(t0(), p.ID, h.approval(h.admins[1], testDomain, p.ID, exp)); !errors.Is(err, ErrNotPending) {
		t.Fatalf("approve after reject: %v", err)
	}
	if _, err := h.g.Reject(t0(), p.ID, sign(1, "again")); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second reject: %v", err)
	}
	if countKind(events(t, h.db), EventRejection) != 1 {
		t.Fatal("rejection not audited exactly once")
	}
}

func TestFreezeUnfreezeAndReplay(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	frozen := func() bool {
		var f bool
		h.db.View(func(tx *bolt.Tx) error { var err error; f, err = h.g.Frozen(tx, h.clock.Now()); return err })
		return f
	}
	if _, err := h.g.Freeze(t0(), h.freezeReq(h.project, 0, "a")); code(err) != "not_authorized" {
		t.Fatalf("project admin froze: %v", err)
	}
	if _, err := h.g.Freeze(t0(), h.freezeReq(h.admins[0], 1, "a")); code(err) != "freeze_epoch_mismatch" {
		t.Fatalf("future epoch: %v", err)
	}
	first := h.freezeReq(h.admins[0], 0, "a")
	fs, err := h.g.Freeze(t0(), first)
	if err != nil || !fs.Frozen || !frozen() {
		t.Fatalf("freeze: %+v %v", fs, err)
	}
	if _, err := h.g.Freeze(t0(), h.freezeReq(h.admins[1], 0, "b")); code(err) != "already_frozen" {
		t.Fatalf("double freeze: %v", err)
	}
	// unfreeze needs the quorum
	u := h.content(ActionUnfreeze, "", "")
	u.FreezeEpoch = 0
	up, err := h.g.Propose(t0(), h.signProposal(h.admins[2], testDomain, u))
	if err != nil {
		t.Fatal(err)
	}
	h.approve(0, up.ID)
	if !frozen() {
		t.Fatal("unfrozen below quorum")
	}
	h.approve(1, up.ID)
	if frozen() {
		t.Fatal("still frozen at quorum")
	}
	st, _ := h.g.FreezeState(t0())
	if st.Epoch != 1 {
		t.Fatalf("epoch %d", st.Epoch)
	}
	// the old freeze signature cannot be replayed after the unfreeze
	if _, err := h.g.Freeze(t0(), first); code(err) != "nonce_used" {
		t.Fatalf("replayed freeze: %v", err)
	}
	if _, err := h.g.Freeze(t0(), h.freezeReq(h.admins[0], 0, "fresh")); code(err) != "freeze_epoch_mismatch" {
		t.Fatalf("old-epoch freeze: %v", err)
	}
	if _, err := h.g.Freeze(t0(), h.freezeReq(h.admins[0], 1, "c")); err != nil || !frozen() {
		t.Fatalf("new-epoch freeze: %v", err)
	}
	evs := events(t, h.db)
	if countKind(evs, EventFreeze) != 2 || countKind(evs, EventUnfreeze) != 1 {
		t.Fatalf("freeze events: %v", evs)
	}
}

func TestAllowanceOpenConsume(t *testing.T) {
	h := newHarness(t, 2, 2, nil)
	bridge := testAddr(30, &chaincfg.RegressionNetParams)
	if err := h.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: bridge, Label: "bridge"}}); err != nil {
		t.Fatal(err)
	}
	c := h.content(ActionAllowance, "", bridge)
	c.PlanID, c.AmountSat = "plan-7", 5_000_000
	p := h.propose(c)
	h.approve(0, p.ID)
	h.approve(1, p.ID)
	var open []policy.Allowance
	h.db.View(func(tx *bolt.Tx) error { var err error; open, err = h.g.OpenAllowances(tx, h.clock.Now()); return err })
	if len(open) != 1 || open[0].ID != p.ID || open[0].AmountSat != 5_000_000 || len(open[0].PkScript) != 22 {
		t.Fatalf("open allowances %+v", open)
	}
	consume := func(id, dec string) error {
		return h.db.Update(func(tx *bolt.Tx) error { return h.g.ConsumeAllowance(tx, id, dec) })
	}
	if err := consume("0xmissing", "d1"); !errors.Is(err, ErrAllowanceNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := consume(p.ID, "d1"); err != nil {
		t.Fatal(err)
	}
	if err := consume(p.ID, "d2"); !errors.Is(err, ErrAllowanceUsed) {
		t.Fatalf("second use: %v", err)
	}
	snap := Snapshot{}
	h.db.View(func(tx *bolt.Tx) error { var err error; snap, err = h.g.Snapshot(tx, h.clock.Now()); return err })
	if len(snap.Allowances) != 0 || len(snap.Whitelist.Entries) != 1 || snap.Frozen {
		t.Fatalf("snapshot %+v", snap)
	}
	all, _ := h.g.Allowances(t0())
	if len(all) != 1 || all[0].ConsumedBy != "d1" {
		t.Fatalf("allowances %+v", all)
	}
	if countKind(events(t, h.db), EventAllowance) != 1 {
		t.Fatal("allowance_open not audited")
	}
}

func TestAuditFailureFailsTheChange(t *testing.T) {
	h := newHarness(t, 2, 2, func(c *Config) { c.NoTimelock = true })
	addr := testAddr(40, &chaincfg.RegressionNetParams)
	p := h.propose(h.content(ActionAdd, policy.KindBridgeHotWallet, addr))
	h.approve(0, p.ID)
	before := len(events(t, h.db))
	h.audit.setFail(true)
	t.Run("propose", func(t *testing.T) {
		if _, err := h.g.Propose(t0(), h.signProposal(h.project, testDomain, h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(41, &chaincfg.RegressionNetParams)))); err == nil {
			t.Fatal("propose succeeded without audit")
		}
		if ps, _ := h.g.Proposals(t0(), ""); len(ps) != 1 {
			t.Fatal("proposal stored without audit")
		}
	})
	t.Run("approve to quorum", func(t *testing.T) {
		if _, err := h.g.Approve(t0(), p.ID, h.approval(h.admins[1], testDomain, p.ID, h.clock.Now().Add(time.Hour).Unix())); err == nil {
			t.Fatal("approve succeeded without audit")
		}
		if act, _ := h.active(h.clock.Now()); len(act) != 0 {
			t.Fatal("entry activated without audit")
		}
		if got, _ := h.g.Proposal(t0(), p.ID); got.Status != StatusPending || len(got.Approvals) != 1 {
			t.Fatal("approval stored without audit")
		}
	})
	t.Run("freeze", func(t *testing.T) {
		if _, err := h.g.Freeze(t0(), h.freezeReq(h.admins[0], 0, "x")); err == nil {
			t.Fatal("freeze without audit")
		}
	})
	t.Run("bootstrap", func(t *testing.T) {
		h2 := newHarness(t, 1, 1, nil)
		h2.audit.setFail(true)
		if err := h2.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: addr}}); err == nil {
			t.Fatal("bootstrap without audit")
		}
		if act, _ := h2.active(h2.clock.Now()); len(act) != 0 {
			t.Fatal("bootstrap wrote without audit")
		}
	})
	h.audit.setFail(false)
	if len(events(t, h.db)) != before {
		t.Fatal("events appended by failed changes")
	}
}

func TestBootstrapOnlyOnEmpty(t *testing.T) {
	h := newHarness(t, 1, 1, nil)
	addr := testAddr(50, &chaincfg.RegressionNetParams)
	if err := h.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: "nonsense"}}); code(err) != "invalid_request" {
		t.Fatalf("invalid bootstrap: %v", err)
	}
	if err := h.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: addr}, {Kind: policy.KindBridgeHotWallet, Address: addr}}); code(err) != "invalid_request" {
		t.Fatalf("duplicate bootstrap: %v", err)
	}
	if err := h.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: addr}}); err != nil {
		t.Fatal(err)
	}
	if act, v := h.active(h.clock.Now()); len(act) != 1 || v != 1 {
		t.Fatalf("bootstrap not active at once: %v v%d", act, v)
	}
	if err := h.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: testAddr(51, &chaincfg.RegressionNetParams)}}); code(err) != "whitelist_not_empty" {
		t.Fatalf("second bootstrap: %v", err)
	}
}

func TestConcurrentApprovalsReachQuorumOnce(t *testing.T) {
	const n, k = 100, 51
	h := newHarness(t, n, k, func(c *Config) { c.NoTimelock = true })
	p := h.propose(h.content(ActionAdd, policy.KindBridgeHotWallet, testAddr(60, &chaincfg.RegressionNetParams)))
	exp := h.clock.Now().Add(time.Hour).Unix()
	approvals := make([]Approval, n)
	for i := range approvals {
		approvals[i] = h.approval(h.admins[i], testDomain, p.ID, exp)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, notPending, other := 0, 0, 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := h.g.Approve(context.Background(), p.ID, approvals[i])
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrNotPending):
				notPending++
			default:
				other++
			}
		}(i)
	}
	wg.Wait()
	if ok != k || notPending != n-k || other != 0 {
		t.Fatalf("ok=%d notPending=%d other=%d", ok, notPending, other)
	}
	evs := events(t, h.db)
	if countKind(evs, EventActivation) != 1 || countKind(evs, EventApproval) != k {
		t.Fatalf("activation %d approvals %d", countKind(evs, EventActivation), countKind(evs, EventApproval))
	}
	if _, v := h.active(h.clock.Now()); v != 1 {
		t.Fatalf("version %d", v)
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	h := newHarness(t, 2, 2, nil)
	bridge := testAddr(70, &chaincfg.RegressionNetParams)
	h.g.Bootstrap(t0(), []EntryInput{{Kind: policy.KindBridgeHotWallet, Address: bridge}})
	add := h.propose(h.content(ActionAdd, policy.KindStakingDestination, testAddr(71, &chaincfg.RegressionNetParams)))
	h.approve(0, add.ID)
	h.approve(1, add.ID)
	pend := h.propose(h.content(ActionAdd, policy.KindStakingDestination, testAddr(72, &chaincfg.RegressionNetParams)))
	h.approve(0, pend.ID)
	if _, err := h.g.Freeze(t0(), h.freezeReq(h.admins[0], 0, "r")); err != nil {
		t.Fatal(err)
	}
	before, _ := h.g.List(t0())
	h.reopen()
	after, _ := h.g.List(t0())
	if len(after.Entries) != 2 || after.Version != before.Version {
		t.Fatalf("entries after restart %+v", after)
	}
	if got, _ := h.g.Proposal(t0(), pend.ID); got.Status != StatusPending || len(got.Approvals) != 1 {
		t.Fatal("pending approval lost")
	}
	if fs, _ := h.g.FreezeState(t0()); !fs.Frozen {
		t.Fatal("freeze lost")
	}
	// the pending proposal completes after the restart and the timelock runs on the injected clock
	h.approve(1, pend.ID)
	h.clock.Advance(DefaultTimelock)
	if act, _ := h.active(h.clock.Now()); len(act) != 3 {
		t.Fatalf("active after restart %v", act)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	h := newHarness(t, 2, 1, nil)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"quorum above m", func(c *Config) { c.Quorum = 3 }},
		{"quorum zero", func(c *Config) { c.Quorum = 0 }},
		{"no chain id", func(c *Config) { c.Domain.ChainID = 0 }},
		{"no wallet id", func(c *Config) { c.Domain.WalletID = "" }},
		{"no audit", func(c *Config) { c.Audit = nil }},
		{"negative timelock", func(c *Config) { c.Timelock = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := h.cfg
			tc.mod(&c)
			if _, err := New(c); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
