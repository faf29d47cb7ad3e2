package custody_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/custody"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// buildPSBT spends k fake UTXOs of the wallet script to an external
// P2WPKH output and change.
func buildPSBT(t *testing.T, walletScript []byte, k int) *psbt.Packet {
	t.Helper()
	tx := wire.NewMsgTx(2)
	var prevs []*wire.MsgTx
	var total int64
	for i := 0; i < k; i++ {
		prev := wire.NewMsgTx(2)
		h := sha256.Sum256([]byte(fmt.Sprintf("funding/%d", i)))
		prev.AddTxIn(wire.NewTxIn(wire.NewOutPoint((*chainhash.Hash)(&h), 0), nil, nil))
		prev.AddTxOut(wire.NewTxOut(int64(100_000+i), walletScript))
		prevs = append(prevs, prev)
		total += int64(100_000 + i)
		txh := prev.TxHash()
		in := wire.NewTxIn(wire.NewOutPoint(&txh, 0), nil, nil)
		in.Sequence = 0xfffffffd
		tx.AddTxIn(in)
	}
	ext, _ := btcutil.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{7}, 20), &chaincfg.RegressionNetParams)
	extScript, _ := txscript.PayToAddrScript(ext)
	tx.AddTxOut(wire.NewTxOut(50_000, extScript))
	tx.AddTxOut(wire.NewTxOut(total-50_000-1_000*int64(k), walletScript))
	p, err := psbt.NewFromUnsignedTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Inputs {
		p.Inputs[i].NonWitnessUtxo = prevs[i]
		p.Inputs[i].WitnessUtxo = prevs[i].TxOut[0]
		p.Inputs[i].SighashType = txscript.SigHashAll
	}
	return p
}

// decider stands in for policyd's decision service behind the REAL api
// handler (route table, roles, envelope, 403 for a deny): it allows every
// PSBT whose first output is not 666 sat, computing the sighashes itself,
// and refuses a PSBT without inputs like psbtcheck does (422).
type decider struct {
	auth   *mpctest.Authorizer
	script []byte
	mu     sync.Mutex
	n      int
}

func (f *decider) SubmitRequest(ctx context.Context, req decision.Request) (*decision.View, error) {
	p, err := psbt.NewFromRawBytes(bytes.NewReader(req.PSBT), false)
	if err != nil {
		return nil, errs.New(errs.KindUnprocessable, "psbt_malformed", "the PSBT does not parse", err)
	}
	if len(p.UnsignedTx.TxIn) == 0 {
		return nil, errs.New(errs.KindUnprocessable, "psbt_no_inputs", "the transaction has no inputs", nil)
	}
	f.mu.Lock()
	f.n++
	id := fmt.Sprintf("dec-%d", f.n)
	f.mu.Unlock()
	if p.UnsignedTx.TxOut[0].Value == 666 {
		return &decision.View{ID: id, Outcome: "deny", Reasons: []string{"output_not_whitelisted"}}, nil
	}
	// Independent computation (policyd's job): from non_witness_utxo.
	prevOuts := map[wire.OutPoint]*wire.TxOut{}
	for i, in := range p.UnsignedTx.TxIn {
		prevOuts[in.PreviousOutPoint] = p.Inputs[i].NonWitnessUtxo.TxOut[in.PreviousOutPoint.Index]
	}
	cache := txscript.NewTxSigHashes(p.UnsignedTx, txscript.NewMultiPrevOutFetcher(prevOuts))
	var hashes [][32]byte
	for i, in := range p.UnsignedTx.TxIn {
		h, _ := txscript.CalcWitnessSigHash(f.script, cache, txscript.SigHashAll, p.UnsignedTx, i, prevOuts[in.PreviousOutPoint].Value)
		hashes = append(hashes, [32]byte(h))
	}
	f.auth.Allow(id, hashes)
	return &decision.View{ID: id, Outcome: "allow"}, nil
}

func (f *decider) Decision(ctx context.Context, id string) (*decision.View, error) {
	return nil, errs.New(errs.KindNotFound, "decision_not_found", "no such decision", nil)
}

func (f *decider) Cancel(ctx context.Context, id string) (*decision.View, error) {
	return nil, errs.New(errs.KindNotFound, "decision_not_found", "no such decision", nil)
}

