package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/internal/cli"
)

// policyctl config render writes the deployment's final configuration
// files from the examples in deploy/ and what the kit produced: the auth
// block of `pki init`, the addresses of `contracts deploy`, and (after the
// key ceremony and policyd's first start) the wallet address and the audit
// verifier key. Every value it fills in is named on stderr; whatever is
// still a placeholder afterwards is listed, and a policyd configuration
// with a placeholder left is refused (it would only crash-loop).
//
//	policyctl config render --auth auth.json --contracts contracts.json \
//	    --bitlayer-admins 0x…,0x…,0x… --out-dir deploy/rendered
//	policyctl config render … --wallet bcrt1q… --audit-key policyd-audit+…   (after the ceremony)
//
// --babylon-params FILE is Babylon's published staking parameters (the
// versions, a JSON array in Babylon's form): checked with
// babylon.ParseSchedule and copied byte for byte to OUT/babylon-params.json,
// which the example's babylon.params_file names in the container. A later
// render without the flag keeps (and re-checks) the copy already there.

type renderFlags struct {
	policydExample, relayerExample, outDir string
	auth, contracts                        string
	bridge, wallet, auditKey               string
	bitlayerAdmins, projectAdmins          string
	babylonParams                          string
	sets                                   setList
}

type setList []string

func (s *setList) String() string     { return strings.Join(*s, " ") }
func (s *setList) Set(v string) error { *s = append(*s, v); return nil }

func runConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || cli.AsksHelp(args[:1]) || args[0] == "help" {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		fmt.Fprintln(w, "usage: policyctl config render [flags]   (--help for the flags)")
		if len(args) == 0 {
			return cli.ExitUsage
		}
		return cli.ExitOK
	}
	if args[0] != "render" {
		fmt.Fprintf(stderr, "policyctl config: unknown command %q\n", args[0])
		return cli.ExitUsage
	}
	var f renderFlags
	fs := flag.NewFlagSet("policyctl config render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.policydExample, "policyd-example", "deploy/policyd.config.json", "policyd's example configuration")
	fs.StringVar(&f.relayerExample, "relayer-example", "deploy/relayer.config.json", "the relayer's example configuration")
	fs.StringVar(&f.outDir, "out-dir", "deploy/rendered", "directory for policyd.config.json and relayer.config.json (rewritten on every run)")
	fs.StringVar(&f.auth, "auth", "", "the JSON `policyctl pki init` printed (the auth block)")
	fs.StringVar(&f.contracts, "contracts", "", "the JSON `policyctl contracts deploy` printed")
	fs.StringVar(&f.bridge, "bridge", "", "the bridge hot wallet's Bitcoin address (policyd's bootstrap whitelist and the relayer's bridge_address; default: the examples', which must agree)")
	fs.StringVar(&f.bitlayerAdmins, "bitlayer-admins", "", "comma-separated Bitlayer admin Ethereum addresses (governance.bitlayer_admins)")
	fs.StringVar(&f.projectAdmins, "project-admins", "", "comma-separated project admin Ethereum addresses (governance.project_admins)")
	fs.StringVar(&f.wallet, "wallet", "", "the dedicated wallet's address, known after the key ceremony (relayer wallet_addresses)")
	fs.StringVar(&f.auditKey, "audit-key", "", "policyd's audit verifier key from its start-up banner (relayer policyd_audit_key)")
	fs.StringVar(&f.babylonParams, "babylon-params", "", "Babylon's published staking parameters (JSON array of versions), copied to OUT/"+babylonParamsName+" after babylon.ParseSchedule accepts it")
	fs.Var(&f.sets, "set", "FILE:KEY=VALUE override, FILE policyd or relayer, KEY dotted (l2.rpc_urls), VALUE JSON or a bare string (repeatable)")
	if code, ok := cli.Parse(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "policyctl config render: unexpected argument %q\n", fs.Arg(0))
		return cli.ExitUsage
	}
	left, err := renderConfigs(f, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl config render: %v\n", err)
		return cli.Code(err)
	}
	var pd []string
	for _, l := range left {
		fmt.Fprintf(stderr, "still a placeholder: %s\n", l)
		if strings.HasPrefix(l, "policyd.") {
			pd = append(pd, l)
		}
	}
	if len(pd) > 0 {
		fmt.Fprintln(stderr, "policyctl config render: policyd's configuration is incomplete (it would exit 2 at start-up)")
		return cli.ExitRefused
	}
	fmt.Fprintf(stdout, "%s\n%s\n", filepath.Join(f.outDir, "policyd.config.json"), filepath.Join(f.outDir, "relayer.config.json"))
	return cli.ExitOK
}

