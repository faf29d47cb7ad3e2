package mpc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/btcsuite/btcd/chaincfg"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

type env struct {
	t       *testing.T
	srv     *mpc.Server
	auth    *mpctest.Authorizer
	client  *mpc.Client
	httpc   *http.Client
	base    string
	custody *mpc.Share
	close   func()
}

func newEnv(t *testing.T, mut func(*mpc.ServerConfig)) *env {
	t.Helper()
	pol, cus := mpctest.Shares(t)
	auth := mpctest.NewAuthorizer()
	cfg := mpc.ServerConfig{Share: pol, Authorizer: auth, Net: &chaincfg.RegressionNetParams, SessionTimeout: 3 * time.Minute}
	if mut != nil {
		mut(&cfg)
	}
	srv, err := mpc.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pki := mpctest.NewPKI(t, "custody")
	ts, base := mpctest.StartTLS(t, pki, apiHandler(t, pki, srv))
	httpc := mpc.NewHTTPClient(pki.Client)
	cl, err := mpc.NewClient(mpc.ClientConfig{BaseURL: base, HTTP: httpc, SessionTimeout: 4 * time.Minute, PollWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, auth: auth, client: cl, httpc: httpc, base: base, custody: cus}
	e.close = func() {
		srv.Close()
		httpc.CloseIdleConnections()
		ts.Close()
	}
	return e
}

func digests(k int, tag string) [][32]byte {
	out := make([][32]byte, k)
	for i := range out {
		out[i] = sha256.Sum256([]byte(fmt.Sprintf("%s/%d", tag, i)))
	}
	return out
}

func TestSignOverMutualTLS(t *testing.T) {
	// 16 inputs, with a PSBT and the script engine: mpc/custody's tests.
	for _, k := range []int{1, 4} {
		t.Run(fmt.Sprintf("inputs=%d", k), func(t *testing.T) {
			if k > 1 && testing.Short() {
				t.Skip("short")
			}
			base := runtime.NumGoroutine()
			e := newEnv(t, nil)
			h := digests(k, t.Name())
			e.auth.Allow("d1", h)
			sigs, err := e.client.Sign(context.Background(), e.custody, "d1", h)
			if err != nil {
				t.Fatal(err)
			}
			rec := e.auth.RecordedFor("d1")
			if len(sigs) != k || len(rec) != k {
				t.Fatalf("got %d signatures, %d recorded, want %d", len(sigs), len(rec), k)
			}
			for i := range sigs {
				if err := mpc.VerifySignature(e.custody.PubKey(), h[i], sigs[i]); err != nil {
					t.Fatalf("input %d: %v", i, err)
				}
				if !bytes.Equal(sigs[i], rec[i]) {
					t.Fatalf("input %d: custody and policyd signatures differ", i)
				}
			}
			// A decision signs once.
			if _, err := e.client.Sign(context.Background(), e.custody, "d1", h); err == nil {
				t.Fatal("second signing of the same decision succeeded")
			}
			e.close()
			mpctest.CheckGoroutines(t, base)
		})
	}
}

func TestClientWithoutCertificateRefused(t *testing.T) {
	pol, _ := mpctest.Shares(t)
	srv, err := mpc.NewServer(mpc.ServerConfig{Share: pol, Authorizer: mpctest.NewAuthorizer(), Net: &chaincfg.RegressionNetParams})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pki := mpctest.NewPKI(t, "custody")
	ts, base := mpctest.StartTLS(t, pki, apiHandler(t, pki, srv))
	defer ts.Close()
	c := mpc.NewHTTPClient(pki.NoCert)
	defer c.CloseIdleConnections()
	resp, err := c.Get(base + "/sign/x")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("request without client certificate got %d", resp.StatusCode)
	}
}

