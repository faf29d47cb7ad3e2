package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The examples in deploy/ agree with each other (one bridge address), and
// config render turns them into complete configurations from the kit's
// outputs: nothing of the examples' placeholders is left once the wallet
// and the audit key are known, and a policyd configuration that still has
// one is refused.
func TestConfigRenderFromTheExamples(t *testing.T) {
	pdEx, rlEx := "../../deploy/policyd.config.json", "../../deploy/relayer.config.json"
	var pd struct {
		Governance struct {
			Bootstrap []struct{ Kind, Address string } `json:"bootstrap"`
		} `json:"governance"`
	}
	var rl struct {
		Bridge string `json:"bridge_address"`
	}
	if readJSON(pdEx, &pd) != nil || readJSON(rlEx, &rl) != nil {
		t.Fatal("examples do not parse")
	}
	if len(pd.Governance.Bootstrap) != 1 || pd.Governance.Bootstrap[0].Address != rl.Bridge {
		t.Fatalf("the examples disagree on the bridge: policyd bootstraps %+v, the relayer pays %s", pd.Governance.Bootstrap, rl.Bridge)
	}

	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := runPKI([]string{"init", "--out", filepath.Join(dir, "secrets"), "--light-keystore"}, &out, &errb); code != 0 {
		t.Fatalf("pki init: %d %s", code, errb.String())
	}
	auth := filepath.Join(dir, "auth.json")
	mustWriteFile(t, auth, out.Bytes())
	contracts := filepath.Join(dir, "contracts.json")
	mustWriteFile(t, contracts, []byte(`{"chain_id":"1337","deployer":"0x1111111111111111111111111111111111111111","governor":"0x2222222222222222222222222222222222222222","staking_pool":"0x3333333333333333333333333333333333333333","start_block":7}`))
	base := []string{"config", "render", "--policyd-example", pdEx, "--relayer-example", rlEx, "--out-dir", filepath.Join(dir, "out"),
		"--auth", auth, "--contracts", contracts}
	admins := []string{"--bitlayer-admins", "0x4444444444444444444444444444444444444444,0x5555555555555555555555555555555555555555", "--project-admins", "0x6666666666666666666666666666666666666666"}

	render := func(args ...string) (int, string) {
		out.Reset()
		errb.Reset()
		code := run(append(append([]string{}, base...), args...), &out, &errb)
		return code, errb.String()
	}
	// The examples' admins are placeholders: refused.
	if code, msg := render(); code != 1 || !strings.Contains(msg, "policyd.governance.bitlayer_admins") {
		t.Fatalf("render without admins: %d\n%s", code, msg)
	}
	// Before the ceremony: policyd complete, the relayer waits for the wallet and the audit key.
	code, msg := render(admins...)
	if code != 0 || !strings.Contains(msg, "relayer.wallet_addresses") || !strings.Contains(msg, "relayer.policyd_audit_key") || strings.Contains(msg, "placeholder: policyd.") {
		t.Fatalf("render before the ceremony: %d\n%s", code, msg)
	}
	// After: nothing left; --set overrides land.
	code, msg = render(append(admins, "--wallet", "bcrt1qwallet", "--audit-key", "policyd-audit+0a1b2c3d+AbC",
		"--set", "policyd:listen=127.0.0.1:9443", "--set", `policyd:l2.rpc_urls=["http://127.0.0.1:8545"]`, "--set", "relayer:confirmations=2")...)
	if code != 0 || strings.Contains(msg, "placeholder") {
		t.Fatalf("render after the ceremony: %d\n%s", code, msg)
	}
	var got map[string]any
	var gotRl map[string]any
	if readJSON(filepath.Join(dir, "out", "policyd.config.json"), &got) != nil || readJSON(filepath.Join(dir, "out", "relayer.config.json"), &gotRl) != nil {
		t.Fatal("rendered files do not parse")
	}
	b, _ := json.Marshal(got)
	for _, want := range []string{`"listen":"127.0.0.1:9443"`, `"rpc_urls":["http://127.0.0.1:8545"]`, `"contract":"0x3333333333333333333333333333333333333333"`, `"start_block":7`, `"chain_id":1337`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("policyd config lacks %s: %s", want, b)
		}
	}
	b, _ = json.Marshal(gotRl)
	for _, want := range []string{`"governor":"0x2222222222222222222222222222222222222222"`, `"wallet_addresses":"bcrt1qwallet"`, `"confirmations":2`, `"l2_start_block":7`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("relayer config lacks %s: %s", want, b)
		}
	}
	if code, _ := render("--set", "nofile:x=1"); code != 2 {
		t.Fatalf("bad --set: exit %d", code)
	}
}

func mustWriteFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
