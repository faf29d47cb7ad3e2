package main

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/tlsutil"
	"github.com/bitlayer-org/policyd/witness"
)

// policyctl pki makes the deployment's mutual-TLS material and every secret
// file docker-compose.yml mounts, so an operator starts from one command and
// not from a hand-written openssl recipe:
//
//	policyctl pki init --out deploy/secrets --server-host policyd --server-host localhost
//	policyctl pki pin --cert custody_tls_cert.pem
//	policyctl pki token --name grafana --role reader --out grafana_token.txt
//
// init never overwrites a file (an existing deployment's keys are not
// replaced by accident); it prints the `auth` block of policyd's
// configuration (the custody pin and the token hashes), never a secret.

// pkiFile is one file pki init writes.
type pkiFile struct {
	name   string
	mode   fs.FileMode
	secret bool // holds a secret (private key, passphrase, token)
}

// secretFiles lists every file deploy/secrets/README.md documents, in the
// order init writes them. The compose secrets and this list must agree
// (TestPKIInitWritesEveryComposeSecret).
var secretFiles = []pkiFile{
	{"ca.pem", 0o644, false},
	{"ca-key.pem", 0o600, true},
	{"policyd_tls_cert.pem", 0o644, false},
	{"policyd_tls_key.pem", 0o600, true},
	{"custody_tls_cert.pem", 0o644, false},
	{"custody_tls_key.pem", 0o600, true},
	{"policyd_share_passphrase.txt", 0o600, true},
	{"custody_share_passphrase.txt", 0o600, true},
	{"prometheus_token.txt", 0o600, true},
	{"auditor_token.txt", 0o600, true},
	{"operator_token.txt", 0o600, true}, // policyctl backup (operator role); no container mounts it
	{"btcd_rpc_pass.txt", 0o600, true},
	{"relayer_keystore_pass.txt", 0o600, true},
	{"relayer_keystore.json", 0o600, true},
	// The witnesses of policyd's audit log (docs/audit.md): their verifier
	// keys are printed for policyd's audit.witnesses, so both are enrolled
	// before policyd's first start.
	{"custody_witness.key", 0o600, true},
	{"relayer_witness.key", 0o600, true},
}

// kitWitnesses are the cosigner names of the witness keys init makes, by
// file (the names policyd's audit.witnesses lists them under).
var kitWitnesses = []struct{ file, name string }{
	{"custody_witness.key", "custody"},
	{"relayer_witness.key", "relayer"},
}

func runPKI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, `usage: policyctl pki <init|pin|token> [flags]
  init   make the CA, policyd's server and custody's client certificates and
         every secret file of deploy/secrets (refuses to overwrite)
  pin    print a certificate's SHA-256 pin (auth.custody_cert_sha256)
  token  make a bearer token file and print its config entry (auth.tokens)
`)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "init":
		return pkiInit(args[1:], stdout, stderr)
	case "pin":
		return pkiPin(args[1:], stdout, stderr)
	case "token":
		return pkiToken(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "policyctl pki: unknown command %q\n", args[0])
	return 2
}

type hostList []string

func (h *hostList) String() string     { return strings.Join(*h, ",") }
func (h *hostList) Set(v string) error { *h = append(*h, v); return nil }

// pkiAuth is the `auth` block of policyd's configuration that init prints.
type pkiAuth struct {
	CustodyCertSHA256 []string    `json:"custody_cert_sha256"`
	Tokens            []api.Token `json:"tokens"`
}

// pkiWitness is one entry of policyd's audit.witnesses that init prints.
type pkiWitness struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// pkiOutput is what init prints: the auth block and the audit witnesses of
// policyd's configuration (public values only; config render reads it).
type pkiOutput struct {
	Auth  *pkiAuth `json:"auth"`
	Audit struct {
		Witnesses []pkiWitness `json:"witnesses"`
	} `json:"audit"`
}

func pkiInit(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("policyctl pki init", flag.ContinueOnError)
	flags.SetOutput(stderr)
	out := flags.String("out", "deploy/secrets", "directory to write into (created 0700)")
	var hosts hostList
	flags.Var(&hosts, "server-host", "DNS name or IP of policyd's server certificate (repeatable; default policyd, localhost, 127.0.0.1)")
	keystoreScrypt := flags.Bool("light-keystore", false, "encrypt the relayer keystore with go-ethereum's light scrypt parameters (tests and throwaway runs)")
	if err := flags.Parse(args); err != nil {
		return flagExit(err)
	}
	if len(hosts) == 0 {
		hosts = hostList{"policyd", "localhost", "127.0.0.1"}
	}
	res, err := writeDeploymentSecrets(*out, hosts, *keystoreScrypt)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl pki init: %v\n", err)
		var exists *existsError
		if errors.As(err, &exists) {
			return 1
		}
		return 3
	}
	fmt.Fprintf(stderr, "policyctl pki init: wrote %d files to %s (private keys and secrets mode 0600)\n", len(secretFiles), *out)
	fmt.Fprintln(stderr, "put this auth block and these audit witnesses into policyd's configuration (policyctl config render --auth does):")
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return 3
	}
	return 0
}

// existsError refuses to overwrite a deployment's material.
type existsError struct{ path string }

func (e *existsError) Error() string {
	return fmt.Sprintf("%s exists: refusing to overwrite a deployment's keys (move the directory away first)", e.path)
}

