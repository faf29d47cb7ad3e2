package cosign_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
	"github.com/bitlayer-org/policyd/musig"
	"github.com/bitlayer-org/policyd/storage"
)

// devKey is a deterministic test key: never a real one.
func devKey(seed string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte("policyd-cosign-test/" + seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// stakes stands in for the decision service's signed staking outputs.
type stakes struct {
	mu sync.Mutex
	m  map[string]*cosign.Stake
}

func (s *stakes) Stake(ctx context.Context, id string, idx int) (*cosign.Stake, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[fmt.Sprintf("%s/%d", id, idx)]
	if !ok {
		return nil, fmt.Errorf("%w: %s/%d", cosign.ErrUnknownStake, id, idx)
	}
	c := *st
	return &c, nil
}

func (s *stakes) add(st *cosign.Stake) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[fmt.Sprintf("%s/%d", st.DecisionID, st.OutPoint.Index)] = st
}

// env is policyd's MuSig2 service behind the real API handler (route
// table, custody role over mutual TLS, error envelope), a real bbolt file
// and audit log, and the custody node's client and key.
type env struct {
	t       *testing.T
	db      *storage.DB
	log     *audit.Log
	svc     *cosign.Service
	cfg     cosign.Config
	c       *client.Client
	custody *btcec.PrivateKey
	signer  *musig.Signer // the custody node's, after keygen
	stakes  *stakes
	params  babylon.GlobalParams
	cov     []*btcec.PrivateKey
	fp      *btcec.PrivateKey
	wallet  []byte
	popAddr []byte
}

func newEnv(t *testing.T, mut ...func(*cosign.Config)) *env {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	skey, _, err := audit.GenerateKey("policyd-test")
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, log: l, custody: devKey("custody"), stakes: &stakes{m: map[string]*cosign.Stake{}}, fp: devKey("fp"),
		popAddr: bytes.Repeat([]byte{0xbb}, 20)}
	var covPubs []*btcec.PublicKey
	for _, s := range []string{"cov-a", "cov-b", "cov-c"} {
		k := devKey(s)
		e.cov = append(e.cov, k)
		covPubs = append(covPubs, k.PubKey())
	}
	e.wallet, _ = txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(bytes.Repeat([]byte{0x11}, 20)).Script()
	slash, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(bytes.Repeat([]byte{0x22}, 20)).Script()
	e.params = babylon.GlobalParams{
		Version: 1, CovenantKeys: covPubs, CovenantQuorum: 2, MaxFinalityProviders: 1,
		MinStakingValue: 10_000, MaxStakingValue: 10_000_000_000, MinStakingTime: 10, MaxStakingTime: 65535,
		UnbondingTime: 5, UnbondingFee: 1_000, SlashingRatePct: 10, SlashingPkScript: slash, MinSlashingFee: 1_000,
	}
	e.cfg = cosign.Config{DB: db, Audit: l, KeyFile: filepath.Join(t.TempDir(), "musig.key.age"), Sealer: mpctest.Protector(t),
		AllowKeygen: true, Stakes: e.stakes, WalletPkScript: e.wallet, MaxWithdrawalFee: 5_000, PoPAddress: e.popAddr}
	for _, m := range mut {
		m(&e.cfg)
	}
	e.start()
	return e
}

