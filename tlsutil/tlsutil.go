// Package tlsutil builds the mutual-TLS setup shared by policyd, the custody
// node and the tests: a development CA, server and client certificates, the
// SHA-256 fingerprint the API pins custody client certificates by, and
// tls.Configs for both ends.
//
// Trust model: DevCA is for development and tests only. Its keys are written
// unencrypted (mode 0600) into the given directory; production certificates
// come from the operator's own PKI. The API does not trust the CA alone: it
// additionally pins the custody client certificate by fingerprint.
package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is an in-memory certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// NewCA creates a self-signed ECDSA P-256 CA valid for ten years.
func NewCA(cn string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n
}

// CertPEM is the CA certificate in PEM.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Pool is a pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Issue signs a leaf certificate for cn. Server certificates get hosts as
// DNS names or IP addresses; client certificates get client-auth usage.
func (ca *CA) Issue(cn string, server bool, hosts ...string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(2 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Fingerprint is the lowercase hex SHA-256 of a certificate's DER bytes: the
// value the API's custody pin list holds.
func Fingerprint(der []byte) string {
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:])
}

// FingerprintFile reads a PEM certificate file and returns its fingerprint.
func FingerprintFile(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != "CERTIFICATE" {
		return "", fmt.Errorf("tlsutil: %s holds no PEM certificate", path)
	}
	return Fingerprint(b.Bytes), nil
}

// WritePair writes a certificate and its key as PEM files (key mode 0600).
func WritePair(c tls.Certificate, certPath, keyPath string) error {
	key, ok := c.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return errors.New("tlsutil: only ECDSA keys are written")
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}

// DevFiles are the paths DevCA wrote.
type DevFiles struct {
	Dir        string
	CACert     string
	CAKey      string
	ServerCert string
	ServerKey  string
	ClientCert string
	ClientKey  string
	// ClientFingerprint pins the client certificate (for the API config).
	ClientFingerprint string
}

// DevCA makes (or reuses, when all files already exist) a development CA in
// dir with a server certificate for localhost/127.0.0.1/::1 and one custody
// client certificate. Development and tests only.
func DevCA(dir string) (*DevFiles, error) {
	f := &DevFiles{Dir: dir,
		CACert: filepath.Join(dir, "ca.pem"), CAKey: filepath.Join(dir, "ca-key.pem"),
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client-key.pem")}
	all := true
	for _, p := range []string{f.CACert, f.CAKey, f.ServerCert, f.ServerKey, f.ClientCert, f.ClientKey} {
		if _, err := os.Stat(p); err != nil {
			all = false
		}
	}
	if !all {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		ca, err := NewCA("policyd dev CA")
		if err != nil {
			return nil, err
		}
		srv, err := ca.Issue("policyd", true, "localhost", "127.0.0.1", "::1")
		if err != nil {
			return nil, err
		}
		cli, err := ca.Issue("custody", false)
		if err != nil {
			return nil, err
		}
		caPair := tls.Certificate{Certificate: [][]byte{ca.Cert.Raw}, PrivateKey: ca.Key}
		for _, w := range []struct {
			c         tls.Certificate
			cert, key string
		}{{caPair, f.CACert, f.CAKey}, {srv, f.ServerCert, f.ServerKey}, {cli, f.ClientCert, f.ClientKey}} {
			if err := WritePair(w.c, w.cert, w.key); err != nil {
				return nil, err
			}
		}
	}
	fp, err := FingerprintFile(f.ClientCert)
	if err != nil {
		return nil, err
	}
	f.ClientFingerprint = fp
	return f, nil
}

func loadPool(caFile string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(raw) {
		return nil, fmt.Errorf("tlsutil: no certificate in %s", caFile)
	}
	return p, nil
}

// ServerConfig is a TLS 1.3 server config that asks for a client certificate
// and verifies it against clientCAFile when one is given (the API then pins
// it by fingerprint; callers without one use bearer tokens or signatures).
func ServerConfig(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	pool, err := loadPool(clientCAFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}, nil
}

// ClientConfig trusts caFile and presents certFile/keyFile when both are set.
func ClientConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13}
	if caFile != "" {
		pool, err := loadPool(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
