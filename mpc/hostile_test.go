package mpc_test

// Hostile-peer tests over the real mutual-TLS transport: the custody node
// is played by a tss-lib party driven by the test, speaking policyd's HTTP
// protocol (docs/mpc.md) and rewriting its own messages the way a hostile
// custody node would. Each test checks policyd refuses the message before
// tss-lib sees it, names the culprit, and saves no share (or signature).
// What tss-lib v2.0.2 alone would do with each forgery is asserted in
// mpc/peercheck's tests (TestAttack*) and summarised in docs/mpc.md.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
	"github.com/bitlayer-org/policyd/mpc/peercheck"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bnb-chain/tss-lib/v2/common"
	"github.com/bnb-chain/tss-lib/v2/crypto"
	"github.com/bnb-chain/tss-lib/v2/crypto/mta"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// syncBuffer collects the server's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Wire type codes (docs/mpc.md, append-only).
var typeCodes = map[string]byte{
	"binance.tsslib.ecdsa.keygen.KGRound1Message":     1,
	"binance.tsslib.ecdsa.keygen.KGRound2Message1":    2,
	"binance.tsslib.ecdsa.keygen.KGRound2Message2":    3,
	"binance.tsslib.ecdsa.keygen.KGRound3Message":     4,
	"binance.tsslib.ecdsa.signing.SignRound1Message1": 1,
	"binance.tsslib.ecdsa.signing.SignRound1Message2": 2,
	"binance.tsslib.ecdsa.signing.SignRound2Message":  3,
}

// outMsg is one message the hostile party is about to send.
type outMsg struct {
	typ     string
	content tss.MessageContent
	to      int // party index, -1 = broadcast
}

// hostile is a custody node under the test's control.
type hostile struct {
	t     *testing.T
	httpc *http.Client
	base  string
}

func (h *hostile) post(path string, body []byte, ctype string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, h.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ctype)
	return h.httpc.Do(req)
}

// drive runs party as index self of ids in session sid: it sends what
// the party emits (through tamper) and feeds it policyd's messages, until
// policyd ends the session. It returns policyd's final state and error.
func (h *hostile) drive(ctx context.Context, p mpc.Protocol, sid mpc.SessionID, party tss.Party, out chan tss.Message,
	ids tss.SortedPartyIDs, self byte, tamper func(outMsg) []outMsg) (state, errText string) {
	h.t.Helper()
	sendAll := func() error {
		for {
			select {
			case m := <-out:
				wire, routing, err := m.WireBytes()
				if err != nil {
					return err
				}
				pm, err := tss.ParseWireMessage(wire, ids[self], routing.IsBroadcast)
				if err != nil {
					return err
				}
				om := outMsg{typ: m.Type(), content: pm.Content(), to: -1}
				if !routing.IsBroadcast {
					om.to = routing.To[0].Index
				}
				msgs := []outMsg{om}
				if tamper != nil {
					msgs = tamper(om)
				}
				for _, o := range msgs {
					a, err := anypb.New(o.content)
					if err != nil {
						return err
					}
					payload, err := proto.Marshal(a)
					if err != nil {
						return err
					}
					e := &mpc.Envelope{Protocol: p, Session: sid, From: self, To: mpc.ToBroadcast, Type: typeCodes[o.typ], Payload: payload}
					if o.to >= 0 {
						e.To = byte(o.to)
					}
					b, err := e.MarshalBinary()
					if err != nil {
						return err
					}
					resp, err := h.post("/sessions/"+sid.String()+"/messages", b, "application/octet-stream")
					if err != nil {
						return err
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode >= 300 {
						return fmt.Errorf("post: %s", resp.Status)
					}
				}
			default:
				return nil
			}
		}
	}
	if err := party.Start(); err != nil {
		h.t.Fatalf("hostile party start: %v", err)
	}
	if err := sendAll(); err != nil {
		h.t.Logf("hostile send: %v", err)
	}
	after := 0
	for ctx.Err() == nil {
		url := fmt.Sprintf("%s/sessions/%s/messages?after=%d&wait_ms=2000", h.base, sid, after)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := h.httpc.Do(req)
		if err != nil {
			h.t.Fatalf("poll: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			for len(body) >= 4 {
				n := binary.BigEndian.Uint32(body)
				e, err := mpc.UnmarshalEnvelope(body[4 : 4+n])
				body = body[4+n:]
				after++
				if err != nil {
					h.t.Fatalf("policyd sent a bad envelope: %v", err)
				}
				if _, terr := party.UpdateFromBytes(e.Payload, ids[e.From], e.Broadcast()); terr != nil {
					h.t.Logf("hostile party: %v", terr)
				}
				if err := sendAll(); err != nil {
					h.t.Logf("hostile send: %v", err)
				}
			}
		case http.StatusNoContent:
		case http.StatusGone:
			var st struct{ State, Error string }
			_ = json.Unmarshal(body, &st)
			return st.State, st.Error
		default:
			h.t.Fatalf("poll: %d %s", resp.StatusCode, body)
		}
	}
	h.t.Fatal("session did not end")
	return "", ""
}

func sortedIDs(c mpc.Committee) tss.SortedPartyIDs {
	u := tss.UnSortedPartyIDs{}
	for _, m := range c.Members {
		u = append(u, tss.NewPartyID(m.ID, m.ID, big.NewInt(m.Key)))
	}
	return tss.SortPartyIDs(u)
}

// wantRefusal checks the server aborted naming custody, for check.
func wantRefusal(t *testing.T, state, errText string, logs *syncBuffer, check string) {
	t.Helper()
	if state != "failed" || !strings.Contains(errText, "culprits [custody") {
		t.Fatalf("policyd reports %q %q, want failed naming custody", state, errText)
	}
	var line string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "peer message refused") {
				line = l
			}
		}
		if line != "" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(line, "peercheck: "+check) {
		t.Fatalf("policyd's log does not name check %s:\n%s", check, logs.String())
	}
	t.Logf("policyd: %s", line)
}