// TestNoSignatureCases: every way a signing can go wrong ends without a
// signature leaving policyd and without leaked goroutines.
func TestNoSignatureCases(t *testing.T) {
	cases := []struct {
		name string
		mut  func(*mpc.ServerConfig)
		run  func(t *testing.T, e *env) error
		want error
	}{
		{"sighash mismatch", nil, func(t *testing.T, e *env) error {
			h := digests(2, "m")
			e.auth.Allow("d", h)
			other := digests(2, "m")
			other[1][0] ^= 1
			_, err := e.client.Sign(context.Background(), e.custody, "d", other)
			return err
		}, mpc.ErrSighashMismatch},
		{"not allowed", nil, func(t *testing.T, e *env) error {
			_, err := e.client.Sign(context.Background(), e.custody, "unknown", digests(1, "x"))
			return err
		}, nil},
		{"record fails: final message withheld", nil, func(t *testing.T, e *env) error {
			e.auth.RecordErr = errors.New("disk full")
			h := digests(1, "r")
			e.auth.Allow("d", h)
			_, err := e.client.Sign(context.Background(), e.custody, "d", h)
			return err
		}, mpc.ErrAborted},
		{"peer goes silent", func(c *mpc.ServerConfig) { c.SessionTimeout = time.Second }, func(t *testing.T, e *env) error {
			h := digests(1, "s")
			e.auth.Allow("d", h)
			sids := startRaw(t, e, "d", h)
			st := waitJob(t, e, "d")
			if !strings.Contains(st.Error, "timeout") || !strings.Contains(st.Error, "custody") {
				t.Errorf("status %+v: want a timeout naming custody", st)
			}
			// Messages of an ended session are refused.
			if code := postRaw(t, e, sids[0], garbledEnvelope(t, sids[0], 1)); code != http.StatusGone {
				t.Errorf("post to ended session: %d", code)
			}
			return errors.New(st.Error)
		}, nil},
		{"garbled message aborts and names the sender", nil, func(t *testing.T, e *env) error {
			h := digests(1, "g")
			e.auth.Allow("d", h)
			sids := startRaw(t, e, "d", h)
			if code := postRaw(t, e, sids[0], garbledEnvelope(t, sids[0], 1)); code != http.StatusAccepted {
				t.Errorf("garbled but well-framed message: %d", code)
			}
			st := waitJob(t, e, "d")
			if st.State != "failed" || !strings.Contains(st.Error, "custody") {
				t.Errorf("status %+v: want failed naming custody", st)
			}
			return errors.New(st.Error)
		}, nil},
		{"forged, replayed, wrong session", func(c *mpc.ServerConfig) { c.SessionTimeout, c.Parallel = time.Second, 1 }, func(t *testing.T, e *env) error {
			h := digests(2, "f")
			e.auth.Allow("d", h)
			sids := startRaw(t, e, "d", h)
			good := garbledEnvelope(t, sids[0], 1)
			forged := bytes.Clone(good)
			forged[38], forged[39] = 0, 1 // claims to come from policyd
			if code := postRaw(t, e, sids[0], forged); code != http.StatusConflict {
				t.Errorf("forged sender: %d", code)
			}
			if code := postRaw(t, e, sids[1], good); code != http.StatusConflict {
				t.Errorf("envelope of session 0 posted to session 1: %d", code)
			}
			other := mpc.SignSessionID("other", 0)
			if code := postRaw(t, e, other, garbledEnvelope(t, other, 1)); code != http.StatusNotFound {
				t.Errorf("unknown session: %d", code)
			}
			bad := bytes.Clone(good)
			bad[40] = 4 // type code of a broadcast, flag says p2p
			if code := postRaw(t, e, sids[0], bad); code != http.StatusBadRequest {
				t.Errorf("type/broadcast mismatch: %d", code)
			}
			// Replay: the second copy is dropped. Parallel=1 keeps session 1
			// queued (not started) while session 0 waits for its timeout.
			env1 := garbledEnvelope(t, sids[1], 1)
			first, second := postRaw(t, e, sids[1], env1), postRaw(t, e, sids[1], env1)
			if first != http.StatusAccepted || second != http.StatusOK {
				t.Errorf("replay: first %d, second %d", first, second)
			}
			st := waitJob(t, e, "d")
			return errors.New(st.Error)
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			e := newEnv(t, tc.mut)
			err := tc.run(t, e)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			for id, s := range e.auth.Recorded {
				t.Errorf("signatures recorded for %s: %d", id, len(s))
			}
			e.close()
			mpctest.CheckGoroutines(t, base)
		})
	}
}

