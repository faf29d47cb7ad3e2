package cosign_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/musig"
)

// cosignTx asks policyd to co-sign tx, computes the custody node's own
// messages and runs every session over the API; it returns the signatures.
func (e *env) cosignTx(kind string, tx *wire.MsgTx, st *cosign.Stake) (*cosign.View, []*schnorr.Signature) {
	e.t.Helper()
	v := e.request(kind, tx, st)
	agg := e.signer.AggregateKey()
	var (
		msgs []cosign.Message
		d    *cosign.Denial
	)
	switch kind {
	case cosign.KindSlashing:
		msgs, d = cosign.SlashingMessages(st, agg, tx)
	case cosign.KindUnbonding:
		msgs, d = cosign.UnbondingMessages(st, agg, tx)
	case cosign.KindWithdrawal:
		msgs, d = cosign.WithdrawalMessages(st, agg, tx, e.wallet, e.cfg.MaxWithdrawalFee)
	}
	if d != nil {
		e.t.Fatalf("custody's own check: %v", d)
	}
	sigs, err := cosign.CoSign(context.Background(), e.c, e.signer, v, msgs)
	if err != nil {
		e.t.Fatal(err)
	}
	return v, sigs
}

func lockedOf(t *testing.T, st *cosign.Stake, kind babylon.OutputKind, n int) babylon.LockedOutput {
	t.Helper()
	for _, o := range cosign.LockedOutputs(st) {
		if o.Kind == kind {
			if n == 0 {
				return o
			}
			n--
		}
	}
	t.Fatalf("no locked output %v", kind)
	return babylon.LockedOutput{}
}