// TestHostileKeygen: a custody node that sends a forged Paillier key or
// proofs during key generation is refused at the first bad message;
// policyd saves no share and stays without a key. (h1 = h2 and a 1024-bit
// key, which tss-lib v2.0.2's keygen refuses too, are covered by
// peercheck's TestAttackRingPedersen and TestAttackSmallPaillierModulus,
// and a 1024-bit key end to end by TestHostileReshare.)
func TestHostileKeygen(t *testing.T) {
	if testing.Short() {
		t.Skip("key generation rounds take seconds")
	}
	small16, err := mpctest.NewSmallPrimeModulus(16)
	if err != nil {
		t.Fatal(err)
	}
	small24, err := mpctest.NewSmallPrimeModulus(24)
	if err != nil {
		t.Fatal(err)
	}
	forged24, err := small24.ForgeModProof([]byte("the verifier's context is irrelevant: refused before"))
	if err != nil {
		t.Fatal(err)
	}
	r1 := func(f func(m *keygen.KGRound1Message)) func(outMsg) []outMsg {
		return func(o outMsg) []outMsg {
			if m, ok := o.content.(*keygen.KGRound1Message); ok {
				f(m)
			}
			return []outMsg{o}
		}
	}
	cases := []struct {
		name   string
		check  string
		tamper func() func(outMsg) []outMsg
	}{
		{"small-prime Paillier modulus (16-bit factors)", "paillier_modulus", func() func(outMsg) []outMsg {
			return r1(func(m *keygen.KGRound1Message) { m.PaillierN = small16.N.Bytes() })
		}},
		{"forged mod proof, W | N (24-bit factors, above trial division)", "mod_proof", func() func(outMsg) []outMsg {
			return func(o outMsg) []outMsg {
				switch m := o.content.(type) {
				case *keygen.KGRound1Message:
					m.PaillierN = small24.N.Bytes()
				case *keygen.KGRound2Message2:
					b := forged24.Bytes()
					m.ModProof = b[:]
				}
				return []outMsg{o}
			}
		}},
		{"h1 = 1", "ntilde_h1_h2", func() func(outMsg) []outMsg {
			return r1(func(m *keygen.KGRound1Message) { m.H1 = []byte{1} })
		}},
		{"threshold+2 VSS commitments", "vss_commitments", extraVSSCommitment},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := startKeygen(t, c.name)
			defer k.e.close()
			state, errText := k.drive(c.tamper())
			wantRefusal(t, state, errText, k.logs, c.check)
			if k.saved.Load() != 0 || k.e.srv.Share() != nil {
				t.Fatal("policyd saved or loaded a share")
			}
		})
	}
}

