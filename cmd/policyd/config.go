package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
)

// Config is policyd's configuration file (JSON; unknown keys are refused so
// a typo cannot silently fall back to a default). Every key is documented in
// docs/configuration.md with its default.
type Config struct {
	// DataDir holds the bbolt file (policyd.db), the audit key and, by
	// default, the encrypted key share.
	DataDir string `json:"data_dir"`
	// Listen is the API's TLS address.
	Listen string `json:"listen"`
	// Network is the Bitcoin network: mainnet, testnet3, regtest or signet.
	Network string `json:"network"`

	TLS  TLSConfig  `json:"tls"`
	Auth AuthConfig `json:"auth"`
	L2   L2Config   `json:"l2"`
	// L1 is the Bitcoin view (issue 16); nil: inputs are not checked
	// against the chain (logged loudly at every start).
	L1         *L1Config        `json:"l1,omitempty"`
	Governance GovernanceConfig `json:"governance"`
	Policy     PolicyConfig     `json:"policy"`
	MPC        MPCConfig        `json:"mpc"`
	Audit      AuditConfig      `json:"audit"`
	PSBT       PSBTConfig       `json:"psbt"`
	// MuSig is the MuSig2 staker key (musig.go); nil: /v1/musig answers 503.
	MuSig *MuSigConfig `json:"musig,omitempty"`
	// Babylon is Babylon staking (issue 17): the parameters file and the
	// co-managed staker key; nil: no staking output verifies.
	Babylon *BabylonConfig `json:"babylon,omitempty"`
}

// PSBTConfig tunes the strict PSBT checker (docs/psbtcheck.md).
type PSBTConfig struct {
	// MaxDataCarrierSize bounds the one StReqIds OP_RETURN output script in
	// bytes, like Bitcoin Core's -datacarriersize: 100000 (Core 30's
	// default; the signed transaction must still weigh <= 400,000 WU), or 83
	// when the transaction must relay through Core before 30 (80 bytes of
	// data: use P002's FIFO rule, no OP_RETURN, for ids that do not fit).
	MaxDataCarrierSize int `json:"max_datacarrier_size"`
}

// PolicyConfig is the policy parameters (hashed into every decision) plus
// the decision lifecycle's settings (not part of the parameters' hash).
type PolicyConfig struct {
	policy.Params
	// DecisionTTL: an allowed decision that has not begun signing expires
	// after it (0 = decision.DefaultDecisionTTL, 15 minutes).
	DecisionTTL Duration `json:"decision_ttl,omitempty"`
}

// TLSConfig is the server's certificate and the CA its clients' certificates
// must chain to.
type TLSConfig struct {
	CertFile     string `json:"cert_file"`
	KeyFile      string `json:"key_file"`
	ClientCAFile string `json:"client_ca_file"`
}

// AuthConfig holds the credentials the API accepts.
type AuthConfig struct {
	// CustodyCertSHA256 pins the custody node's client certificate(s).
	CustodyCertSHA256 []string `json:"custody_cert_sha256"`
	// Tokens are the auditors', readers' and operators' bearer tokens, each kept only
	// as its SHA-256 (policyctl or api.HashToken computes it).
	Tokens []api.Token `json:"tokens"`
}

// L2Config locates the staking contract and bounds the indexer.
type L2Config struct {
	RPCURLs       []string `json:"rpc_urls"`
	Contract      string   `json:"contract"`
	StartBlock    uint64   `json:"start_block"`
	Confirmations uint64   `json:"confirmations"`
	MaxRange      uint64   `json:"max_range"`
	PollInterval  Duration `json:"poll_interval"`
	StaleAfter    Duration `json:"stale_after"`
	BTCToken      string   `json:"btc_token"`
	// TrustReviewedThrough: upgrade, admin and role events of the watched
	// contract in blocks up to this one were reviewed before policyd
	// started (the deployment's own); any later one freezes signing.
	TrustReviewedThrough uint64 `json:"trust_reviewed_through"`
}

