package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// testPolicyd serves a real audit log's export at /v1/audit/export, and
// the witness routes the relayer's witness uses, over TLS to the bearer
// token "auditor-token", as policyd does.
type testPolicyd struct {
	db     *storage.DB
	log    *audit.Log
	key    string
	srv    *httptest.Server
	caPEM  []byte
	cosigs atomic.Int32
}

func startPolicyd(t *testing.T) *testPolicyd {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "policyd.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	skey, vkey, err := audit.GenerateKey("policyd-audit")
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	p := &testPolicyd{db: db, log: l, key: vkey}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer auditor-token" {
			http.Error(w, `{"code":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/v1/audit/consistency": // the relayer's witness asks for proofs
			old, n := parseU(r.URL.Query().Get("old")), parseU(r.URL.Query().Get("new"))
			proof, err := l.ConsistencyProof(r.Context(), old, n)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			json.NewEncoder(w).Encode(api.ConsistencyProof{Old: old, New: n, Proof: proof})
			return
		case "/v1/audit/cosignatures": // and posts its cosignature
			var req api.CosignaturesRequest
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !strings.HasPrefix(req.Cosignatures, "— relayer ") {
				http.Error(w, "bad cosignature", http.StatusBadRequest)
				return
			}
			p.cosigs.Add(1)
			json.NewEncoder(w).Encode(api.CosignaturesResponse{Witnesses: []string{"relayer"}})
			return
		case "/v1/audit/export":
		default:
			http.NotFound(w, r)
			return
		}
		var q audit.ExportRequest
		if v := r.URL.Query().Get("from"); v != "" {
			q.From = parseU(v)
		}
		if v := r.URL.Query().Get("since_size"); v != "" {
			q.Since = parseU(v)
		}
		var buf bytes.Buffer
		if err := l.ExportRange(r.Context(), &buf, q); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(buf.Bytes())
	}))
	t.Cleanup(p.srv.Close)
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
	return p
}

func parseU(s string) uint64 {
	var n uint64
	for _, c := range s {
		n = n*10 + uint64(c-'0')
	}
	return n
}

func (p *testPolicyd) allow(t *testing.T, txid string, bridgeSat int64, claims ...string) {
	t.Helper()
	r := decision.Record{V: 1, ID: "dec-" + txid[:8], State: decision.StateSigned, Time: time.Now().UTC(), TxID: txid, Outcome: policy.Allow,
		Decision: policy.Decision{Outcome: policy.Allow, Claims: claims, BridgeSource: policy.SourceOpReturn, BridgeSat: bridgeSat}}
	if err := p.db.Update(func(tx *bolt.Tx) error {
		_, err := p.log.Append(tx, "decision", r.Time, r)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