// renderConfigs writes both files and returns the placeholders left in
// them ("policyd.KEY" or "relayer.KEY").
func renderConfigs(f renderFlags, log io.Writer) ([]string, error) {
	pd, err := readJSONObject(f.policydExample)
	if err != nil {
		return nil, cli.WithCode(cli.ExitIO, err)
	}
	rl, err := readJSONObject(f.relayerExample)
	if err != nil {
		return nil, cli.WithCode(cli.ExitIO, err)
	}
	set := func(file string, obj map[string]any, key string, v any) {
		putPath(obj, key, v)
		b, _ := json.Marshal(v)
		fmt.Fprintf(log, "%s.%s = %s\n", file, key, b)
	}
	if f.auth != "" {
		var a struct {
			Auth struct {
				CustodyCertSHA256 []string `json:"custody_cert_sha256"`
				Tokens            []any    `json:"tokens"`
			} `json:"auth"`
			Audit struct {
				Witnesses []any `json:"witnesses"`
			} `json:"audit"`
		}
		if err := readJSON(f.auth, &a); err != nil {
			return nil, err
		}
		if len(a.Auth.CustodyCertSHA256) == 0 {
			return nil, cli.Usagef("%s: no auth.custody_cert_sha256 (is it the output of pki init?)", f.auth)
		}
		set("policyd", pd, "auth.custody_cert_sha256", a.Auth.CustodyCertSHA256)
		set("policyd", pd, "auth.tokens", a.Auth.Tokens)
		// The kit's witness keys (custody and relayer) are enrolled before
		// policyd's first start; an older auth file without them leaves the
		// example's list as it is.
		if len(a.Audit.Witnesses) > 0 {
			set("policyd", pd, "audit.witnesses", a.Audit.Witnesses)
		}
	}
	if f.contracts != "" {
		var c struct {
			ChainID     string `json:"chain_id"`
			Governor    string `json:"governor"`
			StakingPool string `json:"staking_pool"`
			StartBlock  uint64 `json:"start_block"`
		}
		if err := readJSON(f.contracts, &c); err != nil {
			return nil, err
		}
		if c.StakingPool == "" {
			return nil, cli.Usagef("%s: no staking_pool (is it the output of contracts deploy?)", f.contracts)
		}
		var chainID json.Number = json.Number(c.ChainID)
		set("policyd", pd, "l2.contract", c.StakingPool)
		set("policyd", pd, "l2.start_block", c.StartBlock)
		set("policyd", pd, "governance.chain_id", chainID)
		set("relayer", rl, "contract", c.StakingPool)
		set("relayer", rl, "governor", c.Governor)
		set("relayer", rl, "l2_start_block", c.StartBlock)
	}
	if f.bitlayerAdmins != "" {
		set("policyd", pd, "governance.bitlayer_admins", splitList(f.bitlayerAdmins))
	}
	if f.projectAdmins != "" {
		set("policyd", pd, "governance.project_admins", splitList(f.projectAdmins))
	}
	bridge := f.bridge
	if bridge == "" {
		bridge, _ = getPath(rl, "bridge_address").(string)
	}
	if bridge != "" {
		set("relayer", rl, "bridge_address", bridge)
		boot, _ := getPath(pd, "governance.bootstrap").([]any)
		for _, e := range boot {
			if m, ok := e.(map[string]any); ok && m["kind"] == "bridge_hot_wallet" {
				m["address"] = bridge
				fmt.Fprintf(log, "policyd.governance.bootstrap[bridge_hot_wallet].address = %q\n", bridge)
			}
		}
	}
	if f.wallet != "" {
		set("relayer", rl, "wallet_addresses", f.wallet)
	}
	if f.auditKey != "" {
		set("relayer", rl, "policyd_audit_key", f.auditKey)
	}
	for _, s := range f.sets {
		file, kv, ok1 := strings.Cut(s, ":")
		key, val, ok2 := strings.Cut(kv, "=")
		if !ok1 || !ok2 || key == "" || (file != "policyd" && file != "relayer") {
			return nil, cli.Usagef("--set %q: want policyd:KEY=VALUE or relayer:KEY=VALUE", s)
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(val))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil || dec.More() {
			v = val // a bare string
		}
		if file == "policyd" {
			set("policyd", pd, key, v)
		} else {
			set("relayer", rl, key, v)
		}
	}
	if err := os.MkdirAll(f.outDir, 0o755); err != nil {
		return nil, cli.IO(err)
	}
	babylonLeft, err := renderBabylonParams(f, pd, log)
	if err != nil {
		return nil, err
	}
	for name, obj := range map[string]map[string]any{"policyd.config.json": pd, "relayer.config.json": rl} {
		b, err := json.MarshalIndent(obj, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(f.outDir, name), append(b, '\n'), 0o644); err != nil {
			return nil, cli.IO(err)
		}
	}
	left := placeholders("policyd", pd)
	// The kit runs policyd with its L1 view (docs/deploy.md): without one it
	// checks no input against Bitcoin and denies every staking output.
	if eps, _ := getPath(pd, "l1.endpoints").([]any); len(eps) == 0 {
		left = append(left, "policyd.l1.endpoints (the Bitcoin node of policyd's L1 view is required: docs/deploy.md, \"The L1 node\")")
	}
	left = append(left, babylonLeft...)
	left = append(left, placeholders("relayer", rl)...)
	for _, k := range []string{"wallet_addresses", "policyd_audit_key", "contract", "bridge_address"} {
		if s, _ := getPath(rl, k).(string); s == "" {
			left = append(left, "relayer."+k)
		}
	}
	if f.wallet == "" {
		// The example's stands for the wallet; the real one exists only
		// after the key ceremony.
		left = append(left, "relayer.wallet_addresses (the key ceremony's address: --wallet)")
	}
	sort.Strings(left)
	return left, nil
}