// writeDeploymentSecrets writes every file of secretFiles into dir and
// returns the configuration's auth block and audit witnesses. It checks that
// none exists before writing anything, so a refused run leaves the
// directory as it was.
func writeDeploymentSecrets(dir string, hosts []string, lightKeystore bool) (*pkiOutput, error) {
	for _, f := range secretFiles {
		if _, err := os.Lstat(filepath.Join(dir, f.name)); err == nil {
			return nil, &existsError{filepath.Join(dir, f.name)}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := tlsutil.NewCA("policyd deployment CA")
	if err != nil {
		return nil, err
	}
	srv, err := ca.Issue("policyd", true, hosts...)
	if err != nil {
		return nil, err
	}
	cli, err := ca.Issue("custody", false)
	if err != nil {
		return nil, err
	}
	caPair := tls.Certificate{Certificate: [][]byte{ca.Cert.Raw}, PrivateKey: ca.Key}
	for _, p := range []struct {
		c         tls.Certificate
		cert, key string
	}{{caPair, "ca.pem", "ca-key.pem"}, {srv, "policyd_tls_cert.pem", "policyd_tls_key.pem"}, {cli, "custody_tls_cert.pem", "custody_tls_key.pem"}} {
		if err := tlsutil.WritePair(p.c, filepath.Join(dir, p.cert), filepath.Join(dir, p.key)); err != nil {
			return nil, err
		}
	}
	secrets := map[string]string{}
	for _, name := range []string{"policyd_share_passphrase.txt", "custody_share_passphrase.txt",
		"prometheus_token.txt", "auditor_token.txt", "operator_token.txt", "btcd_rpc_pass.txt", "relayer_keystore_pass.txt"} {
		s, err := randomSecret()
		if err != nil {
			return nil, err
		}
		secrets[name] = s
		if err := writeNew(filepath.Join(dir, name), []byte(s+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	n, p := keystore.StandardScryptN, keystore.StandardScryptP
	if lightKeystore {
		n, p = keystore.LightScryptN, keystore.LightScryptP
	}
	ksDir, err := os.MkdirTemp(dir, ".keystore-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(ksDir)
	acct, err := keystore.NewKeyStore(ksDir, n, p).NewAccount(secrets["relayer_keystore_pass.txt"])
	if err != nil {
		return nil, err
	}
	if err := os.Rename(acct.URL.Path, filepath.Join(dir, "relayer_keystore.json")); err != nil {
		return nil, err
	}
	res := &pkiOutput{Auth: &pkiAuth{
		CustodyCertSHA256: []string{tlsutil.Fingerprint(cli.Certificate[0])},
		Tokens: []api.Token{
			{Name: "prometheus", Role: api.RoleReader, SHA256: api.HashToken(secrets["prometheus_token.txt"])},
			{Name: "auditor", Role: api.RoleAuditor, SHA256: api.HashToken(secrets["auditor_token.txt"])},
			{Name: "operator", Role: api.RoleOperator, SHA256: api.HashToken(secrets["operator_token.txt"])},
		},
	}}
	for _, w := range kitWitnesses {
		skey, _, err := witness.LoadOrCreateKey(filepath.Join(dir, w.file), w.name)
		if err != nil {
			return nil, err
		}
		c, err := witness.NewCosigner(skey)
		if err != nil {
			return nil, err
		}
		res.Audit.Witnesses = append(res.Audit.Witnesses, pkiWitness{Name: w.name, Key: c.VerifierKey()})
	}
	return res, nil
}

// randomSecret is 32 random bytes, base64url without padding (43 characters,
// safe in files, URLs and command lines).
func randomSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// writeNew creates path exclusively: an existing file is never replaced.
func writeNew(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func pkiPin(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("policyctl pki pin", flag.ContinueOnError)
	flags.SetOutput(stderr)
	cert := flags.String("cert", "", "PEM certificate file (required)")
	if err := flags.Parse(args); err != nil {
		return flagExit(err)
	}
	if *cert == "" {
		fmt.Fprintln(stderr, "policyctl pki pin: --cert is required")
		return 2
	}
	raw, err := os.ReadFile(*cert)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl pki pin: %v\n", err)
		return 3
	}
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != "CERTIFICATE" {
		fmt.Fprintf(stderr, "policyctl pki pin: %s holds no PEM certificate\n", *cert)
		return 2
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl pki pin: %s: %v\n", *cert, err)
		return 2
	}
	if c.IsCA {
		fmt.Fprintf(stderr, "policyctl pki pin: %s is a CA certificate; pin the custody node's client certificate\n", *cert)
		return 1
	}
	fmt.Fprintln(stdout, tlsutil.Fingerprint(b.Bytes))
	return 0
}

func pkiToken(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("policyctl pki token", flag.ContinueOnError)
	flags.SetOutput(stderr)
	name := flags.String("name", "", "the token's name in policyd's configuration (required)")
	role := flags.String("role", "reader", "reader, auditor or operator (operator: online backup)")
	out := flags.String("out", "", "file to write the token to (created 0600; required)")
	if err := flags.Parse(args); err != nil {
		return flagExit(err)
	}
	if *name == "" || *out == "" {
		fmt.Fprintln(stderr, "policyctl pki token: --name and --out are required")
		return 2
	}
	r := api.Role(*role)
	if r != api.RoleReader && r != api.RoleAuditor && r != api.RoleOperator {
		fmt.Fprintf(stderr, "policyctl pki token: --role %q: want reader, auditor or operator\n", *role)
		return 2
	}
	s, err := randomSecret()
	if err != nil {
		fmt.Fprintf(stderr, "policyctl pki token: %v\n", err)
		return 3
	}
	if err := writeNew(*out, []byte(s+"\n"), 0o600); err != nil {
		fmt.Fprintf(stderr, "policyctl pki token: %v\n", err)
		if errors.Is(err, fs.ErrExist) {
			return 1
		}
		return 3
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(api.Token{Name: *name, Role: r, SHA256: api.HashToken(s)})
	return 0
}

// flagExit maps a flag parse error to the exit code scheme: -h is 0, a bad
// flag is a usage error.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
