package mpc_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
	"github.com/bitlayer-org/policyd/storage"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/btcsuite/btcd/chaincfg"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// reshareEnv is an env whose server may reshare: fixture pre-parameter set
// 0 for policyd's new party, new shares saved as share.<epoch>.age in dir.
type reshareEnv struct {
	*env
	db    *storage.DB
	audit *memAudit
	dir   string
	prot  *mpc.Protector
}

func newReshareEnv(t *testing.T, mut func(*mpc.ServerConfig)) *reshareEnv {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &reshareEnv{db: db, audit: &memAudit{}, dir: t.TempDir(), prot: mpctest.Protector(t)}
	r.env = newEnv(t, func(c *mpc.ServerConfig) {
		c.AllowReshare = true
		c.PreParams = &mpctest.StaticPreParams{Sets: []*keygen.LocalPreParams{mpctest.PreParams(t, 0)}}
		c.ReshareSink = func(ctx context.Context, s *mpc.Share) error {
			return mpc.SaveShare(mpc.EpochSharePath(r.dir, s.Epoch), s, r.prot)
		}
		c.DB, c.Audit = db, r.audit
		if mut != nil {
			mut(c)
		}
	})
	return r
}

// records returns the public resharing records policyd stored.
func (r *reshareEnv) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	err := r.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(storage.BucketMPCSessions).ForEach(func(k, v []byte) error {
			if bytes.HasPrefix(k, []byte("reshare/")) {
				var m map[string]any
				if err := json.Unmarshal(v, &m); err != nil {
					return err
				}
				out = append(out, m)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReshareOverMutualTLS: resharing keeps the group key and address,
// both sides persist new share files next to the old ones, policyd switches
// only after the confirmation and audits it; the new shares sign, an old
// share mixed with a new one fails with an error (not a hang).
func TestReshareOverMutualTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("resharing takes seconds")
	}
	base := runtime.NumGoroutine()
	e := newReshareEnv(t, nil)
	defer e.close()
	wallet, err := tssfixtures.WalletInfo()
	if err != nil {
		t.Fatal(err)
	}
	oldPol := e.srv.Share()
	custodyPath := mpc.EpochSharePath(t.TempDir(), 1)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	t0 := time.Now()
	newCus, err := e.client.Reshare(ctx, e.custody, mpctest.PreParams(t, 1), func(ctx context.Context, s *mpc.Share) error {
		return mpc.SaveShare(custodyPath, s, e.prot)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resharing + confirmation over mTLS: %s", time.Since(t0).Round(time.Millisecond))

	newPol := e.srv.Share()
	if newPol == oldPol || newPol.Epoch != 1 || newCus.Epoch != 1 {
		t.Fatalf("policyd did not switch: epoch %d, custody epoch %d", newPol.Epoch, newCus.Epoch)
	}
	for _, s := range []*mpc.Share{newPol, newCus} {
		addr, _ := s.Address(&chaincfg.RegressionNetParams)
		if hex.EncodeToString(s.PubKeyBytes()) != wallet.PubKey || addr != wallet.AddressRegtest {
			t.Fatalf("%s: group key %x address %s, want %s %s", s.Self, s.PubKeyBytes(), addr, wallet.PubKey, wallet.AddressRegtest)
		}
		if !s.Committee.Equal(mpc.DefaultCommittee().Next()) {
			t.Fatalf("%s: committee %+v", s.Self, s.Committee)
		}
	}
	if newPol.Data.Xi.Cmp(oldPol.Data.Xi) == 0 || newCus.Data.Xi.Cmp(e.custody.Data.Xi) == 0 {
		t.Fatal("secret shares not rotated")
	}
	// Both new shares are on disk, encrypted, and load back.
	for path, want := range map[string]*mpc.Share{mpc.EpochSharePath(e.dir, 1): newPol, custodyPath: newCus} {
		got, err := mpc.LoadShare(path, e.prot)
		if err != nil {
			t.Fatal(err)
		}
		if got.Epoch != 1 || got.Data.Xi.Cmp(want.Data.Xi) != 0 {
			t.Fatalf("%s: saved share differs", path)
		}
	}
	// Audit: one "reshare" record of public data.
	if len(e.audit.kinds) != 1 || e.audit.kinds[0] != "reshare" {
		t.Fatalf("audit: %v", e.audit.kinds)
	}
	recs := e.records(t)
	if len(recs) != 1 {
		t.Fatalf("%d resharing records", len(recs))
	}
	rec := recs[0]
	var fields []string
	for k := range rec {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	wantFields := "address ceremony confirm_digest confirm_signature network new_epoch new_parties old_epoch old_parties pubkey self session threshold"
	if strings.Join(fields, " ") != wantFields {
		t.Fatalf("record fields %v, want %s", fields, wantFields)
	}
	if rec["pubkey"] != wallet.PubKey || rec["address"] != wallet.AddressRegtest ||
		jsonString(rec["old_parties"]) != `["policyd@0/1","custody@0/2"]` || jsonString(rec["new_parties"]) != `["policyd@1/3","custody@1/4"]` {
		t.Fatalf("record %v", rec)
	}
	var ceremony [32]byte
	if b, _ := hex.DecodeString(rec["ceremony"].(string)); len(b) == 32 {
		copy(ceremony[:], b)
	}
	digest := mpc.ReshareConfirmDigest(ceremony)
	sig, _ := hex.DecodeString(rec["confirm_signature"].(string))
	if rec["confirm_digest"] != hex.EncodeToString(digest[:]) || mpc.VerifySignature(newPol.PubKey(), digest, sig) != nil {
		t.Fatal("recorded confirmation signature does not verify")
	}

	// The new shares sign.
	h := digests(1, "after-reshare")
	e.auth.Allow("new", h)
	sigs, err := e.client.Sign(ctx, newCus, "new", h)
	if err != nil {
		t.Fatal(err)
	}
	if err := mpc.VerifySignature(oldPol.PubKey(), h[0], sigs[0]); err != nil {
		t.Fatal(err)
	}
	// custody's old share against policyd's new share: an error, no signature.
	e.auth.Allow("mixed", h)
	if _, err := e.client.Sign(ctx, e.custody, "mixed", h); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("old custody share with new policyd share: %v, want an error before the deadline", err)
	}
	if n := len(e.auth.RecordedFor("mixed")); n != 0 {
		t.Fatalf("%d signatures recorded for the mixed shares", n)
	}
	// The old custody share cannot start another resharing either: its
	// committee is no longer policyd's (refused by the client, which aborts
	// the ceremony the server opened).
	if _, _, err := e.client.RunReshare(ctx, e.custody, mpctest.PreParams(t, 1)); err == nil {
		t.Fatal("resharing from a stale share accepted")
	}
	e.close()
	mpctest.CheckGoroutines(t, base)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestReshareConfirmationFailure: the new shares are produced, but custody
// confirms with its OLD share: the confirmation fails, policyd keeps its
// old share (and signs with it), nothing is audited; the unconfirmed new
// share file stays on disk, inactive.
func TestReshareConfirmationFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("resharing takes seconds")
	}
	base := runtime.NumGoroutine()
	e := newReshareEnv(t, nil)
	defer e.close()
	oldPol := e.srv.Share()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	newCus, ceremony, err := e.client.RunReshare(ctx, e.custody, mpctest.PreParams(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if newCus.Epoch != 1 || !newCus.PubKey().IsEqual(oldPol.PubKey()) {
		t.Fatal("bad new share")
	}
	if err := e.client.ConfirmReshare(ctx, ceremony, e.custody); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("confirmation with the old custody share: %v, want an error before the deadline", err)
	}
	// The custody side can see the failed confirmation before policyd has
	// recorded it: wait (bounded) for the server to leave "confirming"; it
	// must end "failed", never "done".
	st := reshareStatus(t, e.env, mpc.ReshareSessionID(ceremony))
	for deadline := time.Now().Add(2 * time.Minute); st.State == "confirming" && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		st = reshareStatus(t, e.env, mpc.ReshareSessionID(ceremony))
	}
	if st.State != "failed" {
		t.Fatalf("resharing state %+v", st)
	}
	if e.srv.Share() != oldPol {
		t.Fatal("policyd switched to an unconfirmed share")
	}
	if len(e.audit.kinds) != 0 || len(e.records(t)) != 0 {
		t.Fatalf("unconfirmed resharing audited: %v", e.audit.kinds)
	}
	if _, err := mpc.LoadShare(mpc.EpochSharePath(e.dir, 1), e.prot); err != nil {
		t.Fatalf("the persisted (unconfirmed) share: %v", err)
	}
	// The old shares still sign.
	h := digests(1, "old-still-active")
	e.auth.Allow("old", h)
	sigs, err := e.client.Sign(ctx, e.custody, "old", h)
	if err != nil {
		t.Fatal(err)
	}
	if err := mpc.VerifySignature(oldPol.PubKey(), h[0], sigs[0]); err != nil {
		t.Fatal(err)
	}
	e.close()
	mpctest.CheckGoroutines(t, base)
}

type reshareState struct {
	State  string `json:"state"`
	Error  string `json:"error"`
	PubKey string `json:"pubkey"`
	Epoch  int    `json:"epoch"`
}

func reshareStatus(t *testing.T, e *env, sid mpc.SessionID) reshareState {
	t.Helper()
	resp, err := e.httpc.Get(e.base + "/reshare/" + sid.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st reshareState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func waitReshare(t *testing.T, e *env, sid mpc.SessionID) reshareState {
	t.Helper()
	for range 600 {
		if st := reshareStatus(t, e, sid); st.State != "running" && st.State != "confirming" {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("resharing still running")
	return reshareState{}
}

// startReshareRaw posts POST /reshare for ceremony and returns the status.
func startReshareRaw(t *testing.T, e *env, ceremony [32]byte) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"ceremony": hex.EncodeToString(ceremony[:])})
	resp, err := e.httpc.Post(e.base+"/reshare", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, errorBody(resp.Body)
}

// errorBody flattens the API's error envelope {"error":{"code","message"}}
// to {"error":code,"message":message}; a success body decodes as it is.
func errorBody(r io.Reader) map[string]any {
	var raw map[string]json.RawMessage
	json.NewDecoder(r).Decode(&raw)
	out := map[string]any{}
	for k, v := range raw {
		var x any
		json.Unmarshal(v, &x)
		out[k] = x
	}
	var env struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if e, ok := raw["error"]; ok && json.Unmarshal(e, &env) == nil {
		out["error"], out["message"] = env.Code, env.Message
	}
	return out
}

// reshareEnvelope is a well-framed resharing envelope whose protobuf body
// is garbage (tss-lib fails to parse it).
func reshareEnvelope(t *testing.T, sid mpc.SessionID, from, to, typ byte, name string) []byte {
	t.Helper()
	payload, err := proto.Marshal(&anypb.Any{TypeUrl: "type.googleapis.com/binance.tsslib.ecdsa.resharing." + name, Value: []byte{0x0a, 0x03, 1, 2, 3, 0xff}})
	if err != nil {
		t.Fatal(err)
	}
	env := mpc.Envelope{Protocol: mpc.ProtoReshare, Session: sid, From: from, To: to, Type: typ, Payload: payload}
	b, err := env.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReshareRefusalsAndAborts: gating (flag, concurrent signing, one
// ceremony at a time), and forged, replayed, out-of-session and garbled
// resharing messages: refused or aborting the ceremony with custody named,
// policyd's share unchanged, no goroutine left.
func TestReshareRefusalsAndAborts(t *testing.T) {
	t.Run("config", func(t *testing.T) {
		pol, _ := mpctest.Shares(t)
		cfg := mpc.ServerConfig{Share: pol, Authorizer: mpctest.NewAuthorizer(), Net: &chaincfg.RegressionNetParams, AllowReshare: true,
			PreParams: &mpctest.StaticPreParams{}}
		if _, err := mpc.NewServer(cfg); err == nil {
			t.Fatal("AllowReshare without ReshareSink accepted")
		}
		cfg.PreParams, cfg.ReshareSink = nil, func(context.Context, *mpc.Share) error { return nil }
		if _, err := mpc.NewServer(cfg); err == nil {
			t.Fatal("AllowReshare without PreParams accepted")
		}
	})
	t.Run("not enabled", func(t *testing.T) {
		base := runtime.NumGoroutine()
		e := newEnv(t, nil)
		code, body := startReshareRaw(t, e, [32]byte{1})
		if code != http.StatusForbidden || body["error"] != "reshare_refused" {
			t.Fatalf("%d %v", code, body)
		}
		e.close()
		mpctest.CheckGoroutines(t, base)
	})
	t.Run("no share", func(t *testing.T) {
		base := runtime.NumGoroutine()
		e := newReshareEnv(t, func(c *mpc.ServerConfig) { c.Share = nil })
		if code, body := startReshareRaw(t, e.env, [32]byte{1}); code != http.StatusServiceUnavailable {
			t.Fatalf("%d %v", code, body)
		}
		e.close()
		mpctest.CheckGoroutines(t, base)
	})
	t.Run("signing and resharing exclude each other", func(t *testing.T) {
		base := runtime.NumGoroutine()
		e := newReshareEnv(t, func(c *mpc.ServerConfig) { c.SessionTimeout = 20 * time.Second })
		h := digests(1, "busy")
		e.auth.Allow("d", h)
		sids := startRaw(t, e.env, "d", h)
		if code, body := startReshareRaw(t, e.env, [32]byte{2}); code != http.StatusConflict || body["error"] != "busy" {
			t.Fatalf("resharing during signing: %d %v", code, body)
		}
		abortRaw(t, e.env, sids[0])
		waitJob(t, e.env, "d")
		ceremony := [32]byte{3}
		if code, body := startReshareRaw(t, e.env, ceremony); code != http.StatusOK {
			t.Fatalf("resharing: %d %v", code, body)
		}
		if code, _ := startReshareRaw(t, e.env, [32]byte{4}); code != http.StatusConflict {
			t.Fatalf("second resharing: %d", code)
		}
		e.auth.Allow("d2", h)
		b, _ := json.Marshal(map[string]any{"decision_id": "d2", "sighashes": []string{hex.EncodeToString(h[0][:])}})
		resp, err := e.httpc.Post(e.base+"/sign", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		body := errorBody(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict || body["error"] != "resharing" {
			t.Fatalf("signing during resharing: %d %v", resp.StatusCode, body)
		}
		abortRaw(t, e.env, mpc.ReshareSessionID(ceremony))
		if st := waitReshare(t, e.env, mpc.ReshareSessionID(ceremony)); st.State != "failed" {
			t.Fatalf("aborted resharing: %+v", st)
		}
		e.close()
		mpctest.CheckGoroutines(t, base)
	})
	t.Run("forged, replayed, wrong session, garbled", func(t *testing.T) {
		base := runtime.NumGoroutine()
		e := newReshareEnv(t, nil)
		oldPol := e.srv.Share()
		ceremony := [32]byte{5}
		sid := mpc.ReshareSessionID(ceremony)
		if code, body := startReshareRaw(t, e.env, ceremony); code != http.StatusOK {
			t.Fatalf("%d %v", code, body)
		}
		// Joint indices: policyd@0 0, custody@0 1, policyd@1 2, custody@1 3.
		const bc = mpc.ToBroadcast
		ack, err := (&mpc.Envelope{Protocol: mpc.ProtoReshare, Session: sid, From: 3, To: bc, Type: 3, Payload: emptyAck(t)}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			sid  mpc.SessionID
			body []byte
			want int
		}{
			{"claims policyd's old party", sid, reshareEnvelope(t, sid, 0, bc, 1, "DGRound1Message"), http.StatusConflict},
			{"round 1 from custody's new party", sid, reshareEnvelope(t, sid, 3, bc, 1, "DGRound1Message"), http.StatusConflict},
			{"share for policyd's old party", sid, reshareEnvelope(t, sid, 1, 0, 4, "DGRound3Message1"), http.StatusConflict},
			{"other ceremony's session id", sid, reshareEnvelope(t, mpc.ReshareSessionID([32]byte{6}), 1, bc, 1, "DGRound1Message"), http.StatusConflict},
			{"unknown session", mpc.ReshareSessionID([32]byte{6}), reshareEnvelope(t, mpc.ReshareSessionID([32]byte{6}), 1, bc, 1, "DGRound1Message"), http.StatusNotFound},
			{"signing message in a resharing", sid, garbledEnvelope(t, sid, 1), http.StatusConflict},
			{"payload of another type", sid, reshareEnvelope(t, sid, 1, bc, 5, "DGRound1Message"), http.StatusBadRequest},
			{"ack (empty message: valid)", sid, ack, http.StatusAccepted},
			{"ack replayed", sid, ack, http.StatusOK},
			{"garbled round 1", sid, reshareEnvelope(t, sid, 1, bc, 1, "DGRound1Message"), http.StatusAccepted},
		}
		for _, c := range cases {
			if code := postRaw(t, e.env, c.sid, c.body); code != c.want {
				t.Errorf("%s: %d, want %d", c.name, code, c.want)
			}
		}
		st := waitReshare(t, e.env, sid)
		if st.State != "failed" || !strings.Contains(st.Error, "custody@0") {
			t.Fatalf("status %+v: want failed naming custody@0", st)
		}
		if e.srv.Share() != oldPol || len(e.audit.kinds) != 0 {
			t.Fatal("a failed resharing changed the share or was audited")
		}
		// Messages of the ended ceremony are refused.
		if code := postRaw(t, e.env, sid, reshareEnvelope(t, sid, 1, 2, 4, "DGRound3Message1")); code != http.StatusGone {
			t.Errorf("post to the ended ceremony: %d", code)
		}
		e.close()
		mpctest.CheckGoroutines(t, base)
	})
}

// emptyAck is a well-formed DGRound2Message2 (an empty message).
func emptyAck(t *testing.T) []byte {
	b, err := proto.Marshal(&anypb.Any{TypeUrl: "type.googleapis.com/binance.tsslib.ecdsa.resharing.DGRound2Message2"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func abortRaw(t *testing.T, e *env, sid mpc.SessionID) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, e.base+"/sessions/"+sid.String(), nil)
	resp, err := e.httpc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("abort: %d", resp.StatusCode)
	}
}
