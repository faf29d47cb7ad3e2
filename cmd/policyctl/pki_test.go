package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/tlsutil"
	"github.com/bitlayer-org/policyd/witness"
)

// The compose file mounts its secrets from ./deploy/secrets/<file>; pki init
// must write every one of them.
func TestPKIInitWritesEveryComposeSecret(t *testing.T) {
	compose, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, m := range regexp.MustCompile(`file: \./deploy/secrets/(\S+)`).FindAllStringSubmatch(string(compose), -1) {
		want[m[1]] = true
	}
	if len(want) < 10 {
		t.Fatalf("found only %d compose secrets: the pattern no longer matches docker-compose.yml", len(want))
	}
	dir := filepath.Join(t.TempDir(), "secrets")
	var out, errb bytes.Buffer
	if code := runPKI([]string{"init", "--out", dir, "--light-keystore"}, &out, &errb); code != 0 {
		t.Fatalf("pki init exit %d: %s", code, errb.String())
	}
	var missing []string
	for name := range want {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("pki init did not write compose secrets %v", missing)
	}
	for _, f := range secretFiles {
		st, err := os.Stat(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if f.secret && st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f.name, st.Mode().Perm())
		}
	}
	// Nothing secret on standard output: only hashes and the pin.
	for _, name := range []string{"prometheus_token.txt", "auditor_token.txt", "operator_token.txt", "policyd_share_passphrase.txt", "btcd_rpc_pass.txt"} {
		s := readSecret(t, filepath.Join(dir, name))
		if strings.Contains(out.String()+errb.String(), s) {
			t.Errorf("pki init printed the secret of %s", name)
		}
	}
}

// The material pki init writes is a working mutual-TLS deployment: the
// server certificate serves the configured hosts, the custody certificate
// authenticates, and the printed pin is the custody certificate's.
func TestPKIInitMaterialWorks(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := runPKI([]string{"init", "--out", dir, "--server-host", "127.0.0.1", "--light-keystore"}, &out, &errb); code != 0 {
		t.Fatalf("pki init exit %d: %s", code, errb.String())
	}
	var printed struct {
		Auth pkiAuth `json:"auth"`
	}
	if err := json.Unmarshal(out.Bytes(), &printed); err != nil {
		t.Fatalf("auth block: %v\n%s", err, out.String())
	}
	srvCfg, err := tlsutil.ServerConfig(filepath.Join(dir, "policyd_tls_cert.pem"), filepath.Join(dir, "policyd_tls_key.pem"), filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	seen := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			seen <- ""
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			seen <- ""
			return
		}
		peers := tc.ConnectionState().PeerCertificates
		if len(peers) == 0 {
			seen <- ""
			return
		}
		seen <- tlsutil.Fingerprint(peers[0].Raw)
		_, _ = io.Copy(io.Discard, c)
	}()
	cliCfg, err := tlsutil.ClientConfig(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "custody_tls_cert.pem"), filepath.Join(dir, "custody_tls_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", ln.Addr().String(), cliCfg)
	if err != nil {
		t.Fatalf("custody cannot reach policyd with the kit's certificates: %v", err)
	}
	if err := conn.Handshake(); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	fp := <-seen
	if len(printed.Auth.CustodyCertSHA256) != 1 || printed.Auth.CustodyCertSHA256[0] != fp {
		t.Fatalf("printed pin %v, server saw %s", printed.Auth.CustodyCertSHA256, fp)
	}
	// pki pin agrees with the printed pin.
	var pin bytes.Buffer
	if code := runPKI([]string{"pin", "--cert", filepath.Join(dir, "custody_tls_cert.pem")}, &pin, io.Discard); code != 0 {
		t.Fatalf("pki pin exit %d", code)
	}
	if strings.TrimSpace(pin.String()) != fp {
		t.Fatalf("pki pin %q, want %s", pin.String(), fp)
	}
	if code := runPKI([]string{"pin", "--cert", filepath.Join(dir, "ca.pem")}, io.Discard, io.Discard); code != 1 {
		t.Fatalf("pinning the CA: exit %d, want 1 (refused)", code)
	}
	// The printed token hashes are the hashes of the token files.
	byName := map[string]api.Token{}
	for _, tok := range printed.Auth.Tokens {
		byName[tok.Name] = tok
	}
	if got := byName["prometheus"]; got.Role != api.RoleReader || got.SHA256 != api.HashToken(readSecret(t, filepath.Join(dir, "prometheus_token.txt"))) {
		t.Fatalf("prometheus token entry %+v does not match prometheus_token.txt", got)
	}
	if got := byName["auditor"]; got.Role != api.RoleAuditor || got.SHA256 != api.HashToken(readSecret(t, filepath.Join(dir, "auditor_token.txt"))) {
		t.Fatalf("auditor token entry %+v does not match auditor_token.txt", got)
	}
	// The relayer keystore opens with its password file.
	ks, err := os.ReadFile(filepath.Join(dir, "relayer_keystore.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keystore.DecryptKey(ks, readSecret(t, filepath.Join(dir, "relayer_keystore_pass.txt"))); err != nil {
		t.Fatalf("relayer keystore does not open with relayer_keystore_pass.txt: %v", err)
	}
	// No temporary keystore directory is left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(secretFiles) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want exactly the %d kit files", names, len(secretFiles))
	}
}

