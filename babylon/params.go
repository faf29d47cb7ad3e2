package babylon

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
)

// GlobalParams is one version of Babylon's BTC staking parameters (the
// x/btcstaking module's Params, published by Babylon per version, each in
// force from its BTC activation height). Everything a delegation must
// satisfy, and everything its pre-signed transactions are rebuilt from,
// comes from the version in force.
type GlobalParams struct {
	Version uint32
	// ActivationHeight is the first BTC height at which this version
	// applies (btc_activation_height).
	ActivationHeight uint32
	CovenantKeys     []*btcec.PublicKey
	CovenantQuorum   int
	// MaxFinalityProviders is how many finality providers a delegation may
	// name (max_finality_providers, Babylon v3 multi-staking; versions
	// before it allow exactly one, and 0 here means 1). A delegation always
	// names at least one.
	MaxFinalityProviders uint32
	MinStakingValue      int64  // sat
	MaxStakingValue      int64  // sat
	MinStakingTime       uint16 // blocks
	MaxStakingTime       uint16 // blocks
	// UnbondingTime is the unbonding output's timelock, and the timelock of
	// the slashing transactions' change output (Babylon checks both against
	// the delegation's unbonding time, which must equal this).
	UnbondingTime uint16
	UnbondingFee  int64 // sat, exactly: the unbonding output is value - fee
	// SlashingRatePct is slashing_rate × 100. Babylon allows a rate in
	// (0, 1) with at most two decimal places, so this is exact.
	SlashingRatePct  uint32
	SlashingPkScript []byte
	MinSlashingFee   int64 // sat (min_slashing_tx_fee_sat)
}

// Errors of parameters and of a delegation checked against them.
var (
	ErrBadParams        = errors.New("babylon: invalid global parameters")
	ErrNoParamsAtHeight = errors.New("babylon: no parameters version in force at this height")
	ErrStakingValue     = errors.New("babylon: staking value outside the version's bounds")
	ErrStakingTime      = errors.New("babylon: staking time outside the version's bounds")
	ErrFinalityProvider = errors.New("babylon: finality provider count not allowed by the version")
)

// Validate checks the version is usable: keys, quorum, bounds, a slashing
// rate Babylon would accept, a slashing script, positive fees.
func (g GlobalParams) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w (version %d): %s", ErrBadParams, g.Version, fmt.Sprintf(format, a...))
	}
	if _, err := sortedXOnly(g.CovenantKeys); err != nil {
		return bad("covenant keys: %v", err)
	}
	if g.CovenantQuorum < 1 || g.CovenantQuorum > len(g.CovenantKeys) {
		return bad("covenant quorum %d of %d", g.CovenantQuorum, len(g.CovenantKeys))
	}
	if g.MinStakingValue <= 0 || g.MaxStakingValue < g.MinStakingValue {
		return bad("staking value bounds [%d, %d]", g.MinStakingValue, g.MaxStakingValue)
	}
	if g.MinStakingTime == 0 || g.MaxStakingTime < g.MinStakingTime {
		return bad("staking time bounds [%d, %d]", g.MinStakingTime, g.MaxStakingTime)
	}
	if g.UnbondingTime == 0 {
		return bad("unbonding time 0")
	}
	if g.UnbondingFee <= 0 || g.UnbondingFee >= g.MinStakingValue {
		return bad("unbonding fee %d", g.UnbondingFee)
	}
	if g.SlashingRatePct == 0 || g.SlashingRatePct >= 100 {
		return bad("slashing rate %d%%", g.SlashingRatePct)
	}
	if len(g.SlashingPkScript) == 0 {
		return bad("no slashing pk script")
	}
	if g.MinSlashingFee <= 0 {
		return bad("min slashing fee %d", g.MinSlashingFee)
	}
	return nil
}

// maxFPs is the finality-provider cap of the version (at least 1).
func (g GlobalParams) maxFPs() int {
	if g.MaxFinalityProviders == 0 {
		return 1
	}
	return int(g.MaxFinalityProviders)
}

