package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/babylon"
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
	// Before the ceremony: policyd complete (with Babylon's parameters), the
	// relayer waits for the wallet and the audit key.
	params := devBabylonParams(t, dir)
	code, msg := render(append(admins, "--babylon-params", params)...)
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

// The example's l1 block reaches the rendered configuration as it is (the
// compose btcd, its secret and certificate), a --set moves the endpoint
// (what TestDeployRehearsal does), and a configuration without an L1 node
// is refused, naming l1.endpoints.
func TestConfigRenderKeepsTheL1Block(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := runPKI([]string{"init", "--out", filepath.Join(dir, "secrets"), "--light-keystore"}, &out, &errb); code != 0 {
		t.Fatalf("pki init: %d %s", code, errb.String())
	}
	auth := filepath.Join(dir, "auth.json")
	mustWriteFile(t, auth, out.Bytes())
	contracts := filepath.Join(dir, "contracts.json")
	mustWriteFile(t, contracts, []byte(`{"chain_id":"1337","governor":"0x2222222222222222222222222222222222222222","staking_pool":"0x3333333333333333333333333333333333333333","start_block":7}`))
	params := devBabylonParams(t, dir)
	render := func(example string, args ...string) (int, string, map[string]any) {
		out.Reset()
		errb.Reset()
		outDir := filepath.Join(dir, "out")
		code := run(append([]string{"config", "render", "--policyd-example", example, "--relayer-example", "../../deploy/relayer.config.json",
			"--out-dir", outDir, "--auth", auth, "--contracts", contracts, "--babylon-params", params,
			"--bitlayer-admins", "0x4444444444444444444444444444444444444444,0x5555555555555555555555555555555555555555",
			"--project-admins", "0x6666666666666666666666666666666666666666"}, args...), &out, &errb)
		var got map[string]any
		if code == 0 && readJSON(filepath.Join(outDir, "policyd.config.json"), &got) != nil {
			t.Fatal("rendered policyd configuration does not parse")
		}
		return code, errb.String(), got
	}
	const example = "../../deploy/policyd.config.json"
	code, msg, got := render(example)
	if code != 0 || strings.Contains(msg, "policyd.l1") {
		t.Fatalf("render of the example: %d\n%s", code, msg)
	}
	b, _ := json.Marshal(got["l1"])
	want := `{"confirmations":2,"endpoints":[{"ca_cert_file":"/var/lib/btcd-rpc/rpc.cert","password_file":"/run/secrets/btcd_rpc_pass","url":"https://btcd:18443","user":"policyd"}],"mempool_scan":true,"reserves_every":6,"start_height":1}`
	if string(b) != want {
		t.Fatalf("rendered l1 block\n%s\nwant\n%s", b, want)
	}
	if b, _ := json.Marshal(getPath(got, "policy.staking_times")); string(b) != "[64000]" || strings.Contains(msg, "staking_times is empty") {
		t.Fatalf("rendered policy.staking_times %s\n%s", b, msg)
	}
	ep := `policyd:l1.endpoints=[{"url":"https://127.0.0.1:18999","user":"policyd","password_file":"/s/pass","ca_cert_file":"/s/rpc.cert"}]`
	if code, msg, got = render(example, "--set", ep, "--set", "policyd:l1.start_height=500"); code != 0 {
		t.Fatalf("render with the endpoint moved: %d\n%s", code, msg)
	}
	if b, _ := json.Marshal(got["l1"]); !strings.Contains(string(b), `"url":"https://127.0.0.1:18999"`) || !strings.Contains(string(b), `"start_height":500`) || !strings.Contains(string(b), `"confirmations":2`) {
		t.Fatalf("rendered l1 block after --set: %s", b)
	}
	// Without the block (an older example): refused, naming it.
	var ex map[string]any
	if err := readJSON(example, &ex); err != nil {
		t.Fatal(err)
	}
	delete(ex, "l1")
	noL1 := filepath.Join(dir, "no-l1.config.json")
	raw, _ := json.Marshal(ex)
	mustWriteFile(t, noL1, raw)
	if code, msg, _ := render(noL1); code != 1 || !strings.Contains(msg, "still a placeholder: policyd.l1.endpoints") {
		t.Fatalf("render without an l1 block: exit %d, want 1 naming policyd.l1.endpoints\n%s", code, msg)
	}
	if code, msg, _ := render(example, "--set", "policyd:l1.endpoints=[]"); code != 1 || !strings.Contains(msg, "policyd.l1.endpoints") {
		t.Fatalf("render with no endpoint: exit %d\n%s", code, msg)
	}
}

