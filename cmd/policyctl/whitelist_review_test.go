package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/policy"
)

// approveWith runs `whitelist approve` as signer with answer on the prompt
// (no --yes unless given), and returns the exit error and what was shown.
func (e *wlEnv) approveWith(t *testing.T, signer, answer string, args ...string) ([]byte, string, error) {
	t.Helper()
	var shown bytes.Buffer
	f := newWLFlags("approve", &shown)
	full := append([]string{"--server", e.url, "--ca", e.ca, "--token", e.token, "--keystore", e.keys[signer], "--password-file", e.pwFile}, args...)
	if err := f.fs.Parse(full); err != nil {
		t.Fatal(err)
	}
	f.in = strings.NewReader(answer)
	c, err := f.client()
	if err != nil {
		t.Fatal(err)
	}
	out, err := whitelistCmd("approve", f, c)
	return out, shown.String(), err
}

// approve shows the decoded proposal (action, kind, address, label, effect,
// approvals so far, expiry) and signs only after a yes.
func TestWhitelistCLIApproveShowsAndAsks(t *testing.T) {
	e := newWLEnv(t)
	addr := cliAddr(30)
	p := e.mustRun("project", "propose", "--action", "add", "--kind", policy.KindBridgeHotWallet, "--address", addr, "--label", "bridge-2")
	id := p["id"].(string)
	e.mustRun("admin1", "approve", "--id", id, "--yes")

	for _, answer := range []string{"n\n", "", "maybe\n"} {
		_, shown, err := e.approveWith(t, "admin2", answer, "--id", id)
		if err == nil || !strings.Contains(err.Error(), "not confirmed") {
			t.Fatalf("answer %q: %v", answer, err)
		}
		for _, want := range []string{id, "whitelist_add", policy.KindBridgeHotWallet, addr, `"bridge-2"`, "at quorum",
			"1 live of 2 needed (3 admins)", "live until", "proposal expires", "your approval expires", "[y/N]"} {
			if !strings.Contains(shown, want) {
				t.Fatalf("answer %q: shown text lacks %q:\n%s", answer, want, shown)
			}
		}
	}
	got, err := e.gov.Proposal(t0ctx(), id)
	if err != nil || len(got.Approvals) != 1 || got.Status != governance.StatusPending {
		t.Fatalf("a declined approval was sent: %+v %v", got, err)
	}
	out, _, err := e.approveWith(t, "admin2", "y\n", "--id", id)
	if err != nil || !strings.Contains(string(out), `"executed"`) {
		t.Fatalf("confirmed approval: %s %v", out, err)
	}
	// the approval never outlives its proposal
	got, _ = e.gov.Proposal(t0ctx(), id)
	for _, a := range got.Approvals {
		if a.Expiry > got.Content.Expiry {
			t.Fatalf("approval expiry %d after proposal expiry %d", a.Expiry, got.Content.Expiry)
		}
	}
}