// start (re)starts policyd's service and API on the same database.
func (e *env) start() {
	t := e.t
	svc, err := cosign.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	pki := mpctest.NewPKI(t, "custody")
	h, err := api.New(api.Config{Governance: &governance.Governance{}, MuSig: svc, CustodyFingerprints: []string{mpctest.CustodyFingerprint(pki)}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.TLS, ts.EnableHTTP2 = pki.Server, true
	ts.StartTLS()
	httpc := mpc.NewHTTPClient(pki.Client)
	t.Cleanup(func() { httpc.CloseIdleConnections(); ts.Close() })
	if e.c, err = client.New(ts.URL, client.WithHTTPClient(httpc)); err != nil {
		t.Fatal(err)
	}
}

// keygen runs the ceremony and keeps the custody node's signer.
func (e *env) keygen() *cosign.KeyView {
	e.t.Helper()
	v, err := e.c.MuSigKeygen(context.Background(), e.custody.PubKey().SerializeCompressed())
	if err != nil {
		e.t.Fatal(err)
	}
	pk, _ := hex.DecodeString(v.PolicydKey)
	peer, err := btcec.ParsePubKey(pk)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.signer, err = musig.NewSigner(e.custody, peer); err != nil {
		e.t.Fatal(err)
	}
	if hex.EncodeToString(schnorr.SerializePubKey(e.signer.AggregateKey())) != v.AggregateKey {
		e.t.Fatal("the custody node and policyd disagree on the aggregate key")
	}
	return v
}

// stake registers a signed staking output of value with the staker key
// staker (nil: the aggregate key).
func (e *env) stake(id string, value int64, staker *btcec.PublicKey) *cosign.Stake {
	if staker == nil {
		staker = e.signer.AggregateKey()
	}
	h := chainhash.HashH([]byte("staking-tx/" + id))
	st := &cosign.Stake{DecisionID: id, OutPoint: wire.OutPoint{Hash: h, Index: 1}, Value: value,
		Delegation: e.params.Delegation(staker, []*btcec.PublicKey{e.fp.PubKey()}, 100), Params: e.params}
	e.stakes.add(st)
	return st
}

func ref(st *cosign.Stake) *cosign.StakeRef {
	return &cosign.StakeRef{DecisionID: st.DecisionID, OutputIndex: int(st.OutPoint.Index)}
}

func txHex(t testing.TB, tx *wire.MsgTx) string {
	t.Helper()
	var b bytes.Buffer
	if err := tx.SerializeNoWitness(&b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b.Bytes())
}

// request posts a co-signing request and checks it was allowed.
func (e *env) request(kind string, tx *wire.MsgTx, st *cosign.Stake) *cosign.View {
	e.t.Helper()
	v, err := e.c.MuSigRequest(context.Background(), cosign.Request{Kind: kind, Tx: txHex(e.t, tx), Stake: ref(st)})
	if err != nil {
		e.t.Fatalf("%s: %v (%+v)", kind, err, v)
	}
	return v
}

// denied posts a request that must be denied with reason.
func (e *env) denied(req cosign.Request, reason string) *cosign.View {
	e.t.Helper()
	v, err := e.c.MuSigRequest(context.Background(), req)
	var ce *client.Error
	if !errors.Is(err, client.ErrDenied) || !errors.As(err, &ce) || ce.Status != 403 || v == nil {
		e.t.Fatalf("want a 403 denial %s, got %+v, %v", reason, v, err)
	}
	if v.Outcome != "deny" || v.State != "denied" || len(v.Reasons) != 1 || v.Reasons[0] != reason || len(v.Inputs) != 0 {
		e.t.Fatalf("want denial %s, got %+v", reason, v)
	}
	return v
}

// auditKinds exports and verifies the whole audit log and counts its
// records by kind, returning the musig_signature bodies.
func (e *env) auditKinds() (map[string]uint64, []*records.MuSigSignature) {
	e.t.Helper()
	var buf bytes.Buffer
	if err := e.log.ExportRange(context.Background(), &buf, audit.ExportRequest{}); err != nil {
		e.t.Fatal(err)
	}
	var sigs []*records.MuSigSignature
	v, err := audit.VerifyWith(&buf, e.log.VerifierKey(), nil, audit.VerifyOptions{OnRecord: func(_ *audit.Record, b records.Body) error {
		if s, ok := b.(*records.MuSigSignature); ok {
			sigs = append(sigs, s)
		}
		return nil
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	return v.Kinds, sigs
}

// execute runs btcd's script engine on every input of tx.
func execute(tx *wire.MsgTx, prevOuts []*wire.TxOut) error {
	m := make(map[wire.OutPoint]*wire.TxOut)
	for i, in := range tx.TxIn {
		m[in.PreviousOutPoint] = prevOuts[i]
	}
	fetcher := txscript.NewMultiPrevOutFetcher(m)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i := range tx.TxIn {
		vm, err := txscript.NewEngine(prevOuts[i].PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, prevOuts[i].Value, fetcher)
		if err != nil {
			return err
		}
		if err := vm.Execute(); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
	}
	return nil
}

// covenantSigs signs msg with the first quorum covenant keys.
func (e *env) covenantSigs(msg [32]byte) []babylon.CovenantSig {
	var out []babylon.CovenantSig
	for _, k := range e.cov[:e.params.CovenantQuorum] {
		s, err := schnorr.Sign(k, msg[:])
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, babylon.CovenantSig{Key: k.PubKey(), Sig: s})
	}
	return out
}