// GovernanceConfig binds approvals to this deployment and names the admins.
type GovernanceConfig struct {
	Name           string   `json:"name"`
	Version        string   `json:"version"`
	ChainID        int64    `json:"chain_id"`
	WalletID       string   `json:"wallet_id"`
	BitlayerAdmins []string `json:"bitlayer_admins"`
	ProjectAdmins  []string `json:"project_admins"`
	Quorum         int      `json:"quorum"`
	Timelock       Duration `json:"timelock"`
	// NoTimelock makes additions active at quorum (dev only).
	NoTimelock bool `json:"no_timelock"`
	// Bootstrap seeds an empty whitelist at first start (e.g. the bridge hot
	// wallet); ignored once the whitelist has entries.
	Bootstrap []governance.EntryInput `json:"bootstrap"`
}

// MPCConfig locates policyd's key share.
type MPCConfig struct {
	// ShareFile is the age-encrypted key share; PassphraseFile holds its
	// passphrase (or set POLICYD_SHARE_PASSPHRASE). Never logged.
	ShareFile      string `json:"share_file"`
	PassphraseFile string `json:"passphrase_file"`
	// AllowKeygen lets the custody node run a key generation while no share
	// exists; PreParamsFile supplies policyd's encrypted pre-parameters.
	AllowKeygen bool `json:"allow_keygen"`
	// AllowReshare lets the custody node rotate both shares (same group key
	// and address) while a share is loaded.
	AllowReshare       bool   `json:"allow_reshare"`
	PreParamsDirectory string `json:"pre_params_dir"`
	// PreParamsTarget is how many pre-parameter sets the pool keeps ready
	// (default 2; each takes minutes of one core to generate).
	PreParamsTarget int `json:"pre_params_target,omitempty"`
	// WorkFactor is the scrypt work factor of the share encryption (0: age's default).
	WorkFactor     int      `json:"work_factor"`
	SessionTimeout Duration `json:"session_timeout"`
	Parallel       int      `json:"parallel"`
}

// PreParamsDir is where the pre-parameter pool keeps its encrypted safe primes.
func (c MPCConfig) PreParamsDir(dataDir string) string {
	if c.PreParamsDirectory != "" {
		return c.PreParamsDirectory
	}
	return filepath.Join(dataDir, "preparams")
}

// AuditConfig locates the audit signing key and names the log's witnesses
// (docs/audit.md, "Witnesses").
type AuditConfig struct {
	// KeyFile holds the note signer key (created at first start, mode 0600).
	KeyFile string `json:"key_file"`
	// Witnesses cosign the log's checkpoints (C2SP tlog-cosignature).
	Witnesses []WitnessConfig `json:"witnesses"`
	// CosignedFile keeps the largest cosigned checkpoint OUTSIDE the bbolt
	// file, so a database restored from an older copy is caught. Default:
	// "<data_dir>.cosigned", beside the data directory; put it on other
	// storage than the database (and out of its backups) where you can.
	CosignedFile string `json:"cosigned_file"`
	// WitnessInterval is how often policyd pushes a grown tree to the
	// witnesses that have a URL (default 5s).
	WitnessInterval Duration `json:"witness_interval"`
}

// Duration is a time.Duration written as a Go duration string ("24h").
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// DefaultConfig is the production baseline: every field a deployment must
// set itself (addresses, admins, files) is left empty and validated.
func DefaultConfig() Config {
	return Config{
		DataDir: "/var/lib/policyd",
		Listen:  "127.0.0.1:8443",
		Network: "mainnet",
		L2: L2Config{
			Confirmations: 12,
			MaxRange:      1000,
			PollInterval:  Duration(2 * time.Second),
			StaleAfter:    Duration(5 * time.Minute),
			BTCToken:      "0x0000000000000000000000000000000000000000",
		},
		Governance: GovernanceConfig{
			Name:     "policyd",
			Version:  "1",
			ChainID:  200901,
			Quorum:   2,
			Timelock: Duration(24 * time.Hour),
		},
		Policy: PolicyConfig{Params: policy.Params{
			MaxFeeSat:      1_000_000,
			MaxFeeRate:     500,
			VelocityCapSat: 100 * 100_000_000,
			BTCToken:       "0x0000000000000000000000000000000000000000",
		}},
		MPC:  MPCConfig{SessionTimeout: Duration(60 * time.Second), Parallel: 2},
		PSBT: PSBTConfig{MaxDataCarrierSize: psbtcheck.DefaultDataCarrierSize},
	}
}

