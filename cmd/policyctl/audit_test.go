package main

import (
	"bytes"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/storage"
)

const testToken = "auditor-token"

type auditFixture struct {
	log    *audit.Log
	db     *storage.DB
	url    string
	ca     string
	dir    string
	next   int
	posted atomic.Int32 // cosignatures posted to POST /v1/audit/cosignatures
}

// newAuditServer serves a real audit log over TLS with a minimal stand-in
// for the API's routes (the real ones live in package api).
func newAuditServer(t *testing.T, skey string) *auditFixture {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(filepath.Join(dir, "policyd.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	f := &auditFixture{log: l, db: db, dir: dir}
	mux := http.NewServeMux()
	witnessRoutes(mux, f) // audit_witness_test.go
	mux.HandleFunc("GET /v1/audit/export", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var req audit.ExportRequest
		for name, p := range map[string]*uint64{"from": &req.From, "to": &req.To, "since_size": &req.Since} {
			if s := r.URL.Query().Get(name); s != "" {
				v, err := strconv.ParseUint(s, 10, 64)
				if err != nil {
					http.Error(w, "bad "+name, http.StatusBadRequest)
					return
				}
				*p = v
			}
		}
		if err := l.ExportRange(r.Context(), w, req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	f.url, f.ca = srv.URL, ca
	return f
}

func (f *auditFixture) append(t *testing.T, n int, note string) {
	t.Helper()
	err := f.db.Update(func(tx *bolt.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := f.log.Append(tx, "decision", time.Date(2025, 3, 1, 0, 0, f.next, 0, time.UTC), map[string]any{"n": f.next, "note": note}); err != nil {
				return err
			}
			f.next++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAuditExportVerifyCLI(t *testing.T) {
	skey, vkey, err := audit.GenerateKey(audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	f := newAuditServer(t, skey)
	f.append(t, 30, "orig")
	dir := t.TempDir()
	exp1 := filepath.Join(dir, "export1.jsonl")
	if code, _, stderr := runCLI("audit", "export", "--server", f.url, "--token", testToken, "--ca", f.ca, "-o", exp1); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	cp1 := filepath.Join(dir, "cp1.txt")
	code, stdout, stderr := runCLI("audit", "verify", "--key", vkey, "--save", cp1, exp1)
	if code != 0 || !strings.Contains(stdout, "go.sum database tree\n30\n") || !strings.Contains(stderr, "decision=30") {
		t.Fatalf("verify: %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if saved, _ := os.ReadFile(cp1); string(saved) != stdout {
		t.Fatal("--save wrote something other than the printed checkpoint")
	}

	// More records; an incremental export from the saved checkpoint's size
	// with a consistency proof verifies against it.
	f.append(t, 20, "orig")
	exp2 := filepath.Join(dir, "export2.jsonl")
	if code, _, stderr := runCLI("audit", "export", "--server", f.url, "--token", testToken, "--ca", f.ca, "--from", "40", "--previous", cp1, "-o", exp2); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	if code, stdout, stderr := runCLI("audit", "verify", "--key", vkey, "--previous", cp1, exp2); code != 0 || !strings.Contains(stdout, "\n50\n") || !strings.Contains(stderr, "extends the previous") {
		t.Fatalf("incremental verify: %d %s %s", code, stdout, stderr)
	}

	// A forged history under the same key does not extend cp1.
	forged := newAuditServer(t, skey)
	forged.append(t, 5, "orig")
	forged.append(t, 45, "rewritten")
	exp3 := filepath.Join(dir, "export3.jsonl")
	if code, _, stderr := runCLI("audit", "export", "--server", forged.url, "--token", testToken, "--ca", forged.ca, "-o", exp3); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	if code, _, _ := runCLI("audit", "verify", "--key", vkey, exp3); code != 0 {
		t.Fatal("forged log alone should verify (it is self-consistent)")
	}
	if code, stdout, stderr := runCLI("audit", "verify", "--key", vkey, "--previous", cp1, exp3); code != 1 || stdout != "" || !strings.Contains(stderr, "SECURITY ERROR") || !strings.Contains(stderr, "history rewritten") {
		t.Fatalf("forged history: %d %q %s", code, stdout, stderr)
	}

	// A changed record is named by index.
	data, _ := os.ReadFile(exp1)
	tampered := filepath.Join(dir, "tampered.jsonl")
	os.WriteFile(tampered, bytes.Replace(data, []byte(`"n":7,"note":"orig"`), []byte(`"n":7,"note":"evil"`), 1), 0o600)
	if code, _, stderr := runCLI("audit", "verify", "--key", vkey, tampered); code != 1 || !strings.Contains(stderr, "record 7") {
		t.Fatalf("tampered: %d %s", code, stderr)
	}

	// Wrong key.
	_, otherV, _ := audit.GenerateKey(audit.DefaultKeyName)
	if code, _, stderr := runCLI("audit", "verify", "--key", otherV, exp1); code != 1 || !strings.Contains(stderr, "not signed by the verifier key") {
		t.Fatalf("wrong key: %d %s", code, stderr)
	}
}

func TestAuditCLIErrors(t *testing.T) {
	skey, _, _ := audit.GenerateKey(audit.DefaultKeyName)
	f := newAuditServer(t, skey)
	f.append(t, 3, "x")
	out := filepath.Join(t.TempDir(), "e.jsonl")
	tests := []struct {
		name string
		args []string
		code int
		text string
	}{
		{"no subcommand", []string{"audit"}, 2, "usage"},
		{"unknown subcommand", []string{"audit", "frobnicate"}, 2, "unknown subcommand"},
		{"export without server", []string{"audit", "export"}, 2, "--server"},
		{"export over http", []string{"audit", "export", "--server", "http://x"}, 2, "https"},
		{"bad token", []string{"audit", "export", "--server", f.url, "--token", "nope", "--ca", f.ca, "-o", out}, 1, "401"},
		{"untrusted server cert", []string{"audit", "export", "--server", f.url, "--token", testToken, "-o", out}, 1, "certificate"},
		{"bad range", []string{"audit", "export", "--server", f.url, "--token", testToken, "--ca", f.ca, "--from", "9", "-o", out}, 1, "400"},
		{"verify without key", []string{"audit", "verify", out}, 2, "usage"},
		{"verify missing file", []string{"audit", "verify", "--key", "k+00000000+AQ==", filepath.Join(t.TempDir(), "none")}, 3, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.text) {
				t.Fatalf("code %d (want %d), stderr %q (want %q)", code, tt.code, stderr, tt.text)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("failed exports left a file: %v", err)
	}
}