// CheckDelegation checks a delegation's value, staking time and number of
// finality providers against the version. Every bound it breaks is in the
// error (errors.Join): errors.Is finds ErrStakingValue, ErrStakingTime and
// ErrFinalityProvider each, so a caller can name every rule that failed.
func (g GlobalParams) CheckDelegation(value int64, stakingTime uint16, finalityProviders int) error {
	var errs []error
	if value < g.MinStakingValue || value > g.MaxStakingValue {
		errs = append(errs, fmt.Errorf("%w: %d not in [%d, %d]", ErrStakingValue, value, g.MinStakingValue, g.MaxStakingValue))
	}
	if stakingTime < g.MinStakingTime || stakingTime > g.MaxStakingTime {
		errs = append(errs, fmt.Errorf("%w: %d not in [%d, %d]", ErrStakingTime, stakingTime, g.MinStakingTime, g.MaxStakingTime))
	}
	if finalityProviders < 1 || finalityProviders > g.maxFPs() {
		errs = append(errs, fmt.Errorf("%w: %d, allowed 1..%d", ErrFinalityProvider, finalityProviders, g.maxFPs()))
	}
	return errors.Join(errs...)
}

// Delegation returns the staking output parameters of a delegation under
// this version: the covenant committee and quorum come from the version,
// never from the caller.
func (g GlobalParams) Delegation(staker *btcec.PublicKey, fps []*btcec.PublicKey, stakingTime uint16) Params {
	return Params{
		StakerKey:         staker,
		FinalityProviders: fps,
		CovenantKeys:      g.CovenantKeys,
		CovenantQuorum:    g.CovenantQuorum,
		StakingTime:       stakingTime,
	}
}

// Schedule is the ordered list of parameter versions.
type Schedule struct {
	versions []GlobalParams // ascending by version and activation height
}

// NewSchedule validates every version and their order: versions are
// consecutive, activation heights strictly increase with them.
func NewSchedule(versions []GlobalParams) (*Schedule, error) {
	if len(versions) == 0 {
		return nil, fmt.Errorf("%w: no versions", ErrBadParams)
	}
	vs := append([]GlobalParams(nil), versions...)
	sort.Slice(vs, func(i, j int) bool { return vs[i].Version < vs[j].Version })
	for i, g := range vs {
		if err := g.Validate(); err != nil {
			return nil, err
		}
		if i > 0 {
			if g.Version != vs[i-1].Version+1 {
				return nil, fmt.Errorf("%w: version %d follows %d", ErrBadParams, g.Version, vs[i-1].Version)
			}
			if g.ActivationHeight <= vs[i-1].ActivationHeight {
				return nil, fmt.Errorf("%w: version %d activates at %d, not after version %d (%d)", ErrBadParams, g.Version, g.ActivationHeight, vs[i-1].Version, vs[i-1].ActivationHeight)
			}
		}
	}
	return &Schedule{versions: vs}, nil
}

// AtHeight returns the version in force at BTC height h: the last one
// whose activation height is at most h.
func (s *Schedule) AtHeight(h uint32) (GlobalParams, error) {
	i := sort.Search(len(s.versions), func(i int) bool { return s.versions[i].ActivationHeight > h })
	if i == 0 {
		return GlobalParams{}, fmt.Errorf("%w: %d is before version %d (%d)", ErrNoParamsAtHeight, h, s.versions[0].Version, s.versions[0].ActivationHeight)
	}
	return s.versions[i-1], nil
}

// Version returns version v.
func (s *Schedule) Version(v uint32) (GlobalParams, error) {
	for _, g := range s.versions {
		if g.Version == v {
			return g, nil
		}
	}
	return GlobalParams{}, fmt.Errorf("%w: no version %d", ErrBadParams, v)
}

// NextActivation returns the activation height of the first version after
// the one in force at h, and false when there is none. The policy uses it
// to refuse a staking transaction that could confirm under another version
// than the one it was checked against.
func (s *Schedule) NextActivation(h uint32) (uint32, bool) {
	for _, g := range s.versions {
		if g.ActivationHeight > h {
			return g.ActivationHeight, true
		}
	}
	return 0, false
}

// VersionJSON is one version in the form Babylon publishes it and the
// configuration file holds it (Babylon's field names; keys hex, compressed
// or x-only; the slashing script hex; the rate as Babylon prints it, e.g.
// "0.100000000000000000"). The policy records the version it judged a
// staking output by in this form.
type VersionJSON struct {
	Version              uint32   `json:"version"`
	BTCActivationHeight  uint32   `json:"btc_activation_height"`
	CovenantPKs          []string `json:"covenant_pks"`
	CovenantQuorum       int      `json:"covenant_quorum"`
	MaxFinalityProviders uint32   `json:"max_finality_providers"`
	MinStakingValueSat   int64    `json:"min_staking_value_sat"`
	MaxStakingValueSat   int64    `json:"max_staking_value_sat"`
	MinStakingTimeBlocks uint16   `json:"min_staking_time_blocks"`
	MaxStakingTimeBlocks uint16   `json:"max_staking_time_blocks"`
	UnbondingTimeBlocks  uint16   `json:"unbonding_time_blocks"`
	UnbondingFeeSat      int64    `json:"unbonding_fee_sat"`
	SlashingRate         string   `json:"slashing_rate"`
	SlashingPkScriptHex  string   `json:"slashing_pk_script_hex"`
	MinSlashingTxFeeSat  int64    `json:"min_slashing_tx_fee_sat"`
}