// babylonParamsName is the rendered copy of Babylon's parameters in the
// output directory (docker-compose.yml mounts it read-only where the
// example's babylon.params_file points).
const babylonParamsName = "babylon-params.json"

// renderBabylonParams copies --babylon-params into the output directory
// once babylon.ParseSchedule accepts it (the check policyd makes at start),
// or re-checks the copy a previous render left. It returns the placeholder
// left when policyd's configuration has a babylon block and no parameters
// file exists yet.
func renderBabylonParams(f renderFlags, pd map[string]any, log io.Writer) ([]string, error) {
	out := filepath.Join(f.outDir, babylonParamsName)
	src := f.babylonParams
	if src == "" {
		if _, err := os.Stat(out); err != nil {
			if getPath(pd, "babylon") == nil {
				return nil, nil
			}
			return []string{"policyd.babylon.params_file (Babylon's published staking parameters: --babylon-params FILE)"}, nil
		}
		src = out
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		return nil, cli.IO(err)
	}
	sched, err := babylon.ParseSchedule(raw)
	if err != nil {
		return nil, cli.Usagef("--babylon-params %s: %v", src, err)
	}
	if src != out {
		if err := os.WriteFile(out, raw, 0o644); err != nil {
			return nil, cli.IO(err)
		}
	}
	if times, _ := getPath(pd, "policy.staking_times").([]any); len(times) == 0 {
		fmt.Fprintln(log, "note: policyd.policy.staking_times is empty: every staking output is denied (staking_time_not_allowed) until the project's staking times are set (--set policyd:policy.staking_times=[...])")
	}
	sum := sha256.Sum256(raw)
	vs := sched.Versions()
	fmt.Fprintf(log, "policyd babylon parameters %s: %d version(s), last %d from BTC height %d, sha256 %x (babylon_params_sha256)\n",
		out, len(vs), vs[len(vs)-1].Version, vs[len(vs)-1].ActivationHeight, sum)
	return nil, nil
}

var (
	zeroHash    = regexp.MustCompile(`^0{64}$`)
	zeroAddr    = regexp.MustCompile(`^0x0{40}$`)
	zeroAudit   = regexp.MustCompile(`^policyd-audit\+0{8}\+A+=*$`)
	placeholder = regexp.MustCompile(`(?i)\(replace\)`)
)

// placeholders lists the example values that must not reach a deployment:
// zero hashes, zero or tiny (0x…01) addresses, the zero audit key and
// labels marked "(replace)". The BTC token fields are the zero address on
// purpose (native BTC).
func placeholders(file string, v any) []string {
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(joinKey(path, k), e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case string:
			if strings.HasSuffix(path, "btc_token") {
				return
			}
			if zeroHash.MatchString(x) || zeroAddr.MatchString(x) || zeroAudit.MatchString(x) || placeholder.MatchString(x) || isTinyAddress(x) {
				out = append(out, file+"."+path)
			}
		}
	}
	walk("", v)
	return out
}

// isTinyAddress: 0x000…0001-style example addresses nobody holds a key for.
func isTinyAddress(s string) bool {
	if len(s) != 42 || !strings.HasPrefix(s, "0x") {
		return false
	}
	return strings.TrimLeft(s[2:], "0") != "" && len(strings.TrimLeft(s[2:], "0")) <= 2
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func readJSONObject(path string) (map[string]any, error) {
	var m map[string]any
	if err := readJSON(path, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return cli.IO(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return cli.Usagef("%s: %v", path, err)
	}
	return nil
}

// putPath sets a dotted key, creating objects on the way.
func putPath(m map[string]any, key string, v any) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func getPath(m map[string]any, key string) any {
	var cur any = m
	for _, p := range strings.Split(key, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}
