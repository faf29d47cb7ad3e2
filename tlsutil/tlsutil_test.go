package tlsutil

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDevCAMutualTLS(t *testing.T) {
	dir := t.TempDir()
	f, err := DevCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := DevCA(dir)
	if err != nil || again.ClientFingerprint != f.ClientFingerprint {
		t.Fatalf("DevCA did not reuse its files: %v", err)
	}
	scfg, err := ServerConfig(f.ServerCert, f.ServerKey, f.CACert)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			io.WriteString(w, "none")
			return
		}
		io.WriteString(w, Fingerprint(r.TLS.PeerCertificates[0].Raw))
	}))
	srv.TLS = scfg
	srv.StartTLS()
	defer srv.Close()
	get := func(cfg *tls.Config) (string, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := c.Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	withCert, _ := ClientConfig(f.CACert, f.ClientCert, f.ClientKey)
	if got, err := get(withCert); err != nil || got != f.ClientFingerprint {
		t.Fatalf("client cert: %q %v", got, err)
	}
	noCert, _ := ClientConfig(f.CACert, "", "")
	if got, err := get(noCert); err != nil || got != "none" {
		t.Fatalf("no client cert: %q %v", got, err)
	}
	// a client certificate from another CA never authenticates: Go's client
	// withholds it (not from an acceptable CA) or the handshake fails
	other, _ := NewCA("other")
	foreign, _ := other.Issue("intruder", false)
	cfg := noCert.Clone()
	cfg.Certificates = []tls.Certificate{foreign}
	if got, err := get(cfg); err == nil && got != "none" {
		t.Fatalf("foreign client certificate accepted: %s", got)
	}
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreign, nil }
	if got, err := get(cfg); err == nil {
		t.Fatalf("forced foreign certificate accepted: %s", got)
	}
	// the server is not trusted without the CA
	if _, err := get(&tls.Config{MinVersion: tls.VersionTLS13}); err == nil {
		t.Fatal("server trusted without its CA")
	}
}