func setup(t *testing.T, mut ...func(*mpc.ServerConfig)) (*custody.Node, *decider, func()) {
	pol, cus := mpctest.Shares(t)
	auth := mpctest.NewAuthorizer()
	cfg := mpc.ServerConfig{Share: pol, Authorizer: auth, Net: &chaincfg.RegressionNetParams, SessionTimeout: 3 * time.Minute}
	for _, m := range mut {
		m(&cfg)
	}
	srv, err := mpc.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(cus.PubKeyBytes()), &chaincfg.RegressionNetParams)
	script, _ := txscript.PayToAddrScript(a)
	dec := &decider{auth: auth, script: script}
	pki := mpctest.NewPKI(t, "custody")
	h, err := api.New(api.Config{Governance: &governance.Governance{}, Sign: dec, MPC: srv,
		CustodyFingerprints: []string{mpctest.CustodyFingerprint(pki)}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.TLS, ts.EnableHTTP2 = pki.Server, true
	ts.StartTLS()
	httpc := mpc.NewHTTPClient(pki.Client)
	node, err := custody.NewNode(ts.URL, httpc, cus)
	if err != nil {
		t.Fatal(err)
	}
	return node, dec, func() { srv.Close(); httpc.CloseIdleConnections(); ts.Close() }
}

func TestSignPSBT(t *testing.T) {
	for _, k := range []int{1, 16} {
		t.Run(fmt.Sprintf("inputs=%d", k), func(t *testing.T) {
			if k > 1 && testing.Short() {
				t.Skip("short")
			}
			base := runtime.NumGoroutine()
			node, api, done := setup(t)
			p := buildPSBT(t, api.script, k)
			prevOuts := map[wire.OutPoint]*wire.TxOut{}
			for i, in := range p.UnsignedTx.TxIn {
				prevOuts[in.PreviousOutPoint] = p.Inputs[i].NonWitnessUtxo.TxOut[0]
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			tx, d, err := node.SignPSBT(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if tx.TxHash() != p.UnsignedTx.TxHash() || len(api.auth.RecordedFor(d.ID)) != k {
				t.Fatal("signed a different transaction or policyd recorded nothing")
			}
			// Our own script-engine run, independent of custody.VerifyTx.
			fetcher := txscript.NewMultiPrevOutFetcher(prevOuts)
			cache := txscript.NewTxSigHashes(tx, fetcher)
			for i, in := range tx.TxIn {
				po := prevOuts[in.PreviousOutPoint]
				vm, err := txscript.NewEngine(po.PkScript, tx, i, txscript.StandardVerifyFlags, nil, cache, po.Value, fetcher)
				if err != nil {
					t.Fatal(err)
				}
				if err := vm.Execute(); err != nil {
					t.Fatalf("input %d: %v", i, err)
				}
			}
			// Tampering with one signature must fail the engine.
			bad := tx.Copy()
			sig := bytes.Clone(bad.TxIn[0].Witness[0])
			sig[10] ^= 1
			bad.TxIn[0].Witness[0] = sig
			if err := custody.VerifyTx(bad, prevOuts); err == nil {
				t.Fatal("tampered witness verified")
			}
			done()
			mpctest.CheckGoroutines(t, base)
		})
	}
}

func TestSignPSBTRefusals(t *testing.T) {
	base := runtime.NumGoroutine()
	node, api, done := setup(t)
	ctx := context.Background()
	t.Run("denied", func(t *testing.T) {
		p := buildPSBT(t, api.script, 1)
		p.UnsignedTx.TxOut[0].Value = 666
		if _, _, err := node.SignPSBT(ctx, p); !errors.Is(err, custody.ErrDenied) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("denied: the decision and its reasons reach the caller", func(t *testing.T) {
		p := buildPSBT(t, api.script, 1)
		p.UnsignedTx.TxOut[0].Value = 666
		_, d, err := node.SignPSBT(ctx, p)
		if !errors.Is(err, custody.ErrDenied) || d == nil || d.Outcome != "deny" || len(d.Reasons) != 1 ||
			!strings.Contains(err.Error(), "output_not_whitelisted") {
			t.Fatalf("got %+v %v", d, err)
		}
	})
	t.Run("refused PSBT: the failed check reaches the caller", func(t *testing.T) {
		p := buildPSBT(t, api.script, 1)
		p.UnsignedTx.TxIn, p.Inputs = nil, nil
		var ce *client.Error
		if _, _, err := node.SignPSBT(ctx, p); !errors.As(err, &ce) || ce.Status != 422 || ce.Code != "psbt_no_inputs" ||
			errors.Is(err, custody.ErrDenied) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("psbt changed after the decision", func(t *testing.T) {
		p := buildPSBT(t, api.script, 1)
		d, err := node.Submit(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		p.UnsignedTx.TxOut[1].Value -= 10
		if _, err := custody.SignDecision(ctx, node.MPC, node.Share, d.ID, p); !errors.Is(err, mpc.ErrSighashMismatch) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("foreign input", func(t *testing.T) {
		p := buildPSBT(t, bytes.Repeat([]byte{0x51}, 1), 1)
		if _, _, err := custody.Sighashes(p, api.script); err == nil {
			t.Fatal("input of another script accepted")
		}
	})
	done()
	mpctest.CheckGoroutines(t, base)
}

// TestReshareThenSignPSBT: the custody node reshares with policyd, then
// signs a PSBT spending the (unchanged) wallet address with the new shares;
// the transaction passes btcd's script engine.
func TestReshareThenSignPSBT(t *testing.T) {
	if testing.Short() {
		t.Skip("resharing takes seconds")
	}
	base := runtime.NumGoroutine()
	prot := mpctest.Protector(t)
	polDir := t.TempDir()
	var policydShares []*mpc.Share
	node, api, done := setup(t, func(c *mpc.ServerConfig) {
		c.AllowReshare = true
		c.PreParams = &mpctest.StaticPreParams{Sets: []*keygen.LocalPreParams{mpctest.PreParams(t, 0)}}
		c.ReshareSink = func(ctx context.Context, s *mpc.Share) error {
			policydShares = append(policydShares, s)
			return mpc.SaveShare(mpc.EpochSharePath(polDir, s.Epoch), s, prot)
		}
	})
	defer done()
	oldShare := node.Share
	newPath := mpc.EpochSharePath(t.TempDir(), 1)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if _, err := node.Reshare(ctx, mpctest.PreParams(t, 1), newPath, prot); err != nil {
		t.Fatal(err)
	}
	if node.Share == oldShare || node.Share.Epoch != 1 || len(policydShares) != 1 {
		t.Fatal("node did not switch to the new share, or policyd persisted none")
	}
	addr := func(s *mpc.Share) string { a, _ := s.Address(&chaincfg.RegressionNetParams); return a }
	if addr(node.Share) != addr(oldShare) || addr(policydShares[0]) != addr(oldShare) {
		t.Fatalf("address changed: %s -> %s", addr(oldShare), addr(node.Share))
	}
	saved, err := mpc.LoadShare(newPath, prot)
	if err != nil || saved.Data.Xi.Cmp(node.Share.Data.Xi) != 0 {
		t.Fatalf("saved custody share: %v", err)
	}
	// A second resharing never overwrites the new file.
	if _, err := custody.Reshare(ctx, node.MPC, node.Share, mpctest.PreParams(t, 1), newPath, prot); err == nil {
		t.Fatal("resharing onto an existing file accepted")
	}

	p := buildPSBT(t, api.script, 2)
	prevOuts := map[wire.OutPoint]*wire.TxOut{}
	for i, in := range p.UnsignedTx.TxIn {
		prevOuts[in.PreviousOutPoint] = p.Inputs[i].NonWitnessUtxo.TxOut[0]
	}
	tx, _, err := node.SignPSBT(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prevOuts)
	cache := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		po := prevOuts[in.PreviousOutPoint]
		vm, err := txscript.NewEngine(po.PkScript, tx, i, txscript.StandardVerifyFlags, nil, cache, po.Value, fetcher)
		if err != nil {
			t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("input %d after resharing: %v", i, err)
		}
	}
	// The old custody share no longer signs with policyd (it holds the new one).
	stale, err := custody.NewNode(node.API.URL(), node.API.HTTP(), oldShare)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := stale.SignPSBT(ctx, buildPSBT(t, api.script, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("old custody share after resharing: %v, want an error before the deadline", err)
	}
	done()
	mpctest.CheckGoroutines(t, base)
}