// devBabylonParams writes the dev schedule in Babylon's published form.
func devBabylonParams(t *testing.T, dir string) string {
	t.Helper()
	var vs []babylon.VersionJSON
	for _, g := range babylon.DevSchedule().Versions() {
		vs = append(vs, g.JSON())
	}
	raw, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "babylon-params-source.json")
	mustWriteFile(t, path, raw)
	return path
}

// TestConfigRenderBabylonParams: the babylon block needs Babylon's
// parameters: without --babylon-params policyd's configuration is
// incomplete (named); a file babylon.ParseSchedule refuses is a usage
// error naming it, and nothing is copied; an accepted one is copied byte
// for byte beside the configurations (what docker-compose.yml mounts); a
// later render keeps the copy, and refuses it once damaged.
func TestConfigRenderBabylonParams(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := runPKI([]string{"init", "--out", filepath.Join(dir, "secrets"), "--light-keystore"}, &out, &errb); code != 0 {
		t.Fatalf("pki init: %d %s", code, errb.String())
	}
	auth := filepath.Join(dir, "auth.json")
	mustWriteFile(t, auth, out.Bytes())
	contracts := filepath.Join(dir, "contracts.json")
	mustWriteFile(t, contracts, []byte(`{"chain_id":"1337","deployer":"0x1111111111111111111111111111111111111111","governor":"0x2222222222222222222222222222222222222222","staking_pool":"0x3333333333333333333333333333333333333333","start_block":7}`))
	outDir := filepath.Join(dir, "out")
	render := func(args ...string) (int, string) {
		out.Reset()
		errb.Reset()
		base := []string{"config", "render", "--policyd-example", "../../deploy/policyd.config.json", "--relayer-example", "../../deploy/relayer.config.json",
			"--out-dir", outDir, "--auth", auth, "--contracts", contracts,
			"--bitlayer-admins", "0x4444444444444444444444444444444444444444,0x5555555555555555555555555555555555555555", "--project-admins", "0x6666666666666666666666666666666666666666"}
		code := run(append(base, args...), &out, &errb)
		return code, errb.String()
	}
	copied := filepath.Join(outDir, "babylon-params.json")
	if code, msg := render(); code != 1 || !strings.Contains(msg, "placeholder: policyd.babylon.params_file") {
		t.Fatalf("no parameters: %d\n%s", code, msg)
	}
	bad := filepath.Join(dir, "bad.json")
	mustWriteFile(t, bad, []byte(`[{"version":0,"covenant_quorum":1}]`))
	if code, msg := render("--babylon-params", bad); code != 2 || !strings.Contains(msg, bad) {
		t.Fatalf("refused parameters: %d\n%s", code, msg)
	}
	if _, err := os.Stat(copied); !os.IsNotExist(err) {
		t.Fatalf("refused parameters were copied: %v", err)
	}
	src := devBabylonParams(t, dir)
	code, msg := render("--babylon-params", src)
	if code != 0 || !strings.Contains(msg, "1 version(s)") || strings.Contains(msg, "placeholder: policyd.") {
		t.Fatalf("parameters: %d\n%s", code, msg)
	}
	want, _ := os.ReadFile(src)
	if got, err := os.ReadFile(copied); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("copy differs from the source: %v", err)
	}
	var cfg struct {
		Babylon struct {
			ParamsFile string `json:"params_file"`
		} `json:"babylon"`
		MuSig map[string]any `json:"musig"`
	}
	if readJSON(filepath.Join(outDir, "policyd.config.json"), &cfg) != nil || cfg.Babylon.ParamsFile != "/etc/policyd/babylon-params.json" || cfg.MuSig == nil {
		t.Fatalf("rendered babylon/musig blocks: %+v", cfg)
	}
	// A later render (the wallet step) keeps the copy.
	if code, msg := render("--wallet", "bcrt1qwallet", "--audit-key", "policyd-audit+0a1b2c3d+AbC"); code != 0 || strings.Contains(msg, "placeholder") {
		t.Fatalf("second render: %d\n%s", code, msg)
	}
	if got, _ := os.ReadFile(copied); !bytes.Equal(got, want) {
		t.Fatal("the second render changed the copy")
	}
	// A copy damaged since is refused, not kept.
	mustWriteFile(t, copied, []byte(`[]`))
	if code, msg := render(); code != 2 || !strings.Contains(msg, copied) {
		t.Fatalf("damaged copy: %d\n%s", code, msg)
	}
}

func mustWriteFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