func startRaw(t *testing.T, e *env, id string, h [][32]byte) []mpc.SessionID {
	t.Helper()
	var req struct {
		DecisionID string   `json:"decision_id"`
		Sighashes  []string `json:"sighashes"`
	}
	req.DecisionID = id
	for _, x := range h {
		req.Sighashes = append(req.Sighashes, hex.EncodeToString(x[:]))
	}
	b, _ := json.Marshal(req)
	resp, err := e.httpc.Post(e.base+"/sign", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	var out struct{ Sessions []string }
	json.NewDecoder(resp.Body).Decode(&out)
	var sids []mpc.SessionID
	for i, s := range out.Sessions {
		want := mpc.SignSessionID(id, i)
		if s != want.String() {
			t.Fatalf("session %d: %s, want %s", i, s, want)
		}
		sids = append(sids, want)
	}
	return sids
}

// garbledEnvelope is a well-framed SignRound1Message1 from custody to
// policyd whose protobuf body is garbage.
func garbledEnvelope(t *testing.T, sid mpc.SessionID, typ byte) []byte {
	t.Helper()
	payload, err := proto.Marshal(&anypb.Any{TypeUrl: "type.googleapis.com/binance.tsslib.ecdsa.signing.SignRound1Message1", Value: []byte{0x0a, 0x03, 1, 2, 3, 0xff}})
	if err != nil {
		t.Fatal(err)
	}
	e := mpc.Envelope{Protocol: mpc.ProtoSigning, Session: sid, From: 1, To: 0, Type: typ, Payload: payload}
	b, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func postRaw(t *testing.T, e *env, sid mpc.SessionID, body []byte) int {
	t.Helper()
	resp, err := e.httpc.Post(e.base+"/sessions/"+sid.String()+"/messages", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

type jobStatus struct {
	State string `json:"state"`
	Error string `json:"error"`
}

func waitJob(t *testing.T, e *env, id string) jobStatus {
	t.Helper()
	for i := 0; i < 600; i++ {
		resp, err := e.httpc.Get(e.base + "/sign/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var st jobStatus
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if st.State != "running" {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("job still running")
	return jobStatus{}
}

// memAudit records audit appends in memory (and proves they ran in the tx
// and that the audit verifier would accept the body).
type memAudit struct{ kinds []string }

func (m *memAudit) AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error) {
	if !tx.Writable() {
		return 0, errors.New("read-only tx")
	}
	if _, err := audit.EncodeRecord(uint64(len(m.kinds)), at, body); err != nil {
		return 0, err
	}
	m.kinds = append(m.kinds, body.Kind())
	return uint64(len(m.kinds)), nil
}

func TestKeygenOverTransportThenSign(t *testing.T) {
	if testing.Short() {
		t.Skip("keygen takes seconds")
	}
	base := runtime.NumGoroutine()
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	audit := &memAudit{}
	sharePath := filepath.Join(t.TempDir(), "policyd-share.age")
	prot := mpctest.Protector(t)
	e := newEnv(t, func(c *mpc.ServerConfig) {
		c.Share = nil
		c.AllowKeygen = true
		c.PreParams = &mpctest.StaticPreParams{Sets: []*keygen.LocalPreParams{mpctest.PreParams(t, 0)}}
		c.ShareSink = func(ctx context.Context, s *mpc.Share) error { return mpc.SaveShare(sharePath, s, prot) }
		c.DB, c.Audit = db, audit
	})
	defer e.close()
	custody, err := e.client.Keygen(context.Background(), mpc.PartyCustody, mpctest.PreParams(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := mpc.LoadShare(sharePath, prot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pol.PubKeyBytes(), custody.PubKeyBytes()) || e.srv.Share() == nil {
		t.Fatal("parties disagree on the group key")
	}
	if len(audit.kinds) != 1 || audit.kinds[0] != "keygen" {
		t.Fatalf("audit: %v", audit.kinds)
	}
	checkKeygenConfirmation(t, db, pol)
	// A second ceremony is refused while a share is loaded.
	if _, err := e.client.Keygen(context.Background(), mpc.PartyCustody, mpctest.PreParams(t, 1)); err == nil {
		t.Fatal("second keygen accepted")
	}
	h := digests(1, "kg")
	e.auth.Allow("after-keygen", h)
	sigs, err := e.client.Sign(context.Background(), custody, "after-keygen", h)
	if err != nil {
		t.Fatal(err)
	}
	if err := mpc.VerifySignature(pol.PubKey(), h[0], sigs[0]); err != nil {
		t.Fatal(err)
	}
	e.close()
	mpctest.CheckGoroutines(t, base)
}