// A second init on a deployment's directory refuses and changes nothing.
func TestPKIInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	if code := runPKI([]string{"init", "--out", dir, "--light-keystore"}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("first init exit %d", code)
	}
	before := map[string][]byte{}
	for _, f := range secretFiles {
		before[f.name], _ = os.ReadFile(filepath.Join(dir, f.name))
	}
	var errb bytes.Buffer
	if code := runPKI([]string{"init", "--out", dir, "--light-keystore"}, io.Discard, &errb); code != 1 {
		t.Fatalf("second init exit %d, want 1: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "refusing to overwrite") {
		t.Fatalf("unclear refusal: %s", errb.String())
	}
	for _, f := range secretFiles {
		now, _ := os.ReadFile(filepath.Join(dir, f.name))
		if !bytes.Equal(now, before[f.name]) {
			t.Fatalf("%s changed by a refused init", f.name)
		}
	}
	// A single pre-existing file also stops init before it writes anything.
	dir2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir2, "btcd_rpc_pass.txt"), []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := runPKI([]string{"init", "--out", dir2}, io.Discard, io.Discard); code != 1 {
		t.Fatalf("init over one existing file: exit %d, want 1", code)
	}
	entries, _ := os.ReadDir(dir2)
	if len(entries) != 1 {
		t.Fatalf("refused init wrote %d files", len(entries)-1)
	}
}

func TestPKIToken(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.txt")
	var out bytes.Buffer
	if code := runPKI([]string{"token", "--name", "grafana", "--role", "reader", "--out", path}, &out, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var tok api.Token
	if err := json.Unmarshal(out.Bytes(), &tok); err != nil {
		t.Fatal(err)
	}
	if tok.Name != "grafana" || tok.Role != api.RoleReader || tok.SHA256 != api.HashToken(readSecret(t, path)) {
		t.Fatalf("entry %+v does not describe the written token", tok)
	}
	if code := runPKI([]string{"token", "--name", "x", "--role", "custody", "--out", filepath.Join(dir, "u")}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("custody role for a token: exit %d, want 2", code)
	}
	if code := runPKI([]string{"token", "--name", "x", "--out", path}, io.Discard, io.Discard); code != 1 {
		t.Fatalf("overwriting a token file: exit %d, want 1", code)
	}
}

func readSecret(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < 40 {
		t.Fatalf("%s: secret of %d characters", path, len(s))
	}
	return s
}

// pki init makes the custody node's and the relayer's witness keys and
// prints their verifier keys as policyd's audit.witnesses; config render
// puts them there, so both witnesses count from policyd's first start.
func TestPKIInitEnrolsTheWitnesses(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	var out, errb bytes.Buffer
	if code := runPKI([]string{"init", "--out", secrets, "--light-keystore"}, &out, &errb); code != 0 {
		t.Fatalf("pki init exit %d: %s", code, errb.String())
	}
	var printed pkiOutput
	if err := json.Unmarshal(out.Bytes(), &printed); err != nil {
		t.Fatal(err)
	}
	if len(printed.Audit.Witnesses) != len(kitWitnesses) {
		t.Fatalf("printed witnesses %+v, want %d", printed.Audit.Witnesses, len(kitWitnesses))
	}
	for i, w := range kitWitnesses {
		skey, err := witness.LoadKey(filepath.Join(secrets, w.file))
		if err != nil {
			t.Fatalf("%s: %v", w.file, err)
		}
		c, err := witness.NewCosigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		got := printed.Audit.Witnesses[i]
		if got.Name != w.name || c.Name() != w.name || got.Key != c.VerifierKey() {
			t.Fatalf("witness %d printed %+v; the key file %s is %s (%s)", i, got, w.file, c.VerifierKey(), c.Name())
		}
		if strings.Contains(out.String()+errb.String(), skey) {
			t.Fatalf("pki init printed the secret witness key of %s", w.file)
		}
	}
	if printed.Audit.Witnesses[0].Key == printed.Audit.Witnesses[1].Key {
		t.Fatal("custody and relayer share one witness key")
	}

	auth := filepath.Join(dir, "auth.json")
	mustWriteFile(t, auth, out.Bytes())
	outDir := filepath.Join(dir, "out")
	if _, err := renderConfigs(renderFlags{policydExample: "../../deploy/policyd.config.json", relayerExample: "../../deploy/relayer.config.json",
		auth: auth, outDir: outDir}, io.Discard); err != nil {
		t.Fatal(err)
	}
	var pd struct {
		Audit struct {
			Witnesses []pkiWitness `json:"witnesses"`
		} `json:"audit"`
	}
	if err := readJSON(filepath.Join(outDir, "policyd.config.json"), &pd); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(pd.Audit.Witnesses) != fmt.Sprint(printed.Audit.Witnesses) {
		t.Fatalf("rendered audit.witnesses %+v, want %+v", pd.Audit.Witnesses, printed.Audit.Witnesses)
	}
	var rl struct {
		WitnessKeyFile string `json:"witness_key_file"`
	}
	if err := readJSON(filepath.Join(outDir, "relayer.config.json"), &rl); err != nil || rl.WitnessKeyFile != "/run/secrets/relayer_witness_key" {
		t.Fatalf("relayer witness_key_file %q (%v), want the compose secret", rl.WitnessKeyFile, err)
	}
}
