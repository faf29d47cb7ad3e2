package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// TestBabylonConfig: the babylon block loads Babylon's published versions
// and the co-managed staker key into the policy parameters (their hash
// names the file), refuses the deprecated committee next to it, and names
// every bad value.
func TestBabylonConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := validConfig(t, dir)
	before := cfg.Policy.Hash()
	var vs []babylon.VersionJSON
	for _, g := range babylon.DevSchedule().Versions() {
		vs = append(vs, g.JSON())
	}
	raw, _ := json.Marshal(vs)
	file := filepath.Join(dir, "babylon-params.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	staker := psbtgen.NewWallet("co-managed-staker").PubKey()
	cfg.Babylon = &BabylonConfig{ParamsFile: file, StakerKey: hex.EncodeToString(staker)}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if err := cfg.checkFiles(); err != nil {
		t.Fatal(err)
	}
	if err := cfg.loadBabylon(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Policy.StakerKey) != 32 || hex.EncodeToString(cfg.Policy.StakerKey) != hex.EncodeToString(staker[1:]) {
		t.Fatalf("staker key %x, want the x-only form of %x", cfg.Policy.StakerKey, staker)
	}
	if len(cfg.Policy.BabylonParamsSHA256) != 64 || cfg.Policy.Hash() == before {
		t.Fatalf("the parameters' hash does not name the schedule: %q", cfg.Policy.BabylonParamsSHA256)
	}
	g, err := cfg.babylonSchedule().AtHeight(1000)
	if err != nil || !g.CovenantKeys[0].IsEqual(babylon.DevCovenantKey(0).PubKey()) {
		t.Fatalf("loaded schedule: %+v %v", g, err)
	}
	if w := strings.Join(cfg.babylonWarnings(), "\n"); !strings.Contains(w, "babylon_height_unknown") {
		t.Fatalf("no warning for staking without the l1 block: %q", w)
	}

	bad := []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"both committees", func(c *Config) { c.Policy.CovenantKeys = []policy.HexBytes{staker}; c.Policy.CovenantQuorum = 1 }, "policy.covenant_keys"},
		{"staker key not a key", func(c *Config) { c.Babylon.StakerKey = "02" + strings.Repeat("00", 32) }, "babylon.staker_key"},
		{"staker key not hex", func(c *Config) { c.Babylon.StakerKey = "xyz" }, "babylon.staker_key"},
		{"no params file", func(c *Config) { c.Babylon.ParamsFile = "" }, "babylon.params_file"},
		{"staker key in the policy block", func(c *Config) { c.Policy.StakerKey = staker }, "policy.babylon_staker_key"},
		{"schedule hash configured", func(c *Config) { c.Policy.BabylonParamsSHA256 = "00" }, "policy.babylon_params_sha256"},
	}
	for _, c := range bad {
		x := validConfig(t, dir)
		x.Babylon = &BabylonConfig{ParamsFile: file, StakerKey: hex.EncodeToString(staker)}
		c.mut(&x)
		if err := x.validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	// The deprecated committee alone still starts, with a warning, and
	// verifies nothing.
	legacy := validConfig(t, dir)
	legacy.Policy.CovenantKeys, legacy.Policy.CovenantQuorum = []policy.HexBytes{staker}, 1
	if err := legacy.validate(); err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(legacy.babylonWarnings(), "\n"); !strings.Contains(w, "deprecated") {
		t.Fatalf("no deprecation warning: %q", w)
	}
	// The file: missing, and not Babylon's format.
	missing := validConfig(t, dir)
	missing.Babylon = &BabylonConfig{ParamsFile: filepath.Join(dir, "missing.json")}
	if err := missing.checkFiles(); err == nil || !strings.Contains(err.Error(), "babylon.params_file") {
		t.Fatalf("missing file: %v", err)
	}
	garbled := filepath.Join(dir, "garbled.json")
	if err := os.WriteFile(garbled, []byte(`[{"version":0,"covenant_quorum":1}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	missing.Babylon.ParamsFile = garbled
	if err := missing.loadBabylon(); err == nil || !strings.Contains(err.Error(), "babylon.params_file") {
		t.Fatalf("garbled file: %v", err)
	}
}