// Params converts and validates the version.
func (p VersionJSON) Params() (GlobalParams, error) {
	g := GlobalParams{
		Version: p.Version, ActivationHeight: p.BTCActivationHeight,
		CovenantQuorum: p.CovenantQuorum, MaxFinalityProviders: p.MaxFinalityProviders,
		MinStakingValue: p.MinStakingValueSat, MaxStakingValue: p.MaxStakingValueSat,
		MinStakingTime: p.MinStakingTimeBlocks, MaxStakingTime: p.MaxStakingTimeBlocks,
		UnbondingTime: p.UnbondingTimeBlocks, UnbondingFee: p.UnbondingFeeSat,
		MinSlashingFee: p.MinSlashingTxFeeSat,
	}
	for _, h := range p.CovenantPKs {
		var k *btcec.PublicKey
		b, err := hex.DecodeString(h)
		if err == nil {
			k, err = ParseKey(b)
		}
		if err != nil {
			return GlobalParams{}, fmt.Errorf("%w: version %d covenant key: %v", ErrBadParams, p.Version, err)
		}
		g.CovenantKeys = append(g.CovenantKeys, k)
	}
	var err error
	if g.SlashingRatePct, err = ParseSlashingRate(p.SlashingRate); err != nil {
		return GlobalParams{}, err
	}
	if g.SlashingPkScript, err = hex.DecodeString(p.SlashingPkScriptHex); err != nil {
		return GlobalParams{}, fmt.Errorf("%w: version %d slashing script: %v", ErrBadParams, p.Version, err)
	}
	if err := g.Validate(); err != nil {
		return GlobalParams{}, err
	}
	return g, nil
}

// JSON is g in its published form: compressed covenant keys, the rate with
// two decimals. VersionJSON.Params gives g back.
func (g GlobalParams) JSON() VersionJSON {
	v := VersionJSON{
		Version: g.Version, BTCActivationHeight: g.ActivationHeight,
		CovenantQuorum: g.CovenantQuorum, MaxFinalityProviders: g.MaxFinalityProviders,
		MinStakingValueSat: g.MinStakingValue, MaxStakingValueSat: g.MaxStakingValue,
		MinStakingTimeBlocks: g.MinStakingTime, MaxStakingTimeBlocks: g.MaxStakingTime,
		UnbondingTimeBlocks: g.UnbondingTime, UnbondingFeeSat: g.UnbondingFee,
		SlashingRate:        fmt.Sprintf("0.%02d", g.SlashingRatePct),
		SlashingPkScriptHex: hex.EncodeToString(g.SlashingPkScript),
		MinSlashingTxFeeSat: g.MinSlashingFee,
	}
	for _, k := range g.CovenantKeys {
		v.CovenantPKs = append(v.CovenantPKs, hex.EncodeToString(k.SerializeCompressed()))
	}
	return v
}

// ParseSlashingRate parses a decimal rate in (0, 1) with at most two
// significant decimal places ("0.1", "0.10", "0.100000000000000000") into
// hundredths, refusing anything Babylon would refuse.
func ParseSlashingRate(s string) (uint32, error) {
	bad := fmt.Errorf("%w: slashing rate %q", ErrBadParams, s)
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || whole != "0" || frac == "" || len(frac) > 18 {
		return 0, bad
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	if strings.TrimRight(frac[min(2, len(frac)):], "0") != "" {
		return 0, bad
	}
	if len(frac) == 1 {
		frac += "0"
	}
	pct, err := strconv.ParseUint(frac[:2], 10, 32)
	if err != nil || pct == 0 {
		return 0, bad
	}
	return uint32(pct), nil
}

// ParseSchedule reads a JSON array of versions (VersionJSON) and validates
// it as a Schedule.
func ParseSchedule(raw []byte) (*Schedule, error) {
	var in []VersionJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadParams, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the versions", ErrBadParams)
	}
	out := make([]GlobalParams, len(in))
	for i, p := range in {
		g, err := p.Params()
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return NewSchedule(out)
}

// Versions returns the schedule's versions, ascending.
func (s *Schedule) Versions() []GlobalParams { return append([]GlobalParams(nil), s.versions...) }
