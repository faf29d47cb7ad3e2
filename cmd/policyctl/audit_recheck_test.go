package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/audit/records/recordstest"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// typedLog is a real audit log holding es, with its full export in a file.
type typedLog struct {
	log    *audit.Log
	key    string
	export string
}

func newTypedLog(t *testing.T, es []recordstest.Entry) *typedLog {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(filepath.Join(dir, "policyd.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	skey, _, err := audit.GenerateKey(audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, e := range es {
			if _, err := l.AppendBody(tx, e.At, e.Body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := l.Export(t.Context(), &buf, 0, 0); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "export.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return &typedLog{log: l, key: l.VerifierKey(), export: path}
}

// counts returns the decisions and the re-checks at signing in es.
func counts(es []recordstest.Entry) (decisions, rechecks int) {
	for _, e := range es {
		switch b := e.Body.(type) {
		case *records.Decision, *records.DecisionV2:
			decisions++
		case *records.DecisionBegin:
			rechecks++
		case *records.DecisionRevoke:
			if b.Recheck != nil {
				rechecks++
			}
		case *records.DecisionBeginV2:
			rechecks++
		case *records.DecisionRevokeV2:
			if b.Recheck != nil {
				rechecks++
			}
		}
	}
	return
}

// TestAuditRecheckEveryKind: an export with every record kind verifies and
// every decision and re-check at signing in it replays to what it stored.
func TestAuditRecheckEveryKind(t *testing.T) {
	es := recordstest.Every(t)
	tl := newTypedLog(t, es)
	code, out, errOut := runCLI("audit", "recheck", "--export", tl.export, "--key", tl.key)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	d, r := counts(es)
	if d < 10 || r < 4 {
		t.Fatalf("only %d decisions, %d re-checks", d, r)
	}
	want := fmt.Sprintf("verified records [0,%d) against the signed tree of size %d (0 untyped v1); replayed %d decisions and %d re-checks at signing: 0 differ\n", len(es), len(es), d, r)
	if out != want {
		t.Fatalf("stdout %q, want %q", out, want)
	}
}

// TestAuditRecheckReportsMismatches: a decision and a re-check whose stored
// result is not what the policy gives for their facts and snapshot are
// reported by record index, and the exit status is 1.
func TestAuditRecheckReportsMismatches(t *testing.T) {
	es := recordstest.Every(t)
	var decIdx, rcIdx int = -1, -1
	for i, e := range es {
		switch b := e.Body.(type) {
		case *records.Decision:
			if decIdx < 0 && b.Decision.Outcome == policy.Deny {
				c := *b
				c.Decision.Reasons = append(append([]policy.Reason(nil), c.Decision.Reasons...), policy.Reason{Code: "made_up"})
				es[i].Body, decIdx = &c, i
			}
		case *records.DecisionBegin:
			if rcIdx < 0 {
				c := *b
				rc := *c.Recheck
				rc.Decision.Claims = append([]string{"999999"}, rc.Decision.Claims...)
				c.Recheck, es[i].Body, rcIdx = &rc, &c, i
			}
		}
	}
	if decIdx < 0 || rcIdx < 0 {
		t.Fatal("no deny decision or begin record to alter")
	}
	tl := newTypedLog(t, es)
	code, out, _ := runCLI("audit", "recheck", "--export", tl.export, "--key", tl.key)
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{fmt.Sprintf("record %d (decision ", decIdx), fmt.Sprintf("record %d (begin re-check of ", rcIdx), ": 2 differ\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// TestAuditRecheckRefusesUnverified: nothing is replayed or reported from an
// export that does not verify (a changed record, another key).
func TestAuditRecheckRefusesUnverified(t *testing.T) {
	tl := newTypedLog(t, recordstest.Every(t))
	exp, err := os.ReadFile(tl.export)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, bytes.Replace(exp, []byte(`"frozen":false`), []byte(`"frozen":true`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, other, _ := audit.GenerateKey(audit.DefaultKeyName)
	for name, args := range map[string][]string{
		"changed":   {"--export", bad, "--key", tl.key},
		"other key": {"--export", tl.export, "--key", other},
	} {
		code, out, errOut := runCLI(append([]string{"audit", "recheck"}, args...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, "SECURITY ERROR") {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", name, code, out, errOut)
		}
	}
	for _, args := range [][]string{{}, {"--export", tl.export}, {"--key", tl.key}, {"--export", tl.export, "--key", tl.key, "extra"}, {"--db", "x"}} {
		if code, _, _ := runCLI(append([]string{"audit", "recheck"}, args...)...); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestAuditRecheckV1Fixture: the v1 export (untyped records written by the
// v1 code) verifies and its decisions replay.
func TestAuditRecheckV1Fixture(t *testing.T) {
	dir := filepath.Join("..", "..", "testvectors", "audit")
	key, err := os.ReadFile(filepath.Join(dir, "v1_verifier_key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI("audit", "recheck", "--export", filepath.Join(dir, "v1_export.jsonl"), "--key", strings.TrimSpace(string(key)))
	want := "verified records [0,30) against the signed tree of size 30 (30 untyped v1); replayed 7 decisions and 0 re-checks at signing: 0 differ\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d\n%q\nwant %q\n%s", code, out, want, errOut)
	}
}

// serveProofs serves GET /v1/audit/proof/{index} of l the way package api
// does (indented, HTML-escaped JSON) to the holder of testToken.
func serveProofs(t *testing.T, l *audit.Log) (url, ca string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/audit/proof/{index}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		i, err := strconv.ParseUint(r.PathValue("index"), 10, 64)
		if err != nil {
			http.Error(w, "bad index", http.StatusBadRequest)
			return
		}
		doc, err := l.Inclusion(r.Context(), i)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(doc)
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	ca = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL, ca
}

// TestAuditProofCLI: one record's inclusion proof verifies from the server
// (as served: indented, HTML-escaped) and from a saved file; a changed
// document, another key or a missing record fail.
func TestAuditProofCLI(t *testing.T) {
	es := recordstest.Every(t)
	tl := newTypedLog(t, es)
	url, ca := serveProofs(t, tl.log)
	dir := t.TempDir()
	saved := filepath.Join(dir, "proof.json")
	for _, i := range []int{0, 3, len(es) / 2, len(es) - 1} {
		code, out, errOut := runCLI("audit", "proof", "--key", tl.key, "--server", url, "--ca", ca, "--token", testToken, "--index", strconv.Itoa(i), "--save", saved)
		if code != 0 || !strings.Contains(errOut, fmt.Sprintf("verified: record %d (%s, %s v1", i, es[i].Body.Kind(), es[i].Body.Kind())) {
			t.Fatalf("record %d: exit %d\n%s", i, code, errOut)
		}
		want, _ := audit.EncodeBody(es[i].Body)
		if out != string(want)+"\n" {
			t.Fatalf("record %d: stdout %q, want %q", i, out, want)
		}
		if code, out2, _ := runCLI("audit", "proof", "--key", tl.key, "--file", saved); code != 0 || out2 != out {
			t.Fatalf("record %d from file: exit %d", i, code)
		}
	}
	doc, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, bytes.Replace(doc, []byte(`"network": "mainnet"`), []byte(`"network": "testnet"`), 1), 0o600)
	if bytes.Equal(mustRead(t, bad), doc) {
		// The last record is a reshare; it names its network.
		t.Fatal("test did not change the document")
	}
	_, other, _ := audit.GenerateKey(audit.DefaultKeyName)
	for name, args := range map[string][]string{
		"changed":   {"--key", tl.key, "--file", bad},
		"other key": {"--key", other, "--file", saved},
		"no record": {"--key", tl.key, "--server", url, "--ca", ca, "--token", testToken, "--index", strconv.Itoa(len(es))},
		"no token":  {"--key", tl.key, "--server", url, "--ca", ca, "--index", "1"},
	} {
		if code, _, errOut := runCLI(append([]string{"audit", "proof"}, args...)...); code != 1 {
			t.Fatalf("%s: exit %d: %s", name, code, errOut)
		}
	}
	for _, args := range [][]string{{"--key", tl.key}, {"--file", saved}, {"--key", tl.key, "--file", saved, "--server", url, "--index", "1"},
		{"--key", tl.key, "--server", url}, {"--key", tl.key, "--server", url, "--index", "x"}} {
		if code, _, _ := runCLI(append([]string{"audit", "proof"}, args...)...); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAuditRecheckDecisionV2: a decision naming its whitelist and
// parameters by hash is replayed with the ones recorded before it; one
// whose stored result differs is reported, and one naming a whitelist no
// earlier record holds cannot be replayed (skipped and counted).
func TestAuditRecheckDecisionV2(t *testing.T) {
	es := recordstest.Every(t)
	altered, orphan := -1, -1
	for i, e := range es {
		b, ok := e.Body.(*records.DecisionV2)
		if !ok {
			continue
		}
		c := *b
		switch {
		case altered < 0:
			c.Decision.Outcome = policy.Allow
			if b.Decision.Outcome == policy.Allow {
				c.Decision.Outcome = policy.Deny
				c.Decision.Reasons = []policy.Reason{{Code: "made_up"}}
			}
			es[i].Body, altered = &c, i
		case orphan < 0:
			c.WhitelistHash = strings.Repeat("0", 64)
			es[i].Body, orphan = &c, i
		}
	}
	if altered < 0 || orphan < 0 {
		t.Fatal("fewer than two v2 decisions")
	}
	tl := newTypedLog(t, es)
	code, out, _ := runCLI("audit", "recheck", "--export", tl.export, "--key", tl.key)
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{fmt.Sprintf("record %d (decision ", altered), ": 1 differ, 1 decisions skipped (the whitelist or parameters they name are before the export's range)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// TestAuditRecheckLifecycleV2: re-checks at signing recorded as
// decision_begin / decision_revoke v2 (whitelist and parameters by hash)
// are replayed with the states recorded before them, like v1 ones: each
// counts, and a stored result that differs from the replay is reported.
func TestAuditRecheckLifecycleV2(t *testing.T) {
	// Every's own v2 re-checks left out: this test adds its own.
	es := slices.DeleteFunc(recordstest.Every(t), func(e recordstest.Entry) bool {
		switch e.Body.(type) {
		case *records.DecisionBeginV2, *records.DecisionRevokeV2:
			return true
		}
		return false
	})
	var states records.States
	at := es[len(es)-1].At
	var added []recordstest.Entry
	for _, e := range es {
		states.Add(e.Body)
		d, ok := e.Body.(*records.DecisionV2)
		if !ok || d.Decision.Outcome != policy.Allow {
			continue
		}
		full, err := states.Decision(d)
		if err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Second)
		tr := records.Transition{DecisionID: d.DecisionID, TxID: d.TxID, From: "reserved", By: "custody"}
		if len(added)%2 == 0 {
			tr.Event, tr.To, tr.Recheck = "begin", "signing", recordstest.Recheck(full, full.Snapshot, at)
			added = append(added, recordstest.Entry{At: at, Body: &records.DecisionBeginV2{TransitionV2: records.SlimTransition(tr, d.WhitelistHash)}})
		} else {
			snap := full.Snapshot
			snap.Frozen = true
			rc := recordstest.Recheck(full, snap, at)
			tr.Event, tr.To, tr.By, tr.Reasons, tr.Recheck = "revoke", "revoked", "policyd", rc.Decision.Reasons, rc
			added = append(added, recordstest.Entry{At: at, Body: &records.DecisionRevokeV2{TransitionV2: records.SlimTransition(tr, d.WhitelistHash)}})
		}
	}
	if len(added) < 2 {
		t.Fatalf("only %d v2 re-checks", len(added))
	}
	all := append(slices.Clone(es), added...)
	tl := newTypedLog(t, all)
	code, out, errOut := runCLI("audit", "recheck", "--export", tl.export, "--key", tl.key)
	d, r := counts(es)
	want := fmt.Sprintf("verified records [0,%d) against the signed tree of size %d (0 untyped v1); replayed %d decisions and %d re-checks at signing: 0 differ\n", len(all), len(all), d, r+len(added))
	if code != 0 || out != want {
		t.Fatalf("exit %d\nstdout %q\nwant   %q\n%s", code, out, want, errOut)
	}

	// A stored v2 re-check that is not what the policy gives is reported.
	b := *added[0].Body.(*records.DecisionBeginV2)
	rc := *b.Recheck
	rc.Decision.Claims = append([]string{"999999"}, rc.Decision.Claims...)
	b.Recheck = &rc
	bad := append(slices.Clone(es), added...)
	bad[len(es)] = recordstest.Entry{At: added[0].At, Body: &b}
	tl = newTypedLog(t, bad)
	code, out, _ = runCLI("audit", "recheck", "--export", tl.export, "--key", tl.key)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("record %d (begin re-check of ", len(es))) || !strings.Contains(out, ": 1 differ\n") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
