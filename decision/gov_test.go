package decision

// The REAL governance for the decision tests: bootstrap, then every other
// change (freeze, allowances, additions) through signed EIP-712 typed data
// and governance's own verification.

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type govHarness struct {
	g      *governance.Governance
	dom    governance.Domain
	admins []*ecdsa.PrivateKey
	clock  *testClock
	nonce  int
}

// newGov: 3 Bitlayer admins, quorum 2, a 24 h timelock, its clock at start.
func newGov(t testing.TB, db *storage.DB, audit governance.Appender, start time.Time) *govHarness {
	t.Helper()
	h := &govHarness{
		dom:   governance.Domain{Name: "policyd", Version: "1", ChainID: governance.ChainIDTestnet, WalletID: "dedicated-wallet-test"},
		clock: &testClock{t: start},
	}
	var addrs []common.Address
	for i := 0; i < 3; i++ {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		h.admins = append(h.admins, k)
		addrs = append(addrs, crypto.PubkeyToAddress(k.PublicKey))
	}
	g, err := governance.New(governance.Config{
		DB: db, Audit: audit, Net: &chaincfg.MainNetParams, Domain: h.dom,
		BitlayerAdmins: addrs, Quorum: 2, Timelock: 24 * time.Hour, Now: h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.g = g
	return h
}

// entryInput turns a policy whitelist entry into what governance takes: the
// mainnet address of a destination script, the hex of a key.
func entryInput(t testing.TB, e policy.WhitelistEntry) governance.EntryInput {
	t.Helper()
	in := governance.EntryInput{Kind: e.Kind, Label: e.Label}
	if len(e.PkScript) > 0 {
		_, addrs, _, err := txscript.ExtractPkScriptAddrs(e.PkScript, &chaincfg.MainNetParams)
		if err != nil || len(addrs) != 1 {
			t.Fatalf("script %x has no address: %v", e.PkScript, err)
		}
		in.Address = addrs[0].EncodeAddress()
	} else {
		in.Address = hex.EncodeToString(e.PubKey)
	}
	return in
}

func (h *govHarness) bootstrap(t testing.TB, entries []policy.WhitelistEntry) {
	t.Helper()
	var ins []governance.EntryInput
	for _, e := range entries {
		ins = append(ins, entryInput(t, e))
	}
	if err := h.g.Bootstrap(context.Background(), ins); err != nil {
		t.Fatal(err)
	}
}

func (h *govHarness) nextNonce() string { h.nonce++; return fmt.Sprintf("n-%d", h.nonce) }

// propose signs c with admin 0 and has admins 1..approvals approve it.
func (h *govHarness) propose(t testing.TB, c governance.ProposalContent, approvals int) *governance.Proposal {
	t.Helper()
	ctx := context.Background()
	c.Nonce = h.nextNonce()
	c.Expiry = h.clock.Now().Add(24 * time.Hour).Unix()
	sig, err := governance.SignTypedData(governance.ProposalTypedData(h.dom, c), h.admins[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.g.Propose(ctx, governance.SignedProposal{Proposal: c, Signature: sig})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= approvals; i++ {
		exp := h.clock.Now().Add(time.Hour).Unix()
		sig, err := governance.SignTypedData(governance.ApprovalTypedData(h.dom, p.ID, exp), h.admins[i])
		if err != nil {
			t.Fatal(err)
		}
		if p, err = h.g.Approve(ctx, p.ID, governance.Approval{Expiry: exp, Signature: sig}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// openAllowance opens a plan-redemption allowance through the quorum and
// returns its id.
func (h *govHarness) openAllowance(t testing.TB, planID string, amount int64, pkScript []byte) string {
	t.Helper()
	addr := entryInput(t, policy.WhitelistEntry{Kind: policy.KindBridgeHotWallet, PkScript: pkScript}).Address
	p := h.propose(t, governance.ProposalContent{Action: governance.ActionAllowance, PlanID: planID, AmountSat: amount, Address: addr}, 2)
	if p.Status != governance.StatusExecuted {
		t.Fatalf("allowance proposal %s", p.Status)
	}
	return p.ID
}

// freeze freezes signing with one admin's signature.
func (h *govHarness) freeze(t testing.TB) {
	t.Helper()
	fs, err := h.g.FreezeState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n, exp := h.nextNonce(), h.clock.Now().Add(time.Hour).Unix()
	sig, err := governance.SignTypedData(governance.FreezeTypedData(h.dom, "incident", fs.Epoch, n, exp), h.admins[2])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.g.Freeze(context.Background(), governance.FreezeRequest{Reason: "incident", Epoch: fs.Epoch, Nonce: n, Expiry: exp, Signature: sig}); err != nil {
		t.Fatal(err)
	}
}
