package main

import (
	"context"
	"encoding/binary"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	dto "github.com/prometheus/client_model/go"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// ---- decisionStakes ----

// recordBook holds decision records by id, as the decision service's
// Record returns them (not found: errs.KindNotFound).
type recordBook map[string]*decision.Record

func (b recordBook) Record(_ context.Context, id string) (*decision.Record, error) {
	r, ok := b[id]
	if !ok {
		return nil, errs.New(errs.KindNotFound, "decision_not_found", "no such decision", nil)
	}
	return r, nil
}

// stakeSchedule is two versions: the dev parameters, then from height 101
// version 1 with another unbonding fee and time.
func stakeSchedule(t *testing.T) *babylon.Schedule {
	t.Helper()
	g0, g1 := babylon.DevParams(), babylon.DevParams()
	g1.Version, g1.ActivationHeight, g1.UnbondingFee, g1.UnbondingTime = 1, 101, 2_000, 7
	s, err := babylon.NewSchedule([]babylon.GlobalParams{g0, g1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signedStake is a signed decision (L1 height 100) whose output 1 is a
// verified staking output of staker under version 1, declared; output 0 is
// change.
func signedStake(t *testing.T, s *babylon.Schedule, staker, fp *btcec.PublicKey) *decision.Record {
	t.Helper()
	g, err := s.AtHeight(101)
	if err != nil {
		t.Fatal(err)
	}
	const value = 200_000
	out, _, err := babylon.StakingOutput(g, staker, []*btcec.PublicKey{fp}, 10, value)
	if err != nil {
		t.Fatal(err)
	}
	txid := chainhash.HashH([]byte("decision-stakes/staking-tx"))
	return &decision.Record{
		ID: "d-stake", State: decision.StateSigned, TxID: txid.String(), Outcome: policy.Allow,
		Decision: policy.Decision{Outcome: policy.Allow, StakingOutputs: []int{1}, StakingSat: value},
		Facts: policy.Facts{Outputs: []policy.Output{
			{Index: 0, Value: 50_000, PkScript: psbtgen.P2WPKHOutput("change", 1).PkScript, Class: policy.ClassChange},
			{Index: 1, Value: value, PkScript: out.PkScript, Class: policy.ClassExternal,
				Staking: &policy.StakingDecl{StakerKey: babylon.XOnly(staker), FinalityProviders: []policy.HexBytes{fp.SerializeCompressed()}, StakingTime: 10}},
		}},
		Snapshot: policy.Snapshot{L1: &policy.L1Status{Height: 100}},
	}
}

// clone deep-copies a record through its JSON form.
func cloneRecord(t *testing.T, r *decision.Record) *decision.Record {
	t.Helper()
	c := *r
	c.Decision.StakingOutputs = append([]int(nil), r.Decision.StakingOutputs...)
	c.Facts.Outputs = append([]policy.Output(nil), r.Facts.Outputs...)
	for i, o := range c.Facts.Outputs {
		if o.Staking != nil {
			d := *o.Staking
			c.Facts.Outputs[i].Staking = &d
		}
	}
	if r.Snapshot.L1 != nil {
		l := *r.Snapshot.L1
		c.Snapshot.L1 = &l
	}
	return &c
}

// TestDecisionStakes: a stake resolves only from a signed decision that
// lists the output among its verified staking outputs, declared, with an
// L1 height; the parameters version is the one in force at that height + 1
// (the version the staking policy checked), and the rebuilt delegation is
// the output's. Every other case is cosign.ErrUnknownStake, with the real
// decision service too (no such decision).
func TestDecisionStakes(t *testing.T) {
	ctx := context.Background()
	sched := stakeSchedule(t)
	staker := psbtgen.NewWallet("decision-stakes/staker").PrivKey().PubKey()
	fp := psbtgen.NewWallet("decision-stakes/fp").PrivKey().PubKey()
	good := signedStake(t, sched, staker, fp)
	resolve := func(r *decision.Record, idx int) (*cosign.Stake, error) {
		book := recordBook{}
		if r != nil {
			book[r.ID] = r
		}
		ds := &decisionStakes{dec: func() (stakeRecords, error) { return book, nil }, schedule: sched}
		return ds.Stake(ctx, good.ID, idx)
	}
	st, err := resolve(good, 1)
	if err != nil {
		t.Fatal(err)
	}
	if st.DecisionID != good.ID || st.OutPoint.String() != good.TxID+":1" || st.Value != 200_000 {
		t.Fatalf("stake %+v", st)
	}
	if st.Params.Version != 1 || st.Params.UnbondingFee != 2_000 {
		t.Fatalf("version %d (unbonding fee %d): want version 1, in force at L1 height 100 + 1", st.Params.Version, st.Params.UnbondingFee)
	}
	pk, err := babylon.StakingPkScript(st.Delegation)
	if err != nil || string(pk) != string(good.Facts.Outputs[1].PkScript) || st.Delegation.StakingTime != 10 ||
		!st.Delegation.StakerKey.IsEqual(staker) || len(st.Delegation.FinalityProviders) != 1 {
		t.Fatalf("the delegation does not rebuild the staking output: %+v %v", st.Delegation, err)
	}

	late := func(r *decision.Record) { r.Snapshot.L1.Height = 99 } // height + 1 = 100: version 0
	if st, err := resolve(func() *decision.Record { r := cloneRecord(t, good); late(r); return r }(), 1); err != nil || st.Params.Version != 0 {
		t.Fatalf("L1 height 99: %+v %v, want version 0", st, err)
	}

	refusals := []struct {
		name string
		mut  func(*decision.Record) *decision.Record
		idx  int
	}{
		{"no such decision", func(*decision.Record) *decision.Record { return nil }, 1},
		{"reserved, not signed", func(r *decision.Record) *decision.Record { r.State = decision.StateReserved; return r }, 1},
		{"signing, not signed", func(r *decision.Record) *decision.Record { r.State = decision.StateSigning; return r }, 1},
		{"cancelled", func(r *decision.Record) *decision.Record { r.State = decision.StateCancelled; return r }, 1},
		{"revoked", func(r *decision.Record) *decision.Record { r.State = decision.StateRevoked; return r }, 1},
		{"declared but not a verified staking output", func(r *decision.Record) *decision.Record { r.Decision.StakingOutputs = nil; return r }, 1},
		{"another output", func(r *decision.Record) *decision.Record { return r }, 0},
		{"an output index past the outputs", func(r *decision.Record) *decision.Record { r.Decision.StakingOutputs = []int{1, 2}; return r }, 2},
		{"verified but not declared", func(r *decision.Record) *decision.Record { r.Facts.Outputs[1].Staking = nil; return r }, 1},
		{"no L1 height recorded", func(r *decision.Record) *decision.Record { r.Snapshot.L1 = nil; return r }, 1},
		{"a staker key that does not parse", func(r *decision.Record) *decision.Record {
			r.Facts.Outputs[1].Staking.StakerKey = make([]byte, 32)
			return r
		}, 1},
		{"a finality provider that does not parse", func(r *decision.Record) *decision.Record {
			r.Facts.Outputs[1].Staking.FinalityProviders = []policy.HexBytes{{0x02}}
			return r
		}, 1},
	}
	for _, c := range refusals {
		st, err := resolve(c.mut(cloneRecord(t, good)), c.idx)
		if !errors.Is(err, cosign.ErrUnknownStake) {
			t.Errorf("%s: %+v %v, want ErrUnknownStake", c.name, st, err)
		}
	}
	// No version in force at height + 1.
	early, err := babylon.NewSchedule([]babylon.GlobalParams{func() babylon.GlobalParams { g := babylon.DevParams(); g.ActivationHeight = 500; return g }()})
	if err != nil {
		t.Fatal(err)
	}
	book := recordBook{good.ID: good}
	ds := &decisionStakes{dec: func() (stakeRecords, error) { return book, nil }, schedule: early}
	if st, err := ds.Stake(ctx, good.ID, 1); !errors.Is(err, cosign.ErrUnknownStake) {
		t.Errorf("no version at height + 1: %+v %v", st, err)
	}

	// The real decision service: an unknown decision is an unknown stake.
	s := startServer(t, withShare(t))
	real := &decisionStakes{dec: func() (stakeRecords, error) { return s.signer.get() }, schedule: sched}
	if st, err := real.Stake(ctx, "no-such-decision", 0); !errors.Is(err, cosign.ErrUnknownStake) {
		t.Fatalf("decision service, no such decision: %+v %v", st, err)
	}
}

// ---- musigGate ----

// trustChain is an L2 JSON-RPC endpoint's answers for the indexer: three
// blocks, the watched contract upgraded (Upgraded(address)) in block 1.
type trustChain struct {
	headers []*types.Header
	logs    []types.Log
}

func newTrustChain(contract common.Address) *trustChain {
	c := &trustChain{}
	var parent common.Hash
	for n := int64(0); n < 4; n++ {
		h := &types.Header{Number: big.NewInt(n), ParentHash: parent, Difficulty: big.NewInt(0), Time: uint64(time.Now().Unix())}
		c.headers = append(c.headers, h)
		parent = h.Hash()
	}
	b := c.headers[1]
	c.logs = []types.Log{{Address: contract, BlockNumber: 1, BlockHash: b.Hash(), TxHash: common.HexToHash("0x0badc0de"),
		Topics: []common.Hash{crypto.Keccak256Hash([]byte("Upgraded(address)")), common.BytesToHash(common.HexToAddress("0xbad").Bytes())}}}
	return c
}

func (c *trustChain) HeaderByNumber(_ context.Context, n *big.Int) (*types.Header, error) {
	if n == nil {
		return c.headers[len(c.headers)-1], nil
	}
	if !n.IsInt64() || n.Int64() < 0 || n.Int64() >= int64(len(c.headers)) {
		return nil, ethereum.NotFound
	}
	return c.headers[n.Int64()], nil
}

func (c *trustChain) FilterLogs(_ context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	var out []types.Log
	for _, l := range c.logs {
		if l.BlockNumber >= q.FromBlock.Uint64() && l.BlockNumber <= q.ToBlock.Uint64() {
			out = append(out, l)
		}
	}
	return out, nil
}

func errCode(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Code
	}
	return ""
}

// TestMuSigGate: the MuSig2 sessions' sign-time gate passes a healthy
// wallet and refuses while the L2 contract's trust event (stored by the
// real indexer, not yet turned into a freeze) is unreviewed, while the
// freeze state cannot be read, and while governance is frozen; it passes
// again once each is cleared (all on the server's own bbolt file).
func TestMuSigGate(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, withShare(t))
	if err := s.musigGate(ctx); err != nil {
		t.Fatalf("healthy: %v", err)
	}

	// A trust event held by the ledger (the indexer's hook that would turn
	// it into a freeze is not installed): frozen.
	ix, err := l2.NewWithClients(l2.Config{Contract: common.HexToAddress(s.cfg.L2.Contract), StartBlock: s.cfg.L2.StartBlock, Confirmations: 1,
		Logger: discardLogger()}, s.db, newTrustChain(common.HexToAddress(s.cfg.L2.Contract)))
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var hold []l2.TrustEvent
	if err := s.db.View(func(tx *bolt.Tx) error { hold, err = s.indexer.Ledger().TrustHold(tx); return err }); err != nil || len(hold) != 1 {
		t.Fatalf("trust hold %v %v", hold, err)
	}
	if err := s.musigGate(ctx); errCode(err) != string(policy.CodeFrozen) {
		t.Fatalf("trust event held: %v, want frozen", err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return s.indexer.Ledger().ReviewTrust(tx, hold[0].Seq, "test-admin", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.musigGate(ctx); err != nil {
		t.Fatalf("trust event reviewed: %v", err)
	}

	// An unreadable state (a corrupt trust event record): refused, fail
	// closed.
	bad := binary.BigEndian.AppendUint64([]byte("trust:"), 99)
	put := func(v []byte) {
		t.Helper()
		if err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(storage.BucketL2Cursor)
			if v == nil {
				return b.Delete(bad)
			}
			return b.Put(bad, v)
		}); err != nil {
			t.Fatal(err)
		}
	}
	put([]byte("{not json"))
	if err := s.musigGate(ctx); err == nil {
		t.Fatal("unreadable freeze state: the gate passed")
	}
	put(nil)
	if err := s.musigGate(ctx); err != nil {
		t.Fatalf("state readable again: %v", err)
	}

	// A governance freeze.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := s.gov.SystemFreeze(tx, time.Now(), "test", "a freeze", records.FreezeEvidence{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.musigGate(ctx); errCode(err) != string(policy.CodeFrozen) {
		t.Fatalf("governance freeze: %v, want frozen", err)
	}
}

// TestMuSigGateUnexplainedSpend: on a real btcd, a wallet spend policyd did
// not sign (the fixture shares combined into the wallet key, as an
// attacker holding both would) that the L1 view has just polled, before
// any background reconciliation ran, is refused by the gate at once: the
// gate reconciles first, which freezes signing (source l1) and audits the
// spend; before the spend the gate passes.
func TestMuSigGateUnexplainedSpend(t *testing.T) {
	if testing.Short() {
		t.Skip("runs btcd")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a, b := mpctest.Shares(t)
	walletKey := combinedKey(t, a, b)
	addr, err := a.Address(regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	walletScript, err := walletScript(addr, regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	miner, err := regtest.NewKey("musig-gate/miner")
	if err != nil {
		t.Fatal(err)
	}
	node := regtest.StartT(t, regtest.Config{MiningAddr: miner.Addr, InitialBlocks: regtest.ReadyHeight})
	h, err := node.Height()
	if err != nil {
		t.Fatal(err)
	}
	fund, err := miner.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(1_000_000, walletScript)}, 5_000)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Confirm(ctx, fund.TxHash(), 1); err != nil {
		t.Fatal(err)
	}

	cfg := withShare(t)
	pass := writeJSON(t, filepath.Join(t.TempDir(), "btcd.pass"), node.Pass())
	cfg.L1 = &L1Config{Endpoints: []L1Endpoint{{URL: "https://" + node.RPCAddr(), User: node.User(), PasswordFile: pass, CACertFile: node.CertPath()}},
		StartHeight: uint64(h) + 1, Confirmations: 1, PollInterval: Duration(time.Hour)}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, cfg)
	// The follow loop's first step (poll, reconcile, claims) is done once
	// the claims gauge is published; its next poll is an hour away.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		fams, _ := s.registry.Gather()
		if slices.ContainsFunc(fams, func(f *dto.MetricFamily) bool { return f.GetName() == "policyd_claims" && len(f.GetMetric()) > 0 }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the L1 follow loop did not run its first step")
		}
	}
	if err := s.musigGate(ctx); err != nil {
		t.Fatalf("before the spend: %v", err)
	}

	spend := wire.NewMsgTx(2)
	spend.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: fund.TxHash(), Index: 0}, nil, nil))
	spend.AddTxOut(wire.NewTxOut(1_000_000-5_000, miner.PkScript))
	fetch := txscript.NewCannedPrevOutputFetcher(walletScript, 1_000_000)
	if spend.TxIn[0].Witness, err = txscript.WitnessSignature(spend, txscript.NewTxSigHashes(spend, fetch), 0, 1_000_000, walletScript,
		txscript.SigHashAll, walletKey, true); err != nil {
		t.Fatal(err)
	}
	txid, err := node.Broadcast(spend)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Confirm(ctx, *txid, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.l1.SyncOnce(ctx); err != nil { // the view sees the spend; no reconciliation ran
		t.Fatal(err)
	}
	if fs, err := s.gov.FreezeState(ctx); err != nil || fs.Frozen {
		t.Fatalf("frozen before the gate reconciled: %+v %v", fs, err)
	}
	if err := s.musigGate(ctx); errCode(err) != string(policy.CodeFrozen) {
		t.Fatalf("after an unexplained spend: %v, want frozen", err)
	}
	if fs, err := s.gov.FreezeState(ctx); err != nil || !fs.Frozen || fs.By != "policyd:l1" {
		t.Fatalf("freeze state %+v %v, want frozen by policyd:l1", fs, err)
	}
}

// combinedKey is the wallet's private key from both fixture shares
// (Lagrange interpolation at 0): what an attacker holding both would
// sign with, outside policyd.
func combinedKey(t *testing.T, a, b *mpc.Share) *btcec.PrivateKey {
	t.Helper()
	n := btcec.S256().N
	ka, kb := a.Data.ShareID, b.Data.ShareID
	lagrange := func(self, other *big.Int) *big.Int {
		d := new(big.Int).Sub(other, self)
		d.Mod(d, n)
		l := new(big.Int).ModInverse(d, n)
		return l.Mul(l, other).Mod(l, n)
	}
	x := new(big.Int).Mul(a.Data.Xi, lagrange(ka, kb))
	x.Add(x, new(big.Int).Mul(b.Data.Xi, lagrange(kb, ka)))
	x.Mod(x, n)
	priv, pub := btcec.PrivKeyFromBytes(x.FillBytes(make([]byte, 32)))
	if !pub.IsEqual(a.PubKey()) {
		t.Fatal("the fixture shares do not combine to the wallet key")
	}
	return priv
}
