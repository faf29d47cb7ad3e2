package decision

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/policy"
)

// recordSighashes are the sighashes stored in decision id's record (what an
// honest custody node computes for the same PSBT).
func recordSighashes(t testing.TB, e *env, id string) [][32]byte {
	t.Helper()
	r, err := e.svc.Record(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out [][32]byte
	for _, in := range r.Facts.Inputs {
		var h [32]byte
		copy(h[:], in.Sighash)
		out = append(out, h)
	}
	return out
}

// begin is BeginSigning with the decision's own sighashes.
func (e *env) begin(t testing.TB, id string) ([][32]byte, error) {
	t.Helper()
	return e.svc.BeginSigning(context.Background(), id, recordSighashes(t, e, id))
}

// sign makes the wallet's signatures over hashes (the MPC stand-in: the
// test wallet holds the whole key).
func (e *env) sign(hashes [][32]byte) [][]byte {
	var sigs [][]byte
	for _, h := range hashes {
		sigs = append(sigs, append(ecdsa.Sign(e.wallet.PrivKey(), h[:]).Serialize(), 0x01))
	}
	return sigs
}

// submitAllow submits raw and fails unless it is allowed.
func (e *env) submitAllow(t testing.TB, raw []byte) string {
	t.Helper()
	v, err := e.svc.Submit(context.Background(), raw, false)
	if err != nil || v.Outcome != "allow" {
		t.Fatalf("submit: %+v %v", v, err)
	}
	return v.ID
}

func (e *env) record(t testing.TB, id string) *Record {
	t.Helper()
	r, err := e.svc.Record(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func errCode(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Code
	}
	if err != nil {
		return "unclassified: " + err.Error()
	}
	return ""
}

// verifyAudit exports the whole log and verifies it offline; it returns
// the record count per kind.
func verifyAudit(t testing.TB, e *env) map[string]uint64 {
	t.Helper()
	v, err := audit.Verify(exportAudit(t, e), e.log.VerifierKey(), nil)
	if err != nil {
		t.Fatalf("audit log does not verify: %v", err)
	}
	return v.Kinds
}

// advanceL2 extends the scripted L2 chain with blocks up to now and syncs
// the real indexer at now, so the L2 view is fresh at now.
func (e *env) advanceL2(t testing.TB, now time.Time) {
	t.Helper()
	c := e.chain
	c.mu.Lock()
	last := c.headers[len(c.headers)-1]
	for i := 2 * testConfirmations; i >= 0; i-- {
		h := &types.Header{ParentHash: last.Hash(), Number: new(big.Int).Add(last.Number, big.NewInt(1)), Difficulty: big.NewInt(0),
			Time: uint64(now.Add(-time.Duration(i) * testBlockTime).Unix())}
		c.headers = append(c.headers, h)
		last = h
	}
	c.mu.Unlock()
	if err := newIndexer(t, e.db, now, c).SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// reorgL2 replaces the chain from block `from` on with another branch of
// the same length that carries none of the events at or above from, and
// syncs the real indexer at now (which rolls its ledger back).
func (e *env) reorgL2(t testing.TB, now time.Time, from uint64) {
	t.Helper()
	old := e.chain
	old.mu.Lock()
	fork := &fakeChain{headers: append([]*types.Header(nil), old.headers[:from]...)}
	for _, lg := range old.logs {
		if lg.BlockNumber < from {
			fork.logs = append(fork.logs, lg)
		}
	}
	n := len(old.headers)
	old.mu.Unlock()
	for len(fork.headers) < n+1 {
		last := fork.headers[len(fork.headers)-1]
		k := uint64(len(fork.headers))
		fork.headers = append(fork.headers, &types.Header{ParentHash: last.Hash(), Number: new(big.Int).SetUint64(k), Difficulty: big.NewInt(0),
			Time: uint64(now.Add(-time.Duration(uint64(n)-k) * testBlockTime).Unix()), Extra: []byte("reorg")})
	}
	e.chain = fork
	if err := newIndexer(t, e.db, now, fork).SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// removeFromWhitelist removes a destination through the admin quorum.
func (e *env) removeFromWhitelist(t testing.TB, kind string, pkScript []byte) {
	t.Helper()
	addr := entryInput(t, policy.WhitelistEntry{Kind: kind, PkScript: pkScript}).Address
	p := e.gov.propose(t, governance.ProposalContent{Action: governance.ActionRemove, EntryKind: kind, Address: addr}, 2)
	if p.Status != governance.StatusExecuted {
		t.Fatalf("removal proposal %s", p.Status)
	}
}

// addToWhitelist adds a destination through the admin quorum (timelocked).
func (e *env) addToWhitelist(t testing.TB, kind string, pkScript []byte) *governance.Proposal {
	t.Helper()
	addr := entryInput(t, policy.WhitelistEntry{Kind: kind, PkScript: pkScript}).Address
	p := e.gov.propose(t, governance.ProposalContent{Action: governance.ActionAdd, EntryKind: kind, Address: addr, Label: "new"}, 2)
	if p.Status != governance.StatusExecuted {
		t.Fatalf("addition proposal %s", p.Status)
	}
	return p
}
