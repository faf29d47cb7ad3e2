package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/custody"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

// keyFlags select how secrets at rest are protected.
type keyFlags struct {
	passFile string
	identity string
	work     int
}

func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.passFile, "passphrase-file", "", "file holding the age passphrase (else $CUSTODY_PASSPHRASE, else asked on the terminal)")
	fs.StringVar(&k.identity, "identity", "", "age X25519 identity file (instead of a passphrase)")
	fs.IntVar(&k.work, "scrypt-work-factor", mpc.DefaultScryptWorkFactor, "scrypt log2(N) when encrypting with a passphrase")
}

func (k *keyFlags) protector() (*mpc.Protector, error) {
	if k.identity != "" {
		f, err := os.Open(k.identity)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return mpc.NewIdentityProtector(f)
	}
	pass, err := cli.Secret(k.passFile, "CUSTODY_PASSPHRASE", "share passphrase: ", os.Stderr)
	if err != nil {
		return nil, fmt.Errorf("no passphrase: use --passphrase-file, $CUSTODY_PASSPHRASE, --identity or a terminal: %w", err)
	}
	return mpc.NewPassphraseProtector(pass, k.work)
}

// tlsFlags configure the mutual-TLS client.
type tlsFlags struct {
	server, ca, cert, key string
}

func (t *tlsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.server, "server", "", "policyd base URL, e.g. https://policyd:8443")
	fs.StringVar(&t.ca, "ca", "", "PEM CA bundle that signed policyd's certificate")
	fs.StringVar(&t.cert, "cert", "", "PEM client certificate (custody role)")
	fs.StringVar(&t.key, "key", "", "PEM client key")
}

// transports are the custody node's two HTTP clients to policyd over the
// same TLS identity: the REST API's (client.NewHTTPClient: HTTP/1.1
// keep-alive with TLS session resumption, on which policyd spends less CPU
// per request than on HTTP/2, README "Benchmarks") and the MPC protocol's
// (mpc.NewHTTPClient, HTTP/2: its long polls share one connection).
type transports struct{ rest, mpc *http.Client }

func newTransports(cfg *tls.Config) transports {
	return transports{rest: client.NewHTTPClient(cfg, restConns), mpc: mpc.NewHTTPClient(cfg.Clone())}
}

// restConns is how many REST connections a custody process keeps open.
const restConns = 4

// node is custody.NewNode with its REST calls on t.rest and the MPC
// protocol on t.mpc.
func (t transports) node(server string, share *mpc.Share) (*custody.Node, error) {
	n, err := custody.NewNode(server, t.mpc, share)
	if err != nil {
		return nil, err
	}
	if n.API, err = client.New(server, client.WithHTTPClient(t.rest)); err != nil {
		return nil, err
	}
	return n, nil
}

func (t *tlsFlags) client() (transports, error) {
	if t.server == "" || t.ca == "" || t.cert == "" || t.key == "" {
		return transports{}, cli.Usagef("--server, --ca, --cert and --key are required")
	}
	pem, err := os.ReadFile(t.ca)
	if err != nil {
		return transports{}, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return transports{}, fmt.Errorf("%s: no certificates", t.ca)
	}
	cert, err := tls.LoadX509KeyPair(t.cert, t.key)
	if err != nil {
		return transports{}, err
	}
	return newTransports(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// fail prints err and returns its exit code (internal/cli's scheme: a
// usage error is 2, anything unclassified is a refusal, 1).
func fail(stderr interface{ Write([]byte) (int, error) }, err error) int {
	fmt.Fprintln(stderr, "custody:", err)
	return cli.Code(err)
}

// loadPreParams reads age-encrypted pre-parameters from path, or, with no
// path, generates them (safe primes: minutes).
func loadPreParams(path string, prot *mpc.Protector, stderr io.Writer) (*keygen.LocalPreParams, error) {
	if path != "" {
		ct, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return mpc.UnmarshalPreParams(ct, prot)
	}
	fmt.Fprintln(stderr, "generating pre-parameters (safe primes): this can take minutes")
	return keygen.GeneratePreParams(30 * time.Minute)
}