// LoadConfig reads a JSON config file over DefaultConfig and resolves the
// paths that default into data_dir. Every error names the file and the key
// and is a usage error (exit 2). The values are checked by Config.validate
// (and the files they name by checkFiles) before policyd writes anything.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	raw, err := os.ReadFile(path)
	if err != nil {
		return cfg, cli.WithCode(cli.ExitUsage, fmt.Errorf("config: %w", err))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, cli.Usagef("config %s: %s", path, decodeProblem(raw, err))
	}
	if dec.More() {
		return cfg, cli.Usagef("config %s: trailing data after the JSON object", path)
	}
	if cfg.DataDir == "" {
		return cfg, cli.Usagef("config %s: data_dir: required", path)
	}
	if p := dataCarrierProblem(cfg.PSBT.MaxDataCarrierSize); p != "" {
		return cfg, cli.Usagef("config %s: psbt.max_datacarrier_size: %s", path, p)
	}
	cfg.resolve()
	return cfg, nil
}

// prefixLines puts prefix before every line of err and keeps it a usage
// error.
func prefixLines(prefix string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return cli.WithCode(cli.ExitUsage, errors.New(strings.Join(lines, "\n")))
}

// decodeProblem turns a JSON decoding error into "key: problem". The json
// package names the key only for type mismatches; for unknown keys and
// invalid durations the raw document is walked against Config's fields.
func decodeProblem(raw []byte, err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("%s: want a JSON %s, got %s", te.Field, jsonKind(te.Type), te.Value)
	case errors.As(err, &se):
		line := 1 + bytes.Count(raw[:min(int(se.Offset), len(raw))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	var doc any
	if json.Unmarshal(raw, &doc) == nil {
		if p := findProblem(doc, reflect.TypeFor[Config](), ""); p != "" {
			return p
		}
	}
	return err.Error()
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "number"
}

var durationType = reflect.TypeFor[Duration]()

// findProblem walks a decoded JSON value against t and returns the first
// unknown key or invalid duration as "key.path: problem", or "".
func findProblem(v any, t reflect.Type, path string) string {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch {
	case t == durationType:
		s, ok := v.(string)
		if !ok {
			return fmt.Sprintf("%s: want a duration string like \"30s\"", path)
		}
		if _, err := time.ParseDuration(s); err != nil {
			return fmt.Sprintf("%s: %q is not a duration (like \"30s\", \"5m\", \"24h\")", path, s)
		}
	case t.Kind() == reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return fmt.Sprintf("%s: unknown key", join(k))
			}
			if p := findProblem(m[k], ft, join(k)); p != "" {
				return p
			}
		}
	case t.Kind() == reflect.Slice:
		if a, ok := v.([]any); ok {
			for i, e := range a {
				if p := findProblem(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

// dataCarrierProblem checks psbt.max_datacarrier_size ("" when valid).
func dataCarrierProblem(n int) string {
	if n < 0 || n > psbtcheck.DefaultDataCarrierSize {
		return fmt.Sprintf("%d: want 1..%d (0: %d)", n, psbtcheck.DefaultDataCarrierSize, psbtcheck.DefaultDataCarrierSize)
	}
	return ""
}

// resolve fills file paths that default into the data directory.
func (c *Config) resolve() {
	if c.DataDir == "" {
		return
	}
	if c.Audit.KeyFile == "" {
		c.Audit.KeyFile = filepath.Join(c.DataDir, "audit.key")
	}
	if c.MPC.ShareFile == "" {
		c.MPC.ShareFile = filepath.Join(c.DataDir, "share.age")
	}
	if c.Audit.CosignedFile == "" {
		c.Audit.CosignedFile = filepath.Clean(c.DataDir) + ".cosigned"
	}
}

// DBPath is the bbolt file.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, "policyd.db") }
