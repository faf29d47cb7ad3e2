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
	return w
}

// adoptStakerKey settles the policy's staker key against the MuSig2
// ceremony, before the decision service is built (the policy parameters
// are fixed from then on and hashed into every decision):
//
//   - babylon.staker_key set and a ceremony recorded: they must be the
//     same key, or policyd does not start;
//   - babylon.staker_key empty and a ceremony recorded (its sealed key
//     file checked by cosign.New): the ceremony's aggregate key becomes
//     the policy's staker key, logged, in the parameters' hash like a
//     configured one;
//   - no key either way: a warning, and every staking output is denied
//     (staking_key_not_approved).
//
// A ceremony run while policyd runs is applied by the next start (the key
// views say so: policy_applies_after_restart).
func (s *server) adoptStakerKey(svc *cosign.Service) error {
	var ceremony []byte
	if svc != nil {
		if k := svc.AggregateKey(); k != nil {
			ceremony = babylon.XOnly(k)
		}
	}
	want := s.cfg.Policy.StakerKey
	switch {
	case len(want) > 0 && ceremony != nil && !bytes.Equal(want, ceremony):
		return cli.Usagef("babylon.staker_key %x is not the MuSig2 ceremony's staker key %x", []byte(want), ceremony)
	case len(want) > 0:
		return nil
	case s.cfg.Babylon == nil:
		if ceremony != nil {
			s.log.Warn("a MuSig2 staker key is recorded but the babylon block is absent: no staking output verifies", "staker_key", hex.EncodeToString(ceremony))
		}
		return nil
	case ceremony == nil && s.cfg.MuSig == nil:
		s.log.Warn("babylon.staker_key is empty and the musig block is absent (no key ceremony): no staking output verifies (staking_key_not_approved)")
		return nil
	case ceremony == nil:
		s.log.Warn("babylon.staker_key is empty and no MuSig2 key ceremony is recorded: no staking output verifies (staking_key_not_approved) until `custody musig-keygen` and a restart")
		return nil
	}
	s.cfg.Policy.StakerKey = ceremony
	s.log.Info("babylon staker key taken from the MuSig2 key ceremony (babylon.staker_key is empty)", "event", "staker_key_from_ceremony",
		"staker_key", hex.EncodeToString(ceremony), "params_hash", s.cfg.Policy.Hash())
	return nil
}
