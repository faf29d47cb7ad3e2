package main

// Babylon staking (issue 17; docs/babylon.md): the parameters versions as
// Babylon publishes them and the co-managed staker key, loaded into the
// policy parameters and the decision service.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/internal/cli"
)

// BabylonConfig is the babylon block. Without it no staking output
// verifies (babylon_no_params).
type BabylonConfig struct {
	// ParamsFile is Babylon's global parameters versions, a JSON array in
	// the form Babylon publishes them (babylon.ParseSchedule: version,
	// btc_activation_height, covenant_pks, covenant_quorum, ...). The
	// version in force at the L1 view's height judges a staking output; its
	// SHA-256 goes into the policy parameters' hash.
	ParamsFile string `json:"params_file"`
	// StakerKey is the co-managed staker key, hex: the x-only (32 bytes) or
	// compressed (33 bytes) 2-of-2 MuSig2 aggregate of the custody node's and
	// policyd's keys. Empty: no staking output verifies
	// (staking_key_not_approved).
	StakerKey string `json:"staker_key,omitempty"`

	schedule *babylon.Schedule // loaded by Config.loadBabylon
}

// validate checks the block's values (the file is read by loadBabylon).
func (c *Config) validateBabylon(p *problems) {
	pol := c.Policy.Params
	if len(pol.StakerKey) > 0 {
		p.add("policy.babylon_staker_key", "set babylon.staker_key instead")
	}
	if pol.BabylonParamsSHA256 != "" {
		p.add("policy.babylon_params_sha256", "computed from babylon.params_file, not configured")
	}
	b := c.Babylon
	if b == nil {
		return
	}
	if len(pol.CovenantKeys) > 0 || pol.CovenantQuorum != 0 {
		p.add("policy.covenant_keys", "set together with babylon.params_file: the covenant committee and quorum come from the Babylon parameters version in force; remove policy.covenant_keys and policy.covenant_quorum (docs/babylon.md, migration)")
	}
	if b.ParamsFile == "" {
		p.add("babylon.params_file", "required (Babylon's published parameters versions)")
	}
	if b.StakerKey != "" {
		raw, err := hex.DecodeString(b.StakerKey)
		if err == nil {
			_, err = babylon.ParseKey(raw)
		}
		if err != nil {
			p.add("babylon.staker_key", "want the co-managed MuSig2 key as 64 (x-only) or 66 (compressed) hex characters: %v", err)
		}
	}
}

// babylonFiles are the files the babylon block names.
func (c *Config) babylonFiles() []configFile {
	if c.Babylon == nil || c.Babylon.ParamsFile == "" {
		return nil
	}
	return []configFile{{"babylon.params_file", c.Babylon.ParamsFile}}
}

// loadBabylon reads and validates the parameters file and puts the staker
// key (x-only) and the file's SHA-256 into the policy parameters. A no-op
// without the babylon block. Errors are usage errors naming the key.
func (c *Config) loadBabylon() error {
	b := c.Babylon
	if b == nil {
		return nil
	}
	raw, err := os.ReadFile(b.ParamsFile)
	if err != nil {
		return cli.Usagef("babylon.params_file: %v", err)
	}
	s, err := babylon.ParseSchedule(raw)
	if err != nil {
		return cli.Usagef("babylon.params_file %s: %v", b.ParamsFile, err)
	}
	sum := sha256.Sum256(raw)
	c.Policy.BabylonParamsSHA256 = hex.EncodeToString(sum[:])
	c.Policy.StakerKey = nil
	if b.StakerKey != "" {
		kb, err := hex.DecodeString(b.StakerKey)
		if err != nil {
			return cli.Usagef("babylon.staker_key: %v", err)
		}
		k, err := babylon.ParseKey(kb)
		if err != nil {
			return cli.Usagef("babylon.staker_key: %v", err)
		}
		c.Policy.StakerKey = babylon.XOnly(k)
	}
	b.schedule = s
	return nil
}

// babylonSchedule is the loaded schedule (nil without the babylon block).
func (c *Config) babylonSchedule() *babylon.Schedule {
	if c.Babylon == nil {
		return nil
	}
	return c.Babylon.schedule
}

// babylonWarnings are the start-up warnings of a configuration that cannot
// stake.
func (c *Config) babylonWarnings() []string {
	var w []string
	if c.Babylon == nil && (len(c.Policy.CovenantKeys) > 0 || c.Policy.CovenantQuorum != 0) {
		w = append(w, "policy.covenant_keys/covenant_quorum are deprecated and ignored: no staking output verifies (babylon_no_params) until babylon.params_file is set (docs/babylon.md, migration)")
	}
	if c.Babylon != nil && c.L1 == nil {
		w = append(w, "babylon is configured without the l1 block: no BTC height, so every staking output is denied (babylon_height_unknown)")
	}
	if c.Babylon != nil && c.Babylon.StakerKey == "" {
		w = append(w, "babylon.staker_key is empty: no staking output verifies (staking_key_not_approved)")
	}
	return w
}

// checkStakerKey compares the staker key of the MuSig2 ceremony (when one
// is recorded) with babylon.staker_key, which the policy accepts: policyd
// does not start when they differ, and warns when the ceremony produced a
// key the policy does not know yet.
func (s *server) checkStakerKey(svc *cosign.Service) error {
	if svc == nil {
		return nil
	}
	k := svc.AggregateKey()
	if k == nil {
		return nil
	}
	got := babylon.XOnly(k)
	switch want := s.cfg.Policy.StakerKey; {
	case len(want) == 0:
		s.log.Warn("the MuSig2 ceremony's staker key is not babylon.staker_key: no staking output verifies until it is configured", "staker_key", hex.EncodeToString(got))
	case !bytes.Equal(want, got):
		return cli.Usagef("babylon.staker_key %x is not the MuSig2 ceremony's staker key %x", []byte(want), got)
	}
	return nil
}
