package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/console"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
)

func TestHandlerServesAssetsWithCSP(t *testing.T) {
	srv := httptest.NewServer(console.Handler(console.Config{}))
	defer srv.Close()
	get := func(method, path string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("GET", "/console/")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /console/: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q allows %q", csp, bad)
		}
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("security headers missing: %v", resp.Header)
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).Match(body) || bytes.Contains(body, []byte(" style=")) || bytes.Contains(body, []byte(" on")) && regexp.MustCompile(`\son[a-z]+=`).Match(body) {
		t.Errorf("index.html has inline script, style or handlers:\n%s", body)
	}
	for path, want := range map[string]int{"/console/js/app.js": 200, "/console/style.css": 200, "/console/nope.js": 404, "/console/../api": 404, "/console": 301, "/other": 404} {
		r := get("GET", path)
		r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, r.StatusCode, want)
		}
		if r.Header.Get("Content-Security-Policy") != console.CSP {
			t.Errorf("GET %s: no CSP", path)
		}
	}
	if r := get("GET", "/console/js/app.js"); r.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("app.js served as %q", r.Header.Get("Content-Type"))
	}
	if r := get("POST", "/console/"); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/: %d", r.StatusCode)
	}
}

// TestAssetsFetchNothingFromOutside: no asset names another origin, uses
// eval-like constructs or writes HTML strings into the DOM.
func TestAssetsFetchNothingFromOutside(t *testing.T) {
	bad := regexp.MustCompile(`(?i)https?://|//cdn|\beval\(|new Function\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write|setTimeout\(\s*['"]`)
	err := filepath.WalkDir("assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		// The SVG namespace is a name, not a fetch.
		text := strings.ReplaceAll(string(b), `xmlns="http://www.w3.org/2000/svg"`, "")
		for i, line := range strings.Split(text, "\n") {
			if m := bad.FindString(line); m != "" {
				t.Errorf("%s:%d: %q", p, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// jsTypedData is what the page's builders produced for one action.
type jsTypedData struct {
	JSON   string `json:"json"`
	Digest string `json:"digest"`
}

func parseTD(t *testing.T, raw string) apitypes.TypedData {
	t.Helper()
	var td apitypes.TypedData
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&td); err != nil {
		t.Fatalf("page's typed data does not parse as EIP-712 typed data: %v\n%s", err, raw)
	}
	return td
}

func signTD(t *testing.T, td apitypes.TypedData, name string) (common.Hash, string) {
	t.Helper()
	h, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := crypto.Sign(h, key(t, name))
	if err != nil {
		t.Fatal(err)
	}
	sig[64] += 27
	return common.BytesToHash(h), hexutil.Encode(sig)
}

// TestTypedDataMatchesGovernance runs the page's own EIP-712 builders in
// Chromium and checks, for every action, that (1) the JSON the page hands the
// wallet parses as EIP-712 typed data whose go-ethereum digest equals the
// digest the page computed and shows, (2) it equals package governance's
// typed data for the same fields, and (3) governance accepts a signature over
// it (propose, allowance, approve, reject, revoke, freeze).
func TestTypedDataMatchesGovernance(t *testing.T) {
	e := newEnv(t)
	b := startBrowser(t, e.srv.Certificate())
	b.navigate(t, e.srv.URL+"/console/#/session")
	b.waitFor(t, "console loaded", "document.querySelector('#page-session[data-ready]')")
	exp := time.Now().Add(time.Hour).Unix()
	add := governance.ProposalContent{Action: governance.ActionAdd, EntryKind: "staking_destination",
		Address: "bcrt1qscwjzznqkey9qgufnwugzwxm4wz3w3n44axnrla7fey9w20p9yxsge3dxc", Label: `Babylon "vault" — ü ✓`, Nonce: "nonce-add-1", Expiry: exp}
	allowance := governance.ProposalContent{Action: governance.ActionAllowance, PlanID: "plan-7", AmountSat: 2_100_000_000_000_000,
		Address: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", Nonce: "nonce-allow-1", Expiry: exp}
	var out map[string]jsTypedData
	b.execAsync(t, `const [add, allowance, exp, done] = arguments;
	  Promise.all([import('/console/js/eip712.js'), fetch('/v1/governance/domain').then(r => r.json())]).then(([m, info]) => {
	    const d = m.domainFrom(info);
	    const addTD = m.proposalTypedData(d, add);
	    const id = m.hashes(addTD).digest;
	    const tds = {
	      add: addTD,
	      allowance: m.proposalTypedData(d, allowance),
	      unfreeze: m.proposalTypedData(d, { action: 'unfreeze', freeze_epoch: 3, nonce: 'nonce-unfreeze', expiry: exp }),
	      approval: m.approvalTypedData(d, id, exp),
	      rejection: m.rejectionTypedData(d, id, 'wrong address — ü', exp),
	      freeze: m.freezeTypedData(d, 'incident 42', 0, 'nonce-freeze', exp),
	      revoke: m.revokeTypedData(d, '7f3a9c0d2e11-0000000000000001', 'suspicious', 'nonce-revoke', exp),
	    };
	    const res = {};
	    for (const [k, td] of Object.entries(tds)) res[k] = { json: JSON.stringify(td), digest: m.hashes(td).digest };
	    done(res);
	  }).catch((e) => done({ error: { json: String(e), digest: '' } }));`, &out, add, allowance, exp)
	if e, ok := out["error"]; ok {
		t.Fatalf("page builders failed: %s", e.JSON)
	}
	d := e.domain
	want := map[string]apitypes.TypedData{
		"add":       governance.ProposalTypedData(d, add),
		"allowance": governance.ProposalTypedData(d, allowance),
		"unfreeze":  governance.ProposalTypedData(d, governance.ProposalContent{Action: governance.ActionUnfreeze, FreezeEpoch: 3, Nonce: "nonce-unfreeze", Expiry: exp}),
		"freeze":    governance.FreezeTypedData(d, "incident 42", 0, "nonce-freeze", exp),
		"revoke":    governance.RevokeTypedData(d, "7f3a9c0d2e11-0000000000000001", "suspicious", "nonce-revoke", exp),
	}
	digests := map[string]common.Hash{}
	for name, js := range out {
		td := parseTD(t, js.JSON)
		h, _, err := apitypes.TypedDataAndHash(td)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		digests[name] = common.BytesToHash(h)
		if got := common.BytesToHash(h).Hex(); got != js.Digest {
			t.Errorf("%s: the page shows digest %s, go-ethereum computes %s over the same JSON", name, js.Digest, got)
		}
		if w, ok := want[name]; ok {
			wd, err := governance.Digest(w)
			if err != nil {
				t.Fatal(err)
			}
			if common.BytesToHash(wd) != common.BytesToHash(h) {
				t.Errorf("%s: page digest %s, governance digest %x", name, js.Digest, wd)
			}
		}
	}
	id := digests["add"].Hex()
	for _, name := range []string{"approval", "rejection"} {
		var w apitypes.TypedData
		if name == "approval" {
			w = governance.ApprovalTypedData(d, id, exp)
		} else {
			w = governance.RejectionTypedData(d, id, "wrong address — ü", exp)
		}
		wd, _ := governance.Digest(w)
		if common.BytesToHash(wd) != digests[name] {
			t.Errorf("%s: page digest %s, governance digest %x", name, digests[name], wd)
		}
	}

	// Governance accepts signatures over the page's typed data.
	ctx := context.Background()
	_, sig := signTD(t, parseTD(t, out["add"].JSON), "project")
	p, err := e.gov.Propose(ctx, governance.SignedProposal{Proposal: add, Signature: sig})
	if err != nil {
		t.Fatalf("governance refuses a proposal signed over the page's typed data: %v", err)
	}
	if p.ID != id {
		t.Fatalf("proposal id %s, page digest %s", p.ID, id)
	}
	_, sig = signTD(t, parseTD(t, out["allowance"].JSON), "bitlayer3")
	if _, err := e.gov.Propose(ctx, governance.SignedProposal{Proposal: allowance, Signature: sig}); err != nil {
		t.Fatalf("allowance proposal: %v", err)
	}
	_, sig = signTD(t, parseTD(t, out["approval"].JSON), "bitlayer1")
	if p, err = e.gov.Approve(ctx, id, governance.Approval{Expiry: exp, Signature: sig}); err != nil || len(p.Approvals) != 1 {
		t.Fatalf("approval over the page's typed data: %v", err)
	}
	_, sig = signTD(t, parseTD(t, out["rejection"].JSON), "bitlayer2")
	if p, err = e.gov.Reject(ctx, id, governance.Rejection{Reason: "wrong address — ü", Expiry: exp, Signature: sig}); err != nil || p.Status != governance.StatusRejected {
		t.Fatalf("rejection over the page's typed data: %v", err)
	}
	_, sig = signTD(t, parseTD(t, out["revoke"].JSON), "bitlayer1")
	if a, err := e.gov.AuthenticateRevoke(ctx, governance.RevokeRequest{DecisionID: "7f3a9c0d2e11-0000000000000001", Reason: "suspicious",
		Nonce: "nonce-revoke", Expiry: exp, Signature: sig}); err != nil || a.Admin != addr(t, "bitlayer1").Hex() {
		t.Fatalf("revoke over the page's typed data: %+v %v", a, err)
	}
	_, sig = signTD(t, parseTD(t, out["freeze"].JSON), "bitlayer3")
	if fs, err := e.gov.Freeze(ctx, governance.FreezeRequest{Reason: "incident 42", Epoch: 0, Nonce: "nonce-freeze", Expiry: exp, Signature: sig}); err != nil || !fs.Frozen {
		t.Fatalf("freeze over the page's typed data: %v", err)
	}
}

// TestConsoleInBrowser drives the console in Chromium against the real API:
// propose -> two admins approve -> the entry takes effect after the dev
// timelock; a tampered typed data, an expired approval and a non-admin wallet
// are refused with readable messages; freeze, unfreeze proposal, reject;
// decisions, L2 and the auditor's in-browser verification. Every page is
// screenshotted.
func TestConsoleInBrowser(t *testing.T) {
	e := newEnv(t)
	b := startBrowser(t, e.srv.Certificate())
	ctx := context.Background()
	lower := func(n string) string { return strings.ToLower(addr(t, n).Hex()) }

	b.navigate(t, e.srv.URL+"/console/")
	b.waitFor(t, "session page without a token", "document.querySelector('#page-session[data-ready]')")
	var injected bool
	b.exec(t, providerJS, &injected)
	b.screenshot(t, "session-no-token")

	// Session: token (sessionStorage only), verifier key, wallet.
	b.typeInto(t, "#token", e.auditor)
	b.click(t, "#token-save")
	b.waitFor(t, "token accepted", "document.querySelector('#token-ok')")
	if !strings.Contains(b.text(t, "#token-ok"), "role auditor") {
		t.Errorf("session: %q", b.text(t, "#token-ok"))
	}
	var stored struct{ Session, Local string }
	b.exec(t, `return {Session: sessionStorage.getItem('policyd.token'), Local: JSON.stringify(localStorage)};`, &stored)
	if stored.Session != e.auditor || strings.Contains(stored.Local, e.auditor) {
		t.Errorf("token storage: session %q, local %q", stored.Session, stored.Local)
	}
	b.typeInto(t, "#vkey", e.vkey)
	b.click(t, "#vkey-save")
	b.click(t, "#wallet-connect")
	b.waitFor(t, "wallet connected", "document.getElementById('wallet-account').textContent === arguments[0]", lower("project"))
	b.screenshot(t, "session")

	// Whitelist before.
	b.page(t, "whitelist")
	b.screenshot(t, "whitelist-bootstrap")

	// Propose: the project admin adds a staking destination.
	// The label has HTML metacharacters: shown as text, never markup, and the
	// in-browser inclusion proof must recover its record's exact bytes.
	const label = "Babylon <b>vault</b> & co"
	const dest = "bcrt1qscwjzznqkey9qgufnwugzwxm4wz3w3n44axnrla7fey9w20p9yxsge3dxc"
	b.page(t, "propose")
	b.selectValue(t, "#p-action", "whitelist_add")
	b.selectValue(t, "#p-kind", "staking_destination")
	b.typeInto(t, "#p-address", dest)
	b.typeInto(t, "#p-label", label)
	b.click(t, "#p-review")
	b.waitFor(t, "review", "document.querySelector('#review')")
	if got := b.text(t, `#message-fields tr[data-field="address"] code.val`); got != dest {
		t.Errorf("review shows address %q", got)
	}
	if got := b.text(t, "#primary-type"); got != "Proposal" {
		t.Errorf("review shows primary type %q", got)
	}
	b.screenshot(t, "propose-review")
	b.click(t, "#sign-submit")
	b.waitFor(t, "proposal accepted", "document.querySelector('#sign-status.ok')")
	shown := b.text(t, "#digest")
	signed := e.wallet.last()
	if signed.Digest.Hex() != shown {
		t.Fatalf("the wallet signed digest %s, the page showed %s", signed.Digest.Hex(), shown)
	}
	b.screenshot(t, "propose-accepted")
	props, err := e.gov.Proposals(ctx, governance.StatusPending)
	if err != nil || len(props) != 1 || props[0].ID != shown || props[0].Content.Address != dest {
		t.Fatalf("governance has %+v (%v), want one proposal %s", props, err, shown)
	}
	id := props[0].ID
	card := `section.proposal[data-id="` + id + `"]`

	approveAs := func(who, ttl string) {
		t.Helper()
		e.wallet.use(who, false)
		b.page(t, "proposals")
		if ttl != "" {
			b.selectValue(t, card+" select.ttl", ttl)
		}
		b.click(t, card+" button.approve")
		b.waitFor(t, "approval review", "document.querySelector('#review')")
		b.click(t, "#sign-submit")
		b.waitFor(t, "approval answered", "document.querySelector('#sign-status.ok, #sign-status.error')")
	}

	// Pending proposal decoded.
	b.page(t, "proposals")
	if !strings.Contains(b.text(t, card+" .id-check"), "EIP-712 hash") {
		t.Errorf("proposal id check: %q", b.text(t, card+" .id-check"))
	}
	if txt := b.text(t, card); !strings.Contains(txt, "regtest") || !strings.Contains(txt, "0 of 2 approvals") || !strings.Contains(txt, label) {
		t.Errorf("pending proposal card: %q", txt)
	}
	b.screenshot(t, "proposals-pending")

	// A non-admin wallet is refused by policyd, readably.
	approveAs("outsider", "")
	if msg := b.text(t, "#sign-status"); !strings.Contains(msg, "not authorized") || !strings.Contains(msg, lower("outsider")) {
		t.Errorf("non-admin message: %q", msg)
	}
	b.screenshot(t, "refused-non-admin")

	// A wallet on another chain is told to switch before anything is signed.
	e.wallet.setChain(governance.ChainIDMainnet)
	signedBefore := e.wallet.count()
	approveAs("bitlayer1", "")
	if msg := b.text(t, "#sign-status"); !strings.Contains(msg, "Switch your wallet") || !strings.Contains(msg, "200810") {
		t.Errorf("wrong-chain message: %q", msg)
	}
	if e.wallet.count() != signedBefore {
		t.Error("the page asked for a signature from a wallet on another chain")
	}
	b.screenshot(t, "refused-wrong-chain")
	e.wallet.setChain(e.domain.ChainID)

	// First Bitlayer admin approves.
	approveAs("bitlayer1", "")
	if msg := b.text(t, "#sign-status"); !strings.Contains(msg, "1 approval(s) recorded") {
		t.Fatalf("first approval: %q", msg)
	}

	// An expired approval: the server's clock is an hour ahead of the
	// admin's, the approval lives 5 minutes.
	e.offset.Store(int64(time.Hour))
	approveAs("bitlayer2", "300")
	if msg := b.text(t, "#sign-status"); !strings.Contains(msg, "expiry had already passed") || !strings.Contains(msg, "signature_expired") {
		t.Errorf("expired approval message: %q", msg)
	}
	b.screenshot(t, "refused-expired-approval")
	e.offset.Store(0)

	// Second Bitlayer admin approves: quorum, executed, timelock starts.
	approveAs("bitlayer2", "")
	if msg := b.text(t, "#sign-status"); !strings.Contains(msg, "quorum is reached") {
		t.Fatalf("second approval: %q", msg)
	}
	row := `table.entries tr[data-address="` + dest + `"]`
	b.page(t, "whitelist")
	b.waitFor(t, "timelocked entry", "document.querySelector(arguments[0] + '[data-active=\"0\"]')", row)
	if txt := b.text(t, row); !strings.Contains(txt, "timelocked") {
		t.Errorf("entry row before the timelock: %q", txt)
	}
	b.screenshot(t, "whitelist-timelocked")
	activeAt := func() bool {
		var in bool
		err := e.db.View(func(tx *bolt.Tx) error {
			w, err := e.gov.Whitelist(tx, time.Now())
			for _, en := range w.Entries {
				in = in || en.Address == dest
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	if activeAt() {
		t.Fatal("the entry is in effect before its timelock")
	}
	// The page's countdown reloads the whitelist when the timelock passes.
	b.waitFor(t, "entry active after the timelock", "document.querySelector(arguments[0] + '[data-active=\"1\"]')", row)
	if !activeAt() {
		t.Fatal("the page shows the entry active, governance does not")
	}
	b.screenshot(t, "whitelist-active")

	// Tampered typed data: the page shows X, the wallet is asked to sign Y.
	e.wallet.use("project", true)
	const other = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
	b.page(t, "propose")
	b.selectValue(t, "#p-action", "whitelist_remove")
	b.selectValue(t, "#p-kind", "bridge_hot_wallet")
	b.typeInto(t, "#p-address", other)
	b.click(t, "#p-review")
	b.waitFor(t, "review", "document.querySelector('#review')")
	b.click(t, "#sign-submit")
	b.waitFor(t, "tamper refused", "document.querySelector('#sign-status.error')")
	if msg := b.text(t, "#sign-status"); !strings.Contains(msg, "not over the data shown") || !strings.Contains(msg, "Nothing was submitted") {
		t.Errorf("tampered message: %q", msg)
	}
	b.screenshot(t, "refused-tampered")
	if ps, _ := e.gov.Proposals(ctx, governance.StatusPending); len(ps) != 0 {
		t.Fatalf("a tampered signature reached governance: %+v", ps)
	}
	// And policyd itself refuses that signature for the content shown.
	tampered := e.wallet.last()
	var shownTD apitypes.TypedData
	if err := json.Unmarshal([]byte(tampered.JSON), &shownTD); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"proposal": map[string]any{"action": "whitelist_remove", "entry_kind": "bridge_hot_wallet",
		"address": other, "nonce": shownTD.Message["nonce"], "expiry": json.Number(shownTD.Message["expiry"].(string))}, "signature": tampered.Sig})
	resp, err := e.srv.Client().Post(e.srv.URL+"/v1/whitelist/proposals", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(rb), "not_authorized") {
		t.Errorf("policyd on the tampered signature: %d %s", resp.StatusCode, rb)
	}

	// Freeze by one Bitlayer admin, then an unfreeze proposal, rejected.
	e.wallet.use("bitlayer3", false)
	b.page(t, "freeze")
	b.screenshot(t, "freeze")
	b.typeInto(t, "#f-reason", "unexpected spend from the wallet")
	b.click(t, "#freeze")
	b.waitFor(t, "freeze review", "document.querySelector('#review')")
	b.click(t, "#sign-submit")
	b.waitFor(t, "frozen", "document.querySelector('#sign-status.ok')")
	if fs, _ := e.gov.FreezeState(ctx); !fs.Frozen {
		t.Fatal("not frozen")
	}
	b.page(t, "freeze")
	b.click(t, "#unfreeze")
	b.waitFor(t, "unfreeze review", "document.querySelector('#review')")
	b.click(t, "#sign-submit")
	b.waitFor(t, "unfreeze proposed", "document.querySelector('#sign-status.ok')")
	b.page(t, "whitelist")
	b.waitFor(t, "frozen banner", "document.querySelector('#frozen-banner')")
	b.screenshot(t, "whitelist-frozen")
	ps, _ := e.gov.Proposals(ctx, governance.StatusPending)
	if len(ps) != 1 || ps[0].Content.Action != governance.ActionUnfreeze {
		t.Fatalf("unfreeze proposal: %+v", ps)
	}
	e.wallet.use("bitlayer1", false)
	b.page(t, "proposals")
	b.typeInto(t, `section.proposal[data-id="`+ps[0].ID+`"] input.reject-reason`, "not yet: investigating")
	b.click(t, `section.proposal[data-id="`+ps[0].ID+`"] button.reject`)
	b.waitFor(t, "reject review", "document.querySelector('#review')")
	b.screenshot(t, "reject-review")
	b.click(t, "#sign-submit")
	b.waitFor(t, "rejected", "document.querySelector('#sign-status.ok')")
	if p, _ := e.gov.Proposal(ctx, ps[0].ID); p.Status != governance.StatusRejected || p.Rejection.Reason != "not yet: investigating" {
		t.Fatalf("rejection: %+v", p)
	}

	// Decisions, L2.
	b.page(t, "decisions")
	b.waitFor(t, "decision list", "document.querySelector('#decision-list table')")
	b.click(t, "#decision-list a")
	b.waitFor(t, "decision shown", "document.querySelector('section.decision')")
	if txt := b.text(t, "section.decision"); !strings.Contains(txt, "output_not_whitelisted") || !strings.Contains(txt, "denied") {
		t.Errorf("decision view: %q", txt)
	}
	var revokeDisabled bool
	b.exec(t, "return document.getElementById('revoke').disabled;", &revokeDisabled)
	if !revokeDisabled || !strings.Contains(b.text(t, "#revoke-note"), "has not begun signing") || !strings.Contains(b.text(t, "#revoke-note"), "denied") {
		t.Errorf("revoke of a denied decision: disabled %v, note %q", revokeDisabled, b.text(t, "#revoke-note"))
	}
	b.screenshot(t, "decisions")
	b.page(t, "l2")
	b.screenshot(t, "l2")

	// Auditor: checkpoint signature, full export and one inclusion proof,
	// verified in the browser.
	b.page(t, "audit")
	b.waitFor(t, "checkpoint verified", "document.querySelector('#checkpoint-ok')")
	b.click(t, "#verify-export")
	b.waitFor(t, "export verified", "document.querySelector('#export-ok, #export-bad')")
	if b.text(t, "#export-ok") == "" {
		t.Fatalf("export: %q", b.text(t, "#export-out"))
	}
	b.typeInto(t, "#proof-index", "2") // the proposal record, with the label
	b.click(t, "#verify-proof")
	b.waitFor(t, "proof verified", "document.querySelector('#proof-ok, #proof-bad, #page-error')")
	if b.text(t, "#proof-ok") == "" || !strings.Contains(b.text(t, "#proof-out"), label) {
		t.Fatalf("proof: %q", b.text(t, "#proof-out"))
	}
	var injectedNodes int
	b.exec(t, "return document.querySelectorAll('#main b').length;", &injectedNodes)
	if injectedNodes != 0 {
		t.Errorf("a label became markup: %d <b> elements", injectedNodes)
	}
	b.screenshot(t, "audit")

	// A wrong verifier key: nothing verifies.
	_, otherKey, _ := auditKeyPair(t)
	b.page(t, "session")
	b.typeInto(t, "#vkey", otherKey)
	b.click(t, "#vkey-save")
	b.page(t, "audit")
	b.waitFor(t, "checkpoint refused", "document.querySelector('#checkpoint-bad')")
	b.screenshot(t, "audit-wrong-key")

	// No CSP or Trusted Types violation anywhere.
	checkNoCSPViolations(t, b)
}

func auditKeyPair(t *testing.T) (string, string, error) {
	skey, vkey, err := audit.GenerateKey(audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey, nil
}

func checkNoCSPViolations(t *testing.T, b *browser) {
	var entries []struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	if err := b.call("POST", b.s("/se/log"), map[string]string{"type": "browser"}, &entries); err != nil {
		t.Fatalf("browser log: %v", err)
	}
	for _, en := range entries {
		if strings.Contains(en.Message, "Content Security Policy") || strings.Contains(en.Message, "Trusted Type") || strings.Contains(en.Message, "Refused to") {
			t.Errorf("browser: %s %s", en.Level, en.Message)
		}
	}
}

// TestAuditVerificationInBrowser runs the page's audit verifier (WebCrypto
// SHA-256 and Ed25519) on a real export, checkpoint and inclusion proofs, and
// on altered copies: a changed record, a dropped record, a truncated export
// and another key are all refused.
func TestAuditVerificationInBrowser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour).Unix()
	for i, a := range []string{"bcrt1qscwjzznqkey9qgufnwugzwxm4wz3w3n44axnrla7fey9w20p9yxsge3dxc", "bcrt1pscwjzznqkey9qgufnwugzwxm4wz3w3n44axnrla7fey9w20p9yxszw3y7y"} {
		c := governance.ProposalContent{Action: governance.ActionAdd, EntryKind: "staking_destination", Address: a,
			Label: []string{"<script>alert(1)</script> & \u2028", "ü ✓ \u202e"}[i], Nonce: "n", Expiry: exp}
		sig, err := governance.SignTypedData(governance.ProposalTypedData(e.domain, c), key(t, "project"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.gov.Propose(ctx, governance.SignedProposal{Proposal: c, Signature: sig}); err != nil {
			t.Fatal(err)
		}
	}
	var export bytes.Buffer
	if err := e.log.ExportRange(ctx, &export, audit.ExportRequest{}); err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := auditKeyPair(t)
	lines := strings.SplitAfter(export.String(), "\n")
	changed := strings.Replace(export.String(), "alert(1)", "alert(2)", 1)
	dropped := strings.Join(append(append([]string{}, lines[:2]...), lines[3:]...), "")
	truncated := strings.Join(lines[:len(lines)-2], "")

	b := startBrowser(t, e.srv.Certificate())
	b.navigate(t, e.srv.URL+"/console/#/session")
	b.waitFor(t, "console loaded", "document.querySelector('#page-session[data-ready]')")
	var out map[string]string
	b.execAsync(t, `const [vkey, other, token, cases, done] = arguments;
	  (async () => {
	    const m = await import('/console/js/audit.js');
	    const bytes = (s) => new TextEncoder().encode(s);
	    const res = {};
	    const run = async (name, f) => { try { await f(); res[name] = 'ok'; } catch (e) { res[name] = 'refused: ' + e.message; } };
	    for (const [name, text] of Object.entries(cases)) await run(name, () => m.verifyExport(bytes(text), vkey));
	    await run('other-key', () => m.verifyExport(bytes(cases.good), other));
	    const size = cases.good.split('\n').length - 3;
	    for (let i = 0; i < size; i++) {
	      const r = await fetch('/v1/audit/proof/' + i, { headers: { Authorization: 'Bearer ' + token } });
	      const raw = new Uint8Array(await r.arrayBuffer());
	      await run('proof-' + i, () => m.verifyInclusion(raw, vkey));
	    }
	    return res;
	  })().then(done, (e) => done({ error: String(e) }));`, &out, e.vkey, otherKey, e.auditor,
		map[string]string{"good": export.String(), "changed": changed, "dropped": dropped, "truncated": truncated})
	if out["error"] != "" {
		t.Fatal(out["error"])
	}
	want := map[string]string{"good": "ok", "changed": "changed", "dropped": "dropped", "truncated": "truncated", "other-key": "not signed by the verifier key"}
	for name, w := range want {
		if got := out[name]; !strings.Contains(got, w) || (w != "ok" && !strings.HasPrefix(got, "refused")) {
			t.Errorf("%s: %q, want %q", name, got, w)
		}
	}
	proofs := 0
	for name, got := range out {
		if strings.HasPrefix(name, "proof-") {
			proofs++
			if got != "ok" {
				t.Errorf("%s: %s", name, got)
			}
		}
	}
	if proofs < 4 {
		t.Errorf("only %d inclusion proofs checked: %v", proofs, out)
	}
}

// TestRevokeFlowAgainstGovStruct drives the Revoke button against a stand-in
// for the API route the arch engineer is adding: the served OpenAPI document
// lists POST /v1/decisions/{id}/revoke, and the stand-in hands the body to
// governance.AuthenticateRevoke (the real one), which verifies the signature
// over governance.RevokeTypedData for a Bitlayer admin and records it.
func TestRevokeFlowAgainstGovStruct(t *testing.T) {
	got := make(chan governance.RevokeAuth, 1)
	e := newEnv(t, func(e *env, mux *http.ServeMux) {
		// A live decision (allowed, not yet signing): the only kind the
		// page offers to revoke.
		mux.HandleFunc("GET /v1/decisions/{id}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			rec := strings.Replace(decisionRecord, `"state":"denied"`, `"state":"reserved"`, 1)
			fmt.Fprintf(w, `{"id":%q,"outcome":"allow","record":%s}`, r.PathValue("id"), rec)
		})
		mux.HandleFunc("GET /v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
			var doc map[string]any
			if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
				t.Error(err)
			}
			doc["paths"].(map[string]any)["/v1/decisions/{id}/revoke"] = map[string]any{"post": map[string]any{"x-roles": []string{"admin"}}}
			json.NewEncoder(w).Encode(doc)
		})
		mux.HandleFunc("POST /v1/decisions/{id}/revoke", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			var req governance.RevokeRequest
			dec := json.NewDecoder(r.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil || req.DecisionID != r.PathValue("id") {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":{"code":"bad_json","message":"bad body"}}`))
				return
			}
			a, err := e.gov.AuthenticateRevoke(r.Context(), req)
			if err != nil {
				var ee *errs.Error
				if !errors.As(err, &ee) {
					t.Errorf("revoke: %v", err)
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				w.WriteHeader(api.StatusOf(ee.Kind))
				json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": ee.Code, "message": ee.Msg}})
				return
			}
			got <- a
			json.NewEncoder(w).Encode(map[string]any{"id": req.DecisionID, "outcome": "deny"})
		})
	})
	b := startBrowser(t, e.srv.Certificate())
	b.navigate(t, e.srv.URL+"/console/")
	b.waitFor(t, "console loaded", "document.querySelector('#page-session[data-ready]')")
	b.exec(t, providerJS, nil)
	b.typeInto(t, "#token", e.auditor)
	b.click(t, "#token-save")
	b.waitFor(t, "token accepted", "document.querySelector('#token-ok')")
	e.wallet.use("bitlayer2", false)
	b.page(t, "decisions")
	b.typeInto(t, "#d-id", decisionID)
	b.click(t, "#d-show")
	b.waitFor(t, "decision shown", "document.querySelector('section.decision')")
	if b.text(t, "#revoke-note") != "" {
		t.Errorf("revoke note shown although the route is served: %q", b.text(t, "#revoke-note"))
	}
	b.typeInto(t, "#revoke-reason", "custody reports a compromised input")
	b.click(t, "#revoke")
	b.waitFor(t, "revoke review", "document.querySelector('#review')")
	if b.text(t, "#primary-type") != "Revoke" || b.text(t, `#message-fields tr[data-field="decisionId"] code.val`) != decisionID {
		t.Errorf("revoke review: %q", b.text(t, "#review"))
	}
	b.screenshot(t, "revoke-review")
	b.click(t, "#sign-submit")
	b.waitFor(t, "revoked", "document.querySelector('#sign-status.ok, #sign-status.error')")
	if msg := b.text(t, "#sign-status"); !strings.Contains(msg, "Revoked") {
		t.Fatalf("revoke: %q", msg)
	}
	a := <-got
	if a.Reason != "custody reports a compromised input" || a.DecisionID != decisionID || a.Admin != addr(t, "bitlayer2").Hex() {
		t.Errorf("governance authenticated %+v", a)
	}
	b.screenshot(t, "revoked")
}