// A server that shows content other than what the id commits to gets no
// signature.
func TestWhitelistCLIApproveRefusesMismatchedProposal(t *testing.T) {
	e := newWLEnv(t)
	p := e.mustRun("project", "propose", "--action", "add", "--kind", policy.KindBridgeHotWallet, "--address", cliAddr(31), "--label", "real")
	id := p["id"].(string)
	real, err := e.gov.Proposal(t0ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	shown := *real
	shown.Content.Address = cliAddr(32)
	shown.Content.Label = "looks harmless"
	posted := false
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/governance/domain":
			json.NewEncoder(w).Encode(map[string]any{"domain": e.gov.Domain(), "quorum": 2, "admins": 3})
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/whitelist/proposals/"):
			json.NewEncoder(w).Encode(shown)
		default:
			posted = true
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	var stderr bytes.Buffer
	f := newWLFlags("approve", &stderr)
	if err := f.fs.Parse([]string{"--id", id, "--yes", "--keystore", e.keys["admin1"], "--password-file", e.pwFile}); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := whitelistCmd("approve", f, c); err == nil || !strings.Contains(err.Error(), "does not hash to --id") || posted {
		t.Fatalf("mismatched proposal: %v (posted %v)", err, posted)
	}
}

// An admin whose approval expired renews it from the CLI.
func TestWhitelistCLIRenewsExpiredApproval(t *testing.T) {
	e := newWLEnv(t)
	p := e.mustRun("project", "propose", "--action", "add", "--kind", policy.KindBridgeHotWallet, "--address", cliAddr(33))
	id := p["id"].(string)
	// A second approval while the first is live is refused. (On its own
	// proposal with the default lifetime, so a slow machine cannot let the
	// first approval expire before the second arrives.)
	live := e.mustRun("project", "propose", "--action", "add", "--kind", policy.KindBridgeHotWallet, "--address", cliAddr(34))["id"].(string)
	e.mustRun("admin1", "approve", "--id", live, "--yes")
	if code, _, stderr := e.run("admin1", "approve", "--id", live, "--yes"); code != 1 || !strings.Contains(stderr, "duplicate_approval") {
		t.Fatalf("second live approval: %d %s", code, stderr)
	}
	e.mustRun("admin1", "approve", "--id", id, "--yes", "--ttl", "1s")
	first, _ := e.gov.Proposal(t0ctx(), id)
	for time.Now().Unix() <= first.Approvals[0].Expiry {
		time.Sleep(100 * time.Millisecond)
	}
	_, text, err := e.approveWith(t, "admin1", "y\n", "--id", id)
	if err != nil || !strings.Contains(text, "EXPIRED at") || !strings.Contains(text, "0 live of 2") {
		t.Fatalf("renewal: %v\n%s", err, text)
	}
	got, _ := e.gov.Proposal(t0ctx(), id)
	if len(got.Approvals) != 1 || got.Approvals[0].Expiry <= first.Approvals[0].Expiry {
		t.Fatalf("renewed approvals %+v", got.Approvals)
	}
	if got := e.mustRun("admin2", "approve", "--id", id, "--yes"); got["status"] != "executed" {
		t.Fatalf("renewed approval did not count: %v", got)
	}
}

// freeze needs only the admin's key: no reader token, in any epoch.
func TestWhitelistCLIFreezeWithoutToken(t *testing.T) {
	e := newWLEnv(t)
	if got := e.mustRun("admin1", "freeze", "--reason", "drill", "--token", ""); got["frozen"] != true || got["epoch"].(float64) != 0 {
		t.Fatalf("freeze at epoch 0: %v", got)
	}
	u := e.mustRun("admin1", "unfreeze")
	e.mustRun("admin1", "approve", "--id", u["id"].(string), "--yes")
	e.mustRun("admin2", "approve", "--id", u["id"].(string), "--yes")
	if got := e.mustRun("admin3", "freeze", "--reason", "again", "--token", ""); got["frozen"] != true || got["epoch"].(float64) != 1 {
		t.Fatalf("freeze at epoch 1 without a token: %v", got)
	}
	if code, _, stderr := e.run("admin3", "freeze", "--token", ""); code != 1 || !strings.Contains(stderr, "already_frozen") {
		t.Fatalf("double freeze: %d %s", code, stderr)
	}
	u2 := e.mustRun("admin1", "unfreeze")
	e.mustRun("admin1", "approve", "--id", u2["id"].(string), "--yes")
	e.mustRun("admin3", "approve", "--id", u2["id"].(string), "--yes")
	if got := e.mustRun("admin2", "freeze", "--token", "", "--epoch", "2"); got["frozen"] != true || got["epoch"].(float64) != 2 {
		t.Fatalf("freeze with --epoch: %v", got)
	}
}

func TestRenderProposalAllowance(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	eff := now.Add(time.Minute)
	p := governance.Proposal{ID: "0xab", Status: governance.StatusExecuted, Proposer: "0xP", EffectiveAt: &eff,
		Content:   governance.ProposalContent{Action: governance.ActionAllowance, PlanID: "plan-9", AmountSat: 150_000_000, Address: "bcrt1qx", Expiry: now.Add(time.Hour).Unix()},
		Approvals: []governance.ApprovalRecord{{Signer: "0xA", Expiry: now.Add(-time.Second).Unix()}, {Signer: "0xB", Expiry: now.Add(time.Hour).Unix()}}}
	var b bytes.Buffer
	renderProposal(&b, p, domainInfo{Quorum: 2, Admins: 3}, now)
	for _, want := range []string{"allowance_open", `"plan-9"`, "150000000 sat (1.50000000 BTC)", "bcrt1qx", eff.UTC().Format(time.RFC3339),
		"1 live of 2 needed (3 admins)", "0xA  EXPIRED at", "0xB  live until"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("rendering lacks %q:\n%s", want, b.String())
		}
	}
}
