package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/witness"
)

// witnessRoutes adds the witness routes to the audit fixture's stand-in
// API (the real ones are package api's, served by cmd/policyd).
func witnessRoutes(mux *http.ServeMux, f *auditFixture) {
	mux.HandleFunc("GET /v1/audit/consistency", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		old, _ := strconv.ParseUint(r.URL.Query().Get("old"), 10, 64)
		n, _ := strconv.ParseUint(r.URL.Query().Get("new"), 10, 64)
		out := api.ConsistencyProof{Old: old, New: n}
		if n == 0 {
			cp, err := f.log.SignedCheckpoint(r.Context())
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			out.New, out.Checkpoint = cp.Size, string(cp.Note)
		}
		p, err := f.log.ConsistencyProof(r.Context(), out.Old, out.New)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out.Proof = p
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /v1/audit/cosignatures", func(w http.ResponseWriter, r *http.Request) {
		var req api.CosignaturesRequest
		if r.Header.Get("Authorization") != "Bearer "+testToken || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		f.posted.Add(1)
		json.NewEncoder(w).Encode(api.CosignaturesResponse{Witnesses: []string{"auditor.example"}})
	})
}

func TestAuditWitnessKeyCLI(t *testing.T) {
	out := filepath.Join(t.TempDir(), "w.key")
	code, stdout, stderr := runCLI("audit", "witness-key", "--name", "auditor.example", "--out", out)
	if code != 0 {
		t.Fatalf("witness-key: %d %s", code, stderr)
	}
	v, err := witness.NewCosigVerifier(strings.TrimSpace(stdout))
	if err != nil || v.Name() != "auditor.example" {
		t.Fatalf("printed verifier key %q: %v", stdout, err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if code, _, stderr := runCLI("audit", "witness-key", "--name", "x", "--out", out); code != 1 || !strings.Contains(stderr, "refusing to overwrite") {
		t.Fatalf("overwrite: %d %s", code, stderr)
	}
	if code, _, _ := runCLI("audit", "witness-key", "--name", "has space", "--out", filepath.Join(t.TempDir(), "k")); code == 0 {
		t.Fatal("a name with a space was accepted")
	}
}

// The independent witness polls, cosigns and posts; a server that then
// shows another history under the same log key (two checkpoints of one
// size, different roots) or a smaller one is a security error, exit 1,
// with the evidence printed and kept.
func TestAuditWitnessPollReportsForkAndRollback(t *testing.T) {
	skey, vkey, err := audit.GenerateKey(audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	f := newAuditServer(t, skey)
	f.append(t, 10, "orig")
	dir := t.TempDir()
	key := filepath.Join(dir, "w.key")
	if code, _, stderr := runCLI("audit", "witness-key", "--name", "auditor.example", "--out", key); code != 0 {
		t.Fatal(stderr)
	}
	state := filepath.Join(dir, "state.json")
	poll := func(fx *auditFixture) (int, string, string) {
		return runCLI("audit", "witness", "--server", fx.url, "--ca", fx.ca, "--token", testToken,
			"--key", vkey, "--witness-key", key, "--state", state, "--once")
	}
	code, stdout, stderr := poll(f)
	if code != 0 || !strings.Contains(stdout, "go.sum database tree\n10\n") || !strings.Contains(stdout, "— auditor.example ") || f.posted.Load() != 1 {
		t.Fatalf("first poll: %d\n%s\n%s", code, stdout, stderr)
	}
	f.append(t, 5, "orig")
	if code, stdout, stderr := poll(f); code != 0 || !strings.Contains(stdout, "\n15\n") || !strings.Contains(stderr, "previously 10") {
		t.Fatalf("second poll: %d\n%s\n%s", code, stdout, stderr)
	}

	forked := newAuditServer(t, skey)
	forked.append(t, 10, "orig")
	forked.append(t, 5, "rewritten") // size 15 again, another root
	code, _, stderr = poll(forked)
	if code != 1 || !strings.Contains(stderr, "SECURITY ERROR") || !strings.Contains(stderr, "fork") ||
		strings.Count(stderr, "go.sum database tree\n15\n") != 2 || forked.posted.Load() != 0 {
		t.Fatalf("fork: %d\n%s", code, stderr)
	}
	older := newAuditServer(t, skey)
	older.append(t, 12, "orig")
	code, _, stderr = poll(older)
	if code != 1 || !strings.Contains(stderr, "SECURITY ERROR") || !strings.Contains(stderr, "rollback") {
		t.Fatalf("rollback: %d\n%s", code, stderr)
	}
	raw, _ := os.ReadFile(state)
	var st witness.State
	if json.Unmarshal(raw, &st) != nil || st.Size != 15 || len(st.Evidence) != 2 {
		t.Fatalf("state file: %s", raw)
	}
}

// In --listen mode the witness serves tlog-witness add-checkpoint: a push
// that extends its state is cosigned; a forked checkpoint is refused (409)
// and the command exits 1 with the evidence.
func TestAuditWitnessListenReportsFork(t *testing.T) {
	skey, vkey, err := audit.GenerateKey(audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	f := newAuditServer(t, skey)
	f.append(t, 4, "orig")
	forked := newAuditServer(t, skey)
	forked.append(t, 4, "other")
	dir := t.TempDir()
	key := filepath.Join(dir, "w.key")
	if code, _, stderr := runCLI("audit", "witness-key", "--name", "auditor.example", "--out", key); code != 0 {
		t.Fatal(stderr)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	done := make(chan [3]string, 1)
	go func() {
		code, stdout, stderr := runCLI("audit", "witness", "--listen", addr, "--key", vkey, "--witness-key", key, "--state", filepath.Join(dir, "s.json"))
		done <- [3]string{strconv.Itoa(code), stdout, stderr}
	}()
	wc := &witness.Client{URL: "http://" + addr, HTTP: &http.Client{Timeout: 10 * time.Second}}
	ctx := context.Background()
	cp, err := f.log.SignedCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lines []byte
	for i := 0; i < 100; i++ { // until it listens
		if lines, err = wc.AddCheckpoint(ctx, 0, nil, cp.Note); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || !strings.HasPrefix(string(lines), "— auditor.example ") {
		t.Fatalf("push: %q %v", lines, err)
	}
	fcp, _ := forked.log.SignedCheckpoint(ctx)
	if _, err := wc.AddCheckpoint(ctx, 4, nil, fcp.Note); err == nil {
		t.Fatal("a forked checkpoint was cosigned")
	}
	select {
	case r := <-done:
		if r[0] != "1" || !strings.Contains(r[2], "SECURITY ERROR") || !strings.Contains(r[2], "fork") {
			t.Fatalf("listen witness: exit %s\n%s\n%s", r[0], r[1], r[2])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the listening witness did not report the fork")
	}
}
