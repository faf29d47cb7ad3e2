package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/internal/btcnet"
)

// problems collects configuration problems, one "key: problem" line each.
type problems []string

func (p *problems) add(key, format string, a ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, a...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "\n"))
}

// validate checks the values of a configuration without touching the file
// system: everything a start-up would otherwise discover only after it had
// opened the database. Each problem names its key.
func (c *Config) validate() error {
	var p problems
	switch {
	case c.DataDir == "":
		p.add("data_dir", "required")
	case !filepath.IsAbs(c.DataDir):
		p.add("data_dir", "%q must be an absolute path", c.DataDir)
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		p.add("listen", "%q is not host:port", c.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add("listen", "%q: bad port", c.Listen)
	}
	if _, err := btcnet.Params(c.Network); err != nil {
		p.add("network", "%v", err)
	}

	for _, f := range c.tlsFiles() {
		if f.path == "" {
			p.add(f.key, "required")
		}
	}
	for i, fp := range c.Auth.CustodyCertSHA256 {
		if !isSHA256Hex(fp) {
			p.add(fmt.Sprintf("auth.custody_cert_sha256[%d]", i), "want 64 lowercase hex characters (SHA-256 of the DER certificate)")
		}
	}
	for i, t := range c.Auth.Tokens {
		key := fmt.Sprintf("auth.tokens[%d]", i)
		if t.Name == "" {
			p.add(key+".name", "required")
		}
		if !isSHA256Hex(t.SHA256) {
			p.add(key+".sha256", "want 64 lowercase hex characters (SHA-256 of the token, never the token)")
		}
		if t.Role != api.RoleAuditor && t.Role != api.RoleReader && t.Role != api.RoleOperator {
			p.add(key+".role", "%q: want %q, %q or %q", t.Role, api.RoleAuditor, api.RoleReader, api.RoleOperator)
		}
	}

	if len(c.L2.RPCURLs) == 0 {
		p.add("l2.rpc_urls", "at least one L2 JSON-RPC URL is required")
	}
	for i, u := range c.L2.RPCURLs {
		if pu, err := url.Parse(u); err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https" && pu.Scheme != "ws" && pu.Scheme != "wss") {
			p.add(fmt.Sprintf("l2.rpc_urls[%d]", i), "%q is not an http(s) or ws(s) URL", u)
		}
	}
	if !common.IsHexAddress(c.L2.Contract) {
		p.add("l2.contract", "%q is not an address (0x and 40 hex digits)", c.L2.Contract)
	}
	if c.L2.StartBlock < 1 {
		p.add("l2.start_block", "must be at least 1 (the staking contract's deployment block)")
	}
	if c.L2.Confirmations < 1 {
		p.add("l2.confirmations", "must be at least 1")
	}
	if c.L2.MaxRange < 1 {
		p.add("l2.max_range", "must be at least 1")
	}
	if c.L2.PollInterval <= 0 {
		p.add("l2.poll_interval", "must be positive")
	}
	if c.L2.StaleAfter <= 0 {
		p.add("l2.stale_after", "must be positive")
	}
	switch {
	case !common.IsHexAddress(c.L2.BTCToken):
		p.add("l2.btc_token", "%q is not an address", c.L2.BTCToken)
	case !common.IsHexAddress(c.Policy.BTCToken):
		p.add("policy.btc_token", "%q is not an address", c.Policy.BTCToken)
	case common.HexToAddress(c.L2.BTCToken) != common.HexToAddress(c.Policy.BTCToken):
		p.add("policy.btc_token", "%s differs from l2.btc_token %s: both must name the same token", c.Policy.BTCToken, c.L2.BTCToken)
	}

	c.L1.validate(&p)

	g := c.Governance
	if g.ChainID <= 0 {
		p.add("governance.chain_id", "must be positive")
	}
	if g.WalletID == "" {
		p.add("governance.wallet_id", "required (binds admin approvals to this wallet)")
	}
	if len(g.BitlayerAdmins) == 0 {
		p.add("governance.bitlayer_admins", "at least one admin address is required")
	}
	seen := map[common.Address]string{}
	for _, list := range []struct {
		key   string
		addrs []string
	}{{"governance.bitlayer_admins", g.BitlayerAdmins}, {"governance.project_admins", g.ProjectAdmins}} {
		for i, a := range list.addrs {
			key := fmt.Sprintf("%s[%d]", list.key, i)
			if !common.IsHexAddress(a) {
				p.add(key, "%q is not an address", a)
				continue
			}
			if prev, dup := seen[common.HexToAddress(a)]; dup {
				p.add(key, "%s is also %s", a, prev)
			}
			seen[common.HexToAddress(a)] = key
		}
	}
	if g.Quorum < 1 || g.Quorum > len(g.BitlayerAdmins) {
		p.add("governance.quorum", "%d: want 1..%d (the number of bitlayer_admins)", g.Quorum, len(g.BitlayerAdmins))
	}
	if !g.NoTimelock && g.Timelock <= 0 {
		p.add("governance.timelock", "must be positive (or set no_timelock, dev only)")
	}

	if prob := dataCarrierProblem(c.PSBT.MaxDataCarrierSize); prob != "" {
		p.add("psbt.max_datacarrier_size", "%s", prob)
	}
	if c.MPC.Parallel < 1 {
		p.add("mpc.parallel", "must be at least 1")
	}
	if c.MPC.SessionTimeout <= 0 {
		p.add("mpc.session_timeout", "must be positive")
	}
	if c.MPC.PreParamsTarget < 0 {
		p.add("mpc.pre_params_target", "must not be negative (0: the default, 2)")
	}
	if c.MPC.WorkFactor < 0 {
		p.add("mpc.work_factor", "must not be negative")
	}
	c.validateWitnesses(&p) // witness.go
	c.validateBabylon(&p)   // babylon.go
	return p.err()
}

// checkFiles checks, reading only, the files the configuration names: what
// must exist exists and the share's passphrase is available when a share
// will be read or written. It runs after validate and before anything is
// created.
func (c *Config) checkFiles() error {
	var p problems
	if fi, err := os.Stat(c.DataDir); err == nil && !fi.IsDir() {
		p.add("data_dir", "%s is not a directory", c.DataDir)
	}
	for _, f := range append(append(append(c.tlsFiles(), configFile{"mpc.passphrase_file", c.MPC.PassphraseFile}), c.L1.files()...), c.babylonFiles()...) {
		if f.path == "" {
			continue
		}
		if err := readable(f.path); err != nil {
			p.add(f.key, "%v", err)
		}
	}
	_, shareErr := os.Stat(c.MPC.ShareFile)
	needPass := shareErr == nil || c.MPC.AllowKeygen || c.MPC.AllowReshare
	if needPass && c.MPC.PassphraseFile == "" && os.Getenv("POLICYD_SHARE_PASSPHRASE") == "" {
		p.add("mpc.passphrase_file", "not set and POLICYD_SHARE_PASSPHRASE is empty: the key share cannot be read or written")
	}
	return p.err()
}

type configFile struct{ key, path string }

func (c *Config) tlsFiles() []configFile {
	return []configFile{{"tls.cert_file", c.TLS.CertFile}, {"tls.key_file", c.TLS.KeyFile}, {"tls.client_ca_file", c.TLS.ClientCAFile}}
}

func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

func isSHA256Hex(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && s == strings.ToLower(s)
}