// Every kind policyd co-signs, over the API and mutual TLS, ends in a
// signature that btcd's script engine accepts in the transaction's real
// witness (with the test covenant and finality-provider keys where the leaf
// needs them), and each is in the audit log with its decision.
func TestCoSignEveryKind(t *testing.T) {
	e := newEnv(t)
	e.keygen()
	st := e.stake("stake-1", 1_000_000, nil)
	g, d := st.Params, st.Delegation
	agg := e.signer.AggregateKey()
	scripts, err := babylon.BuildScripts(d)
	if err != nil {
		t.Fatal(err)
	}
	stakingOut := babylon.StakingLocked
	stLocked, err := stakingOut(d, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	leaves := [][]byte{scripts.Timelock, scripts.Unbonding, scripts.Slashing}
	fpSign := func(msg [32]byte) []byte {
		s, err := schnorr.Sign(e.fp, msg[:])
		if err != nil {
			t.Fatal(err)
		}
		return s.Serialize()
	}
	inputs := 0

	t.Run("slashing of the staking output", func(t *testing.T) {
		tx, err := babylon.SlashingTx(g, agg, st.OutPoint, st.Value)
		if err != nil {
			t.Fatal(err)
		}
		v, sigs := e.cosignTx(cosign.KindSlashing, tx, st)
		msg, _ := babylon.ScriptPathSigHash(tx, 0, []*wire.TxOut{stLocked.TxOut()}, scripts.Slashing)
		cb, _ := babylon.ControlBlock(leaves, scripts.Slashing)
		w, err := babylon.CovenantWitness(g.CovenantKeys, e.covenantSigs(msg), fpSign(msg), sigs[0], scripts.Slashing, cb)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[0].Witness = w
		if err := execute(tx, []*wire.TxOut{stLocked.TxOut()}); err != nil {
			t.Fatal(err)
		}
		if v.Inputs[0].Signature != "" {
			t.Fatal("the request's answer carries a signature before any session")
		}
		inputs++
	})
	ub, err := babylon.StakingUnbondingTx(g, d, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("unbonding", func(t *testing.T) {
		tx := ub.Copy()
		_, sigs := e.cosignTx(cosign.KindUnbonding, tx, st)
		msg, _ := babylon.ScriptPathSigHash(tx, 0, []*wire.TxOut{stLocked.TxOut()}, scripts.Unbonding)
		cb, _ := babylon.ControlBlock(leaves, scripts.Unbonding)
		w, err := babylon.CovenantWitness(g.CovenantKeys, e.covenantSigs(msg), nil, sigs[0], scripts.Unbonding, cb)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[0].Witness = w
		if err := execute(tx, []*wire.TxOut{stLocked.TxOut()}); err != nil {
			t.Fatal(err)
		}
		inputs++
		// Asked again, the signed decision is returned with its signature.
		v, err := e.c.MuSigRequest(context.Background(), cosign.Request{Kind: cosign.KindUnbonding, Tx: txHex(t, ub), Stake: ref(st)})
		if err != nil || v.State != "signed" || v.Inputs[0].Signature != hex.EncodeToString(sigs[0].Serialize()) {
			t.Fatalf("again: %+v, %v", v, err)
		}
	})
	ubLocked := lockedOf(t, st, babylon.KindUnbonding, 0)
	t.Run("slashing of the unbonding output", func(t *testing.T) {
		tx, err := babylon.SlashingTx(g, agg, ubLocked.OutPoint, ubLocked.Value)
		if err != nil {
			t.Fatal(err)
		}
		_, sigs := e.cosignTx(cosign.KindSlashing, tx, st)
		_, ubScripts, _ := babylon.UnbondingOutput(d, g.UnbondingTime, ubLocked.Value)
		msg, _ := babylon.ScriptPathSigHash(tx, 0, []*wire.TxOut{ubLocked.TxOut()}, ubScripts.Slashing)
		cb, _ := babylon.ControlBlock([][]byte{ubScripts.Timelock, ubScripts.Slashing}, ubScripts.Slashing)
		w, err := babylon.CovenantWitness(g.CovenantKeys, e.covenantSigs(msg), fpSign(msg), sigs[0], ubScripts.Slashing, cb)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[0].Witness = w
		if err := execute(tx, []*wire.TxOut{ubLocked.TxOut()}); err != nil {
			t.Fatal(err)
		}
		inputs++
	})
	for _, tc := range []struct {
		name string
		outs []babylon.LockedOutput
	}{
		{"withdrawal of the unbonding output", []babylon.LockedOutput{ubLocked}},
		{"withdrawal of an expired stake and a slashing change", []babylon.LockedOutput{stLocked, lockedOf(t, st, babylon.KindSlashingChange, 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := babylon.WithdrawalTx(tc.outs, e.wallet, 2_000)
			if err != nil {
				t.Fatal(err)
			}
			_, sigs := e.cosignTx(cosign.KindWithdrawal, tx, st)
			for i, o := range tc.outs {
				cb, err := o.ControlBlock()
				if err != nil {
					t.Fatal(err)
				}
				tx.TxIn[i].Witness = babylon.TimelockWitness(sigs[i], o.Timelock, cb)
			}
			if err := execute(tx, babylon.PrevOuts(tc.outs)); err != nil {
				t.Fatal(err)
			}
			inputs += len(tc.outs)
		})
	}
	t.Run("proof of possession", func(t *testing.T) {
		v, err := e.c.MuSigRequest(context.Background(), cosign.Request{Kind: cosign.KindPoP, BabylonAddress: hex.EncodeToString(e.popAddr)})
		if err != nil {
			t.Fatal(err)
		}
		msgs, den := cosign.PoPMessages(e.popAddr, e.popAddr)
		if den != nil {
			t.Fatal(den)
		}
		sigs, err := cosign.CoSign(context.Background(), e.c, e.signer, v, msgs)
		if err != nil {
			t.Fatal(err)
		}
		if !babylon.VerifyPoP(e.popAddr, agg, sigs[0]) {
			t.Fatal("PoP does not verify")
		}
		inputs++
	})
	kinds, recs := e.auditKinds()
	if kinds["musig_key"] != 1 || kinds["musig_decision"] != 6 || kinds["musig_signature"] != uint64(inputs) || len(recs) != inputs {
		t.Fatalf("audit kinds %v, %d signatures of %d inputs", kinds, len(recs), inputs)
	}
	for _, r := range recs {
		msg, _ := hex.DecodeString(r.Msg)
		sb, _ := hex.DecodeString(r.Signature)
		sig, err := schnorr.ParseSignature(sb)
		if err != nil || !sig.Verify(msg, agg) {
			t.Fatalf("audited signature of %s input %d does not verify", r.DecisionID, r.Input)
		}
	}
}

// The key ceremony: idempotent for the same custody key, refused (409) for
// another, audited once; policyd's key is sealed at rest and reloaded on a
// restart; without AllowKeygen no ceremony runs.
func TestKeygen(t *testing.T) {
	e := newEnv(t)
	if _, err := e.c.MuSigKey(context.Background()); !isCode(err, 503, "musig_no_key") {
		t.Fatalf("key before the ceremony: %v", err)
	}
	if _, err := e.c.MuSigRequest(context.Background(), cosign.Request{Kind: cosign.KindPoP, BabylonAddress: hex.EncodeToString(e.popAddr)}); !isCode(err, 503, "musig_no_key") {
		t.Fatalf("request before the ceremony: %v", err)
	}
	v := e.keygen()
	again := e.keygen()
	if *again != *v {
		t.Fatalf("second ceremony with the same key: %+v, first %+v", again, v)
	}
	other := devKey("another custody")
	if _, err := e.c.MuSigKeygen(context.Background(), other.PubKey().SerializeCompressed()); !isCode(err, 409, "musig_key_exists") {
		t.Fatalf("another custody key: %v", err)
	}
	if _, err := e.c.MuSigKeygen(context.Background(), []byte{2, 1}); !isCode(err, 400, "bad_request") {
		t.Fatalf("short key: %v", err)
	}
	raw, err := os.ReadFile(e.cfg.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) {
		t.Fatal("policyd's key is not sealed with age")
	}
	kinds, _ := e.auditKinds()
	if kinds["musig_key"] != 1 {
		t.Fatalf("audit kinds %v", kinds)
	}
	// A restart loads the sealed key and the record.
	e.start()
	got, err := e.c.MuSigKey(context.Background())
	if err != nil || *got != *v {
		t.Fatalf("after restart %+v, %v; want %+v", got, err, v)
	}
	if got := hex.EncodeToString(schnorr.SerializePubKey(e.svc.AggregateKey())); got != v.AggregateKey {
		t.Fatalf("restarted signer's key %s", got)
	}
	// A key file that is not the recorded one fails the start (fail closed).
	cfg := e.cfg
	cfg.KeyFile = cfg.KeyFile + ".other"
	if err := cosign.SaveKey(cfg.KeyFile, devKey("stray"), cfg.Sealer); err != nil {
		t.Fatal(err)
	}
	if _, err := cosign.New(cfg); !errors.Is(err, cosign.ErrKeyFile) {
		t.Fatalf("a stray key file started: %v", err)
	}
	// Without AllowKeygen the ceremony is refused.
	off := newEnv(t, func(c *cosign.Config) { c.AllowKeygen = false })
	if _, err := off.c.MuSigKeygen(context.Background(), off.custody.PubKey().SerializeCompressed()); !isCode(err, 403, "keygen_refused") {
		t.Fatalf("keygen not enabled: %v", err)
	}
}

func isCode(err error, status int, code string) bool {
	var ce *client.Error
	return errors.As(err, &ce) && ce.Status == status && ce.Code == code
}

// Refused with their reasons, each an audited denial that no session can
// follow: a withdrawal paying anything but the wallet, a slashing
// transaction with another rate or another slashing address, an unbonding
// with another fee, an unknown stake, a stake whose staker is not the
// MuSig2 key (the wallet key, say), a proof of possession for another
// address.
func TestRefusals(t *testing.T) {
	e := newEnv(t)
	e.keygen()
	st := e.stake("stake-r", 1_000_000, nil)
	g, d := st.Params, st.Delegation
	agg := e.signer.AggregateKey()

	ubLocked := lockedOf(t, st, babylon.KindUnbonding, 0)
	payElsewhere, err := babylon.WithdrawalTx([]babylon.LockedOutput{ubLocked}, e.wallet, 2_000)
	if err != nil {
		t.Fatal(err)
	}
	other := append([]byte(nil), e.wallet...)
	other[len(other)-1] ^= 1
	payElsewhere.AddTxOut(wire.NewTxOut(1_000, other))
	payElsewhere.TxOut[0].Value -= 1_000

	highFee, _ := babylon.WithdrawalTx([]babylon.LockedOutput{ubLocked}, e.wallet, e.cfg.MaxWithdrawalFee+1)
	wrongSeq, _ := babylon.WithdrawalTx([]babylon.LockedOutput{ubLocked}, e.wallet, 2_000)
	wrongSeq.TxIn[0].Sequence = 0xffffffff

	rate := g
	rate.SlashingRatePct = 20
	otherRate, err := babylon.SlashingTx(rate, agg, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	addr := g
	addr.SlashingPkScript = other
	otherAddr, err := babylon.SlashingTx(addr, agg, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	fee := g
	fee.UnbondingFee = 2_000
	otherFee, err := babylon.StakingUnbondingTx(fee, d, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	elsewhereSlash, _ := babylon.SlashingTx(g, agg, wire.OutPoint{Hash: st.OutPoint.Hash, Index: 7}, st.Value)
	canonicalUb, _ := babylon.StakingUnbondingTx(g, d, st.OutPoint, st.Value)

	wallet := devKey("wallet")
	walletStake := e.stake("stake-wallet-key", 1_000_000, wallet.PubKey())
	walletUb, _ := babylon.StakingUnbondingTx(g, walletStake.Delegation, walletStake.OutPoint, walletStake.Value)

	txReq := func(kind string, tx *wire.MsgTx, s *cosign.Stake) cosign.Request {
		return cosign.Request{Kind: kind, Tx: txHex(t, tx), Stake: ref(s)}
	}
	cases := []struct {
		name   string
		req    cosign.Request
		reason string
	}{
		{"withdrawal paying another script", txReq(cosign.KindWithdrawal, payElsewhere, st), cosign.ReasonWithdrawalOutput},
		{"withdrawal fee above the cap", txReq(cosign.KindWithdrawal, highFee, st), cosign.ReasonWithdrawalFee},
		{"withdrawal not through the timelock", txReq(cosign.KindWithdrawal, wrongSeq, st), cosign.ReasonWithdrawalSequence},
		{"withdrawal of an output of no stake", txReq(cosign.KindWithdrawal, payElsewhere, walletStake), cosign.ReasonStakerNotMuSigKey},
		{"slashing with another rate", txReq(cosign.KindSlashing, otherRate, st), cosign.ReasonSlashingNotCanonical},
		{"slashing to another address", txReq(cosign.KindSlashing, otherAddr, st), cosign.ReasonSlashingNotCanonical},
		{"slashing of another output", txReq(cosign.KindSlashing, elsewhereSlash, st), cosign.ReasonSlashingFunding},
		{"unbonding with another fee", txReq(cosign.KindUnbonding, otherFee, st), cosign.ReasonUnbondingNotCanonical},
		{"unknown stake", cosign.Request{Kind: cosign.KindUnbonding, Tx: txHex(t, canonicalUb), Stake: &cosign.StakeRef{DecisionID: "nope", OutputIndex: 1}}, cosign.ReasonStakeUnknown},
		{"the wallet key as staker", txReq(cosign.KindUnbonding, walletUb, walletStake), cosign.ReasonStakerNotMuSigKey},
		{"proof of possession for another address", cosign.Request{Kind: cosign.KindPoP, BabylonAddress: hex.EncodeToString(bytes.Repeat([]byte{0xcc}, 20))}, cosign.ReasonPoPAddress},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := e.denied(tc.req, tc.reason)
			// No session can follow a denial.
			r1, err := e.signer.Open(musig.SessionIDFor([]byte(v.ID)), [32]byte{1})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := r1.MarshalBinary()
			if _, err := e.c.MuSigRound1(context.Background(), v.ID, 0, b); !isCode(err, 403, "not_authorized") {
				t.Fatalf("round1 of a denied decision: %v", err)
			}
			got, err := e.c.MuSigDecision(context.Background(), v.ID)
			if err != nil || got.State != "denied" || got.Reasons[0] != tc.reason {
				t.Fatalf("stored: %+v, %v", got, err)
			}
		})
	}
	// Malformed requests are not decisions.
	for _, req := range []cosign.Request{
		{Kind: "babylon_anything", Tx: txHex(t, canonicalUb), Stake: ref(st)},
		{Kind: cosign.KindUnbonding, Tx: "zz", Stake: ref(st)},
		{Kind: cosign.KindUnbonding, Tx: txHex(t, canonicalUb) + "00", Stake: ref(st)},
		{Kind: cosign.KindUnbonding, Tx: txHex(t, canonicalUb)},
		{Kind: cosign.KindPoP, BabylonAddress: "0102"},
	} {
		if _, err := e.c.MuSigRequest(context.Background(), req); !isCode(err, 400, "bad_request") {
			t.Fatalf("%+v: %v", req, err)
		}
	}
	kinds, _ := e.auditKinds()
	if kinds["musig_decision"] != uint64(len(cases)) || kinds["musig_signature"] != 0 {
		t.Fatalf("audit kinds %v", kinds)
	}
}

// openInput asks for the canonical unbonding of a fresh stake and returns
// the decision and the message.
func (e *env) openInput(id string) (*cosign.Stake, *cosign.View, [32]byte) {
	e.t.Helper()
	st := e.stake(id, 1_000_000, nil)
	tx, err := babylon.StakingUnbondingTx(st.Params, st.Delegation, st.OutPoint, st.Value)
	if err != nil {
		e.t.Fatal(err)
	}
	v := e.request(cosign.KindUnbonding, tx, st)
	var msg [32]byte
	b, _ := hex.DecodeString(v.Inputs[0].Sighash)
	copy(msg[:], b)
	return st, v, msg
}

func sid(t *testing.T, v *cosign.View, input int) musig.SessionID {
	s, err := v.Subject()
	if err != nil {
		t.Fatal(err)
	}
	return cosign.SessionID(v.ID, s, input)
}

// A second Round1 for a session is refused over the route: policyd never
// draws a second nonce for a session id, even from a custody node that
// forgot its own (a restarted one: a fresh Signer with the same key).
func TestNonceReuseRefused(t *testing.T) {
	e := newEnv(t)
	e.keygen()
	_, v, msg := e.openInput("stake-n")
	id := sid(t, v, 0)
	r1, err := e.signer.Open(id, msg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r1.MarshalBinary()
	if _, err := e.c.MuSigRound1(context.Background(), v.ID, 0, b); err != nil {
		t.Fatal(err)
	}
	c := e.signer.Ceremony()
	policydKey, _ := btcec.ParsePubKey(c.PeerKey[:])
	fresh, err := musig.NewSigner(e.custody, policydKey)
	if err != nil {
		t.Fatal(err)
	}
	r1b, err := fresh.Open(id, msg)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := r1b.MarshalBinary()
	if _, err := e.c.MuSigRound1(context.Background(), v.ID, 0, b2); !isCode(err, 409, "session_reused") {
		t.Fatalf("second round1: %v", err)
	}
	if _, err := e.c.MuSigRound1(context.Background(), v.ID, 0, b); !isCode(err, 409, "session_reused") {
		t.Fatalf("replayed round1: %v", err)
	}
	// Another session id or message for the input is refused before any
	// nonce is drawn.
	r1c, _ := fresh.Open(musig.SessionIDFor([]byte("other")), msg)
	b3, _ := r1c.MarshalBinary()
	if _, err := e.c.MuSigRound1(context.Background(), v.ID, 0, b3); !isCode(err, 409, "wrong_session") {
		t.Fatalf("other session: %v", err)
	}
	_, v2, _ := e.openInput("stake-n2")
	r1d, _ := fresh.Open(sid(t, v2, 0), [32]byte{9})
	b4, _ := r1d.MarshalBinary()
	if _, err := e.c.MuSigRound1(context.Background(), v2.ID, 0, b4); !isCode(err, 409, "sighash_mismatch") {
		t.Fatalf("other message: %v", err)
	}
	if _, err := e.c.MuSigRound1(context.Background(), v2.ID, 0, b4[:100]); !isCode(err, 400, "bad_message") {
		t.Fatalf("short message: %v", err)
	}
}

// A forged partial signature over the real API handler and mutual TLS
// aborts the session: 422, no signature recorded or audited, policyd's
// partial signature never sent, the session gone (the true Round2 after it
// is refused), the decision still unsigned; a new decision signs.
func TestForgedPartialSigAborts(t *testing.T) {
	e := newEnv(t)
	e.keygen()
	st, v, msg := e.openInput("stake-f")
	id := sid(t, v, 0)
	r1, err := e.signer.Open(id, msg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r1.MarshalBinary()
	pb, err := e.c.MuSigRound1(context.Background(), v.ID, 0, b)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := musig.ParseRound1(pb)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.signer.Sign(p1)
	if err != nil {
		t.Fatal(err)
	}
	forged := r2
	forged.PartialSig[31] ^= 1
	fb, _ := forged.MarshalBinary()
	out, err := e.c.MuSigRound2(context.Background(), v.ID, 0, fb)
	if !isCode(err, 422, "bad_partial_signature") || out != nil {
		t.Fatalf("forged partial: %x, %v", out, err)
	}
	good, _ := r2.MarshalBinary()
	if _, err := e.c.MuSigRound2(context.Background(), v.ID, 0, good); !isCode(err, 409, "no_session") {
		t.Fatalf("true round2 after the abort: %v", err)
	}
	got, err := e.c.MuSigDecision(context.Background(), v.ID)
	if err != nil || got.State != "allowed" || got.Inputs[0].Signature != "" {
		t.Fatalf("decision after the abort: %+v, %v", got, err)
	}
	if kinds, _ := e.auditKinds(); kinds["musig_signature"] != 0 {
		t.Fatalf("audit kinds %v", kinds)
	}
	// A new request is a new decision with new sessions: it signs.
	tx, _ := babylon.StakingUnbondingTx(st.Params, st.Delegation, st.OutPoint, st.Value)
	v2, sigs := e.cosignTx(cosign.KindUnbonding, tx, st)
	if v2.ID == v.ID || !sigs[0].Verify(msg[:], e.signer.AggregateKey()) {
		t.Fatal("the retry did not sign")
	}
	if kinds, _ := e.auditKinds(); kinds["musig_signature"] != 1 {
		t.Fatalf("audit kinds %v", kinds)
	}
}

// Sign-time enforcement: a decision allowed before a freeze is not signed
// after it. Frozen before Round1: refused, no session opened. Frozen
// between Round1 and Round2: refused, policyd's partial signature never
// sent, the session gone. Nothing is recorded or audited; unfrozen, a new
// decision signs.
func TestFreezeRefusesSessions(t *testing.T) {
	var frozen atomic.Bool
	e := newEnv(t, func(c *cosign.Config) {
		c.Gate = func(context.Context) error {
			if frozen.Load() {
				return errors.New("wallet frozen by governance")
			}
			return nil
		}
	})
	e.keygen()
	ctx := context.Background()

	// Frozen before Round1.
	_, v, msg := e.openInput("stake-z1")
	frozen.Store(true)
	r1, err := e.signer.Open(sid(t, v, 0), msg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r1.MarshalBinary()
	if out, err := e.c.MuSigRound1(ctx, v.ID, 0, b); !isCode(err, 403, "frozen") || out != nil {
		t.Fatalf("round1 while frozen: %x, %v", out, err)
	}
	frozen.Store(false)

	// Frozen between Round1 and Round2.
	st, v, msg := e.openInput("stake-z2")
	id := sid(t, v, 0)
	r1, err = e.signer.Open(id, msg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = r1.MarshalBinary()
	pb, err := e.c.MuSigRound1(ctx, v.ID, 0, b)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := musig.ParseRound1(pb)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.signer.Sign(p1)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := r2.MarshalBinary()
	frozen.Store(true)
	if out, err := e.c.MuSigRound2(ctx, v.ID, 0, good); !isCode(err, 403, "frozen") || out != nil {
		t.Fatalf("round2 while frozen: %x, %v", out, err)
	}
	frozen.Store(false)
	if _, err := e.c.MuSigRound2(ctx, v.ID, 0, good); !isCode(err, 409, "no_session") {
		t.Fatalf("round2 after the refusal: %v (the session must be gone)", err)
	}
	got, err := e.c.MuSigDecision(ctx, v.ID)
	if err != nil || got.Inputs[0].Signature != "" {
		t.Fatalf("decision after the refusal: %+v, %v", got, err)
	}
	if kinds, _ := e.auditKinds(); kinds["musig_signature"] != 0 {
		t.Fatalf("audit kinds %v", kinds)
	}

	// Unfrozen: a new decision signs.
	tx, _ := babylon.StakingUnbondingTx(st.Params, st.Delegation, st.OutPoint, st.Value)
	_, sigs := e.cosignTx(cosign.KindUnbonding, tx, st)
	if !sigs[0].Verify(msg[:], e.signer.AggregateKey()) {
		t.Fatal("the retry did not sign")
	}
}
