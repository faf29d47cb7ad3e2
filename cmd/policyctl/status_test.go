package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/storage"
)

type statusReady struct{ ready bool }

func (r *statusReady) Readiness(context.Context) (bool, any) {
	return r.ready, map[string]any{"ready": r.ready, "checks": []map[string]any{
		{"name": "key_share", "ok": true, "detail": "wallet bcrt1qexample"},
		{"name": "l2_fresh", "ok": r.ready, "detail": "l2 view is stale"}}}
}

type statusL2 struct{}

func (statusL2) StatusView(context.Context) (*l2.StatusView, error) {
	return &l2.StatusView{Status: l2.Status{IndexedHeight: 40, Head: 42}, Fresh: true}, nil
}
func (statusL2) RequestView(context.Context, string) (*l2.Request, error) { return nil, nil }

type statusAudit struct{}

func (statusAudit) ExportRange(context.Context, io.Writer, audit.ExportRequest) error { return nil }
func (statusAudit) Checkpoint(context.Context) ([]byte, error) {
	return []byte("policyd\n17\nabc=\n\n— policyd-audit sig\n"), nil
}
func (statusAudit) Inclusion(context.Context, uint64) (json.RawMessage, error) { return nil, nil }

// statusServer is the real API handler over TLS with real governance and
// storage; readiness, L2, audit and the reserves (when given) are scripted.
func statusServer(t *testing.T, rd *statusReady, reserves ...api.ReservesService) (url, ca string) {
	t.Helper()
	var rs api.ReservesService
	if len(reserves) > 0 {
		rs = reserves[0]
	}
	return apiServer(t, func(c *api.Config, db *storage.DB) {
		c.L2, c.Audit, c.Ready, c.Backup, c.Reserves = statusL2{}, statusAudit{}, rd, db, rs
		c.Tokens = []api.Token{{Name: "r", Role: api.RoleReader, SHA256: api.HashToken("reader-tok")},
			{Name: "a", Role: api.RoleAuditor, SHA256: api.HashToken("auditor-tok")},
			{Name: "o", Role: api.RoleOperator, SHA256: api.HashToken("operator-tok")}}
	})
}

func TestStatusCommand(t *testing.T) {
	rd := &statusReady{}
	url, ca := statusServer(t, rd)
	runIt := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"status", "--server", url, "--ca", ca}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	// not ready: exit 1, the failed check named
	code, out, _ := runIt()
	if code != 1 || !strings.Contains(out, "Ready") || !strings.Contains(out, "l2_fresh") || !strings.Contains(out, "FAIL l2 view is stale") {
		t.Fatalf("not ready: %d\n%s", code, out)
	}
	if strings.Contains(out, "Frozen") {
		t.Fatalf("no token, yet freeze shown:\n%s", out)
	}
	rd.ready = true
	code, out, errOut := runIt("--token", "reader-tok")
	if code != 0 || !regexp.MustCompile(`(?m)^Frozen +false$`).MatchString(out) ||
		!strings.Contains(out, "L2 indexed height") || !strings.Contains(out, "40 (head 42)") {
		t.Fatalf("reader: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "(audit)") { // a reader may not read the checkpoint: said, not fatal
		t.Fatalf("reader: audit refusal not shown:\n%s", out)
	}
	code, out, _ = runIt("--token", "auditor-tok", "--json")
	var rep statusReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.Ready || !rep.Healthy || rep.AuditSize == nil || *rep.AuditSize != 17 || rep.L2 == nil || rep.Freeze == nil {
		t.Fatalf("auditor --json: %d\n%s", code, out)
	}
	// unreachable: exit 3; usage: exit 2; help: exit 0
	var o, e bytes.Buffer
	if c := run([]string{"status", "--server", "https://127.0.0.1:1", "--ca", ca}, &o, &e); c != 3 || !strings.Contains(e.String(), "unreachable") {
		t.Fatalf("unreachable: %d %s", c, e.String())
	}
	if c := run([]string{"status", "--server", "http://x"}, &o, &e); c != 2 {
		t.Fatalf("plain http: %d", c)
	}
	if c := run([]string{"status", "--help"}, &o, &e); c != 0 {
		t.Fatalf("--help: %d", c)
	}
}

func TestBackupCommand(t *testing.T) {
	url, ca := statusServer(t, &statusReady{})
	dir := t.TempDir()
	out := filepath.Join(dir, "policyd.db.bak")
	var o, e bytes.Buffer
	if c := run([]string{"backup", "--server", url, "--ca", ca, "--token", "operator-tok", "--out", out}, &o, &e); c != 0 || !strings.Contains(o.String(), "sha256") {
		t.Fatalf("backup: %d %s %s", c, o.String(), e.String())
	}
	db, err := storage.Open(out, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if c := run([]string{"backup", "--server", url, "--ca", ca, "--token", "operator-tok", "--out", out}, &o, &e); c != 2 {
		t.Fatalf("existing --out overwritten? exit %d", c)
	}
	e.Reset()
	if c := run([]string{"backup", "--server", url, "--ca", ca, "--token", "auditor-tok", "--out", filepath.Join(dir, "x")}, &o, &e); c != 1 || !strings.Contains(e.String(), "403") {
		t.Fatalf("auditor backup: %d %s", c, e.String())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left files behind: %v", ents)
	}
}