// hostileKeygen is a key generation ceremony policyd runs with a custody
// node played by the test.
type hostileKeygen struct {
	t        *testing.T
	e        *env
	h        *hostile
	logs     *syncBuffer
	saved    atomic.Int32 // ShareSink calls
	ceremony [32]byte
}

// startKeygen starts a server that may run a key generation (its shares
// are counted, not stored) and opens the ceremony named name.
func startKeygen(t *testing.T, name string) *hostileKeygen {
	k := &hostileKeygen{t: t, logs: &syncBuffer{}}
	copy(k.ceremony[:], name)
	k.e = newEnv(t, func(cfg *mpc.ServerConfig) {
		cfg.Share = nil
		cfg.AllowKeygen = true
		cfg.PreParams = &mpctest.StaticPreParams{Sets: []*keygen.LocalPreParams{mpctest.PreParams(t, 0)}}
		cfg.ShareSink = func(ctx context.Context, s *mpc.Share) error { k.saved.Add(1); return nil }
		cfg.Logger = slog.New(slog.NewTextHandler(k.logs, nil))
	})
	k.h = &hostile{t: t, httpc: k.e.httpc, base: k.e.base}
	resp, err := k.h.post("/keygen", []byte(`{"ceremony":"`+hex.EncodeToString(k.ceremony[:])+`"}`), "application/json")
	if err != nil || resp.StatusCode != http.StatusOK {
		k.e.close()
		t.Fatalf("POST /keygen: %v %v", err, resp)
	}
	resp.Body.Close()
	return k
}

