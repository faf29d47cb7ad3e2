package client_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// NewHTTPClient speaks HTTP/1.1 to the real api handler over mutual TLS,
// keeps its connection for the next request, and a reconnection resumes
// the TLS session without losing the custody role (the pinned client
// certificate is still verified and seen by the API).
func TestNewHTTPClientKeepAliveAndResumption(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	admin, _ := crypto.GenerateKey()
	gov, err := governance.New(governance.Config{DB: db, Audit: appender{}, Net: &chaincfg.RegressionNetParams, Domain: domain,
		BitlayerAdmins: []common.Address{crypto.PubkeyToAddress(admin.PublicKey)}, Quorum: 1})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := tlsutil.NewCA("transport test CA")
	if err != nil {
		t.Fatal(err)
	}
	custodyCert, _ := ca.Issue("custody", false)
	h, err := api.New(api.Config{Governance: gov, Sign: &signScript{},
		CustodyFingerprints: []string{tlsutil.Fingerprint(custodyCert.Certificate[0])}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var protos []string
	var conns, resumed int
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos = append(protos, r.Proto)
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	serverCert, _ := ca.Issue("policyd", true, "127.0.0.1")
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.VerifyClientCertIfGiven,
		ClientCAs: ca.Pool(), MinVersion: tls.VersionTLS13,
		VerifyConnection: func(cs tls.ConnectionState) error {
			mu.Lock()
			defer mu.Unlock()
			if cs.DidResume {
				resumed++
			}
			return nil
		}}
	srv.EnableHTTP2 = true // the server offers both; the client picks HTTP/1.1
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	httpc := client.NewHTTPClient(&tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{custodyCert}, MinVersion: tls.VersionTLS13}, 4)
	c, err := client.New(srv.URL, client.WithHTTPClient(httpc))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if v, err := c.DryRun(ctx, psbtReq('A')); err != nil || v.Outcome != "allow" {
			t.Fatalf("dry run: %+v %v", v, err)
		}
	}
	httpc.CloseIdleConnections()
	// a new connection: the session resumes, the custody role holds
	if v, err := c.DryRun(ctx, psbtReq('A')); err != nil || v.Outcome != "allow" {
		t.Fatalf("dry run after reconnecting: %+v %v", v, err)
	}
	// and a client without the certificate is still refused
	anon, _ := client.New(srv.URL, client.WithHTTPClient(client.NewHTTPClient(&tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS13}, 1)))
	if _, err := anon.DryRun(ctx, psbtReq('A')); errCode(err) != "401 unauthenticated" {
		t.Fatalf("no certificate: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range protos {
		if p != "HTTP/1.1" {
			t.Fatalf("protocols %v, want HTTP/1.1 only", protos)
		}
	}
	if conns != 3 || resumed != 1 {
		t.Fatalf("%d connections (want 3: one kept for three requests, one after closing, the anonymous one), %d resumed (want 1)", conns, resumed)
	}
}
