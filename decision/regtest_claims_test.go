package decision

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// regtestRig is a decision service whose L1 view follows a real btcd
// --regtest node through its RPC, for the wallet of scenario
// withdraw_one_id (funded by a miner key on the node).
type regtestRig struct {
	*l1Env
	ctx    context.Context
	n      *regtest.Node
	miner  *regtest.Key
	bridge []byte
}

func newRegtestRig(t *testing.T, conf uint64) *regtestRig {
	t.Helper()
	if testing.Short() {
		t.Skip("btcd regtest: skipped with -short")
	}
	miner, err := regtest.NewKey("decision-claims-miner")
	if err != nil {
		t.Fatal(err)
	}
	n := regtest.StartT(t, regtest.Config{MiningAddr: miner.Addr, InitialBlocks: regtest.ReadyHeight})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	h, err := n.Height()
	if err != nil {
		t.Fatal(err)
	}
	w, err := l1.New(l1.Config{
		Endpoints: []l1.Endpoint{{URL: "https://" + n.RPCAddr(), User: n.User(), Pass: n.Pass(), CACertPEM: n.Cert()}},
		Params:    regtest.Params, Scripts: [][]byte{e.wallet.PkScript()}, StartHeight: uint64(h) + 1, Confirmations: conf,
		Freshness: l1.Freshness{PollWithin: time.Hour, HeadWithin: time.Hour}, MempoolScan: true,
		Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, e.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	le := attachWatcher(t, e, w, standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params)
	return &regtestRig{l1Env: le, ctx: ctx, n: n, miner: miner, bridge: sc.Snapshot.Whitelist.Entries[0].PkScript}
}

// fund pays the wallet one output of each value from the miner and mines
// it conf deep; it returns the wallet's new outputs.
func (r *regtestRig) fund(t *testing.T, conf int, values ...int64) []psbtgen.UTXO {
	t.Helper()
	var outs []*wire.TxOut
	for _, v := range values {
		outs = append(outs, wire.NewTxOut(v, r.wallet.PkScript()))
	}
	tx, err := r.miner.Pay(r.ctx, r.n, outs, 5000)
	if err != nil {
		t.Fatal(err)
	}
	r.mine(t, conf)
	var us []psbtgen.UTXO
	for i := range values {
		us = append(us, psbtgen.UTXO{PrevTx: tx, Vout: uint32(i)})
	}
	return us
}

func (r *regtestRig) mine(t *testing.T, k int) {
	t.Helper()
	if _, err := r.n.Mine(r.ctx, k); err != nil {
		t.Fatal(err)
	}
	r.poll(t)
}

// withdrawal is a PSBT paying bridgeSat to the bridge for ids from us,
// change back, fee.
func (r *regtestRig) withdrawal(t *testing.T, us []psbtgen.UTXO, bridgeSat, fee int64, ids ...string) []byte {
	t.Helper()
	var in int64
	for _, u := range us {
		in += u.PrevTx.TxOut[u.Vout].Value
	}
	p, err := psbtgen.BuildFromUTXOs(&chaincfg.MainNetParams, r.wallet, us,
		[]*wire.TxOut{wire.NewTxOut(bridgeSat, r.bridge), wire.NewTxOut(in-bridgeSat-fee, r.wallet.PkScript())}, psbtgen.StReqIDsPayload(ids...))
	if err != nil {
		t.Fatal(err)
	}
	return psbtgen.Serialize(p)
}

// signed is the transaction of decision id with the signatures policyd
// recorded as its witnesses (what the custody node broadcasts).
func (r *regtestRig) signed(t *testing.T, id string) *wire.MsgTx {
	t.Helper()
	rec := r.record(t, id)
	var tx wire.MsgTx
	if err := tx.DeserializeNoWitness(bytes.NewReader(rec.UnsignedTx)); err != nil {
		t.Fatal(err)
	}
	for i := range tx.TxIn {
		tx.TxIn[i].Witness = wire.TxWitness{rec.Signatures[i], r.wallet.PubKey()}
	}
	return &tx
}

func (r *regtestRig) broadcast(t *testing.T, tx *wire.MsgTx) {
	t.Helper()
	if _, err := r.n.Broadcast(tx); err != nil {
		t.Fatalf("broadcast %s: %v", tx.TxHash(), err)
	}
}

// TestRegtestClaimFamilyAndRelease, on a real btcd --regtest node: a
// low-fee withdrawal of id 100 is signed and broadcast; its replacement
// is signed (allowed while the original is in the mempool) but never
// broadcast; the claim follows the original, which is in the mempool
// (the newest member is not), and stays on it when it is mined, broadcast
// then confirmed (TestL1FamilyEarlierMemberConfirms covers a member mined
// without being seen in a mempool first). Then a withdrawal of id 101 is signed
// and broadcast, and a spend signed outside policyd (the test holds the
// key) takes one of its inputs first: signing freezes, and once the
// conflict is 2 deep the claim of 101 is released naming it.
func TestRegtestClaimFamilyAndRelease(t *testing.T) {
	r := newRegtestRig(t, 2)
	us := r.fund(t, 2, 3e8, 2e8)
	orig := r.withdrawal(t, us, 1e8, 2000, "100")
	repl := r.withdrawal(t, us, 1e8, 9000, "100")
	id1 := r.signAllowed(t, orig)
	r.broadcast(t, r.signed(t, id1))
	r.poll(t)
	id2 := r.signAllowed(t, repl)
	o, rp := unsignedOf(t, orig).TxHash().String(), unsignedOf(t, repl).TxHash().String()
	r.follow(t)
	if c := claimOf(t, r.env, "100"); c.TxID != o || c.DecisionID != id1 || c.State != policy.ClaimBroadcast || !slices.Equal(c.Family, []string{rp}) {
		t.Fatalf("original in the mempool: %+v", c)
	}
	r.mine(t, 1)
	r.follow(t)
	if c := claimOf(t, r.env, "100"); c.TxID != o || c.State != policy.ClaimBroadcast {
		t.Fatalf("original 1 deep: %+v", c)
	}
	r.mine(t, 1)
	r.follow(t)
	if v := claimView(t, r.env, id2, "100"); v.State != policy.ClaimConfirmed || v.TxID != o || v.DecisionID != id1 {
		t.Fatalf("original 2 deep: %+v", v)
	}
	if r.frozen(t, fakeGov{}) {
		t.Fatal("own transactions froze signing")
	}

	// Released only when a conflicting transaction is buried.
	us2 := r.fund(t, 2, 1e8, 1e8)
	raw := r.withdrawal(t, us2, 5e7, 2000, "101")
	id3 := r.signAllowed(t, raw)
	thief := wire.NewMsgTx(2)
	thief.AddTxIn(wire.NewTxIn(&unsignedOf(t, raw).TxIn[0].PreviousOutPoint, nil, nil))
	thief.AddTxOut(wire.NewTxOut(1e8-3000, r.miner.PkScript))
	if err := (&regtest.Key{Priv: r.wallet.PrivKey()}).SignInputs(thief, []*wire.TxOut{us2[0].PrevTx.TxOut[0]}); err != nil {
		t.Fatal(err)
	}
	r.broadcast(t, thief)
	r.mine(t, 1)
	if c := r.follow(t); c[policy.ClaimSigned] != 1 || c[policy.ClaimReleased] != 0 || !r.frozen(t, fakeGov{}) {
		t.Fatalf("conflict 1 deep: counts %v, frozen %v", c, r.frozen(t, fakeGov{}))
	}
	r.mine(t, 1)
	if c := r.follow(t); c[policy.ClaimReleased] != 1 || c[policy.ClaimConfirmed] != 1 {
		t.Fatalf("conflict 2 deep: counts %v", c)
	}
	if v := claimView(t, r.env, id3, "101"); v.State != policy.ClaimReleased || !slices.Equal(v.Conflicts, []string{thief.TxHash().String()}) {
		t.Fatalf("view %+v", v)
	}
}