// drive runs the custody node's key generation party (fixture
// pre-parameter set 1) through tamper until policyd ends the session.
func (k *hostileKeygen) drive(tamper func(outMsg) []outMsg) (state, errText string) {
	c := mpc.DefaultCommittee()
	ids := sortedIDs(c)
	out := make(chan tss.Message, 64)
	end := make(chan *keygen.LocalPartySaveData, 1)
	params := tss.NewParameters(tss.S256(), tss.NewPeerContext(ids), ids[1], 2, c.Threshold)
	party := keygen.NewLocalParty(params, out, end, *mpctest.PreParams(k.t, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return k.h.drive(ctx, mpc.ProtoKeygen, mpc.KeygenSessionID(k.ceremony), party, out, ids, 1, tamper)
}

// extraVSSCommitment makes the custody node deal a polynomial with one
// commitment too many: it holds its round-1 commitment until its round-2
// de-commitment exists, appends a point to the de-commitment and commits
// to the longer list, so the hash commitment still opens (a consistent
// hostile dealer, upstream #291).
func extraVSSCommitment() func(outMsg) []outMsg {
	var held []outMsg
	return func(o outMsg) []outMsg {
		switch m := o.content.(type) {
		case *keygen.KGRound1Message, *keygen.KGRound2Message1:
			held = append(held, o)
			return nil
		case *keygen.KGRound2Message2:
			d := common.MultiBytesToBigInts(m.DeCommitment)
			p := crypto.ScalarBaseMult(tss.S256(), big.NewInt(424242))
			d = append(d, p.X(), p.Y())
			m.DeCommitment = common.BigIntsToBytes(d)
			for _, h := range held {
				if r1, ok := h.content.(*keygen.KGRound1Message); ok {
					r1.Commitment = common.SHA512_256i(d...).Bytes()
				}
			}
			return append(held, o)
		}
		return []outMsg{o}
	}
}

// TestHostileSigning: a custody node whose MtA range proof (#289) is for
// the degenerate ciphertext c = 1 (k = 0), a proof tss-lib v2.0.2 accepts,
// is refused in round 1; no signature is recorded.
func TestHostileSigning(t *testing.T) {
	if testing.Short() {
		t.Skip("signing rounds take seconds")
	}
	logs := &syncBuffer{}
	e := newEnv(t, func(cfg *mpc.ServerConfig) { cfg.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	defer e.close()
	h := &hostile{t: t, httpc: e.httpc, base: e.base}
	digest := digests(1, "hostile")
	e.auth.Allow("hostile-sign", digest)
	body, _ := json.Marshal(map[string]any{"decision_id": "hostile-sign", "sighashes": []string{hex.EncodeToString(digest[0][:])}})
	resp, err := h.post("/sign", body, "application/json")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /sign: %v %v", err, resp)
	}
	resp.Body.Close()
	cus := e.custody
	ids := sortedIDs(cus.Committee)
	out := make(chan tss.Message, 64)
	end := make(chan *common.SignatureData, 1)
	params := tss.NewParameters(tss.S256(), tss.NewPeerContext(ids), ids[1], 2, 1)
	party := signing.NewLocalParty(new(big.Int).SetBytes(digest[0][:]), params, cus.Data, out, end, 32)
	d := &cus.Data
	pk := &d.PaillierSK.PublicKey
	one := big.NewInt(1)
	pf, err := mta.ProveRangeAlice(tss.S256(), pk, one, d.NTildej[0], d.H1j[0], d.H2j[0], big.NewInt(0), one, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tamper := func(o outMsg) []outMsg {
		if m, ok := o.content.(*signing.SignRound1Message1); ok {
			b := pf.Bytes()
			m.C, m.RangeProofAlice = one.Bytes(), b[:]
		}
		return []outMsg{o}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	state, errText := h.drive(ctx, mpc.ProtoSigning, mpc.SignSessionID("hostile-sign", 0), party, out, ids, 1, tamper)
	wantRefusal(t, state, errText, logs, "paillier_ciphertext")
	if got := e.auth.RecordedFor("hostile-sign"); len(got) != 0 {
		t.Fatalf("signatures recorded: %d", len(got))
	}
}

// TestHostileReshare: a custody node whose new party uses a 1024-bit
// Paillier key (with valid mod and fac proofs, made by tss-lib itself) is
// refused; tss-lib v2.0.2's resharing never checks the size. policyd keeps
// its old share and saves no new one.
func TestHostileReshare(t *testing.T) {
	if testing.Short() {
		t.Skip("resharing rounds take seconds")
	}
	logs := &syncBuffer{}
	var saved atomic.Int32
	r := newReshareEnv(t, func(cfg *mpc.ServerConfig) {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
		inner := cfg.ReshareSink
		cfg.ReshareSink = func(ctx context.Context, s *mpc.Share) error { saved.Add(1); return inner(ctx, s) }
	})
	defer r.close()
	old := r.srv.Share()
	weak, err := mpctest.WeakPaillierKey(1024)
	if err != nil {
		t.Fatal(err)
	}
	pre := mpctest.PreParams(t, 1)
	pre.PaillierSK = weak
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, _, err = r.client.RunReshare(ctx, r.custody, pre)
	if err == nil {
		t.Fatal("resharing with a 1024-bit Paillier key succeeded")
	}
	t.Logf("custody sees: %v", err)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "peercheck: paillier_modulus") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "peercheck: paillier_modulus") || !strings.Contains(logs.String(), "custody@1") {
		t.Fatalf("policyd's log does not name the check and the culprit:\n%s", logs.String())
	}
	if saved.Load() != 0 || r.srv.Share() != old {
		t.Fatal("policyd saved or switched to a new share")
	}
}

// TestShareFileWithHostilePeerKey: a share file whose peer material is
// malformed (edited, or written by a policyd without these checks) is
// refused on load, naming the check.
func TestShareFileWithHostilePeerKey(t *testing.T) {
	prot := mpctest.Protector(t)
	small, err := mpctest.NewSmallPrimeModulus(16)
	if err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(d *keygen.LocalPartySaveData){
		"small-prime Paillier modulus": func(d *keygen.LocalPartySaveData) { d.PaillierPKs[1].N = small.N },
		"h1 = h2":                      func(d *keygen.LocalPartySaveData) { d.H2j[1] = d.H1j[1] },
		"peer reuses our N-tilde":      func(d *keygen.LocalPartySaveData) { d.NTildej[1] = d.NTildej[0] },
	} {
		t.Run(name, func(t *testing.T) {
			pol, _ := mpctest.Shares(t)
			mut(&pol.Data)
			ct, err := mpc.MarshalShare(pol, prot)
			if err != nil {
				t.Fatal(err)
			}
			_, err = mpc.UnmarshalShare(ct, prot)
			if !errors.Is(err, mpc.ErrBadShare) || !errors.Is(err, peercheck.ErrRefused) {
				t.Fatalf("got %v, want a refused share", err)
			}
			t.Logf("refused: %v", err)
		})
	}
}

// checkKeygenConfirmation: the stored keygen record carries the
// confirmation, a valid signature of the group key over the ceremony's
// domain-separated digest.
func checkKeygenConfirmation(t *testing.T, db *storage.DB, share *mpc.Share) {
	t.Helper()
	var recs []mpc.KeygenRecord
	err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(storage.BucketMPCSessions).ForEach(func(k, v []byte) error {
			if bytes.HasPrefix(k, []byte("keygen/")) {
				var r mpc.KeygenRecord
				if err := json.Unmarshal(v, &r); err != nil {
					return err
				}
				recs = append(recs, r)
			}
			return nil
		})
	})
	if err != nil || len(recs) != 1 {
		t.Fatalf("keygen records: %v %d", err, len(recs))
	}
	d, err1 := hex.DecodeString(recs[0].ConfirmDigest)
	sig, err2 := hex.DecodeString(recs[0].ConfirmSignature)
	if err1 != nil || err2 != nil || len(d) != 32 {
		t.Fatalf("record %+v", recs[0])
	}
	if err := mpc.VerifySignature(share.PubKey(), [32]byte(d), sig); err != nil {
		t.Fatalf("confirmation signature: %v", err)
	}
}

// TestKeygenConfirmationRequired: a custody node that completes key
// generation but never signs the confirmation leaves policyd without a
// share: nothing persisted, nothing loaded, the ceremony failed.
func TestKeygenConfirmationRequired(t *testing.T) {
	if testing.Short() {
		t.Skip("key generation takes seconds")
	}
	k := startKeygen(t, "no confirmation")
	defer k.e.close()
	e, h, ceremony, saved := k.e, k.h, k.ceremony, &k.saved
	sid := mpc.KeygenSessionID(ceremony)
	if state, errText := k.drive(nil); state != "done" {
		t.Fatalf("keygen session: %s %s", state, errText)
	}
	var st struct{ State, Error string }
	get := func() {
		resp, err := h.httpc.Get(e.base + "/keygen/" + sid.String())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&st)
	}
	get()
	for deadline := time.Now().Add(30 * time.Second); st.State == "running" && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // the record is being built
		get()
	}
	if st.State != "confirming" {
		t.Fatalf("after the key generation rounds: %q, want confirming", st.State)
	}
	req, _ := http.NewRequest(http.MethodDelete, e.base+"/sessions/"+mpc.KeygenConfirmSessionID(ceremony).String(), nil)
	if resp, err := h.httpc.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", err, resp)
	}
	for deadline := time.Now().Add(30 * time.Second); st.State == "confirming" && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		get()
	}
	if st.State != "failed" || saved.Load() != 0 || e.srv.Share() != nil {
		t.Fatalf("state %q, saved %d, loaded %v: want failed, nothing saved", st.State, saved.Load(), e.srv.Share() != nil)
	}
}
