// Package mpctest holds test helpers for the MPC protocol: a throw-away
// PKI for mutual TLS, the committed fixture shares, a recording Authorizer
// and a goroutine-leak check. Tests and dev tooling only.
package mpctest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/mpc"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

// PKI is a test CA with one server and one client certificate.
type PKI struct {
	Server *tls.Config // requires and verifies client certificates
	Client *tls.Config // presents the client certificate, trusts the CA
	// NoCert trusts the CA but presents no certificate.
	NoCert *tls.Config
}

// NewPKI generates a CA, a server certificate for 127.0.0.1 and a client
// certificate with CN clientName.
func NewPKI(t testing.TB, clientName string) *PKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mpctest CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	leaf := func(serial int64, cn string, server bool) tls.Certificate {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tm := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature}
		if server {
			tm.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tm.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
			tm.DNSNames = []string{"localhost"}
		} else {
			tm.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		der, err := x509.CreateCertificate(rand.Reader, tm, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	return &PKI{
		Server: &tls.Config{Certificates: []tls.Certificate{leaf(2, "policyd", true)}, ClientAuth: tls.RequireAndVerifyClientCert,
			ClientCAs: pool, MinVersion: tls.VersionTLS13, NextProtos: []string{"h2", "http/1.1"}},
		Client: &tls.Config{Certificates: []tls.Certificate{leaf(3, clientName, false)}, RootCAs: pool, MinVersion: tls.VersionTLS13},
		NoCert: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13},
	}
}

// StartTLS serves h (policyd's API handler with the MPC server mounted:
// see mpc's tests) on an httptest server that requires client
// certificates. It returns the base URL of the MPC routes, /v1/mpc.
func StartTLS(t testing.TB, pki *PKI, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.TLS = pki.Server
	ts.EnableHTTP2 = true
	ts.StartTLS()
	return ts, ts.URL + "/v1/mpc"
}

// CustodyFingerprint is the pin of pki.Client's certificate (what policyd's
// configuration lists for the custody node).
func CustodyFingerprint(pki *PKI) string {
	sum := sha256.Sum256(pki.Client.Certificates[0].Certificate[0])
	return hex.EncodeToString(sum[:])
}

// Protector returns the fixtures' dev-only protector.
func Protector(t testing.TB) *mpc.Protector {
	t.Helper()
	p, err := mpc.NewPassphraseProtector(tssfixtures.DevPassphrase, tssfixtures.DevWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Shares loads the fixture shares of policyd and custody.
func Shares(t testing.TB) (policyd, custody *mpc.Share) {
	t.Helper()
	p := Protector(t)
	load := func(name string) *mpc.Share {
		ct, err := tssfixtures.Share(name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := mpc.UnmarshalShare(ct, p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return load(mpc.PartyPolicyd), load(mpc.PartyCustody)
}

// PreParams loads spare fixture pre-parameter set i.
func PreParams(t testing.TB, i int) *keygen.LocalPreParams {
	t.Helper()
	ct, err := tssfixtures.PreParams(i)
	if err != nil {
		t.Fatal(err)
	}
	pre, err := mpc.UnmarshalPreParams(ct, Protector(t))
	if err != nil {
		t.Fatal(err)
	}
	return pre
}

// StaticPreParams hands out the given sets once each.
type StaticPreParams struct {
	mu   sync.Mutex
	Sets []*keygen.LocalPreParams
}

// Take implements mpc.PreParamsSource.
func (s *StaticPreParams) Take(ctx context.Context) (*keygen.LocalPreParams, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.Sets) == 0 {
		return nil, errors.New("mpctest: no pre-parameters left")
	}
	p := s.Sets[0]
	s.Sets = s.Sets[1:]
	return p, nil
}

// Authorizer is an in-memory decision service: decisions in Allowed may be
// signed once; recorded signatures are kept. RecordErr makes recording fail.
type Authorizer struct {
	mu        sync.Mutex
	Allowed   map[string][][32]byte
	Began     map[string]bool
	Recorded  map[string][][]byte
	RecordErr error
}

// NewAuthorizer returns an empty Authorizer.
func NewAuthorizer() *Authorizer {
	return &Authorizer{Allowed: map[string][][32]byte{}, Began: map[string]bool{}, Recorded: map[string][][]byte{}}
}

// Allow registers an allowed decision.
func (a *Authorizer) Allow(id string, hashes [][32]byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Allowed[id] = hashes
}

// BeginSigning implements mpc.Authorizer.
// Like the decision service, it compares the peer's sighashes first and
// refuses a mismatch without marking the decision begun.
func (a *Authorizer) BeginSigning(ctx context.Context, id string, peer [][32]byte) ([][32]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	h, ok := a.Allowed[id]
	if !ok || a.Began[id] {
		// classified like the decision service's refusal
		return nil, errs.New(errs.KindForbidden, "decision_not_allowed", "the decision does not allow signing",
			fmt.Errorf("decision %q is not in state allowed", id))
	}
	if len(peer) != len(h) {
		return nil, fmt.Errorf("%w: %d authorized, peer sent %d", mpc.ErrSighashMismatch, len(h), len(peer))
	}
	for i := range h {
		if h[i] != peer[i] {
			return nil, fmt.Errorf("%w: input %d", mpc.ErrSighashMismatch, i)
		}
	}
	a.Began[id] = true
	return h, nil
}

// RecordSignatures implements mpc.Authorizer.
func (a *Authorizer) RecordSignatures(ctx context.Context, id string, sigs [][]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.RecordErr != nil {
		return a.RecordErr
	}
	if !a.Began[id] {
		return fmt.Errorf("decision %q is not signing", id)
	}
	a.Recorded[id] = sigs
	return nil
}

// RecordedFor returns the recorded signatures of a decision.
func (a *Authorizer) RecordedFor(id string) [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Recorded[id]
}

// CheckGoroutines waits (up to 10 s) for the goroutine count to fall back
// to base and fails the test with the remaining stacks otherwise.
func CheckGoroutines(t testing.TB, base int) {
	t.Helper()
	var n int
	for i := 0; i < 200; i++ {
		if n = runtime.NumGoroutine(); n <= base {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var ours []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "policyd/mpc") || strings.Contains(g, "tss-lib") {
			ours = append(ours, g)
		}
	}
	t.Errorf("goroutines: %d, baseline %d; mpc/tss stacks:\n%s", n, base, strings.Join(ours, "\n\n"))
}
